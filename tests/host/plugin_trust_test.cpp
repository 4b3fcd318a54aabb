// Which plugin files the host trusts (plugin_trust.hpp): the pure rule with made-up stat data,
// for root and for anyone else; then real trees on disk (the tests run as root), made
// world-writable, group-writable, owned by nobody, linked, sticky, with a plugin whose
// constructor leaves a mark, to show a refused file is never loaded, neither here nor in the
// probe; and a plugin in BERTH_PLUGIN_PATH replacing a built-in one, reported loudly.
#include <grp.h>
#include <gtest/gtest.h>
#include <pwd.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>
#include <berth/host/discovery.hpp>
#include <berth/host/host.hpp>
#include <berth/host/plugin_trust.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "fake_plugin_path.hpp"
#include "test_support.hpp"

namespace berth::host {
namespace {
namespace fs = std::filesystem;
using test::scoped_env;

constexpr std::uint32_t k_nobody = 65534;
constexpr std::uint32_t k_user = 1000;

trust_facts facts(const char* path, std::uint32_t uid, std::uint32_t mode, std::uint32_t gid = 0) {
    return trust_facts{path, uid, gid, mode};
}
constexpr std::uint32_t dir(std::uint32_t perms) { return S_IFDIR | perms; }
constexpr std::uint32_t file(std::uint32_t perms) { return S_IFREG | perms; }
constexpr std::uint32_t link() { return S_IFLNK | 0777; }

// ---------------------------------------------------------------------------------------------
// The rule alone, with injected owner, mode and euid.

TEST(TrustRule, RootTrustsWhatRootAloneCanWrite) {
    EXPECT_EQ(trust_problem(facts("/usr/lib/berth/plugins/local.so", 0, file(0644)),
                            trust_role::plugin_file, 0),
              "");
    EXPECT_EQ(
        trust_problem(facts("/usr/lib/berth/plugins", 0, dir(0755)), trust_role::plugin_dir, 0),
        "");
    EXPECT_EQ(trust_problem(facts("/root/p", 0, dir(0700)), trust_role::plugin_dir, 0), "");
    EXPECT_EQ(trust_problem(facts("/usr", 0, dir(0755)), trust_role::ancestor_dir, 0), "");
    EXPECT_EQ(trust_problem(facts("/lib", 0, link()), trust_role::link, 0), "");
}

TEST(TrustRule, RootRefusesAWorldWritablePluginDirectory) {
    EXPECT_EQ(trust_problem(facts("/tmp/p", 0, dir(0777)), trust_role::plugin_dir, 0),
              "/tmp/p is world-writable (mode 0777); as root, berth loads plugins only from "
              "directories writable by root alone");
}

TEST(TrustRule, RootRefusesGroupWritableFilesAndDirectories) {
    auto f = facts("/opt/p", 0, dir(0775), 1000);
    f.group_name = "staff";
    EXPECT_EQ(trust_problem(f, trust_role::plugin_dir, 0),
              "/opt/p is group-writable (mode 0775, group 1000 (staff)); as root, berth loads "
              "plugins only from directories writable by root alone");
    EXPECT_EQ(trust_problem(facts("/opt/p/x.so", 0, file(0664), 50), trust_role::plugin_file, 0),
              "/opt/p/x.so is group-writable (mode 0664, group 50); as root, berth loads only "
              "plugin files writable by root alone");
    EXPECT_EQ(trust_problem(facts("/opt", 0, dir(0775)), trust_role::ancestor_dir, 0),
              "/opt is group-writable (mode 0775, group 0); as root, every directory above a "
              "plugin must be writable by root alone (or be root's and sticky, like /tmp)");
}

TEST(TrustRule, RootRefusesWhatAnotherUserOwns) {
    auto f = facts("/opt/p/x.so", k_nobody, file(0644));
    f.user_name = "nobody";
    EXPECT_EQ(trust_problem(f, trust_role::plugin_file, 0),
              "/opt/p/x.so is owned by uid 65534 (nobody); as root, berth loads only plugin "
              "files owned by root");
    EXPECT_EQ(trust_problem(facts("/opt/p", k_user, dir(0755)), trust_role::plugin_dir, 0),
              "/opt/p is owned by uid 1000; as root, berth loads plugins only from directories "
              "owned by root");
    EXPECT_EQ(trust_problem(facts("/home/u", k_user, dir(0755)), trust_role::ancestor_dir, 0),
              "/home/u is owned by uid 1000; as root, every directory above a plugin must be "
              "owned by root");
    EXPECT_EQ(trust_problem(facts("/opt/p/x.so", k_user, link()), trust_role::link, 0),
              "/opt/p/x.so is a symbolic link owned by uid 1000; as root, berth follows only "
              "links owned by root");
}

TEST(TrustRule, ARootOwnedStickyDirectoryIsFineAboveThePluginDirectoryOnly) {
    EXPECT_EQ(trust_problem(facts("/tmp", 0, dir(01777)), trust_role::ancestor_dir, 0), "");
    EXPECT_EQ(trust_problem(facts("/srv/drop", 0, dir(01775)), trust_role::ancestor_dir, 0), "");
    EXPECT_EQ(trust_problem(facts("/tmp", 0, dir(01777)), trust_role::plugin_dir, 0),
              "/tmp is world-writable (mode 1777); as root, berth loads plugins only from "
              "directories writable by root alone: the sticky bit stops others from replacing "
              "files, not from adding plugins");
    // Sticky but somebody else's: they may rename whatever is in it.
    EXPECT_EQ(trust_problem(facts("/tmp/u", k_user, dir(01777)), trust_role::ancestor_dir, 0),
              "/tmp/u is owned by uid 1000; as root, every directory above a plugin must be "
              "owned by root");
    // Not sticky: anyone may rename what is in it.
    EXPECT_EQ(trust_problem(facts("/scratch", 0, dir(0777)), trust_role::ancestor_dir, 0),
              "/scratch is world-writable (mode 0777) and not sticky; as root, every directory "
              "above a plugin must be writable by root alone (or be root's and sticky, like "
              "/tmp)");
}

TEST(TrustRule, AsTheEuidItselfOwnershipByTheEuidIsFine) {
    // euid 0 is the only one the root rule applies to; it allows uid 0, which is the euid.
    EXPECT_EQ(trust_problem(facts("/p", 0, dir(0755)), trust_role::plugin_dir, 0), "");
}

TEST(TrustRule, AnyoneElseRefusesOnlyWhatEveryoneCanWrite) {
    // Group-writable and other owners are fine when not root.
    EXPECT_EQ(
        trust_problem(facts("/home/u/p/x.so", k_user, file(0664)), trust_role::plugin_file, k_user),
        "");
    EXPECT_EQ(trust_problem(facts("/opt/p", k_nobody, dir(0775)), trust_role::plugin_dir, k_user),
              "");
    EXPECT_EQ(trust_problem(facts("/home/u/p/x.so", k_nobody, link()), trust_role::link, k_user),
              "");
    EXPECT_EQ(trust_problem(facts("/tmp", 0, dir(01777)), trust_role::ancestor_dir, k_user), "");
    EXPECT_EQ(
        trust_problem(facts("/tmp/u", k_nobody, dir(01777)), trust_role::ancestor_dir, k_user), "");
    // World-writable is not.
    EXPECT_EQ(
        trust_problem(facts("/home/u/p/x.so", k_user, file(0666)), trust_role::plugin_file, k_user),
        "/home/u/p/x.so is world-writable (mode 0666): anyone could have replaced it; "
        "berth loads no plugin file that everyone can write");
    EXPECT_EQ(trust_problem(facts("/scratch", 0, dir(0777)), trust_role::ancestor_dir, k_user),
              "/scratch is world-writable (mode 0777) and not sticky: anyone could have "
              "replaced what is in it; berth loads plugins only below directories that not "
              "everyone can write");
    EXPECT_EQ(trust_problem(facts("/tmp/p", k_user, dir(0777)), trust_role::plugin_dir, k_user),
              "/tmp/p is world-writable (mode 0777): anyone could have put a plugin in it or "
              "replaced one; berth loads plugins only from directories that not everyone can "
              "write");
    // A sticky plugin directory still lets anyone add a plugin.
    EXPECT_NE(trust_problem(facts("/tmp", 0, dir(01777)), trust_role::plugin_dir, k_user), "");
}

TEST(TrustRule, DiscoveryTellsWhereEachDirectoryCameFrom) {
    discovery_inputs in;
    in.plugin_path = "/opt/a";
    in.executable = "/opt/berth/bin/berth";
    in.system_plugin_path = "/srv/plugins:/opt/a";
    const auto dirs = plugin_search_dirs_tagged(in);
    ASSERT_EQ(dirs.size(), 3U);  // /opt/a once, with its first origin
    EXPECT_EQ(dirs[0].path, "/opt/a");
    EXPECT_EQ(dirs[0].origin, dir_origin::plugin_path);
    EXPECT_EQ(dirs[1].path, "/opt/berth/lib/berth/plugins");
    EXPECT_EQ(dirs[1].origin, dir_origin::beside_binary);
    EXPECT_EQ(dirs[2].path, "/srv/plugins");
    EXPECT_EQ(dirs[2].origin, dir_origin::system_path);
    in.system_plugin_path.reset();
    const auto standard = plugin_search_dirs_tagged(in);
    EXPECT_EQ(standard.back().path, "/usr/lib/berth/plugins");
    EXPECT_EQ(standard.back().origin, dir_origin::system);
    EXPECT_FALSE(is_builtin(dir_origin::plugin_path));
    EXPECT_TRUE(is_builtin(dir_origin::beside_binary));
    EXPECT_TRUE(is_builtin(dir_origin::system));
    EXPECT_TRUE(is_builtin(dir_origin::system_path));
    EXPECT_FALSE(is_builtin(dir_origin::other));
}

// ---------------------------------------------------------------------------------------------
// Real trees on disk.

// A private tree under the temp directory (root's, mode 0700), removed at the end. The marker
// plugin's constructor writes to marker_log() when any process loads it.
class trust_tree : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_EQ(::geteuid(), 0U) << "needs root to chown files to nobody (test.sh runs as root)";
        std::string tmpl = (fs::temp_directory_path() / "berth-trust-XXXXXX").string();
        ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
        root_ = tmpl;
        marker_ = std::make_unique<scoped_env>("BERTH_FAKE_MARKER", marker_log().string());
    }
    void TearDown() override {
        marker_.reset();
        std::error_code ec;
        if (!root_.empty()) fs::remove_all(root_, ec);
    }

