// Fifty ephemeral sessions, run in concurrent batches, half of them closed while they run:
// afterwards no berth-* container and no child process of ours is left.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <future>
#include <set>

#include "lxc_fixture.hpp"

namespace berth::test::lxc {
namespace {

constexpr int k_sessions = 50;
constexpr int k_batch = 10;

// Child processes of this test process, over all its threads (lxc-attach, lxc-copy, ...).
std::vector<long> child_processes() {
    std::vector<long> children;
    std::error_code ec;
    for (const auto& task : std::filesystem::directory_iterator("/proc/self/task", ec)) {
        std::ifstream in(task.path() / "children");
        for (long pid = 0; in >> pid;) children.push_back(pid);
    }
    return children;
}

std::set<std::string> berth_containers() {
    std::set<std::string> names;
    for (const auto& n : list_containers())
        if (n.rfind("berth-", 0) == 0) names.insert(n);
    return names;
}

TEST_F(LxcTest, FiftyEphemeralSessionsLeaveNothingBehind) {
    const auto before = berth_containers();
    std::vector<std::string> names;
    for (int b = 0; b < k_sessions / k_batch; ++b) {
        // Open a batch side by side: each open copies the template (lxc-copy) and blocks.
        std::vector<std::future<host::result<std::shared_ptr<host::session>>>> opening;
        for (int i = 0; i < k_batch; ++i) {
            const bool stays = i % 2 == 1;  // these are closed while they run
            const json options{
                {"template", lxc_template()},
                {"tty", i % 4 == 0},
                {"command",
                 {"sh", "-c", stays ? "hostname; exec sleep 600" : "hostname; echo done"}}};
            opening.push_back(std::async(std::launch::async, [this, options] {
                return host_->open_session("lxc", options.dump());
            }));
        }
        std::vector<std::shared_ptr<host::session>> batch;
        for (auto& f : opening) {
            auto r = f.get();
            ASSERT_TRUE(r) << r.err().message;
            batch.push_back(r.value());
        }
        std::vector<std::future<void>> ending;
        for (int i = 0; i < k_batch; ++i) {
            ending.push_back(std::async(std::launch::async, [&, i] {
                const auto& s = batch[static_cast<std::size_t>(i)];
                EXPECT_TRUE(wait_for(s, "berth-[0-9a-f]{12}\\r*\\n"));
                if (i % 2 == 1) {
                    EXPECT_TRUE(s->close(2s));
                } else {
                    EXPECT_TRUE(s->entry()->wait_ended(60s));
                    EXPECT_EQ(s->entry()->snapshot().exit_code, 0) << s->entry()->snapshot().reason;
                }
            }));
        }
        for (auto& f : ending) f.get();
        for (const auto& s : batch) {
            std::string name;
            EXPECT_TRUE(RE2::PartialMatch(s->entry()->read(0, 4096).joined(),
                                          "(berth-[0-9a-f]{12})", &name));
            names.push_back(name);
            host_->forget_session(s->id());
        }
    }

    ASSERT_EQ(names.size(), static_cast<std::size_t>(k_sessions));
    EXPECT_EQ(std::set<std::string>(names.begin(), names.end()).size(), names.size())
        << "two sessions got the same container name";
    auto lxcpath = tool({"lxc-config", "lxc.lxcpath"}).out;
    lxcpath.erase(lxcpath.find_last_not_of(" \n") + 1);
    for (const auto& name : names) {
        EXPECT_EQ(state_of(name), "MISSING") << name;
        EXPECT_FALSE(std::filesystem::exists(std::filesystem::path(lxcpath) / name))
            << "the folder of " << name << " is left in " << lxcpath;
    }

    // Other tests (ctest -j) make short-lived berth-* containers of their own: wait for those to
    // go; anything still new after that is a leak.
    std::vector<std::string> left;
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    do {
        left.clear();
        for (const auto& n : berth_containers())
            if (!before.contains(n)) left.push_back(n);
        if (left.empty()) break;
        std::this_thread::sleep_for(500ms);
    } while (std::chrono::steady_clock::now() < deadline);
    EXPECT_TRUE(left.empty()) << "left behind: " << ::testing::PrintToString(left);
    EXPECT_TRUE(child_processes().empty())
        << "child processes left: " << ::testing::PrintToString(child_processes());
}

}  // namespace
}  // namespace berth::test::lxc
