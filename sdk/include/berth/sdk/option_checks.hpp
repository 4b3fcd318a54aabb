// Checks of option values that a JSON Schema cannot say, shared by every runtime plugin.
//
// A plugin reads its options through sdk::session_options (which already applied the schema
// and refused NUL bytes), then calls these on the values that go into a runtime's argv, a
// path or a NAME=VALUE word. Each check throws sdk::error(BERTH_ERR_INVALID_ARGUMENT) with one
// line that names the option and says what was expected, echoing at most about 64 characters
// of the bad value (quoted_value), e.g.
//   option 'workdir' must be an absolute path in the container, got "srv"
//
// `option` is the option's name as the user wrote it, down to the element when the value is
// one: "workdir", "env.A", "command[2]". Messages put it in single quotes.
#pragma once

#include <cstddef>
#include <map>
#include <span>
#include <string>
#include <string_view>

namespace berth::sdk {

// `value` as a JSON string literal for a message: at most about 64 characters, with "..."
// where it was cut. A long value shows the part around byte `focus` (where the problem is;
// std::string_view::npos or 0: the start). Never cuts a UTF-8 sequence, so the message stays
// valid UTF-8 when the value is.
[[nodiscard]] std::string quoted_value(std::string_view value,
                                       std::size_t focus = std::string_view::npos);

// Not the empty string.
//   option 'user' must not be empty
void check_not_empty(std::string_view option, std::string_view value);

// No NUL byte (which would end the value in an argv or a path without a word) and no line
// break (which a runtime's line-based parsing, or a reader of its argv, would take as a second
// value). For values that go into an argv word other than a command's own arguments.
//   option 'env.A' must not contain a line break, got "1\n2"
void check_single_line(std::string_view option, std::string_view value);

// Not flag-like: no leading '-'. For values that become a positional argv word of `reader`
// (the runtime's tool, e.g. "podman"), which would take "-x" for one of its options.
//   option 'image' must not start with '-' (got "-i"): podman would read it as an option
void check_not_flag(std::string_view option, std::string_view value, std::string_view reader);

// An absolute path: starts with '/'. `where` says where the path is looked up, for the
// message ("in the container"); empty: nothing is said.
//   option 'workdir' must be an absolute path in the container, got "srv"
void check_absolute_path(std::string_view option, std::string_view value,
                         std::string_view where = {});

// The NAME of a NAME=VALUE word (an environment variable, a label, a variable to keep):
// non-empty, without '=', NUL or a line break.
//   option 'env' has the invalid name "A=B": a name must be non-empty, without '=' or a line
//   break (it becomes NAME=VALUE)
void check_name(std::string_view option, std::string_view name);

// check_name for every name of a map option ({"A": "1"} -> A=1).
void check_names(std::string_view option, const std::map<std::string, std::string>& entries);

// None of `reserved` is a name in the map option; `reason` says who uses it.
//   option 'env' has the name "BERTH_PODMAN_SESSION", which is reserved: <reason>
void check_not_reserved(std::string_view option, const std::map<std::string, std::string>& entries,
                        std::span<const std::string_view> reserved, std::string_view reason);

// A map option of container labels: check_names, and neither BERTH_OWNER_LABEL (the host's
// mark of ownership) nor any of the plugin's own `plugin_reserved` label keys is set.
void check_labels(std::string_view option, const std::map<std::string, std::string>& labels,
                  std::span<const std::string_view> plugin_reserved = {});

}  // namespace berth::sdk
