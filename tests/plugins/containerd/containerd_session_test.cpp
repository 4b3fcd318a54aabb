// Sessions against the real (private) containerd, in-process through the host: run and exec
// modes, pipes and terminals, stdin EOF, resize, signals, exit status, and what is left after.
#include <gtest/gtest.h>
#include <berth/sdk/worker_pool.hpp>

#include <csignal>
#include <filesystem>
#include <thread>

#include "containerd_test_env.hpp"

namespace berth::test::containerd {
namespace {
using namespace std::chrono_literals;
using json = nlohmann::json;
using registry::session_state;

std::shared_ptr<host::session> open(host::host& h, const json& extra) {
    auto s = h.open_session("containerd", options(extra));
    EXPECT_TRUE(s) << (s ? "" : s.err().message);
    return s ? s.value() : nullptr;
}

registry::session_record ended(const host::session& s) {
    EXPECT_TRUE(s.entry()->wait_ended(30s)) << "session did not end";
    return s.entry()->snapshot();
}

TEST(ContainerdSession, RunModePipesKeepStreamsApartAndPassStdinEof) {
    BERTH_REQUIRE_RUNTIME("ctr");
    auto h = make_host();
    const std::string name = unique_name("berth-t-pipes");
    auto s = open(h, {{"image", test_image()},
                      {"name", name},
                      {"command", {"sh", "-c", "read x; echo got $x; cat; echo err >&2; exit 3"}}});
    ASSERT_TRUE(s);
    EXPECT_TRUE(has_container(name));  // the container runs while the session does
    ASSERT_TRUE(s->write("hi\nrest of input"));
    ASSERT_TRUE(s->close_input());  // cat only ends on EOF
    const auto r = ended(*s);
    EXPECT_EQ(r.state, session_state::exited) << r.reason;
    EXPECT_EQ(r.exit_code, 3);
    EXPECT_EQ(r.term_signal, 0);
    const auto [out, err] = output_of(*s);
    EXPECT_EQ(out, "got hi\nrest of input");
    EXPECT_EQ(err, "err\n");
    // The session's end removed the task, the container and its snapshot.
    EXPECT_FALSE(has_container(name));
    EXPECT_FALSE(has_snapshot(name));
    EXPECT_EQ(process_count(name), 0);
}

TEST(ContainerdSession, RunModeTerminalResizesTheExecProcess) {
    BERTH_REQUIRE_RUNTIME("ctr");
    auto h = make_host();
    const std::string name = unique_name("berth-t-pty");
    auto s = open(h, {{"image", test_image()},
                      {"name", name},
                      {"tty", true},
                      {"rows", 30},
                      {"cols", 100},
                      {"command", {"sh"}}});
    ASSERT_TRUE(s);
    ASSERT_TRUE(wait_for(*s, "# "));  // the shell's prompt: ctr has its terminal in raw mode
    ASSERT_TRUE(s->write("stty size; tty\n"));
    // ctr leaves output post-processing on, so a line ends in \r\r\n.
    EXPECT_TRUE(wait_for(*s, "30 100\\r*\\n")) << output_of(*s).first;
    EXPECT_TRUE(wait_for(*s, "/dev/pts/\\d+")) << output_of(*s).first;
    ASSERT_TRUE(s->resize(40, 120));
    // The resize travels berth -> ctr (SIGWINCH) -> containerd; ask until it has arrived.
    bool resized = false;
    for (int i = 0; i < 20 && !resized; ++i) {
        ASSERT_TRUE(s->write("stty size\n"));
        resized = wait_for(*s, "40 120\\r*\\n", 250ms);
    }
    EXPECT_TRUE(resized) << output_of(*s).first;
    ASSERT_TRUE(s->write("exit 5\n"));
    const auto r = ended(*s);
    EXPECT_EQ(r.exit_code, 5) << r.reason;
    EXPECT_EQ(output_of(*s).second, "");  // a terminal has one stream
    EXPECT_FALSE(has_container(name));
    EXPECT_FALSE(has_snapshot(name));
}

TEST(ContainerdSession, TerminalEofEndsInputEvenRightAtTheStart) {
    BERTH_REQUIRE_RUNTIME("ctr");
    auto h = make_host();
    auto s = open(h, {{"image", test_image()}, {"tty", true}, {"command", {"wc", "-c"}}});
    ASSERT_TRUE(s);
    // At once, before ctr is even connected: the input must still be relayed raw, not cooked
    // by the session's own terminal (which would echo it twice and eat the ^D as ctr's EOF,
    // leaving wc waiting for ever).
    ASSERT_TRUE(s->write("abcd\n"));
    ASSERT_TRUE(s->close_input());  // the terminal's EOF character, at the start of a line
    const auto r = ended(*s);
    EXPECT_EQ(r.exit_code, 0) << r.reason;
    const std::string out = output_of(*s).first;
    EXPECT_TRUE(wait_for(*s, "\\b5\\r*\\n", 1s)) << out;
    EXPECT_EQ(out.find("abcd"), out.rfind("abcd")) << "echoed twice: " << out;
}

TEST(ContainerdSession, ResizeWithoutTerminalIsAStateError) {
    BERTH_REQUIRE_RUNTIME("ctr");
    auto h = make_host();
    auto s = open(h, {{"image", test_image()}, {"command", {"sleep", "30"}}});
    ASSERT_TRUE(s);
    const auto r = s->resize(40, 100);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.err().code, BERTH_ERR_STATE);
    ASSERT_TRUE(s->close(0ms));
}

TEST(ContainerdSession, RunModeEnvUserWorkdirAndLabels) {
    BERTH_REQUIRE_RUNTIME("ctr");
    auto h = make_host();
    const std::string name = unique_name("berth-t-env");
    auto s = open(
        h, {{"image", test_image()},
            {"name", name},
            {"env", {{"GREETING", "hello world"}}},
            {"user", "nobody"},
            {"workdir", "/tmp"},
            {"labels", {{"berth.test", name}}},
            {"memory_limit", "64m"},
            {"cpus", 0.5},
            {"command", {"sh", "-c", "echo \"$GREETING\"; id -u; pwd; echo ready; sleep 30"}}});
    ASSERT_TRUE(s);
    ASSERT_TRUE(wait_for(*s, "ready"));
    EXPECT_EQ(output_of(*s).first, "hello world\n65534\n/tmp\nready\n");
    // Labels: the user's and the plugin's own, by which leftovers can be found.
    EXPECT_EQ(containers_labelled("berth.test", name), std::vector<std::string>{name});
    const auto owned = containers_labelled("berth.plugin", "berth-containerd");
    EXPECT_NE(std::find(owned.begin(), owned.end(), name), owned.end());
    ASSERT_TRUE(s->close(500ms));
    EXPECT_FALSE(has_container(name));
}

TEST(ContainerdSession, ExecModeWithPipes) {
    BERTH_REQUIRE_RUNTIME("ctr");
    scoped_container box;
    auto h = make_host();
    auto s = open(
        h, {{"container", box.id()}, {"command", {"sh", "-c", "cat; echo to-err >&2; exit 4"}}});
    ASSERT_TRUE(s);
    ASSERT_TRUE(s->write("via stdin\n"));
    ASSERT_TRUE(s->close_input());
    const auto r = ended(*s);
    EXPECT_EQ(r.exit_code, 4) << r.reason;
    const auto [out, err] = output_of(*s);
    EXPECT_EQ(out, "via stdin\n");
    EXPECT_EQ(err, "to-err\n");
    // The container is the user's: it still runs, with only its init left in it.
    EXPECT_TRUE(has_container(box.id()));
    EXPECT_EQ(process_count(box.id()), 1);
}

TEST(ContainerdSession, ExecModeOnATerminal) {
    BERTH_REQUIRE_RUNTIME("ctr");
    scoped_container box;
    auto h = make_host();
    auto s = open(h, {{"container", box.id()},
                      {"tty", true},
                      {"rows", 33},
                      {"cols", 91},
                      {"user", "nobody"},
                      {"workdir", "/etc"},
                      {"command", {"sh"}}});
    ASSERT_TRUE(s);
    ASSERT_TRUE(wait_for(*s, "\\$ "));  // nobody's prompt
    ASSERT_TRUE(s->write("stty size; id -u; pwd; exit 9\n"));
    const auto r = ended(*s);
    EXPECT_EQ(r.exit_code, 9) << r.reason;
    EXPECT_TRUE(wait_for(*s, "\\n33 91\\r*\\n65534\\r*\\n/etc\\r*\\n", 1s)) << output_of(*s).first;
    EXPECT_EQ(process_count(box.id()), 1);
}

TEST(ContainerdSession, ExitStatusAndSignalsPassThrough) {
    BERTH_REQUIRE_RUNTIME("ctr");
    scoped_container box;
    auto h = make_host();
    struct expect {
        const char* script;
        std::optional<int> code;
        int signal;
    };
    for (const auto& e : std::initializer_list<expect>{
             {"exit 0", 0, 0}, {"exit 42", 42, 0}, {"kill -KILL $$", std::nullopt, SIGKILL}}) {
        auto s = open(h, {{"container", box.id()}, {"command", {"sh", "-c", e.script}}});
        ASSERT_TRUE(s);
        const auto r = ended(*s);
        EXPECT_EQ(r.state, session_state::exited) << e.script;
        EXPECT_EQ(r.exit_code, e.code) << e.script;
        EXPECT_EQ(r.term_signal, e.signal) << e.script;  // a killed process never reads as 0
    }
}

TEST(ContainerdSession, SignalsReachTheProcessInTheContainer) {
    BERTH_REQUIRE_RUNTIME("ctr");
    scoped_container box;
    auto h = make_host();
    // Caught: the trap's output proves the signal reached the container's process.
    auto caught = open(h, {{"container", box.id()},
                           {"command",
                            {"sh", "-c",
                             "trap 'echo got INT; exit 4' INT; echo ready; "
                             "while :; do sleep 0.1; done"}}});
    ASSERT_TRUE(caught);
    ASSERT_TRUE(wait_for(*caught, "ready"));
    ASSERT_TRUE(caught->signal(SIGINT));
    auto r = ended(*caught);
    EXPECT_EQ(r.exit_code, 4) << r.reason;
    EXPECT_EQ(output_of(*caught).first, "ready\ngot INT\n");

    // Not caught: the process dies of it, and the session says which signal.
    auto term =
        open(h, {{"container", box.id()}, {"command", {"sh", "-c", "echo ready; exec sleep 30"}}});
    ASSERT_TRUE(term);
    ASSERT_TRUE(wait_for(*term, "ready"));
    ASSERT_TRUE(term->signal(SIGTERM));
    r = ended(*term);
    EXPECT_EQ(r.term_signal, SIGTERM);
    EXPECT_FALSE(r.exit_code);

    // SIGKILL cannot be forwarded by ctr; it goes through containerd, and nothing is left.
    auto kill =
        open(h, {{"container", box.id()}, {"command", {"sh", "-c", "echo ready; exec sleep 30"}}});
    ASSERT_TRUE(kill);
    ASSERT_TRUE(wait_for(*kill, "ready"));
    ASSERT_TRUE(kill->signal(SIGKILL));
    r = ended(*kill);
    EXPECT_EQ(r.term_signal, SIGKILL);
    EXPECT_EQ(process_count(box.id()), 1);
}

TEST(ContainerdSession, SignalsOnATerminal) {
    BERTH_REQUIRE_RUNTIME("ctr");
    auto h = make_host();
    const std::string name = unique_name("berth-t-ptysig");
    auto s = open(h, {{"image", test_image()},
                      {"name", name},
                      {"tty", true},
                      {"command",
                       {"sh", "-c",
                        "trap 'echo got USR1' USR1; echo ready; "
                        "while :; do sleep 0.1; done"}}});
    ASSERT_TRUE(s);
    ASSERT_TRUE(wait_for(*s, "ready"));
    ASSERT_TRUE(s->signal(SIGUSR1));
    EXPECT_TRUE(wait_for(*s, "got USR1")) << output_of(*s).first;
    ASSERT_TRUE(s->signal(SIGKILL));
    const auto r = ended(*s);
    EXPECT_EQ(r.term_signal, SIGKILL);
    EXPECT_FALSE(has_container(name));
}

TEST(ContainerdSession, CloseEndsCommandsThatIgnoreSigterm) {
    BERTH_REQUIRE_RUNTIME("ctr");
    scoped_container box;
    auto h = make_host();
    for (const bool tty : {false, true}) {
        auto s = open(
            h,
            {{"container", box.id()},
             {"tty", tty},
             {"command", {"sh", "-c", "trap '' TERM HUP; echo ready; while :; do read x; done"}}});
        ASSERT_TRUE(s);
        ASSERT_TRUE(wait_for(*s, "ready"));
        const auto start = std::chrono::steady_clock::now();
        ASSERT_TRUE(s->close(300ms));
        const auto took = std::chrono::steady_clock::now() - start;
        EXPECT_LT(took, 8s) << "tty=" << tty;
        const auto r = s->entry()->snapshot();
        EXPECT_EQ(r.state, session_state::closed);
        // Only the container's init is left: the exec process did not survive its ctr.
        // (The loop above starts no children, which the init, a plain sleep, would not reap.)
        EXPECT_EQ(process_count(box.id()), 1) << "tty=" << tty;
    }
}

TEST(ContainerdSession, CloseInRunModeRemovesTheContainer) {
    BERTH_REQUIRE_RUNTIME("ctr");
    auto h = make_host();
    const std::string name = unique_name("berth-t-close");
    auto s = open(h, {{"image", test_image()}, {"name", name}, {"command", {"sleep", "30"}}});
    ASSERT_TRUE(s);
    EXPECT_TRUE(has_container(name));
    ASSERT_TRUE(s->close(1s));
    EXPECT_EQ(s->entry()->snapshot().state, session_state::closed);
    EXPECT_FALSE(has_container(name));
    EXPECT_FALSE(has_snapshot(name));
    ASSERT_TRUE(s->close(1s));  // idempotent
}

// An external `ctr task kill -s SIGKILL` of the container ends the session's command with it;
// ctr exits 137 and prints nothing. The record says what happened, with the exact signal.
TEST(ContainerdSession, ExternalKillOfTheRunModeContainerIsTheReason) {
    BERTH_REQUIRE_RUNTIME("ctr");
    auto h = make_host();
    const std::string name = unique_name("berth-t-killed");
    auto s = open(h, {{"image", test_image()},
                      {"name", name},
                      {"command", {"sh", "-c", "echo ready; sleep 600"}}});
    ASSERT_TRUE(s);
    ASSERT_TRUE(wait_for(*s, "ready"));
    const auto kill = ctr({"task", "kill", "-s", "SIGKILL", name});
    ASSERT_EQ(kill.status, 0) << kill.err;
    const auto r = ended(*s);
    EXPECT_EQ(r.state, session_state::exited) << r.reason;
    EXPECT_FALSE(r.exit_code);
    EXPECT_EQ(r.term_signal, SIGKILL);
    EXPECT_EQ(r.reason, "container '" + name +
                            "' stopped while the session ran: the command was killed by "
                            "SIGKILL (signal 9)");
    EXPECT_FALSE(has_container(name));  // cleaned up as after any run-mode session
}

TEST(ContainerdSession, ExternalKillOfTheExecModeContainerIsTheReason) {
    BERTH_REQUIRE_RUNTIME("ctr");
    scoped_container box;
    auto h = make_host();
    auto s = open(h, {{"container", box.id()}, {"command", {"sh", "-c", "echo ready; sleep 600"}}});
    ASSERT_TRUE(s);
    ASSERT_TRUE(wait_for(*s, "ready"));
    const auto kill = ctr({"task", "kill", "-s", "SIGKILL", box.id()});
    ASSERT_EQ(kill.status, 0) << kill.err;
    const auto r = ended(*s);
    EXPECT_EQ(r.state, session_state::exited) << r.reason;
    EXPECT_EQ(r.term_signal, SIGKILL);
    EXPECT_EQ(r.reason, "container '" + box.id() +
                            "' stopped while the session ran: the command was killed by "
                            "SIGKILL (signal 9)");
}

TEST(ContainerdSession, AKilledCommandInARunningContainerSaysSo) {
    BERTH_REQUIRE_RUNTIME("ctr");
    scoped_container box;
    auto h = make_host();
    auto s = open(h, {{"container", box.id()}, {"command", {"sh", "-c", "echo ready; sleep 600"}}});
    ASSERT_TRUE(s);
    ASSERT_TRUE(wait_for(*s, "ready"));
    ASSERT_TRUE(s->signal(SIGKILL));
    const auto r = ended(*s);
    EXPECT_EQ(r.term_signal, SIGKILL);
    EXPECT_EQ(r.reason, "the command was killed by SIGKILL (signal 9)");
    EXPECT_EQ(process_count(box.id()), 1);  // the container runs on
}

// Sessions share the plugin's threads (the SDK's event loop and a worker pool of at most
// k_default_threads): eight at once add no thread of their own, and releasing ended ones keeps
// their record.
TEST(ContainerdSession, SessionsShareThePluginsThreadsAndReleaseKeepsTheirRecords) {
    BERTH_REQUIRE_RUNTIME("ctr");
    scoped_container box;
    auto h = make_host();
    const auto threads = [] {
        std::size_t n = 0;
        for ([[maybe_unused]] const auto& e :
             std::filesystem::directory_iterator("/proc/self/task"))
            ++n;
        return n;
    };
    // One session first: the plugin's own threads (its event loop) start with it.
    auto first = open(h, {{"container", box.id()}, {"command", {"true"}}});
    ASSERT_TRUE(first);
    (void)ended(*first);
    (void)h.release_ended_sessions();
    const std::size_t before = threads();

    // The pool may grow to its bound while sessions end together; never past it.
    const std::size_t bound = before + sdk::worker_pool::k_default_threads - 1;
    std::vector<std::shared_ptr<host::session>> sessions;
    for (int i = 0; i < 8; ++i) {
        // The pause: ctr may drop the output of an exec that ends at once (not what this
        // test is about), and the eight run together.
        auto s = open(
            h, {{"container", box.id()}, {"command", {"sh", "-c", "echo $((6*7)); sleep 0.5"}}});
        ASSERT_TRUE(s);
        sessions.push_back(std::move(s));
    }
    EXPECT_LE(threads(), bound);  // eight running sessions
    for (const auto& s : sessions) (void)ended(*s);
    EXPECT_LE(threads(), bound);
    EXPECT_EQ(h.release_ended_sessions(), sessions.size());
    EXPECT_LE(threads(), bound);
    for (const auto& s : sessions) {
        EXPECT_TRUE(s->released());
        EXPECT_EQ(output_of(*s).first, "42\n");
        EXPECT_EQ(s->entry()->snapshot().exit_code, 0);
        const auto w = s->write("x");
        ASSERT_FALSE(w);
        EXPECT_EQ(w.err().message, "session " + s->id() + " has ended");
    }
}

}  // namespace
}  // namespace berth::test::containerd
