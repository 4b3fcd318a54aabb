// A health check against a runtime that never answers gives up within its bound and says so.
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "conformance.hpp"

namespace berth::test {
namespace {
namespace fs = std::filesystem;
using std::chrono::milliseconds;

// The longest a check may take, hung runtime or not: what `berth health` waits for one
// (k_check_timeout in host/cli/health_command.cpp).
constexpr auto k_health_bound = 15s;
// Past the bound, how long the test goes on killing hung tools so the check can return and
// the plugin can be destroyed.
constexpr auto k_unblock_bound = 60s;

// True while the process runs. A zombie counts as ended (PID 1 reaps orphans only after
// seconds here).
bool running(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string stat;
    if (!std::getline(in, stat)) return false;
    const auto paren = stat.rfind(')');  // the name before it may hold anything
    if (paren == std::string::npos || paren + 2 >= stat.size()) return false;
    const char state = stat[paren + 2];
    return state != 'Z' && state != 'X';
}

// A folder put first in PATH holding a hung copy of each named tool: a script that notes its
// pid and sleeps. When it goes, every copy still running is killed by its pid, PATH is put
// back and the folder removed.
class hung_tools {
public:
    explicit hung_tools(const std::vector<std::string>& tools) {
        std::string templ = (fs::temp_directory_path() / "berth-hung-XXXXXX").string();
        if (::mkdtemp(templ.data()) == nullptr) return;
        dir_ = templ;
        for (const auto& tool : tools) {
            const fs::path script = dir_ / tool;
            std::ofstream(script) << "#!/bin/sh\necho $$ >> '" << pid_file().string()
                                  << "'\nexec sleep 600\n";
            fs::permissions(script, fs::perms::owner_all);
        }
        if (const char* path = ::getenv("PATH")) old_path_ = path;
        ::setenv("PATH", (dir_.string() + ":" + old_path_.value_or("/usr/bin:/bin")).c_str(), 1);
    }
    ~hung_tools() {
        if (dir_.empty()) return;
        kill_all();
        if (old_path_)
            ::setenv("PATH", old_path_->c_str(), 1);
        else
            ::unsetenv("PATH");
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }
    hung_tools(const hung_tools&) = delete;
    hung_tools& operator=(const hung_tools&) = delete;

    explicit operator bool() const { return !dir_.empty(); }

    // Every copy started so far.
    [[nodiscard]] std::vector<pid_t> started() const {
        std::vector<pid_t> pids;
        std::ifstream in(pid_file());
        for (long pid = 0; in >> pid;)
            if (pid > 1) pids.push_back(static_cast<pid_t>(pid));
        return pids;
    }

    void kill_all() const {
        for (const pid_t pid : started())
            if (running(pid)) ::kill(pid, SIGKILL);
    }

private:
    [[nodiscard]] fs::path pid_file() const { return dir_ / "pids"; }

    fs::path dir_;
    std::optional<std::string> old_path_;
};

// One health check on its own thread, so the test can stop waiting for it.
class pending_check {
public:
    explicit pending_check(std::shared_ptr<host::plugin> p)
        : state_(std::make_shared<state>()), thread_([p = std::move(p), st = state_] {
              auto r = check_health(*p);
              std::lock_guard lock(st->mutex);
              st->report = std::move(r);
              st->done = true;
              st->changed.notify_all();
          }) {}
    // A check that never returned keeps its plugin (and the thread) to itself.
    ~pending_check() {
        if (wait(milliseconds(0)))
            thread_.join();
        else
            thread_.detach();
    }
    pending_check(const pending_check&) = delete;
    pending_check& operator=(const pending_check&) = delete;

