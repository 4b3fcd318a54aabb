// Sessions in real LXC containers through the host library: every mode, pipes and terminal,
// stdin EOF, resize, signals, exit status and what is left afterwards.
#include <berth/sdk/worker_pool.hpp>

#include <csignal>
#include <filesystem>

#include "lxc_fixture.hpp"

namespace berth::test::lxc {
namespace {

using registry::session_state;

TEST_F(LxcAttachTest, PipesKeepStreamsApartAndPassTheExitCode) {
    const auto end = run(attach({"sh", "-c", "echo out; echo err >&2; exit 5"}));
    EXPECT_EQ(end.record.state, session_state::exited) << end.record.reason;
    EXPECT_EQ(end.record.exit_code, 5);
    EXPECT_EQ(end.record.term_signal, 0);
    EXPECT_EQ(end.out, "out\n");
    EXPECT_EQ(end.err, "err\n");
}

TEST_F(LxcAttachTest, StdinEndReachesTheCommand) {
    const auto end = run(attach({"cat"}), "line one\nline two\n");
    EXPECT_EQ(end.record.exit_code, 0) << end.record.reason << end.err;
    EXPECT_EQ(end.out, "line one\nline two\n");
}

TEST_F(LxcAttachTest, AllOutputComesBeforeTheExit) {
    const auto end = run(attach({"sh", "-c", "seq 1 20000; exit 3"}));
    EXPECT_EQ(end.record.exit_code, 3);
    ASSERT_GT(end.out.size(), 100U);
    EXPECT_EQ(end.out.substr(end.out.size() - 6), "20000\n");
    EXPECT_EQ(end.out.substr(0, 2), "1\n");
}

TEST_F(LxcAttachTest, CommandThatCannotRunExits127Or126) {
    auto end = run(attach({"berth-no-such-command"}));
    EXPECT_EQ(end.record.state, session_state::exited) << end.record.reason;
    EXPECT_EQ(end.record.exit_code, 127);
    end = run(attach({"/etc/passwd"}));
    EXPECT_EQ(end.record.exit_code, 126);
}

TEST_F(LxcAttachTest, StartsInTheRootDirectoryNotTheHostsCwd) {
    const auto end = run(attach({"pwd"}));
    EXPECT_EQ(end.out, "/\n");
}

TEST_F(LxcAttachTest, SetsAndClearsTheEnvironment) {
    auto options = attach({"sh", "-c", "echo \"$A|$B\""});
    options["env"] = {{"A", "1"}, {"B", "x y"}};
    EXPECT_EQ(run(options).out, "1|x y\n");

    // lxc-attach passes on its own environment (the host's) unless --clear-env.
    ::setenv("BERTH_LXC_KEEP", "kept", 1);
    ::setenv("BERTH_LXC_DROP", "dropped", 1);
    options = attach({"env"});
    options["clear_env"] = true;
    options["keep_vars"] = {"BERTH_LXC_KEEP"};
    options["env"] = {{"SET", "yes"}};
    const auto end = run(options);
    EXPECT_NE(end.out.find("BERTH_LXC_KEEP=kept\n"), std::string::npos) << end.out;
    EXPECT_NE(end.out.find("SET=yes\n"), std::string::npos) << end.out;
    EXPECT_EQ(end.out.find("BERTH_LXC_DROP"), std::string::npos) << end.out;
    options.erase("clear_env");
    options.erase("keep_vars");
    EXPECT_NE(run(options).out.find("BERTH_LXC_DROP=dropped\n"), std::string::npos);
}

TEST_F(LxcAttachTest, NumericUidAndGid) {
    auto options = attach({"sh", "-c", "id -u; id -g"});
    options["uid"] = 65534;
    options["gid"] = 65534;
    const auto end = run(options);
    EXPECT_EQ(end.out, "65534\n65534\n") << end.err;
}

TEST_F(LxcAttachTest, ChosenNamespacesAndPrivileges) {
    // Only the UTS namespace: the hostname is the container's, the files are the host's.
    auto options = attach({"sh", "-c", "hostname; test -d /work/main && echo host-files"});
    options["namespaces"] = "UTSNAME";
    auto end = run(options);
    EXPECT_EQ(end.record.exit_code, 0) << end.err;
    EXPECT_EQ(end.out, container_->name() + "\nhost-files\n");

    options = attach({"id", "-u"});
    options["elevated_privileges"] = "ALL";  // the bare --elevated-privileges
    end = run(options);
    EXPECT_EQ(end.record.exit_code, 0) << end.err;
    EXPECT_EQ(end.out, "0\n");

    options = attach({"sh", "-c", "hostname"});
    options["namespaces"] = "UTSNAME|PID";
    options["remount_sys_proc"] = true;
    options["elevated_privileges"] = "CAP|CGROUP";
    end = run(options);
    EXPECT_EQ(end.record.exit_code, 0) << end.err;
    EXPECT_EQ(end.out, container_->name() + "\n");
}

TEST_F(LxcAttachTest, TerminalStartsAtItsSizeAndFollowsResizes) {
    auto options = attach({"sh", "-c", "stty size; read line; stty size; exit 4"});
    options["tty"] = true;
    options["rows"] = 30;
    options["cols"] = 90;
    auto s = open(options);
    ASSERT_TRUE(s);
    ASSERT_TRUE(wait_for(s, "30 90")) << s->entry()->read(0, 4096).joined();
    ASSERT_TRUE(s->resize(41, 101));
    ASSERT_TRUE(s->write("\n"));
    EXPECT_TRUE(wait_for(s, "41 101")) << s->entry()->read(0, 4096).joined();
    const auto end = finish(s);
    EXPECT_EQ(end.record.exit_code, 4);
    EXPECT_TRUE(end.err.empty());  // a terminal merges the streams
}

TEST_F(LxcAttachTest, LoginShellOnATerminalWithCtrlC) {
    auto options = json{{"container", container_->name()}, {"tty", true}};  // no command
    auto s = open(options);
    ASSERT_TRUE(s);
    ASSERT_TRUE(s->write("sleep 600\n"));
    // Wait until the sleep runs: the terminal echoes the line.
    ASSERT_TRUE(wait_for(s, "sleep 600"));
    std::this_thread::sleep_for(200ms);
    ASSERT_TRUE(s->write("\x03"));  // Ctrl-C: SIGINT to the foreground job in the container
    ASSERT_TRUE(s->write("echo after-$((40+2))\n"));
    EXPECT_TRUE(wait_for(s, "after-42", 10s)) << s->entry()->read(0, 8192).joined();
    ASSERT_TRUE(s->write("exit 7\n"));
    const auto end = finish(s, 20s);
    EXPECT_EQ(end.record.exit_code, 7) << end.record.reason;
}

TEST_F(LxcAttachTest, StdinEndOnATerminal) {
    auto options = attach({"cat"});
    options["tty"] = true;
    auto s = open(options);
    ASSERT_TRUE(s);
    ASSERT_TRUE(s->write("hello\n"));
    ASSERT_TRUE(s->close_input());
    const auto end = finish(s, 20s);
    EXPECT_EQ(end.record.exit_code, 0) << end.record.reason;
    EXPECT_NE(end.out.find("hello"), std::string::npos);
}

// The trap runs after the current `sleep 0.1`, so the command answers within a moment.
constexpr const char* k_trapper =
    "trap 'echo got-term; exit 9' TERM; echo ready; while :; do sleep 0.1; done";

TEST_F(LxcAttachTest, SignalReachesTheCommand) {
    auto s = open(attach({"sh", "-c", k_trapper}));
    ASSERT_TRUE(s);
    ASSERT_TRUE(wait_for(s, "ready"));
    ASSERT_TRUE(s->signal(SIGTERM));
    const auto end = finish(s, 20s);
    EXPECT_EQ(end.record.state, session_state::exited) << end.record.reason;
    EXPECT_EQ(end.record.exit_code, 9);
    EXPECT_EQ(end.out, "ready\ngot-term\n");
}

TEST_F(LxcAttachTest, SignalReachesTheCommandOnATerminal) {
    auto options = attach({"sh", "-c", k_trapper});
    options["tty"] = true;
    auto s = open(options);
    ASSERT_TRUE(s);
    ASSERT_TRUE(wait_for(s, "ready"));
    ASSERT_TRUE(s->signal(SIGTERM));
    const auto end = finish(s, 20s);
    EXPECT_EQ(end.record.exit_code, 9) << end.record.reason;
    EXPECT_NE(end.out.find("got-term"), std::string::npos);
}

TEST_F(LxcAttachTest, KilledCommandNeverReadsAsSuccess) {
    auto s = open(attach({"sh", "-c", "echo ready; exec sleep 600"}));
    ASSERT_TRUE(s);
    ASSERT_TRUE(wait_for(s, "ready"));
    ASSERT_TRUE(s->signal(SIGKILL));
    const auto end = finish(s, 20s);
    // lxc-attach reports a command killed by signal N as exit status 128+N; the plugin reads
    // it as the signal, as every runtime reports it.
    EXPECT_EQ(end.record.state, session_state::exited) << end.record.reason;
    EXPECT_EQ(end.record.term_signal, SIGKILL)
        << "exit code " << end.record.exit_code.value_or(-1) << ": " << end.record.reason;
    EXPECT_FALSE(end.record.exit_code);
    EXPECT_EQ(state_of(container_->name()), "RUNNING");
}

TEST_F(LxcAttachTest, CloseEndsTheCommandButNotTheContainer) {
    auto s = open(attach({"sh", "-c", "echo ready; exec sleep 987654"}));
    ASSERT_TRUE(s);
    ASSERT_TRUE(wait_for(s, "ready"));
    const auto t0 = std::chrono::steady_clock::now();
    ASSERT_TRUE(s->close(5s));
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 4s);  // SIGTERM did it, not SIGKILL
    EXPECT_EQ(s->entry()->snapshot().state, session_state::closed);
    EXPECT_EQ(state_of(container_->name()), "RUNNING");
    const auto ps = tool({"lxc-attach", "-n", container_->name(), "--", "ps"});
    EXPECT_EQ(ps.out.find("987654"), std::string::npos) << ps.out;
    ASSERT_TRUE(s->close(1s));  // idempotent
}

TEST_F(LxcAttachTest, CloseHangsUpAShellOnATerminal) {
    auto options = json{{"container", container_->name()}, {"tty", true}};
    auto s = open(options);
    ASSERT_TRUE(s);
    ASSERT_TRUE(s->write("echo up-$((1+1))\n"));
    ASSERT_TRUE(wait_for(s, "up-2"));
    const auto t0 = std::chrono::steady_clock::now();
    ASSERT_TRUE(s->close(5s));
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 4s);  // the hang-up ended it
    EXPECT_EQ(state_of(container_->name()), "RUNNING");
}

