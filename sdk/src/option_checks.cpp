#include <berth/sdk/option_checks.hpp>
#include <berth/sdk/plugin.hpp>

#include <algorithm>
#include <array>
#include <nlohmann/json.hpp>

namespace berth::sdk {
namespace {
using json = nlohmann::json;

// Bytes of a value echoed in a message, at most (before JSON escaping).
constexpr std::size_t k_preview_bytes = 48;
// Characters of the quoted, escaped preview, at most (a NUL escapes to six).
constexpr std::size_t k_preview_chars = 64;

bool utf8_continuation(char c) { return (static_cast<unsigned char>(c) & 0xc0) == 0x80; }

std::string quoted(std::string_view s) {
    return json(std::string(s)).dump(-1, ' ', false, json::error_handler_t::replace);
}

[[noreturn]] void invalid(std::string_view option, std::string_view problem) {
    throw error(BERTH_ERR_INVALID_ARGUMENT,
                "option '" + std::string(option) + "' " + std::string(problem));
}

}  // namespace

std::string quoted_value(std::string_view s, std::size_t focus) {
    std::size_t from = 0;
    if (s.size() > k_preview_bytes && focus != std::string_view::npos && focus < s.size() &&
        focus > k_preview_bytes / 2)
        from = focus - k_preview_bytes / 2;
    while (from > 0 && utf8_continuation(s[from])) --from;
    std::size_t to = std::min(s.size(), from + k_preview_bytes);
    while (to < s.size() && to > from && utf8_continuation(s[to])) --to;
    std::string out = quoted(s.substr(from, to - from));
    while (out.size() > k_preview_chars && to > from + 1) {
        do {
            --to;
        } while (to > from + 1 && utf8_continuation(s[to]));
        out = quoted(s.substr(from, to - from));
    }
    if (to < s.size()) out.insert(out.size() - 1, "...");
    if (from > 0) out.insert(1, "...");
    return out;
}

void check_not_empty(std::string_view option, std::string_view value) {
    if (value.empty()) invalid(option, "must not be empty");
}

void check_single_line(std::string_view option, std::string_view value) {
    // The validator's wording, for a value that did not come through it.
    if (const auto nul = value.find('\0'); nul != std::string_view::npos)
        invalid(option, "value " + quoted_value(value, nul) + " contains a NUL byte");
    if (const auto eol = value.find_first_of("\r\n"); eol != std::string_view::npos)
        invalid(option, "must not contain a line break, got " + quoted_value(value, eol));
}

void check_not_flag(std::string_view option, std::string_view value, std::string_view reader) {
    if (value.starts_with('-'))
        invalid(option, "must not start with '-' (got " + quoted_value(value) +
                            "): " + std::string(reader) + " would read it as an option");
}

void check_absolute_path(std::string_view option, std::string_view value, std::string_view where) {
    if (!value.starts_with('/'))
        invalid(option, "must be an absolute path" +
                            (where.empty() ? "" : " " + std::string(where)) + ", got " +
                            quoted_value(value));
}

void check_name(std::string_view option, std::string_view name) {
    const auto bad = name.find_first_of(std::string_view("=\r\n\0", 4));
    if (name.empty() || bad != std::string_view::npos)
        invalid(option, "has the invalid name " + quoted_value(name, bad) +
                            ": a name must be non-empty, without '=' or a line break (it becomes "
                            "NAME=VALUE)");
}

void check_names(std::string_view option, const std::map<std::string, std::string>& entries) {
    for (const auto& [name, unused] : entries) check_name(option, name);
}

void check_not_reserved(std::string_view option, const std::map<std::string, std::string>& entries,
                        std::span<const std::string_view> reserved, std::string_view reason) {
    for (const std::string_view name : reserved)
        if (entries.contains(std::string(name)))
            invalid(option, "has the name " + quoted_value(name) +
                                ", which is reserved: " + std::string(reason));
}

void check_labels(std::string_view option, const std::map<std::string, std::string>& labels,
                  std::span<const std::string_view> plugin_reserved) {
    check_names(option, labels);
    constexpr std::array<std::string_view, 1> k_host_reserved = {BERTH_OWNER_LABEL};
    constexpr std::string_view k_reason = "berth marks the containers it creates with it";
    check_not_reserved(option, labels, k_host_reserved, k_reason);
    check_not_reserved(option, labels, plugin_reserved, k_reason);
}

}  // namespace berth::sdk
