// exit_when_idle_s / --exit-when-idle and --ready-fd: a berthd started on demand by a client
// (setsid, stdio closed) that says when it is ready and leaves once nobody uses it.
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "daemon_fixture.hpp"
#include "test_support.hpp"

extern char** environ;  // NOLINT: POSIX names it so

namespace berth::test {
namespace {
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using clock = std::chrono::steady_clock;

// True once pid is gone, polling every 20 ms for at most timeout.
bool gone_within(std::int64_t pid, std::chrono::milliseconds timeout) {
    const auto deadline = clock::now() + timeout;
    while (process_alive(pid)) {
        if (clock::now() > deadline) return false;
        std::this_thread::sleep_for(20ms);
    }
    return true;
}

// berthd run the way an auto-starter runs it: stdin closed, stdout to a file (it must stay
// empty), stderr to a log, and the write end of a pipe as fd k_ready_fd.
class started_berthd {
public:
    static constexpr int k_ready_fd = 9;

    started_berthd(const fs::path& dir, const fs::path& socket,
                   const std::vector<std::string>& extra_args)
        : dir_(dir) {
        fs::create_directories(dir);
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
        ready_read_ = fds[0];
        // dup2 onto the same number would keep O_CLOEXEC: move it out of the way first.
        int write_end = fds[1];
        if (write_end == k_ready_fd) write_end = ::fcntl(fds[1], F_DUPFD_CLOEXEC, k_ready_fd + 1);
        std::vector<std::string> args = {(build_dir() / "bin" / "berthd").string(),
                                         "--socket",
                                         socket.string(),
                                         "--state-dir",
                                         (dir / "state").string(),
                                         "--ready-fd",
                                         std::to_string(k_ready_fd)};
        args.insert(args.end(), extra_args.begin(), extra_args.end());
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        // As daemon_process: only the build's plugins, the test containerd.
        std::vector<std::string> env_strings = {
            "BERTH_PLUGIN_SYSTEM_PATH=", "CONTAINERD_ADDRESS=" + containerd_address(),
            "CONTAINERD_NAMESPACE=" + containerd_namespace()};
        for (char** e = environ; *e != nullptr; ++e) {
            const std::string_view v(*e);
            if (!v.starts_with("BERTH_PLUGIN_SYSTEM_PATH=") &&
                !v.starts_with("CONTAINERD_ADDRESS=") && !v.starts_with("CONTAINERD_NAMESPACE="))
                env_strings.emplace_back(v);
        }
        std::vector<char*> envp;
        for (auto& e : env_strings) envp.push_back(e.data());
        envp.push_back(nullptr);

        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addclose(&actions, 0);
        posix_spawn_file_actions_addopen(&actions, 1, (dir / "stdout").c_str(),
                                         O_WRONLY | O_CREAT | O_TRUNC, 0600);
        posix_spawn_file_actions_addopen(&actions, 2, (dir / "stderr").c_str(),
                                         O_WRONLY | O_CREAT | O_TRUNC, 0600);
        posix_spawn_file_actions_adddup2(&actions, write_end, k_ready_fd);
        pid_t pid = -1;
        const int rc = ::posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
        posix_spawn_file_actions_destroy(&actions);
        ::close(fds[1]);
        if (write_end != fds[1]) ::close(write_end);
        if (rc != 0) throw std::runtime_error("posix_spawn failed");
        pid_ = pid;
    }
    ~started_berthd() {
        if (pid_ > 0 && exit_status(0ms) == -1) {
            ::kill(pid_, SIGKILL);
            (void)exit_status(10s);
        }
        ::close(ready_read_);
    }
    started_berthd(const started_berthd&) = delete;
    started_berthd& operator=(const started_berthd&) = delete;

    // Everything berthd wrote to the pipe until EOF, or until timeout.
    std::string read_ready(std::chrono::milliseconds timeout) const {
        std::string got;
        const auto deadline = clock::now() + timeout;
        for (;;) {
            const auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
            if (left <= 0ms) return got + "<timed out>";
            pollfd p{ready_read_, POLLIN, 0};
            if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
            char buf[64];
            const auto n = ::read(ready_read_, buf, sizeof buf);
            if (n <= 0) return got;  // EOF: berthd closed it (or exited)
            got.append(buf, static_cast<std::size_t>(n));
        }
    }

    // The exit status once berthd exited (reaped), or -1 if it still runs after timeout.
    int exit_status(std::chrono::milliseconds timeout) {
        if (status_ != -1) return status_;
        const auto deadline = clock::now() + timeout;
        for (;;) {
            int st = 0;
            if (::waitpid(pid_, &st, WNOHANG) == pid_) {
                status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
                return status_;
            }
            if (clock::now() >= deadline) return -1;
            std::this_thread::sleep_for(20ms);
        }
    }

