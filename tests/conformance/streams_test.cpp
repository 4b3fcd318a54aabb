// What a command writes arrives on its own stream, all of it, exactly once.
#include <chrono>
#include <cstdint>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

#include "conformance.hpp"

namespace berth::test {
namespace {

TEST_P(Conformance, StdoutAndStderrArriveApartOnPipes) {
    ASSERT_TRUE(has(BERTH_CAP_PIPES));
    recorder rec;
    auto* s = open(options({"sh", "-c", "echo conformance-out; echo conformance-err >&2"}), rec);
    ASSERT_TRUE(s);
    ASSERT_TRUE(rec.wait_exit());
    std::lock_guard lock(rec.mutex);
    const std::string& out = rec.stream(BERTH_STREAM_STDOUT).text;
    const std::string& err = rec.stream(BERTH_STREAM_STDERR).text;
    EXPECT_NE(out.find("conformance-out"), std::string::npos) << "stdout: " << out;
    EXPECT_EQ(out.find("conformance-err"), std::string::npos) << "stdout: " << out;
    EXPECT_NE(err.find("conformance-err"), std::string::npos) << "stderr: " << err;
    EXPECT_EQ(err.find("conformance-out"), std::string::npos) << "stderr: " << err;
    EXPECT_EQ(rec.stream(BERTH_STREAM_PTY).bytes, 0U) << "no terminal was asked for";
    EXPECT_EQ(rec.streams[0].bytes, 0U) << "output on a stream the ABI does not name";
    EXPECT_EQ(rec.status.exit_code, 0) << rec.reason;
    EXPECT_EQ(rec.status.term_signal, 0);
    EXPECT_EQ(rec.exits, 1);
    EXPECT_EQ(rec.output_after_exit, 0);
}

TEST_P(Conformance, SixtyFourMebibytesOfOutputArriveExactly) {
    constexpr std::uint64_t k_bytes = std::uint64_t{64} << 20;
    // `yes` repeats the 8-byte line; 64 MiB is exactly 2^23 of them, so a lost or doubled
    // chunk shows as a wrong total or as bytes out of place. Checked as they come: nothing
    // is kept but the first MiB.
    const std::string line = "xxxxxxx\n";
    recorder rec(line);
    auto* s = open(options({"sh", "-c",
                            "yes " + line.substr(0, line.size() - 1) + " | head -c " +
                                std::to_string(k_bytes)}),
                   rec);
    ASSERT_TRUE(s);
    const auto started = std::chrono::steady_clock::now();
    // Containers are slower; the bound only stops a stalled session from hanging the suite.
    const bool ended = rec.wait_exit(120s);
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
    std::lock_guard lock(rec.mutex);
    const stream_record& out = rec.stream(BERTH_STREAM_STDOUT);
    ASSERT_TRUE(ended) << "no end within 120 s; stdout so far " << out.bytes << " bytes";
    RecordProperty("stdout_bytes", std::to_string(out.bytes));
    RecordProperty("ms", std::to_string(took.count()));
    EXPECT_EQ(out.bytes, k_bytes);
    EXPECT_EQ(out.mismatches, 0U) << "first byte out of place at offset " << out.first_mismatch;
    EXPECT_EQ(rec.status.exit_code, 0)
        << rec.reason << "\nstderr: " << rec.stream(BERTH_STREAM_STDERR).text;
    EXPECT_EQ(rec.status.term_signal, 0);
    EXPECT_EQ(rec.status.failed, 0U) << rec.reason;
    EXPECT_EQ(rec.exits, 1);
    EXPECT_EQ(rec.output_after_exit, 0);
}

}  // namespace
}  // namespace berth::test