TEST_F(LxcTest, EphemeralCopyRunsAndVanishes) {
    const auto end =
        run({{"template", lxc_template()}, {"command", {"sh", "-c", "hostname; echo hi; exit 5"}}});
    EXPECT_EQ(end.record.state, session_state::exited) << end.record.reason;
    EXPECT_EQ(end.record.exit_code, 5);
    const auto name = end.out.substr(0, end.out.find('\n'));
    EXPECT_TRUE(RE2::FullMatch(name, "berth-[0-9a-f]{12}")) << end.out;
    EXPECT_EQ(end.out.substr(name.size()), "\nhi\n");
    EXPECT_EQ(state_of(name), "MISSING");
    EXPECT_EQ(state_of(lxc_template()), "STOPPED");
}

TEST_F(LxcTest, ClosingAnEphemeralSessionRemovesTheCopy) {
    auto s = open({{"template", lxc_template()},
                   {"tty", true},
                   {"command", {"sh", "-c", "hostname; exec sleep 600"}}});
    ASSERT_TRUE(s);
    ASSERT_TRUE(wait_for(s, "berth-[0-9a-f]{12}"));
    std::string name;
    ASSERT_TRUE(
        RE2::PartialMatch(s->entry()->read(0, 4096).joined(), "(berth-[0-9a-f]{12})", &name));
    EXPECT_EQ(state_of(name), "RUNNING");
    ASSERT_TRUE(s->close(2s));
    EXPECT_EQ(state_of(name), "MISSING");
}

