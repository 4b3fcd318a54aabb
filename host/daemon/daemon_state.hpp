// What berthd's process holds while it runs, shared by the pieces that make it up: the
// listener (listener.cpp), the tick and signals (server.cpp) and the shutdown (shutdown.cpp).
// Private to host/daemon.
#pragma once

#include <berth/host/host.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <thread>

#include "call_runner.hpp"
#include "connection.hpp"
#include "daemon_config.hpp"
#include "idle_exit.hpp"
#include "limit_counters.hpp"
#include "rpc_service.hpp"
#include "session_persistence.hpp"
#include "state_store.hpp"

namespace berth::daemon {

namespace asio = boost::asio;
using unix_socket = asio::local::stream_protocol;

// Quick calls (list, get, write, ...) take microseconds to milliseconds; a few threads keep
// one slow plugin call from holding up the rest.
constexpr std::size_t k_quick_threads = 4;

// Lives on run_daemon's stack; everything in it outlives the I/O loop and the calls.
struct daemon_state {
    daemon_state(host::host& h, const daemon_config& c, state_store& store)
        : host(h),
          config(c),
          rpc(h, c, &limits_hit),
          persistence(h, store),
          services{rpc,
                   calls,
                   connection_limits{c.max_frame_bytes, c.max_connection_requests,
                                     c.max_connection_output_bytes, c.stall_timeout},
                   std::nullopt,
                   limits_hit,
                   [this](const connection* gone) {
                       connections.erase(gone);
                       if (connections.empty()) note_last_client_left(*this);
                   }},
          calls(k_quick_threads, c.max_blocking_calls) {}

    host::host& host;
    const daemon_config& config;
    asio::io_context io{1};
    // Keeps run() going through shutdown, when the acceptor and timers are gone but the last
    // posted steps (closing connections, removing the socket) have yet to run.
    asio::executor_work_guard<asio::io_context::executor_type> keep_running{io.get_executor()};
    unix_socket::acceptor acceptor{io};
    asio::steady_timer accept_retry{io};
    std::chrono::milliseconds accept_backoff{0};
    asio::signal_set signals{io, SIGTERM, SIGINT, SIGHUP};
    asio::steady_timer tick{io};
    limit_counters limits_hit;  // before services, which refers to it
    rpc_service rpc;
    session_persistence persistence;
    connection_services services;
    std::map<const connection*, std::shared_ptr<connection>> connections;  // I/O thread only
    // Since when berthd has had no open session and no client (exit_when_idle_s); I/O thread.
    std::optional<std::chrono::steady_clock::time_point> idle_since;
    std::filesystem::path socket_path;  // removed at exit when we created it
    std::thread stopper;                // runs shutdown(); joined after the loop ends
    // Last, so destroyed first: its destructor waits for every call, which use all of the
    // above.
    call_runner calls;
};

// Starts accepting on d.acceptor (listener.cpp).
void accept_next(daemon_state& d);
// Creates the socket at path: parent folder, stale socket check, bind, mode, group.
void listen_on(daemon_state& d, const std::filesystem::path& path);
// Closes every session, saves state, closes connections and stops the loop. Blocks: runs on
// a thread of its own (shutdown.cpp).
void shutdown(daemon_state& d);
// On the I/O thread (a signal, the idle exit): starts shutdown() on d.stopper, once.
void begin_shutdown(daemon_state& d);

}  // namespace berth::daemon
