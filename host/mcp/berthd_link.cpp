#include "berthd_link.hpp"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <system_error>

#include "paths.hpp"

extern char** environ;

namespace berth::mcp {
namespace {
namespace fs = std::filesystem;
using json = nlohmann::json;

// berthd beside this berth (a build tree's bin/, or an install's bin/ and sbin/), else PATH.
fs::path find_berthd() {
    std::error_code ec;
    const fs::path self = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        for (const fs::path& p :
             {self.parent_path() / "berthd", self.parent_path().parent_path() / "sbin" / "berthd"})
            if (::access(p.c_str(), X_OK) == 0) return p;
    }
    if (const char* path = std::getenv("PATH"); path != nullptr) {
        std::string_view rest = path;
        while (!rest.empty()) {
            const auto colon = rest.find(':');
            const fs::path dir(std::string(rest.substr(0, colon)));
            if (!dir.empty() && ::access((dir / "berthd").c_str(), X_OK) == 0)
                return dir / "berthd";
            if (colon == std::string_view::npos) break;
            rest.remove_prefix(colon + 1);
        }
    }
    return {};
}

// Where an auto-started berthd keeps its state: berthd's own default for its default socket;
// for another socket a directory of its own, so two auto-started daemons never share a lock.
fs::path state_dir_for(const fs::path& socket) {
    if (socket == wire::default_socket_path()) return wire::default_state_dir();
    std::string name;
    for (const char c : socket.string())
        name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
    return wire::default_state_dir() / "sockets" / name;
}

// Waits (bounded) for berthd's "READY" on the pipe; EOF first means it failed to start.
bool wait_ready(int fd, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string got;
    while (got.find('\n') == std::string::npos) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                              deadline - std::chrono::steady_clock::now())
                              .count();
        if (left <= 0) return false;
        pollfd p{fd, POLLIN, 0};
        const int r = ::poll(&p, 1, static_cast<int>(left));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return false;
        char buf[64];
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        got.append(buf, static_cast<std::size_t>(n));
    }
    return got.rfind("READY", 0) == 0;
}

}  // namespace

host::result<void> berthd_link::ensure_daemon(const autostart_options& autostart) {
    {
        std::lock_guard lock(start_mutex_);
        autostart_ = autostart;
    }
    auto first = cli::daemon_client::connect(socket_);
    if (first) {
        give_back(std::move(first.value()));
        return {};
    }
    std::lock_guard lock(start_mutex_);
    return start_daemon(first.err());
}

host::result<cli::daemon_client> berthd_link::connect() {
    auto first = cli::daemon_client::connect(socket_);
    if (first) return first;
    std::lock_guard lock(start_mutex_);
    // Another call may have started one while this one waited for the lock.
    if (auto again = cli::daemon_client::connect(socket_); again) return again;
    if (auto up = start_daemon(first.err()); !up) return up.err();
    return cli::daemon_client::connect(socket_);
}

void berthd_link::reap_started() {
    std::erase_if(started_, [](pid_t pid) {
        int status = 0;
        const pid_t r = ::waitpid(pid, &status, WNOHANG);
        return r == pid || (r < 0 && errno == ECHILD);
    });
}

