// `berth session ...` and `berth metrics`: clients of berthd.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "commands.hpp"

namespace berth::cli {

struct send_request {
    std::string id;
    std::optional<std::string> text;
    bool no_newline = false;
    std::optional<std::string> file;
    std::vector<std::string> keys;  // ctrl-c, enter, up, ...
};

int session_open(const std::string& socket, const run_request& request);
int session_ls(const std::string& socket, output_format format);
int session_show(const std::string& socket, const std::string& id);
int session_send(const std::string& socket, const send_request& request);
int session_read(const std::string& socket, const std::string& id, std::uint64_t cursor,
                 bool follow);
int session_wait(const std::string& socket, const std::string& id, const std::string& pattern,
                 std::uint64_t timeout_ms, std::uint64_t cursor);
int session_attach(const std::string& socket, const std::string& id, const std::string& detach_key);
int session_close(const std::string& socket, const std::string& id, std::uint64_t grace_ms);
int metrics(const std::string& socket);

// The bytes a key name stands for ("ctrl-c" -> "\x03", "up" -> "\x1b[A"); nullopt if unknown.
[[nodiscard]] std::optional<std::string> key_bytes(const std::string& name);

}  // namespace berth::cli
