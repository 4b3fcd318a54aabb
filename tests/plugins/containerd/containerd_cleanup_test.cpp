// Nothing is left behind: 50 sessions (run and exec mode, ending by themselves or closed
// mid-way) leave no container, task, snapshot, exec process or FIFO folder. And the in-process
// health report.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

#include "containerd_test_env.hpp"

namespace berth::test::containerd {
namespace {
using namespace std::chrono_literals;
using json = nlohmann::json;

class temp_dir {
public:
    temp_dir() {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "berth-t-fifo-XXXXXX").string();
        EXPECT_NE(::mkdtemp(pattern.data()), nullptr);
        path_ = pattern;
    }
    ~temp_dir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
    [[nodiscard]] const std::filesystem::path& path() const { return path_; }
    [[nodiscard]] bool empty() const { return std::filesystem::is_empty(path_); }

private:
    std::filesystem::path path_;
};

TEST(ContainerdCleanup, FiftySessionsLeaveNothingBehind) {
    BERTH_REQUIRE_RUNTIME("ctr");
    constexpr int k_sessions = 50;
    constexpr int k_batch = 10;  // side by side, to stay quick on two cores
    // Tests run side by side: look only at what this one made, by name and label.
    const std::string tag = unique_name("berth-t-leak");
    temp_dir fifos;
    scoped_container box;
    auto h = make_host();

    for (int first = 0; first < k_sessions; first += k_batch) {
        std::vector<std::shared_ptr<host::session>> batch;
        for (int i = first; i < first + k_batch; ++i) {
            // Four kinds: run mode ending by itself / closed while running, and the same in
            // exec mode; every other one on a terminal.
            const bool run = i % 4 < 2;
            const bool closed = i % 2 == 1;
            json o{{"tty", i % 8 >= 4},
                   {"fifo_dir", fifos.path().string()},
                   {"command", closed ? json{"sleep", "30"} : json{"sh", "-c", "echo $0", "n"}}};
            if (run) {
                o["image"] = test_image();
                o["name"] = tag + "-" + std::to_string(i);
                o["labels"] = {{"berth.test", tag}};
            } else {
                o["container"] = box.id();
            }
            auto s = h.open_session("containerd", options(o));
            ASSERT_TRUE(s) << s.err().message;
            batch.push_back(s.value());
        }
        for (std::size_t j = 0; j < batch.size(); ++j) {
            auto& s = batch[j];
            if ((first + static_cast<int>(j)) % 2 == 1) {
                ASSERT_TRUE(s->close(0ms));
            } else {
                ASSERT_TRUE(s->entry()->wait_ended(30s));
                const auto r = s->entry()->snapshot();
                EXPECT_EQ(r.exit_code, 0) << r.reason;
            }
        }
    }

    EXPECT_TRUE(containers_labelled("berth.test", tag).empty());
    for (const auto& list : {containers(), tasks(), snapshots()})
        for (const auto& id : list) EXPECT_NE(id.rfind(tag, 0), 0U) << id << " was left behind";
    EXPECT_EQ(process_count(box.id()), 1);  // exec processes all gone
    EXPECT_TRUE(fifos.empty());             // every session's FIFO folder went with it
}

TEST(ContainerdHealth, HealthyWithVersionAndAttributes) {
    BERTH_REQUIRE_RUNTIME("ctr");
    const scoped_env address("CONTAINERD_ADDRESS", containerd_address());
    const scoped_env ns("CONTAINERD_NAMESPACE", containerd_namespace());
    auto h = make_host();
    auto p = h.find("containerd");
    ASSERT_TRUE(p);
    EXPECT_EQ(p->name(), "berth-containerd");
    const auto r = p->check_health(15s);
    EXPECT_EQ(r.state, registry::health_state::healthy) << r.detail;
    std::map<std::string, std::string> attrs(r.attributes.begin(), r.attributes.end());
    EXPECT_EQ(attrs["version"].rfind("1.", 0), 0U) << attrs["version"];
    EXPECT_EQ(attrs["address"], containerd_address());
    EXPECT_EQ(attrs["namespace"], containerd_namespace());
    EXPECT_EQ(attrs["snapshotter"], "overlayfs");
    EXPECT_NE(r.detail.find("answers on " + containerd_address()), std::string::npos) << r.detail;
}

TEST(ContainerdHealth, UnknownSnapshotterIsUnhealthy) {
    BERTH_REQUIRE_RUNTIME("ctr");
    const scoped_env address("CONTAINERD_ADDRESS", containerd_address());
    const scoped_env snapshotter("CONTAINERD_SNAPSHOTTER", "berth-no-such-snapshotter");
    auto h = make_host();
    const auto r = h.find("containerd")->check_health(15s);
    EXPECT_EQ(r.state, registry::health_state::unhealthy);
    EXPECT_NE(r.detail.find("snapshotter 'berth-no-such-snapshotter' does not exist"),
              std::string::npos)
        << r.detail;
}

TEST(ContainerdHealth, UnreachableDaemonIsUnhealthyNamingTheSocket) {
    BERTH_REQUIRE_RUNTIME("ctr");
    const std::string socket = "/tmp/" + unique_name("berth-no-daemon") + ".sock";
    const scoped_env address("CONTAINERD_ADDRESS", socket);
    auto h = make_host();
    const auto start = std::chrono::steady_clock::now();
    const auto r = h.find("containerd")->check_health(15s);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 6s);  // bounded by the connect timeout
    EXPECT_EQ(r.state, registry::health_state::unhealthy);
    EXPECT_NE(r.detail.find("containerd is not answering on " + socket), std::string::npos)
        << r.detail;
}

}  // namespace
}  // namespace berth::test::containerd
