#include "screen_render.hpp"

#include <vterm.h>

#include <algorithm>
#include <cstdint>
#include <stdexcept>

namespace berth::mcp {

namespace detail {
struct screen_callback_state {
    bool alt_screen = false;
};
}  // namespace detail

namespace {

int on_settermprop(VTermProp prop, VTermValue* value, void* user) {
    if (prop == VTERM_PROP_ALTSCREEN) {
        static_cast<detail::screen_callback_state*>(user)->alt_screen = value->boolean != 0;
    }
    return 1;
}

// Without an output callback libvterm queues replies in a fixed buffer and complains on
// stderr when it fills; nobody reads them here.
void discard_output(const char* /*bytes*/, std::size_t /*len*/, void* /*user*/) {}

constexpr VTermScreenCallbacks k_callbacks = {
    .damage = nullptr,
    .moverect = nullptr,
    .movecursor = nullptr,
    .settermprop = on_settermprop,
    .bell = nullptr,
    .resize = nullptr,
    .sb_pushline = nullptr,
    .sb_popline = nullptr,
};

void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

}  // namespace

void screen_renderer::vterm_deleter::operator()(VTerm* vt) const noexcept { vterm_free(vt); }

screen_renderer::screen_renderer(int rows, int cols)
    : callbacks_(std::make_unique<detail::screen_callback_state>()), rows_(rows), cols_(cols) {
    // One column is not merely useless: libvterm 0.1.4 writes past its buffer when a wide
    // character lands on a one-column screen (found by SurvivesArbitraryBytes).
    if (rows < 1 || cols < 2 || rows > k_max_side || cols > k_max_side) {
        throw std::invalid_argument("screen_renderer: needs 1..1000 rows and 2..1000 columns");
    }
    vt_.reset(vterm_new(rows, cols));
    if (!vt_) throw std::bad_alloc();
    vterm_set_utf8(vt_.get(), 1);
    vterm_output_set_callback(vt_.get(), discard_output, nullptr);
    screen_ = vterm_obtain_screen(vt_.get());
    // Off by default in libvterm: ?1049h would then draw over the main screen.
    vterm_screen_enable_altscreen(screen_, 1);
    vterm_screen_set_callbacks(screen_, &k_callbacks, callbacks_.get());
    vterm_screen_reset(screen_, 1);
}

screen_renderer::~screen_renderer() = default;
screen_renderer::screen_renderer(screen_renderer&&) noexcept = default;
screen_renderer& screen_renderer::operator=(screen_renderer&&) noexcept = default;

namespace {

class vterm_sink final : public vterm_input_guard::sink {
public:
    vterm_sink(VTerm* vt, int cols) : vt_(vt), cols_(cols) {}

    void write(std::string_view bytes) override {
        vterm_input_write(vt_, bytes.data(), bytes.size());
    }

    // What libvterm's own REP does, without its endless loop: copies up to the right margin
    // and no further. (A wide character is counted as one column here, so its copies may
    // wrap where libvterm's would stop; rare enough.)
    void repeat(std::string_view character, int count) override {
        VTermPos cursor{};
        vterm_state_get_cursorpos(vterm_obtain_state(vt_), &cursor);
        const int copies = std::min(count, std::max(cols_ - cursor.col, 0));
        for (int i = 0; i < copies; ++i) write(character);
    }

private:
    VTerm* vt_;
    int cols_;
};

}  // namespace

void screen_renderer::feed(std::string_view bytes) {
    if (bytes.empty()) return;
    vterm_sink sink(vt_.get(), cols_);
    guard_.feed(bytes, sink);
}

screen_snapshot screen_renderer::snapshot() const {
    screen_snapshot snap;
    snap.rows = rows_;
    snap.cols = cols_;
    snap.alt_screen = callbacks_->alt_screen;
    VTermPos cursor{};
    vterm_state_get_cursorpos(vterm_obtain_state(vt_.get()), &cursor);
    snap.cursor_row = cursor.row;
    snap.cursor_col = cursor.col;

    snap.lines.reserve(static_cast<std::size_t>(rows_));
    for (int row = 0; row < rows_; ++row) {
        std::string line;
        std::size_t kept = 0;  // line's length up to its last non-blank cell
        for (int col = 0; col < cols_;) {
            VTermScreenCell cell{};
            vterm_screen_get_cell(screen_, VTermPos{row, col}, &cell);
            if (cell.chars[0] == 0) {
                line += ' ';  // never written, or erased
            } else {
                for (int i = 0; i < VTERM_MAX_CHARS_PER_CELL && cell.chars[i] != 0; ++i) {
                    append_utf8(line, cell.chars[i]);
                }
                if (cell.chars[0] != ' ') kept = line.size();
            }
            // A wide character fills two cells; the second holds nothing of its own.
            col += cell.width > 1 ? cell.width : 1;
        }
        line.resize(kept);
        snap.lines.push_back(std::move(line));
    }
    return snap;
}

std::string screen_renderer::text() const {
    const screen_snapshot snap = snapshot();
    std::size_t used = snap.lines.size();
    while (used > 0 && snap.lines[used - 1].empty()) --used;
    std::string out;
    for (std::size_t i = 0; i < used; ++i) {
        if (i > 0) out += '\n';
        out += snap.lines[i];
    }
    return out;
}

}  // namespace berth::mcp
