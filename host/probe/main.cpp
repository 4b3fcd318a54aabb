// berth-plugin-probe FILE: loads a plugin exactly as the host does and creates and destroys one
// instance, in a process of its own. A plugin that crashes or hangs in its entry function,
// its static initialisers or create() takes this process down, not berthd.
//
// Exit 0: the plugin loads and creates. Exit 3: it is rejected; the one-line reason is on
// stdout. Exit 2: usage. Anything else (a signal, a timeout) is for the host to describe.
#include <spdlog/spdlog.h>
#include <berth/host/plugin.hpp>
#include <berth/host/plugin_library.hpp>

#include <iostream>

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: berth-plugin-probe PLUGIN.so\n";
        return 2;
    }
    // The plugin's own log lines would only be noise here: the host loads it again for real.
    spdlog::set_level(spdlog::level::off);
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
