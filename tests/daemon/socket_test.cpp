// berthd's socket and how it is reached. Under systemd, without systemd: the test plays the
// service manager, passing a listening socket as fd 3 with LISTEN_PID/LISTEN_FDS naming
// berthd and listening on a NOTIFY_SOCKET datagram socket for READY=1 and STOPPING=1. And the
// socket's own guard: mode 0600 (0660 with socket_group), and SO_PEERCRED behind it.
#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "daemon_client.hpp"
#include "daemon_fixture.hpp"
#include "test_support.hpp"

extern char** environ;

namespace berth::test {
namespace {
namespace fs = std::filesystem;
using namespace std::chrono_literals;

int unix_socket(int type, const fs::path& path) {
    const int fd = ::socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return -1;
    if (type == SOCK_STREAM && ::listen(fd, 16) != 0) return -1;
    return fd;
}

// The next datagram on fd within timeout, or "" when none came.
std::string next_notification(int fd, std::chrono::milliseconds timeout) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1) return {};
    char buf[256];
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

// waitpid bounded by timeout; -1 when the process did not end.
int wait_exit(pid_t pid, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        int status = 0;
        if (::waitpid(pid, &status, WNOHANG) == pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        std::this_thread::sleep_for(20ms);
    }
    return -1;
}

TEST(BerthdSystemd, ServesThePassedSocketAndNotifiesReadyAndStopping) {
    const fs::path dir =
        fs::temp_directory_path() / ("berthd-systemd-" + std::to_string(std::random_device{}()));
    fs::create_directories(dir);
    const fs::path activated = dir / "activated.sock";
    const int listen_fd = unix_socket(SOCK_STREAM, activated);
    const int notify_fd = unix_socket(SOCK_DGRAM, dir / "notify.sock");
    ASSERT_GE(listen_fd, 0) << std::strerror(errno);
    ASSERT_GE(notify_fd, 0) << std::strerror(errno);

    // Everything the child needs is built before fork: after it, only async-signal-safe calls.
    const std::string berthd = (build_dir() / "bin" / "berthd").string();
    const std::string state = (dir / "state").string();
    const std::string own_socket = (dir / "not-used.sock").string();
    std::vector<const char*> argv{berthd.c_str(), "--state-dir",      state.c_str(),
                                  "--socket",     own_socket.c_str(), nullptr};
    std::vector<std::string> env_strings{"LISTEN_FDS=1",
                                         "NOTIFY_SOCKET=" + (dir / "notify.sock").string(),
                                         "BERTH_PLUGIN_SYSTEM_PATH="};
    for (char** e = environ; *e != nullptr; ++e)
        if (std::strncmp(*e, "LISTEN_", 7) != 0 && std::strncmp(*e, "NOTIFY_SOCKET=", 14) != 0)
            env_strings.emplace_back(*e);
    char listen_pid[32] = "LISTEN_PID=";
    std::vector<char*> envp{listen_pid};
    for (auto& s : env_strings) envp.push_back(s.data());
    envp.push_back(nullptr);

    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        // LISTEN_PID must name berthd itself: this process, which execs it.
        char digits[16];
        int n = 0;
        for (pid_t v = ::getpid(); v > 0; v /= 10) digits[n++] = static_cast<char>('0' + v % 10);
        char* out = listen_pid + 11;
        while (n > 0) *out++ = digits[--n];
        *out = '\0';
        // dup2 onto itself (the socket may already be fd 3) keeps FD_CLOEXEC, and exec would
        // close the very socket being passed: clear it either way.
        if (listen_fd != 3 && ::dup2(listen_fd, 3) < 0) ::_exit(126);
        if (::fcntl(3, F_SETFD, 0) != 0) ::_exit(126);
        ::execve(argv[0], const_cast<char* const*>(argv.data()), envp.data());
        ::_exit(127);
    }

    EXPECT_EQ(next_notification(notify_fd, 20s), "READY=1");
    auto client = cli::daemon_client::connect(activated);
    ASSERT_TRUE(client) << client.err().message;
    auto plugins = client.value().call("plugin.list", nlohmann::json::object(), 30s);
    ASSERT_TRUE(plugins) << plugins.err().message;
    EXPECT_FALSE(plugins.value().empty());
    EXPECT_FALSE(fs::exists(own_socket)) << "berthd bound its own socket instead";

