// What the podman integration tests share: a host that loads the built plugin, helpers to
// open a session and collect its end, and podman CLI helpers for checking what is left.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <re2/re2.h>
#include <berth/host/host.hpp>

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "test_support.hpp"

namespace berth::test::podman {

using namespace std::chrono_literals;
using json = nlohmann::json;

struct session_end {
    registry::session_record record;
    std::string out;  // stdout, or the terminal
    std::string err;
};

// A fresh random suffix for names of containers a test creates: tests run side by side.
[[nodiscard]] inline std::string unique_suffix() {
    static const std::string chars = "0123456789abcdef";
    std::random_device random;
    std::string s(10, '0');
    for (char& c : s) c = chars[random() % 16];
    return s;
}

[[nodiscard]] inline cli_result podman(const std::vector<std::string>& args,
                                       std::chrono::milliseconds timeout = 60s) {
    std::vector<std::string> argv{"podman"};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_argv(argv, {}, timeout);
}

[[nodiscard]] inline bool container_exists(const std::string& name) {
    return podman({"container", "exists", name}).status == 0;
}

class PodmanTest : public ::testing::Test {
protected:
    void SetUp() override {
        BERTH_REQUIRE_RUNTIME("podman");
        host_ = std::make_unique<host::host>(
            host::host_options{.plugin_dirs = std::vector<std::filesystem::path>{plugin_dir()}});
        ASSERT_TRUE(host_->find("podman"))
            << "the podman plugin was not loaded from " << plugin_dir();
    }

    // Opens a session; fails the test (and returns null) if it does not open.
    std::shared_ptr<host::session> open(const json& options) {
        auto r = host_->open_session("podman", options.dump());
        if (!r) {
            ADD_FAILURE() << "open failed: " << r.err().message << "\noptions: " << options.dump();
            return nullptr;
        }
        return r.value();
    }

    // Waits for the end (bounded) and splits the output by stream.
    static session_end finish(const std::shared_ptr<host::session>& s,
                              std::chrono::milliseconds timeout = 60s) {
        session_end end;
        EXPECT_TRUE(s->entry()->wait_ended(timeout)) << "session did not end in time";
        end.record = s->entry()->snapshot();
        for (const auto& chunk : s->entry()->read(0, std::size_t{1} << 20).chunks)
            (chunk.source == registry::stream::err ? end.err : end.out) += chunk.bytes;
        return end;
    }

    // Runs options to the end with stdin_data and EOF.
    session_end run(const json& options, const std::string& stdin_data = {}) {
        auto s = open(options);
        if (!s) return {};
        if (!stdin_data.empty()) {
            EXPECT_TRUE(s->write(stdin_data));
        }
        EXPECT_TRUE(s->close_input());
        return finish(s);
    }

    static bool wait_for(const std::shared_ptr<host::session>& s, const std::string& pattern,
                         std::chrono::milliseconds timeout = 20s) {
        const re2::RE2 re(pattern);
        const auto r = s->entry()->wait_for_pattern(0, re, timeout);
        return r.result == registry::pattern_wait_result::outcome::matched;
    }

    static json run_options(json command) {
        return json{{"image", test_image()}, {"command", std::move(command)}};
    }

    std::unique_ptr<host::host> host_;
};

// Tests that exec into a running container of their own.
class PodmanExecTest : public PodmanTest {
protected:
    void SetUp() override {
        PodmanTest::SetUp();
        if (IsSkipped() || HasFailure()) return;
        container_ = "berth-test-exec-" + unique_suffix();
        const auto r = podman(
            {"run", "-d", "--pull=never", "--name=" + container_, test_image(), "sleep", "100000"});
        ASSERT_EQ(r.status, 0) << r.err;
    }
    void TearDown() override {
        if (!container_.empty()) (void)podman({"rm", "--force", "--time=0", container_});
    }

    json exec_options(json command) const {
        return json{{"container", container_}, {"command", std::move(command)}};
    }

    // The container's processes (ps output of the container, busybox style).
    std::string container_ps() const {
        return podman({"exec", container_, "ps", "-o", "pid,args"}).out;
    }

    std::string container_;
};

}  // namespace berth::test::podman