    bool wait(milliseconds timeout) {
        std::unique_lock lock(state_->mutex);
        return state_->changed.wait_for(lock, timeout, [&] { return state_->done; });
    }
    [[nodiscard]] health_report report() {
        std::lock_guard lock(state_->mutex);
        return state_->report;
    }

private:
    struct state {
        std::mutex mutex;
        std::condition_variable changed;
        bool done = false;
        health_report report;
    };
    std::shared_ptr<state> state_;
    std::thread thread_;
};

bool mentions_timeout(std::string detail) {
    std::transform(detail.begin(), detail.end(), detail.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    for (const char* words : {"timed out", "timeout", "within", "did not answer"})
        if (detail.find(words) != std::string::npos) return true;
    return false;
}

// A Unix socket that accepts connections (the kernel does, up to its backlog) and never
// answers, named to the plugin through `variable` ("unix:PATH") while it lives.
class hung_server {
public:
    explicit hung_server(const std::string& variable) : variable_(variable) {
        std::string templ = (fs::temp_directory_path() / "berth-hung-XXXXXX").string();
        if (::mkdtemp(templ.data()) == nullptr) return;
        dir_ = templ;
        fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        const std::string path = (dir_ / "hung.socket").string();
        std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
        if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
            ::listen(fd_, 64) != 0)
            return;
        if (const char* old = ::getenv(variable_.c_str())) old_ = old;
        ::setenv(variable_.c_str(), ("unix:" + path).c_str(), 1);
        ok_ = true;
    }
    ~hung_server() {
        if (old_)
            ::setenv(variable_.c_str(), old_->c_str(), 1);
        else
            ::unsetenv(variable_.c_str());
        if (fd_ >= 0) ::close(fd_);
        std::error_code ec;
        if (!dir_.empty()) fs::remove_all(dir_, ec);
    }
    hung_server(const hung_server&) = delete;
    hung_server& operator=(const hung_server&) = delete;
    explicit operator bool() const { return ok_; }

private:
    std::string variable_;
    fs::path dir_;
    int fd_ = -1;
    bool ok_ = false;
    std::optional<std::string> old_;
};

TEST_P(Conformance, AHealthCheckGivesUpOnAHungRuntimeWithinItsBound) {
    if (const auto& variable = GetParam().hung_remote_env; !variable.empty()) {
        hung_server server(variable);
        ASSERT_TRUE(server) << "cannot make the hung server's socket";
        auto fresh = create_plugin();
        ASSERT_TRUE(fresh);
        const auto started = std::chrono::steady_clock::now();
        pending_check check(std::move(fresh));
        const bool in_time = check.wait(k_health_bound);
        RecordProperty("health_ms", std::to_string(std::chrono::duration_cast<milliseconds>(
                                                       std::chrono::steady_clock::now() - started)
                                                       .count()));
        ASSERT_TRUE(in_time) << "the health check did not return within " << k_health_bound.count()
                             << " s against a server that never answers";
        const health_report r = check.report();
        ASSERT_EQ(r.status, BERTH_OK) << r.detail;
        EXPECT_EQ(r.state, BERTH_HEALTH_UNHEALTHY) << r.detail;
        EXPECT_TRUE(mentions_timeout(r.detail))
            << "the detail does not say it timed out: " << r.detail;
        return;
    }
    ASSERT_FALSE(GetParam().health_tools.empty())
        << "name the tools the plugin's health check runs (BERTH_CONFORMANCE_TOOLS)";
    hung_tools hung(GetParam().health_tools);
    ASSERT_TRUE(hung) << "cannot make a folder for the hung tools";
    // A new instance, which finds its tools through the PATH with the hung ones first.
    auto fresh = create_plugin();
    ASSERT_TRUE(fresh);

    const auto started = std::chrono::steady_clock::now();
    pending_check check(std::move(fresh));
    const bool in_time = check.wait(k_health_bound);
    const auto took =
        std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - started);
    RecordProperty("health_ms", std::to_string(took.count()));
    if (!in_time) {
        ADD_FAILURE() << "the health check did not return within " << k_health_bound.count()
                      << " s against a hung runtime";
        // Let it return: kill each hung tool as it starts.
        const auto give_up = std::chrono::steady_clock::now() + k_unblock_bound;
        while (!check.wait(200ms) && std::chrono::steady_clock::now() < give_up) hung.kill_all();
        const auto total =
            std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - started);
        ASSERT_TRUE(check.wait(milliseconds(0)))
            << "and not even after its tools were killed (" << total.count() << " ms)";
        RecordProperty("health_ms_after_kills", std::to_string(total.count()));
        return;
    }

    const health_report r = check.report();
    RecordProperty("detail", r.detail);
    ASSERT_EQ(r.status, BERTH_OK) << r.detail;
    EXPECT_TRUE(r.state_set) << "no report";
    EXPECT_TRUE(r.state == BERTH_HEALTH_UNHEALTHY || r.state == BERTH_HEALTH_UNDETECTED)
        << "state " << r.state << ": " << r.detail;
    EXPECT_TRUE(mentions_timeout(r.detail)) << "the detail does not say it timed out: " << r.detail;
    const auto pids = hung.started();
    EXPECT_FALSE(pids.empty()) << "the check ran none of the hung tools, so this test "
                                  "does not reach it: is health_tools right?";
    for (const pid_t pid : pids)
        EXPECT_FALSE(running(pid)) << "the check left its hung tool (pid " << pid << ") running";
}

}  // namespace
}  // namespace berth::test
