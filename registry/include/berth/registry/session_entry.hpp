// One live session in the registry: its record and its output, behind one lock.
//
// Output lives in a bounded ring in memory (the hot cache) and, when the host keeps logs, in
// the session's log on disk: a reader behind the ring is served from the log, so with a log
// nothing within its bound is lost.
//
// Writers (the plugin's output callback, the host) and readers (CLI, daemon clients) may be
// on any thread. Readers block in wait_* with a timeout; every state change and every append
// wakes them.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>

#include <berth/registry/output_buffer.hpp>
#include <berth/registry/session_log.hpp>
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
    std::uint64_t dropped = 0;     // bytes after the cursor that were no longer kept
    std::uint64_t scanned_to = 0;  // offset up to which output was searched
};

// What a session's log holds, for clients (session.get).
struct log_status {
    bool kept = false;        // the session has a log
    std::uint64_t begin = 0;  // first offset still in it
    std::uint64_t end = 0;    // offset after its last byte
    std::uint64_t held = 0;   // bytes of the file holding records
    std::string stopped;      // why it stopped taking output; empty while it does
};

class session_entry {
public:
    // `log` (may be null) receives the output as it comes; a restored log (one the session
    // will add nothing to) sets where the output ends.
    session_entry(session_record initial, std::size_t buffer_capacity, metrics_store* metrics,
                  std::unique_ptr<session_log> log = nullptr);

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
    // ends the wait as a timeout. Each byte is searched once, plus the last
    // k_pattern_overlap bytes before new output (where a match may begin): a match longer
    // than that may be found from a later start, or missed.
    [[nodiscard]] pattern_wait_result wait_for_pattern(std::uint64_t cursor,
                                                       const re2::RE2& pattern,
                                                       std::chrono::milliseconds timeout,
                                                       std::stop_token stop = {}) const;

    static constexpr std::size_t k_pattern_overlap = std::size_t{64} << 10;
    // What a pattern wait holds back from the end of a piece that is not the end of the
    // output, as the context assertions and greedy matches see.
    static constexpr std::size_t k_pattern_context = 4096;
    // How much output a pattern wait reads and searches at a time.
    static constexpr std::size_t k_pattern_piece = std::size_t{96} << 10;

    [[nodiscard]] std::uint64_t end_offset() const;
    [[nodiscard]] log_status log() const;
    // The session is being forgotten: its log file goes with this entry (once the last
    // reader holding it, such as a stream still sending it, lets go).
    void discard_log();
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
    metrics_store* metrics_;            // not owned; may be null; outlives the entry
    std::unique_ptr<session_log> log_;  // null: none; its own lock, never taken inside mutex_
    // How far the log had reached when the ring last took output: readers use the log only
    // up to here, so the two always agree on what exists.
    std::uint64_t log_end_ = 0;
};

}  // namespace berth::registry