    [[nodiscard]] fs::path at(const std::string& rel) const { return root_ / rel; }
    [[nodiscard]] fs::path marker_log() const { return root_ / "marker.log"; }
    // How many times a process loaded the marker plugin.
    [[nodiscard]] long loads() const {
        std::ifstream in(marker_log());
        return std::count(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>(),
                          '\n');
    }

    // A directory with exactly this mode (chmod: the umask does not apply) and owner.
    fs::path mkdir(const std::string& rel, ::mode_t mode = 0755, ::uid_t uid = 0) const {
        const fs::path p = at(rel);
        fs::create_directories(p);
        set(p, mode, uid);
        return p;
    }
    // The marker plugin, copied (a new inode: dlopen cannot hand back an earlier load).
    fs::path plugin(const std::string& rel, ::mode_t mode = 0644, ::uid_t uid = 0) const {
        const fs::path p = at(rel);
        fs::copy_file(fake("marker"), p, fs::copy_options::overwrite_existing);
        set(p, mode, uid);
        return p;
    }
    static void set(const fs::path& p, ::mode_t mode, ::uid_t uid) {
        ASSERT_EQ(::chown(p.c_str(), uid, 0), 0) << p;
        ASSERT_EQ(::chmod(p.c_str(), mode), 0) << p;  // after chown, which clears setuid bits
    }

