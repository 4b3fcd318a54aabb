// Fuzzes berth mcp's text views of console output (host/mcp, berth_mcp_text): UTF-8 paging,
// the plain view and libvterm's screen behind vterm_input_guard. The bytes come from a
// container's terminal, so they are untrusted.
//
// Input: byte 0 picks the screen's rows (1 to 60), byte 1 its columns (2 to 200), byte 2 the
// page size (4 to 67 bytes), bytes 3 and 4 the sizes of the pieces the screen and the guard
// are fed in, alternately (1 to 32 bytes each); the rest is the console output.
//
// Invariants:
//   - utf8_safe_cut(b, m) <= min(m, size); pages cut with it one after another make progress,
//     concatenate back to the input exactly, and never end inside a sequence that continues
//     (checked against a decoder written here: a valid character, or a valid prefix that runs
//     to the end of the input, is never split); utf8_incomplete_tail is that trailing prefix;
//   - is_valid_utf8 agrees with the decoder here; to_valid_utf8's output is valid and equals
//     the input when the input is valid;
//   - plain_text's output (which passes invalid bytes through) holds no ESC and no C0 control
//     but \n and \t, is valid UTF-8 when the input is, and is at most 3 bytes per input byte;
//   - vterm_input_guard hands its sink the same writes and repeats fed in pieces or whole;
//   - screen_renderer: lines.size() == rows, cursor_row in [0, rows), cursor_col in [0, cols],
//     every line and text() valid UTF-8, and the same snapshot fed in pieces or all at once
//     (pieces never cut inside text holding a byte >= 0x80: there libvterm 0.1.4 itself
//     renders differently depending on where its writes end, see render()).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "byte_reader.hpp"
#include "fuzz_check.hpp"
#include "plain_text.hpp"
#include "screen_render.hpp"
#include "utf8_page.hpp"
#include "vterm_guard.hpp"