TEST_F(LxcTest, EphemeralCopyStoppedUnderTheSessionFailsIt) {
    auto s = open({{"template", lxc_template()}, {"command", {"sh", "-c", "hostname; sleep 600"}}});
    ASSERT_TRUE(s);
    ASSERT_TRUE(wait_for(s, "berth-[0-9a-f]{12}\n"));
    std::string name;
    ASSERT_TRUE(
        RE2::PartialMatch(s->entry()->read(0, 4096).joined(), "(berth-[0-9a-f]{12})", &name));
    ASSERT_EQ(tool({"lxc-stop", "-k", "-n", name}).status, 0);
    const auto end = finish(s, 20s);
    EXPECT_EQ(end.record.state, session_state::failed)
        << "exit " << end.record.exit_code.value_or(-1) << " signal " << end.record.term_signal
        << " out " << end.out << " err " << end.err;
    EXPECT_NE(end.record.reason.find("stopped while the session ran"), std::string::npos)
        << end.record.reason;
    EXPECT_EQ(state_of(name), "MISSING");
}

TEST_F(LxcTest, ExplicitLxcpathReachesEveryTool) {
    auto lxcpath = tool({"lxc-config", "lxc.lxcpath"}).out;
    lxcpath.erase(lxcpath.find_last_not_of(" \n") + 1);
    const auto end = run({{"template", lxc_template()},
                          {"lxcpath", lxcpath},
                          {"command", {"sh", "-c", "hostname; exit 2"}}});
    EXPECT_EQ(end.record.exit_code, 2) << end.record.reason;
    const auto name = end.out.substr(0, end.out.find('\n'));
    EXPECT_TRUE(RE2::FullMatch(name, "berth-[0-9a-f]{12}")) << end.out;
    EXPECT_EQ(state_of(name), "MISSING");

    // Under another lxcpath the template does not exist.
    const auto e = open_error({{"template", lxc_template()},
                               {"lxcpath", "/nonexistent/berth-lxcpath"},
                               {"command", {"true"}}});
    EXPECT_EQ(e.code, BERTH_ERR_NOT_FOUND) << e.message;
}

