// Runs berth-plugin-probe --validate and turns what it streamed, and how it ended, into one
// verdict per check. The checks themselves live in the loader (plugin_library.cpp), the
// plugin wrapper (plugin.cpp), the SDK's schema check and the probe; this only reads.
#include <berth/host/discovery.hpp>
#include <berth/host/plugin_validation.hpp>
#include <berth/sdk/run_command.hpp>

#include <nlohmann/json.hpp>
#include <sstream>

#include "probe.hpp"

namespace berth::host {
namespace {
using json = nlohmann::json;
using verdict = validation_check::verdict;

// The checks, in the order the probe runs them (validate_mode.hpp).
std::vector<validation_check> planned_checks(bool with_options) {
    std::vector<std::string> ids = {"file",       "load",      "entry",  "abi",
                                    "descriptor", "functions", "create", "options_schema"};
    if (with_options) ids.emplace_back("options");
    ids.emplace_back("health");
    ids.emplace_back("destroy");
    std::vector<validation_check> checks;
    for (auto& id : ids) checks.push_back({std::move(id), verdict::skip, {}, std::nullopt});
    return checks;
}

// Where the plugin's code was running when the probe died during a check.
std::string where(const std::string& id) {
    if (id == "load") return "while being loaded (dlopen runs its static initialisers)";
    if (id == "entry") return std::string("in ") + BERTH_PLUGIN_ENTRY_SYMBOL;
    if (id == "create") return "in create() or the options_schema() call right after it";
    if (id == "health") return "in health_check";
    if (id == "destroy") return "in destroy() or a static destructor";
    return "during this check";
}

// The last non-empty line of what the probe (the plugin) wrote to stderr, cut short: an
// assertion's message names the line that failed.
std::string last_words(const std::string& err) {
    std::istringstream in(err);
    std::string line;
    std::string last;
    while (std::getline(in, line))
        if (line.find_first_not_of(" \t\r") != std::string::npos) last = line;
    constexpr std::size_t k_max = 300;
    if (last.size() > k_max) last = last.substr(0, k_max) + "...";
    return last;
}

}  // namespace

std::string_view to_string(validation_check::verdict v) noexcept {
    switch (v) {
        case verdict::pass:
            return "PASS";
        case verdict::fail:
            return "FAIL";
        case verdict::skip:
            return "SKIP";
    }
    return "?";
}

result<std::vector<validation_check>> validate_plugin(const validation_request& request) {
    const auto executable = current_discovery_inputs().executable;
    const auto probe = find_probe(executable);
    if (!probe)
        return error{BERTH_ERR_UNAVAILABLE,
                     "berth-plugin-probe not found beside " + executable.string() +
                         " (expected in ../lib/berth/): validate loads the plugin only in a "
                         "process of its own"};
    // dlopen looks a name without a slash up in the library path, not in this directory.
    std::error_code ec;
    auto file = std::filesystem::absolute(request.plugin, ec);
    if (ec) file = request.plugin;
    std::vector<std::string> argv = {probe->string(), "--validate", file.string(), "--timeout-ms",
                                     std::to_string(request.timeout.count())};
    if (request.options_json) {
        argv.emplace_back("--options");
        argv.push_back(*request.options_json);
    }
    // The probe bounds each step itself and says which one hung; this only ends a probe that
    // could not (every step at once would take at most about five bounds).
    const auto backstop = request.timeout * 6 + std::chrono::seconds(5);
    sdk::command_result r;
    try {
        r = sdk::run_command(argv, backstop, {}, 256 * 1024);
    } catch (const std::exception& e) {
        return error{BERTH_ERR_UNAVAILABLE, "cannot run " + probe->string() + ": " + e.what()};
    }

    auto checks = planned_checks(request.options_json.has_value());
    const auto find = [&checks](const std::string& id) -> validation_check* {
        for (auto& c : checks)
            if (c.id == id) return &c;
        return nullptr;
    };
    validation_check* running = nullptr;  // started and not ended
    bool failed = false;
    std::istringstream lines(r.out);
    for (std::string line; std::getline(lines, line);) {
        const json j = json::parse(line, nullptr, false);
        if (!j.is_object() || !j.contains("check") || !j["check"].is_string()) continue;
        auto* c = find(j["check"].get<std::string>());
        if (c == nullptr) continue;
        const std::string event = j.value("event", "");
        if (event == "start") {
            running = c;
        } else if (event == "pass" || event == "fail") {
            c->result = event == "pass" ? verdict::pass : verdict::fail;
            c->detail = j.value("detail", "");
            if (j.contains("state") && j["state"].is_string())
                c->health_state = j["state"].get<std::string>();
            if (c == running) running = nullptr;
            failed = failed || c->result == verdict::fail;
        }
    }
    if (running != nullptr && !failed) {
        // The probe died, or was killed, inside this check.
        running->result = verdict::fail;
        failed = true;
        if (r.term_signal > 0 && !r.timed_out)
            running->detail = "crashed (" + signal_text(r.term_signal) + ") " + where(running->id) +
                              "; only the probe process died";
        else if (r.timed_out)
            running->detail = "did not finish within " +
                              std::to_string(std::chrono::milliseconds(backstop).count()) +
                              " ms; the probe process was killed";
        else
            running->detail = "the probe process ended without a verdict (" + r.message() + ")";
        if (auto words = last_words(r.err); !words.empty())
            running->detail += "; its last words on stderr: " + words;
    }
    if (!failed && (r.exit_code != 0 || checks.back().result != verdict::pass))
        return error{BERTH_ERR_INTERNAL,
                     "berth-plugin-probe ended without a verdict (" + r.message() + ")"};
    for (auto& c : checks)
        if (c.result == verdict::skip) c.detail = "not run: an earlier check failed";
    return checks;
}

}  // namespace berth::host