    [[nodiscard]] std::string file(const char* name) const {
        std::ifstream in(dir_ / name);
        return {std::istreambuf_iterator<char>(in), {}};
    }

private:
    fs::path dir_;
    int ready_read_ = -1;
    pid_t pid_ = -1;
    int status_ = -1;
};

fs::path temp_dir(const std::string& name) {
    return fs::temp_directory_path() / ("berthd-idle-" + name + "-" + std::to_string(::getpid()));
}

TEST(IdleExit, ExitsWithNoSessionsAndNoClients) {
    daemon_process d(R"({"exit_when_idle_s": 1})");
    const auto started = clock::now();
    ASSERT_TRUE(gone_within(d.pid(), 5s)) << d.log();
    EXPECT_LT(clock::now() - started, 3s);
    EXPECT_EQ(d.stop(), 0);
    EXPECT_FALSE(fs::exists(d.socket()));
    EXPECT_NE(d.log().find("no open sessions and no clients for 1 s; exiting (exit_when_idle_s)"),
              std::string::npos)
        << d.log();
}

TEST(IdleExit, AnOpenSessionKeepsItUntilClosedAndTheNextBerthdServesIt) {
    daemon_process d(R"({"exit_when_idle_s": 1})");
    const auto opened =
        d.call("session.open", {{"runtime", "local"}, {"options", {{"command", {"sh"}}}}});
    const std::string id = opened.value("id", "");
    ASSERT_FALSE(id.empty()) << opened;
    d.call("session.write", {{"id", id}, {"data", "echo kept-output\n"}});
    std::this_thread::sleep_for(3s);
    ASSERT_TRUE(process_alive(d.pid())) << "exited with a session open:\n" << d.log();

    EXPECT_EQ(d.call("session.close", {{"id", id}, {"grace_ms", 1000}})["state"], "closed");
    ASSERT_TRUE(gone_within(d.pid(), 4s)) << d.log();
    EXPECT_EQ(d.stop(), 0);

    // The ended session outlives the berthd that exited: record and log on disk.
    d.start();
    const auto got = d.call("session.get", {{"id", id}});
    EXPECT_EQ(got["state"], "closed") << got;
    EXPECT_NE(joined_output(d.call("session.read", {{"id", id}})).find("kept-output"),
              std::string::npos);
}

TEST(IdleExit, AConnectedIdleClientKeepsItAlive) {
    daemon_process d(R"({"exit_when_idle_s": 1})");
    {
        auto c = d.client();
        std::this_thread::sleep_for(3s);
        ASSERT_TRUE(process_alive(d.pid())) << "exited with a client connected:\n" << d.log();
        EXPECT_TRUE(c.call("session.list", nlohmann::json::object(), 10s));
    }
    EXPECT_TRUE(gone_within(d.pid(), 4s)) << d.log();
    EXPECT_EQ(d.stop(), 0);
}

TEST(IdleExit, ReadyFdSaysReadyAndTheFlagWinsOverTheConfig) {
    const auto dir = temp_dir("ready");
    fs::create_directories(dir);
    std::ofstream(dir / "config.json") << R"({"exit_when_idle_s": 600})";
    {
        const auto socket = dir / "berthd.sock";
        started_berthd b(dir, socket,
                         {"--config", (dir / "config.json").string(), "--exit-when-idle", "1",
                          "--log-level", "debug"});
        ASSERT_EQ(b.read_ready(10s), "READY\n") << b.file("stderr");
        {
            auto c = cli::daemon_client::connect(socket);  // no retry: it is ready
            ASSERT_TRUE(c) << c.err().message;
            EXPECT_TRUE(c.value().call("session.list", nlohmann::json::object(), 10s));
        }
        EXPECT_EQ(b.exit_status(4s), 0) << b.file("stderr");
        EXPECT_FALSE(fs::exists(socket));
        EXPECT_EQ(b.file("stdout"), "") << "berthd wrote to stdout";
    }
    fs::remove_all(dir);
}

TEST(IdleExit, ReadyFdSeesEofWithoutReadyWhenBerthdFails) {
    const auto dir = temp_dir("fail");
    {
        // Its socket cannot be made: /proc takes no new folders.
        started_berthd b(dir, "/proc/berth-nope/berthd.sock", {});
        EXPECT_EQ(b.read_ready(10s), "");
        EXPECT_EQ(b.exit_status(10s), 1) << b.file("stderr");
    }
    fs::remove_all(dir);
    const auto r = run_argv({(build_dir() / "bin" / "berthd").string(), "--ready-fd", "57"});
    EXPECT_EQ(r.status, 2);
    EXPECT_NE(r.err.find("--ready-fd 57: not an open file descriptor"), std::string::npos) << r.err;
}

TEST(IdleExit, BadValuesNameTheKey) {
    const auto dir = temp_dir("config");
    fs::create_directories(dir);
    for (const char* bad : {"-1", "\"5\"", "1.5", "31536001"}) {
        std::ofstream(dir / "config.json") << R"({"exit_when_idle_s": )" << bad << "}";
        const auto r = run_argv({(build_dir() / "bin" / "berthd").string(), "--config",
                                 (dir / "config.json").string()});
        EXPECT_EQ(r.status, 2) << bad;
        EXPECT_NE(r.err.find("'exit_when_idle_s' must be an integer from 0 (never)"),
                  std::string::npos)
            << bad << ": " << r.err;
    }
    const auto flag =
        run_argv({(build_dir() / "bin" / "berthd").string(), "--exit-when-idle", "-3"});
    EXPECT_EQ(flag.status, 2);
    EXPECT_NE(flag.err.find("--exit-when-idle"), std::string::npos) << flag.err;
    fs::remove_all(dir);
}

}  // namespace
}  // namespace berth::test
