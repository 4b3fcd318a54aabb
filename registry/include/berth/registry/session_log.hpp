// A session's output on disk, so that a reader behind the memory ring still gets every byte
// (`podman logs -f` loses nothing either), and a restarted berthd can still serve the output
// of a session it lost.
//
// One append-only file per session, one fd, written on the thread that delivers the output
// (no thread of its own). Offsets are the session's absolute output offsets, as in
// output_buffer. The file:
//   [0, 4096)   header: magic, version, where the first kept record is, why the log stopped
//   [4096, ...) records: u8 stream, u8 0, u16 0, u32 length (host byte order), then the bytes
// Bounded: when the file's records would pass `bound` bytes (headers included), or the
// host's logs together would pass their total (log_space), the oldest records are dropped:
// the header moves past them and their blocks are given back with FALLOC_FL_PUNCH_HOLE, so
// offsets never move. Readers are told exactly how many bytes they missed.
//
// When the log cannot go on (disk full, a directory it cannot create, a file system without
// hole punching), it stops: what it holds stays readable, stopped() says why (also in the
// header, for a restarted host), and the session goes on from memory. Nothing here throws
// for an I/O failure.
//
// Thread-safe: one writer (the session's output path), any number of readers, and log_space
// trimming it from another session's writer.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <berth/registry/output_buffer.hpp>

namespace berth::registry {

class log_space;

class session_log {
public:
    // Creates (or replaces) `file`. On failure the log is created stopped, saying why.
    session_log(std::filesystem::path file, std::uint64_t bound, std::shared_ptr<log_space> space);
    // Reads back an existing file written by an earlier host (`restored` tag). It takes no
    // more output; its stopped() is why the old host's log stopped (empty if it recorded to
    // the end). Missing or unreadable: empty, stopped() says why.
    struct restored_t {};
    static constexpr restored_t restored{};
    session_log(restored_t, std::filesystem::path file, std::shared_ptr<log_space> space);
    ~session_log();
    session_log(const session_log&) = delete;
    session_log& operator=(const session_log&) = delete;

    // Appends the bytes that follow end_offset(). A no-op once stopped.
    void append(stream source, std::string_view bytes);

    // Up to max_bytes from `cursor` on, only from [begin_offset(), min(end_offset(), limit));
    // chunks per stream like output_buffer::read. A cursor before begin_offset() reads from
    // there and reports the gap as dropped. Nothing there (or unreadable): no chunks, and
    // next_cursor == cursor.
    [[nodiscard]] read_result read(std::uint64_t cursor, std::size_t max_bytes,
                                   std::uint64_t limit = UINT64_MAX) const;

    [[nodiscard]] std::uint64_t begin_offset() const;
    [[nodiscard]] std::uint64_t end_offset() const;
    // Bytes of the file that hold records (what the bounds count).
    [[nodiscard]] std::uint64_t held_bytes() const;
    // Empty while it records.
    [[nodiscard]] std::string stopped() const;
    // seal() was called (or it was restored): its session writes no more.
    [[nodiscard]] bool sealed() const;
    [[nodiscard]] const std::filesystem::path& file() const noexcept { return file_; }

    // The session ended: nothing more will be written. The fd is closed, and reads (and
    // trims) open the file for the call, so ended sessions waiting for idle_timeout_s hold
    // no fd each.
    void seal();

    // True when `file` starts with a session log's header (magic and version).
    [[nodiscard]] static bool is_log_file(const std::filesystem::path& file);

    // Deletes the file now; the log is empty and stopped afterwards.
    void remove();
    // The session is forgotten: the file goes with this object, once the last reader (a
    // stream still sending it) has let go of it. Without this the file stays (a host that
    // shuts down keeps its sessions' logs for the next one).
    void discard_when_done();

    // Drops the oldest records until at least `bytes` of the file are given back, or none is
    // left but the newest; returns the bytes given back. For log_space.
    std::uint64_t trim(std::uint64_t bytes);

    static constexpr std::size_t k_header_bytes = 4096;
    static constexpr std::size_t k_record_header_bytes = 8;
    // How much output one index entry covers at most (see index_).
    static constexpr std::uint64_t k_index_step = std::uint64_t{64} << 10;

private:
    struct index_entry {
        std::uint64_t offset;  // session offset of the record's first byte
        std::uint64_t pos;     // file position of the record's header
    };

    // All below with mutex_ held.
    void stop_locked(std::string why);
    // False (and the log stopped) when the header could not be written.
    bool write_header_locked(int fd);
    // fd_, or for a sealed log the file opened now with `flags` (then also in `opened`, which
    // the caller closes); -1 when there is none.
    int fd_for_locked(int flags, int& opened) const;
    // Drops records from the front until at least `bytes` are given back; returns how many.
    std::uint64_t trim_locked(std::uint64_t bytes);
    // Reads the records of an existing file into the index.
    void scan_locked();

    std::filesystem::path file_;
    std::uint64_t bound_ = 0;
    std::shared_ptr<log_space> space_;  // may be null: no total bound
    mutable std::mutex mutex_;
    int fd_ = -1;           // open while the session can still write
    bool sealed_ = false;   // fd_ closed on purpose: the file is opened per call
    bool discard_ = false;  // delete the file with this object
    std::uint64_t first_pos_ = k_header_bytes;   // file position of the first kept record
    std::uint64_t end_pos_ = k_header_bytes;     // file position after the last record
    std::uint64_t begin_ = 0;                    // session offset of the first kept byte
    std::uint64_t end_ = 0;                      // session offset after the last byte
    std::uint64_t punched_to_ = k_header_bytes;  // file blocks before this are given back
    // Where records start, about one entry per k_index_step of output, always the first kept
    // record: bounded by the bound / k_index_step, and a read skips at most that much.
    std::deque<index_entry> index_;
    std::uint64_t last_indexed_ = 0;
    std::string stopped_;
};

// The total bound over a host's logs (session_log_total_bytes): a log about to pass it takes
// the room from ended sessions' logs first, largest first, then from running sessions' logs
// (maybe its own), largest first; always their oldest records.
class log_space {
public:
    explicit log_space(std::uint64_t total_bound) : bound_(total_bound) {}

    // Makes room for `bytes` more; false when no log has anything left to give.
    [[nodiscard]] bool reserve(session_log& writer, std::uint64_t bytes);
    void release(std::uint64_t bytes) noexcept;
    [[nodiscard]] std::uint64_t used() const noexcept;

private:
    friend class session_log;
    void enrol(session_log* log);
    void leave(session_log* log);

    std::uint64_t bound_;
    std::mutex mutex_;  // logs_; taken before any log's own mutex, never after
    std::vector<session_log*> logs_;
    std::atomic<std::uint64_t> used_{0};
};

}  // namespace berth::registry
