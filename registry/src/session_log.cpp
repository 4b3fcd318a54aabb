#include <berth/registry/session_log.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>

namespace berth::registry {
namespace {

constexpr char k_magic[8] = {'B', 'E', 'R', 'T', 'H', 'L', 'O', 'G'};
constexpr std::uint32_t k_version = 1;

// The first block of the file. Host byte order: a log is read back by the host that wrote it.
struct file_header {
    char magic[8];
    std::uint32_t version;
    std::uint32_t reserved;
    std::uint64_t first_pos;  // file position of the first kept record
    std::uint64_t begin;      // session offset of its first byte
    char stopped[1024];       // why the log stopped, NUL-terminated; empty while it records
};
static_assert(sizeof(file_header) <= session_log::k_header_bytes);

struct record_header {
    std::uint8_t source;
    std::uint8_t flags;
    std::uint16_t reserved;
    std::uint32_t length;
};
static_assert(sizeof(record_header) == session_log::k_record_header_bytes);

std::string errno_text(int e) { return std::error_code(e, std::generic_category()).message(); }

bool pread_exact(int fd, void* out, std::size_t n, std::uint64_t pos) {
    auto* p = static_cast<char*>(out);
    while (n > 0) {
        const ssize_t got = ::pread(fd, p, n, static_cast<off_t>(pos));
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) return false;
        p += got;
        n -= static_cast<std::size_t>(got);
        pos += static_cast<std::uint64_t>(got);
    }
    return true;
}

// Reads the file through one window, so that many small records cost few system calls. The
// window is made at its first use, uninitialised, and smaller than glibc's mmap threshold
// (berthd sets it to 128 KiB): a read of big records, the common case, allocates nothing, and
// none pays for fresh pages.
class window_reader {
public:
    static constexpr std::size_t k_window = std::size_t{64} << 10;
    explicit window_reader(int fd) : fd_(fd) {}
    bool get(std::uint64_t pos, std::size_t n, char* out) {
        if (pos >= at_ && pos + n <= at_ + len_) {
            std::memcpy(out, buf_.get() + (pos - at_), n);
            return true;
        }
        if (n > k_window / 2) return pread_exact(fd_, out, n, pos);  // big: straight in
        if (!buf_) buf_.reset(new char[k_window]);
        const ssize_t got = ::pread(fd_, buf_.get(), k_window, static_cast<off_t>(pos));
        if (got < static_cast<ssize_t>(n)) return pread_exact(fd_, out, n, pos);
        at_ = pos;
        len_ = static_cast<std::size_t>(got);
        std::memcpy(out, buf_.get(), n);
        return true;
    }

private:
    int fd_;
    std::unique_ptr<char[]> buf_;
    std::uint64_t at_ = 0;
    std::size_t len_ = 0;
};

bool valid_stream(std::uint8_t s) { return s >= 1 && s <= 3; }

// Closes what it holds (a file opened for one call on a sealed log).
struct fd_closer {
    int fd = -1;
    ~fd_closer() {
        if (fd >= 0) ::close(fd);
    }
};

}  // namespace

session_log::session_log(std::filesystem::path file, std::uint64_t bound,
                         std::shared_ptr<log_space> space)
    : file_(std::move(file)), bound_(bound), space_(std::move(space)) {
    // The smallest record must fit, whatever the caller asked for.
    bound_ = std::max<std::uint64_t>(bound_, k_record_header_bytes + 1);
    if (space_) space_->enrol(this);
    const std::lock_guard lock(mutex_);
    fd_ = ::open(file_.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd_ < 0) {
        stopped_ = "cannot create the log " + file_.string() + ": " + errno_text(errno);
        return;
    }
    // The header block is written whole once, so rewriting it later needs no new disk space.
    write_header_locked(fd_);
}

session_log::session_log(restored_t, std::filesystem::path file, std::shared_ptr<log_space> space)
    : file_(std::move(file)), space_(std::move(space)) {
    {
        const std::lock_guard lock(mutex_);
        fd_ = ::open(file_.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd_ < 0) {
            stopped_ = "no log to read back: " + file_.string() + ": " + errno_text(errno);
            return;
        }
        scan_locked();
        // Nothing more will be written: like an ended session's, its file is opened per call.
        if (fd_ >= 0) {
            ::close(fd_);
            fd_ = -1;
            sealed_ = true;
        }
    }
    // Counted before it can be trimmed: a trim releases what it gives back.
    if (space_) {
        space_->used_ += held_bytes();
        space_->enrol(this);
    }
}