namespace berth::fuzz {
namespace {

using mcp::screen_renderer;
using mcp::screen_snapshot;
using mcp::vterm_input_guard;

// The length of the unit that starts at s[0], decoded from code points rather than byte tables:
// a valid character (RFC 3629: no overlong form, no surrogate, nothing past U+10FFFF); a valid
// prefix of one that runs to the end of s (`complete` false); or one invalid byte.
struct unit {
    std::size_t size;
    bool valid;     // a whole valid character
    bool complete;  // not a prefix cut short by the end of s
};

unit decode_unit(std::string_view s) {
    const auto lead = static_cast<unsigned char>(s[0]);
    std::size_t need = 0;
    std::uint32_t cp = 0;
    if (lead < 0x80) return {1, true, true};
    if ((lead & 0xE0U) == 0xC0U) {
        need = 2;
        cp = lead & 0x1FU;
    } else if ((lead & 0xF0U) == 0xE0U) {
        need = 3;
        cp = lead & 0x0FU;
    } else if ((lead & 0xF8U) == 0xF0U) {
        need = 4;
        cp = lead & 0x07U;
    } else {
        return {1, false, true};
    }
    // Each prefix must still be able to become a valid code point: check the bounds on what
    // the bytes so far fix (the value with the rest all 0s and all 1s).
    const auto possible = [need](std::uint32_t value, std::size_t have) {
        const std::size_t rest_bits = 6 * (need - have);
        const std::uint32_t lo = value << rest_bits;
        const std::uint32_t hi = lo | ((1U << rest_bits) - 1U);
        const std::uint32_t min = need == 2 ? 0x80U : need == 3 ? 0x800U : 0x10000U;
        if (hi < min || lo > 0x10FFFFU) return false;
        if (lo >= 0xD800U && hi <= 0xDFFFU) return false;  // inside the surrogates
        return true;
    };
    if (!possible(cp, 1)) return {1, false, true};
    std::size_t have = 1;
    for (; have < need && have < s.size(); ++have) {
        const auto byte = static_cast<unsigned char>(s[have]);
        if ((byte & 0xC0U) != 0x80U) return {1, false, true};
        const std::uint32_t next = (cp << 6) | (byte & 0x3FU);
        if (!possible(next, have + 1)) return {1, false, true};
        cp = next;
    }
    if (have == need) return {need, true, true};
    return {have, false, false};  // a valid prefix, cut by the end of s
}

void check_utf8(std::string_view input, std::size_t page) {
    // Where a page may end: at every unit boundary of the decoder here.
    std::vector<bool> boundary(input.size() + 1, false);
    bool valid = true;
    std::size_t tail = 0;
    for (std::size_t at = 0; at < input.size();) {
        boundary[at] = true;
        const unit u = decode_unit(input.substr(at));
        valid = valid && u.valid;
        if (!u.complete) tail = u.size;
        at += u.size;
    }
    boundary[input.size()] = true;

    check(mcp::is_valid_utf8(input) == valid, "is_valid_utf8 agrees with a code point decoder");
    check(mcp::utf8_incomplete_tail(input) == tail,
          "utf8_incomplete_tail is the valid prefix cut short at the end");

    const std::string fixed = mcp::to_valid_utf8(input);
    check(mcp::is_valid_utf8(fixed), "to_valid_utf8's output is valid");
    check(!valid || fixed == input, "to_valid_utf8 leaves valid input unchanged");
    check(fixed.size() <= 3 * input.size(), "to_valid_utf8 grows at most 3 bytes a byte");

    std::string joined;
    for (std::string_view rest = input; !rest.empty();) {
        const std::size_t cut = mcp::utf8_safe_cut(rest, page);
        check(cut <= std::min(page, rest.size()), "utf8_safe_cut(b, m) <= min(m, size)");
        check(cut >= 1, "utf8_safe_cut with m >= 4 makes progress");
        const std::size_t end = input.size() - rest.size() + cut;
        check(boundary[end], "a page never ends inside a sequence that continues");
        joined.append(rest.substr(0, cut));
        rest.remove_prefix(cut);
    }
    check(joined == input, "the pages concatenate back to the input");
    // Any max, not only the page size: at most the input, and the same rule.
    for (std::size_t max = 0; max < 8 && max < input.size(); ++max) {
        const std::size_t cut = mcp::utf8_safe_cut(input, max);
        check(cut <= max, "utf8_safe_cut(b, m) <= m");
        check(boundary[cut], "a cut never ends inside a sequence that continues");
    }
}

void check_plain(std::string_view input) {
    const std::string plain = mcp::plain_text(input);
    check(plain.size() <= 3 * input.size(), "plain_text grows at most 3 bytes a byte");
    check(!mcp::is_valid_utf8(input) || mcp::is_valid_utf8(plain),
          "plain_text's output is valid UTF-8 when its input is");
    // plain_text passes bytes >= 0x80 through as they are, valid or not: what a caller puts
    // into JSON is the text after to_valid_utf8, which must not bring controls back either.
    for (const std::string& text : {plain, mcp::to_valid_utf8(plain)}) {
        for (const char c : text) {
            const auto byte = static_cast<unsigned char>(c);
            check(byte != 0x1B, "plain_text's output holds no ESC");
            check(byte >= 0x20 || byte == '\n' || byte == '\t',
                  "plain_text's output holds no C0 control but \\n and \\t");
        }
    }
}

// Feeds `input` in pieces of the two sizes, alternately; one piece when a is 0. With
// `text_whole`, a piece never ends inside a run between C0 controls that holds a byte >= 0x80:
// see render().
template <typename Feed>
void feed_pieces(std::string_view input, std::size_t a, std::size_t b, bool text_whole,
                 Feed&& feed) {
    if (a == 0) {
        feed(input);
        return;
    }
    std::vector<bool> may_cut(input.size() + 1, true);
    if (text_whole) {
        // Segments end after a C0 control other than ESC, CAN and SUB (those start or break a
        // sequence the guard may drop, which joins the text around it into one write). A
        // segment holding a byte >= 0x80 is never cut inside.
        std::size_t segment = 0;
        bool non_ascii = false;
        for (std::size_t i = 0; i <= input.size(); ++i) {
            const auto byte = i < input.size() ? static_cast<unsigned char>(input[i]) : 0;
            const bool ends =
                i == input.size() || (byte < 0x20 && byte != 0x1B && byte != 0x18 && byte != 0x1A);
            non_ascii = non_ascii || byte >= 0x80;
            if (!ends) continue;
            for (std::size_t j = segment + 1; non_ascii && j <= i && j < input.size(); ++j) {
                may_cut[j] = false;
            }
            segment = i + 1;
            non_ascii = false;
        }
    }
    bool first = true;
    for (std::size_t at = 0; at < input.size(); first = !first) {
        std::size_t end = at + std::min(first ? a : b, input.size() - at);
        while (!may_cut[end]) ++end;
        feed(input.substr(at, end - at));
        at = end;
    }
}

class recording_sink final : public vterm_input_guard::sink {
public:
    void write(std::string_view bytes) override {
        if (bytes.empty()) return;
        if (events.empty() || events.back().first != 0) events.emplace_back(0, std::string());
        events.back().second.append(bytes);
    }
    void repeat(std::string_view character, int count) override {
        check(count >= 1 && count <= vterm_input_guard::k_max_param, "REP asks for 1..9999");
        check(mcp::is_valid_utf8(character) && !character.empty() && character.size() <= 4,
              "REP repeats one valid character");
        events.emplace_back(count, std::string(character));
    }

