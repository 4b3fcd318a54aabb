#include <signal.h>
#include <sys/ioctl.h>
#include <berth/sdk/event_loop.hpp>
#include <berth/sdk/plugin.hpp>
#include <berth/sdk/process_session.hpp>

#include <sys/wait.h>
#include <termios.h>

#include <algorithm>
#include <array>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>

#include <berth/sdk/pidfd.hpp>
#include "event_loop_impl.hpp"
#include "spawn.hpp"

namespace berth::sdk {
namespace asio = boost::asio;
using descriptor = asio::posix::stream_descriptor;

namespace {
constexpr std::chrono::milliseconds k_kill_wait{5000};
constexpr std::size_t k_read_buffer = 64 * 1024;  // stderr, a terminal: the kernel's default

// A read buffer as big as what one read can return. Uninitialised: its pages are touched only
// once a read fills them, so an idle session costs no resident memory for it.
struct read_buffer {
    explicit read_buffer(std::size_t n) : data(new std::uint8_t[n]), size(n) {}
    std::unique_ptr<std::uint8_t[]> data;
    std::size_t size;
};
}  // namespace

// Shared between the public handle and the loop's pending operations, so a handler that
// completes after the handle is gone still finds valid memory.
struct process_session::state : std::enable_shared_from_this<state> {
    state(event_loop& l, process_spec s, process_callbacks c)
        : loop(l),
          io(l.get().io),
          spec(std::move(s)),
          callbacks(std::move(c)),
          drain_timer(io),
          winch_timer(io) {}

    event_loop& loop;
    asio::io_context& io;
    const process_spec spec;
    process_callbacks callbacks;
    pid_t pid = -1;

    // Loop-thread only.
    std::optional<descriptor> in, out, err, pty, pidfd;
    int streams_open = 0;
    bool exited = false;
    bool delivered_on_loop = false;
    bool writing = false;
    exit_status result;
    asio::steady_timer drain_timer;
    asio::steady_timer winch_timer;  // spec.winch_repeats after the last resize
    std::size_t winch_step = 0;
    std::chrono::steady_clock::time_point resized_at;
    output_pipe_grant out_pipe;  // stdout's pipe size, and its share of the budget
    std::optional<read_buffer> out_buf, err_buf;

    // Shared with caller threads, under mutex.
    mutable std::mutex mutex;
    mutable std::condition_variable changed;
    std::deque<std::string> queue;
    std::size_t queued_bytes = 0;
    bool stdin_close_requested = false;
    bool stdin_gone = false;  // closed, broken or the session ended
    bool reaped = false;      // exited: a zombie until deliver() reaps it (see watch_exit)
    bool fds_closed = false;
    bool delivered = false;
    std::uint8_t last_written = '\n';
    int pidfd_raw = -1;
    int pty_raw = -1;

    void start(spawned_child& child) {
        pid = child.pid;
        pidfd_raw = child.pidfd.get();
        pidfd.emplace(io, child.pidfd.release());
        if (child.pty) {
            pty_raw = child.pty.get();
            pty.emplace(io, child.pty.release());
            out_buf.emplace(k_read_buffer);
            streams_open = 1;
        } else {
            in.emplace(io, child.stdin_w.release());
            out.emplace(io, child.stdout_r.release());
            err.emplace(io, child.stderr_r.release());
            out_pipe = std::move(child.stdout_pipe);
            out_buf.emplace(std::max(out_pipe.size(), k_read_buffer));
            err_buf.emplace(k_read_buffer);
            streams_open = 2;
        }
        asio::post(io, [self = shared_from_this()] {
            if (self->pty) {
                self->read(*self->pty, *self->out_buf, BERTH_STREAM_PTY);
            } else {
                self->read(*self->out, *self->out_buf, BERTH_STREAM_STDOUT);
                self->read(*self->err, *self->err_buf, BERTH_STREAM_STDERR);
            }
            self->watch_exit();
            self->pump();
        });
    }

    void read(descriptor& d, read_buffer& buf, berth_stream stream) {
        d.async_read_some(asio::buffer(buf.data.get(), buf.size),
                          [self = shared_from_this(), &d, &buf, stream](
                              const boost::system::error_code& ec, std::size_t n) {
                              if (self->delivered_on_loop) return;
                              if (n > 0 && self->callbacks.on_output) {
                                  try {
                                      self->callbacks.on_output(stream, {buf.data.get(), n});
                                  } catch (...) {
                                      // A sink must not throw; losing its exception beats killing
                                      // the loop.
                                  }
                              }
                              // EIO is how a terminal says its last slave handle closed: end of
                              // output.
                              if (ec) {
                                  self->stream_done();
                                  return;
                              }
                              self->read(d, buf, stream);
                          });
    }

    void stream_done() {
        --streams_open;
        if (streams_open <= 0 && exited) deliver();
    }

