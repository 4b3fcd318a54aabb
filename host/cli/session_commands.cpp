#include "session_commands.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <thread>

#include <berth/registry/output_buffer.hpp>

#include "base64.hpp"
#include "daemon_client.hpp"
#include "session_json.hpp"
#include "stream_frame.hpp"
#include "terminal.hpp"

namespace berth::cli {
namespace {
using json = nlohmann::json;
using namespace std::chrono_literals;

constexpr int k_exit_error = 1;
constexpr int k_exit_timeout = 1;
constexpr int k_exit_ended = 3;

// Connects or prints why not; nullopt means "exit with the returned status".
std::optional<daemon_client> connect_or_report(const std::string& socket) {
    auto c = daemon_client::connect(daemon_client::socket_path(socket));
    if (!c) {
        std::cerr << "berth: " << c.err().message << "\n";
        return std::nullopt;
    }
    return std::move(c.value());
}

int report(const host::error& e) {
    std::cerr << "berth: " << e.message << "\n";
    return e.code == BERTH_ERR_INVALID_ARGUMENT ? k_exit_usage : k_exit_error;
}

std::string pad(const std::string& s, std::size_t n) {
    return s.size() >= n ? s + " " : s + std::string(n - s.size(), ' ');
}

// The status berth exits with for a session record or read result.
int status_of(const json& record) {
    return registry::shell_status(wire::exit_status_from_json(record))
        .value_or(k_exit_runtime_failure);
}

}  // namespace

std::optional<std::string> key_bytes(const std::string& name) {
    static const std::pair<const char*, const char*> k_keys[] = {
        {"enter", "\r"},         {"tab", "\t"},           {"esc", "\x1b"},
        {"escape", "\x1b"},      {"backspace", "\x7f"},   {"space", " "},
        {"up", "\x1b[A"},        {"down", "\x1b[B"},      {"right", "\x1b[C"},
        {"left", "\x1b[D"},      {"home", "\x1b[H"},      {"end", "\x1b[F"},
        {"insert", "\x1b[2~"},   {"delete", "\x1b[3~"},   {"pageup", "\x1b[5~"},
        {"pagedown", "\x1b[6~"}, {"shift-tab", "\x1b[Z"}, {"f1", "\x1bOP"},
        {"f2", "\x1bOQ"},        {"f3", "\x1bOR"},        {"f4", "\x1bOS"},
        {"f5", "\x1b[15~"},      {"f6", "\x1b[17~"},      {"f7", "\x1b[18~"},
        {"f8", "\x1b[19~"},      {"f9", "\x1b[20~"},      {"f10", "\x1b[21~"},
        {"f11", "\x1b[23~"},     {"f12", "\x1b[24~"}};
    for (const auto& [k, v] : k_keys)
        if (name == k) return std::string(v);
    // ctrl-a .. ctrl-z, ctrl-[ ctrl-\ ctrl-] ctrl-^ ctrl-_
    if (name.size() == 6 && name.rfind("ctrl-", 0) == 0) {
        const char c = name[5];
        if (c >= 'a' && c <= 'z') return std::string(1, static_cast<char>(c - 'a' + 1));
        if (c >= '[' && c <= '_') return std::string(1, static_cast<char>(c - '[' + 27));
    }
    // alt-KEY: ESC, then the key (what terminals send with meta-sends-escape).
    if (name.size() > 4 && name.rfind("alt-", 0) == 0) {
        auto inner = key_bytes(name.substr(4));
        if (inner) return "\x1b" + *inner;
    }
    // One printable ASCII character stands for itself ("y", "q", ":").
    if (name.size() == 1 && name[0] > ' ' && name[0] < 0x7f) return name;
    return std::nullopt;
}

int session_open(const std::string& socket, const run_request& request) {
    auto c = connect_or_report(socket);
    if (!c) return k_exit_error;
    auto plugins = c->call("plugin.list", json::object());
    if (!plugins) return report(plugins.err());
    std::string schema;
    for (const auto& p : plugins.value())
        if (p.value("runtime", "") == request.runtime && p.value("status", "") == "loaded" &&
            p.contains("options_schema"))
            schema = p["options_schema"].dump();
    if (schema.empty()) {
        std::cerr << "berth: berthd has no runtime '" << request.runtime
                  << "' (see `berth plugin ls` on the daemon's host)\n";
        return k_exit_usage;
    }
    auto options = build_options_json(request, schema);
    if (!options) return report(options.err());
    auto opened =
        c->call("session.open",
                {{"runtime", request.runtime}, {"options", json::parse(options.value())}}, 120s);
    if (!opened) return report(opened.err());
    std::cout << opened.value().value("id", "") << "\n";
    return 0;
}

int session_ls(const std::string& socket, output_format format) {
    auto c = connect_or_report(socket);
    if (!c) return k_exit_error;
    auto list = c->call("session.list", json::object());
    if (!list) return report(list.err());
    if (format == output_format::json) {
        std::cout << list.value().dump(2) << "\n";
        return 0;
    }
    std::cout << pad("ID", 16) << pad("RUNTIME", 12) << pad("STATE", 10) << pad("EXIT", 6)
              << pad("TARGET", 28) << "COMMAND\n";
    for (const auto& r : list.value()) {
        const auto how = wire::exit_status_from_json(r);
        const std::string exit = how.exit_code         ? std::to_string(*how.exit_code)
                                 : how.term_signal > 0 ? "sig" + std::to_string(how.term_signal)
                                                       : "-";
        std::string cmd;
        for (const auto& a : r.value("argv", json::array()))
            cmd += (cmd.empty() ? "" : " ") + a.get<std::string>();
        std::cout << pad(r.value("id", ""), 16) << pad(r.value("runtime", ""), 12)
                  << pad(r.value("state", ""), 10) << pad(exit, 6)
                  << pad(r.value("target", "").empty() ? "-" : r.value("target", ""), 28) << cmd
                  << "\n";
    }
    return 0;
}

int session_show(const std::string& socket, const std::string& id) {
    auto c = connect_or_report(socket);
    if (!c) return k_exit_error;
    auto r = c->call("session.get", {{"id", id}});
    if (!r) return report(r.err());
    std::cout << r.value().dump(2) << "\n";
    return 0;
}

int session_send(const std::string& socket, const send_request& request) {
    std::string bytes;
    if (request.file) {
        std::ifstream in(*request.file, std::ios::binary);
        if (!in) {
            std::cerr << "berth: --file: cannot read " << *request.file << "\n";
            return k_exit_usage;
        }
        std::stringstream all;
        all << in.rdbuf();
        bytes += all.str();
    }
    if (request.text) bytes += *request.text + (request.no_newline ? "" : "\n");
    for (const auto& k : request.keys) {
        auto b = key_bytes(k);
        if (!b) {
            std::cerr << "berth: --key '" << k
                      << "': unknown key (use ctrl-a..ctrl-z, alt-KEY, enter, tab, shift-tab, "
                         "esc, backspace, up, down, left, right, home, end, insert, delete, "
                         "pageup, pagedown, f1..f12, or one character)\n";
            return k_exit_usage;
        }
        bytes += *b;
    }
    if (!request.text && !request.file && request.keys.empty()) {
        std::cerr << "berth: nothing to send: give TEXT, --file or --key\n";
        return k_exit_usage;
    }
    auto c = connect_or_report(socket);
    if (!c) return k_exit_error;
    auto r =
        c->call("session.write",
                {{"id", request.id}, {"data", wire::base64_encode(bytes)}, {"encoding", "base64"}});
    return r ? 0 : report(r.err());
}

namespace {

// How one session.stream connection of `session read` ended.
struct read_pass {
    std::optional<int> exit;          // done: exit with this
    std::optional<host::error> lost;  // the connection went without END: reopen from cursor
};

// Serves one stream, counting into `cursor` every byte it accounts for (written out, or
// reported dropped). `until`: without --follow, where the first request's output ended.
read_pass read_stream(cli::stream_client& stream, const std::string& id, std::uint64_t& cursor,
                      bool follow, std::optional<std::uint64_t> until) {
    while (true) {
        if (until && cursor >= *until) return {0, std::nullopt};
        // Following, silence is the session being quiet: wait on. Otherwise berthd sends what
        // exists at once, and a minute of silence means it is not answering.
        auto f = stream.next(follow ? 1000ms : 60000ms);
        if (!f) {
            if (follow && f.err().code == BERTH_ERR_TIMEOUT) continue;
            if (f.err().code == BERTH_ERR_UNAVAILABLE) return {std::nullopt, f.err()};
            std::cerr << "berth: session " << id << ": " << f.err().message << "\n";
            return {k_exit_error, std::nullopt};
        }
        const auto& frame = f.value();
        switch (frame.type) {
            case wire::frame_type::data: {
                std::string_view bytes = frame.payload;
                // A reopened stream without --follow ends later than the first one did.
                if (until) bytes = bytes.substr(0, static_cast<std::size_t>(*until - cursor));
                // A container's stderr goes to ours, as `podman logs` does.
                if (!write_all(frame.stream == static_cast<std::uint8_t>(registry::stream::err)
                                   ? STDERR_FILENO
                                   : STDOUT_FILENO,
                               bytes.data(), bytes.size()))
                    return {k_exit_error, std::nullopt};  // whoever read our output went away
                cursor += bytes.size();
                break;
            }
            case wire::frame_type::dropped:
                std::cerr << "berth: " << wire::dropped_bytes(frame)
                          << " bytes were dropped (buffer wrapped)\n";
                cursor += wire::dropped_bytes(frame);
                break;
            case wire::frame_type::end: {
                if (!follow) return {0, std::nullopt};
                return {status_of(json::parse(frame.payload, nullptr, false)), std::nullopt};
            }
            default:
                break;
        }
    }
}

}  // namespace

int session_read(const std::string& socket, const std::string& id, std::uint64_t cursor,
                 bool follow) {
    ::signal(SIGPIPE, SIG_IGN);  // a closed stdout shows as EPIPE, not death
    // berthd closes a stream whose reader stalls (stall_timeout_ms: e.g. `| less` paused):
    // reopen it from what was written out, as long as the reopened ones make progress.
    constexpr int k_max_reconnects = 5;  // in a row, without a byte of progress
    int without_progress = 0;
    std::optional<std::uint64_t> until;  // without --follow: the first reply's end_offset
    for (bool first = true;; first = false) {
        auto c = connect_or_report(socket);
        if (!c) return k_exit_error;
        auto opened = c->open_stream(id, cursor, follow, false);
        if (!opened) return report(opened.err());
        auto& stream = opened.value();
        if (first) {
            cursor = stream.cursor();
            if (!follow) until = stream.end_offset();
        }
        const auto before = cursor;
        auto pass = read_stream(stream, id, cursor, follow, until);
        if (pass.exit) return *pass.exit;
        without_progress = cursor > before ? 0 : without_progress + 1;
        if (without_progress > k_max_reconnects) {
            std::cerr << "berth: session " << id << ": " << pass.lost->message << "\n";
            return k_exit_error;
        }
        if (without_progress > 0) std::this_thread::sleep_for(200ms * without_progress);
    }
}

int session_wait(const std::string& socket, const std::string& id, const std::string& pattern,
                 std::uint64_t timeout_ms, std::uint64_t cursor) {
    auto c = connect_or_report(socket);
    if (!c) return k_exit_error;
    auto r =
        c->call("session.wait",
                {{"id", id}, {"pattern", pattern}, {"timeout_ms", timeout_ms}, {"cursor", cursor}},
                std::chrono::milliseconds(timeout_ms) + 30s);
    if (!r) return report(r.err());
    const auto outcome = r.value().value("outcome", "");
    if (outcome == "matched") {
        std::cout << r.value().value("match", "") << "\n";
        return 0;
    }
    if (outcome == "ended") {
        std::cerr << "berth: session " << id << " ended (" << r.value().value("state", "")
                  << ") without printing a match for '" << pattern << "'\n";
        return k_exit_ended;
    }
    std::cerr << "berth: no match for '" << pattern << "' within " << timeout_ms << " ms\n";
    return k_exit_timeout;
}

int session_close(const std::string& socket, const std::string& id, std::uint64_t grace_ms) {
    auto c = connect_or_report(socket);
    if (!c) return k_exit_error;
    auto r = c->call("session.close", {{"id", id}, {"grace_ms", grace_ms}},
                     std::chrono::milliseconds(grace_ms) + 60s);
    return r ? 0 : report(r.err());
}

int metrics(const std::string& socket) {
    auto c = connect_or_report(socket);
    if (!c) return k_exit_error;
    auto r = c->call("metrics.get", json::object());
    if (!r) return report(r.err());
    std::cout << r.value().value("text", "");
    return 0;
}

namespace {

// SIGWINCH wakes the attach loop through a pipe, so a resize goes out at once rather than at
// the loop's next timeout. The handler only writes a byte (async-signal-safe).
int g_winch_fd = -1;
extern "C" void on_winch(int /*signo*/) {
    const int saved = errno;
    if (g_winch_fd >= 0) (void)!::write(g_winch_fd, "w", 1);
    errno = saved;
}

// Owns the pipe and the handler for the duration of one attach.
class winch_watch {
public:
    winch_watch() {
        if (::pipe2(fds_, O_CLOEXEC | O_NONBLOCK) != 0) return;
        g_winch_fd = fds_[1];
        struct sigaction sa {};
        sa.sa_handler = &on_winch;
        ::sigemptyset(&sa.sa_mask);
        installed_ = ::sigaction(SIGWINCH, &sa, &previous_) == 0;
    }
    ~winch_watch() {
        if (installed_) ::sigaction(SIGWINCH, &previous_, nullptr);
        g_winch_fd = -1;
        for (const int fd : fds_)
            if (fd >= 0) ::close(fd);
    }
    winch_watch(const winch_watch&) = delete;
    winch_watch& operator=(const winch_watch&) = delete;

