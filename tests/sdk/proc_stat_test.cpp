// The SDK's /proc utilities against real processes: a child's stat, the children of a process,
// and signalling only a process that is still the child it was.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <berth/sdk/proc_stat.hpp>

#include <algorithm>
#include <chrono>
#include <thread>

namespace berth::sdk {
namespace {

// A child that sleeps until killed; reaped by the destructor.
struct sleeping_child {
    pid_t pid = ::fork();
    sleeping_child() {
        if (pid == 0) {
            ::pause();
            ::_exit(0);
        }
    }
    ~sleeping_child() {
        ::kill(pid, SIGKILL);
        int status = 0;
        (void)::waitpid(pid, &status, 0);
    }
};

TEST(ProcStat, ReadsAChildsParentAndStateAndNothingForNoProcess) {
    const sleeping_child child;
    ASSERT_GT(child.pid, 0);
    const auto st = read_proc_stat(child.pid);
    ASSERT_TRUE(st);
    EXPECT_EQ(st->parent, ::getpid());
    EXPECT_FALSE(st->gone());
    EXPECT_GT(st->start_ticks, 0U);
    EXPECT_FALSE(read_proc_stat(-1));
    EXPECT_FALSE(read_proc_stat(1, "/nonexistent-proc"));
}

TEST(ProcStat, ChildrenAndSignallingOnlyWhileStillTheChild) {
    const sleeping_child child;
    const auto kids = child_pids(::getpid());
    EXPECT_NE(std::find(kids.begin(), kids.end(), child.pid), kids.end());
    // Not the child of pid 1: refused, nothing sent.
    EXPECT_EQ(signal_child(1, child.pid, SIGTERM), ESRCH);
    EXPECT_EQ(signal_child(::getpid(), child.pid, SIGTERM), 0);
    for (int i = 0; i < 200; ++i) {
        const auto st = read_proc_stat(child.pid);
        if (st && st->gone()) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    const auto st = read_proc_stat(child.pid);
    ASSERT_TRUE(st);
    EXPECT_TRUE(st->gone());  // a zombie until reaped
    EXPECT_EQ(signal_child(::getpid(), child.pid, SIGTERM), ESRCH);
}

}  // namespace
}  // namespace berth::sdk