    static std::vector<plugin_report> scan(const std::vector<fs::path>& dirs, bool probe = false) {
        host h(host_options{.plugin_dirs = dirs, .probe_plugins = probe});
        return h.reports();
    }
    // The only report of scanning dir, which must be rejected and never loaded.
    std::string rejection(const fs::path& dir, bool probe = false) const {
        const auto reports = scan({dir}, probe);
        EXPECT_EQ(reports.size(), 1U);
        if (reports.size() != 1)
            return "expected one report, got " + std::to_string(reports.size());
        EXPECT_EQ(reports[0].state, plugin_report::status::rejected);
        EXPECT_TRUE(reports[0].info.runtime.empty()) << "the descriptor was read";
        EXPECT_EQ(loads(), 0) << "the refused plugin was loaded";
        return reports[0].reason;
    }

    fs::path root_;
    std::unique_ptr<scoped_env> marker_;
};

const std::string k_root_dirs =
    "as root, berth loads plugins only from directories writable by root alone";

TEST_F(trust_tree, ATreeWritableByRootAloneIsLoaded) {
    const auto dir = mkdir("plugins");
    plugin("plugins/marker.so");
    const auto reports = scan({dir});
    ASSERT_EQ(reports.size(), 1U);
    EXPECT_EQ(reports[0].state, plugin_report::status::loaded) << reports[0].reason;
    EXPECT_EQ(reports[0].info.runtime, "marker");
    EXPECT_EQ(loads(), 1) << "the marker does not show a load";
}

