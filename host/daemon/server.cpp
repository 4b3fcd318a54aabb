#include "server.hpp"

#include <grp.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/write.hpp>
#include <deque>
#include <fstream>
#include <set>
#include <thread>

#include "health_monitor.hpp"
#include "rpc_errors.hpp"
#include "rpc_service.hpp"
#include "state_store.hpp"
#include "systemd.hpp"

namespace berth::daemon {
namespace {
namespace asio = boost::asio;
using unix_socket = asio::local::stream_protocol;
using json = nlohmann::json;
namespace fs = std::filesystem;

std::string dump(const json& j) {
    return j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

std::string error_frame(int code, const std::string& message) {
    return dump(
        {{"jsonrpc", "2.0"}, {"id", nullptr}, {"error", {{"code", code}, {"message", message}}}});
}

// Who may talk to the daemon: root, the daemon's own user, and members of the socket group.
bool peer_allowed(int fd, std::optional<gid_t> group) {
    ucred cred{};
    socklen_t len = sizeof cred;
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return false;
    if (cred.uid == 0 || cred.uid == ::geteuid()) return true;
    if (!group) return false;
    if (cred.gid == *group) return true;
    std::ifstream status("/proc/" + std::to_string(cred.pid) + "/status");
    for (std::string line; std::getline(status, line);) {
        if (line.rfind("Groups:", 0) != 0) continue;
        std::istringstream ids(line.substr(7));
        for (gid_t g; ids >> g;)
            if (g == *group) return true;
    }
    return false;
}

// Runs blocking calls (long polls, opens, closes) on their own threads and waits for them all
// at shutdown.
class blocking_calls {
public:
    explicit blocking_calls(std::size_t limit) : limit_(limit) {}
    ~blocking_calls() { wait_all(); }
    bool start(std::function<void()> fn) {
        {
            std::lock_guard lock(mutex_);
            if (running_ >= limit_) return false;
            ++running_;
        }
        std::thread([this, fn = std::move(fn)] {
            fn();
            std::lock_guard lock(mutex_);
            --running_;
            done_.notify_all();
        }).detach();
        return true;
    }
    void wait_all() {
        std::unique_lock lock(mutex_);
        done_.wait(lock, [this] { return running_ == 0; });
    }

private:
    std::mutex mutex_;
    std::condition_variable done_;
    std::size_t running_ = 0;
    const std::size_t limit_;
};

struct daemon_state;

class connection : public std::enable_shared_from_this<connection> {
public:
    connection(unix_socket::socket socket, daemon_state& d) : socket_(std::move(socket)), d_(d) {}
    void start();
    void send(std::string frame);
    void close() {
        boost::system::error_code ignored;
        socket_.close(ignored);
    }

private:
    void read();
    void consume(const char* data, std::size_t n);
    void handle_line(std::string line);
    void write_next();

    unix_socket::socket socket_;
    daemon_state& d_;
    std::array<char, 64 * 1024> buf_{};
    std::string pending_;
    bool discarding_ = false;
    std::deque<std::string> out_;
    bool writing_ = false;
};

struct daemon_state {
    daemon_state(host::host& h, const daemon_config& c) : host(h), config(c) {}

    host::host& host;
    const daemon_config& config;
    asio::io_context io{1};
    // Keeps run() going through shutdown, when the acceptor and timers are gone but the last
    // posted steps (closing connections, removing the socket) have yet to run.
    asio::executor_work_guard<asio::io_context::executor_type> keep_running{io.get_executor()};
    unix_socket::acceptor acceptor{io};
    asio::signal_set signals{io, SIGTERM, SIGINT, SIGHUP};
    asio::steady_timer tick{io};
    asio::thread_pool pool{4};
    blocking_calls blocking{1024};
    rpc_service rpc{host, config};
    state_store* store = nullptr;
    std::optional<gid_t> group;
    std::set<std::shared_ptr<connection>> connections;  // io thread only
    std::atomic<bool> dirty{true};
    std::mutex persist_mutex;  // guards last_saved_signature and the file
    std::string last_saved_signature;
    fs::path socket_path;  // removed at exit when we created it
    std::thread stopper;   // runs shutdown(); joined after the loop ends
};

void connection::start() {
    if (!peer_allowed(socket_.native_handle(), d_.group)) {
        spdlog::warn(
            "refused a connection from a peer that is neither root nor the daemon's user or group");
        send(error_frame(
            wire::rpc_error::unauthorized,
            "not authorized: only root, the daemon's user or its socket group may connect"));
        return;
    }
    read();
}

void connection::read() {
    socket_.async_read_some(
        asio::buffer(buf_),
        [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
            if (ec) {
                self->d_.connections.erase(self);
                return;
            }
            self->consume(self->buf_.data(), n);
            self->read();
        });
}

// Splits the byte stream into lines. A line longer than max_frame_bytes is skipped up to its
// newline and answered with an error; the connection stays usable.
void connection::consume(const char* data, std::size_t n) {
    while (n > 0) {
        const char* nl = static_cast<const char*>(std::memchr(data, '\n', n));
        const std::size_t take = nl == nullptr ? n : static_cast<std::size_t>(nl - data);
        if (!discarding_) {
            pending_.append(data, take);
            if (pending_.size() > d_.config.max_frame_bytes) {
                discarding_ = true;
                pending_.clear();
                pending_.shrink_to_fit();
            }
        }
        if (nl == nullptr) return;
        if (discarding_) {
            discarding_ = false;
            send(error_frame(wire::rpc_error::invalid_request,
                             "request too large: more than " +
                                 std::to_string(d_.config.max_frame_bytes) +
                                 " bytes before its newline (max_frame_bytes)"));
        } else {
            handle_line(std::move(pending_));
            pending_.clear();
        }
        data = nl + 1;
        n -= take + 1;
    }
}

void connection::handle_line(std::string line) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) return;
    json request = json::parse(line, nullptr, false);
    if (request.is_discarded()) {
        send(error_frame(wire::rpc_error::parse_error,
                         "parse error: the request is not valid JSON"));
        return;
    }
    auto self = shared_from_this();
    auto run = [self, request = std::move(request)] {
        std::string frame;
        if (request.is_array()) {  // a JSON-RPC batch
            json responses = json::array();
            for (const auto& r : request)
                if (auto reply = self->d_.rpc.handle(r)) responses.push_back(std::move(*reply));
            if (request.empty())
                frame = error_frame(wire::rpc_error::invalid_request, "empty batch");
            else if (!responses.empty())
                frame = dump(responses);
        } else if (auto reply = self->d_.rpc.handle(request)) {
            frame = dump(*reply);
        }
        if (!frame.empty())
            asio::post(self->d_.io, [self, frame = std::move(frame)]() mutable {
                self->send(std::move(frame));
            });
    };
    const bool blocks = request.is_object() && rpc_service::may_block(request);
    if (blocks) {
        if (!d_.blocking.start(run))
            send(error_frame(wire::rpc_error::limit_reached,
                             "limit reached: too many waiting calls"));
    } else {
        asio::post(d_.pool, std::move(run));
    }
}

void connection::send(std::string frame) {
    out_.push_back(std::move(frame));
    if (!writing_) write_next();
}

void connection::write_next() {
    if (out_.empty()) {
        writing_ = false;
        return;
    }
    writing_ = true;
    asio::async_write(
        socket_, asio::buffer(out_.front()),
        [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
            self->out_.pop_front();
            if (ec) {
                self->out_.clear();
                self->writing_ = false;
                return;
            }
            self->write_next();
        });
}

void accept_next(daemon_state& d) {
    d.acceptor.async_accept([&d](const boost::system::error_code& ec, unix_socket::socket s) {
        if (ec == asio::error::operation_aborted) return;
        if (!ec) {
            auto c = std::make_shared<connection>(std::move(s), d);
            d.connections.insert(c);
            c->start();
        }
        accept_next(d);
    });
}

// Creates the socket: parent folder, stale socket check, bind, mode, group.
void listen_on(daemon_state& d, const fs::path& path) {
    fs::create_directories(path.parent_path());
    if (fs::exists(path)) {
        unix_socket::socket probe(d.io);
        boost::system::error_code ec;
        probe.connect(unix_socket::endpoint(path.string()), ec);
        if (!ec)
            throw std::runtime_error("another berthd is already listening on " + path.string());
        fs::remove(path);  // stale: nobody answers
    }
    const mode_t old = ::umask(0177);  // never world-accessible, not even for a moment
    boost::system::error_code ec;
    d.acceptor.open(unix_socket(), ec);
    if (!ec) d.acceptor.bind(unix_socket::endpoint(path.string()), ec);
    ::umask(old);
    if (ec) throw std::runtime_error("cannot bind " + path.string() + ": " + ec.message());
    d.acceptor.listen(asio::socket_base::max_listen_connections);
    d.socket_path = path;
    if (d.group) {
        if (::chown(path.c_str(), static_cast<uid_t>(-1), *d.group) != 0 ||
            ::chmod(path.c_str(), 0660) != 0)
            throw std::runtime_error("cannot give " + path.string() +
                                     " to its group: " + std::strerror(errno));
    }
}

std::string signature(const std::vector<registry::session_record>& records) {
    std::string s;
    for (const auto& r : records) s += r.id + ":" + std::string(registry::to_string(r.state)) + ";";
    return s;
}

void persist(daemon_state& d) {
    if (!d.store) return;
    std::lock_guard lock(d.persist_mutex);
    const auto records = d.host.registry().sessions().list();
    auto sig = signature(records);
    if (!d.dirty.exchange(false) && sig == d.last_saved_signature) return;
    try {
        d.store->save(records);
        d.last_saved_signature = std::move(sig);
    } catch (const std::exception& e) {
        spdlog::error("cannot save session state: {}", e.what());
    }
}

// Forgets sessions that ended more than idle_timeout ago.
void reap(daemon_state& d) {
    const auto now = registry::clock::now();
    for (const auto& r : d.host.registry().sessions().list()) {
        if (!registry::is_final(r.state)) continue;
        const auto since = r.ended.value_or(r.created);
        if (now - since < d.config.idle_timeout) continue;
        d.host.forget_session(r.id);
        d.host.registry().sessions().remove(r.id);
        d.dirty = true;
        spdlog::debug("reaped session {} ({} for {} s)", r.id, registry::to_string(r.state),
                      std::chrono::duration_cast<std::chrono::seconds>(now - since).count());
    }
}

void on_tick(daemon_state& d) {
    d.tick.expires_after(std::chrono::seconds(1));
    d.tick.async_wait([&d](const boost::system::error_code& ec) {
        if (ec) return;
        asio::post(d.pool, [&d] {
            reap(d);
            persist(d);
        });
        on_tick(d);
    });
}

// Sessions from before a restart are listed as lost, with their last known state.
void restore_lost(daemon_state& d) {
    std::string problem;
    for (auto r : d.store->load(problem)) {
        if (d.host.registry().sessions().find(r.id)) continue;
        const std::string last(registry::to_string(r.state));
        if (r.state != registry::session_state::lost) {
            r.reason = "berthd restarted; last known state: " + last +
                       (r.reason.empty() ? "" : " (" + r.reason + ")");
            if (!r.ended) r.ended = registry::clock::now();
            r.state = registry::session_state::lost;
        }
        try {
            (void)d.host.registry().sessions().add(std::move(r), 1);
        } catch (const std::exception& e) {
            spdlog::warn("skipped a persisted session: {}", e.what());
        }
    }
    if (!problem.empty()) spdlog::warn("{}", problem);
}

// Runs on its own thread: closing sessions blocks, and the I/O loop keeps answering meanwhile.
void shutdown(daemon_state& d) {
    spdlog::info("shutting down: closing open sessions");
    systemd_notify("STOPPING=1");
    d.rpc.stop_accepting();
    asio::post(d.io, [&d] {
        boost::system::error_code ignored;
        d.acceptor.close(ignored);
        d.signals.cancel(ignored);
        d.tick.cancel();
    });
    // Close every session in parallel, each with its grace period (containers cleaned up).
    std::vector<std::thread> closers;
    for (const auto& r : d.host.registry().sessions().list()) {
        if (auto s = d.host.find_session(r.id))
            closers.emplace_back(
                [s, grace = d.config.close_grace] { (void)s->close(grace, "berthd shut down"); });
    }
    for (auto& t : closers) t.join();
    d.dirty = true;
    persist(d);
    asio::post(d.io, [&d] {
        for (const auto& c : d.connections) c->close();
        d.connections.clear();
        if (!d.socket_path.empty()) {
            std::error_code ec;
            fs::remove(d.socket_path, ec);
        }
        d.keep_running.reset();
        d.io.stop();
    });
}

void on_signal(daemon_state& d) {
    d.signals.async_wait([&d](const boost::system::error_code& ec, int signo) {
        if (ec) return;
        if (signo == SIGHUP) {
            asio::post(d.pool, [&d] {
                const auto s = d.host.rescan();
                spdlog::info("SIGHUP: plugins rescanned ({} added, {} removed, {} reloaded)",
                             s.added.size(), s.removed.size(), s.reloaded.size());
            });
            on_signal(d);
            return;
        }
        spdlog::info("{} received", signo == SIGTERM ? "SIGTERM" : "SIGINT");
        if (!d.stopper.joinable()) d.stopper = std::thread([&d] { shutdown(d); });
    });
}

}  // namespace

