// ctr's error lines (recorded from ctr 1.6.20) -> status, message and session exit.
#include <gtest/gtest.h>

#include <csignal>

#include "containerd_errors.hpp"
#include "containerd_output.hpp"

namespace berth::plugins::containerd {
namespace {

session_config run_config() {
    environment_defaults d;
    d.address = "/run/c.sock";
    d.ns = "berth";
    return read_options(
        R"({"image":"localhost/bb:1","command":["sh"],"user":"bob","workdir":"/w"})", d);
}

session_config exec_config() {
    environment_defaults d;
    d.address = "/run/c.sock";
    d.ns = "berth";
    return read_options(
        R"({"container":"web","command":["nosuchcmd","-x"],"user":"bob","workdir":"/w"})", d);
}

TEST(ContainerdErrors, FindsTheLastCtrLine) {
    EXPECT_EQ(ctr_error_line("ctr: image \"x\": not found\n"), "image \"x\": not found");
    EXPECT_EQ(ctr_error_line("some output\nctr: boom\r\n\r\n"), "boom");
    // ctr's own log lines after the error do not hide it.
    EXPECT_EQ(ctr_error_line("ctr: boom\ntime=\"2026\" level=warning msg=\"x\"\n"), "boom");
    EXPECT_EQ(ctr_error_line("ctr: boom\r\n\x1b[31mERRO\x1b[0m[0000] resize pty\r\n"), "boom");
    // Output of the command after ctr's line means the line is not ctr's last word.
    EXPECT_EQ(ctr_error_line("ctr: not really\nthe command went on\n"), "");
    EXPECT_EQ(ctr_error_line(""), "");
    EXPECT_EQ(ctr_error_line("plain error\n"), "");
}

struct recorded {
    const char* line;
    ctr_phase phase;
    failure_kind kind;
    berth_status status;
    const char* message_part;
};

TEST(ContainerdErrors, ClassifiesEveryErrorClass) {
    const auto run = run_config();
    const auto exec = exec_config();
    for (const auto& r : std::initializer_list<recorded>{
             {"failed to dial \"/run/c.sock\": context deadline exceeded: connection error",
              ctr_phase::run, failure_kind::daemon_unreachable, BERTH_ERR_UNAVAILABLE,
              "containerd is not answering on /run/c.sock (gave up after 2s)"},
             {"rpc error: code = Unavailable desc = transport is closing", ctr_phase::exec,
              failure_kind::connection_lost, BERTH_ERR_UNAVAILABLE,
              "lost the connection to containerd at /run/c.sock"},
             {"image \"localhost/bb:1\": not found", ctr_phase::run, failure_kind::image_not_found,
              BERTH_ERR_NOT_FOUND,
              "image 'localhost/bb:1' not found in containerd namespace 'berth' at /run/c.sock"},
             {"container \"web\" in namespace \"berth\": not found", ctr_phase::exec,
              failure_kind::container_not_found, BERTH_ERR_NOT_FOUND,
              "container 'web' not found in containerd namespace 'berth' at /run/c.sock"},
             {"no running task found: task web not found: not found", ctr_phase::exec,
              failure_kind::task_not_running, BERTH_ERR_STATE,
              "container 'web' in containerd namespace 'berth' at /run/c.sock is not running"},
             {"snapshot \"box\": already exists", ctr_phase::run, failure_kind::already_exists,
              BERTH_ERR_STATE, "container id 'box' is already taken"},
             {"container \"box\": already exists", ctr_phase::run, failure_kind::already_exists,
              BERTH_ERR_STATE, "choose another 'name'"},
             {"OCI runtime exec failed: exec failed: unable to start container process: exec: "
              "\"nosuchcmd\": executable file not found in $PATH: unknown",
              ctr_phase::exec, failure_kind::command_not_found, BERTH_ERR_NOT_FOUND,
              "command not found in the container: nosuchcmd"},
             {"OCI runtime exec failed: exec failed: unable to start container process: exec: "
              "\"/nonexist\": stat /nonexist: no such file or directory: unknown",
              ctr_phase::exec, failure_kind::command_not_found, BERTH_ERR_NOT_FOUND,
              "command not found in the container: /nonexist"},
             {"OCI runtime exec failed: exec failed: unable to start container process: exec: "
              "\"/etc\": permission denied: unknown",
              ctr_phase::exec, failure_kind::command_not_executable, BERTH_ERR_PERMISSION,
              "command not executable in the container: /etc"},
             {"failed to create shim task: OCI runtime create failed: runc create failed: unable "
              "to start container process: exec: \"sleep\": executable file not found in $PATH: "
              "unknown",
              ctr_phase::run, failure_kind::command_not_found, BERTH_ERR_INVALID_ARGUMENT,
              "the container's init 'sleep' was not found in image 'localhost/bb:1': set 'init'"},
             {"OCI runtime exec failed: exec failed: unable to start container process: chdir to "
              "cwd (\"/w\") set in config.json failed: no such file or directory: unknown",
              ctr_phase::exec, failure_kind::workdir_not_found, BERTH_ERR_INVALID_ARGUMENT,
              "working directory '/w' (option 'workdir')"},
             {"mount callback failed on /tmp/containerd-mount1: no users found", ctr_phase::exec,
              failure_kind::user_not_found, BERTH_ERR_INVALID_ARGUMENT,
              "user 'bob' (option 'user') is not known in the container"},
             {"snapshotter not loaded: nosuch: invalid argument", ctr_phase::run,
              failure_kind::snapshotter_not_loaded, BERTH_ERR_INVALID_ARGUMENT,
              "snapshotter 'overlayfs' (option 'snapshotter') is not loaded"},
             {"failed to start shim: failed to resolve runtime path: runtime \"io.nosuch.v1\" "
              "binary not installed \"containerd-shim-nosuch-v1\": file does not exist: unknown",
              ctr_phase::run, failure_kind::runtime_not_installed, BERTH_ERR_INVALID_ARGUMENT,
              "containerd cannot start runtime 'io.containerd.runc.v2' (option 'runtime')"},
             {"failed to create shim task: OCI runtime create failed: runc create failed: unable "
              "to start container process: error during container init: error mounting "
              "\"/nonexist\" to rootfs at \"/share\": stat /nonexist: no such file or directory: "
              "unknown",
              ctr_phase::run, failure_kind::mount_failed, BERTH_ERR_INVALID_ARGUMENT,
              "a mount (option 'mounts') failed"},
             {"process does not exist berth-1: not found", ctr_phase::other,
              failure_kind::process_not_found, BERTH_ERR_STATE, "no longer runs"},
             {"something new", ctr_phase::exec, failure_kind::other, BERTH_ERR_RUNTIME,
              "ctr failed: something new"},
         }) {
        const auto& c = r.phase == ctr_phase::run ? run : exec;
        const std::string id = r.phase == ctr_phase::run ? "box" : "web";
        const auto f = classify(r.line, r.phase, c, id);
        EXPECT_EQ(f.kind, r.kind) << r.line;
        EXPECT_EQ(f.status, r.status) << r.line;
        EXPECT_NE(f.message.find(r.message_part), std::string::npos)
            << r.line << "\n  got: " << f.message;
    }
}

TEST(ContainerdErrors, SessionExitPassesCodesThrough) {
    const auto c = exec_config();
    auto s = session_exit(0, 0, "", c, "web");
    EXPECT_EQ(s.exit_code, 0);
    EXPECT_EQ(s.term_signal, 0);
    EXPECT_FALSE(s.failed);
    s = session_exit(7, 0, "some stderr\n", c, "web");
    EXPECT_EQ(s.exit_code, 7);
    // A command's own exit 1 is not a ctr failure.
    s = session_exit(1, 0, "grep: no match\n", c, "web");
    EXPECT_EQ(s.exit_code, 1);
    EXPECT_FALSE(s.failed);
    EXPECT_TRUE(s.reason.empty());
}

TEST(ContainerdErrors, SessionExitReportsSignals) {
    const auto c = exec_config();
    // containerd folds "killed by signal N" into 128+N.
    auto s = session_exit(143, 0, "", c, "web");
    EXPECT_EQ(s.exit_code, -1);
    EXPECT_EQ(s.term_signal, SIGTERM);
    s = session_exit(137, 0, "", c, "web");
    EXPECT_EQ(s.term_signal, SIGKILL);
    EXPECT_EQ(s.reason, "the command was killed by SIGKILL (signal 9)");
    // ctr itself killed.
    s = session_exit(-1, SIGKILL, "", c, "web");
    EXPECT_EQ(s.term_signal, SIGKILL);
    EXPECT_EQ(s.exit_code, -1);
    EXPECT_EQ(s.reason, "ctr was ended by SIGKILL (signal 9)");
    // Beyond the standard signals it stays a code.
    s = session_exit(200, 0, "", c, "web");
    EXPECT_EQ(s.exit_code, 200);
    EXPECT_EQ(s.term_signal, 0);
}

TEST(ContainerdErrors, SignalsHaveNames) {
    EXPECT_EQ(signal_text(SIGKILL), "SIGKILL (signal 9)");
    EXPECT_EQ(signal_text(SIGTERM), "SIGTERM (signal 15)");
    EXPECT_EQ(signal_text(0), "signal 0");
}

TEST(ContainerdErrors, TaskStatusIsReadFromTheTasksTable) {
    const std::string table =
        "TASK                 PID      STATUS    \n"
        "berth-0123456789ab   23776    STOPPED    \n"
        "web                  1200     RUNNING    \n"
        "web2                 1300     PAUSED\n";
    EXPECT_EQ(task_status(table, "web"), "RUNNING");
    EXPECT_EQ(task_status(table, "berth-0123456789ab"), "STOPPED");
    EXPECT_EQ(task_status(table, "web2"), "PAUSED");
    EXPECT_EQ(task_status(table, "we"), "");
    EXPECT_EQ(task_status(table, "TASK"), "");  // the header is no task
    EXPECT_EQ(task_status("", "web"), "");
}

// An external `ctr task kill -s SIGKILL` of the container: the exec'd command dies with it,
// ctr exits 137 and prints nothing. The reason says what happened; the signal stays exact.
TEST(ContainerdErrors, AKilledContainerIsTheReasonOfItsCommandsSignal) {
    const auto c = exec_config();
    const std::string table = "TASK    PID    STATUS\nweb     12     STOPPED\n";
    auto s = session_exit(137, 0, "", c, "web");
    explain_signal(s, table, "web");
    EXPECT_EQ(s.term_signal, SIGKILL);
    EXPECT_EQ(s.exit_code, -1);
    EXPECT_FALSE(s.failed);
    EXPECT_EQ(s.reason,
              "container 'web' stopped while the session ran: the command was killed by "
              "SIGKILL (signal 9)");

    s = session_exit(137, 0, "", c, "web");
    explain_signal(s, "TASK    PID    STATUS\n", "web");
    EXPECT_EQ(s.reason,
              "container 'web' stopped (its task is gone) while the session ran: the command "
              "was killed by SIGKILL (signal 9)");

    // The container still runs: only the command was killed.
    s = session_exit(143, 0, "", c, "web");
    explain_signal(s, "TASK    PID    STATUS\nweb     12     RUNNING\n", "web");
    EXPECT_EQ(s.term_signal, SIGTERM);
    EXPECT_EQ(s.reason, "the command was killed by SIGTERM (signal 15)");
}

TEST(ContainerdErrors, SessionExitForCommandProblemsLooksLikeAShell) {
    const auto c = exec_config();
    auto s = session_exit(1, 0,
                          "ctr: OCI runtime exec failed: exec failed: unable to start container "
                          "process: exec: \"nosuchcmd\": executable file not found in $PATH: "
                          "unknown\r\n",
                          c, "web");
    EXPECT_EQ(s.exit_code, 127);
    EXPECT_FALSE(s.failed);
    EXPECT_EQ(s.reason, "command not found in the container: nosuchcmd");
    s = session_exit(1, 0, "ctr: ... exec: \"/etc\": permission denied: unknown\n", c, "web");
    EXPECT_EQ(s.exit_code, 126);
}

TEST(ContainerdErrors, SessionExitForRuntimeProblemsFails) {
    const auto c = exec_config();
    auto s =
        session_exit(1, 0, "ctr: container \"web\" in namespace \"berth\": not found\n", c, "web");
    EXPECT_TRUE(s.failed);
    EXPECT_EQ(s.exit_code, -1);
    EXPECT_NE(s.reason.find("container 'web' not found"), std::string::npos);
    s = session_exit(
        1, 0, "tick 4\nctr: rpc error: code = Unavailable desc = transport is closing\n", c, "web");
    EXPECT_TRUE(s.failed);
    EXPECT_NE(s.reason.find("lost the connection to containerd at /run/c.sock"), std::string::npos);
}

TEST(ContainerdOutput, ReadsVersions) {
    const char* out =
        "Client:\n  Version:  1.6.20~ds1\n  Revision: 1.6.20~ds1-1+deb12u3\n  Go version: "
        "go1.19.8\n"
        "\nServer:\n  Version:  1.6.21\n  Revision: 1.6.20~ds1-1+deb12u3\n  UUID: 136b\n";
    EXPECT_EQ(server_version(out), "1.6.21");
    EXPECT_EQ(client_version(out), "1.6.20~ds1");
    EXPECT_EQ(server_version("Client:\n  Version:  1.6.20~ds1\n\n"), "");
}

TEST(ContainerdOutput, ReadsPluginStatus) {
    const char* out =
        "TYPE                            ID           PLATFORMS      STATUS    \n"
        "io.containerd.snapshotter.v1    btrfs        linux/amd64    skip      \n"
        "io.containerd.snapshotter.v1    overlayfs    linux/amd64    ok        \n";
    EXPECT_EQ(plugin_status(out, "overlayfs"), "ok");
    EXPECT_EQ(plugin_status(out, "btrfs"), "skip");
    EXPECT_EQ(plugin_status(out, "zfs"), "");
    EXPECT_EQ(plugin_status("TYPE    ID    PLATFORMS    STATUS    \n", "overlayfs"), "");
}

}  // namespace
}  // namespace berth::plugins::containerd
