#include <berth/host/plugin.hpp>
#include <berth/host/session.hpp>

#include <spdlog/spdlog.h>

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstring>
#include <mutex>

namespace berth::host {

std::string describe_status(berth_status s);  // plugin.cpp

namespace {
constexpr std::chrono::milliseconds k_exit_delivery_wait{100};

// How deep this thread is in a session's sink callbacks: destroying a plugin's handle from
// there would wait for the very thread it runs on.
thread_local int callback_depth = 0;

struct in_callback {
    in_callback() noexcept { ++callback_depth; }
    ~in_callback() { --callback_depth; }
    in_callback(const in_callback&) = delete;
    in_callback& operator=(const in_callback&) = delete;
};
}  // namespace

// True on a thread that is inside a session's on_output or on_exit (host.cpp asks).
bool in_session_callback() noexcept { return callback_depth > 0; }

namespace {

// The one place the ABI's exit report becomes the host's: a code, or a signal, or (failed, or
// neither given) a failure with its reason.
registry::exit_status exit_status_of(const berth_exit_status* status) {
    berth_exit_status st{};
    if (status != nullptr)
        std::memcpy(&st, status, std::min<std::size_t>(status->struct_size, sizeof st));
    registry::exit_status e;
    if (st.failed == 0) {
        if (st.term_signal > 0)
            e.term_signal = st.term_signal;
        else if (st.exit_code >= 0)
            e.exit_code = st.exit_code;
    }
    e.reason = st.reason == nullptr ? "" : st.reason;
    if (failed(e) && e.reason.empty()) e.reason = "the plugin reported no exit status";
    return e;
}

}  // namespace

// The plugin's callbacks land here. Lives as long as the session object, which releases the
// plugin's handle (after which no callback comes) before this goes.
struct session::sink_context {
    std::shared_ptr<registry::session_entry> entry;
    output_observer observer;
    exit_observer exit_obs;
    std::atomic<bool> exit_told{false};
    // Set once on_exit has recorded the end: no callback comes after it, and the handle may
    // be destroyed without ending anything.
    std::mutex exit_mutex;
    std::condition_variable exit_changed;
    bool exited = false;

    // True once on_exit has recorded the end, waiting up to `timeout` for it.
    bool wait_exited(std::chrono::milliseconds timeout) {
        std::unique_lock lock(exit_mutex);
        return exit_changed.wait_for(lock, timeout, [this] { return exited; });
    }

    // The first caller tells the exit observer; later ones (an exit reported after a close
    // that failed) do not.
    void tell_exit() {
        if (exit_told.exchange(true)) return;
        if (exit_obs) exit_obs();
    }

    static void on_output(void* ctx, berth_stream stream, const std::uint8_t* data,
                          std::uint32_t length) {
        const in_callback guard;
        auto* self = static_cast<sink_context*>(ctx);
        const std::string_view bytes(reinterpret_cast<const char*>(data), length);
        const auto s = stream == BERTH_STREAM_STDERR ? registry::stream::err
                       : stream == BERTH_STREAM_PTY  ? registry::stream::pty
                                                     : registry::stream::out;
        self->entry->append_output(s, bytes);
        if (self->observer) self->observer(s, bytes);
    }

