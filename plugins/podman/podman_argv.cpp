#include "podman_argv.hpp"

#include <berth/plugin.h>
#include <berth/sdk/random_hex.hpp>

#include <array>
#include <charconv>

namespace berth::plugins::podman {
namespace {

void add(std::vector<std::string>& argv, std::string_view flag, const std::string& value) {
    argv.push_back(std::string(flag) + "=" + value);
}

void add_each(std::vector<std::string>& argv, std::string_view flag,
              const std::vector<std::string>& values) {
    for (const auto& v : values) add(argv, flag, v);
}

std::string number_text(double value) {
    std::array<char, 64> buf{};
    const auto r = std::to_chars(buf.data(), buf.data() + buf.size(), value);
    return std::string(buf.data(), r.ptr);
}

// The flags run and exec share, in the order podman documents them.
void add_process_flags(std::vector<std::string>& argv, const podman_options& o,
                       const session_ids& ids) {
    argv.emplace_back("-i");
    if (o.tty) argv.emplace_back("-t");
    // podman's default detach keys (ctrl-p, ctrl-q) would swallow those bytes: a session
    // passes every byte through, and berth closes sessions itself.
    argv.emplace_back("--detach-keys=");
    for (const auto& [k, v] : o.env) add(argv, "--env", k + "=" + v);
    add(argv, "--env", std::string(k_token_env) + "=" + ids.token);
    if (!o.workdir.empty()) add(argv, "--workdir", o.workdir);
    if (!o.user.empty()) add(argv, "--user", o.user);
    if (o.privileged) argv.emplace_back("--privileged");
}

}  // namespace

std::vector<std::string> podman_prefix(const podman_options& o) {
    std::vector<std::string> argv{o.binary};
    if (!o.url.empty()) add(argv, "--url", o.url);
    if (!o.connection.empty()) add(argv, "--connection", o.connection);
    if (!o.log_level.empty()) add(argv, "--log-level", o.log_level);
    return argv;
}

std::vector<std::string> session_argv(const podman_options& o, const session_ids& ids) {
    std::vector<std::string> argv = podman_prefix(o);
    if (o.mode == session_mode::exec) {
        argv.emplace_back("exec");
        add_process_flags(argv, o, ids);
        argv.push_back(o.container);
    } else {
        argv.emplace_back("run");
        argv.emplace_back("--rm");
        add_process_flags(argv, o, ids);
        add(argv, "--label", std::string(k_session_label) + "=" + ids.token);
        add(argv, "--pull", o.pull);
        add(argv, "--name", ids.name);
        if (!o.network.empty()) add(argv, "--network", o.network);
        add_each(argv, "--volume", o.volumes);
        add_each(argv, "--publish", o.ports);
        for (const auto& [k, v] : o.labels) add(argv, "--label", k + "=" + v);
        if (!ids.owner.empty())
            add(argv, "--label", std::string(BERTH_OWNER_LABEL) + "=" + ids.owner);
        if (!o.memory.empty()) add(argv, "--memory", o.memory);
        if (o.cpus) add(argv, "--cpus", number_text(*o.cpus));
        if (o.read_only) argv.emplace_back("--read-only");
        add_each(argv, "--cap-add", o.cap_add);
        add_each(argv, "--cap-drop", o.cap_drop);
        add_each(argv, "--security-opt", o.security_opt);
        add_each(argv, "--device", o.devices);
        add_each(argv, "--tmpfs", o.tmpfs);
        if (o.init) argv.emplace_back("--init");
        argv.push_back(o.image);
    }
    argv.insert(argv.end(), o.command.begin(), o.command.end());
    return argv;
}

std::vector<std::string> remove_argv(const podman_options& o, std::string_view name) {
    std::vector<std::string> argv = podman_prefix(o);
    for (const char* a : {"rm", "--force", "--ignore", "--time=0"}) argv.emplace_back(a);
    argv.emplace_back(name);
    return argv;
}

std::vector<std::string> state_argv(const podman_options& o, std::string_view name) {
    std::vector<std::string> argv = podman_prefix(o);
    for (const char* a : {"container", "inspect", "--format={{.State.Status}}"})
        argv.emplace_back(a);
    argv.emplace_back(name);
    return argv;
}

namespace {
std::vector<std::string> labelled_list_argv(const podman_options& o, std::string_view label,
                                            std::string_view value) {
    std::vector<std::string> argv = podman_prefix(o);
    for (const char* a : {"ps", "--all", "--format={{.Names}}"}) argv.emplace_back(a);
    add(argv, "--filter", "label=" + std::string(label) + "=" + std::string(value));
    return argv;
}
}  // namespace

std::vector<std::string> session_list_argv(const podman_options& o, std::string_view token) {
    return labelled_list_argv(o, k_session_label, token);
}

std::vector<std::string> owned_list_argv(const podman_options& o, std::string_view owner) {
    return labelled_list_argv(o, BERTH_OWNER_LABEL, owner);
}

std::string new_token() { return sdk::random_hex(12); }

}  // namespace berth::plugins::podman