TEST_F(LxcTest, GracefulStopTimeoutStillRemovesTheCopy) {
    // busybox init does not shut down on lxc-stop's request: lxc-stop kills after the timeout.
    const auto t0 = std::chrono::steady_clock::now();
    const auto end =
        run({{"template", lxc_template()}, {"stop_timeout", 1}, {"command", {"hostname"}}});
    EXPECT_EQ(end.record.exit_code, 0) << end.record.reason;
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 20s);
    const auto name = end.out.substr(0, end.out.find('\n'));
    EXPECT_TRUE(RE2::FullMatch(name, "berth-[0-9a-f]{12}")) << end.out;
    EXPECT_EQ(state_of(name), "MISSING");
}

TEST_F(LxcTest, CreateModeDestroysOnClose) {
    const auto name = unique_name("create");
    const auto end = run({{"name", name},
                          {"lxc_template", "busybox"},
                          {"config_file", lxc_config()},
                          {"destroy_on_close", true},
                          {"command", {"sh", "-c", "hostname; exit 4"}}});
    EXPECT_EQ(end.record.state, session_state::exited) << end.record.reason;
    EXPECT_EQ(end.record.exit_code, 4);
    EXPECT_EQ(end.out, name + "\n");
    EXPECT_EQ(state_of(name), "MISSING");
}

TEST_F(LxcTest, CreateModeKeepsTheContainerByDefault) {
    const auto name = unique_name("keep");
    const auto end = run({{"name", name},
                          {"lxc_template", "busybox"},
                          {"config_file", lxc_config()},
                          {"command", {"true"}}});
    EXPECT_EQ(end.record.exit_code, 0) << end.record.reason;
    EXPECT_EQ(state_of(name), "RUNNING");
    remove_container(name);
    EXPECT_EQ(state_of(name), "MISSING");
}

TEST_F(LxcTest, EnsureRunningStartsAStoppedContainer) {
    scratch_container stopped(scratch_container::kind::stopped);
    ASSERT_TRUE(stopped.ok()) << stopped.error();
    ASSERT_EQ(state_of(stopped.name()), "STOPPED");
    const auto end =
        run({{"container", stopped.name()}, {"ensure_running", true}, {"command", {"echo", "up"}}});
    EXPECT_EQ(end.record.exit_code, 0) << end.record.reason;
    EXPECT_EQ(end.out, "up\n");
    EXPECT_EQ(state_of(stopped.name()), "RUNNING");  // it stays running, as documented
}

// Sessions share the plugin's threads (the SDK's event loop and a worker pool of at most
// k_default_threads): eight at once add no thread of their own, and releasing ended ones keeps
// their record and output.
TEST_F(LxcAttachTest, SessionsShareThePluginsThreadsAndReleaseKeepsTheirRecords) {
    const auto threads = [] {
        std::size_t n = 0;
        for ([[maybe_unused]] const auto& e :
             std::filesystem::directory_iterator("/proc/self/task"))
            ++n;
        return n;
    };
    // One session first: the plugin's own threads (its event loop) start with it.
    (void)finish(open(attach({"true"})));
    (void)host_->release_ended_sessions();
    const std::size_t before = threads();

    // The pool may grow to its bound while sessions end together; never past it.
    const std::size_t bound = before + sdk::worker_pool::k_default_threads - 1;
    std::vector<std::shared_ptr<host::session>> sessions;
    for (int i = 0; i < 8; ++i) {
        auto s = open(attach({"sh", "-c", "echo $((6*7)); sleep 0.3"}));
        ASSERT_TRUE(s);
        sessions.push_back(std::move(s));
    }
    EXPECT_LE(threads(), bound);  // eight running sessions
    for (const auto& s : sessions) EXPECT_EQ(finish(s).record.exit_code, 0);
    EXPECT_LE(threads(), bound);
    EXPECT_EQ(host_->release_ended_sessions(), sessions.size());
    EXPECT_LE(threads(), bound);
    for (const auto& s : sessions) {
        EXPECT_TRUE(s->released());
        EXPECT_EQ(finish(s).out, "42\n");
        EXPECT_EQ(host_->find_session(s->id()), s);
    }
}

}  // namespace
}  // namespace berth::test::lxc
