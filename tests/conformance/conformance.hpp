// The plugin contract (sdk/include/berth/plugin.h, docs/abi.md), checked through the C ABI
// itself against each plugin built here: what a third-party plugin must also pass. Each case
// loads the .so, creates an instance and drives sessions through the function table with a
// recording sink, so nothing of the host's own bookkeeping can hide a plugin's mistake.
//
// Adding a plugin: one row in cases() (conformance.cpp) with its file, the binary it needs, the
// options that make a session run `command` in a fresh container, and the tools its health
// check runs. An out-of-tree plugin runs the same checks alone with (one command line)
//     BERTH_CONFORMANCE_PLUGIN=/path/to/my.so BERTH_CONFORMANCE_OPTIONS='{"image":"..."}'
//     BERTH_CONFORMANCE_TOOLS='mytool' build/tests/conformance_test
//
// The cases: conformance_test.cpp (the basic contract), streams_test.cpp (what output
// arrives where, and all of it), close_test.cpp (closing an interactive shell),
// hung_runtime_test.cpp (a health check against a runtime that never answers).
#pragma once

#include <berth/plugin.h>
#include <gtest/gtest.h>
#include <berth/host/plugin.hpp>

#include <array>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

namespace berth::test {

using namespace std::chrono_literals;
inline constexpr std::chrono::seconds k_timeout = 60s;

struct plugin_case {
    std::string file;                          // in <build>/lib/berth/plugins, or an absolute path
    std::string binary;                        // what must be installed
    nlohmann::json base;                       // options for a fresh container, without `command`
    std::map<std::string, std::string> env{};  // set before the plugin is created
    std::vector<std::string> health_tools{};   // what its health check runs, by name in PATH
    // For a plugin whose health check talks to a server instead of running tools: the
    // variable naming the server, pointed at a socket that never answers by the hung test.
    std::string hung_remote_env{};
    std::string label{};  // the test name suffix when one file has several cases
};

[[nodiscard]] std::vector<plugin_case> cases();
void PrintTo(const plugin_case& c, std::ostream* os);
// The test name suffix: the plugin file's stem ("podman").
[[nodiscard]] std::string case_name(const ::testing::TestParamInfo<plugin_case>& info);

// What one stream carried: every byte counted, the first k_kept of them kept, and each one
// checked on the fly against the recorder's repeating pattern (when it has one), so that a
// large output costs no memory.
struct stream_record {
    std::string text;  // the first k_kept bytes
    std::uint64_t bytes = 0;
    std::uint64_t mismatches = 0;               // bytes not where the pattern puts them
    std::uint64_t first_mismatch = UINT64_MAX;  // offset of the first of them
};

// Everything the plugin reports for one session, with the order rules checked as it comes.
struct recorder {
    static constexpr std::size_t k_kept = std::size_t{1} << 20;

    recorder() = default;
    // Checks every stream's bytes against pattern repeated from offset 0 (e.g. "xxxxxxx\n").
    explicit recorder(std::string pattern) : pattern_(std::move(pattern)) {}

    std::mutex mutex;
    std::condition_variable changed;
    std::string output;  // every stream merged, in arrival order: the first k_kept bytes
    // Indexed by berth_stream (STDOUT 1, STDERR 2, PTY 3); [0] takes a stream out of range.
    std::array<stream_record, 4> streams{};
    int exits = 0;
    int output_after_exit = 0;
    berth_exit_status status{};
    std::string reason;

    [[nodiscard]] const stream_record& stream(berth_stream s) const;

    static void on_output(void* ctx, berth_stream stream, const std::uint8_t* data,
                          std::uint32_t n);
    static void on_exit(void* ctx, const berth_exit_status* s);
    // The host's side of a session reporting into this recorder.
    [[nodiscard]] berth_session_sink sink();
    // A copy of `output`, taken under the lock (for messages).
    [[nodiscard]] std::string output_now();
    bool wait_text(const std::string& text, std::chrono::milliseconds timeout = k_timeout);
    bool wait_exit(std::chrono::milliseconds timeout = k_timeout);

private:
    const std::string pattern_;
};

// How a session ended, as one comparable value (for "the same on every runtime").
struct outcome {
    std::int32_t exit_code = 0;
    std::int32_t term_signal = 0;
    std::uint32_t failed = 0;
    friend bool operator==(const outcome&, const outcome&) = default;
};
[[nodiscard]] outcome outcome_of(const berth_exit_status& s);
void PrintTo(const outcome& o, std::ostream* os);

// What a health check wrote through its sink.
struct health_report {
    berth_status status = BERTH_ERR_INTERNAL;  // what health_check returned
    bool state_set = false;
    berth_health_state state = BERTH_HEALTH_UNHEALTHY;
    std::string detail;
};
// Runs the plugin's health check on the calling thread.
[[nodiscard]] health_report check_health(host::plugin& p);

class Conformance : public ::testing::TestWithParam<plugin_case> {
protected:
    void SetUp() override;
    void TearDown() override;

    // A new instance of the case's plugin (the fixture's own is plugin_), or null with a
    // failure. Reads the environment as it is now.
    [[nodiscard]] std::shared_ptr<host::plugin> create_plugin() const;

    [[nodiscard]] const berth_plugin_api& api() const { return plugin_->api(); }
    [[nodiscard]] bool has(std::uint64_t cap) const { return plugin_->has(cap); }

    [[nodiscard]] std::string options(const nlohmann::json& command,
                                      const nlohmann::json& extra = nlohmann::json::object()) const;

    // Opens a session reporting into rec; null (and a failure) if it does not open. The
    // session is destroyed in TearDown.
    berth_session* open(const std::string& options_json, recorder& rec);

    berth_status write(berth_session* s, const std::string& text) const;

    std::shared_ptr<host::plugin> plugin_;
    std::vector<berth_session*> sessions_;
};

}  // namespace berth::test
