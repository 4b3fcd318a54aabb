#include <spdlog/spdlog.h>
#include <berth/host/discovery.hpp>
#include <berth/host/host.hpp>
#include <berth/sdk/options.hpp>

#include <nlohmann/json.hpp>

namespace berth::host {

std::string_view to_string(plugin_report::status s) noexcept {
    switch (s) {
        case plugin_report::status::loaded:
            return "loaded";
        case plugin_report::status::rejected:
            return "rejected";
        case plugin_report::status::shadowed:
            return "shadowed";
    }
    return "unknown";
}

host::host(host_options options) : options_(std::move(options)) {
    load_all(options_.plugin_dirs ? *options_.plugin_dirs
                                  : plugin_search_dirs(current_discovery_inputs()));
}

host::~host() {
    // Sessions hold their plugins; drop them before the plugins' last owner goes.
    std::lock_guard lock(sessions_mutex_);
    sessions_.clear();
}

void host::load_all(const std::vector<std::filesystem::path>& dirs) {
    for (const auto& path : plugin_candidates(dirs)) {
        plugin_report report;
        report.path = path;
        auto lib = load_plugin_library(path);
        if (!lib) {
            report.reason = lib.err().message;
            spdlog::warn("plugin {} rejected: {}", path.string(), report.reason);
            reports_.push_back(std::move(report));
            continue;
        }
        report.info = lib.value()->info();
        if (auto winner = find(report.info.runtime)) {
            report.state = plugin_report::status::shadowed;
            report.reason = "runtime '" + report.info.runtime + "' is already provided by " +
                            winner->path().string();
            spdlog::info("plugin {} shadowed: {}", path.string(), report.reason);
            reports_.push_back(std::move(report));
            continue;
        }
        auto instance = plugin::create(std::move(lib.value()), &registry_.metrics());
        if (!instance) {
            report.reason = instance.err().message;
            spdlog::warn("plugin {} rejected: {}", path.string(), report.reason);
            reports_.push_back(std::move(report));
            continue;
        }
        report.state = plugin_report::status::loaded;
        spdlog::debug("plugin {} loaded: runtime {}", path.string(), report.info.runtime);
        plugins_.push_back(std::move(instance.value()));
        reports_.push_back(std::move(report));
    }
}

std::shared_ptr<plugin> host::find(std::string_view runtime_or_name) const {
    for (const auto& p : plugins_)
        if (p->runtime() == runtime_or_name) return p;
    for (const auto& p : plugins_)
        if (p->name() == runtime_or_name) return p;
    return nullptr;
}

result<std::shared_ptr<session>> host::open_session(std::string_view runtime,
                                                    std::string_view options_json,
                                                    output_observer observer) {
    auto p = find(runtime);
    if (!p) {
        std::string known;
        for (const auto& q : plugins_) known += (known.empty() ? "" : ", ") + q->runtime();
        return error{errc::not_found, "unknown runtime '" + std::string(runtime) +
                                          "' (available: " + (known.empty() ? "none" : known) +
                                          ")"};
    }
    if (auto problem = sdk::validate_options(p->options_schema(), options_json); !problem.empty())
        return error{errc::invalid_argument, "runtime " + p->runtime() + ": " + problem};

    registry::session_record record;
    record.runtime = p->runtime();
    record.plugin = p->name();
    const auto options = nlohmann::json::parse(options_json);  // validated above
    for (const char* key : {"container", "image", "name", "template"}) {
        if (auto it = options.find(key); it != options.end() && it->is_string()) {
            record.target = it->get<std::string>();
            break;
        }
    }
    if (auto it = options.find("command"); it != options.end() && it->is_array())
        for (const auto& a : *it)
            if (a.is_string()) record.argv.push_back(a.get<std::string>());

    auto opened = session::open(
        p, registry_.sessions().add(std::move(record), options_.output_buffer_capacity),
        std::string(options_json), std::move(observer));
    if (!opened) return opened.err();
    auto s = std::move(opened.value());
    {
        std::lock_guard lock(sessions_mutex_);
        sessions_.emplace(s->id(), s);
    }
    return s;
}

std::shared_ptr<session> host::find_session(std::string_view id) const {
    std::lock_guard lock(sessions_mutex_);
    auto it = sessions_.find(id);
    return it == sessions_.end() ? nullptr : it->second;
}

void host::forget_session(std::string_view id) {
    std::shared_ptr<session> s;
    {
        std::lock_guard lock(sessions_mutex_);
        auto it = sessions_.find(id);
        if (it == sessions_.end()) return;
        s = std::move(it->second);
        sessions_.erase(it);
    }
    // s is destroyed here, outside the lock: its destructor may wait for the plugin.
}

}  // namespace berth::host