session_log::~session_log() {
    {
        const std::lock_guard lock(mutex_);
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
        if (discard_) {
            std::error_code ignored;
            std::filesystem::remove(file_, ignored);
        }
    }
    if (space_) {
        space_->leave(this);
        space_->release(end_pos_ - first_pos_);
    }
}

void session_log::scan_locked() {
    file_header h{};
    struct stat st {};
    if (!pread_exact(fd_, &h, sizeof h, 0) || std::memcmp(h.magic, k_magic, sizeof k_magic) != 0 ||
        h.version != k_version || ::fstat(fd_, &st) != 0 || h.first_pos < k_header_bytes) {
        stopped_ = "the log " + file_.string() + " is not a berth session log (version 1)";
        ::close(fd_);
        fd_ = -1;
        return;
    }
    h.stopped[sizeof h.stopped - 1] = '\0';
    stopped_ = h.stopped;
    first_pos_ = end_pos_ = punched_to_ = h.first_pos;
    begin_ = end_ = last_indexed_ = h.begin;
    const auto size = static_cast<std::uint64_t>(st.st_size);
    window_reader in(fd_);
    while (end_pos_ + k_record_header_bytes <= size) {
        record_header r{};
        if (!in.get(end_pos_, sizeof r, reinterpret_cast<char*>(&r))) break;
        // A record cut short (the host died while writing it) or garbage ends the log there.
        if (!valid_stream(r.source) || r.length == 0 ||
            end_pos_ + k_record_header_bytes + r.length > size)
            break;
        if (index_.empty() || end_ - last_indexed_ >= k_index_step) {
            index_.push_back({end_, end_pos_});
            last_indexed_ = end_;
        }
        end_pos_ += k_record_header_bytes + r.length;
        end_ += r.length;
    }
}

int session_log::fd_for_locked(int flags, int& opened) const {
    if (fd_ >= 0) return fd_;
    if (!sealed_) return -1;
    opened = ::open(file_.c_str(), flags | O_CLOEXEC);
    return opened;
}

void session_log::seal() {
    const std::lock_guard lock(mutex_);
    if (fd_ < 0) return;
    ::close(fd_);
    fd_ = -1;
    sealed_ = true;
}

bool session_log::write_header_locked(int fd) {
    std::vector<char> block(k_header_bytes, '\0');
    file_header h{};
    std::memcpy(h.magic, k_magic, sizeof k_magic);
    h.version = k_version;
    h.first_pos = first_pos_;
    h.begin = begin_;
    std::strncpy(h.stopped, stopped_.c_str(), sizeof h.stopped - 1);
    std::memcpy(block.data(), &h, sizeof h);
    // A failure to rewrite it leaves the old header, which still points at a record that is
    // there: trim_locked gives blocks back only after the header moved.
    const ssize_t n = ::pwrite(fd, block.data(), block.size(), 0);
    if (n == static_cast<ssize_t>(block.size())) return true;
    if (stopped_.empty())
        stop_locked("cannot write the log's header in " + file_.string() + ": " +
                    (n < 0 ? errno_text(errno) : std::string("short write")));
    return false;
}

void session_log::stop_locked(std::string why) {
    if (!stopped_.empty()) return;
    stopped_ = std::move(why);
    if (fd_ >= 0) write_header_locked(fd_);
}

std::uint64_t session_log::trim_locked(std::uint64_t bytes) {
    const std::uint64_t held = end_pos_ - first_pos_;
    if (held == 0 || bytes == 0) return 0;
    fd_closer opened;
    const int fd = fd_for_locked(O_RDWR, opened.fd);
    if (fd < 0) return 0;
    // The first indexed record at least `bytes` past the first kept one; none: drop all.
    auto keep = std::find_if(index_.begin(), index_.end(),
                             [&](const index_entry& e) { return e.pos - first_pos_ >= bytes; });
    const std::uint64_t old_first = first_pos_;
    if (keep == index_.end()) {
        first_pos_ = end_pos_;
        begin_ = end_;
        index_.clear();
    } else {
        first_pos_ = keep->pos;
        begin_ = keep->offset;
        index_.erase(index_.begin(), keep);
    }
    // Blocks go back only once the header no longer points at them: a restarted host must
    // never find its first record punched away.
    const bool header_moved = write_header_locked(fd);
    // Whole blocks before the first kept record go back to the file system; offsets stay.
    const std::uint64_t punch_to = first_pos_ / k_header_bytes * k_header_bytes;
    if (header_moved && punch_to > punched_to_) {
        if (::fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                        static_cast<off_t>(punched_to_),
                        static_cast<off_t>(punch_to - punched_to_)) != 0) {
            stop_locked("cannot give back the log's oldest part in " + file_.string() + ": " +
                        errno_text(errno) + " (the file system must support hole punching)");
        }
        punched_to_ = punch_to;
    }
    const std::uint64_t freed = first_pos_ - old_first;
    if (space_) space_->release(freed);
    return freed;
}