    // (0, written bytes) or (count, character), adjacent writes merged.
    std::vector<std::pair<int, std::string>> events;
};

void check_guard(std::string_view input, std::size_t a, std::size_t b) {
    vterm_input_guard pieces_guard;
    recording_sink pieces;
    feed_pieces(input, a, b, false, [&](std::string_view s) { pieces_guard.feed(s, pieces); });
    vterm_input_guard whole_guard;
    recording_sink whole;
    whole_guard.feed(input, whole);
    check(pieces.events == whole.events, "the guard passes on the same, fed in pieces or whole");
}

screen_snapshot render(int rows, int cols, std::string_view input, std::size_t a, std::size_t b) {
    screen_renderer screen(rows, cols);
    // libvterm 0.1.4 renders text differently depending on where its writes end once a
    // non-ASCII character is in it: a zero-width character (U+0301, U+200B, U+FEFF) in a later
    // write than a character in the last column goes to the next line instead of combining;
    // and a write that starts with a non-ASCII character decodes the ASCII after it, up to the
    // next control, as UTF-8, so ESC ( 0 line drawing does not apply to it ("\x80b" gives
    // U+FFFD b in one write, U+FFFD U+2409 in two). The guard's writes end where feed() calls
    // do, so the screen is compared with pieces never cut inside such a run of text (between
    // two C0 controls, holding a byte >= 0x80; the ESC of a CSI the guard drops does not end
    // it); check_guard cuts anywhere.
    feed_pieces(input, a, b, true, [&](std::string_view s) { screen.feed(s); });
    screen_snapshot snap = screen.snapshot();
    check(snap.rows == rows && snap.cols == cols, "a snapshot has the screen's size");
    check(snap.lines.size() == static_cast<std::size_t>(rows), "a snapshot has `rows` lines");
    check(snap.cursor_row >= 0 && snap.cursor_row < rows, "the cursor's row is on the screen");
    check(snap.cursor_col >= 0 && snap.cursor_col <= cols, "the cursor's column is in [0, cols]");
    for (const auto& line : snap.lines) {
        check(mcp::is_valid_utf8(line), "every line is valid UTF-8");
        check(line.empty() || line.back() != ' ', "a line's trailing blanks are trimmed");
    }
    check(mcp::is_valid_utf8(screen.text()), "text() is valid UTF-8");
    return snap;
}

}  // namespace
}  // namespace berth::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace berth::fuzz;
    byte_reader in(std::span(data, size));
    const int rows = 1 + in.byte() % 60;
    const int cols = 2 + in.byte() % 199;
    const std::size_t page = 4 + in.byte() % 64;
    const std::size_t piece_a = 1 + in.byte() % 32;
    const std::size_t piece_b = 1 + in.byte() % 32;
    const std::string_view input = in.bytes(size);

    check_utf8(input, page);
    check_plain(input);
    check_guard(input, piece_a, piece_b);

    const auto pieces = render(rows, cols, input, piece_a, piece_b);
    const auto whole = render(rows, cols, input, 0, 0);
    check(pieces.lines == whole.lines && pieces.cursor_row == whole.cursor_row &&
              pieces.cursor_col == whole.cursor_col && pieces.alt_screen == whole.alt_screen,
          "fed in pieces or all at once, the screen shows the same");
    return 0;
}
