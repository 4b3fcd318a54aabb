// The "plain" view of console output: the text a reader would want from a page of raw
// terminal bytes, with escape sequences and control characters gone.
#pragma once

#include <string>
#include <string_view>

namespace berth::mcp {

// Removes terminal control from `raw` and returns the text. One pass, linear in raw.size(),
// safe on any bytes; the output is valid UTF-8 whenever `raw` is (bytes are never invented
// except the box-drawing characters below, which are valid UTF-8).
//
// Removed: every 7-bit escape sequence (CSI with any private marker, OSC ended by BEL or ST,
// DCS/SOS/PM/APC ended by ST, charset designations such as ESC ( B or ESC % G, and two-byte
// forms such as ESC 7, ESC =, ESC M), and every C0 control except \n and \t. A sequence still
// open at the end of `raw` is dropped. CAN and SUB abort a sequence, as in a terminal.
// C1 controls (0x80..0x9F, e.g. 8-bit CSI 0x9B) are not interpreted: in UTF-8 output those
// bytes are continuation bytes, and eating them would break characters.
//
// Kept and interpreted, in a deliberately simple line model:
// - "\r\n" is a newline.
// - A bare "\r" returns to the start of the line: the next text replaces the line. Only the
//   text after the last bare "\r" of a line survives (what a progress bar leaves). A shorter
//   rewrite does not keep the old line's tail, unlike a terminal ("abc\rx" gives "x", not
//   "xbc"); an erase-in-line (ESC [ K, ESC [ 2 K) right after a bare "\r" empties the line.
// - Backspace deletes the previous character (a whole UTF-8 character) of the current line,
//   never past a newline. A terminal only moves the cursor, so "abc\b\bX" gives "aX" here
//   rather than "aXc"; the common "\b \b" erase comes out right.
// - ESC ( 0 / ESC ) 0 with SI/SO select the DEC line-drawing set, as a terminal would, so
//   "ESC(0 lqqk ESC(B" gives "┌──┐", matching the screen view.
// Cursor movement, colours and the rest of CSI are dropped without being interpreted.
[[nodiscard]] std::string plain_text(std::string_view raw);

}  // namespace berth::mcp
