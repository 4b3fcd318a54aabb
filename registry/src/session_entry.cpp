#include <berth/registry/session_entry.hpp>

#include <algorithm>
#include <thread>
#include <utility>

#include <re2/re2.h>
#include <berth/registry/metrics_store.hpp>

namespace berth::registry {

namespace {

using steady = std::chrono::steady_clock;

// Deadlines far in the future overflow steady_clock arithmetic (and some libc waits), so a
// caller asking for "forever" gets ten years instead.
constexpr std::chrono::hours k_max_wait{24 * 365 * 10};

steady::time_point deadline_after(std::chrono::milliseconds timeout) {
    const auto now = steady::now();
    if (timeout <= std::chrono::milliseconds::zero()) {
        return now;
    }
    return now + std::min<std::chrono::milliseconds>(timeout, k_max_wait);
}

}  // namespace

session_entry::session_entry(session_record initial, std::size_t buffer_capacity,
                             metrics_store* metrics, std::unique_ptr<session_log> log)
    : id_(initial.id),
      record_(std::move(initial)),
      output_(buffer_capacity),
      metrics_(metrics),
      log_(std::move(log)) {
    if (log_) {
        // A log read back from disk holds output from before this entry: the ring goes on
        // from its end (a fresh log is empty, and this changes nothing).
        log_end_ = log_->end_offset();
        output_.start_at(log_end_);
    }
}

session_record session_entry::snapshot() const {
    const std::lock_guard lock(mutex_);
    return record_;
}

session_state session_entry::state() const {
    const std::lock_guard lock(mutex_);
    return record_.state;
}

void session_entry::mark_running(std::int64_t pid, std::string target, bool tty) {
    bool ended_already = false;
    {
        const std::lock_guard lock(mutex_);
        record_.pid = pid;
        record_.target = std::move(target);
        record_.tty = tty;
        record_.started = clock::now();
        // The plugin may report the exit before its open call returned: the session did open,
        // and is already over. It must not come back to life.
        ended_already = is_final(record_.state);
        if (!ended_already) record_.state = session_state::running;
    }
    // All session accounting lives here, so an early exit cannot race the counters.
    if (metrics_ != nullptr) {
        metrics_->session_opened(record_.plugin);
        if (ended_already) metrics_->session_ended(record_.plugin);
    }
    // Waiters wake after the counters moved, so what they read agrees with the state.
    changed_.notify_all();
}

void session_entry::mark_ended(const exit_status& status) {
    // The exit comes after the last output: the log's fd can go (outside mutex_, see log_).
    if (log_) log_->seal();
    bool was_running = false;
    {
        const std::lock_guard lock(mutex_);
        if (record_.state == session_state::closed && failed(record_)) {
            // Closed by the host: keep that state and its reason, but record how the process
            // ended.
            record_.exit_code = status.exit_code;
            record_.term_signal = status.term_signal;
            record_.ended = clock::now();
        }
        // The plugin reports the exit after the last output, so what is held now is all there
        // will be: keep exactly that (also when the host closed the session first, and output
        // came after mark_closed).
        output_.shrink_to_fit();
        if (is_final(record_.state)) {
            return;
        }
        was_running = record_.state == session_state::running;
        record_.ended = clock::now();
        static_cast<exit_status&>(record_) = status;
        record_.state = failed(status) ? session_state::failed : session_state::exited;
    }
    // record_.plugin is set at construction and never written again, so reading it after
    // the lock is released is safe; calling out unlocked keeps the metrics lock out of ours.
    if (was_running && metrics_ != nullptr) {
        metrics_->session_ended(record_.plugin);
    }
    // Waiters wake after the counters moved, so what they read agrees with the state.
    changed_.notify_all();
}

void session_entry::mark_closed(std::string_view reason) {
    bool was_running = false;
    {
        const std::lock_guard lock(mutex_);
        // Already ended by itself: that outcome (exit code, signal) is the truer story.
        if (is_final(record_.state)) {
            return;
        }
        was_running = record_.state == session_state::running;
        record_.ended = clock::now();
        record_.reason = reason;
        record_.state = session_state::closed;
        // Output may still come while the plugin closes; the buffer grows again for it, and
        // mark_ended gives the rest back.
        output_.shrink_to_fit();
    }
    if (was_running && metrics_ != nullptr) {
        metrics_->session_ended(record_.plugin);
    }
    // Waiters wake after the counters moved, so what they read agrees with the state.
    changed_.notify_all();
}

void session_entry::mark_failed(std::string_view reason) {
    bool was_running = false;
    bool was_final = false;
    {
        const std::lock_guard lock(mutex_);
        // Like mark_ended: the first final state wins, so a late failure report cannot
        // rewrite a session that was already closed or exited.
        was_final = is_final(record_.state);
        if (was_final) {
            return;
        }
        was_running = record_.state == session_state::running;
        record_.ended = clock::now();
        record_.reason = reason;
        record_.state = session_state::failed;
        output_.shrink_to_fit();
    }
    // A session that never opened writes nothing: its log's fd can go.
    if (!was_running && log_) log_->seal();
    if (metrics_ != nullptr) {
        if (was_running) {
            metrics_->session_ended(record_.plugin);
        } else {
            metrics_->session_open_failed(record_.plugin);
        }
    }
    // Waiters wake after the counters moved, so what they read agrees with the state.
    changed_.notify_all();
}

void session_entry::append_output(stream source, std::string_view bytes) {
    if (bytes.empty()) {
        return;
    }
    // The log is written outside our lock, so a slow disk never stalls readers; they use it
    // only up to log_end_, which moves with the ring.
    if (log_) log_->append(source, bytes);
    const std::uint64_t log_end = log_ ? log_->end_offset() : 0;
    {
        const std::lock_guard lock(mutex_);
        output_.append(source, bytes);
        record_.bytes_out += bytes.size();
        log_end_ = log_end;
    }
    changed_.notify_all();
    if (metrics_ != nullptr) {
        metrics_->add_bytes(record_.plugin, 0, bytes.size());
    }
}

void session_entry::count_input(std::uint64_t bytes) {
    if (bytes == 0) {
        return;
    }
    {
        const std::lock_guard lock(mutex_);
        record_.bytes_in += bytes;
    }
    changed_.notify_all();
    if (metrics_ != nullptr) {
        metrics_->add_bytes(record_.plugin, bytes, 0);
    }
}

read_result session_entry::read(std::uint64_t cursor, std::size_t max_bytes) const {
    std::uint64_t log_end = 0;
    {
        const std::lock_guard lock(mutex_);
        // From memory when the ring has the cursor's bytes, or nothing older is on disk.
        if (!log_ || cursor >= output_.begin_offset() || cursor >= log_end_)
            return output_.read(cursor, max_bytes);
        log_end = log_end_;
    }
    // Behind the ring: the log, unless it has nothing there either (trimmed past the
    // cursor's bytes or stopped before them) and the ring is closer.
    auto from_log = log_->read(cursor, max_bytes, log_end);
    // On disk but not readable now (no fd to open it with): not dropped, ask again.
    if (from_log.unavailable) return from_log;
    const std::lock_guard lock(mutex_);
    if (from_log.chunks.empty() ||
        cursor + from_log.dropped >= std::max(cursor, output_.begin_offset()))
        return output_.read(cursor, max_bytes);
    return from_log;
}

read_result session_entry::wait_read(std::uint64_t cursor, std::size_t max_bytes,
                                     std::chrono::milliseconds timeout,
                                     std::stop_token stop) const {
    const auto deadline = deadline_after(timeout);
    std::unique_lock lock(mutex_);
    // The predicate form re-checks after every wake-up, so spurious ones just wait again.
    changed_.wait_until(lock, stop, deadline,
                        [&] { return output_.end_offset() > cursor || is_final(record_.state); });
    lock.unlock();
    for (;;) {
        auto r = read(cursor, max_bytes);
        // A log that cannot be read this instant (out of fds) is asked again shortly, within
        // the wait's time, rather than answering with nothing at once again and again.
        if (!r.unavailable || steady::now() >= deadline || stop.stop_requested()) return r;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

bool session_entry::wait_ended(std::chrono::milliseconds timeout, std::stop_token stop) const {
    const auto deadline = deadline_after(timeout);
    std::unique_lock lock(mutex_);
    return changed_.wait_until(lock, stop, deadline, [&] { return is_final(record_.state); });
}

pattern_wait_result session_entry::wait_for_pattern(std::uint64_t cursor, const re2::RE2& pattern,
                                                    std::chrono::milliseconds timeout,
                                                    std::stop_token stop) const {
    const auto deadline = deadline_after(timeout);
    pattern_wait_result result;
    result.scanned_to = cursor;
    // What is searched: the tail of what was searched before (where a match may begin) and
    // then the new bytes. `text_begin` is the offset of text[0].
    std::string text;
    // Its most: what a pass keeps and one piece. Made once, so a long wait reallocates nothing.
    text.reserve(k_pattern_overlap + k_pattern_context + 1 + k_pattern_piece);
    std::uint64_t text_begin = cursor;
    // Where matches may begin in text: 1 once the front was cut, so text[0] is only the
    // context `^` and `\b` look at, as they would in the whole output.
    std::size_t search_from = 0;
    std::uint64_t pos = cursor;  // the next offset to read
    for (;;) {
        // Final before reading: then what the reads below return is all there will be.
        const bool ended = is_final(state());
        for (;;) {
            auto r = read(pos, k_pattern_piece);
            if (r.next_cursor == pos) break;
            if (r.dropped > 0) {  // a gap: nothing before it can join a match after it
                result.dropped += r.dropped;
                text.clear();
                text_begin = pos + r.dropped;
                search_from = 0;
            }
            for (const auto& c : r.chunks) text += c.bytes;
            pos = r.next_cursor;
            result.scanned_to = pos;
            // A piece that is not the end of what exists holds back its last bytes as context
            // (`$`, `\b` and a greedy match see what follows); the next pass searches them.
            const bool at_end = pos >= end_offset();
            const std::size_t search_to =
                at_end ? text.size() : text.size() - std::min(text.size(), k_pattern_context);
            // Unlocked: read() copied the bytes out, so a long scan stalls no writer.
            re2::StringPiece found;
            if (search_to > search_from &&
                pattern.Match(text, search_from, search_to, re2::RE2::UNANCHORED, &found, 1)) {
                pattern_match m;
                m.text.assign(found.data(), found.size());
                m.begin = text_begin + static_cast<std::uint64_t>(found.data() - text.data());
                m.end = m.begin + found.size();
                m.next_cursor = m.end;
                result.result = pattern_wait_result::outcome::matched;
                result.match = std::move(m);
                return result;
            }
            // Kept for the next pass: where a match may still begin (the overlap and the held
            // back context) and one byte before it as context.
            if (const std::size_t keep = k_pattern_overlap + k_pattern_context + 1;
                text.size() > keep) {
                const std::size_t cut = text.size() - keep;
                text.erase(0, cut);
                text_begin += cut;
                search_from = 1;
            }
            // A long backlog (a gigabyte in the log) is searched within the wait's time too
            // (a zero timeout searches what is there once); scanned_to says where a next
            // wait can go on from.
            if (stop.stop_requested() ||
                (timeout > std::chrono::milliseconds::zero() && steady::now() >= deadline)) {
                result.result = pattern_wait_result::outcome::timeout;
                return result;
            }
        }
        if (ended) {
            result.result = pattern_wait_result::outcome::ended;
            return result;
        }
        // Checked before waiting so a zero timeout searches exactly once, and a stream of
        // appends cannot keep an expired wait looping.
        if (steady::now() >= deadline || stop.stop_requested()) {
            result.result = pattern_wait_result::outcome::timeout;
            return result;
        }
        std::unique_lock lock(mutex_);
        // Output that stays short of `pos` cannot produce a match: no reason to search again.
        const bool changed = changed_.wait_until(lock, stop, deadline, [&] {
            return output_.end_offset() > pos || is_final(record_.state);
        });
        if (!changed) {
            result.result = pattern_wait_result::outcome::timeout;
            return result;
        }
    }
}

std::uint64_t session_entry::end_offset() const {
    const std::lock_guard lock(mutex_);
    return output_.end_offset();
}

log_status session_entry::log() const {
    log_status s;
    if (!log_) return s;
    s.kept = true;
    s.begin = log_->begin_offset();
    s.end = log_->end_offset();
    s.held = log_->held_bytes();
    s.stopped = log_->stopped();
    return s;
}

void session_entry::discard_log() {
    if (log_) log_->discard_when_done();
}

std::size_t session_entry::output_allocated() const {
    const std::lock_guard lock(mutex_);
    return output_.allocated();
}

}  // namespace berth::registry
