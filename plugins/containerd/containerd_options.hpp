// The containerd plugin's session options: the JSON Schema the host validates against, and the
// typed struct a session is built from. Reading them is pure (no process, no file system), so
// every rule here is unit-tested without a daemon.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth::plugins::containerd {

// Where and how ctr reaches the daemon. Shared by sessions, clean-up and the health check.
struct connection {
    std::string ctr = "ctr";  // the ctr binary: a name looked up in PATH, or a path
    std::string address;      // the daemon's gRPC socket
    std::string ns;           // containerd namespace
    // ctr otherwise waits 10 s on a dead socket before it says so.
    std::chrono::milliseconds connect_timeout{2000};
};

// Defaults taken from the environment, like ctr itself does: $CONTAINERD_ADDRESS,
// $CONTAINERD_NAMESPACE, $CONTAINERD_SNAPSHOTTER. Read when a session opens or health runs, so
// a host (or test) may set them after loading the plugin.
struct environment_defaults {
    std::string address = "/run/containerd/containerd.sock";
    std::string ns = "default";
    std::string snapshotter;  // empty: containerd's own default (overlayfs)

    [[nodiscard]] static environment_defaults from_environment();
    // ctr from PATH on this address and namespace.
    [[nodiscard]] connection conn() const;
};

// The label the plugin puts on every container it creates, so leftovers can be found with
// `ctr containers ls 'labels."berth.plugin"==berth-containerd'`. A host that tracks ownership
// adds BERTH_OWNER_LABEL=<owner> (see reclaim_owned in containerd_cleanup.hpp).
inline constexpr std::string_view k_plugin_label = "berth.plugin";
inline constexpr std::string_view k_plugin_value = "berth-containerd";

// The snapshotter containerd uses when none is named.
inline constexpr std::string_view k_default_snapshotter = "overlayfs";

struct session_config {
    connection conn;

    // Exactly one of image (run mode: a new container, removed at the end) and container
    // (exec mode: a process in a container that already runs) is set.
    std::optional<std::string> image;
    std::optional<std::string> container;

    std::vector<std::string> command;
    bool tty = false;
    std::uint16_t rows = 24;
    std::uint16_t cols = 80;
    std::string workdir;  // empty: the image's
    std::string user;     // empty: the image's

    // Run mode only: how the container is created.
    std::string name;  // container id; empty: a generated berth-<random> id
    std::vector<std::string> init{"sleep", "2147483647"};  // the container's long-lived PID 1
    std::map<std::string, std::string> env;
    std::map<std::string, std::string> labels;
    std::string owner;  // the host's owner token, labelled BERTH_OWNER_LABEL; may be empty
    std::vector<std::string> mounts;  // ctr --mount specs: type=bind,src=..,dst=..,options=..
    bool net_host = false;
    bool privileged = false;
    bool read_only = false;
    std::optional<std::uint64_t> memory_limit;  // bytes
    std::optional<double> cpus;
    std::string runtime;      // empty: containerd's default (io.containerd.runc.v2)
    std::string snapshotter;  // empty: $CONTAINERD_SNAPSHOTTER, else containerd's default

    // Parent folder of the per-session folder that holds ctr's I/O FIFOs; empty: the system's
    // temporary folder.
    std::string fifo_dir;

    [[nodiscard]] bool run_mode() const noexcept { return image.has_value(); }
    // The container the command runs in (the generated id must be filled in first in run mode).
    [[nodiscard]] const std::string& target() const { return run_mode() ? name : *container; }
};

// The JSON Schema of the accepted options: the SDK's console options and containerd's own.
// NUL-terminated, built on first use, valid as long as the program runs.
[[nodiscard]] std::string_view options_schema();

// Validates options_json against the schema and the rules a schema cannot say (image xor
// container, run-only options, value formats), and returns the typed configuration. Throws
// sdk::error(BERTH_ERR_INVALID_ARGUMENT) whose message names the option and what was expected.
[[nodiscard]] session_config read_options(std::string_view options_json,
                                          const environment_defaults& defaults);

// Value parsers, exposed for tests. Each returns nullopt when the text does not parse.
// "2s", "500ms", "1.5s", "1m" -> milliseconds (> 0).
[[nodiscard]] std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);
// "536870912", "512m", "1g", "64k", "2t", "100b" (case-insensitive, binary units) -> bytes.
[[nodiscard]] std::optional<std::uint64_t> parse_size(std::string_view text);
// containerd's identifier rule for container and exec ids and namespaces:
// ^[A-Za-z0-9]+(?:[._-][A-Za-z0-9]+)*$, at most 76 characters.
[[nodiscard]] bool is_identifier(std::string_view text) noexcept;

}  // namespace berth::plugins::containerd