std::uint64_t session_log::trim(std::uint64_t bytes) {
    const std::lock_guard lock(mutex_);
    return trim_locked(bytes);
}

void session_log::append(stream source, std::string_view bytes) {
    if (bytes.empty()) return;
    {
        const std::lock_guard lock(mutex_);
        if (fd_ < 0 || !stopped_.empty()) return;
    }
    // A record longer than the bound keeps its newest part: the rest is dropped at once.
    const std::uint64_t skip = k_record_header_bytes + bytes.size() > bound_
                                   ? k_record_header_bytes + bytes.size() - bound_
                                   : 0;
    const std::string_view kept = bytes.substr(skip);
    const std::uint64_t need = k_record_header_bytes + kept.size();
    // Taken before our own lock: log_space locks the logs it trims, maybe this one.
    if (space_ && !space_->reserve(*this, need)) {
        const std::lock_guard lock(mutex_);
        stop_locked("session_log_total_bytes reached: the other sessions' logs hold it all");
        return;
    }
    const std::lock_guard lock(mutex_);
    const auto unreserve = [&] {
        if (space_) space_->release(need);
    };
    if (fd_ < 0 || !stopped_.empty()) return unreserve();
    if (end_pos_ - first_pos_ + need > bound_) trim_locked(end_pos_ - first_pos_ + need - bound_);
    if (skip > 0) {  // nothing older can stay before a record that fills the bound
        trim_locked(end_pos_ - first_pos_);
        end_ += skip;
        begin_ = end_;
        last_indexed_ = end_;
        write_header_locked(fd_);  // a restarted host must start its offsets here too
    }
    if (!stopped_.empty()) return unreserve();  // a trim above could not give blocks back
    const bool indexed = index_.empty() || end_ - last_indexed_ >= k_index_step;
    record_header h{static_cast<std::uint8_t>(source), 0, 0,
                    static_cast<std::uint32_t>(kept.size())};
    iovec iov[2] = {{&h, sizeof h}, {const_cast<char*>(kept.data()), kept.size()}};
    std::size_t done = 0;
    while (done < need) {
        // Re-aim the vector at what is left after a short write.
        iovec left[2];
        int count = 0;
        std::size_t skip_bytes = done;
        for (const auto& v : iov) {
            if (skip_bytes >= v.iov_len) {
                skip_bytes -= v.iov_len;
                continue;
            }
            left[count++] = {static_cast<char*>(v.iov_base) + skip_bytes, v.iov_len - skip_bytes};
            skip_bytes = 0;
        }
        const ssize_t n = ::pwritev(fd_, left, count, static_cast<off_t>(end_pos_ + done));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            const int e = n < 0 ? errno : ENOSPC;
            // No torn record stays behind: a reader after a restart stops at the last whole one.
            (void)!::ftruncate(fd_, static_cast<off_t>(end_pos_));
            stop_locked("cannot write the log " + file_.string() + ": " + errno_text(e) +
                        " (the session goes on; its output since offset " + std::to_string(end_) +
                        " is kept in memory only)");
            return unreserve();
        }
        done += static_cast<std::size_t>(n);
    }
    if (indexed) {
        index_.push_back({end_, end_pos_});
        last_indexed_ = end_;
    }
    end_pos_ += need;
    end_ += kept.size();
}

