#include "probe.hpp"

#include <berth/sdk/plugin.hpp>
#include <berth/sdk/run_command.hpp>

#include <cstring>
#include <system_error>

namespace berth::host {
namespace {

constexpr int k_probe_rejected = 3;  // berth-plugin-probe's "rejected, reason on stdout"

std::string trimmed(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
}

}  // namespace

std::string signal_text(int signo) {
    const char* name = ::sigabbrev_np(signo);
    return "signal " + std::to_string(signo) +
           (name != nullptr ? std::string(", SIG") + name : std::string());
}

std::optional<std::filesystem::path> find_probe(const std::filesystem::path& executable) {
    const auto candidate =
        executable.parent_path().parent_path() / "lib" / "berth" / "berth-plugin-probe";
    std::error_code ec;
    if (std::filesystem::is_regular_file(candidate, ec)) return candidate;
    return std::nullopt;
}

std::string probe_plugin(const std::filesystem::path& probe, const std::filesystem::path& plugin,
                         std::chrono::milliseconds timeout) {
    sdk::command_result r;
    try {
        r = sdk::run_command({probe.string(), plugin.string()}, timeout, {}, 64 * 1024);
    } catch (const std::exception& e) {
        return "could not be probed (" + probe.string() + "): " + e.what();
    }
    if (r.timed_out)
        return "hung while loading: the probe process was killed after " +
               std::to_string(timeout.count()) + " ms; not loaded into this process";
    if (r.term_signal > 0)
        return "crashed while loading (" + signal_text(r.term_signal) +
               ") in a probe process; not loaded into this process";
    if (r.exit_code == 0) return {};
    if (const auto reason = trimmed(r.out); r.exit_code == k_probe_rejected && !reason.empty())
        return reason;
    return "the probe process failed (" + r.message() + ")";
}

}  // namespace berth::host
