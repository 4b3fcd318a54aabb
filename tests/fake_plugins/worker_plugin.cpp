// A fake runtime (runtime "worker") whose sessions hold what a containerd or LXC session
// held until the host destroyed its handle before the SDK's session lifecycle shared threads:
// a thread of its own and file descriptors (a pipe), so the host's release path is tested
// against a plugin that keeps them. The session prints `output`, then
// ends with `exit_code`; with `stay` it runs until it is closed, which ends it by SIGTERM.
#include <fcntl.h>
#include <unistd.h>
#include <berth/sdk/options.hpp>
#include <berth/sdk/plugin.hpp>

#include <chrono>
#include <condition_variable>
#include <csignal>
#include <mutex>
#include <string>
#include <thread>

namespace {

using namespace std::chrono_literals;

constexpr std::string_view k_schema = R"schema({
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "output":    {"type": "string", "description": "printed on stdout when the session starts"},
    "exit_code": {"type": "integer", "minimum": 0, "maximum": 255},
    "stay":      {"type": "boolean", "description": "run until closed"}
  }
})schema";

class worker_session final : public berth::sdk::session {
public:
    worker_session(berth::sdk::session_sink sink, std::string output, int exit_code, bool stay)
        : sink_(sink) {
        if (::pipe2(pipe_, O_CLOEXEC) != 0)
            throw berth::sdk::error(BERTH_ERR_RUNTIME, "pipe2 failed");
        worker_ = std::thread([this, output = std::move(output), exit_code, stay] {
            if (!output.empty())
                sink_.output(BERTH_STREAM_STDOUT,
                             {reinterpret_cast<const std::uint8_t*>(output.data()), output.size()});
            berth::sdk::exit_status status;
            {
                std::unique_lock lock(mutex_);
                if (stay) changed_.wait(lock, [this] { return closing_; });
                if (closing_) {
                    status.term_signal = SIGTERM;
                } else {
                    status.exit_code = exit_code;
                }
            }
            sink_.exit(status);
            std::unique_lock lock(mutex_);
            ended_ = true;
            changed_.notify_all();
            // Held until the handle is destroyed, as a containerd or LXC session's worker was.
            changed_.wait(lock, [this] { return destroying_; });
        });
    }

    ~worker_session() override {
        close(0ms);
        {
            const std::lock_guard lock(mutex_);
            destroying_ = true;
            changed_.notify_all();
        }
        worker_.join();
        ::close(pipe_[0]);
        ::close(pipe_[1]);
    }

    worker_session(const worker_session&) = delete;
    worker_session& operator=(const worker_session&) = delete;

    void write(std::span<const std::uint8_t> data) override {
        running_or_throw();
        (void)data;
    }
    void close_stdin() override { running_or_throw(); }
    void resize(std::uint16_t rows, std::uint16_t cols) override {
        running_or_throw();
        (void)rows;
        (void)cols;
    }
    void signal(int signo) override {
        running_or_throw();
        (void)signo;
    }
    void close(std::chrono::milliseconds grace) override {
        (void)grace;
        std::unique_lock lock(mutex_);
        closing_ = true;
        changed_.notify_all();
        changed_.wait(lock, [this] { return ended_; });
    }

private:
    void running_or_throw() {
        const std::lock_guard lock(mutex_);
        if (ended_) throw berth::sdk::error(BERTH_ERR_STATE, "the fake session has ended");
    }

    berth::sdk::session_sink sink_;
    int pipe_[2] = {-1, -1};
    std::mutex mutex_;
    std::condition_variable changed_;
    bool closing_ = false;
    bool ended_ = false;
    bool destroying_ = false;
    std::thread worker_;  // last: it uses the members above
};

class worker_plugin final : public berth::sdk::plugin {
public:
    static constexpr berth::sdk::plugin_info k_info{
        "berth-worker", "worker", "0.0.1",
        "Fake sessions that keep a thread and a pipe until destroyed", BERTH_CAP_PIPES};
    explicit worker_plugin(berth::sdk::host_services /*host*/) {}
    berth::sdk::health_report health() override {
        return {BERTH_HEALTH_HEALTHY, "fake sessions", {}};
    }
    std::string_view options_schema() override { return k_schema; }
    std::unique_ptr<worker_session> open(std::string_view options_json,
                                         berth::sdk::session_sink sink) {
        const berth::sdk::session_options o(k_schema, options_json);
        return std::make_unique<worker_session>(
            sink, o.string("output").value_or(""),
            static_cast<int>(o.integer("exit_code").value_or(0)), o.flag("stay"));
    }
};

}  // namespace

BERTH_PLUGIN(worker_plugin)
