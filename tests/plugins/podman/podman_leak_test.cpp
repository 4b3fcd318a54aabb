// Many sessions: 20 at once, and 100 in batches (ended by themselves, closed early, run and
// exec) leave no containers, no processes, no zombies and no descriptors behind.
#include <dirent.h>
#include <unistd.h>

#include <fstream>
#include <future>
#include <thread>

#include "podman_fixture.hpp"

namespace berth::test::podman {
namespace {

using registry::session_state;

std::size_t open_fds() {
    std::size_t n = 0;
    for (const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) {
        (void)e;
        ++n;
    }
    return n;
}

// Children of this process, zombies included: the plugin reaps every podman it starts.
std::vector<std::string> children() {
    std::vector<std::string> found;
    const std::string self = std::to_string(::getpid());
    for (const auto& e : std::filesystem::directory_iterator("/proc")) {
        const std::string pid = e.path().filename();
        if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
        std::ifstream stat(e.path() / "stat");
        std::string line;
        if (!std::getline(stat, line)) continue;
        const auto close = line.rfind(')');
        if (close == std::string::npos) continue;
        std::istringstream rest(line.substr(close + 2));
        std::string state, ppid;
        rest >> state >> ppid;
        if (ppid == self) found.push_back(pid + " " + line.substr(0, close + 1) + " " + state);
    }
    return found;
}

std::string containers_named(const std::string& prefix) {
    return podman({"ps", "-a", "--filter", "name=" + prefix, "--format", "{{.Names}}"}).out;
}

TEST_F(PodmanTest, TwentyConcurrentSessions) {
    const std::string prefix = "berth-test-c20-" + unique_suffix();
    std::vector<std::shared_ptr<host::session>> sessions;
    for (int i = 0; i < 20; ++i) {
        auto options = run_options({"sh", "-c", "read x; echo \"$x-$0\"", std::to_string(i)});
        options["name"] = prefix + "-" + std::to_string(i);
        auto s = open(options);
        ASSERT_TRUE(s);
        sessions.push_back(std::move(s));
    }
    for (std::size_t i = 0; i < sessions.size(); ++i) {
        ASSERT_TRUE(sessions[i]->write("hello\n"));
        ASSERT_TRUE(sessions[i]->close_input());
    }
    for (std::size_t i = 0; i < sessions.size(); ++i) {
        const auto end = finish(sessions[i], 120s);
        EXPECT_EQ(end.record.exit_code, 0) << i << ": " << end.err << end.record.reason;
        EXPECT_EQ(end.out, "hello-" + std::to_string(i) + "\n");
    }
    EXPECT_EQ(containers_named(prefix), "");
}

TEST_F(PodmanExecTest, HundredSessionsLeaveNothingBehind) {
    const std::string prefix = "berth-test-leak-" + unique_suffix();
    // Warm up: the plugin's loop and worker threads exist from the first session on.
    (void)run(exec_options({"true"}));
    const std::size_t fds_before = open_fds();

    constexpr int k_total = 100;
    constexpr int k_batch = 10;
    int next = 0;
    while (next < k_total) {
        std::vector<std::future<void>> batch;
        for (int j = 0; j < k_batch && next < k_total; ++j, ++next) {
            batch.push_back(std::async(std::launch::async, [this, next, &prefix] {
                // Alternate: run mode ending by itself, run mode closed early, exec ending by
                // itself, exec closed early.
                const bool exec = next % 4 >= 2;
                const bool close_early = next % 2 == 1;
                json options = exec ? exec_options({"sh", "-c", "echo up; sleep 999 & wait"})
                                    : run_options({"sh", "-c", "echo up; sleep 999 & wait"});
                if (!close_early) options["command"] = {"echo", "done"};
                if (!exec) options["name"] = prefix + "-" + std::to_string(next);
                auto s = open(options);
                if (!s) return;
                if (close_early) {
                    EXPECT_TRUE(wait_for(s, "up"));
                    EXPECT_TRUE(s->close(200ms));
                }
                const auto end = finish(s);
                if (close_early) {
                    EXPECT_EQ(end.record.state, session_state::closed) << next;
                } else {
                    EXPECT_EQ(end.record.exit_code, 0) << next << ": " << end.record.reason;
                    EXPECT_EQ(end.out, "done\n");
                }
                host_->forget_session(s->id());
            }));
        }
        for (auto& f : batch) f.get();
    }
    EXPECT_EQ(containers_named(prefix), "");
    EXPECT_EQ(container_ps().find("sleep 999"), std::string::npos) << container_ps();
    // The plugin reaps podman through pidfds; nothing lingers as a zombie child.
    EXPECT_TRUE(children().empty()) << ::testing::PrintToString(children());
    EXPECT_LE(open_fds(), fds_before + 2) << "descriptors grew from " << fds_before;
}

}  // namespace
}  // namespace berth::test::podman
