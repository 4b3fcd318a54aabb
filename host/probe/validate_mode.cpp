#include "validate_mode.hpp"

#include <unistd.h>
#include <berth/host/plugin.hpp>
#include <berth/host/plugin_library.hpp>
#include <berth/sdk/options.hpp>

#include <cerrno>
#include <condition_variable>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

namespace berth::probe {
namespace {
using json = nlohmann::json;

constexpr int k_exit_failed = 3;
constexpr int k_exit_hung = 4;
// A detail longer than this is cut, so that a line stays below PIPE_BUF and reaches the host
// in one piece even when the watchdog writes while the main thread is stuck.
constexpr std::size_t k_max_detail = 2000;

// The event lines. One write(2) per line under a mutex, no stdio: the watchdog writes from
// its own thread while the plugin may be stuck holding stdio's lock.
class event_writer {
public:
    explicit event_writer(int fd) : fd_(fd) {}

    void started(std::string_view check) { emit({{"check", check}, {"event", "start"}}); }
    void passed(std::string_view check, const std::string& detail, json extra = json::object()) {
        extra["check"] = check;
        extra["event"] = "pass";
        extra["detail"] = detail.substr(0, k_max_detail);
        emit(extra);
    }
    void failed(std::string_view check, const std::string& detail) {
        emit({{"check", check}, {"event", "fail"}, {"detail", detail.substr(0, k_max_detail)}});
    }

private:
    void emit(const json& j) {
        // replace: a plugin's words need not be UTF-8; a cut may split a character.
        const std::string line = j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
        std::lock_guard lock(mutex_);
        const char* p = line.data();
        std::size_t left = line.size();
        while (left > 0) {
            const ssize_t n = ::write(fd_, p, left);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return;  // the host is gone; nobody is left to tell
            p += n;
            left -= static_cast<std::size_t>(n);
        }
    }

    int fd_;
    std::mutex mutex_;
};

// Bounds each step that runs the plugin's code on this thread: a step still running after
// `bound` is reported as hung, and the process ends there (the plugin's thread cannot be
// stopped any other way). The host kills the whole probe too, but later, and without knowing
// which step it was in.
class watchdog {
public:
    watchdog(event_writer& out, std::chrono::milliseconds bound) : out_(out), bound_(bound) {}
    ~watchdog() {
        {
            std::lock_guard lock(mutex_);
            stop_ = true;
        }
        cv_.notify_all();
        thread_.join();
    }
    watchdog(const watchdog&) = delete;
    watchdog& operator=(const watchdog&) = delete;

    // `call` names what runs, for the report: "create()".
    void arm(std::string_view check, std::string call) {
        {
            std::lock_guard lock(mutex_);
            check_ = check;
            call_ = std::move(call);
            deadline_ = std::chrono::steady_clock::now() + bound_;
            armed_ = true;
        }
        cv_.notify_all();
    }
    void disarm() {
        std::lock_guard lock(mutex_);
        armed_ = false;
    }

private:
    void loop() {
        std::unique_lock lock(mutex_);
        while (!stop_) {
            if (!armed_) {
                cv_.wait(lock);
                continue;
            }
            cv_.wait_until(lock, deadline_);
            if (armed_ && !stop_ && std::chrono::steady_clock::now() >= deadline_) {
                out_.failed(check_, call_ + " did not return within " +
                                        std::to_string(bound_.count()) + " ms");
                ::_exit(k_exit_hung);
            }
        }
    }