read_result session_log::read(std::uint64_t cursor, std::size_t max_bytes,
                              std::uint64_t limit) const {
    read_result r;
    r.next_cursor = cursor;
    const std::lock_guard lock(mutex_);
    const std::uint64_t end = std::min(end_, limit);
    const std::uint64_t start = std::max(cursor, begin_);
    if (start >= end || index_.empty()) return r;
    fd_closer opened;
    const int fd = fd_for_locked(O_RDONLY, opened.fd);
    if (fd < 0) {
        r.unavailable = sealed_;  // the file is there, but could not be opened now
        return r;
    }
    const std::uint64_t stop = start + std::min<std::uint64_t>(end - start, max_bytes);
    // The last indexed record at or before `start`.
    auto it =
        std::upper_bound(index_.begin(), index_.end(), start,
                         [](std::uint64_t off, const index_entry& e) { return off < e.offset; });
    if (it != index_.begin()) --it;
    std::uint64_t pos = it->pos;
    std::uint64_t off = it->offset;
    window_reader in(fd);
    while (off < stop && pos < end_pos_) {
        record_header h{};
        if (!in.get(pos, sizeof h, reinterpret_cast<char*>(&h)) || !valid_stream(h.source)) break;
        const std::uint64_t rec_end = off + h.length;
        if (rec_end > start) {
            const std::uint64_t from = std::max(off, start);
            const std::uint64_t to = std::min(rec_end, stop);
            const auto source = static_cast<stream>(h.source);
            if (r.chunks.empty() || r.chunks.back().source != source)
                r.chunks.push_back({source, {}});
            auto& out = r.chunks.back().bytes;
            const std::size_t at = out.size();
            out.resize(at + (to - from));
            if (!in.get(pos + k_record_header_bytes + (from - off), to - from, out.data() + at)) {
                out.resize(at);
                break;
            }
        }
        pos += k_record_header_bytes + h.length;
        off = rec_end;
    }
    std::uint64_t got = 0;
    for (const auto& c : r.chunks) got += c.bytes.size();
    if (got == 0) {
        r.chunks.clear();
        r.unavailable = true;  // the bytes are in the file, but could not be read now
        return r;
    }
    r.dropped = start - cursor;
    r.next_cursor = start + got;
    return r;
}

std::uint64_t session_log::begin_offset() const {
    const std::lock_guard lock(mutex_);
    return begin_;
}

std::uint64_t session_log::end_offset() const {
    const std::lock_guard lock(mutex_);
    return end_;
}

std::uint64_t session_log::held_bytes() const {
    const std::lock_guard lock(mutex_);
    return end_pos_ - first_pos_;
}

bool session_log::sealed() const {
    const std::lock_guard lock(mutex_);
    return sealed_;
}

std::string session_log::stopped() const {
    const std::lock_guard lock(mutex_);
    return stopped_;
}

bool session_log::is_log_file(const std::filesystem::path& file) {
    fd_closer f{::open(file.c_str(), O_RDONLY | O_CLOEXEC)};
    file_header h{};
    return f.fd >= 0 && pread_exact(f.fd, &h, sizeof h, 0) &&
           std::memcmp(h.magic, k_magic, sizeof k_magic) == 0 && h.version == k_version;
}

void session_log::discard_when_done() {
    const std::lock_guard lock(mutex_);
    discard_ = true;
}

void session_log::remove() {
    std::uint64_t held = 0;
    {
        const std::lock_guard lock(mutex_);
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
        sealed_ = false;
        std::error_code ignored;
        std::filesystem::remove(file_, ignored);
        held = end_pos_ - first_pos_;
        first_pos_ = end_pos_;
        begin_ = end_;
        index_.clear();
        if (stopped_.empty()) stopped_ = "removed";
    }
    if (space_) space_->release(held);
}

bool log_space::reserve(session_log& writer, std::uint64_t bytes) {
    (void)writer;                      // may be its own victim: it holds no lock of its own here
    if (bytes > bound_) return false;  // no trimming could make room: take nothing from anyone
    const std::lock_guard lock(mutex_);
    // Ended sessions' logs first (the oldest output, that no one is producing any more), the
    // largest of them first; then running sessions' logs, largest first. One that cannot give
    // anything now (its file could not be opened) is passed over for the next.
    struct candidate {
        bool running;
        std::uint64_t held;
        session_log* log;
    };
    std::vector<candidate> order;
    bool sorted = false;
    std::size_t next = 0;
    while (used_.load() + bytes > bound_) {
        if (!sorted) {
            for (auto* l : logs_) order.push_back({!l->sealed(), l->held_bytes(), l});
            std::sort(order.begin(), order.end(), [](const candidate& a, const candidate& b) {
                return a.running != b.running ? !a.running : a.held > b.held;
            });
            sorted = true;
        }
        if (next >= order.size()) return false;
        if (order[next].log->trim(used_.load() + bytes - bound_) == 0) ++next;
    }
    used_ += bytes;
    return true;
}

void log_space::release(std::uint64_t bytes) noexcept {
    // Never below zero, whatever a caller's arithmetic: one compare-and-swap loop.
    std::uint64_t now = used_.load();
    while (!used_.compare_exchange_weak(now, now - std::min(bytes, now))) {
    }
}

std::uint64_t log_space::used() const noexcept { return used_.load(); }

void log_space::enrol(session_log* log) {
    const std::lock_guard lock(mutex_);
    logs_.push_back(log);
}

void log_space::leave(session_log* log) {
    const std::lock_guard lock(mutex_);
    std::erase(logs_, log);
}

}  // namespace berth::registry
