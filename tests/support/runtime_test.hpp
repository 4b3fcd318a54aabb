// What the runtime plugins' integration tests share: a host that loads the built plugins, and
// helpers to open a session through one runtime and collect how it ended. Header-only: only
// the test programs that link the host library include it.
#pragma once

#include <gtest/gtest.h>
#include <re2/re2.h>
#include <berth/host/host.hpp>
#include <berth/sdk/random_hex.hpp>

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "test_support.hpp"

namespace berth::test {

// For names of containers a test makes (tests run side by side).
using sdk::random_hex;

struct session_end {
    registry::session_record record;
    std::string out;  // stdout, or the terminal
    std::string err;
};

class runtime_test : public ::testing::Test {
protected:
    // runtime: the plugin's runtime id; binary: what must be installed for it.
    runtime_test(std::string runtime, std::string binary)
        : runtime_(std::move(runtime)), binary_(std::move(binary)) {}

    void SetUp() override {
        BERTH_REQUIRE_RUNTIME(binary_);
        host_ = std::make_unique<host::host>(
            host::host_options{.plugin_dirs = std::vector<std::filesystem::path>{plugin_dir()}});
        ASSERT_TRUE(host_->find(runtime_))
            << "the " << runtime_ << " plugin was not loaded from " << plugin_dir();
    }

    // Opens a session; fails the test (and returns null) if it does not open.
    std::shared_ptr<host::session> open(const nlohmann::json& options) {
        auto r = host_->open_session(runtime_, options.dump());
        if (!r) {
            ADD_FAILURE() << "open failed: " << r.err().message << "\noptions: " << options.dump();
            return nullptr;
        }
        return r.value();
    }

    // The error of an open that must fail.
    host::error open_error(const nlohmann::json& options) {
        auto r = host_->open_session(runtime_, options.dump());
        if (r) {
            ADD_FAILURE() << "open succeeded but should fail: " << options.dump();
            (void)r.value()->close(std::chrono::seconds(2));
            return {};
        }
        return r.err();
    }

    // Waits for the end (bounded) and splits the output by stream.
    static session_end finish(const std::shared_ptr<host::session>& s,
                              std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
        session_end end;
        EXPECT_TRUE(s->entry()->wait_ended(timeout)) << "session did not end in time";
        end.record = s->entry()->snapshot();
        for (const auto& chunk : s->entry()->read(0, std::size_t{1} << 20).chunks)
            (chunk.source == registry::stream::err ? end.err : end.out) += chunk.bytes;
        return end;
    }

    // Runs options to the end with stdin_data and EOF.
    session_end run(const nlohmann::json& options, const std::string& stdin_data = {}) {
        auto s = open(options);
        if (!s) return {};
        if (!stdin_data.empty()) {
            EXPECT_TRUE(s->write(stdin_data));
        }
        EXPECT_TRUE(s->close_input());
        return finish(s);
    }

    // True once the session's output (from its start) matches pattern.
    static bool wait_for(const std::shared_ptr<host::session>& s, const std::string& pattern,
                         std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
        const re2::RE2 re(pattern);
        return s->entry()->wait_for_pattern(0, re, timeout).result ==
               registry::pattern_wait_result::outcome::matched;
    }

    std::unique_ptr<host::host> host_;

private:
    std::string runtime_;
    std::string binary_;
};

}  // namespace berth::test
