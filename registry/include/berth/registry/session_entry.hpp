// One live session in the registry: its record and its output, behind one lock.
//
// Writers (the plugin's output callback, the host) and readers (CLI, daemon clients) may be
// on any thread. Readers block in wait_* with a timeout; every state change and every append
// wakes them.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>

#include <berth/registry/output_buffer.hpp>
#include <berth/registry/session_record.hpp>

namespace re2 {
class RE2;
}

namespace berth::registry {

class metrics_store;

struct pattern_match {
    std::string text;               // the matched bytes
    std::uint64_t begin = 0;        // absolute offset of the first matched byte
    std::uint64_t end = 0;          // absolute offset one past the last matched byte
    std::uint64_t next_cursor = 0;  // == end: where to wait or read on from
};

struct pattern_wait_result {
    enum class outcome : std::uint8_t {
        matched,  // match is set
        timeout,  // no match within the timeout; the session still runs
        ended     // the session ended and its remaining output holds no match
    };
    outcome result = outcome::timeout;
    std::optional<pattern_match> match;
    std::uint64_t dropped = 0;     // bytes after the cursor lost to the buffer wrapping
    std::uint64_t scanned_to = 0;  // offset up to which output was searched
};

class session_entry {
public:
    session_entry(session_record initial, std::size_t buffer_capacity, metrics_store* metrics);

    session_entry(const session_entry&) = delete;
    session_entry& operator=(const session_entry&) = delete;

    [[nodiscard]] const std::string& id() const noexcept { return id_; }
    [[nodiscard]] session_record snapshot() const;
    // snapshot().state, without copying the record.
    [[nodiscard]] session_state state() const;

    // The plugin opened it: its process id, and what the plugin says it runs in and whether
    // it has a terminal. Counts as opened (and active, unless it already ended: a plugin may
    // report the exit before its open call returns).
    void mark_running(std::int64_t pid, std::string target = {}, bool tty = false);
    // Final state from the session's own end: exited, or failed when the status holds neither
    // a code nor a signal. No-op when already final, except that a closed session records the
    // exit code or signal its process ended with.
    void mark_ended(const exit_status& status);
    // The host is closing it: state becomes closed. No-op when already final.
    void mark_closed(std::string_view reason);
    // The session could not be opened (counts as failed to open), or failed while running.
    void mark_failed(std::string_view reason);

    void append_output(stream source, std::string_view bytes);
    void count_input(std::uint64_t bytes);

    [[nodiscard]] read_result read(std::uint64_t cursor, std::size_t max_bytes) const;

    // Long-poll: returns as soon as there is output at or past `cursor`, the session has
    // ended, the timeout passed or `stop` was requested (its caller went away); then reads
    // like read().
    [[nodiscard]] read_result wait_read(std::uint64_t cursor, std::size_t max_bytes,
                                        std::chrono::milliseconds timeout,
                                        std::stop_token stop = {}) const;

    // Blocks until the session reaches a final state, the timeout passes or `stop` is
    // requested. True if final.
    [[nodiscard]] bool wait_ended(std::chrono::milliseconds timeout,
                                  std::stop_token stop = {}) const;

    // Search output from `cursor` on for `pattern` (RE2, linear time), across chunk
    // boundaries, as output arrives, until matched, ended or timed out. A requested `stop`
    // ends the wait as a timeout.
    [[nodiscard]] pattern_wait_result wait_for_pattern(std::uint64_t cursor,
                                                       const re2::RE2& pattern,
                                                       std::chrono::milliseconds timeout,
                                                       std::stop_token stop = {}) const;

    [[nodiscard]] std::uint64_t end_offset() const;
    // Bytes the output buffer has allocated now. It grows with output up to the capacity, and
    // once the session is final (mark_ended, mark_closed, mark_failed) holds exactly the bytes
    // still readable.
    [[nodiscard]] std::size_t output_allocated() const;

private:
    std::string id_;
    mutable std::mutex mutex_;
    // _any: waits also end when their stop_token is requested.
    mutable std::condition_variable_any changed_;
    session_record record_;
    output_buffer output_;
    metrics_store* metrics_;  // not owned; may be null; outlives the entry
};

}  // namespace berth::registry
