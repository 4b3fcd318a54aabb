// berth-conformance: the plugin conformance suite as an installed program, for plugin authors.
//
//     berth-conformance FILE.so [--options JSON] [--tools "tool ..."] [gtest flags]
//
// Runs every case of the suite (tests/conformance: the basic contract, streams, closing an
// interactive shell, a health check against a hung runtime) against FILE.so alone, through the
// C ABI. --options are the plugin's options for a session in a fresh container, without
// `command` (the suite supplies commands); --tools names what the plugin's health check runs,
// found in PATH (the hung-runtime case replaces them with copies that never answer).
// Exit 0 when every case passes, 1 when one fails, 2 for a usage error.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstring>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace {

constexpr std::string_view k_usage =
    "usage: berth-conformance FILE.so [--options JSON] [--tools \"tool ...\"] [gtest flags]\n";

int usage_error(const std::string& problem) {
    std::cerr << "berth-conformance: " << problem << "\n" << k_usage;
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<char*> gtest_args{argv[0]};
    std::string plugin;
    std::string options = "{}";
    std::string tools;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "-h" || arg == "--help") {
            std::cout << k_usage;
            return 0;
        }
        if (arg == "--options" || arg == "--tools") {
            if (i + 1 >= argc) return usage_error(std::string(arg) + " needs a value");
            (arg == "--options" ? options : tools) = argv[++i];
        } else if (arg.starts_with("--gtest_")) {
            gtest_args.push_back(argv[i]);
        } else if (arg.starts_with("-")) {
            return usage_error("unknown option '" + std::string(arg) + "'");
        } else if (plugin.empty()) {
            plugin = arg;
        } else {
            return usage_error("one plugin file at a time (got '" + plugin + "' and '" +
                               std::string(arg) + "')");
        }
    }
    if (plugin.empty()) return usage_error("which plugin? give the path of its .so file");
    std::error_code ec;
    const auto path = std::filesystem::absolute(plugin, ec);
    if (ec || !std::filesystem::is_regular_file(path, ec))
        return usage_error("'" + plugin + "' is not a file");
    if (!nlohmann::json::parse(options, nullptr, false).is_object())
        return usage_error("--options: expected a JSON object, got '" + options + "'");

    // The suite's own way of taking one plugin (tests/conformance/conformance.hpp).
    ::setenv("BERTH_CONFORMANCE_PLUGIN", path.c_str(), 1);
    ::setenv("BERTH_CONFORMANCE_OPTIONS", options.c_str(), 1);
    ::setenv("BERTH_CONFORMANCE_TOOLS", tools.c_str(), 1);
    int gtest_argc = static_cast<int>(gtest_args.size());
    gtest_args.push_back(nullptr);
    ::testing::InitGoogleTest(&gtest_argc, gtest_args.data());
    return RUN_ALL_TESTS() == 0 ? 0 : 1;
}
