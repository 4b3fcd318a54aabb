// What the podman integration tests share: a host that loads the built plugin, helpers to
// open a session and collect its end, and podman CLI helpers for checking what is left.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <berth/host/host.hpp>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "runtime_test.hpp"
#include "test_support.hpp"

namespace berth::test::podman {

using namespace std::chrono_literals;
using json = nlohmann::json;

// A fresh random suffix for names of containers a test creates: tests run side by side.
[[nodiscard]] inline std::string unique_suffix() { return random_hex(10); }

[[nodiscard]] inline cli_result podman(const std::vector<std::string>& args,
                                       std::chrono::milliseconds timeout = 60s) {
    std::vector<std::string> argv{"podman"};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_argv(argv, {}, timeout);
}

[[nodiscard]] inline bool container_exists(const std::string& name) {
    return podman({"container", "exists", name}).status == 0;
}

class PodmanTest : public runtime_test {
protected:
    PodmanTest() : runtime_test("podman", "podman") {}

    static json run_options(json command) {
        return json{{"image", test_image()}, {"command", std::move(command)}};
    }
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
