#include "containerd_argv.hpp"

#include <berth/plugin.h>

#include <array>
#include <charconv>

namespace berth::plugins::containerd {

argv ctr_base(const connection& conn) {
    return {conn.ctr, "--connect-timeout", std::to_string(conn.connect_timeout.count()) + "ms",
            "-a",     conn.address,        "-n",
            conn.ns};
}

std::string format_cpus(double cpus) {
    std::array<char, 64> buf{};
    const auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), cpus);
    return ec == std::errc() ? std::string(buf.data(), end) : std::to_string(cpus);
}

argv run_detached(const session_config& c, std::string_view container_id) {
    argv a = ctr_base(c.conn);
    // --null-io: the init has no use for I/O, and FIFOs left open by a detached ctr would
    // only break its writes.
    a.insert(a.end(), {"run", "-d", "--null-io"});
    if (!c.snapshotter.empty()) a.insert(a.end(), {"--snapshotter", c.snapshotter});
    if (!c.runtime.empty()) a.insert(a.end(), {"--runtime", c.runtime});
    // Exec processes start from the container's process spec, so its environment is theirs.
    for (const auto& [k, v] : c.env) a.insert(a.end(), {"--env", k + "=" + v});
    for (const auto& [k, v] : c.labels) a.insert(a.end(), {"--label", k + "=" + v});
    a.insert(a.end(), {"--label", std::string(k_plugin_label) + "=" + std::string(k_plugin_value)});
    if (!c.owner.empty())
        a.insert(a.end(), {"--label", std::string(BERTH_OWNER_LABEL) + "=" + c.owner});
    for (const auto& m : c.mounts) a.insert(a.end(), {"--mount", m});
    if (c.net_host) a.emplace_back("--net-host");
    if (c.privileged) a.emplace_back("--privileged");
    if (c.read_only) a.emplace_back("--read-only");
    if (c.memory_limit) a.insert(a.end(), {"--memory-limit", std::to_string(*c.memory_limit)});
    if (c.cpus) a.insert(a.end(), {"--cpus", format_cpus(*c.cpus)});
    a.emplace_back("--");
    a.push_back(*c.image);
    a.emplace_back(container_id);
    a.insert(a.end(), c.init.begin(), c.init.end());
    return a;
}

argv exec_command(const session_config& c, std::string_view container_id, std::string_view exec_id,
                  std::string_view fifo_dir) {
    argv a = ctr_base(c.conn);
    a.insert(a.end(), {"task", "exec", "--exec-id", std::string(exec_id)});
    // ctr leaves its FIFOs behind when it is killed; in a folder of the session's own they
    // can be removed with it.
    a.insert(a.end(), {"--fifo-dir", std::string(fifo_dir)});
    if (c.tty) a.emplace_back("-t");
    if (!c.workdir.empty()) a.insert(a.end(), {"--cwd", c.workdir});
    if (!c.user.empty()) a.insert(a.end(), {"--user", c.user});
    a.emplace_back("--");
    a.emplace_back(container_id);
    a.insert(a.end(), c.command.begin(), c.command.end());
    return a;
}

argv list_owned(const connection& conn, std::string_view owner) {
    argv a = ctr_base(conn);
    // ctr's filter syntax: a label key with a dot must be quoted.
    a.insert(a.end(), {"containers", "ls", "-q",
                       "labels.\"" + std::string(BERTH_OWNER_LABEL) + "\"==" + std::string(owner)});
    return a;
}

argv list_tasks(const connection& conn) {
    argv a = ctr_base(conn);
    a.insert(a.end(), {"tasks", "ls"});
    return a;
}

argv kill_exec(const connection& conn, std::string_view container_id, std::string_view exec_id,
               int signo) {
    argv a = ctr_base(conn);
    a.insert(a.end(), {"task", "kill", "--exec-id", std::string(exec_id), "-s",
                       std::to_string(signo), "--", std::string(container_id)});
    return a;
}

argv kill_task(const connection& conn, std::string_view container_id) {
    argv a = ctr_base(conn);
    a.insert(a.end(), {"task", "kill", "-s", "SIGKILL", "--", std::string(container_id)});
    return a;
}

argv delete_exec(const connection& conn, std::string_view container_id, std::string_view exec_id) {
    argv a = ctr_base(conn);
    a.insert(a.end(), {"task", "delete", "-f", "--exec-id", std::string(exec_id), "--",
                       std::string(container_id)});
    return a;
}

argv delete_task(const connection& conn, std::string_view container_id) {
    argv a = ctr_base(conn);
    a.insert(a.end(), {"task", "delete", "-f", "--", std::string(container_id)});
    return a;
}

argv remove_container(const connection& conn, std::string_view container_id) {
    argv a = ctr_base(conn);
    a.insert(a.end(), {"container", "rm", "--", std::string(container_id)});
    return a;
}

argv version(const connection& conn) {
    argv a = ctr_base(conn);
    a.emplace_back("version");
    return a;
}

argv snapshotter_status(const connection& conn, std::string_view snapshotter) {
    argv a = ctr_base(conn);
    a.insert(a.end(), {"plugins", "ls",
                       "type==io.containerd.snapshotter.v1,id==" + std::string(snapshotter)});
    return a;
}

}  // namespace berth::plugins::containerd
