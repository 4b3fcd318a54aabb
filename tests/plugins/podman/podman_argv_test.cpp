// Every option's podman flag, and the shape of the run, exec and rm argvs.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "podman_argv.hpp"
#include "podman_options.hpp"

namespace berth::plugins::podman {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;

const session_ids k_ids{"0123456789ab", "berth-0123456789ab"};

std::vector<std::string> run_argv(const std::string& extra_json) {
    const std::string json = R"({"image": "img", "command": ["sh"])" +
                             (extra_json.empty() ? "" : ", " + extra_json) + "}";
    return session_argv(parse_options(json), k_ids);
}

// The flags between the fixed head (podman run --rm -i --detach-keys= ... --name=N) and
// the image: what the options under test added.
std::vector<std::string> run_flags(const std::string& extra_json) {
    auto argv = run_argv(extra_json);
    const auto name = std::find(argv.begin(), argv.end(), "--name=" + k_ids.name);
    const auto image = std::find(argv.begin(), argv.end(), "img");
    EXPECT_NE(name, argv.end());
    EXPECT_NE(image, argv.end());
    return {name + 1, image};
}

TEST(PodmanArgv, RunModeDefaults) {
    EXPECT_THAT(run_argv(""), ElementsAre("podman", "run", "--rm", "-i", "--detach-keys=",
                                          "--env=BERTH_PODMAN_SESSION=0123456789ab",
                                          "--label=berth.session=0123456789ab", "--pull=never",
                                          "--name=berth-0123456789ab", "img", "sh"));
}

TEST(PodmanArgv, RunModeWithoutCommandUsesTheImageCmd) {
    const auto argv = session_argv(parse_options(R"({"image": "img"})"), k_ids);
    EXPECT_EQ(argv.back(), "img");
}

TEST(PodmanArgv, ExecModeDefaults) {
    const auto o = parse_options(R"({"container": "c1", "command": ["ls", "-l", "--", "-x"]})");
    EXPECT_THAT(session_argv(o, {"0123456789ab", ""}),
                ElementsAre("podman", "exec", "-i",
                            "--detach-keys=", "--env=BERTH_PODMAN_SESSION=0123456789ab", "c1", "ls",
                            "-l", "--", "-x"));
}

TEST(PodmanArgv, RunModeLabelsTheContainerWithTheHostsOwner) {
    session_ids ids = k_ids;
    ids.owner = "berthd-0a1b";
    const auto argv = session_argv(parse_options(R"({"image": "img"})"), ids);
    EXPECT_NE(std::find(argv.begin(), argv.end(), "--label=berth.owner=berthd-0a1b"), argv.end());
    // Without an owner (berth run) there is no owner label at all; the session label is
    // always there, for clean-up to find the session's own container.
    const auto plain = session_argv(parse_options(R"({"image": "img"})"), k_ids);
    EXPECT_EQ(std::count_if(plain.begin(), plain.end(),
                            [](const std::string& a) { return a.starts_with("--label"); }),
              1);
    EXPECT_NE(std::find(plain.begin(), plain.end(), "--label=berth.session=0123456789ab"),
              plain.end());
}

TEST(PodmanArgv, ASessionsContainerIsListedByItsTokenLabel) {
    EXPECT_THAT(session_list_argv(parse_options(R"({"image": "img"})"), "0123456789ab"),
                ElementsAre("podman", "ps", "--all", "--format={{.Names}}",
                            "--filter=label=berth.session=0123456789ab"));
}

TEST(PodmanArgv, OwnedContainersAreListedByTheOwnerLabel) {
    EXPECT_THAT(owned_list_argv(parse_options(R"({"image": "img"})"), "berthd-0a1b"),
                ElementsAre("podman", "ps", "--all", "--format={{.Names}}",
                            "--filter=label=berth.owner=berthd-0a1b"));
}

struct flag_case {
    const char* option_json;
    std::vector<std::string> flags;
};

class PodmanRunFlag : public ::testing::TestWithParam<flag_case> {};

TEST_P(PodmanRunFlag, MapsToPodmanFlag) {
    EXPECT_THAT(run_flags(GetParam().option_json), ElementsAreArray(GetParam().flags));
}

// Options that go after --name (run-only options), each with its podman spelling.
INSTANTIATE_TEST_SUITE_P(
    EveryRunOption, PodmanRunFlag,
    ::testing::Values(
        flag_case{R"("network": "none")", {"--network=none"}},
        flag_case{R"("volumes": ["/a:/b", "/c:/d:ro"])", {"--volume=/a:/b", "--volume=/c:/d:ro"}},
        flag_case{R"("ports": ["8080:80"])", {"--publish=8080:80"}},
        flag_case{R"("labels": {"a": "1", "b": "x y"})", {"--label=a=1", "--label=b=x y"}},
        flag_case{R"("memory": "512m")", {"--memory=512m"}},
        flag_case{R"("cpus": 1.5)", {"--cpus=1.5"}}, flag_case{R"("cpus": 2)", {"--cpus=2"}},
        flag_case{R"("read_only": true)", {"--read-only"}}, flag_case{R"("read_only": false)", {}},
        flag_case{R"("cap_add": ["NET_ADMIN", "SYS_TIME"])",
                  {"--cap-add=NET_ADMIN", "--cap-add=SYS_TIME"}},
        flag_case{R"("cap_drop": ["ALL"])", {"--cap-drop=ALL"}},
        flag_case{R"("security_opt": ["no-new-privileges"])", {"--security-opt=no-new-privileges"}},
        flag_case{R"("devices": ["/dev/fuse"])", {"--device=/dev/fuse"}},
        flag_case{R"("tmpfs": ["/run:size=64m"])", {"--tmpfs=/run:size=64m"}},
        flag_case{R"("init": true)", {"--init"}}, flag_case{R"("init": false)", {}}));

TEST(PodmanArgv, ProcessFlagsComeBeforeRunFlags) {
    const auto argv = run_argv(
        R"("tty": true, "env": {"A": "1", "B": "-x"}, "workdir": "/tmp", "user": "nobody",
           "privileged": true, "pull": "missing")");
    EXPECT_THAT(
        argv, ElementsAre("podman", "run", "--rm", "-i", "-t", "--detach-keys=", "--env=A=1",
                          "--env=B=-x", "--env=BERTH_PODMAN_SESSION=0123456789ab", "--workdir=/tmp",
                          "--user=nobody", "--privileged", "--label=berth.session=0123456789ab",
                          "--pull=missing", "--name=berth-0123456789ab", "img", "sh"));
}

TEST(PodmanArgv, ExecTakesTheSharedProcessFlags) {
    const auto o = parse_options(
        R"({"container": "c1", "command": ["sh"], "tty": true, "env": {"K": "v"},
            "workdir": "/w", "user": "1000:1000", "privileged": true})");
    EXPECT_THAT(session_argv(o, {"t0k3n", ""}),
                ElementsAre("podman", "exec", "-i", "-t", "--detach-keys=", "--env=K=v",
                            "--env=BERTH_PODMAN_SESSION=t0k3n", "--workdir=/w", "--user=1000:1000",
                            "--privileged", "c1", "sh"));
}

