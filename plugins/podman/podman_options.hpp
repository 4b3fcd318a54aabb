// A podman session's options: the JSON Schema the host validates against, and the typed
// struct the plugin builds its argv from.
//
// Two modes: `run` (a new container from `image`, removed when the session ends) and `exec`
// (a command in the running `container`). Options that only make sense for a new container
// (volumes, ports, memory, ...) are an error in exec mode rather than silently ignored.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth::plugins::podman {

enum class session_mode : std::uint8_t { run, exec };

struct podman_options {
    session_mode mode = session_mode::run;
    std::string image;      // run mode
    std::string container;  // exec mode
    // The command and its arguments. Empty in run mode: the image's own CMD.
    std::vector<std::string> command;
    bool tty = false;
    std::uint16_t rows = 24;  // initial terminal size (tty)
    std::uint16_t cols = 80;
    std::map<std::string, std::string> env;
    std::string workdir;
    std::string user;
    bool privileged = false;

    // Run mode only.
    std::string name;  // empty: berth picks a unique berth-<12 hex>
    std::string network;
    std::vector<std::string> volumes;
    std::vector<std::string> ports;
    std::map<std::string, std::string> labels;
    std::string memory;
    std::optional<double> cpus;
    bool read_only = false;
    std::vector<std::string> cap_add;
    std::vector<std::string> cap_drop;
    std::vector<std::string> security_opt;
    std::vector<std::string> devices;
    std::vector<std::string> tmpfs;
    bool init = false;
    std::string pull = "never";  // a missing local image fails fast with "image not known"

    // podman itself: which binary, which (remote) service, how chatty.
    std::string binary = "podman";
    std::string url;
    std::string connection;
    std::string log_level;

    // True when podman runs containers on this host, so their processes are visible in
    // /proc (signals and clean-up can reach them directly). A remote service is not.
    [[nodiscard]] bool local() const noexcept { return url.empty() && connection.empty(); }
};

// The environment variable every session's process gets, set to the session's token: how
// the plugin finds the container-side processes of a session on the host (podman exec has
// no signal proxying, and its processes outlive a killed `podman exec`). Reserved: an `env`
// option may not set it.
inline constexpr std::string_view k_token_env = "BERTH_PODMAN_SESSION";

// The label a run-mode container carries with its session's token: clean-up removes only a
// container that has it, never one that merely has the name the session asked for. Reserved:
// a `labels` option may not set it.
inline constexpr std::string_view k_session_label = "berth.session";

// JSON Schema of the options (the subset the SDK's validator understands): the SDK's console
// options and podman's own. NUL-terminated, built on first use, valid as long as the program
// runs.
[[nodiscard]] std::string_view options_schema();

// Validates options_json against the schema and the rules the schema cannot say (exactly
// one of image and container, run-only options, values that podman would misread).
// Throws sdk::error(BERTH_ERR_INVALID_ARGUMENT) naming the option and what was expected.
[[nodiscard]] podman_options parse_options(std::string_view options_json);

}  // namespace berth::plugins::podman
