// What the containerd integration tests share: the private daemon's coordinates, bare ctr
// calls to look at (and clean up) what sessions left, and an in-process host.
#pragma once

#include <gtest/gtest.h>
#include <berth/host/host.hpp>

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "test_support.hpp"

namespace berth::test::containerd {

// ctr --connect-timeout 2s -a <private socket> -n <test namespace> args...
[[nodiscard]] cli_result ctr(const std::vector<std::string>& args,
                             std::chrono::milliseconds timeout = std::chrono::seconds(30));

// A name no other test (or test process) uses: prefix-<pid>-<random>.
[[nodiscard]] std::string unique_name(const std::string& prefix);

// Session options on the private daemon: address and namespace set, plus `extra`.
[[nodiscard]] std::string options(nlohmann::json extra);

// The host with the plugins of this build.
[[nodiscard]] host::host make_host();

// ids of containers / tasks / snapshots, and the exec processes of a task ("" = init).
[[nodiscard]] std::vector<std::string> containers();
[[nodiscard]] std::vector<std::string> tasks();
[[nodiscard]] std::vector<std::string> snapshots();
[[nodiscard]] bool has_container(const std::string& id);
[[nodiscard]] bool has_snapshot(const std::string& id);
// Containers carrying the label key=value.
[[nodiscard]] std::vector<std::string> containers_labelled(const std::string& key,
                                                           const std::string& value);
// How many processes `ctr task ps` lists for the container (its init included).
[[nodiscard]] int process_count(const std::string& container);

// A running container of the test's own (ctr run -d), removed with its snapshot at the end.
class scoped_container {
public:
    explicit scoped_container(const std::string& prefix = "berth-test");
    ~scoped_container();
    scoped_container(const scoped_container&) = delete;
    scoped_container& operator=(const scoped_container&) = delete;
    [[nodiscard]] const std::string& id() const noexcept { return id_; }

private:
    std::string id_;
};

// stdout and stderr (or terminal output in .first) of a session so far.
[[nodiscard]] std::pair<std::string, std::string> output_of(const host::session& s);

// Waits for the regex in the session's output; true if it appeared within the timeout.
[[nodiscard]] bool wait_for(const host::session& s, const std::string& regex,
                            std::chrono::milliseconds timeout = std::chrono::seconds(15));

}  // namespace berth::test::containerd