TEST(PodmanArgv, GlobalFlagsGoBeforeTheSubcommand) {
    auto o = parse_options(
        R"({"image": "img", "binary": "/opt/podman", "url": "unix:///run/p.sock",
            "log_level": "debug"})");
    auto argv = session_argv(o, k_ids);
    EXPECT_THAT(std::vector<std::string>(argv.begin(), argv.begin() + 4),
                ElementsAre("/opt/podman", "--url=unix:///run/p.sock", "--log-level=debug", "run"));
    o = parse_options(R"({"container": "c", "command": ["true"], "connection": "box"})");
    argv = session_argv(o, k_ids);
    EXPECT_THAT(std::vector<std::string>(argv.begin(), argv.begin() + 3),
                ElementsAre("podman", "--connection=box", "exec"));
}

TEST(PodmanArgv, RemoveUsesTheSameServiceAndNoStopTimeout) {
    const auto o = parse_options(R"({"image": "img", "connection": "box"})");
    EXPECT_THAT(remove_argv(o, "berth-1"),
                ElementsAre("podman", "--connection=box", "rm", "--force", "--ignore", "--time=0",
                            "berth-1"));
}

TEST(PodmanArgv, StateIsAskedOfTheSameService) {
    const auto o = parse_options(
        R"({"container": "web", "command": ["true"], "binary": "/opt/podman", "url": "unix:///p"})");
    EXPECT_THAT(state_argv(o, "web"), ElementsAre("/opt/podman", "--url=unix:///p", "container",
                                                  "inspect", "--format={{.State.Status}}", "web"));
}

TEST(PodmanArgv, TokensAreFreshHex) {
    const std::string a = new_token();
    const std::string b = new_token();
    EXPECT_EQ(a.size(), 12U);
    EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos);
    EXPECT_NE(a, b);
}

}  // namespace
}  // namespace berth::plugins::podman
