// Where the host's log lines go in an embedding program: to the callbacks of the live hosts,
// never to stdout or stderr.
//
// The host (and each plugin, through the host's services) logs with spdlog's default logger.
// The library has a spdlog of its own (header-only, hidden inside it: see CMakeLists.txt), so
// that logger is the library's, not the embedding program's. The library puts one logger
// there, once, whose sink hands each line to every registered callback at or above its level:
// with no callback registered a line goes nowhere. Lines carry no host of origin, so with two
// hosts each callback also sees the other's lines.
#pragma once

#include <berth/host.h>

#include <list>

namespace berth::capi {

struct log_target {
    berth_host_log_fn fn = nullptr;
    void* user = nullptr;
    berth_host_log_level min_level = BERTH_HOST_LOG_INFO;
};

// Installs the library's logger as spdlog's default (idempotent). Before any host exists.
void install_default_logger();

// A callback's place in the list, for the life of a host. A null fn registers nothing.
class log_registration {
public:
    explicit log_registration(const log_target& target);
    ~log_registration();
    log_registration(const log_registration&) = delete;
    log_registration& operator=(const log_registration&) = delete;

private:
    bool registered_ = false;
    std::list<log_target>::iterator it_;
};

}  // namespace berth::capi
