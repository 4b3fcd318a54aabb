// Rescanning the plugin directories (berthd's SIGHUP) with the real local plugin: a new file
// appears, a removed one stops taking sessions while its open ones go on, and a file replaced
// at the same path (how package managers upgrade) is loaded anew beside the old one.
#include <gtest/gtest.h>
#include <re2/re2.h>
#include <berth/host/host.hpp>

#include <algorithm>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

namespace berth::host {
namespace {
namespace fs = std::filesystem;
using namespace std::chrono_literals;

// A private plugin directory, removed at the end.
class plugin_dir {
public:
    plugin_dir() {
        std::random_device rd;
        path_ = fs::temp_directory_path() / ("berth-rescan-" + std::to_string(rd()));
        fs::create_directories(path_);
    }
    ~plugin_dir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    plugin_dir(const plugin_dir&) = delete;
    plugin_dir& operator=(const plugin_dir&) = delete;

    // Installs `from` as `name` the way a package manager does: a new file renamed into place.
    void install(const fs::path& from, const std::string& name) const {
        const fs::path tmp = path_ / (name + ".dpkg-new");
        fs::copy_file(from, tmp, fs::copy_options::overwrite_existing);
        fs::rename(tmp, path_ / name);
    }
    void remove(const std::string& name) const { fs::remove(path_ / name); }
    [[nodiscard]] const fs::path& path() const noexcept { return path_; }

private:
    fs::path path_;
};

host host_on(const plugin_dir& dir) {
    return host(host_options{.plugin_dirs = std::vector<fs::path>{dir.path()}});
}

std::vector<std::string> runtimes(const host& h) {
    std::vector<std::string> out;
    for (const auto& p : h.plugins()) out.push_back(p->runtime());
    std::sort(out.begin(), out.end());
    return out;
}

// A `cat` session echoes what it is sent: proof it still works.
void expect_echoes(const std::shared_ptr<session>& s, const std::string& word) {
    const auto cursor = s->entry()->end_offset();
    ASSERT_TRUE(s->write(word + "\n"));
    const re2::RE2 re(word);
    EXPECT_EQ(s->entry()->wait_for_pattern(cursor, re, 10s).result,
              registry::pattern_wait_result::outcome::matched);
}

TEST(Rescan, ANewFileAppears) {
    plugin_dir dir;
    dir.install(BERTH_LOCAL_PLUGIN, "local.so");
    auto h = host_on(dir);
    EXPECT_EQ(runtimes(h), (std::vector<std::string>{"local"}));

    dir.install(BERTH_LOCAL2_PLUGIN, "local2.so");
    const auto s = h.rescan();
    EXPECT_EQ(s.added, (std::vector<std::string>{"local2"}));
    EXPECT_TRUE(s.removed.empty());
    EXPECT_TRUE(s.reloaded.empty());
    EXPECT_EQ(runtimes(h), (std::vector<std::string>{"local", "local2"}));
    auto opened = h.open_session("local2", R"({"command":["cat"]})");
    ASSERT_TRUE(opened) << opened.err().message;
    expect_echoes(opened.value(), "hello2");
    EXPECT_TRUE(opened.value()->close(2s));
}

TEST(Rescan, ARemovedFileTakesNoNewSessionsWhileItsOpenOnesGoOn) {
    plugin_dir dir;
    dir.install(BERTH_LOCAL_PLUGIN, "local.so");
    dir.install(BERTH_LOCAL2_PLUGIN, "local2.so");
    auto h = host_on(dir);
    auto open = h.open_session("local2", R"({"command":["cat"]})");
    ASSERT_TRUE(open) << open.err().message;
    const auto running = open.value();

    dir.remove("local2.so");
    const auto s = h.rescan();
    EXPECT_EQ(s.removed, (std::vector<std::string>{"local2"}));
    EXPECT_FALSE(h.find("local2"));
    const auto refused = h.open_session("local2", R"({"command":["true"]})");
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.err().code, BERTH_ERR_NOT_FOUND);

    expect_echoes(running, "still-here");
    const auto reports = h.reports();
    const auto gone = std::find_if(reports.begin(), reports.end(), [](const auto& r) {
        return r.state == plugin_report::status::removed;
    });
    ASSERT_NE(gone, reports.end());
    EXPECT_EQ(gone->info.runtime, "local2");
    EXPECT_EQ(gone->reason, "file removed: takes no new sessions; its open sessions go on");
    EXPECT_TRUE(running->close(2s));
}

TEST(Rescan, AFileReplacedAtTheSamePathIsLoadedAnewBesideTheOld) {
    plugin_dir dir;
    dir.install(BERTH_LOCAL_PLUGIN, "local.so");
    auto h = host_on(dir);
    const auto old_plugin = h.find("local");
    auto open = h.open_session("local", R"({"command":["cat"]})");
    ASSERT_TRUE(open) << open.err().message;
    const auto running = open.value();

    dir.install(BERTH_LOCAL_PLUGIN, "local.so");  // the upgrade: same path, new inode
    const auto s = h.rescan();
    EXPECT_EQ(s.reloaded, (std::vector<std::string>{"local"}));
    EXPECT_TRUE(s.added.empty());
    EXPECT_TRUE(s.removed.empty());
    const auto new_plugin = h.find("local");
    ASSERT_TRUE(new_plugin);
    EXPECT_NE(new_plugin, old_plugin);
    // A second mapping, not dlopen's old handle for the same name.
    EXPECT_NE(reinterpret_cast<const void*>(new_plugin->api().create),
              reinterpret_cast<const void*>(old_plugin->api().create));

    // The old session goes on through the old library; new ones use the new file.
    expect_echoes(running, "old-library");
    auto fresh = h.open_session("local", R"({"command":["cat"]})");
    ASSERT_TRUE(fresh) << fresh.err().message;
    expect_echoes(fresh.value(), "new-library");
    const auto reports = h.reports();
    EXPECT_TRUE(std::any_of(reports.begin(), reports.end(), [](const auto& r) {
        return r.state == plugin_report::status::removed &&
               r.reason.rfind("file replaced: ", 0) == 0;
    }));
    EXPECT_TRUE(running->close(2s));
    EXPECT_TRUE(fresh.value()->close(2s));

    // Nothing changed since: nothing is reloaded again.
    const auto again = h.rescan();
    EXPECT_TRUE(again.reloaded.empty() && again.added.empty() && again.removed.empty());
    EXPECT_EQ(h.find("local"), new_plugin);
}

}  // namespace
}  // namespace berth::host
