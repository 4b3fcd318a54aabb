// The SDK's /proc utilities against real processes: a child's stat, the children of a process,
// and signalling only a process that is still the child it was.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <berth/sdk/proc_stat.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
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

// A fake /proc holding pid 42's status, rewritten by each call; removed by the destructor.
struct fake_proc {
    const std::filesystem::path root =
        std::filesystem::temp_directory_path() / ("berth-proc-" + std::to_string(::getpid()));
    ~fake_proc() {
        std::error_code ec;
        std::filesystem::remove_all(root, ec);
    }
    std::filesystem::path status(const std::string& nspid, const std::string& blocked,
                                 const std::string& caught) const;
};

std::filesystem::path fake_proc::status(const std::string& nspid, const std::string& blocked,
                                        const std::string& caught) const {
    std::filesystem::create_directories(root / "42");
    std::ofstream(root / "42" / "status")
        << "Name:\tsh\nNSpid:\t" << nspid << "\nSigQ:\t0/100\nSigPnd:\t0000000000000000\n"
        << "SigBlk:\t" << blocked << "\nSigIgn:\t0000000000000000\nSigCgt:\t" << caught << "\n";
    return root;
}

TEST(ProcStat, OnlyANamespaceInitThatNeitherHandlesNorBlocksASignalWouldDropIt) {
    const std::string none = "0000000000000000";
    const auto usr1 = std::string("0000000000000200");  // bit 9 = signal 10
    const fake_proc proc;
    const auto fake_status = [&proc](auto... a) { return proc.status(a...); };
    EXPECT_TRUE(init_would_drop(42, SIGUSR1, fake_status("4711\t1", none, none)));
    EXPECT_FALSE(init_would_drop(42, SIGUSR1, fake_status("4711\t1", none, usr1)));
    EXPECT_FALSE(init_would_drop(42, SIGUSR1, fake_status("4711\t1", usr1, none)));
    EXPECT_TRUE(init_would_drop(42, SIGTERM, fake_status("4711\t1", usr1, usr1)));
    // Always delivered from outside.
    EXPECT_FALSE(init_would_drop(42, SIGKILL, fake_status("4711\t1", none, none)));
    // Not an init: the default action applies.
    EXPECT_FALSE(init_would_drop(42, SIGUSR1, fake_status("4711\t7", none, none)));
    EXPECT_FALSE(init_would_drop(42, SIGUSR1, fake_status("4711", none, none)));
    // The host's own init, seen from the host.
    EXPECT_FALSE(init_would_drop(42, SIGUSR1, "/nonexistent-proc"));
    EXPECT_FALSE(init_would_drop(::getpid(), SIGUSR1));
}

TEST(ProcStat, AgeOfAFreshChildIsSmallAndOfInitLarge) {
    const sleeping_child child;
    const auto st = read_proc_stat(child.pid);
    ASSERT_TRUE(st);
    EXPECT_LT(process_age(*st), std::chrono::seconds(5));
    const auto init = read_proc_stat(1);
    ASSERT_TRUE(init);
    EXPECT_GE(process_age(*init), process_age(*st));
}

}  // namespace
}  // namespace berth::sdk