TEST_F(trust_tree, AWorldWritablePluginDirectoryIsRefused) {
    const auto dir = mkdir("p", 0777);
    plugin("p/marker.so");
    EXPECT_EQ(rejection(dir),
              "not trusted: " + dir.string() + " is world-writable (mode 0777); " + k_root_dirs);
}

TEST_F(trust_tree, AGroupWritablePluginDirectoryIsRefused) {
    const auto dir = mkdir("p", 0775);
    plugin("p/marker.so");
    EXPECT_EQ(rejection(dir), "not trusted: " + dir.string() +
                                  " is group-writable (mode 0775, group 0 (root)); " + k_root_dirs);
}

TEST_F(trust_tree, AWorldOrGroupWritablePluginFileIsRefused) {
    const auto dir = mkdir("p");
    const auto so = plugin("p/marker.so", 0666);
    EXPECT_EQ(rejection(dir), "not trusted: " + so.string() +
                                  " is world-writable (mode 0666); as root, berth loads only "
                                  "plugin files writable by root alone");
    set(so, 0664, 0);
    EXPECT_EQ(rejection(dir), "not trusted: " + so.string() +
                                  " is group-writable (mode 0664, group 0 (root)); as root, "
                                  "berth loads only plugin files writable by root alone");
}

TEST_F(trust_tree, APluginFileOwnedByAnotherUserIsRefused) {
    const auto dir = mkdir("p");
    const auto so = plugin("p/marker.so", 0644, k_nobody);
    const std::string reason = rejection(dir);
    EXPECT_EQ(reason.rfind("not trusted: " + so.string() + " is owned by uid 65534", 0), 0U)
        << reason;
    EXPECT_NE(reason.find("; as root, berth loads only plugin files owned by root"),
              std::string::npos)
        << reason;
}

TEST_F(trust_tree, APluginDirectoryOwnedByAnotherUserIsRefused) {
    const auto dir = mkdir("p", 0755, k_nobody);
    plugin("p/marker.so");
    const std::string reason = rejection(dir);
    EXPECT_EQ(reason.rfind("not trusted: " + dir.string() + " is owned by uid 65534", 0), 0U)
        << reason;
    EXPECT_NE(reason.find("as root, berth loads plugins only from directories owned by root"),
              std::string::npos)
        << reason;
}

TEST_F(trust_tree, AWorldWritableDirectoryAboveThePluginDirectoryIsRefused) {
    const auto above = mkdir("open", 0777);
    const auto dir = mkdir("open/plugins");
    plugin("open/plugins/marker.so");
    EXPECT_EQ(rejection(dir),
              "not trusted: " + above.string() +
                  " is world-writable (mode 0777) and not sticky; as root, every directory above "
                  "a plugin must be writable by root alone (or be root's and sticky, like /tmp)");
}

