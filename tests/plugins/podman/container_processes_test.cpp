// Finding and signalling a session's processes by their environment token, on local
// processes (the integration tests do it inside real containers).
#include <gtest/gtest.h>
#include <unistd.h>
#include <berth/sdk/event_loop.hpp>
#include <berth/sdk/process_session.hpp>

#include <csignal>
#include <thread>

#include "container_processes.hpp"
#include "podman_argv.hpp"

namespace berth::plugins::podman {
namespace {

using namespace std::chrono_literals;

struct spawned {
    std::unique_ptr<sdk::process_session> session;
    sdk::exit_status exit;
};

class PodmanContainerProcesses : public ::testing::Test {
protected:
    std::unique_ptr<sdk::process_session> spawn(std::vector<std::string> argv,
                                                std::map<std::string, std::string> env) {
        sdk::process_spec spec;
        spec.argv = std::move(argv);
        spec.env = std::move(env);
        sdk::process_callbacks cb;
        cb.on_exit = [this](const sdk::exit_status& e) {
            std::lock_guard lock(mutex_);
            last_exit_ = e;
        };
        return sdk::process_session::start(loop_, std::move(spec), std::move(cb));
    }

    // Waits (bounded) until `want` processes carry the token.
    static std::vector<token_process> wait_for(const container_processes& p, std::size_t want) {
        std::vector<token_process> found;
        for (int i = 0; i < 200; ++i) {
            found = p.find();
            if (found.size() >= want) break;
            std::this_thread::sleep_for(10ms);
        }
        return found;
    }

    sdk::event_loop loop_;
    std::mutex mutex_;
    sdk::exit_status last_exit_;
    const std::string token_ = new_token();
};

TEST_F(PodmanContainerProcesses, FindsTheLeaderAndItsChildren) {
    const container_processes p("BERTH_TEST_TOKEN", token_);
    EXPECT_TRUE(p.find().empty());
    EXPECT_FALSE(p.leader());
    // sh starts a child sleep that inherits the token; sh is the leader.
    auto s = spawn({"sh", "-c", "sleep 30 & wait"}, {{"BERTH_TEST_TOKEN", token_}});
    const auto found = wait_for(p, 2);
    ASSERT_EQ(found.size(), 2U);
    const auto leader = p.leader();
    ASSERT_TRUE(leader);
    EXPECT_EQ(leader->pid, s->pid());
    // A different token, or a value that merely starts with ours, is not ours.
    EXPECT_TRUE(container_processes("BERTH_TEST_TOKEN", token_.substr(0, 6)).find().empty());
    EXPECT_TRUE(container_processes("BERTH_TEST_TOKE", token_).find().empty());

    EXPECT_EQ(p.signal_all(SIGKILL), 2U);
    ASSERT_TRUE(s->wait(5s));
    EXPECT_EQ(last_exit_.term_signal, SIGKILL);
    bool gone = false;
    for (int i = 0; i < 200 && !gone; ++i) {
        gone = p.find().empty();
        if (!gone) std::this_thread::sleep_for(10ms);
    }
    EXPECT_TRUE(gone);
}

TEST_F(PodmanContainerProcesses, SignalReachesOnlyATokenCarrier) {
    const container_processes p("BERTH_TEST_TOKEN", token_);
    auto other = spawn({"sleep", "30"}, {{"BERTH_TEST_TOKEN", "someone-else"}});
    EXPECT_EQ(p.signal(static_cast<pid_t>(other->pid()), SIGTERM), ESRCH);
    EXPECT_FALSE(other->wait(200ms));
    auto mine = spawn({"sleep", "30"}, {{"BERTH_TEST_TOKEN", token_}});
    ASSERT_EQ(wait_for(p, 1).size(), 1U);
    EXPECT_EQ(p.signal(static_cast<pid_t>(mine->pid()), SIGTERM), 0);
    ASSERT_TRUE(mine->wait(5s));
    EXPECT_EQ(last_exit_.term_signal, SIGTERM);
    // A pid that no longer exists.
    EXPECT_EQ(p.signal(static_cast<pid_t>(mine->pid()), SIGTERM), ESRCH);
    other->signal(SIGKILL);
    ASSERT_TRUE(other->wait(5s));
}

}  // namespace
}  // namespace berth::plugins::podman
