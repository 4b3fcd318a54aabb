// berthd under load: request throughput on one connection and on 16, and the long-poll
// wake-up latency (output appears -> the waiting client has it). A real berthd runs as a
// subprocess on a private socket; the clients are berth's own.
#include <benchmark/benchmark.h>
#include <unistd.h>
#include <berth/sdk/event_loop.hpp>
#include <berth/sdk/process_session.hpp>

#include <csignal>

#include <filesystem>
#include <future>
#include <thread>

#include "daemon_client.hpp"

namespace {
using namespace std::chrono_literals;
using json = nlohmann::json;
namespace fs = std::filesystem;

// One berthd for the whole run, with one `cat` session to read and write.
struct daemon_under_test {
    fs::path dir = fs::temp_directory_path() / ("berthd-bench-" + std::to_string(::getpid()));
    fs::path socket = dir / "s.sock";
    berth::sdk::event_loop loop;
    std::unique_ptr<berth::sdk::process_session> process;
    std::string session_id;

    daemon_under_test() {
        fs::create_directories(dir);
        berth::sdk::process_spec spec;
        spec.argv = {BERTH_BENCH_BERTHD,       "--socket",    socket.string(), "--state-dir",
                     (dir / "state").string(), "--log-level", "warn"};
        spec.env = {{"BERTH_PLUGIN_PATH", BERTH_BENCH_PLUGIN_DIR},
                    {"BERTH_PLUGIN_SYSTEM_PATH", ""}};
        process = berth::sdk::process_session::start(loop, spec, {});
        for (int i = 0; i < 200 && !berth::cli::daemon_client::connect(socket); ++i)
            std::this_thread::sleep_for(50ms);
        auto c = client();
        session_id =
            c.call("session.open", {{"runtime", "local"}, {"options", {{"command", {"cat"}}}}})
                .value()["id"];
    }
    ~daemon_under_test() {
        process->signal(SIGTERM);
        (void)process->wait(30s);
        process.reset();
        fs::remove_all(dir);
    }
    [[nodiscard]] berth::cli::daemon_client client() const {
        return std::move(berth::cli::daemon_client::connect(socket).value());
    }
};

daemon_under_test& daemon() {
    static daemon_under_test d;
    return d;
}

// A cheap request end to end: frame, parse, registry look-up, reply.
void BM_RequestRoundTrip(benchmark::State& state) {
    auto c = daemon().client();
    const json params = {{"id", daemon().session_id}};
    for (auto _ : state) {
        auto r = c.call("session.get", params);
        if (!r) state.SkipWithError(r.err().message.c_str());
    }
    state.SetItemsProcessed(state.iterations());
}

// Output appears -> a client blocked in session.read(wait_ms) has it. Timed from the write
// request to the reader's wake-up, so it includes the write round trip and `cat` echoing.
void BM_LongPollWake(benchmark::State& state) {
    auto reader = daemon().client();
    auto writer = daemon().client();
    const auto& id = daemon().session_id;
    std::uint64_t cursor = reader.call("session.get", {{"id", id}}).value()["end_offset"];
    for (auto _ : state) {
        auto woke = std::async(std::launch::async, [&] {
            auto r = reader.call("session.read",
                                 {{"id", id}, {"cursor", cursor}, {"wait_ms", 10000}}, 20s);
            const auto t = std::chrono::steady_clock::now();
            if (r) cursor = r.value()["next_cursor"];
            return t;
        });
        std::this_thread::sleep_for(2ms);  // let the reader block first
        const auto t0 = std::chrono::steady_clock::now();
        (void)writer.call("session.write", {{"id", id}, {"data", "x"}});
        const auto t1 = woke.get();
        state.SetIterationTime(std::chrono::duration<double>(t1 - t0).count());
    }
}

// The floor for the wake-up: a write request's own round trip.
void BM_WriteRoundTrip(benchmark::State& state) {
    auto writer = daemon().client();
    const auto& id = daemon().session_id;
    for (auto _ : state) (void)writer.call("session.write", {{"id", id}, {"data", "y"}});
}

BENCHMARK(BM_RequestRoundTrip)->Threads(1)->UseRealTime()->MinTime(2.0);
BENCHMARK(BM_RequestRoundTrip)->Threads(16)->UseRealTime()->MinTime(2.0);
BENCHMARK(BM_WriteRoundTrip)->UseRealTime()->MinTime(1.0)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_LongPollWake)->UseManualTime()->Iterations(300)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