    ::kill(pid, SIGTERM);
    EXPECT_EQ(next_notification(notify_fd, 20s), "STOPPING=1");
    const int status = wait_exit(pid, 30s);
    if (status < 0) {
        ::kill(pid, SIGKILL);
        (void)wait_exit(pid, 5s);
    }
    EXPECT_EQ(status, 0);
    EXPECT_TRUE(fs::exists(activated)) << "the socket is the service manager's, not berthd's";
    ::close(listen_fd);
    ::close(notify_fd);
    std::error_code ec;
    fs::remove_all(dir, ec);
}

}  // namespace
}  // namespace berth::test

namespace berth::test {
namespace {

// What a client running as uid/gid gets for one request on socket: the reply line, or
// "connect: <errno>" when it cannot even connect. Forks: only async-signal-safe calls follow.
std::string reply_as(uid_t uid, gid_t gid, const fs::path& socket) {
    const std::string request = R"({"jsonrpc":"2.0","id":1,"method":"session.list"})"
                                "\n";
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, socket.c_str(), sizeof addr.sun_path - 1);
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return "pipe failed";
    const pid_t pid = ::fork();
    if (pid == 0) {
        if (::setgroups(0, nullptr) != 0 || ::setgid(gid) != 0 || ::setuid(uid) != 0) ::_exit(3);
        const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
        if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
            const char msg[] = "connect: refused by the file system";
            (void)!::write(pipe_fds[1], msg, sizeof msg - 1);
            ::_exit(0);
        }
        (void)!::write(fd, request.data(), request.size());
        char buf[512];
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n > 0) (void)!::write(pipe_fds[1], buf, static_cast<std::size_t>(n));
        ::_exit(0);
    }
    ::close(pipe_fds[1]);
    std::string out;
    pollfd p{pipe_fds[0], POLLIN, 0};
    char buf[512];
    while (::poll(&p, 1, 10000) == 1) {
        const ssize_t n = ::read(pipe_fds[0], buf, sizeof buf);
        if (n <= 0) break;
        out.append(buf, static_cast<std::size_t>(n));
    }
    ::close(pipe_fds[0]);
    if (wait_exit(pid, 10s) < 0) ::kill(pid, SIGKILL);
    return out;
}

TEST(BerthdSocket, IsOwnerOnlyAndRefusesOtherPeersEvenWhenTheFileIsOpened) {
    daemon_process d;
    struct stat st {};
    ASSERT_EQ(::stat(d.socket().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600U);
    EXPECT_EQ(reply_as(65534, 65534, d.socket()), "connect: refused by the file system");

    // Loosened by hand (or by a directory ACL): SO_PEERCRED still keeps strangers out.
    fs::permissions(d.socket(), fs::perms::all & ~(fs::perms::owner_exec | fs::perms::group_exec |
                                                   fs::perms::others_exec));
    const auto reply = reply_as(65534, 65534, d.socket());
    EXPECT_NE(reply.find("-32008"), std::string::npos) << reply;
    // Root (the daemon's own user here) is still served.
    EXPECT_TRUE(d.call("session.list").is_array());
}

TEST(BerthdSocket, ASocketGroupMakesIt0660AndLetsItsMembersIn) {
    const group* g = ::getgrnam("daemon");  // in every Debian base system (base-passwd)
    ASSERT_NE(g, nullptr);
    daemon_process d(R"({"socket_group": "daemon"})");
    struct stat st {};
    ASSERT_EQ(::stat(d.socket().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0660U);
    EXPECT_EQ(st.st_gid, g->gr_gid);
    const auto member = reply_as(65534, g->gr_gid, d.socket());
    EXPECT_NE(member.find("\"result\""), std::string::npos) << member;
    EXPECT_EQ(reply_as(65534, 65534, d.socket()), "connect: refused by the file system");
}

}  // namespace
}  // namespace berth::test
