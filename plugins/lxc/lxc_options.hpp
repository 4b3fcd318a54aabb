// The LXC plugin's session options: the JSON Schema the host validates against, and the typed
// struct every other part of the plugin reads. Pure: nothing here spawns a process.
//
// A session runs in one of three modes, chosen by which option names the container:
//   attach     `container`              an existing container (started first with ensure_running)
//   ephemeral  `template`               a throwaway `lxc-copy -e` of a stopped template container
//   create     `name` + `lxc_template`  a new container made by `lxc-create -t TEMPLATE`
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth::plugins::lxc {

enum class session_mode { attach, ephemeral, create };

[[nodiscard]] std::string_view to_string(session_mode mode) noexcept;

struct lxc_options {
    session_mode mode = session_mode::attach;
    std::string container;           // attach: the container to enter
    std::string template_container;  // ephemeral: the stopped container to copy
    std::string name;                // create: the new container's name
    std::string lxc_template;        // create: `lxc-create -t`
    std::vector<std::string> lxc_template_args;
    std::string lxcpath;      // absolute; empty: LXC's default (`lxc-config lxc.lxcpath`)
    std::string config_file;  // absolute; create mode only (`lxc-create -f`)

    std::vector<std::string> command;  // empty: the container user's login shell
    bool tty = false;
    std::uint16_t rows = 24;
    std::uint16_t cols = 80;

    std::map<std::string, std::string> env;  // `--set-var K=V`
    bool clear_env = false;                  // `--clear-env`
    std::vector<std::string> keep_vars;      // `--keep-var VAR` (with clear_env)
    std::optional<std::uint32_t> uid;        // `-u`
    std::optional<std::uint32_t> gid;        // `-g`
    std::string namespaces;                  // `-s`, e.g. "MOUNT|PID"; empty: all
    // `--elevated-privileges[=LIST]`: nullopt: not elevated; "": all; else e.g. "CAP|LSM".
    std::optional<std::string> elevated_privileges;
    bool remount_sys_proc = false;  // `-R`

    bool ensure_running = false;    // attach: start a stopped container first
    bool destroy_on_close = false;  // create: stop and destroy the container at the end
    // How long `lxc-stop` waits for a clean shutdown before it kills; 0 kills at once (-k).
    std::chrono::seconds stop_timeout{0};
};

// The JSON Schema of the accepted options: the SDK's console options and LXC's own.
// NUL-terminated, built on first use, valid as long as the program runs.
[[nodiscard]] std::string_view options_schema();

// Validates options_json against the schema and the rules between options, and makes paths
// absolute (relative to the caller's working directory, which is what a user typing
// `--opt lxcpath=./lxc` means). Throws sdk::error(BERTH_ERR_INVALID_ARGUMENT) naming the option
// and what was expected.
[[nodiscard]] lxc_options parse_options(std::string_view options_json);

// The container lxc-attach enters: `container`, or `name` in create mode. Ephemeral sessions
// pick their own name when the copy is made.
[[nodiscard]] std::string fixed_target(const lxc_options& options);

// True if `name` can name an LXC container here: non-empty, no '/', no control characters,
// and not starting with '-' (which the LXC tools would read as an option).
[[nodiscard]] bool valid_container_name(std::string_view name) noexcept;

}  // namespace berth::plugins::lxc
