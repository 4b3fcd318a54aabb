#include "plain_text.hpp"

#include <array>
#include <cstdint>

#include "utf8_page.hpp"

namespace berth::mcp {
namespace {

constexpr unsigned char k_bel = 0x07;
constexpr unsigned char k_bs = 0x08;
constexpr unsigned char k_so = 0x0E;
constexpr unsigned char k_si = 0x0F;
constexpr unsigned char k_can = 0x18;
constexpr unsigned char k_sub = 0x1A;
constexpr unsigned char k_esc = 0x1B;
constexpr unsigned char k_del = 0x7F;

// DEC Special Graphics, 0x60..0x7E: what ESC ( 0 makes of "`abc...~" (xterm's table).
constexpr std::array<std::string_view, 31> k_dec_graphics = {
    "◆", "▒", "␉", "␌", "␍", "␊", "°", "±", "␤", "␋", "┘", "┐", "┌", "└", "┼", "⎺",
    "⎻", "─", "⎼", "⎽", "├", "┤", "┴", "┬", "│", "≤", "≥", "π", "≠", "£", "·"};

// A VT500-style parser (Paul Williams' state chart) cut down to what plain text needs: it
// tracks where sequences begin and end, and interprets only CR, LF, BS, the charsets and the
// two CSIs that rewrite a line.
class plain_text_writer {
public:
    explicit plain_text_writer(std::size_t size_hint) { out_.reserve(size_hint); }

    void feed(unsigned char byte) {
        // CAN and SUB abort any sequence; ESC starts a new one from anywhere but a string,
        // where it may be the first half of ST (ESC \), which the escape state then drops.
        if (byte == k_can || byte == k_sub) {
            state_ = state::ground;
            return;
        }
        switch (state_) {
            case state::ground:
                ground(byte);
                break;
            case state::escape:
                escape(byte);
                break;
            case state::escape_intermediate:
                escape_intermediate(byte);
                break;
            case state::csi:
                csi(byte);
                break;
            case state::string:
                string(byte);
                break;
        }
    }

    [[nodiscard]] std::string take() && { return std::move(out_); }

private:
    enum class state : std::uint8_t { ground, escape, escape_intermediate, csi, string };

    void ground(unsigned char byte) {
        if (byte == k_esc) {
            state_ = state::escape;
        } else if (byte < 0x20) {
            control(byte);
        } else if (byte != k_del) {
            printable(byte);
        }
    }

    // Inside ESC / CSI a C0 control is carried out and the sequence goes on, as in a
    // terminal. A byte >= 0x80 cannot belong to a 7-bit sequence: the sequence was noise,
    // and the byte is text (likely the start of a UTF-8 character).
    bool sequence_common(unsigned char byte) {
        if (byte == k_esc) {
            state_ = state::escape;
        } else if (byte < 0x20) {
            control(byte);
        } else if (byte >= 0x80) {
            state_ = state::ground;
            ground(byte);
        } else if (byte != k_del) {
            return false;
        }
        return true;
    }

    void escape(unsigned char byte) {
        if (sequence_common(byte)) return;
        switch (byte) {
            case '[':
                csi_param_ = 0;
                csi_plain_ = true;
                state_ = state::csi;
                return;
            case ']':  // OSC
                string_is_osc_ = true;
                state_ = state::string;
                return;
            case 'P':  // DCS
            case 'X':  // SOS
            case '^':  // PM
            case '_':  // APC
                string_is_osc_ = false;
                state_ = state::string;
                return;
            default:
                break;
        }
        if (byte < 0x30) {  // an intermediate: ESC ( B, ESC % G, ESC # 8, ...
            intermediate_ = byte;
            intermediate_count_ = 1;
            state_ = state::escape_intermediate;
            return;
        }
        if (byte == 'c') reset_charsets();  // RIS
        state_ = state::ground;             // a two-byte form: ESC 7, ESC =, ESC \ (ST), ...
    }

    void escape_intermediate(unsigned char byte) {
        if (sequence_common(byte)) return;
        if (byte < 0x30) {
            ++intermediate_count_;
            return;
        }
        if (intermediate_count_ == 1 && intermediate_ == '(') g0_dec_ = byte == '0';
        if (intermediate_count_ == 1 && intermediate_ == ')') g1_dec_ = byte == '0';
        state_ = state::ground;
    }

