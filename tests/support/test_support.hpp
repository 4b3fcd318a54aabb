// Shared by berth's tests: where the build is, running the berth binary, and requiring a
// real runtime (a failure under CI=true, a skip on a developer machine without it).
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace berth::test {

// <build>/ (set by CMake), and what lives in it.
[[nodiscard]] std::filesystem::path build_dir();
[[nodiscard]] std::filesystem::path berth_binary();
[[nodiscard]] std::filesystem::path plugin_dir();  // <build>/lib/berth/plugins

struct cli_result {
    int status = -1;  // exit status, or 128+N for signal N
    bool timed_out = false;
    std::string out;
    std::string err;
};

// Runs build/bin/berth with args (argv, no shell), stdin_data on its stdin, extra env vars.
[[nodiscard]] cli_result run_berth(const std::vector<std::string>& args,
                                   const std::string& stdin_data = {},
                                   std::chrono::milliseconds timeout = std::chrono::seconds(60),
                                   const std::map<std::string, std::string>& env = {});

// Runs any argv the same way (for bare runtime CLIs in tests).
[[nodiscard]] cli_result run_argv(const std::vector<std::string>& argv,
                                  const std::string& stdin_data = {},
                                  std::chrono::milliseconds timeout = std::chrono::seconds(60));

[[nodiscard]] bool in_ci();  // CI=true

// Environment value or fallback (the defaults match scripts/runtime-env.sh).
[[nodiscard]] std::string env_or(const char* name, const std::string& fallback);
[[nodiscard]] std::string test_image();            // $BERTH_TEST_IMAGE
[[nodiscard]] std::string containerd_address();    // $BERTH_CONTAINERD_ADDRESS
[[nodiscard]] std::string containerd_namespace();  // $BERTH_CONTAINERD_NAMESPACE
[[nodiscard]] std::string lxc_template();          // $BERTH_LXC_TEMPLATE
[[nodiscard]] std::string lxc_config();            // $BERTH_LXC_CONFIG
// The LXD test cluster (scripts/setup-lxd.sh): member 1's socket, member 2's HTTPS address,
// the image, and the client certificate, its key and the cluster certificate berth pins.
[[nodiscard]] std::string lxd_socket();         // $BERTH_LXD_NODE1_SOCKET
[[nodiscard]] std::string lxd_node2_url();      // https://$BERTH_LXD_NODE2_ADDRESS
[[nodiscard]] std::string lxd_image();          // $BERTH_LXD_IMAGE
[[nodiscard]] std::string lxd_exec_instance();  // $BERTH_LXD_EXEC_INSTANCE
[[nodiscard]] std::string lxd_client_cert();    // $BERTH_LXD_CLIENT_CERT
[[nodiscard]] std::string lxd_client_key();     // $BERTH_LXD_CLIENT_KEY
[[nodiscard]] std::string lxd_flavor();         // $BERTH_LXD_FLAVOR: lxd, or incus (test-incus.sh)
[[nodiscard]] std::string lxd_server_cert();    // $BERTH_LXD_SERVER_CERT

// Sets an environment variable for a scope (plugins read theirs when they run), and puts back
// what was there.
class scoped_env {
public:
    scoped_env(const char* name, const std::string& value);
    ~scoped_env();
    scoped_env(const scoped_env&) = delete;
    scoped_env& operator=(const scoped_env&) = delete;

private:
    std::string name_;
    std::optional<std::string> old_;
};

// Empty if `binary` is in PATH (or, given as an absolute path, exists: a runtime's socket),
// else a message saying how to get it.
[[nodiscard]] std::string missing_runtime(const std::string& binary);

}  // namespace berth::test

// In a TEST body: stop here unless the runtime's binary is present. Under CI=true a missing
// runtime fails the test; it never silently skips there.
#define BERTH_REQUIRE_RUNTIME(binary)                                                           \
    do {                                                                                        \
        const std::string berth_missing_ = ::berth::test::missing_runtime(binary);              \
        if (!berth_missing_.empty()) {                                                          \
            if (::berth::test::in_ci()) FAIL() << berth_missing_ << " (required when CI=true)"; \
            GTEST_SKIP() << berth_missing_ << " (a failure, not a skip, when CI=true)";         \
        }                                                                                       \
    } while (0)
