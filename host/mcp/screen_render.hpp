// The "screen" view of console output: what a terminal of a given size would show after the
// bytes, rendered by libvterm. Full-screen programs (top, vim, less) make sense only this way.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "vterm_guard.hpp"

struct VTerm;
struct VTermScreen;

namespace berth::mcp {
namespace detail {
struct screen_callback_state;  // what libvterm's callbacks write into (screen_render.cpp)
}  // namespace detail

struct screen_snapshot {
    int rows = 0;
    int cols = 0;
    int cursor_row = 0;  // 0-based, as libvterm reports it
    int cursor_col = 0;
    // One UTF-8 string per screen row (always `rows` of them), trailing blanks trimmed. A wide
    // character's second cell adds nothing; combining characters follow their base.
    std::vector<std::string> lines;
    bool alt_screen = false;  // a full-screen program has switched to the alternate screen
};

// A terminal emulator with no scrollback: rows that scroll off the top are gone. Not
// thread-safe; one renderer per caller. The caller bounds what it feeds (a page of the
// session log); the renderer holds only libvterm's screen, never the bytes.
class screen_renderer {
public:
    // 1 <= rows <= k_max_side and 2 <= cols <= k_max_side, std::invalid_argument otherwise
    // (libvterm 0.1.4 crashes when a wide character is written to a one-column screen).
    screen_renderer(int rows, int cols);

    // Larger than any real terminal, and below the guard's parameter clamp, so clamping
    // parameters changes nothing a screen can show.
    static constexpr int k_max_side = 1000;
    ~screen_renderer();
    screen_renderer(screen_renderer&&) noexcept;
    screen_renderer& operator=(screen_renderer&&) noexcept;
    screen_renderer(const screen_renderer&) = delete;
    screen_renderer& operator=(const screen_renderer&) = delete;

    // Any bytes, split anywhere: a sequence or UTF-8 character cut between two calls is
    // completed by the next one. Replies a real terminal would send (cursor reports, device
    // attributes) are discarded. Bytes pass through vterm_input_guard first.
    void feed(std::string_view bytes);

    [[nodiscard]] screen_snapshot snapshot() const;

    // The snapshot's lines joined with '\n', empty rows at the bottom left out.
    [[nodiscard]] std::string text() const;

private:
    struct vterm_deleter {
        void operator()(VTerm* vt) const noexcept;
    };
    // Declared before vt_ so it outlives it: libvterm holds a pointer to it for callbacks.
    // On the heap so that pointer survives a move of the renderer.
    std::unique_ptr<detail::screen_callback_state> callbacks_;
    std::unique_ptr<VTerm, vterm_deleter> vt_;
    VTermScreen* screen_ = nullptr;  // owned by vt_
    vterm_input_guard guard_;
    int rows_ = 0;
    int cols_ = 0;
};

}  // namespace berth::mcp
