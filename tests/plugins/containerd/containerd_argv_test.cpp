// Options -> ctr command lines, exactly. Every flag here exists in ctr 1.6 (checked by hand
// and by the integration tests, which run these lines against a real daemon).
#include <gtest/gtest.h>

#include "containerd_argv.hpp"

namespace berth::plugins::containerd {
namespace {
using namespace std::chrono_literals;
using strings = std::vector<std::string>;

session_config config(const std::string& json) {
    environment_defaults d;
    d.address = "/run/c.sock";
    d.ns = "ns";
    return read_options(json, d);
}

const strings k_base{"ctr", "--connect-timeout", "2000ms", "-a", "/run/c.sock", "-n", "ns"};

strings with_base(std::initializer_list<std::string> rest, strings base = k_base) {
    base.insert(base.end(), rest);
    return base;
}

TEST(ContainerdArgv, BaseAlwaysCarriesTheConnectTimeout) {
    connection conn{"/usr/bin/ctr", "/s.sock", "x", 750ms};
    EXPECT_EQ(ctr_base(conn),
              (strings{"/usr/bin/ctr", "--connect-timeout", "750ms", "-a", "/s.sock", "-n", "x"}));
}

TEST(ContainerdArgv, MinimalRunIsDetachedWithoutIo) {
    const auto c = config(R"({"image":"img:1","command":["sh"]})");
    EXPECT_EQ(run_detached(c, "box"),
              with_base({"run", "-d", "--null-io", "--label", "berth.plugin=berth-containerd", "--",
                         "img:1", "box", "sleep", "2147483647"}));
}

TEST(ContainerdArgv, RunLabelsTheContainerWithTheHostsOwner) {
    auto c = config(R"({"image":"img:1","command":["sh"]})");
    c.owner = "berthd-0a1b";
    EXPECT_EQ(
        run_detached(c, "box"),
        with_base({"run", "-d", "--null-io", "--label", "berth.plugin=berth-containerd", "--label",
                   "berth.owner=berthd-0a1b", "--", "img:1", "box", "sleep", "2147483647"}));
}

TEST(ContainerdArgv, OwnedContainersAreListedByTheOwnerLabel) {
    EXPECT_EQ(list_owned(config(R"({"image":"i","command":["x"]})").conn, "berthd-0a1b"),
              with_base({"containers", "ls", "-q", "labels.\"berth.owner\"==berthd-0a1b"}));
}

TEST(ContainerdArgv, RunCarriesEveryContainerOption) {
    const auto c = config(R"({
        "image": "img", "command": ["x"], "env": {"B": "2", "A": "1"}, "labels": {"team": "a"},
        "mounts": ["type=bind,src=/d,dst=/d,options=rbind:ro", "type=tmpfs,src=tmpfs,dst=/t"],
        "net_host": true, "privileged": true, "read_only": true, "memory_limit": "64m",
        "cpus": 0.5, "runtime": "io.containerd.runc.v2", "snapshotter": "native",
        "init": ["tail", "-f", "/dev/null"]})");
    EXPECT_EQ(run_detached(c, "box"), with_base({"run",
                                                 "-d",
                                                 "--null-io",
                                                 "--snapshotter",
                                                 "native",
                                                 "--runtime",
                                                 "io.containerd.runc.v2",
                                                 "--env",
                                                 "A=1",
                                                 "--env",
                                                 "B=2",
                                                 "--label",
                                                 "team=a",
                                                 "--label",
                                                 "berth.plugin=berth-containerd",
                                                 "--mount",
                                                 "type=bind,src=/d,dst=/d,options=rbind:ro",
                                                 "--mount",
                                                 "type=tmpfs,src=tmpfs,dst=/t",
                                                 "--net-host",
                                                 "--privileged",
                                                 "--read-only",
                                                 "--memory-limit",
                                                 "67108864",
                                                 "--cpus",
                                                 "0.5",
                                                 "--",
                                                 "img",
                                                 "box",
                                                 "tail",
                                                 "-f",
                                                 "/dev/null"}));
}

TEST(ContainerdArgv, ExecWithPipes) {
    const auto c = config(R"({"image":"img","command":["sh","-c","read x; echo $x"]})");
    EXPECT_EQ(exec_command(c, "box", "berth-e1", "/tmp/f"),
              with_base({"task", "exec", "--exec-id", "berth-e1", "--fifo-dir", "/tmp/f", "--",
                         "box", "sh", "-c", "read x; echo $x"}));
}

TEST(ContainerdArgv, ExecOnATerminalAsAUserInAFolder) {
    const auto c = config(
        R"({"container":"web","command":["-dash-first"],"tty":true,"user":"nobody","workdir":"/srv"})");
    EXPECT_EQ(exec_command(c, "web", "e2", "/f"),
              with_base({"task", "exec", "--exec-id", "e2", "--fifo-dir", "/f", "-t", "--cwd",
                         "/srv", "--user", "nobody", "--", "web", "-dash-first"}));
}

TEST(ContainerdArgv, CleanupAndSignalCommands) {
    const connection conn{"ctr", "/run/c.sock", "ns", 2000ms};
    EXPECT_EQ(kill_exec(conn, "box", "e1", 15),
              with_base({"task", "kill", "--exec-id", "e1", "-s", "15", "--", "box"}));
    EXPECT_EQ(kill_task(conn, "box"), with_base({"task", "kill", "-s", "SIGKILL", "--", "box"}));
    EXPECT_EQ(delete_exec(conn, "box", "e1"),
              with_base({"task", "delete", "-f", "--exec-id", "e1", "--", "box"}));
    EXPECT_EQ(delete_task(conn, "box"), with_base({"task", "delete", "-f", "--", "box"}));
    EXPECT_EQ(remove_container(conn, "box"), with_base({"container", "rm", "--", "box"}));
    EXPECT_EQ(version(conn), with_base({"version"}));
    EXPECT_EQ(snapshotter_status(conn, "overlayfs"),
              with_base({"plugins", "ls", "type==io.containerd.snapshotter.v1,id==overlayfs"}));
}

TEST(ContainerdArgv, CpusAreWrittenShortAndExact) {
    EXPECT_EQ(format_cpus(0.5), "0.5");
    EXPECT_EQ(format_cpus(2), "2");
    EXPECT_EQ(format_cpus(0.1), "0.1");
    EXPECT_EQ(format_cpus(1.25), "1.25");
}

}  // namespace
}  // namespace berth::plugins::containerd
