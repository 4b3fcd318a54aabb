// What the LXC integration tests share: a host loading the built plugin, helpers to open a
// session and collect its end, bare LXC tool calls for setting up and checking, and scratch
// containers with random names (ctest -j runs the tests side by side).
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <berth/host/host.hpp>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "runtime_test.hpp"
#include "test_support.hpp"

namespace berth::test::lxc {

using namespace std::chrono_literals;
using json = nlohmann::json;

// Names of containers the tests make themselves ("berth-test-..."); the plugin's own ephemeral
// copies are "berth-" + 12 hex digits.
[[nodiscard]] inline std::string unique_name(const std::string& what = "c") {
    return "berth-test-" + what + "-" + random_hex(8);
}

[[nodiscard]] inline cli_result tool(const std::vector<std::string>& argv,
                                     std::chrono::milliseconds timeout = 60s) {
    return run_argv(argv, {}, timeout);
}

// "RUNNING", "STOPPED", ... or "MISSING".
[[nodiscard]] inline std::string state_of(const std::string& name) {
    const auto r = tool({"lxc-info", "-n", name, "-s"});
    if (r.status != 0) return "MISSING";
    const auto colon = r.out.find(':');
    std::string s = colon == std::string::npos ? r.out : r.out.substr(colon + 1);
    s.erase(0, s.find_first_not_of(" \t"));
    s.erase(s.find_last_not_of(" \t\r\n") + 1);
    return s;
}

[[nodiscard]] inline std::vector<std::string> list_containers() {
    const auto r = tool({"lxc-ls", "-1"});
    std::vector<std::string> names;
    std::string line;
    for (const char c : r.out) {
        if (c == '\n' || c == ' ') {
            if (!line.empty()) names.push_back(line);
            line.clear();
        } else {
            line += c;
        }
    }
    if (!line.empty()) names.push_back(line);
    return names;
}

inline void remove_container(const std::string& name) {
    (void)tool({"lxc-stop", "-k", "-n", name});
    if (state_of(name) != "MISSING") (void)tool({"lxc-destroy", "-f", "-n", name});
}

// A container a test owns: removed (stopped and destroyed) when it goes out of scope.
class scratch_container {
public:
    enum class kind { running, stopped };
    explicit scratch_container(kind k, std::string name = unique_name()) : name_(std::move(name)) {
        if (k == kind::running) {
            // An ephemeral copy of the template: it vanishes when stopped.
            const auto r =
                tool({"lxc-copy", "-e", "-B", "overlayfs", "-n", lxc_template(), "-N", name_});
            ok_ = r.status == 0 &&
                  tool({"lxc-wait", "-n", name_, "-s", "RUNNING", "-t", "10"}).status == 0;
            error_ = r.err;
        } else {
            const auto r =
                tool({"lxc-create", "-t", "busybox", "-n", name_, "-f", lxc_config()}, 120s);
            ok_ = r.status == 0;
            error_ = r.err;
        }
    }
    ~scratch_container() { remove_container(name_); }
    scratch_container(const scratch_container&) = delete;
    scratch_container& operator=(const scratch_container&) = delete;

    [[nodiscard]] const std::string& name() const noexcept { return name_; }
    [[nodiscard]] bool ok() const noexcept { return ok_; }
    [[nodiscard]] const std::string& error() const noexcept { return error_; }

private:
    std::string name_;
    bool ok_ = false;
    std::string error_;
};

class LxcTest : public runtime_test {
protected:
    LxcTest() : runtime_test("lxc", "lxc-attach") {}
};

// Tests that attach to a running container of their own.
class LxcAttachTest : public LxcTest {
protected:
    void SetUp() override {
        LxcTest::SetUp();
        if (IsSkipped() || HasFailure()) return;
        container_ = std::make_unique<scratch_container>(scratch_container::kind::running);
        ASSERT_TRUE(container_->ok())
            << "could not copy " << lxc_template() << ": " << container_->error();
    }
    void TearDown() override { container_.reset(); }

    [[nodiscard]] json attach(json command) const {
        return json{{"container", container_->name()}, {"command", std::move(command)}};
    }

    std::unique_ptr<scratch_container> container_;
};

}  // namespace berth::test::lxc