int run_daemon(host::host& h, const daemon_config& config, state_store& store) {
    daemon_state d{h, config};
    if (config.socket_group) {
        const group* g = ::getgrnam(config.socket_group->c_str());
        if (g == nullptr)
            throw std::runtime_error("socket_group '" + *config.socket_group + "' does not exist");
        d.group = g->gr_gid;
    }
    d.store = &store;
    restore_lost(d);
    // Saved before the reply goes out: a session a client was told about is listed (as lost)
    // by the next berthd even if this one dies right after. The tick saves the rest (exits).
    d.rpc.on_change([&d] {
        d.dirty = true;
        persist(d);
    });

    if (const int fd = systemd_listen_fd(); fd >= 0) {
        d.acceptor.assign(unix_socket(), fd);
        spdlog::info("listening on the socket systemd passed (fd {})", fd);
    } else {
        listen_on(d, config.socket.empty() ? default_socket_path() : config.socket);
        spdlog::info("listening on {}", d.socket_path.string());
    }

    health_monitor monitor(h, config.health_interval, config.health_timeout);
    accept_next(d);
    on_signal(d);
    on_tick(d);
    persist(d);
    systemd_notify("READY=1");
    d.io.run();
    if (d.stopper.joinable()) d.stopper.join();
    d.blocking.wait_all();
    d.pool.join();
    return 0;
}

}  // namespace berth::daemon