    void csi(unsigned char byte) {
        if (sequence_common(byte)) return;
        if (byte >= '0' && byte <= '9') {
            if (csi_param_ < 10000) csi_param_ = csi_param_ * 10 + (byte - '0');
        } else if (byte < 0x40) {  // ; : < = > ? or an intermediate
            csi_plain_ = false;
        } else {
            csi_final(byte);
            state_ = state::ground;
        }
    }

    void csi_final(unsigned char byte) {
        if (!csi_plain_) return;
        // Erase in line (whole, or from the cursor) while the cursor is at column 0 after a
        // bare CR: the progress bar's "\r\x1b[K" empties the line.
        if (byte == 'K' && (csi_param_ == 0 || csi_param_ == 2) && pending_cr_) {
            out_.resize(line_start_);
        }
        // Cursor to column 1 is a carriage return by another name (ora, log-update).
        if (byte == 'G' && csi_param_ <= 1) pending_cr_ = true;
    }

    // OSC, DCS, SOS, PM, APC: everything up to ST is payload. xterm also ends OSC with BEL.
    void string(unsigned char byte) {
        if (byte == k_esc) {
            state_ = state::escape;
        } else if (byte == k_bel && string_is_osc_) {
            state_ = state::ground;
        }
    }

    void control(unsigned char byte) {
        switch (byte) {
            case '\n':
                pending_cr_ = false;
                out_ += '\n';
                line_start_ = out_.size();
                break;
            case '\r':
                pending_cr_ = true;
                break;
            case '\t':
                printable(byte);
                break;
            case k_bs:
                backspace();
                break;
            case k_so:
                shifted_ = true;
                break;
            case k_si:
                shifted_ = false;
                break;
            default:
                break;  // NUL, BEL, VT, FF, ...: nothing a reader wants
        }
    }

    void printable(unsigned char byte) {
        if (pending_cr_) {  // text after a bare CR overwrites the line
            out_.resize(line_start_);
            pending_cr_ = false;
        }
        const bool dec = shifted_ ? g1_dec_ : g0_dec_;
        if (dec && byte >= 0x60 && byte <= 0x7E) {
            out_ += k_dec_graphics[byte - 0x60];
        } else {
            out_ += static_cast<char>(byte);
        }
    }

    void backspace() {
        if (pending_cr_ || out_.size() == line_start_) return;  // already at column 0
        // The last character starts at its lead byte, at most 3 continuation bytes back;
        // anything that does not make one valid character goes a byte at a time.
        std::size_t start = out_.size() - 1;
        while (start > line_start_ && out_.size() - start < 4 &&
               (static_cast<unsigned char>(out_[start]) & 0xC0U) == 0x80U) {
            --start;
        }
        const std::string_view last = std::string_view(out_).substr(start);
        out_.resize(is_valid_utf8(last) ? start : out_.size() - 1);
    }

    void reset_charsets() {
        g0_dec_ = false;
        g1_dec_ = false;
        shifted_ = false;
    }

    std::string out_;
    std::size_t line_start_ = 0;  // where the current line begins in out_
    bool pending_cr_ = false;     // a bare CR was seen; the next text replaces the line
    state state_ = state::ground;
    bool string_is_osc_ = false;
    unsigned char intermediate_ = 0;
    int intermediate_count_ = 0;
    int csi_param_ = 0;      // the first parameter, when csi_plain_
    bool csi_plain_ = true;  // digits only so far: no private marker, separator, intermediate
    bool g0_dec_ = false;    // G0 / G1 designated DEC Special Graphics (ESC ( 0 / ESC ) 0)
    bool g1_dec_ = false;
    bool shifted_ = false;  // SO: G1 is in use
};

}  // namespace

std::string plain_text(std::string_view raw) {
    plain_text_writer writer(raw.size());
    for (const char c : raw) writer.feed(static_cast<unsigned char>(c));
    return std::move(writer).take();
}

}  // namespace berth::mcp