    void watch_exit() {
        pidfd->async_wait(descriptor::wait_read, [self = shared_from_this()](
                                                     const boost::system::error_code& ec) {
            if (self->delivered_on_loop || ec == asio::error::operation_aborted) return;
            // WNOWAIT: read the status but leave the child a zombie until deliver() has
            // killed its process group. A reaped pid (and so its group id) is free for the
            // next process the machine starts; killing -pid after that hits a stranger's
            // process group (seen: a shell of another user of the machine, on a busy host
            // where pids wrap at 32768).
            siginfo_t info{};
            if (::waitid(P_PID, static_cast<id_t>(self->pid), &info,
                         WEXITED | WNOHANG | WNOWAIT) == 0 &&
                info.si_pid == 0) {  // spurious wake-up
                self->watch_exit();
                return;
            }
            {
                std::lock_guard lock(self->mutex);
                self->reaped = true;
            }
            if (info.si_pid == self->pid) {
                if (info.si_code == CLD_KILLED || info.si_code == CLD_DUMPED) {
                    self->result.term_signal = info.si_status;
                } else {
                    self->result.exit_code = info.si_status;
                }
            }
            self->exited = true;
            if (self->streams_open <= 0) {
                self->deliver();
                return;
            }
            self->drain_timer.expires_after(self->spec.drain_timeout);
            self->drain_timer.async_wait([self](const boost::system::error_code& tec) {
                if (!tec) self->deliver();
            });
        });
    }

    // Writes queued stdin bytes one chunk at a time; then the EOF, if asked for.
    void pump() {
        if (writing || delivered_on_loop) return;
        std::unique_lock lock(mutex);
        descriptor* target = pty ? &*pty : (in ? &*in : nullptr);
        if (queue.empty()) {
            if (stdin_close_requested && !stdin_gone) {
                if (pty) {
                    // EOF on a terminal is the VEOF character at the start of a line.
                    termios t{};
                    const std::uint8_t eof =
                        ::tcgetattr(pty_raw, &t) == 0 ? t.c_cc[VEOF] : std::uint8_t{4};
                    queue.emplace_back(last_written == '\n' ? 1 : 2, static_cast<char>(eof));
                    queued_bytes += queue.back().size();
                    stdin_gone = true;  // no more writes accepted; the queue still drains
                } else {
                    stdin_gone = true;
                    lock.unlock();
                    boost::system::error_code ignored;
                    in->close(ignored);
                    changed.notify_all();
                    return;
                }
            } else {
                return;
            }
        }
        if (target == nullptr) return;
        writing = true;
        const std::string& chunk = queue.front();
        lock.unlock();
        asio::async_write(
            *target, asio::buffer(chunk),
            [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
                {
                    std::lock_guard l(self->mutex);
                    self->writing = false;
                    if (!self->queue.empty()) {
                        const std::string& done = self->queue.front();
                        if (!done.empty())
                            self->last_written = static_cast<std::uint8_t>(done.back());
                        self->queued_bytes -= done.size();
                        self->queue.pop_front();
                    }
                    if (ec) {  // the reader is gone (EPIPE): drop the rest
                        self->stdin_gone = true;
                        self->queue.clear();
                        self->queued_bytes = 0;
                    }
                }
                self->changed.notify_all();
                if (!ec) self->pump();
            });
    }

    // The next of spec.winch_repeats after the resize at resized_at; a new resize restarts.
    void arm_winch_repeat() {
        if (delivered_on_loop || winch_step >= spec.winch_repeats.size()) return;
        winch_timer.expires_at(resized_at + spec.winch_repeats[winch_step]);
        winch_timer.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
            if (ec || self->delivered_on_loop) return;
            {
                std::lock_guard lock(self->mutex);
                if (!self->reaped && !self->fds_closed)
                    (void)pidfd_signal(self->pidfd_raw, SIGWINCH);
            }
            ++self->winch_step;
            self->arm_winch_repeat();
        });
    }

    void deliver() {
        if (delivered_on_loop) return;
        delivered_on_loop = true;
        boost::system::error_code ignored;
        drain_timer.cancel();
        winch_timer.cancel();
        {
            std::lock_guard lock(mutex);
            // The session owns its process group: whatever the command left running in it
            // goes with it. The leader is still a zombie here (watch_exit peeked with
            // WNOWAIT), so the group id is still ours; then it is reaped.
            ::kill(-pid, SIGKILL);
            int status = 0;
            (void)::waitpid(pid, &status, WNOHANG);
            fds_closed = true;
            stdin_gone = true;
            queue.clear();
            queued_bytes = 0;
            for (auto* d : {&in, &out, &err, &pty, &pidfd})
                if (*d) (*d)->close(ignored);
        }
        if (callbacks.on_exit) {
            try {
                callbacks.on_exit(result);
            } catch (...) {
            }
        }
        {
            std::lock_guard lock(mutex);
            delivered = true;
        }
        changed.notify_all();
    }

    bool wait_delivered(std::chrono::milliseconds timeout) const {
        std::unique_lock lock(mutex);
        return changed.wait_for(lock, timeout, [this] { return delivered; });
    }
};

