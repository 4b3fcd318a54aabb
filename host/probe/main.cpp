// berth-plugin-probe FILE: loads a plugin exactly as the host does and creates and destroys one
// instance, in a process of its own. A plugin that crashes or hangs in its entry function,
// its static initialisers or create() takes this process down, not berthd.
//
// Exit 0: the plugin loads and creates. Exit 3: it is rejected; the one-line reason is on
// stdout. Exit 2: usage. Anything else (a signal, a timeout) is for the host to describe.
//
// berth-plugin-probe --validate FILE --timeout-ms N [--options JSON]: every check of
// `berth plugin validate`, streamed on stdout as they run (validate_mode.hpp).
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>
#include <berth/host/plugin.hpp>
#include <berth/host/plugin_library.hpp>

#include <charconv>
#include <chrono>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>

#include "validate_mode.hpp"

namespace {

constexpr const char* k_usage =
    "usage: berth-plugin-probe PLUGIN.so\n"
    "       berth-plugin-probe --validate PLUGIN.so --timeout-ms N [--options JSON]\n";

int validate_main(int argc, char** argv) {
    std::optional<std::string> plugin;
    std::optional<std::string> options;
    long long timeout_ms = 0;
    for (int i = 2; i < argc; ++i) {
        const std::string_view arg = argv[i];
        const bool has_value = i + 1 < argc;
        if (arg == "--timeout-ms" && has_value) {
            const std::string_view v = argv[++i];
            const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), timeout_ms);
            if (ec != std::errc() || end != v.data() + v.size() || timeout_ms <= 0) {
                std::cerr << "berth-plugin-probe: --timeout-ms wants a positive integer, got '" << v
                          << "'\n";
                return 2;
            }
        } else if (arg == "--options" && has_value) {
            options = argv[++i];
        } else if (!plugin && !arg.starts_with("--")) {
            plugin = std::string(arg);
        } else {
            std::cerr << k_usage;
            return 2;
        }
    }
    if (!plugin || timeout_ms == 0) {
        std::cerr << k_usage;
        return 2;
    }
    // The events get stdout to themselves: whatever the plugin prints goes to stderr, and
    // the duplicate is close-on-exec, so a command the plugin starts cannot hold it open.
    const int events = ::fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
    if (events < 0 || ::dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
        std::perror("berth-plugin-probe: cannot set up its output");
        return 1;
    }
    try {
        berth::probe::run_validate_mode(*plugin, std::chrono::milliseconds(timeout_ms), options,
                                        events);
    } catch (const std::exception& e) {
        std::cerr << "berth-plugin-probe: " << e.what() << "\n";
        return 1;
    }
}

}  // namespace

int main(int argc, char** argv) {
    // The plugin's own log lines would only be noise here: the host loads it again for real.
    spdlog::set_level(spdlog::level::off);
    if (argc >= 2 && std::string_view(argv[1]) == "--validate") return validate_main(argc, argv);
    if (argc != 2) {
        std::cerr << k_usage;
        return 2;
    }
    try {
        auto lib = berth::host::load_plugin_library(argv[1]);
        if (!lib) {
            std::cout << lib.err().message << std::flush;
            return 3;
        }
        auto instance = berth::host::plugin::create(std::move(lib.value()), nullptr);
        if (!instance) {
            std::cout << instance.err().message << std::flush;
            return 3;
        }
        return 0;
    } catch (const std::exception& e) {
        std::cout << "the probe failed: " << e.what() << std::flush;
        return 3;
    }
}
