#include <spdlog/spdlog.h>
#include <unistd.h>
#include <berth/host/discovery.hpp>
#include <berth/host/host.hpp>
#include <berth/host/plugin_trust.hpp>
#include <berth/sdk/options.hpp>
#include <berth/sdk/random_hex.hpp>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <stdexcept>
#include <thread>

#include "probe.hpp"

namespace berth::host {

bool in_session_callback() noexcept;  // session.cpp

namespace {
// What new_session_id makes: "s-" and 12 lowercase hex digits.
bool valid_session_id(std::string_view id) {
    return id.size() == 14 && id.substr(0, 2) == "s-" &&
           std::all_of(id.begin() + 2, id.end(),
                       [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// This process's discovery inputs, with the install the options name in place of the one of
// its executable: discovery and the probe find the install from an executable in its bin/.
discovery_inputs inputs_for(const host_options& options) {
    auto inputs = current_discovery_inputs();
    if (options.install_prefix) inputs.executable = *options.install_prefix / "bin" / "berth";
    return inputs;
}
}  // namespace

std::string_view to_string(plugin_report::status s) noexcept {
    switch (s) {
        case plugin_report::status::loaded:
            return "loaded";
        case plugin_report::status::rejected:
            return "rejected";
        case plugin_report::status::shadowed:
            return "shadowed";
        case plugin_report::status::removed:
            return "removed";
    }
    return "unknown";
}

bool valid_owner_token(std::string_view token) noexcept {
    return !token.empty() && token.size() <= 32 &&
           std::all_of(token.begin(), token.end(), [](char c) {
               return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
           });
}

host::host(host_options options) : options_(std::move(options)) {
    if (!options_.owner.empty() && !valid_owner_token(options_.owner))
        throw std::invalid_argument("host owner token '" + options_.owner +
                                    "' is invalid: expected 1 to 32 of [a-z0-9-]");
    const auto inputs = inputs_for(options_);
    dirs_ = options_.plugin_dirs ? *options_.plugin_dirs : plugin_search_dirs(inputs);
    if (options_.probe_plugins) {
        std::error_code ec;
        if (!options_.probe_path)
            probe_ = find_probe(inputs.executable);
        else if (std::filesystem::is_regular_file(*options_.probe_path, ec))
            probe_ = options_.probe_path;
        if (!probe_)
            spdlog::warn(
                "berth-plugin-probe not found ({}): plugins are loaded without a probe, so "
                "one that crashes while loading takes this process down",
                options_.probe_path ? options_.probe_path->string()
                                    : "beside " + inputs.executable.string());
    }
    if (options_.session_logs) {
        log_space_ = std::make_shared<registry::log_space>(options_.session_logs->total_bytes);
        // A directory that cannot be made is no reason not to run: each session's log then
        // says why it is not kept (session.get), and output stays in memory.
        std::error_code ec;
        std::filesystem::create_directories(options_.session_logs->dir, ec);
        if (ec)
            spdlog::warn("session logs: cannot create {}: {} (output is kept in memory only)",
                         options_.session_logs->dir.string(), ec.message());
    }
    (void)scan();
}

std::unique_ptr<registry::session_log> host::log_for(const std::string& id, bool restored) const {
    if (!options_.session_logs) return nullptr;
    auto file = options_.session_logs->dir / (id + ".log");
    if (restored)
        return std::make_unique<registry::session_log>(registry::session_log::restored,
                                                       std::move(file), log_space_);
    return std::make_unique<registry::session_log>(
        std::move(file), options_.session_logs->session_bytes, log_space_);
}

std::size_t host::prune_session_logs() {
    if (!options_.session_logs) return 0;
    std::size_t removed = 0;
    std::error_code ec;
    std::filesystem::directory_iterator it(options_.session_logs->dir, ec);
    for (; !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
        const auto& path = it->path();
        // Only what is a session log by name and by content: session_log_dir may be a
        // directory that holds other files ending in .log.
        if (path.extension() != ".log" || !valid_session_id(path.stem().string()) ||
            !registry::session_log::is_log_file(path) || find_session(path.stem().string()))
            continue;
        std::error_code gone;
        if (std::filesystem::remove(path, gone)) ++removed;
    }
    return removed;
}

host::~host() {
    // Sessions hold their plugins; drop them before the plugins' last owner goes.
    std::lock_guard lock(sessions_mutex_);
    order_.clear();
    sessions_.clear();
}

std::vector<plugin_report> host::reports() const {
    std::lock_guard lock(plugins_mutex_);
    return reports_;
}

std::vector<std::shared_ptr<plugin>> host::plugins() const {
    std::lock_guard lock(plugins_mutex_);
    return plugins_;
}

host::rescan_summary host::rescan() { return scan(); }

std::vector<reclaim_report> host::reclaim_owned() {
    const auto all = plugins();
    std::vector<std::optional<reclaim_report>> slots(all.size());
    {
        std::vector<std::jthread> workers;
        for (std::size_t i = 0; i < all.size(); ++i) {
            workers.emplace_back([&slots, &all, i] {
                const auto r = all[i]->reclaim_owned();
                if (r.ran) slots[i] = reclaim_report{all[i]->runtime(), r.removed, r.error};
            });
        }
    }  // joins every worker
    std::vector<reclaim_report> reports;
    for (auto& r : slots)
        if (r) reports.push_back(std::move(*r));
    return reports;
}

namespace {

// "s-" and 12 random hex digits: unique across restarts too, as berthd lists the sessions of
// its last run beside new ones.
std::string new_session_id() { return "s-" + sdk::random_hex(12); }

// dirs, each with where it came from. The host computed them from its discovery inputs
// (inputs_for) unless the embedder gave its own (then they are all dir_origin::other).
std::vector<search_dir> tag_dirs(const std::vector<std::filesystem::path>& dirs,
                                 const host_options& options) {
    std::vector<search_dir> standard;
    if (!options.plugin_dirs) standard = plugin_search_dirs_tagged(inputs_for(options));
    std::vector<search_dir> tagged;
    for (const auto& d : dirs) {
        search_dir t{d, dir_origin::other};
        for (const auto& s : standard)
            if (s.path == d) {
                t.origin = s.origin;
                break;
            }
        tagged.push_back(std::move(t));
    }
    return tagged;
}

}  // namespace

std::vector<search_dir> host::search_dirs() const { return tag_dirs(dirs_, options_); }

host::rescan_summary host::scan() {
    // One scan at a time. plugins_ and retired_ change only here, so reading them needs no
    // other lock; plugins_mutex_ is taken for the swap only, so probing or loading a slow
    // plugin never blocks find(), plugins() or open_session().
    std::lock_guard scan_lock(scan_mutex_);
    rescan_summary summary;
    std::vector<plugin_report> reports;
    std::vector<std::shared_ptr<plugin>> active;
    const auto active_for = [&](const std::string& runtime) -> std::shared_ptr<plugin> {
        for (const auto& p : active)
            if (p->runtime() == runtime) return p;
        return nullptr;
    };
    const auto euid = static_cast<std::uint32_t>(::geteuid());
    std::map<std::filesystem::path, dir_origin> origin_of;  // of every candidate
    std::set<std::filesystem::path> untrusted;              // refused by plugin_trust_problem()
    for (const auto& [path, origin] : tagged_plugin_candidates(tag_dirs(dirs_, options_))) {
        origin_of.emplace(path, origin);
        plugin_report report;
        report.path = path;
        // Before anything opens the file, here or in the probe: who could have written it, or
        // the directories on the way to it? Checked on every scan, so a loaded plugin whose
        // file or directory becomes untrusted stops taking new sessions, as it would after a
        // restart. (Why checking the path and then loading it by path is safe enough:
        // plugin_trust.hpp.)
        if (auto why = plugin_trust_problem(path, euid); !why.empty()) {
            report.reason = std::move(why);
            spdlog::warn("plugin {} rejected: {}", path.string(), report.reason);
            untrusted.insert(path);
            reports.push_back(std::move(report));
            continue;
        }
        // A file already loaded stays as it is: its instance may have live sessions.
        std::shared_ptr<plugin> existing;
        for (const auto& p : plugins_)
            if (p->path() == path) existing = p;
        const bool replaced = existing && existing->file_replaced();
        if (existing && !replaced && !active_for(existing->runtime())) {
            report.info = existing->info();
            report.state = plugin_report::status::loaded;
            active.push_back(existing);
            reports.push_back(std::move(report));
            continue;
        }
        // Loaded from this path before (replaced, or removed and put back while its sessions
        // run): dlopen must not hand back the old library.
        const bool path_loaded =
            existing || std::any_of(retired_.begin(), retired_.end(),
                                    // A named capture: clang 14 cannot capture a structured
                                    // binding.
                                    [&file = path](const auto& p) { return p->path() == file; });
        if (probe_) {
            if (auto why = probe_plugin(*probe_, path, options_.probe_timeout); !why.empty()) {
                report.reason = std::move(why);
                spdlog::warn("plugin {} rejected: {}", path.string(), report.reason);
                reports.push_back(std::move(report));
                continue;
            }
        }
        auto lib = load_plugin_library(path, path_loaded);
        if (!lib) {
            report.reason = lib.err().message;
            spdlog::warn("plugin {} rejected: {}", path.string(), report.reason);
            reports.push_back(std::move(report));
            continue;
        }
        report.info = lib.value()->info();
        if (auto winner = active_for(report.info.runtime)) {
            report.state = plugin_report::status::shadowed;
            report.reason = "runtime '" + report.info.runtime + "' is already provided by " +
                            winner->path().string();
            const auto w = origin_of.find(winner->path());
            const dir_origin winner_origin = w == origin_of.end() ? dir_origin::other : w->second;
            if (winner_origin == dir_origin::plugin_path && is_builtin(origin)) {
                // A file in BERTH_PLUGIN_PATH takes the place of one berth ships: fine for a
                // developer on purpose, a hijack otherwise. Say so loudly either way.
                report.reason += ", from " + std::string(describe(winner_origin)) +
                                 ", which replaces this built-in plugin from " +
                                 std::string(describe(origin));
                spdlog::warn(
                    "plugin {} from {} replaces the built-in runtime '{}' of {} ({}): sessions "
                    "for '{}' run the {} file",
                    winner->path().string(), describe(winner_origin), report.info.runtime,
                    path.string(), describe(origin), report.info.runtime, describe(winner_origin));
            } else {
                spdlog::info("plugin {} shadowed: {}", path.string(), report.reason);
            }
            reports.push_back(std::move(report));
            continue;
        }
        auto instance =
            plugin::create(std::move(lib.value()), &registry_.metrics(), options_.owner);
        if (!instance) {
            report.reason = instance.err().message;
            spdlog::warn("plugin {} rejected: {}", path.string(), report.reason);
            reports.push_back(std::move(report));
            continue;
        }
        report.state = plugin_report::status::loaded;
        spdlog::debug("plugin {} loaded: runtime {}", path.string(), report.info.runtime);
        (replaced && existing->runtime() == report.info.runtime ? summary.reloaded : summary.added)
            .push_back(report.info.runtime);
        active.push_back(std::move(instance.value()));
        reports.push_back(std::move(report));
    }
    std::lock_guard lock(plugins_mutex_);
    const auto replaced_by_new_file = [&](const std::shared_ptr<plugin>& p) {
        return std::any_of(active.begin(), active.end(), [&](const auto& a) {
            return a != p && a->path() == p->path() && a->runtime() == p->runtime();
        });
    };
    for (const auto& p : plugins_) {
        if (std::find(active.begin(), active.end(), p) != active.end()) continue;
        if (replaced_by_new_file(p)) {
            spdlog::info(
                "plugin {} ({}) was replaced: new sessions use the new file; open ones go on",
                p->path().string(), p->runtime());
        } else if (untrusted.contains(p->path())) {
            spdlog::warn("plugin {} ({}) is no longer trusted: no new sessions; open ones go on",
                         p->path().string(), p->runtime());
            summary.removed.push_back(p->runtime());
        } else {
            spdlog::info("plugin {} ({}) is gone: no new sessions; open ones go on",
                         p->path().string(), p->runtime());
            summary.removed.push_back(p->runtime());
        }
        retired_.push_back(p);
    }
    // Retired plugins whose sessions all ended can go; the library unloads with the last one.
    std::erase_if(retired_, [](const std::shared_ptr<plugin>& p) { return p.use_count() == 1; });
    for (const auto& p : retired_) {
        plugin_report report;
        report.path = p->path();
        report.state = plugin_report::status::removed;
        report.info = p->info();
        report.reason = replaced_by_new_file(p)
                            ? "file replaced: the new file takes new sessions; these open "
                              "sessions go on with the old one"
                        : untrusted.contains(p->path())
                            ? "file no longer trusted (see its rejected entry): takes no new "
                              "sessions; its open sessions go on"
                            : "file removed: takes no new sessions; its open sessions go on";
        reports.push_back(std::move(report));
    }
    plugins_ = std::move(active);
    reports_ = std::move(reports);
    return summary;
}

std::shared_ptr<plugin> host::find(std::string_view runtime_or_name) const {
    std::lock_guard lock(plugins_mutex_);
    return find_locked(runtime_or_name);
}

std::shared_ptr<plugin> host::find_locked(std::string_view runtime_or_name) const {
    for (const auto& p : plugins_)
        if (p->runtime() == runtime_or_name) return p;
    for (const auto& p : plugins_)
        if (p->name() == runtime_or_name) return p;
    return nullptr;
}

result<std::shared_ptr<session>> host::open_session(std::string_view runtime,
                                                    std::string_view options_json,
                                                    output_observer observer,
                                                    exit_observer on_exit) {
    auto p = find(runtime);
    if (!p) {
        std::string known;
        for (const auto& q : plugins()) known += (known.empty() ? "" : ", ") + q->runtime();
        return error{BERTH_ERR_NOT_FOUND, "unknown runtime '" + std::string(runtime) +
                                              "' (available: " + (known.empty() ? "none" : known) +
                                              ")"};
    }
    if (auto problem = sdk::validate_options(p->options_schema(), options_json); !problem.empty())
        return error{BERTH_ERR_INVALID_ARGUMENT, "runtime " + p->runtime() + ": " + problem};

    registry::session_record record;
    record.runtime = p->runtime();
    record.plugin = p->name();
    // What the session runs in, and whether on a terminal, the plugin says once it is open.
    const auto options = nlohmann::json::parse(options_json);  // validated above
    if (auto it = options.find("command"); it != options.end() && it->is_array())
        for (const auto& a : *it)
            if (a.is_string()) record.argv.push_back(a.get<std::string>());

    auto s = keep(std::move(record), p, std::move(observer));
    s->observe_exit(std::move(on_exit));
    if (auto opened = s->open(std::string(options_json)); !opened) return opened.err();
    return s;
}

std::shared_ptr<session> host::keep(registry::session_record record, std::shared_ptr<plugin> p,
                                    output_observer observer) {
    if (record.created == registry::clock::time_point{}) record.created = registry::clock::now();
    std::shared_ptr<session> s;
    {
        std::lock_guard lock(sessions_mutex_);
        if (record.id.empty()) {
            do {
                record.id = new_session_id();
            } while (sessions_.contains(record.id));
        } else if (sessions_.contains(record.id)) {
            return nullptr;
        }
        // A session with a plugin is new; without one it is restored from its record.
        auto log = log_for(record.id, p == nullptr);
        s = session::create(std::move(p),
                            std::make_shared<registry::session_entry>(
                                std::move(record), options_.output_buffer_capacity,
                                &registry_.metrics(), std::move(log)),
                            std::move(observer));
        sessions_.emplace(s->id(), s);
        order_.push_back(s);
    }
    return s;
}

result<std::shared_ptr<session>> host::restore_session(registry::session_record record) {
    if (record.id.empty() || !registry::is_final(record.state))
        return error{BERTH_ERR_INVALID_ARGUMENT,
                     "cannot restore session '" + record.id +
                         "': only an ended session with an id can be kept by its record alone"};
    const std::string id = record.id;
    auto s = keep(std::move(record), nullptr, {});
    if (!s) return error{BERTH_ERR_STATE, "cannot restore session '" + id + "': the id is taken"};
    return s;
}

std::shared_ptr<session> host::find_session(std::string_view id) const {
    std::lock_guard lock(sessions_mutex_);
    auto it = sessions_.find(id);
    return it == sessions_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<session>> host::sessions() const {
    std::lock_guard lock(sessions_mutex_);
    return order_;
}

std::vector<registry::session_record> host::session_records() const {
    // Snapshots take each entry's own lock; taking them outside ours keeps a busy session
    // from stalling every open and find.
    std::vector<registry::session_record> records;
    for (const auto& s : sessions()) records.push_back(s->entry()->snapshot());
    return records;
}

void host::forget_session(std::string_view id) {
    std::shared_ptr<session> s;
    {
        std::lock_guard lock(sessions_mutex_);
        auto it = sessions_.find(id);
        if (it == sessions_.end()) return;
        s = std::move(it->second);
        sessions_.erase(it);
        std::erase(order_, s);
    }
    s->entry()->discard_log();
    // s is destroyed here, outside the lock: its destructor may wait for the plugin.
}

std::size_t host::release_ended_sessions() {
    if (in_session_callback()) {
        spdlog::warn(
            "release_ended_sessions called from a plugin callback: nothing released (a plugin "
            "cannot destroy a session from its own thread)");
        return 0;
    }
    // Outside the map's lock: session_destroy may wait for a plugin's threads, and
    // open_session, find_session and forget_session go on meanwhile.
    std::size_t released = 0;
    for (const auto& s : sessions())
        if (registry::is_final(s->entry()->state()) && !s->released() && s->release()) ++released;
    return released;
}

}  // namespace berth::host