    [[nodiscard]] int fd() const noexcept { return fds_[0]; }
    void drain() const {
        char buf[64];
        while (::read(fds_[0], buf, sizeof buf) > 0) {
        }
    }

private:
    int fds_[2] = {-1, -1};
    bool installed_ = false;
    struct sigaction previous_ {};
};

}  // namespace

int session_attach(const std::string& socket, const std::string& id,
                   const std::string& detach_key) {
    const auto detach = key_bytes(detach_key);
    if (!detach || detach->size() != 1) {
        std::cerr << "berth: --detach-key '" << detach_key
                  << "': expected a ctrl- key such as ctrl-]\n";
        return k_exit_usage;
    }
    auto c = connect_or_report(socket);
    if (!c) return k_exit_error;
    auto first = c->call("session.get", {{"id", id}});
    if (!first) return report(first.err());
    // From what the session prints next, as a terminal would show it.
    auto opened =
        c->open_stream(id, first.value().value("end_offset", std::uint64_t{0}), true, true);
    if (!opened) return report(opened.err());
    auto& stream = opened.value();

    std::atomic<bool> done{false};
    std::atomic<int> status{0};
    std::atomic<bool> ended{false};  // END came: status is the session's
    // Why output stopped when it was not the session ending (berthd gone, or not answering):
    // the session's fate is then unknown, which must not look like a clean exit. Written by
    // the reader, read after it is joined.
    std::optional<host::error> lost;
    int wake[2];
    if (::pipe2(wake, O_CLOEXEC) != 0) return k_exit_error;
    // Output on a thread of its own, so a slow input write never leaves berthd's output
    // unread (berthd gives up on a reader that stalls).
    std::thread reader([&] {
        while (!done) {
            auto f = stream.next(500ms);
            if (!f) {
                if (f.err().code == BERTH_ERR_TIMEOUT) continue;
                if (!done) lost = f.err();
                break;
            }
            const auto& frame = f.value();
            if (frame.type == wire::frame_type::data) {
                // One terminal: every stream goes to it, in order.
                write_all(STDOUT_FILENO, frame.payload.data(), frame.payload.size());
            } else if (frame.type == wire::frame_type::end) {
                status = status_of(json::parse(frame.payload, nullptr, false));
                ended = true;
                break;
            }
        }
        done = true;
        (void)!::write(wake[1], "x", 1);
    });

    // Input waits are bounded: berthd applies input as the session takes it.
    constexpr auto k_input_timeout = 30s;
    std::optional<host::error> input_failed;
    const auto sent = [&](const host::result<void>& r) {
        if (!r && !input_failed) input_failed = r.err();
        return static_cast<bool>(r);
    };
    raw_mode raw(STDIN_FILENO);
    const winch_watch winch;
    std::optional<std::pair<std::uint16_t, std::uint16_t>> size = terminal_size(STDIN_FILENO);
    if (size) (void)sent(stream.resize(size->first, size->second, k_input_timeout));
    bool detached = false;
    bool stdin_open = true;
    while (!done && !input_failed) {
        pollfd fds[3] = {{stdin_open ? STDIN_FILENO : -1, POLLIN, 0},
                         {wake[0], POLLIN, 0},
                         {winch.fd(), POLLIN, 0}};
        // The timeout is only a fallback for a lost SIGWINCH; resizes wake the loop themselves.
        if (::poll(fds, 3, 250) < 0 && errno != EINTR) break;
        if ((fds[2].revents & POLLIN) != 0) winch.drain();
        if (auto now = terminal_size(STDIN_FILENO); now && now != size) {  // resize forwarding
            size = now;
            if (!sent(stream.resize(now->first, now->second, k_input_timeout))) break;
        }
        if ((fds[1].revents & POLLIN) != 0) break;
        if ((fds[0].revents & (POLLIN | POLLHUP)) == 0) continue;
        char buf[4096];
        const ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            // The end of our input is the end of the session's: it may still print, and end.
            stdin_open = false;
            if (!sent(stream.close_input(k_input_timeout))) break;
            continue;
        }
        std::string bytes(buf, static_cast<std::size_t>(n));
        if (const auto at = bytes.find((*detach)[0]); at != std::string::npos) {
            bytes.resize(at);
            detached = true;
        }
        if (!bytes.empty() && !sent(stream.send_input(bytes, k_input_timeout))) break;
        if (detached) break;
    }
    done = true;
    stream.shutdown();  // the reader's wait returns
    reader.join();
    ::close(wake[0]);
    ::close(wake[1]);
    raw.restore();
    if (ended) return status;
    if (detached) {
        std::cerr << "\r\nberth: detached from " << id << " (it keeps running)\n";
        return 0;
    }
    if (lost || input_failed) {
        std::cerr << "\r\nberth: lost session " << id << ": "
                  << (lost ? *lost : *input_failed).message << "\n";
        return k_exit_error;
    }
    return status;
}

}  // namespace berth::cli
