// libvterm 0.1.4 (Debian 12's) is not safe on untrusted bytes, and console output is
// untrusted. Found by fuzzing screen_renderer, each confirmed on its own:
// - more than 16 CSI parameters ("ESC [" then 2000 ';' or ':') overflow its argument array;
// - huge parameters ("ESC [ 99999999999999999999 C") overflow its arithmetic and leave the
//   cursor off the screen;
// - REP ("ESC [ b") after nothing, or after a zero-width character, loops forever;
// - U+0080..U+009F sent as UTF-8 have width -1 and leave the cursor off the screen;
// - a wide character on a one-column screen writes out of bounds (screen_renderer refuses
//   such a screen).
// Newer libvterm fixes most of these; until berth can rely on one, every byte goes through
// this filter first. It tracks sequences the way libvterm does and, where the two could
// disagree about where a sequence ends, errs towards treating bytes as text, which it also
// cleans.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace berth::mcp {

// What the guard does to the stream:
// - CSI parameters are clamped to 9999 (more than any screen side screen_renderer accepts),
//   at most 16 are kept, at most 2 private-marker and 2 intermediate bytes;
// - REP is never passed on: the sink is asked to repeat the last printed character itself;
// - outside CSI, text is made valid UTF-8 (U+FFFD per bad byte) without U+0080..U+009F;
// - a CSI broken by a byte >= 0x80, ESC, CAN or SUB is dropped, as libvterm would drop it;
// - "[" after an escape's intermediates starts a CSI, filtered like any other: libvterm 0.1.4
//   starts one there ("ESC - [ 4 b" is its REP; found by terminal_text_fuzz).
// Everything else (controls, other escapes, OSC/DCS payloads) passes unchanged.
class vterm_input_guard {
public:
    class sink {
    public:
        virtual void write(std::string_view bytes) = 0;
        // REP asked for `count` (1..9999) copies of `character`, one valid UTF-8 character.
        virtual void repeat(std::string_view character, int count) = 0;

    protected:
        ~sink() = default;
    };

    // Bytes split anywhere across calls; state carries over. Calls out.write in pieces.
    void feed(std::string_view bytes, sink& out);

    static constexpr int k_max_param = 9999;

private:
    enum class state : std::uint8_t { ground, escape, escape_intermediate, csi, string };

    void step(unsigned char byte);
    void escape_byte(unsigned char byte);
    void string_byte(unsigned char byte);
    void text_byte(unsigned char byte);
    void broken_character();
    void finish_character();
    void csi_byte(unsigned char byte);
    void end_param();
    void csi_final(unsigned char byte);
    void flush();

    state state_ = state::ground;
    std::string out_;        // filtered bytes not yet handed to the sink
    std::string character_;  // a UTF-8 character being assembled (valid prefix, < 4 bytes)
    std::string last_char_;  // the last character printed, for REP
    std::string esc_;        // ESC and its intermediates, held until the final byte
    // The CSI being rebuilt: "ESC [" plus what is kept so far.
    std::string csi_;
    int csi_param_ = 0;
    bool csi_param_has_digits_ = false;
    int csi_first_param_ = 0;
    int csi_separators_ = 0;
    int csi_leader_ = 0;
    int csi_intermediates_ = 0;
    bool csi_any_param_ = false;
    sink* sink_ = nullptr;  // during feed: where flush() and REP go
};

}  // namespace berth::mcp
