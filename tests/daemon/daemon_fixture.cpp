#include "daemon_fixture.hpp"

#include "session_json.hpp"

#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <random>
#include <thread>

#include "test_support.hpp"

namespace berth::test {
namespace fs = std::filesystem;
using namespace std::chrono_literals;

bool process_alive(std::int64_t pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(stat, line)) return false;
    const auto close = line.rfind(')');
    return close == std::string::npos || line.size() < close + 3 ||
           (line[close + 2] != 'Z' && line[close + 2] != 'X');
}

daemon_process::daemon_process(const std::string& config_json,
                               std::map<std::string, std::string> extra_env,
                               std::function<void(std::int64_t pid)> while_starting)
    : extra_env_(std::move(extra_env)), while_starting_(std::move(while_starting)) {
    std::random_device rd;
    dir_ = fs::temp_directory_path() /
           ("berthd-test-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
    fs::create_directories(dir_);
    socket_ = dir_ / "berthd.sock";
    std::ofstream(dir_ / "config.json") << config_json;
    start();
}

void daemon_process::start() {
    sdk::process_spec spec;
    spec.argv = {(build_dir() / "bin" / "berthd").string(),
                 "--socket",
                 socket_.string(),
                 "--state-dir",
                 (dir_ / "state").string(),
                 "--config",
                 (dir_ / "config.json").string(),
                 "--log-level",
                 "debug"};
    // Only the build's plugins, whatever is installed on the machine.
    // The containerd and lxd plugins reclaim on their default server: the test ones.
    spec.env = {{"BERTH_PLUGIN_SYSTEM_PATH", ""},
                {"CONTAINERD_ADDRESS", containerd_address()},
                {"CONTAINERD_NAMESPACE", containerd_namespace()},
                {"BERTH_LXD_REMOTE", "unix:" + lxd_socket()}};
    for (const auto& [k, v] : extra_env_) spec.env[k] = v;
    sdk::process_callbacks callbacks;
    callbacks.on_output = [this](berth_stream, std::span<const std::uint8_t> d) {
        std::lock_guard lock(log_mutex_);
        log_.append(reinterpret_cast<const char*>(d.data()), d.size());
    };
    callbacks.on_exit = [this](const sdk::exit_status& e) {
        exit_status_ = e.term_signal > 0 ? 128 + e.term_signal : e.exit_code;
    };
    process_ = sdk::process_session::start(loop_, spec, callbacks);
    if (while_starting_) while_starting_(process_->pid());
    for (int i = 0; i < 600; ++i) {  // up to 30 s: a plugin may hang its probe for 10 s
        if (cli::daemon_client::connect(socket_)) return;
        if (process_->finished()) break;
        std::this_thread::sleep_for(50ms);
    }
    ADD_FAILURE() << "berthd did not come up on " << socket_ << "; its log:\n" << log();
}

int daemon_process::stop(std::chrono::milliseconds timeout) {
    if (!process_) return exit_status_;
    process_->signal(SIGTERM);
    if (!process_->wait(timeout)) {
        ADD_FAILURE() << "berthd did not exit within " << timeout.count()
                      << " ms of SIGTERM; log:\n"
                      << log();
        (void)process_->terminate(0ms);
        process_.reset();
        return -1;
    }
    process_.reset();
    return exit_status_;
}

void daemon_process::kill_hard() {
    if (!process_) return;
    process_->signal(SIGKILL);
    (void)process_->wait(10s);
    process_.reset();
}

daemon_process::~daemon_process() {
    if (process_) (void)stop();
    std::error_code ec;
    fs::remove_all(dir_, ec);
}

cli::daemon_client daemon_process::client() const {
    auto c = cli::daemon_client::connect(socket_);
    if (!c) throw std::runtime_error(c.err().message);
    return std::move(c.value());
}

std::string daemon_process::log() const {
    std::lock_guard lock(log_mutex_);
    return log_;
}

nlohmann::json daemon_process::call(const std::string& method, const nlohmann::json& params) const {
    auto c = client();
    auto r = c.call(method, params, 60s);
    if (!r) {
        ADD_FAILURE() << method << " failed: " << r.err().message;
        return nullptr;
    }
    return r.value();
}

std::string joined_output(const nlohmann::json& read_result) {
    std::string out;
    for (const auto& run : wire::output_runs(read_result)) out += run.bytes;
    return out;
}

}  // namespace berth::test
