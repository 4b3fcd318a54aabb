#include "lxd_session.hpp"

#include <berth/sdk/random_hex.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <condition_variable>
#include <csignal>
#include <future>
#include <iterator>
#include <mutex>
#include <vector>

#include "lxd_api.hpp"
#include "lxd_channel.hpp"
#include "lxd_exit.hpp"

namespace berth::plugins::lxd {

namespace asio = boost::asio;
using std::chrono::milliseconds;
using clock = std::chrono::steady_clock;

namespace {

// LXD drops an exec whose sockets are not all connected within 5 s; this bounds our side.
constexpr milliseconds k_connect_bound{10000};
// A write, resize or signal handed to the I/O thread.
constexpr milliseconds k_call_bound{30000};
// How long close() lets a command end on its own after its input closed, before SIGTERM.
constexpr milliseconds k_eof_wait{500};
// After SIGKILL, how long LXD gets to report the end before the sockets are dropped.
constexpr milliseconds k_kill_wait{5000};
// After the control socket closed (the command ended), output sockets that stay quiet this
// long are closed by berth: LXD leaves a terminal's socket open after the command, and a
// background process may hold a command's output pipes open. LXD sends what the command wrote
// before it closes the control socket, so this only has to cover what is in flight.
constexpr milliseconds k_drain_idle{200};
constexpr milliseconds k_drain_poll{20};
// The operation's end, asked once every socket is done.
constexpr milliseconds k_exit_wait{10000};

thread_local const void* t_delivering = nullptr;

}  // namespace

struct exec_state : std::enable_shared_from_this<exec_state> {
    exec_state(lxd_runtime& r, lxd_options o, sdk::session_sink k)
        : rt(r),
          options(std::move(o)),
          api(options.remote, options.project, options.request_timeout),
          sink(k),
          tls(options.remote.https() ? tls_context(options.remote) : nullptr),
          drain(r.io()) {}

    lxd_runtime& rt;
    const lxd_options options;
    const lxd_api api;
    const sdk::session_sink sink;
    const std::shared_ptr<asio::ssl::context> tls;
    std::string instance;
    bool launched = false;
    exec_operation op;

    // The I/O thread's.
    std::unique_ptr<channel> data;  // "0": input, and the output on a terminal
    std::unique_ptr<channel> out;   // "1" and "2" without a terminal
    std::unique_ptr<channel> err;
    std::unique_ptr<channel> control;
    int readers = 0;
    bool control_done = false;
    clock::time_point last_output = clock::now();
    asio::steady_timer drain;

    std::mutex mutex;
    std::condition_variable changed;
    bool abandoned = false;      // open() gave up: whatever connects late is dropped
    bool command_ended = false;  // every socket is done: the end is being read
    bool done = false;           // on_exit delivered, or dropped for a detached handle
    bool detached = false;
    bool delivering = false;  // on_exit is being called
    bool stdin_closed = false;
    std::vector<int> signals_sent;

    bool wait_ended(milliseconds t) {
        std::unique_lock lock(mutex);
        return changed.wait_for(lock, t, [&] { return command_ended || done; });
    }
    bool wait_done(milliseconds t) {
        std::unique_lock lock(mutex);
        return changed.wait_for(lock, t, [&] { return done; });
    }
    [[nodiscard]] milliseconds clean_up_bound() const {
        return k_exit_wait + milliseconds(5000) +
               (launched ? 3 * options.request_timeout : milliseconds(0));
    }

