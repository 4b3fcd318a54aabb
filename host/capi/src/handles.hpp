// What the C API's opaque handles are: the C++ host's objects, held so that a session keeps
// its host (and the host's registry, which its entry points into) alive.
#pragma once

#include <berth/host.h>
#include <berth/host/host.hpp>

#include <memory>
#include <string>
#include <vector>

#include "logging.hpp"

struct berth_host_options {
    berth::host::host_options cpp;
    berth::capi::log_target log;
};

// The host and what must live exactly as long as it: its place among the log callbacks.
struct host_core {
    // Declared first, destroyed last: the host logs while it closes plugins.
    berth::capi::log_registration log;
    berth::host::host host;
    host_core(const berth::capi::log_target& target, berth::host::host_options options)
        : log(target), host(std::move(options)) {}
};

struct berth_host {
    std::shared_ptr<host_core> core;
};

struct berth_host_session {
    std::shared_ptr<host_core> core;  // before session: outlives it
    std::shared_ptr<berth::host::session> session;
};

struct berth_host_plugin_list {
    struct row {
        std::string runtime, name, version, path, capabilities, error;
        berth_host_plugin_state state = BERTH_HOST_PLUGIN_REJECTED;
        std::uint32_t abi = 0;
    };
    std::vector<row> rows;
};
