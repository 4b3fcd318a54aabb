// A session opened through a plugin, as the host sees it: the plugin's handle, the registry
// entry its output and exit go into, and an optional observer that sees output as it comes
// (how `berth run` streams to its own stdout).
#pragma once

#include <berth/host/result.hpp>
#include <berth/registry/session_entry.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

struct berth_session;

namespace berth::host {

class plugin;

// Called on the plugin's thread for each chunk, in order; may block (back-pressure).
using output_observer = std::function<void(registry::stream, std::string_view)>;

class session {
public:
    ~session();  // releases the plugin's handle (closing the session if it still runs)
    session(const session&) = delete;
    session& operator=(const session&) = delete;

    [[nodiscard]] const std::string& id() const noexcept { return entry_->id(); }
    [[nodiscard]] const std::shared_ptr<registry::session_entry>& entry() const noexcept {
        return entry_;
    }
    [[nodiscard]] const std::shared_ptr<host::plugin>& plugin() const noexcept { return plugin_; }

    result<void> write(std::span<const std::uint8_t> data);
    result<void> write(std::string_view text);
    result<void> close_input();
    result<void> resize(std::uint16_t rows, std::uint16_t cols);
    result<void> signal(int signo);
    // Ends the session (SIGTERM, SIGKILL after grace, runtime cleanup) and marks it closed.
    result<void> close(std::chrono::milliseconds grace, std::string_view reason = "closed");

    struct sink_context;  // what the plugin's callbacks point at

private:
    friend class host;
    session() = default;
    // Calls the plugin's session_open; on failure marks the entry failed.
    [[nodiscard]] static result<std::shared_ptr<session>> open(
        std::shared_ptr<host::plugin> plugin, std::shared_ptr<registry::session_entry> entry,
        const std::string& options_json, output_observer observer);
    result<void> check(int status, const char* what);

    std::shared_ptr<host::plugin> plugin_;  // keeps the library loaded while we live
    std::shared_ptr<registry::session_entry> entry_;
    std::unique_ptr<sink_context> sink_;
    berth_session* handle_ = nullptr;
};

}  // namespace berth::host
