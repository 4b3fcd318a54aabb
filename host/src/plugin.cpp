#include <spdlog/spdlog.h>
#include <berth/host/plugin.hpp>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace berth::host {

// What a plugin's host_ctx points at. Lives as long as the instance.
struct plugin::services {
    berth_host_services table{};
    std::shared_ptr<spdlog::logger> logger;
    registry::metrics_store* metrics = nullptr;
    std::string plugin_name;
    std::string owner;  // what table.owner points into

    static void log(void* ctx, berth_log_level level, const char* message) {
        auto* self = static_cast<services*>(ctx);
        if (self == nullptr || message == nullptr) return;
        const auto lvl = static_cast<spdlog::level::level_enum>(
            std::clamp(static_cast<int>(level), 0, static_cast<int>(spdlog::level::critical)));
        self->logger->log(lvl, "{}", message);
    }

    static void metric(void* ctx, berth_metric_kind kind, const char* name, double value) {
        auto* self = static_cast<services*>(ctx);
        if (self == nullptr || name == nullptr || self->metrics == nullptr) return;
        if (kind == BERTH_METRIC_GAUGE_SET) {
            self->metrics->set_gauge(self->plugin_name, name, value);
        } else {
            self->metrics->add_counter(self->plugin_name, name, value);
        }
    }
};

namespace {

std::string status_name(berth_status s) {
    switch (s) {
        case BERTH_OK:
            return "ok";
        case BERTH_ERR_INVALID_ARGUMENT:
            return "invalid argument";
        case BERTH_ERR_NOT_FOUND:
            return "not found";
        case BERTH_ERR_UNSUPPORTED:
            return "unsupported";
        case BERTH_ERR_RUNTIME:
            return "runtime error";
        case BERTH_ERR_UNAVAILABLE:
            return "unavailable";
        case BERTH_ERR_PERMISSION:
            return "permission denied";
        case BERTH_ERR_STATE:
            return "wrong state";
        case BERTH_ERR_TIMEOUT:
            return "timeout";
        case BERTH_ERR_INTERNAL:
            return "internal error";
        case BERTH_ERR_COMMAND_NOT_FOUND:
            return "command not found";
        case BERTH_ERR_COMMAND_NOT_EXECUTABLE:
            return "command not executable";
    }
    return "status " + std::to_string(static_cast<int>(s));
}

// Health reports come back through this sink; the plugin never owns our memory.
struct health_collector {
    registry::health_check_result result;
    bool state_set = false;

    static void set_state(void* ctx, berth_health_state state, const char* detail) {
        auto* self = static_cast<health_collector*>(ctx);
        self->state_set = true;
        switch (state) {
            case BERTH_HEALTH_HEALTHY:
                self->result.state = registry::health_state::healthy;
                break;
            case BERTH_HEALTH_UNDETECTED:
                self->result.state = registry::health_state::undetected;
                break;
            default:
                self->result.state = registry::health_state::unhealthy;
                break;
        }
        self->result.detail = detail == nullptr ? "" : detail;
    }
    static void add_attribute(void* ctx, const char* key, const char* value) {
        if (key == nullptr) return;
        static_cast<health_collector*>(ctx)->result.attributes.emplace_back(
            key, value == nullptr ? "" : value);
    }
};

}  // namespace

std::string describe_status(berth_status s) { return status_name(s); }