TEST_F(trust_tree, ARootOwnedStickyDirectoryAboveThePluginDirectoryIsFine) {
    mkdir("scratch", 01777);  // like /tmp
    const auto dir = mkdir("scratch/plugins");
    plugin("scratch/plugins/marker.so");
    const auto reports = scan({dir});
    ASSERT_EQ(reports.size(), 1U);
    EXPECT_EQ(reports[0].state, plugin_report::status::loaded) << reports[0].reason;
    EXPECT_EQ(loads(), 1);
}

TEST_F(trust_tree, AStickyDirectoryOwnedByAnotherUserAboveThePluginDirectoryIsRefused) {
    const auto above = mkdir("scratch", 01777, k_nobody);
    const auto dir = mkdir("scratch/plugins");
    plugin("scratch/plugins/marker.so");
    const std::string reason = rejection(dir);
    EXPECT_EQ(reason.rfind("not trusted: " + above.string() + " is owned by uid 65534", 0), 0U)
        << reason;
}

TEST_F(trust_tree, AStickyPluginDirectoryIsRefused) {
    const auto dir = mkdir("scratch", 01777);
    plugin("scratch/marker.so");
    EXPECT_EQ(rejection(dir), "not trusted: " + dir.string() + " is world-writable (mode 1777); " +
                                  k_root_dirs +
                                  ": the sticky bit stops others from replacing files, not from "
                                  "adding plugins");
}

TEST_F(trust_tree, ALinkToAFileInAnUntrustedDirectoryIsRefused) {
    const auto evil = mkdir("evil", 0777);
    const auto target = plugin("evil/marker.so");
    const auto dir = mkdir("plugins");
    fs::create_symlink(target, dir / "marker.so");
    EXPECT_EQ(rejection(dir), "not trusted: " + (dir / "marker.so").string() + " links to " +
                                  target.string() + ", and " + evil.string() +
                                  " is world-writable (mode 0777); " + k_root_dirs);
}

TEST_F(trust_tree, ALinkToAFileOwnedByAnotherUserIsRefused) {
    const auto elsewhere = mkdir("elsewhere");
    const auto target = plugin("elsewhere/marker.so", 0644, k_nobody);
    const auto dir = mkdir("plugins");
    fs::create_symlink("../elsewhere/marker.so", dir / "marker.so");  // relative this time
    const std::string reason = rejection(dir);
    EXPECT_EQ(reason.rfind("not trusted: " + (dir / "marker.so").string() +
                               " links to ../elsewhere/marker.so, and " + target.string() +
                               " is owned by uid 65534",
                           0),
              0U)
        << reason;
}

TEST_F(trust_tree, ALinkInAnUntrustedDirectoryIsRefusedEvenToATrustedFile) {
    const auto trusted = mkdir("plugins");
    const auto target = plugin("plugins/marker.so");
    const auto evil = mkdir("evil", 0777);
    fs::create_symlink(target, evil / "marker.so");
    EXPECT_EQ(rejection(evil),
              "not trusted: " + evil.string() + " is world-writable (mode 0777); " + k_root_dirs);
}

TEST_F(trust_tree, ALinkOwnedByAnotherUserIsRefused) {
    const auto target = plugin("marker.so.real");
    const auto dir = mkdir("plugins");
    fs::create_symlink(target, dir / "marker.so");
    ASSERT_EQ(::lchown((dir / "marker.so").c_str(), k_nobody, 0), 0);
    const std::string reason = rejection(dir);
    EXPECT_EQ(reason.rfind("not trusted: " + (dir / "marker.so").string() +
                               " is a symbolic link owned by uid 65534",
                           0),
              0U)
        << reason;
}