// With start_mutex_ held.
host::result<void> berthd_link::start_daemon(const host::error& why) {
    reap_started();
    if (!autostart_.enabled) return why;
    const autostart_options& autostart = autostart_;

    const fs::path berthd = find_berthd();
    if (berthd.empty())
        return host::error{BERTH_ERR_UNAVAILABLE,
                           why.message +
                               "; berth mcp would start one, but finds no berthd beside " +
                               "itself or in PATH"};
    const fs::path state =
        autostart.state_dir.empty() ? state_dir_for(socket_) : autostart.state_dir;
    std::error_code ec;
    fs::create_directories(state, ec);
    fs::create_directories(socket_.parent_path(), ec);
    const fs::path log = state / "berthd.log";

    int ready[2];
    if (::pipe2(ready, O_CLOEXEC) != 0)
        return host::error{BERTH_ERR_RUNTIME, std::string("pipe: ") + std::strerror(errno)};
    // The child's end is fd 3 after the file actions (dup2 clears CLOEXEC on the copy).
    const std::vector<std::string> args = {berthd.string(),
                                           "--socket",
                                           socket_.string(),
                                           "--state-dir",
                                           state.string(),
                                           "--exit-when-idle",
                                           std::to_string(autostart.exit_when_idle.count()),
                                           "--ready-fd",
                                           "3"};
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    posix_spawn_file_actions_adddup2(&actions, ready[1], 3);
    // Nothing else of ours (fds an MCP client left open to us) goes to the long-lived daemon.
    posix_spawn_file_actions_addclosefrom_np(&actions, 4);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    // Its own session: the daemon outlives this berth mcp and its client's process group.
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID);
    pid_t pid = -1;
    const int rc = ::posix_spawn(&pid, berthd.c_str(), &actions, &attr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    ::close(ready[1]);
    if (rc != 0) {
        ::close(ready[0]);
        return host::error{BERTH_ERR_RUNTIME,
                           "cannot start " + berthd.string() + ": " + std::strerror(rc)};
    }
    const bool up = wait_ready(ready[0], std::chrono::seconds(15));
    ::close(ready[0]);
    // berthd stays our child until we exit: reaped now if it already ended (e.g. lost a race
    // to another berth mcp that started one on the same socket), else at the next start.
    started_.push_back(pid);
    reap_started();

    auto again = cli::daemon_client::connect(socket_);
    if (!again)
        return host::error{BERTH_ERR_UNAVAILABLE,
                           "started " + berthd.string() + " on " + socket_.string() +
                               (up ? "" : " but it did not become ready") +
                               " and it does not answer; see " + log.string()};
    give_back(std::move(again.value()));
    if (up)
        std::cerr << "berth mcp: no berthd answered at " << socket_.string() << "; started "
                  << berthd.string() << " (pid " << pid << ", state " << state.string() << ", log "
                  << log.string() << "); it exits after " << autostart.exit_when_idle.count()
                  << " s with no sessions and no clients\n";
    return {};
}

host::result<cli::daemon_client> berthd_link::take(bool& pooled) {
    {
        std::lock_guard lock(mutex_);
        if (!idle_.empty()) {
            auto c = std::move(idle_.back());
            idle_.pop_back();
            pooled = true;
            return c;
        }
    }
    pooled = false;
    return connect();
}

void berthd_link::give_back(cli::daemon_client c) {
    std::lock_guard lock(mutex_);
    if (idle_.size() < k_max_idle) idle_.push_back(std::move(c));
}

host::result<cli::stream_client> berthd_link::open_stream(const std::string& session,
                                                          std::uint64_t cursor) {
    auto c = connect();
    if (!c) return c.err();
    return c.value().open_stream(session, cursor, false, false);
}

host::result<json> berthd_link::call(const std::string& method, const json& params,
                                     std::chrono::milliseconds timeout, cancel_scope* cancel) {
    bool pooled = false;
    auto c = take(pooled);
    if (!c) return c.err();
    auto& client = c.value();
    if (cancel != nullptr && !cancel->attach(client.native_handle()))
        return host::error{BERTH_ERR_STATE, "cancelled"};
    auto r = [&] {
        const cancel_detach detach{cancel};  // also if call() throws
        return client.call(method, params, timeout);
    }();
    // A pooled connection berthd closed while it sat idle (berthd restarted): the request never
    // reached it, so it goes once more on a fresh connection.
    if (!r && pooled && client.last_rpc_code() == 0 && r.err().code == BERTH_ERR_UNAVAILABLE &&
        (cancel == nullptr || !cancel->cancelled()))
        return call(method, params, timeout, cancel);
    // A connection that failed (or was shut down by a cancel) is not reused; one that carried
    // an error reply from berthd is fine.
    const bool healthy = r.ok() || client.last_rpc_code() != 0;
    if (healthy && (cancel == nullptr || !cancel->cancelled())) give_back(std::move(client));
    return r;
}

}  // namespace berth::mcp
