#include "json_writer.hpp"

namespace berth::mcp {
namespace {
using json = nlohmann::json;

// Length of the valid UTF-8 sequence at s[i] (RFC 3629: no overlongs, no surrogates, at most
// U+10FFFF), or 0 when the bytes there are not one.
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
    const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
    const auto cont = [&](std::size_t k) { return i + k < s.size() && (b(k) & 0xC0) == 0x80; };
    const unsigned char c = b(0);
    if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        if (!cont(1) || !cont(2)) return 0;
        if (c == 0xE0 && b(1) < 0xA0) return 0;  // overlong
        if (c == 0xED && b(1) > 0x9F) return 0;  // surrogate
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (!cont(1) || !cont(2) || !cont(3)) return 0;
        if (c == 0xF0 && b(1) < 0x90) return 0;  // overlong
        if (c == 0xF4 && b(1) > 0x8F) return 0;  // past U+10FFFF
        return 4;
    }
    return 0;
}

void append_string(std::string& out, std::string_view s) {
    static const char* hex = "0123456789abcdef";
    out.reserve(out.size() + s.size() + 2);
    out += '"';
    std::size_t run = 0;  // start of the pending run of bytes copied as they are
    std::size_t i = 0;
    const auto flush = [&] { out.append(s.data() + run, i - run); };
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            ++i;
            continue;
        }
        if (c >= 0x80) {
            const std::size_t n = utf8_sequence(s, i);
            if (n > 0) {
                i += n;
                continue;
            }
            flush();
            out += "\xEF\xBF\xBD";  // U+FFFD
            run = ++i;
            continue;
        }
        flush();
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            case '\b':
                out += "\\b";
                break;
            case '\f':
                out += "\\f";
                break;
            default:
                out += "\\u00";
                out += hex[c >> 4];
                out += hex[c & 0xF];
        }
        run = ++i;
    }
    flush();
    out += '"';
}

}  // namespace

void append_json(std::string& out, const json& value) {
    switch (value.type()) {
        case json::value_t::object: {
            out += '{';
            bool first = true;
            for (const auto& [k, v] : value.items()) {
                if (!first) out += ',';
                first = false;
                append_string(out, k);
                out += ':';
                append_json(out, v);
            }
            out += '}';
            return;
        }
        case json::value_t::array: {
            out += '[';
            bool first = true;
            for (const auto& v : value) {
                if (!first) out += ',';
                first = false;
                append_json(out, v);
            }
            out += ']';
            return;
        }
        case json::value_t::string:
            append_string(out, value.get_ref<const std::string&>());
            return;
        default:  // numbers, booleans, null: short, and nlohmann formats them exactly
            out += value.dump();
    }
}

std::string to_json_text(const json& value) {
    std::string out;
    append_json(out, value);
    return out;
}

}  // namespace berth::mcp
