#include "json_limits.hpp"

namespace berth::wire {

bool nesting_exceeds(std::string_view text, std::size_t max_depth) noexcept {
    std::size_t depth = 0;
    bool in_string = false;
    bool escaped = false;
    for (const char c : text) {
        if (in_string) {
            if (escaped) {
                escaped = false;
            } else if (c == '\\') {
                escaped = true;
            } else if (c == '"') {
                in_string = false;
            }
            continue;
        }
        switch (c) {
            case '"':
                in_string = true;
                break;
            case '[':
            case '{':
                if (++depth > max_depth) return true;
                break;
            case ']':
            case '}':
                // Unbalanced closers are the parser's to reject; do not wrap below zero.
                if (depth > 0) --depth;
                break;
            default:
                break;
        }
    }
    return false;
}

std::string preview(std::string_view text, std::size_t max_bytes) {
    if (text.size() <= max_bytes) return std::string(text);
    std::size_t cut = max_bytes;
    // Step back over UTF-8 continuation bytes (10xxxxxx) so no character is split.
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    return std::string(text.substr(0, cut)) + "...";
}

std::string preview_value(const nlohmann::json& value, std::size_t max_bytes) {
    return preview(
        std::string_view(value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)),
        max_bytes);
}

std::string to_frame(const nlohmann::json& reply) {
    return reply.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace berth::wire