    // --- on the I/O thread ---
    asio::awaitable<void> connect_all();
    asio::awaitable<void> pump(channel* ch, berth_stream stream);
    asio::awaitable<void> watch_control();
    void reader_done();
    void abort_all();
    // --- on a worker ---
    void finish();
};

namespace {

// `task` (a channel's coroutine) with the state it belongs to kept alive until it is done: a
// handle destroyed meanwhile must not free the channel under it.
template <typename T>
asio::awaitable<T> owned(std::shared_ptr<exec_state> self, asio::awaitable<T> task) {
    (void)self;
    co_return co_await std::move(task);
}

// Runs `task` on the I/O thread, owned, without waiting for it.
void spawn_owned(const std::shared_ptr<exec_state>& s, asio::awaitable<void> task);

// Runs `task` on the I/O thread, owned, and waits for it, bounded. Rethrows what it threw.
template <typename T>
T on_io(const std::shared_ptr<exec_state>& s, asio::awaitable<T> task, milliseconds bound,
        const std::string& what) {
    auto promise = std::make_shared<std::promise<T>>();
    auto future = promise->get_future();
    asio::co_spawn(s->rt.io(), owned(s, std::move(task)),
                   [promise](std::exception_ptr e, auto... v) {
                       if (e)
                           promise->set_exception(e);
                       else
                           promise->set_value(v...);
                   });
    if (future.wait_for(bound) != std::future_status::ready)
        throw sdk::error(BERTH_ERR_TIMEOUT,
                         what + ": no answer within " + std::to_string(bound.count()) + " ms");
    return future.get();
}

void spawn_owned(const std::shared_ptr<exec_state>& s, asio::awaitable<void> task) {
    asio::co_spawn(s->rt.io(), owned(s, std::move(task)), [](std::exception_ptr) {});
}

std::span<const std::uint8_t> bytes(const std::string& s) {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace

asio::awaitable<void> exec_state::connect_all() {
    auto self = shared_from_this();
    std::vector<std::pair<std::string, std::unique_ptr<channel>*>> wanted{{"0", &data},
                                                                          {"control", &control}};
    if (!options.tty) {
        wanted.emplace_back("1", &out);
        wanted.emplace_back("2", &err);
    }
    for (auto& [fd, slot] : wanted) {
        if (!op.secrets.contains(fd))
            throw sdk::error(BERTH_ERR_RUNTIME, "the LXD server gave no WebSocket for fd " + fd);
        *slot = co_await open_channel(options.remote, tls.get(), api.websocket_target(op, fd));
    }
    bool late = false;
    {
        std::lock_guard lock(mutex);
        late = abandoned;
    }
    if (late) abort_all();
}

asio::awaitable<void> exec_state::pump(channel* ch, berth_stream stream) {
    auto self = shared_from_this();
    try {
        std::string message;
        while (co_await ch->read(message)) {
            last_output = clock::now();
            if (!message.empty()) sink.output(stream, bytes(message));
        }
    } catch (const std::exception& e) {
        rt.host().log(BERTH_LOG_ERROR, std::string("lxd: reading a session's output: ") + e.what());
        ch->abort();
    }
    reader_done();
}

asio::awaitable<void> exec_state::watch_control() {
    auto self = shared_from_this();
    try {
        std::string message;
        while (co_await control->read(message)) {
        }
        // LXD closes the control socket when the command has ended (or when it gave up on
        // it). Input is over; output still in flight gets k_drain_idle of quiet to arrive,
        // counted from now.
        control_done = true;
        last_output = clock::now();
        if (!options.tty) spawn_owned(self, data->close());
        while (readers > 1 && clock::now() - last_output < k_drain_idle) {
            drain.expires_after(k_drain_poll);
            boost::system::error_code ec;
            co_await drain.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        }
    } catch (const std::exception& e) {
        rt.host().log(BERTH_LOG_ERROR, std::string("lxd: a session's control socket: ") + e.what());
    }
    // The command has ended: no close handshake is owed on what is left.
    if (readers > 1) abort_all();
    reader_done();
}

void exec_state::reader_done() {
    if (--readers > 0) return;
    abort_all();
    {
        std::lock_guard lock(mutex);
        command_ended = true;
    }
    changed.notify_all();
    rt.workers().post([self = shared_from_this()] { self->finish(); });
}

void exec_state::abort_all() {
    for (auto* c : {&data, &out, &err, &control})
        if (*c) (*c)->abort();
}

void exec_state::finish() {
    sdk::exit_status status;
    try {
        const auto end = api.wait(op.id, k_exit_wait);
        std::vector<int> sent;
        {
            std::lock_guard lock(mutex);
            sent = signals_sent;
        }
        if (end.exec_return) {
            status = classify_return(*end.exec_return, sent);
        } else {
            status.failed = true;
            status.reason =
                end.status == "Running"
                    ? "the command ended, but LXD keeps its exec operation running (a process "
                      "it started in the background still holds its terminal or output), so "
                      "its exit status is not known"
                    : "LXD reported no exit status: " +
                          (end.error.empty() ? "operation " + end.status : end.error);
        }
    } catch (const std::exception& e) {
        status.failed = true;
        status.reason = std::string("cannot read the command's exit from LXD: ") + e.what();
    }
    if (launched) {
        std::string problem;
        try {
            problem = api.remove(instance);
        } catch (const std::exception& e) {
            problem = e.what();
        }
        if (!problem.empty()) {
            rt.host().log(BERTH_LOG_WARN, "could not delete instance " + instance + ": " + problem);
            rt.host().add_counter("cleanup_failures_total", 1);
            status.reason += (status.reason.empty() ? "" : "; ") + std::string("instance ") +
                             instance + " may be left behind: " + problem;
        }
    }
    bool deliver = false;
    {
        std::lock_guard lock(mutex);
        deliver = !detached;
        delivering = deliver;  // the destructor waits for it to be over
    }
    if (deliver) {
        t_delivering = this;
        try {
            sink.exit(status);
        } catch (...) {
            // The host's callback must not throw; if it does, the session still ends.
        }
        t_delivering = nullptr;
    }
    {
        std::lock_guard lock(mutex);
        delivering = false;
        done = true;
    }
    changed.notify_all();
}

std::unique_ptr<exec_session> exec_session::open(lxd_runtime& rt, lxd_options options,
                                                 sdk::session_sink sink) {
    auto s = std::make_shared<exec_state>(rt, std::move(options), sink);
    const std::string token = sdk::random_hex(16);
    if (s->options.mode == session_mode::launch) {
        s->instance = "berth-" + token;
        s->api.launch(s->instance, s->options, rt.host().owner(), token);
        s->launched = true;
        rt.host().log(BERTH_LOG_DEBUG,
                      "launched instance " + s->instance + " from image " + s->options.image);
    } else {
        s->instance = s->options.instance;
    }
    try {
        s->op = s->api.exec(s->instance, s->options);
        on_io(s, s->connect_all(), k_connect_bound,
              "connecting to the exec WebSockets on " + s->options.remote.describe());
    } catch (...) {
        {
            std::lock_guard lock(s->mutex);
            s->abandoned = true;
        }
        asio::post(rt.io(), [s] { s->abort_all(); });
        if (s->launched) (void)s->api.remove(s->instance);
        throw;
    }
    asio::post(rt.io(), [s] {
        if (s->options.tty) {
            s->readers = 2;
            asio::co_spawn(s->rt.io(), s->pump(s->data.get(), BERTH_STREAM_PTY), asio::detached);
        } else {
            s->readers = 3;
            asio::co_spawn(s->rt.io(), s->pump(s->out.get(), BERTH_STREAM_STDOUT), asio::detached);
            asio::co_spawn(s->rt.io(), s->pump(s->err.get(), BERTH_STREAM_STDERR), asio::detached);
        }
        asio::co_spawn(s->rt.io(), s->watch_control(), asio::detached);
    });
    return std::unique_ptr<exec_session>(new exec_session(std::move(s)));
}

exec_session::~exec_session() {
    try {
        close(sdk::k_default_grace);
    } catch (const std::exception& e) {
        state_->rt.host().log(BERTH_LOG_WARN, std::string("closing an lxd session: ") + e.what());
    }
    std::unique_lock lock(state_->mutex);
    state_->detached = true;
    // An on_exit already under way finishes before the handle is gone (unless it is the one
    // destroying it). Bounded: the host's callback does not block.
    if (t_delivering != state_.get())
        (void)state_->changed.wait_for(lock, k_kill_wait, [&] { return !state_->delivering; });
}

void exec_session::write(std::span<const std::uint8_t> data) {
    exec_state& s = *state_;
    {
        std::lock_guard lock(s.mutex);
        if (s.command_ended || s.done) throw sdk::error(BERTH_ERR_STATE, "the session has ended");
        if (s.stdin_closed) throw sdk::error(BERTH_ERR_STATE, "the session's input is closed");
    }
    std::string text(reinterpret_cast<const char*>(data.data()), data.size());
    if (!on_io(state_, s.data->write(std::move(text), false), k_call_bound,
               "writing to the session"))
        throw sdk::error(BERTH_ERR_STATE, "the session has ended");
}

void exec_session::close_stdin() { end_input(true); }

void exec_session::end_input(bool wait) {
    exec_state& s = *state_;
    {
        std::lock_guard lock(s.mutex);
        if (s.command_ended || s.done) throw sdk::error(BERTH_ERR_STATE, "the session has ended");
        if (s.stdin_closed) return;
        s.stdin_closed = true;
    }
    // On a terminal, end of input is the terminal's EOF character, read by the line discipline
    // in the instance; on pipes, closing the input socket closes the command's stdin (never
    // waited for: LXD answers the close frame only once the command has ended).
    if (!s.options.tty)
        spawn_owned(state_, s.data->close());
    else if (wait)
        (void)on_io(state_, s.data->write("\x04", false), k_call_bound,
                    "closing the session's input");
    else
        spawn_owned(state_, [](channel* c) -> asio::awaitable<void> {
            (void)co_await c->write("\x04", false);
        }(s.data.get()));
}

void exec_session::resize(std::uint16_t rows, std::uint16_t cols) {
    exec_state& s = *state_;
    if (!s.options.tty)
        throw sdk::error(BERTH_ERR_STATE, "resize needs a terminal: open the session with tty");
    {
        std::lock_guard lock(s.mutex);
        if (s.command_ended || s.done) throw sdk::error(BERTH_ERR_STATE, "the session has ended");
    }
    const nlohmann::json frame = {
        {"command", "window-resize"},
        {"args", {{"width", std::to_string(cols)}, {"height", std::to_string(rows)}}}};
    if (!on_io(state_, s.control->write(frame.dump(), true), k_call_bound, "resizing the terminal"))
        throw sdk::error(BERTH_ERR_STATE, "the session has ended");
}

void exec_session::signal(int signo) { send_signal(signo, true); }

void exec_session::send_signal(int signo, bool wait) {
    exec_state& s = *state_;
    if (signo < 1 || signo > 64)
        throw sdk::error(BERTH_ERR_INVALID_ARGUMENT,
                         "signal " + std::to_string(signo) + " is not a signal number (1 to 64)");
    {
        std::lock_guard lock(s.mutex);
        if (s.command_ended || s.done) return;
        // Before it goes out: the exit may be read before this call returns.
        s.signals_sent.push_back(signo);
    }
    const std::string frame = nlohmann::json{{"command", "signal"}, {"signal", signo}}.dump();
    if (!wait) {
        spawn_owned(state_, [](channel* c, std::string f) -> asio::awaitable<void> {
            (void)co_await c->write(std::move(f), true);
        }(s.control.get(), frame));
        return;
    }
    bool sent = false;
    try {
        sent = on_io(state_, s.control->write(frame, true), k_call_bound,
                     "sending " + signal_name(signo));
    } catch (...) {
        forget_signal(signo);
        throw;
    }
    if (!sent) forget_signal(signo);  // the command has ended: nothing to signal
}

void exec_session::forget_signal(int signo) {
    std::lock_guard lock(state_->mutex);
    auto& sent = state_->signals_sent;
    if (const auto it = std::find(sent.rbegin(), sent.rend(), signo); it != sent.rend())
        sent.erase(std::next(it).base());
}

void exec_session::close(milliseconds grace) {
    exec_state& s = *state_;
    if (t_delivering == &s) return;  // on_exit is closing its own session: it has ended
    if (s.wait_done(milliseconds(0))) return;
    const auto grace_end = clock::now() + grace;
    const auto left = [&] {
        return std::max(milliseconds(0),
                        std::chrono::duration_cast<milliseconds>(grace_end - clock::now()));
    };
    const auto attempt = [](auto&& f) {
        try {
            f();
        } catch (const std::exception&) {
            // The command may have ended meanwhile: the waits below decide.
        }
    };
    if (!s.wait_ended(milliseconds(0)) && grace.count() > 0) {
        attempt([&] { end_input(false); });
        (void)s.wait_ended(std::min(grace / 2, k_eof_wait));
    }
    if (!s.wait_ended(milliseconds(0)) && grace.count() > 0) {
        // Not waited for: a stalled control socket must not stretch the grace period.
        attempt([&] { send_signal(SIGTERM, false); });
        // An interactive shell ignores SIGTERM but leaves on a hang-up.
        if (s.options.tty) attempt([&] { send_signal(SIGHUP, false); });
        (void)s.wait_ended(left());
    }
    if (!s.wait_ended(milliseconds(0))) {
        attempt([&] { send_signal(SIGKILL, false); });
        if (!s.wait_ended(k_kill_wait)) {
            // Dropping the control socket makes LXD kill the command itself.
            asio::post(s.rt.io(), [st = state_] { st->abort_all(); });
        }
    }
    if (!s.wait_done(s.clean_up_bound()))
        throw sdk::error(BERTH_ERR_TIMEOUT, "the session did not finish within " +
                                                std::to_string(s.clean_up_bound().count()) +
                                                " ms of being closed");
}

const std::string& exec_session::target() const { return state_->instance; }

bool exec_session::tty() const { return state_->options.tty; }

}  // namespace berth::plugins::lxd