    event_writer& out_;
    const std::chrono::milliseconds bound_;
    std::mutex mutex_;
    std::condition_variable cv_;
    bool stop_ = false;
    bool armed_ = false;
    std::string check_;
    std::string call_;
    std::chrono::steady_clock::time_point deadline_;
    std::thread thread_{[this] { loop(); }};  // last: starts once the rest is built
};

// Reports the check that failed and ends the process.
[[noreturn]] void fail(event_writer& out, watchdog& dog, std::string_view check,
                       const std::string& reason) {
    dog.disarm();
    out.failed(check, reason);
    ::_exit(k_exit_failed);
}

// What runs during each of the loader's checks, for a hang's report.
std::string call_during(host::load_check check) {
    switch (check) {
        case host::load_check::load:
            return "dlopen (the plugin's static initialisers)";
        case host::load_check::entry:
            return BERTH_PLUGIN_ENTRY_SYMBOL;
        default:
            return "reading the descriptor";
    }
}

// Streams the loader's checks and bounds each.
class loader_events final : public host::load_observer {
public:
    loader_events(event_writer& out, watchdog& dog) : out_(out), dog_(dog) {}
    void started(host::load_check check) override {
        last_ = check;
        out_.started(host::to_string(check));
        dog_.arm(host::to_string(check), call_during(check));
    }
    void passed(host::load_check check, const std::string& found) override {
        dog_.disarm();
        out_.passed(host::to_string(check), found);
    }
    [[nodiscard]] host::load_check last() const noexcept { return last_; }

private:
    event_writer& out_;
    watchdog& dog_;
    host::load_check last_ = host::load_check::file;
};

// "3 options: command (required), env, tty".
std::string describe_schema(const std::string& schema_json) {
    const json schema = json::parse(schema_json);  // schema_problem() found it valid
    const json required = schema.value("required", json::array());
    std::string names;
    std::size_t count = 0;
    for (const auto& [name, unused] : schema["properties"].items()) {
        bool req = false;
        for (const auto& r : required) req = req || r == name;
        names += (names.empty() ? "" : ", ") + name + (req ? " (required)" : "");
        ++count;
    }
    return std::to_string(count) + " option(s)" + (names.empty() ? "" : ": " + names);
}

std::string describe_health(const registry::health_check_result& r) {
    std::ostringstream s;
    s << registry::to_string(r.state);
    if (!r.detail.empty()) s << ": " << r.detail;
    for (const auto& [k, v] : r.attributes) s << "; " << k << "=" << v;
    s << " (" << std::chrono::duration_cast<std::chrono::milliseconds>(r.latency).count() << " ms)";
    return s.str();
}

}  // namespace

void run_validate_mode(const std::filesystem::path& plugin, std::chrono::milliseconds bound,
                       const std::optional<std::string>& options_json, int out_fd) {
    event_writer out(out_fd);
    watchdog dog(out, bound);

    loader_events events(out, dog);
    auto lib = host::load_plugin_library(plugin, false, &events);
    if (!lib) fail(out, dog, host::to_string(events.last()), lib.err().message);

    out.started("create");
    // plugin::create asks for the options schema right after create(): one step.
    dog.arm("create", "create() (or the options_schema() call right after it)");
    auto created = host::plugin::create(std::move(lib.value()), nullptr);
    dog.disarm();
    if (!created) fail(out, dog, "create", created.err().message);
    std::shared_ptr<host::plugin> instance = std::move(created).value();
    out.passed("create", "create() returned an instance");

    out.started("options_schema");
    const std::string schema = instance->options_schema();
    if (auto problem = sdk::schema_problem(schema); !problem.empty())
        fail(out, dog, "options_schema",
             "options_schema() returned a schema the host cannot use: " + problem);
    out.passed("options_schema", describe_schema(schema));

    if (options_json) {
        out.started("options");
        if (auto problem = sdk::validate_options(schema, *options_json); !problem.empty())
            fail(out, dog, "options",
                 "the plugin's schema refuses the --options given: " + problem);
        out.passed("options", "the plugin's schema accepts the --options given");
    }

    out.started("health");
    const auto health = instance->run_health_check(bound);
    using outcome = host::plugin::health_outcome;
    switch (health.outcome) {
        case outcome::timed_out:
            // Its thread still runs the plugin's code: end here, without destroy().
            out.failed("health", "health_check did not return within " +
                                     std::to_string(bound.count()) +
                                     " ms: bound every wait in it (all together within "
                                     "BERTH_HEALTH_BOUND_MS) and report UNHEALTHY when the "
                                     "runtime does not answer");
            ::_exit(k_exit_hung);
        case outcome::failed:
            fail(out, dog, "health",
                 "health_check returned an error instead of a report (" + health.result.detail +
                     "): return BERTH_OK after set_state, with UNHEALTHY and the "
                     "reason when the runtime is broken");
        case outcome::no_state:
            fail(out, dog, "health",
                 "health_check returned BERTH_OK without calling set_state on the sink");
        case outcome::reported:
            break;
    }
    // An honest unhealthy or undetected report passes: it describes this machine's runtime,
    // not a defect in the plugin.
    out.passed("health", describe_health(health.result),
               {{"state", std::string(registry::to_string(health.result.state))}});

    out.started("destroy");
    dog.arm("destroy", "destroy() (or the library's static destructors)");
    instance.reset();  // destroy(), then the library is unloaded
    dog.disarm();
    out.passed("destroy", "destroy() returned and the library unloaded");
    ::_exit(0);
}

}  // namespace berth::probe
