#include "vterm_guard.hpp"

#include <algorithm>

#include "utf8_page.hpp"

namespace berth::mcp {
namespace {

constexpr unsigned char k_bel = 0x07;
constexpr unsigned char k_can = 0x18;
constexpr unsigned char k_sub = 0x1A;
constexpr unsigned char k_esc = 0x1B;
constexpr unsigned char k_del = 0x7F;
constexpr std::string_view k_replacement = "\xEF\xBF\xBD";

// libvterm 0.1.4 keeps 16 arguments (CSI_ARGS_MAX); 15 separators make 16.
constexpr int k_max_separators = 15;
constexpr int k_max_leader = 2;
constexpr int k_max_intermediates = 2;

// U+0080..U+009F: C1 controls that arrive as UTF-8 text (libvterm gives them width -1).
bool is_c1_character(std::string_view character) {
    return character.size() == 2 && static_cast<unsigned char>(character[0]) == 0xC2 &&
           static_cast<unsigned char>(character[1]) <= 0x9F;
}

}  // namespace

void vterm_input_guard::feed(std::string_view bytes, sink& out) {
    sink_ = &out;
    for (const char c : bytes) step(static_cast<unsigned char>(c));
    flush();
    sink_ = nullptr;
}

void vterm_input_guard::flush() {
    if (out_.empty()) return;
    sink_->write(out_);
    out_.clear();
}

void vterm_input_guard::step(unsigned char byte) {
    if (byte >= 0x80) {
        // Never part of a 7-bit sequence: one held back was noise (libvterm drops it too).
        if (state_ != state::string) state_ = state::ground;
        text_byte(byte);
        return;
    }
    if (!character_.empty()) broken_character();
    if (byte == k_can || byte == k_sub) {
        if (state_ == state::string) out_ += static_cast<char>(byte);  // ends it in libvterm
        state_ = state::ground;
        return;
    }
    if (byte == k_esc) {
        esc_.assign(1, static_cast<char>(k_esc));
        state_ = state::escape;
        return;
    }
    switch (state_) {
        case state::ground:
            out_ += static_cast<char>(byte);
            if (byte >= 0x20 && byte != k_del) last_char_.assign(1, static_cast<char>(byte));
            return;
        case state::escape:
        case state::escape_intermediate:
            escape_byte(byte);
            return;
        case state::csi:
            csi_byte(byte);
            return;
        case state::string:
            string_byte(byte);
            return;
    }
}

void vterm_input_guard::escape_byte(unsigned char byte) {
    if (byte < 0x20) {  // carried out inside the sequence, as libvterm does
        out_ += static_cast<char>(byte);
        return;
    }
    if (byte == k_del) return;
    // libvterm 0.1.4 starts a CSI or a string at these bytes after intermediates too, dropping
    // them ("ESC - [ 4 b" is its REP): so does the guard, or such a CSI would pass unfiltered.
    if (byte == '[') {
        csi_ = "\x1b[";
        csi_param_ = 0;
        csi_param_has_digits_ = false;
        csi_first_param_ = 0;
        csi_separators_ = 0;
        csi_leader_ = 0;
        csi_intermediates_ = 0;
        csi_any_param_ = false;
        state_ = state::csi;
        return;
    }
    if (byte == ']' || byte == 'P' || byte == 'X' || byte == '^' || byte == '_') {
        out_ += esc_;
        out_ += static_cast<char>(byte);
        state_ = state::string;
        return;
    }
    if (byte < 0x30) {
        if (esc_.size() < 1 + k_max_intermediates) esc_ += static_cast<char>(byte);
        state_ = state::escape_intermediate;
        return;
    }
    out_ += esc_;
    out_ += static_cast<char>(byte);
    state_ = state::ground;
}

// OSC, DCS, SOS, PM, APC payload: passed on. ESC (perhaps the start of ST) and BEL are
// handled like libvterm; where libvterm might already be back in text, bytes >= 0x80 are
// cleaned as text anyway (step).
void vterm_input_guard::string_byte(unsigned char byte) {
    out_ += static_cast<char>(byte);
    if (byte == k_bel) state_ = state::ground;
}

void vterm_input_guard::text_byte(unsigned char byte) {
    character_ += static_cast<char>(byte);
    if (is_valid_utf8(character_)) {
        finish_character();
        return;
    }
    if (utf8_incomplete_tail(character_) == character_.size()) return;  // more to come
    // The new byte does not continue what came before: that was broken, and the new byte
    // may start a character of its own.
    character_.pop_back();
    broken_character();
    character_ += static_cast<char>(byte);
    if (utf8_incomplete_tail(character_) != 1) broken_character();
}

// Each byte of an unfinished or invalid character becomes U+FFFD, as to_valid_utf8 does.
void vterm_input_guard::broken_character() {
    for (std::size_t i = 0; i < character_.size(); ++i) out_ += k_replacement;
    character_.clear();
}

void vterm_input_guard::finish_character() {
    if (!is_c1_character(character_)) {
        out_ += character_;
        if (state_ == state::ground) last_char_ = character_;
    }
    character_.clear();
}

void vterm_input_guard::csi_byte(unsigned char byte) {
    if (byte < 0x20) {  // carried out inside the sequence, as libvterm does
        out_ += static_cast<char>(byte);
        return;
    }
    if (byte == k_del) return;
    if (byte >= '0' && byte <= '9') {
        const int digit = byte - '0';
        csi_param_ =
            csi_param_ > (k_max_param - digit) / 10 ? k_max_param : csi_param_ * 10 + digit;
        csi_param_has_digits_ = true;
        csi_any_param_ = true;
    } else if (byte == ';' || byte == ':') {
        end_param();
        ++csi_separators_;
        if (csi_separators_ <= k_max_separators) csi_ += static_cast<char>(byte);
        csi_any_param_ = true;
    } else if (byte >= 0x3C && byte <= 0x3F) {  // < = > ?: a private marker, only up front
        if (!csi_any_param_ && csi_intermediates_ == 0 && csi_leader_ < k_max_leader) {
            csi_ += static_cast<char>(byte);
            ++csi_leader_;
        }
    } else if (byte < 0x30) {  // an intermediate
        end_param();
        if (csi_intermediates_ < k_max_intermediates) csi_ += static_cast<char>(byte);
        ++csi_intermediates_;
    } else {  // the final byte, 0x40..0x7E
        end_param();
        csi_final(byte);
    }
}

void vterm_input_guard::end_param() {
    if (!csi_param_has_digits_) return;
    if (csi_separators_ <= k_max_separators) csi_ += std::to_string(csi_param_);
    if (csi_separators_ == 0) csi_first_param_ = csi_param_;
    csi_param_ = 0;
    csi_param_has_digits_ = false;
}

void vterm_input_guard::csi_final(unsigned char byte) {
    state_ = state::ground;
    if (byte == 'b' && csi_leader_ == 0 && csi_intermediates_ == 0) {  // REP
        if (last_char_.empty()) return;
        flush();
        sink_->repeat(last_char_, std::max(csi_first_param_, 1));
        return;
    }
    out_ += csi_;
    out_ += static_cast<char>(byte);
}

}  // namespace berth::mcp