std::unique_ptr<process_session> process_session::start(event_loop& loop, process_spec spec,
                                                        process_callbacks callbacks) {
    spawned_child child = spawn_child(spec);
    auto s = std::make_shared<state>(loop, std::move(spec), std::move(callbacks));
    s->start(child);
    return std::unique_ptr<process_session>(new process_session(std::move(s)));
}

process_session::process_session(std::shared_ptr<state> s) : state_(std::move(s)) {}

process_session::~process_session() {
    if (!state_->loop.on_loop_thread()) {
        if (!finished()) (void)terminate(k_default_grace);
        return;
    }
    // Destroyed from one of our own callbacks: we cannot block the loop; kill outright and
    // let the pending handlers finish on their own.
    signal_group(SIGKILL);
}

void process_session::write(std::span<const std::uint8_t> data) {
    if (data.empty()) return;
    auto& s = *state_;
    std::unique_lock lock(s.mutex);
    const auto deadline = std::chrono::steady_clock::now() + s.spec.write_timeout;
    const bool room = s.changed.wait_until(lock, deadline, [&] {
        return s.stdin_gone || s.stdin_close_requested ||
               s.queued_bytes < s.spec.stdin_buffer_limit;
    });
    if (s.stdin_gone || s.stdin_close_requested)
        throw error(BERTH_ERR_STATE, "the session's input is closed");
    if (!room)
        throw error(BERTH_ERR_TIMEOUT, "the session did not read its input within " +
                                           std::to_string(s.spec.write_timeout.count()) + " ms");
    s.queue.emplace_back(reinterpret_cast<const char*>(data.data()), data.size());
    s.queued_bytes += data.size();
    lock.unlock();
    asio::post(s.io, [st = state_] { st->pump(); });
}

void process_session::close_stdin() {
    {
        std::lock_guard lock(state_->mutex);
        if (state_->stdin_close_requested) return;
        state_->stdin_close_requested = true;
    }
    asio::post(state_->io, [st = state_] { st->pump(); });
}

void process_session::resize(std::uint16_t rows, std::uint16_t cols) {
    std::lock_guard lock(state_->mutex);
    if (state_->pty_raw < 0)
        throw error(BERTH_ERR_STATE, "the session has no terminal to resize (open it with tty)");
    if (state_->fds_closed) return;
    struct winsize ws {};
    ws.ws_row = rows;
    ws.ws_col = cols;
    if (::ioctl(state_->pty_raw, TIOCSWINSZ, &ws) != 0)
        throw error(BERTH_ERR_RUNTIME, "resize failed: " + std::string(std::strerror(errno)));
    if (state_->spec.winch_repeats.empty()) return;
    asio::post(state_->io, [st = state_, at = std::chrono::steady_clock::now()] {
        st->resized_at = at;
        st->winch_step = 0;
        st->arm_winch_repeat();
    });
}

void process_session::signal(int signo) {
    std::lock_guard lock(state_->mutex);
    if (state_->reaped || state_->fds_closed) return;
    if (pidfd_signal(state_->pidfd_raw, signo) != 0 && errno != ESRCH)
        throw error(BERTH_ERR_INVALID_ARGUMENT,
                    "cannot send signal " + std::to_string(signo) + ": " + std::strerror(errno));
}

void process_session::signal_group(int signo) {
    std::lock_guard lock(state_->mutex);
    // fds_closed: deliver() reaped the leader, so -pid may name someone else's group now.
    if (state_->delivered || state_->fds_closed) return;
    ::kill(-state_->pid, signo);
}

bool process_session::terminate(std::chrono::milliseconds grace) {
    if (state_->loop.on_loop_thread())
        throw error(BERTH_ERR_INTERNAL, "terminate called from the session's own event loop");
    if (state_->wait_delivered(std::chrono::milliseconds(0))) return true;
    signal_group(SIGTERM);
    if (state_->pty_raw >= 0) signal_group(SIGHUP);
    signal(SIGTERM);
    if (grace.count() > 0 && state_->wait_delivered(grace)) return true;
    signal_group(SIGKILL);
    signal(SIGKILL);
    return state_->wait_delivered(k_kill_wait + state_->spec.drain_timeout);
}

bool process_session::wait(std::chrono::milliseconds timeout) const {
    return state_->wait_delivered(timeout);
}

bool process_session::finished() const {
    return state_->wait_delivered(std::chrono::milliseconds(0));
}

std::int64_t process_session::pid() const noexcept { return state_->pid; }

bool process_session::tty() const noexcept { return state_->pty_raw >= 0; }

}  // namespace berth::sdk
