// Output throughput of a `local` session through the host, against a raw pipe carrying the
// same bytes from the same command. Both spawn `head -c N /dev/zero` and consume every byte;
// the ratio of the two (bench/throughput.sh prints it) is what docs/benchmarks.md records.
#include <benchmark/benchmark.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
#include <berth/host/host.hpp>

#include <array>
#include <atomic>

extern char** environ;

namespace {
using namespace std::chrono_literals;

constexpr std::int64_t k_bytes = 64 << 20;

// The baseline: posix_spawn + pipe + read loop, nothing else.
void BM_RawPipe(benchmark::State& state) {
    const std::string count = std::to_string(k_bytes);
    std::array<char, 64 * 1024> buf{};
    for (auto _ : state) {
        int fds[2];
        if (::pipe(fds) != 0) state.SkipWithError("pipe failed");
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
        posix_spawn_file_actions_addclose(&actions, fds[0]);
        const char* argv[] = {"head", "-c", count.c_str(), "/dev/zero", nullptr};
        pid_t pid = 0;
        posix_spawnp(&pid, "head", &actions, nullptr, const_cast<char* const*>(argv), environ);
        posix_spawn_file_actions_destroy(&actions);
        ::close(fds[1]);
        std::int64_t total = 0;
        for (ssize_t n; (n = ::read(fds[0], buf.data(), buf.size())) > 0;) total += n;
        ::close(fds[0]);
        int status = 0;
        ::waitpid(pid, &status, 0);
        if (total != k_bytes) state.SkipWithError("short read");
    }
    state.SetBytesProcessed(state.iterations() * k_bytes);
}

// The same bytes through the host: local plugin, process helper, registry buffer, observer.
void BM_LocalSession(benchmark::State& state) {
    berth::host::host h(berth::host::host_options{
        .plugin_dirs = std::vector<std::filesystem::path>{BERTH_BENCH_PLUGIN_DIR}});
    const std::string options =
        R"({"command":["head","-c",")" + std::to_string(k_bytes) + R"(","/dev/zero"]})";
    for (auto _ : state) {
        std::atomic<std::int64_t> total{0};
        auto s = h.open_session("local", options, [&](berth::registry::stream, std::string_view b) {
            total += static_cast<std::int64_t>(b.size());
        });
        if (!s) {
            state.SkipWithError(s.err().message.c_str());
            break;
        }
        if (!s.value()->entry()->wait_ended(60s)) state.SkipWithError("session did not end");
        if (total != k_bytes) state.SkipWithError("short read");
        h.forget_session(s.value()->id());
    }
    state.SetBytesProcessed(state.iterations() * k_bytes);
}

BENCHMARK(BM_RawPipe)->Unit(benchmark::kMillisecond)->MinTime(2.0)->UseRealTime();
BENCHMARK(BM_LocalSession)->Unit(benchmark::kMillisecond)->MinTime(2.0)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
