// berthd: keeps console sessions open for clients that come and go, over a Unix socket.
#include <berth/plugin.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <berth/host/host.hpp>

#include <malloc.h>
#include <CLI/CLI.hpp>

#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <limits>

#include "daemon_config.hpp"
#include "early_hangup.hpp"
#include "log_level.hpp"
#include "server.hpp"
#include "start_fds.hpp"
#include "state_store.hpp"

namespace {

// Containers of sessions a crashed or killed berthd on this state dir never closed: remove
// them before taking new sessions (the daemon's sessions are marked with store.owner()).
void reclaim_leftovers(berth::host::host& host, const berth::daemon::state_store& store) {
    for (const auto& r : host.reclaim_owned()) {
        if (r.removed > 0)
            spdlog::warn("{}: removed {} container(s) left by an earlier berthd (owner {})",
                         r.runtime, r.removed, store.owner());
        if (!r.error.empty())
            spdlog::error("{}: could not remove everything an earlier berthd left: {}", r.runtime,
                          r.error);
    }
}

int real_main(int argc, char** argv) {
    berth::daemon::fill_closed_stdio();
    berth::daemon::note_hangups_until_serving();
    spdlog::set_default_logger(spdlog::stderr_color_mt("berthd"));
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ [%n] %v");
    spdlog::set_level(spdlog::level::info);
    berth::wire::apply_log_level_env();

    CLI::App app{"berthd: persistent berth sessions over a local socket"};
    app.set_version_flag("--version", std::string("berthd ") + BERTH_VERSION + " (plugin ABI " +
                                          std::to_string(BERTH_ABI_VERSION_MAJOR) + "." +
                                          std::to_string(BERTH_ABI_VERSION_MINOR) + ")");
    std::string socket, config_file, state_dir, log_level;
    app.add_option("--socket", socket, "socket path (default: /run/berth/berthd.sock for root)");
    app.add_option("--config", config_file, "JSON config file (keys: docs/api.md, Configuration)");
    app.add_option("--state-dir", state_dir, "where session metadata is kept across restarts");
    app.add_option("--log-level", log_level, berth::wire::log_level_choices())
        ->check(CLI::IsMember(berth::wire::log_level_names()));
    std::int64_t exit_when_idle = 0;
    const auto* idle_flag =
        app.add_option("--exit-when-idle", exit_when_idle,
                       "exit (as on SIGTERM) after SECONDS with no open session and no client; "
                       "0: never (overrides exit_when_idle_s)")
            ->option_text("SECONDS")
            ->check(CLI::Range(std::int64_t{0},
                               static_cast<std::int64_t>(berth::daemon::k_max_exit_when_idle_s)));
    int ready_fd = -1;
    const auto* ready_flag =
        app.add_option("--ready-fd", ready_fd,
                       "write READY and a newline to file descriptor N, then close it, once the "
                       "socket takes connections (EOF without READY: berthd failed)")
            ->option_text("N")
            ->check(CLI::Range(3, std::numeric_limits<int>::max()));
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        (void)app.exit(e);
        return 2;
    }
    if (!log_level.empty()) berth::wire::set_log_level(log_level);

    berth::daemon::daemon_config config;
    if (!config_file.empty()) {
        auto loaded = berth::daemon::load_config(config_file);
        if (!loaded) {
            std::cerr << "berthd: " << loaded.err().message << "\n";
            return 2;
        }
        config = loaded.value();
    }
    if (!socket.empty()) config.socket = socket;
    if (!state_dir.empty()) config.state_dir = state_dir;
    if (idle_flag->count() > 0) config.exit_when_idle = std::chrono::seconds(exit_when_idle);
    if (ready_flag->count() > 0) {
        if (auto taken = berth::daemon::take_ready_fd(ready_fd); !taken) {
            std::cerr << "berthd: " << taken.err().message << "\n";
            return 2;
        }
    }

    ::signal(SIGPIPE, SIG_IGN);  // a client that hangs up shows as EPIPE on its connection
    // Replies and session buffers of a megabyte come and go with clients. With glibc's
    // default, the mmap threshold rises to the largest block freed, after which such blocks
    // come from arenas that keep their pages: berthd's memory would stay at its peak for good.
    // A fixed threshold sends them to mmap, and their memory back to the system when freed.
    ::mallopt(M_MMAP_THRESHOLD, 128 * 1024);
    const auto state_dir_path =
        config.state_dir.empty() ? berth::daemon::default_state_dir() : config.state_dir;
    berth::daemon::state_store store(state_dir_path);
    std::optional<berth::host::session_log_options> logs;
    if (config.session_log_bytes > 0)
        logs = berth::host::session_log_options{.dir = config.session_log_dir.empty()
                                                           ? state_dir_path / "logs"
                                                           : config.session_log_dir,
                                                .session_bytes = config.session_log_bytes,
                                                .total_bytes = config.session_log_total_bytes};
    berth::host::host host(berth::host::host_options{
        .output_buffer_capacity = config.output_buffer_bytes,
        .owner = store.owner(),
        .probe_plugins = true,  // a plugin that crashes while loading must not take berthd down
        .session_logs = std::move(logs)});
    for (const auto& r : host.reports())
        if (r.state == berth::host::plugin_report::status::loaded)
            spdlog::info("plugin {} ({}) from {}", r.info.runtime, r.info.version, r.path.string());
    reclaim_leftovers(host, store);
    return berth::daemon::run_daemon(host, config, store, [ready_fd] {
        if (ready_fd >= 0) berth::daemon::signal_ready(ready_fd);
    });
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return real_main(argc, argv);
    } catch (const std::exception& e) {
        std::cerr << "berthd: " << e.what() << "\n";
        return 1;
    }
}
