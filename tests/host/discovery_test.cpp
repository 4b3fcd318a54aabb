#include <gtest/gtest.h>
#include <berth/host/discovery.hpp>

#include <fstream>

namespace berth::host {
namespace {
namespace fs = std::filesystem;

TEST(PluginDiscovery, SearchesEnvThenBesideBinaryThenSystem) {
    discovery_inputs in;
    in.plugin_path = "/opt/a:/opt/b";
    in.executable = "/usr/local/bin/berth";
    const auto dirs = plugin_search_dirs(in);
    ASSERT_GE(dirs.size(), 4U);
    EXPECT_EQ(dirs[0], "/opt/a");
    EXPECT_EQ(dirs[1], "/opt/b");
    EXPECT_EQ(dirs[2], "/usr/local/lib/berth/plugins");  // beside the binary
    // /usr/local/lib/berth/plugins is also the first system dir: listed once only.
    EXPECT_EQ(std::count(dirs.begin(), dirs.end(), fs::path("/usr/local/lib/berth/plugins")), 1);
    EXPECT_NE(std::find(dirs.begin(), dirs.end(), fs::path("/usr/lib/berth/plugins")), dirs.end());
}

TEST(PluginDiscovery, SystemPathVariableReplacesTheSystemDirs) {
    discovery_inputs in;
    in.executable = "/opt/berth/bin/berth";
    in.system_plugin_path = "/srv/plugins";
    const auto dirs = plugin_search_dirs(in);
    ASSERT_EQ(dirs.size(), 2U);
    EXPECT_EQ(dirs[0], "/opt/berth/lib/berth/plugins");
    EXPECT_EQ(dirs[1], "/srv/plugins");
}

TEST(PluginDiscovery, EmptyEntriesInPathListsAreIgnored) {
    discovery_inputs in;
    in.plugin_path = ":/x::";
    in.system_plugin_path = "";
    const auto dirs = plugin_search_dirs(in);
    ASSERT_EQ(dirs.size(), 1U);
    EXPECT_EQ(dirs[0], "/x");
}

TEST(PluginDiscovery, CandidatesAreSharedObjectsSortedPerDirectoryInDirectoryOrder) {
    const fs::path root = fs::temp_directory_path() / ("berth-disc-" + std::to_string(::getpid()));
    fs::create_directories(root / "one");
    fs::create_directories(root / "two");
    for (const char* f : {"one/b.so", "one/a.so", "one/readme.txt", "two/0.so"})
        std::ofstream(root / f) << "x";
    fs::create_directories(root / "one" / "dir.so");  // a folder named like a plugin
    const auto found = plugin_candidates({root / "two", root / "missing", root / "one"});
    ASSERT_EQ(found.size(), 3U);
    EXPECT_EQ(found[0], root / "two" / "0.so");
    EXPECT_EQ(found[1], root / "one" / "a.so");
    EXPECT_EQ(found[2], root / "one" / "b.so");
    fs::remove_all(root);
}

TEST(PluginDiscovery, CurrentInputsReadTheEnvironment) {
    ::setenv("BERTH_PLUGIN_PATH", "/from/env", 1);
    const auto in = current_discovery_inputs();
    ::unsetenv("BERTH_PLUGIN_PATH");
    ASSERT_TRUE(in.plugin_path);
    EXPECT_EQ(*in.plugin_path, "/from/env");
    EXPECT_FALSE(in.executable.empty());
}

}  // namespace
}  // namespace berth::host
