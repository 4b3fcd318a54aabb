// UTF-8 helpers for paging console output into JSON: where a page may end without splitting a
// character, and how to make arbitrary bytes into a string a JSON writer accepts.
//
// "Valid" follows RFC 3629: no overlong forms, no surrogates (U+D800..U+DFFF), nothing above
// U+10FFFF. A byte that does not start a valid sequence counts as one unit of its own, so every
// function here makes progress on any input.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace berth::mcp {

// The largest n <= max such that bytes[0, n) does not end inside a UTF-8 sequence that
// continues at bytes[n]. Looks back at most 3 bytes from max.
//
// A sequence counts as split when bytes[p, max) is a proper prefix of a valid sequence and the
// bytes after max (as many as there are) continue it validly; a run the bytes after max prove
// invalid is made of single invalid bytes, so cutting inside it splits nothing.
//
// max >= bytes.size() returns bytes.size(): whether a sequence cut at the very end of `bytes`
// will be completed by bytes not yet seen is for the caller to decide (utf8_incomplete_tail).
//
// Progress: for non-empty bytes, max >= 4 always returns at least 1 (a whole character, or one
// invalid byte). With max < 4 the result is 0 when the first character is longer than max.
[[nodiscard]] std::size_t utf8_safe_cut(std::string_view bytes, std::size_t max) noexcept;

// How many bytes (0..3) at the end of `bytes` are a proper prefix of a valid sequence, i.e. a
// character whose remaining bytes have not arrived yet. A reader of a live stream can hold
// them back: bytes.size() - utf8_incomplete_tail(bytes).
[[nodiscard]] std::size_t utf8_incomplete_tail(std::string_view bytes) noexcept;

[[nodiscard]] bool is_valid_utf8(std::string_view bytes) noexcept;

// `bytes` with every byte that is not part of a valid sequence replaced by U+FFFD (one
// replacement per byte, so "\xE2\x82" becomes two). Returns a copy unchanged when already valid.
[[nodiscard]] std::string to_valid_utf8(std::string_view bytes);

}  // namespace berth::mcp