TEST_F(trust_tree, ALinkBetweenTrustedDirectoriesIsFollowed) {
    const auto target = plugin("marker.so.real");
    const auto dir = mkdir("plugins");
    fs::create_symlink(target, dir / "marker.so");
    const auto reports = scan({dir});
    ASSERT_EQ(reports.size(), 1U);
    EXPECT_EQ(reports[0].state, plugin_report::status::loaded) << reports[0].reason;
    EXPECT_EQ(loads(), 1);
}

TEST_F(trust_tree, APluginDirectoryThatIsALinkIsJudgedWhereItLeads) {
    const auto evil = mkdir("evil", 0777);
    plugin("evil/marker.so");
    const auto dir = at("plugins");
    fs::create_directory_symlink(evil, dir);
    EXPECT_EQ(rejection(dir), "not trusted: " + dir.string() + " links to " + evil.string() +
                                  ", and " + evil.string() + " is world-writable (mode 0777); " +
                                  k_root_dirs);
}

TEST_F(trust_tree, ARefusedFileIsNeverHandedToTheProbe) {
    // Control first: the probe loads a trusted file in its own process, and the marker shows it.
    const auto good = mkdir("good");
    plugin("good/marker.so");
    {
        const auto reports = scan({good}, /*probe=*/true);
        ASSERT_EQ(reports.size(), 1U);
        EXPECT_EQ(reports[0].state, plugin_report::status::loaded) << reports[0].reason;
        ASSERT_EQ(loads(), 2) << "expected a load in the probe and one here";
    }
    fs::remove(marker_log());
    const auto dir = mkdir("p", 0777);
    plugin("p/marker.so");
    EXPECT_EQ(rejection(dir, /*probe=*/true),
              "not trusted: " + dir.string() + " is world-writable (mode 0777); " + k_root_dirs);
}

TEST_F(trust_tree, AFileDroppedInAnUntrustedDirectoryIsNotLoadedOnRescan) {
    // berthd with BERTH_PLUGIN_PATH=/tmp/p (world-writable); someone drops a plugin; SIGHUP.
    const auto dir = mkdir("p", 0777);
    host h(host_options{.plugin_dirs = std::vector<fs::path>{dir}});
    EXPECT_TRUE(h.reports().empty());
    const auto dropped = plugin("p/marker.so", 0644, k_nobody);
    const auto summary = h.rescan();
    EXPECT_TRUE(summary.added.empty());
    EXPECT_FALSE(h.find("marker"));
    ASSERT_EQ(h.reports().size(), 1U);
    EXPECT_EQ(h.reports()[0].state, plugin_report::status::rejected);
    EXPECT_EQ(h.reports()[0].reason,
              "not trusted: " + dir.string() + " is world-writable (mode 0777); " + k_root_dirs);
    EXPECT_EQ(loads(), 0);
}

TEST_F(trust_tree, APluginWhoseDirectoryBecomesUntrustedTakesNoNewSessions) {
    const auto dir = mkdir("p");
    plugin("p/marker.so");
    host h(host_options{.plugin_dirs = std::vector<fs::path>{dir}});
    const auto loaded = h.find("marker");  // held, as an open session would
    ASSERT_TRUE(loaded);
    set(dir, 0777, 0);
    const auto summary = h.rescan();
    EXPECT_EQ(summary.removed, (std::vector<std::string>{"marker"}));
    EXPECT_FALSE(h.find("marker"));
    const auto reports = h.reports();
    ASSERT_EQ(reports.size(), 2U);
    EXPECT_EQ(reports[0].state, plugin_report::status::rejected);
    EXPECT_EQ(reports[0].reason,
              "not trusted: " + dir.string() + " is world-writable (mode 0777); " + k_root_dirs);
    EXPECT_EQ(reports[1].state, plugin_report::status::removed);
    EXPECT_EQ(reports[1].reason,
              "file no longer trusted (see its rejected entry): takes no new sessions; its open "
              "sessions go on");
}

