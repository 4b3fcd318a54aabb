#include "test_support.hpp"

#include <berth/sdk/process_session.hpp>
#include <berth/sdk/run_command.hpp>

#include <cstdlib>
#include <filesystem>

#ifndef BERTH_TEST_BUILD_DIR
#error "BERTH_TEST_BUILD_DIR must be defined by CMake"
#endif

namespace berth::test {

std::filesystem::path build_dir() { return BERTH_TEST_BUILD_DIR; }
std::filesystem::path berth_binary() { return build_dir() / "bin" / "berth"; }
std::filesystem::path plugin_dir() { return build_dir() / "lib" / "berth" / "plugins"; }

cli_result run_argv(const std::vector<std::string>& argv, const std::string& stdin_data,
                    std::chrono::milliseconds timeout) {
    const auto r = sdk::run_command(argv, timeout, stdin_data, std::size_t{64} << 20);
    cli_result out;
    out.status = r.term_signal > 0 ? 128 + r.term_signal : r.exit_code;
    out.timed_out = r.timed_out;
    out.out = r.out;
    out.err = r.err;
    return out;
}

cli_result run_berth(const std::vector<std::string>& args, const std::string& stdin_data,
                     std::chrono::milliseconds timeout,
                     const std::map<std::string, std::string>& env) {
    std::vector<std::string> argv;
    if (!env.empty()) {
        argv.emplace_back("env");
        for (const auto& [k, v] : env) argv.push_back(k + "=" + v);
    }
    argv.push_back(berth_binary().string());
    argv.insert(argv.end(), args.begin(), args.end());
    return run_argv(argv, stdin_data, timeout);
}

bool in_ci() {
    const char* ci = std::getenv("CI");
    return ci != nullptr && std::string(ci) == "true";
}

std::string env_or(const char* name, const std::string& fallback) {
    const char* v = std::getenv(name);
    return v == nullptr || *v == '\0' ? fallback : std::string(v);
}

std::string test_image() { return env_or("BERTH_TEST_IMAGE", "localhost/berth-busybox:latest"); }
std::string containerd_address() {
    return env_or("BERTH_CONTAINERD_ADDRESS", "/run/berth/containerd/containerd.sock");
}
std::string containerd_namespace() { return env_or("BERTH_CONTAINERD_NAMESPACE", "berth"); }
std::string lxc_template() { return env_or("BERTH_LXC_TEMPLATE", "berth-tmpl-busybox"); }
std::string lxc_config() { return env_or("BERTH_LXC_CONFIG", "/etc/berth/lxc.conf"); }

std::string lxd_socket() {
    return env_or("BERTH_LXD_NODE1_SOCKET", "/var/lib/berth/lxd/node1/unix.socket");
}
std::string lxd_node2_url() {
    return "https://" + env_or("BERTH_LXD_NODE2_ADDRESS", "127.0.0.1:8444");
}
std::string lxd_image() { return env_or("BERTH_LXD_IMAGE", "berth-busybox"); }
std::string lxd_exec_instance() { return env_or("BERTH_LXD_EXEC_INSTANCE", "berth-exec"); }
std::string lxd_client_cert() {
    return env_or("BERTH_LXD_CLIENT_CERT", "/var/lib/berth/lxd/client/client.crt");
}
std::string lxd_client_key() {
    return env_or("BERTH_LXD_CLIENT_KEY", "/var/lib/berth/lxd/client/client.key");
}
std::string lxd_flavor() { return env_or("BERTH_LXD_FLAVOR", "lxd"); }
std::string lxd_server_cert() {
    return env_or("BERTH_LXD_SERVER_CERT", "/var/lib/berth/lxd/node1/cluster.crt");
}

scoped_env::scoped_env(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    ::setenv(name, value.c_str(), 1);
}

scoped_env::~scoped_env() {
    if (old_)
        ::setenv(name_.c_str(), old_->c_str(), 1);
    else
        ::unsetenv(name_.c_str());
}

std::string missing_runtime(const std::string& binary) {
    if (binary.starts_with('/')) {
        std::error_code ec;
        if (std::filesystem::exists(binary, ec)) return {};
        return binary +
               " does not exist: run ./scripts/setup-runtimes.sh and "
               "./scripts/setup-lxd.sh";
    }
    if (sdk::find_executable(binary)) return {};
    return binary + " is not installed: run ./scripts/setup-runtimes.sh";
}

}  // namespace berth::test