    static void on_exit(void* ctx, const berth_exit_status* status) {
        const in_callback guard;
        auto* self = static_cast<sink_context*>(ctx);
        self->entry->mark_ended(exit_status_of(status));
        // Before `exited`: release() waits for that, and then lets the observer go.
        self->tell_exit();
        {
            const std::lock_guard lock(self->exit_mutex);
            self->exited = true;
        }
        self->exit_changed.notify_all();
    }
};

std::shared_ptr<session> session::create(std::shared_ptr<host::plugin> plugin,
                                         std::shared_ptr<registry::session_entry> entry,
                                         output_observer observer) {
    auto s = std::shared_ptr<session>(new session());
    s->plugin_ = std::move(plugin);
    s->entry_ = std::move(entry);
    s->sink_ = std::make_unique<sink_context>();
    s->sink_->entry = s->entry_;
    s->sink_->observer = std::move(observer);
    return s;
}

void session::observe_exit(exit_observer observer) { sink_->exit_obs = std::move(observer); }

result<void> session::open(const std::string& options_json) {
    berth_session_sink sink{};
    sink.struct_size = sizeof sink;
    sink.ctx = sink_.get();
    sink.on_output = &sink_context::on_output;
    sink.on_exit = &sink_context::on_exit;
    const auto& api = plugin_->api();
    berth_session* handle = nullptr;
    plugin_->note_session_opening();
    // Without the handle lock: opening may take the runtime seconds, and calls on this
    // session meanwhile answer at once that it is still opening.
    const berth_status status =
        api.session_open(plugin_->instance(), options_json.c_str(), &sink, &handle);
    if (status != BERTH_OK || handle == nullptr) {
        auto failure = check(status == BERTH_OK ? BERTH_ERR_INTERNAL : status, "open");
        entry_->mark_failed(failure.err().message);
        sink_->tell_exit();
        return failure;
    }
    {
        const std::unique_lock lock(handle_mutex_);
        handle_ = handle;
    }
    auto [target, tty] = describe(handle);
    entry_->mark_running(api.session_pid != nullptr ? api.session_pid(handle) : -1,
                         std::move(target), tty);
    return {};
}

std::pair<std::string, bool> session::describe(berth_session* handle) const {
    const auto& api = plugin_->api();
    // ABI 1.2. The host reads the table at the plugin's struct_size (OBS's check): an older
    // plugin's table ends before the slot, and its sessions have no target and no terminal
    // the host knows of.
    if (offsetof(berth_plugin_api, session_info) + sizeof api.session_info > api.struct_size ||
        api.session_info == nullptr)
        return {};
    berth_session_info info{};
    info.struct_size = sizeof info;
    if (const auto status = api.session_info(handle, &info); status != BERTH_OK) {
        spdlog::warn("plugin {}: session_info failed for session {} ({}): {}", plugin_->name(),
                     id(), describe_status(status), plugin_->last_error());
        return {};
    }
    // Fields past the struct_size the plugin wrote back were not written: they stay zero.
    return {info.target == nullptr ? std::string() : std::string(info.target), info.tty != 0};
}

session::~session() {
    if (handle_ != nullptr) plugin_->api().session_destroy(handle_);
}

result<void> session::check(int status, const char* what) {
    if (status == BERTH_OK) return {};
    // The plugin's own status goes on as the error's code. One outside the ABI (no plugin
    // built against this header returns it) is the plugin's bug.
    const auto code = status > BERTH_OK && status <= BERTH_ERR_COMMAND_NOT_EXECUTABLE
                          ? static_cast<berth_status>(status)
                          : BERTH_ERR_INTERNAL;
    std::string message = plugin_->last_error();
    if (message.empty())
        message = std::string(what) + " failed (" +
                  describe_status(static_cast<berth_status>(status)) + ")";
    return error{code, message};
}

error session::no_handle_error() const {
    const bool opening = entry_->state() == registry::session_state::starting;
    return error{BERTH_ERR_STATE,
                 "session " + id() + (opening ? " is still opening" : " has ended")};
}

bool session::released() const {
    const std::shared_lock lock(handle_mutex_);
    return handle_ == nullptr;
}

bool session::release() {
    if (in_session_callback()) return false;
    // Not blocking: a call in progress (a close waiting out its grace period) keeps the
    // handle until a later try.
    const std::unique_lock lock(handle_mutex_, std::try_to_lock);
    if (!lock.owns_lock() || handle_ == nullptr) return false;
    // The record turns final inside on_exit, a moment before the callback is done; a session
    // closed by the host whose plugin never reported the exit (its close failed) is not
    // waited for longer than that moment.
    if (!sink_->wait_exited(k_exit_delivery_wait)) return false;
    plugin_->api().session_destroy(handle_);
    handle_ = nullptr;
    // No callback comes after session_destroy: what the observer holds can go too.
    sink_->observer = nullptr;
    sink_->exit_obs = nullptr;
    return true;
}

result<void> session::write(std::span<const std::uint8_t> data) {
    const std::shared_lock lock(handle_mutex_);
    if (handle_ == nullptr) return no_handle_error();
    const auto r = check(
        plugin_->api().session_write(handle_, data.data(), static_cast<std::uint32_t>(data.size())),
        "write");
    if (r) entry_->count_input(data.size());
    return r;
}

result<void> session::write(std::string_view text) {
    return write({reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
}

result<void> session::close_input() {
    const std::shared_lock lock(handle_mutex_);
    if (handle_ == nullptr) return no_handle_error();
    if (plugin_->api().session_close_stdin == nullptr)
        return error{BERTH_ERR_UNSUPPORTED,
                     "runtime " + plugin_->runtime() + " cannot close stdin"};
    return check(plugin_->api().session_close_stdin(handle_), "close stdin");
}

result<void> session::resize(std::uint16_t rows, std::uint16_t cols) {
    const std::shared_lock lock(handle_mutex_);
    if (handle_ == nullptr) return no_handle_error();
    if (plugin_->api().session_resize == nullptr)
        return error{BERTH_ERR_UNSUPPORTED, "runtime " + plugin_->runtime() + " cannot resize"};
    return check(plugin_->api().session_resize(handle_, rows, cols), "resize");
}

result<void> session::signal(int signo) {
    const std::shared_lock lock(handle_mutex_);
    if (handle_ == nullptr) return no_handle_error();
    if (plugin_->api().session_signal == nullptr)
        return error{BERTH_ERR_UNSUPPORTED,
                     "runtime " + plugin_->runtime() + " cannot send signals"};
    return check(plugin_->api().session_signal(handle_, signo), "signal");
}

result<void> session::close(std::chrono::milliseconds grace, std::string_view reason) {
    const std::shared_lock lock(handle_mutex_);
    // Released: it ended and its plugin objects are gone; the record says how it ended.
    if (handle_ == nullptr) {
        if (entry_->state() == registry::session_state::starting) return no_handle_error();
        return {};
    }
    // Closed first: the exit the plugin reports while closing is recorded under it.
    entry_->mark_closed(reason);
    auto closed = check(
        plugin_->api().session_close(handle_, static_cast<std::uint32_t>(grace.count())), "close");
    // The record is final (closed) and no exit report is coming from a close that failed.
    if (!closed) sink_->tell_exit();
    return closed;
}

}  // namespace berth::host