// Collects what the host logs at warn level and above while it lives.
class captured_warnings {
public:
    captured_warnings() : sink_(std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(256)) {
        sink_->set_level(spdlog::level::warn);
        spdlog::default_logger()->sinks().push_back(sink_);
    }
    ~captured_warnings() {
        auto& sinks = spdlog::default_logger()->sinks();
        sinks.erase(std::remove(sinks.begin(), sinks.end(), sink_), sinks.end());
    }
    captured_warnings(const captured_warnings&) = delete;
    captured_warnings& operator=(const captured_warnings&) = delete;
    [[nodiscard]] std::vector<std::string> lines() const { return sink_->last_formatted(); }

private:
    std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> sink_;
};

bool any_line_has_all(const std::vector<std::string>& lines,
                      const std::vector<std::string>& parts) {
    return std::any_of(lines.begin(), lines.end(), [&](const std::string& l) {
        return std::all_of(parts.begin(), parts.end(),
                           [&](const std::string& p) { return l.find(p) != std::string::npos; });
    });
}

TEST_F(trust_tree, APluginPathFileThatReplacesABuiltInRuntimeIsReportedLoudly) {
    const auto env_dir = mkdir("env");
    const auto sys_dir = mkdir("sys");
    fs::copy_file(BERTH_LOCAL_PLUGIN, env_dir / "local.so");
    fs::copy_file(BERTH_LOCAL_PLUGIN, sys_dir / "local.so");
    const scoped_env path("BERTH_PLUGIN_PATH", env_dir.string());
    const scoped_env system_path("BERTH_PLUGIN_SYSTEM_PATH", sys_dir.string());
    const captured_warnings warnings;
    host h;  // the standard search: env, beside the binary (the build's plugins), system
    const auto local = h.find("local");
    ASSERT_TRUE(local);
    EXPECT_EQ(local->path(), env_dir / "local.so");
    const auto reports = h.reports();
    const auto shadowed = std::find_if(reports.begin(), reports.end(), [&](const auto& r) {
        return r.path == sys_dir / "local.so";
    });
    ASSERT_NE(shadowed, reports.end());
    EXPECT_EQ(shadowed->state, plugin_report::status::shadowed);
    EXPECT_EQ(shadowed->reason, "runtime 'local' is already provided by " +
                                    (env_dir / "local.so").string() +
                                    ", from BERTH_PLUGIN_PATH, which replaces this built-in "
                                    "plugin from BERTH_PLUGIN_SYSTEM_PATH");
    EXPECT_TRUE(any_line_has_all(warnings.lines(),
                                 {(env_dir / "local.so").string(), (sys_dir / "local.so").string(),
                                  "from BERTH_PLUGIN_PATH replaces the built-in runtime 'local'"}))
        << ::testing::PrintToString(warnings.lines());
    // The build's own local.so, beside the test binary's plugin directory, is replaced too.
    for (const auto& r : reports)
        if (r.path.filename() == "local.so" && r.path.parent_path() != env_dir &&
            r.path.parent_path() != sys_dir) {
            EXPECT_EQ(r.state, plugin_report::status::shadowed);
            EXPECT_NE(r.reason.find("which replaces this built-in plugin from the directory "
                                    "beside the binary"),
                      std::string::npos)
                << r.reason;
        }
}

TEST_F(trust_tree, AnUntrustedPluginPathFileDoesNotReplaceTheBuiltInOne) {
    const auto env_dir = mkdir("env", 0777);
    const auto sys_dir = mkdir("sys");
    fs::copy_file(BERTH_LOCAL_PLUGIN, env_dir / "local.so");
    fs::copy_file(BERTH_LOCAL_PLUGIN, sys_dir / "local.so");
    host h(host_options{.plugin_dirs = std::vector<fs::path>{env_dir, sys_dir}});
    const auto local = h.find("local");
    ASSERT_TRUE(local);
    EXPECT_EQ(local->path(), sys_dir / "local.so");
    const auto reports = h.reports();
    ASSERT_EQ(reports.size(), 2U);
    EXPECT_EQ(reports[0].state, plugin_report::status::rejected);
    EXPECT_EQ(reports[0].reason, "not trusted: " + env_dir.string() +
                                     " is world-writable (mode 0777); " + k_root_dirs);
}

}  // namespace
}  // namespace berth::host
