// `berth plugin validate FILE`: one line per check, PASS, FAIL or SKIP, with what was found or
// why it failed; the checks run in berth-plugin-probe (berth/host/plugin_validation.hpp).
#include <berth/host/plugin_validation.hpp>

#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>

#include "commands.hpp"

namespace berth::cli {
namespace {
using json = nlohmann::json;
using verdict = host::validation_check::verdict;

std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

}  // namespace

int plugin_validate(const validate_request& request, output_format format) {
    if (request.options_json) {
        const json options = json::parse(*request.options_json, nullptr, false);
        if (!options.is_object()) {
            std::cerr << "berth: --options must be a JSON object, e.g. '{\"command\":[\"sh\"]}'\n";
            return k_exit_usage;
        }
    }
    const auto checks =
        host::validate_plugin({.plugin = request.file,
                               .options_json = request.options_json,
                               .timeout = std::chrono::milliseconds(request.timeout_ms)});
    if (!checks) {
        std::cerr << "berth: cannot validate " << request.file << ": " << checks.err().message
                  << "\n";
        return k_exit_runtime_failure;
    }
    const host::validation_check* failed = nullptr;
    for (const auto& c : checks.value())
        if (c.result == verdict::fail && failed == nullptr) failed = &c;

    if (format == output_format::json) {
        json list = json::array();
        for (const auto& c : checks.value()) {
            json j = {
                {"check", c.id}, {"result", lower(to_string(c.result))}, {"detail", c.detail}};
            if (c.health_state) j["health_state"] = *c.health_state;
            list.push_back(std::move(j));
        }
        std::cout << json{{"plugin", request.file}, {"valid", failed == nullptr}, {"checks", list}}
                         .dump(2)
                  << "\n";
    } else {
        for (const auto& c : checks.value())
            std::cout << to_string(c.result) << "  " << std::left << std::setw(16) << c.id
                      << c.detail << "\n";
        if (failed == nullptr)
            std::cout << request.file << ": valid: every check passed\n";
        else
            std::cout << request.file << ": not valid: the " << failed->id << " check failed\n";
    }
    return failed == nullptr ? 0 : 1;
}

}  // namespace berth::cli