result<std::shared_ptr<plugin>> plugin::create(std::shared_ptr<plugin_library> library,
                                               registry::metrics_store* metrics,
                                               const std::string& owner) {
    auto p = std::shared_ptr<plugin>(new plugin());
    p->library_ = std::move(library);
    p->metrics_ = metrics;
    p->services_ = std::make_unique<services>();
    auto& s = *p->services_;
    s.plugin_name = p->name();
    s.metrics = metrics;
    auto parent = spdlog::default_logger();
    s.logger =
        std::make_shared<spdlog::logger>(p->name(), parent->sinks().begin(), parent->sinks().end());
    s.logger->set_level(parent->level());
    s.table.struct_size = sizeof s.table;
    s.table.abi_major = BERTH_ABI_VERSION_MAJOR;
    s.table.abi_minor = BERTH_ABI_VERSION_MINOR;
    s.table.host_ctx = &s;
    s.table.log = &services::log;
    s.table.metric = &services::metric;
    s.owner = owner;
    s.table.owner = s.owner.empty() ? nullptr : s.owner.c_str();

    berth_plugin* instance = nullptr;
    const berth_status status = p->api().create(&s.table, &instance);
    if (status != BERTH_OK || instance == nullptr) {
        const char* why = p->api().last_error(nullptr);
        std::string reason = "create() failed (" + status_name(status) + ")";
        if (why != nullptr && *why != '\0') reason += ": " + std::string(why);
        if (status == BERTH_OK) reason = "create() returned no instance";
        return error{status == BERTH_OK ? BERTH_ERR_INTERNAL : status, reason};
    }
    p->instance_ = instance;
    const char* schema = p->api().options_schema(instance);
    p->options_schema_ = schema == nullptr ? "" : schema;
    if (metrics != nullptr) metrics->add_plugin(p->name(), p->runtime());
    return p;
}

plugin::~plugin() {
    if (instance_ != nullptr) api().destroy(instance_);
}

plugin::reclaim_result plugin::reclaim_owned() {
    reclaim_result r;
    std::lock_guard lock(reclaim_mutex_);
    if (reclaimed_ || sessions_opened_ || services_->owner.empty() ||
        api().reclaim_owned == nullptr)
        return r;
    reclaimed_ = true;
    r.ran = true;
    const berth_status status = api().reclaim_owned(instance_, &r.removed);
    if (status != BERTH_OK) {
        r.error = last_error();
        if (r.error.empty()) r.error = "reclaim_owned failed (" + status_name(status) + ")";
    }
    return r;
}

void plugin::note_session_opening() {
    std::lock_guard lock(reclaim_mutex_);
    sessions_opened_ = true;
}

std::string plugin::last_error() const {
    const char* e = api().last_error(instance_);
    return e == nullptr ? std::string() : std::string(e);
}

registry::health_check_result plugin::check_health(std::chrono::milliseconds timeout) {
    auto result = run_health_check(timeout).result;
    if (metrics_ != nullptr) metrics_->record_check(name(), result);
    return result;
}

plugin::health_run plugin::run_health_check(std::chrono::milliseconds timeout) {
    // The worker owns what it touches (a shared_ptr to us, hence the library), so a check
    // that outlives the timeout cannot outlive the code it runs.
    struct shared_state {
        std::mutex mutex;
        std::condition_variable done_cv;
        bool done = false;
        health_collector collector;
        berth_status status = BERTH_OK;
        std::string error;
    };
    auto state = std::make_shared<shared_state>();
    const auto started = std::chrono::steady_clock::now();
    std::thread([self = shared_from_this(), state] {
        health_collector local;
        berth_health_sink sink{};
        sink.struct_size = sizeof sink;
        sink.ctx = &local;
        sink.set_state = &health_collector::set_state;
        sink.add_attribute = &health_collector::add_attribute;
        const berth_status status = self->api().health_check(self->instance(), &sink);
        std::string err = status == BERTH_OK ? std::string() : self->last_error();
        std::lock_guard lock(state->mutex);
        state->collector = std::move(local);
        state->status = status;
        state->error = std::move(err);
        state->done = true;
        state->done_cv.notify_all();
    }).detach();

    health_run run;
    auto& result = run.result;
    {
        std::unique_lock lock(state->mutex);
        if (!state->done_cv.wait_for(lock, timeout, [&] { return state->done; })) {
            run.outcome = health_outcome::timed_out;
            result.state = registry::health_state::unhealthy;
            result.detail =
                "health check did not answer within " + std::to_string(timeout.count()) + " ms";
        } else if (state->status != BERTH_OK) {
            run.outcome = health_outcome::failed;
            result.state = registry::health_state::unhealthy;
            result.detail = "health check failed (" + status_name(state->status) + ")" +
                            (state->error.empty() ? "" : ": " + state->error);
        } else if (!state->collector.state_set) {
            run.outcome = health_outcome::no_state;
            result.state = registry::health_state::unhealthy;
            result.detail = "health check reported no state";
        } else {
            result = state->collector.result;
        }
    }
    result.latency = std::chrono::steady_clock::now() - started;
    return run;
}

}  // namespace berth::host
