// The plugin contract (sdk/include/berth/plugin.h, docs/abi.md), checked through the C ABI
// itself against each plugin built here: what a third-party plugin must also pass. Each case
// loads the .so, creates an instance and drives sessions through the function table with a
// recording sink, so nothing of the host's own bookkeeping can hide a plugin's mistake.
//
// Adding a plugin: one row in cases() with its file, the binary it needs, and the options that
// make a session run `command` in a fresh container. An out-of-tree plugin runs the same checks
// alone with (one command line)
//     BERTH_CONFORMANCE_PLUGIN=/path/to/my.so BERTH_CONFORMANCE_OPTIONS='{"image":"..."}'
//     build/tests/conformance_test
#include <gtest/gtest.h>
#include <stdlib.h>
#include <berth/host/plugin.hpp>
#include <berth/host/plugin_library.hpp>

#include <cctype>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "test_support.hpp"

namespace berth::test {
namespace {
using json = nlohmann::json;
using namespace std::chrono_literals;
constexpr auto k_timeout = 60s;

struct plugin_case {
    std::string file;                          // in <build>/lib/berth/plugins, or an absolute path
    std::string binary;                        // what must be installed
    json base;                                 // options for a fresh container, without `command`
    std::map<std::string, std::string> env{};  // set before the plugin is created
};

std::vector<plugin_case> cases() {
    if (const std::string own = env_or("BERTH_CONFORMANCE_PLUGIN", ""); !own.empty()) {
        const auto base = json::parse(env_or("BERTH_CONFORMANCE_OPTIONS", "{}"), nullptr, false);
        if (!base.is_object())
            throw std::invalid_argument("BERTH_CONFORMANCE_OPTIONS must be a JSON object");
        return {{own, "sh", base}};
    }
    return {
        {"local.so", "sh", json::object()},
        {"podman.so", "podman", {{"image", test_image()}}},
        {"containerd.so",
         "ctr",
         {{"image", test_image()},
          {"address", containerd_address()},
          {"namespace", containerd_namespace()}},
         // The health check looks where ctr would: at the test daemon, too.
         {{"CONTAINERD_ADDRESS", containerd_address()},
          {"CONTAINERD_NAMESPACE", containerd_namespace()}}},
        {"lxc.so", "lxc-attach", {{"template", lxc_template()}}},
    };
}

void PrintTo(const plugin_case& c, std::ostream* os) { *os << c.file; }

// Everything the plugin reports for one session, with the order rules checked as it comes.
struct recorder {
    std::mutex mutex;
    std::condition_variable changed;
    std::string output;
    int exits = 0;
    int output_after_exit = 0;
    berth_exit_status status{};
    std::string reason;

    static void on_output(void* ctx, berth_stream, const std::uint8_t* data, std::uint32_t n) {
        auto* self = static_cast<recorder*>(ctx);
        std::lock_guard lock(self->mutex);
        if (self->exits > 0) ++self->output_after_exit;
        self->output.append(reinterpret_cast<const char*>(data), n);
        self->changed.notify_all();
    }
    static void on_exit(void* ctx, const berth_exit_status* s) {
        auto* self = static_cast<recorder*>(ctx);
        std::lock_guard lock(self->mutex);
        ++self->exits;
        self->status = *s;
        self->reason = s->reason == nullptr ? "" : s->reason;
        self->changed.notify_all();
    }
    bool wait_text(const std::string& text) {
        std::unique_lock lock(mutex);
        return changed.wait_for(lock, k_timeout,
                                [&] { return output.find(text) != std::string::npos; });
    }
    bool wait_exit() {
        std::unique_lock lock(mutex);
        return changed.wait_for(lock, k_timeout, [&] { return exits > 0; });
    }
};

class Conformance : public ::testing::TestWithParam<plugin_case> {
protected:
    void SetUp() override {
        BERTH_REQUIRE_RUNTIME(GetParam().binary);
        for (const auto& [k, v] : GetParam().env) ::setenv(k.c_str(), v.c_str(), 1);
        const std::filesystem::path file(GetParam().file);
        auto lib = host::load_plugin_library(file.is_absolute() ? file : plugin_dir() / file);
        ASSERT_TRUE(lib) << lib.err().message;
        auto created = host::plugin::create(std::move(lib.value()), nullptr);
        ASSERT_TRUE(created) << created.err().message;
        plugin_ = std::move(created.value());
    }
    void TearDown() override {
        for (auto* s : sessions_) api().session_destroy(s);
    }

    [[nodiscard]] const berth_plugin_api& api() const { return plugin_->api(); }
    [[nodiscard]] bool has(std::uint64_t cap) const { return plugin_->has(cap); }

    std::string options(const json& command, const json& extra = json::object()) const {
        json o = GetParam().base;
        o["command"] = command;
        for (const auto& [k, v] : extra.items()) o[k] = v;
        return o.dump();
    }

    // Opens a session reporting into rec; null (and a failure) if it does not open.
    berth_session* open(const std::string& options_json, recorder& rec) {
        berth_session_sink sink{};
        sink.struct_size = sizeof sink;
        sink.ctx = &rec;
        sink.on_output = &recorder::on_output;
        sink.on_exit = &recorder::on_exit;
        berth_session* s = nullptr;
        const auto status =
            api().session_open(plugin_->instance(), options_json.c_str(), &sink, &s);
        if (status != BERTH_OK || s == nullptr) {
            ADD_FAILURE() << "session_open failed (" << status << "): " << plugin_->last_error()
                          << "\noptions: " << options_json;
            return nullptr;
        }
        sessions_.push_back(s);
        return s;
    }

    berth_status write(berth_session* s, const std::string& text) const {
        return api().session_write(s, reinterpret_cast<const std::uint8_t*>(text.data()),
                                   static_cast<std::uint32_t>(text.size()));
    }

    std::shared_ptr<host::plugin> plugin_;
    std::vector<berth_session*> sessions_;
};

TEST_P(Conformance, HealthCheckWritesAReport) {
    struct report {
        bool state_set = false;
        berth_health_state state = BERTH_HEALTH_UNHEALTHY;
        std::string detail;
    } r;
    berth_health_sink sink{};
    sink.struct_size = sizeof sink;
    sink.ctx = &r;
    sink.set_state = [](void* ctx, berth_health_state st, const char* detail) {
        auto* self = static_cast<report*>(ctx);
        self->state_set = true;
        self->state = st;
        self->detail = detail == nullptr ? "" : detail;
    };
    sink.add_attribute = [](void*, const char*, const char*) {};
    ASSERT_EQ(api().health_check(plugin_->instance(), &sink), BERTH_OK) << plugin_->last_error();
    EXPECT_TRUE(r.state_set);
    EXPECT_EQ(r.state, BERTH_HEALTH_HEALTHY) << r.detail;  // the runtime is installed here
    EXPECT_FALSE(r.detail.empty());
}

TEST_P(Conformance, OptionsSchemaIsAJsonObjectSchemaWithCommand) {
    const auto schema = json::parse(plugin_->options_schema(), nullptr, false);
    ASSERT_TRUE(schema.is_object()) << plugin_->options_schema();
    EXPECT_EQ(schema.value("type", ""), "object");
    EXPECT_TRUE(schema.contains("properties") && schema["properties"].contains("command"));
}

TEST_P(Conformance, InputReachesTheCommandAndEofEndsIt) {
    ASSERT_TRUE(has(BERTH_CAP_STDIN_EOF)) << "every bundled plugin passes stdin EOF on";
    recorder rec;
    auto* s = open(options({"cat"}), rec);
    ASSERT_TRUE(s);
    EXPECT_EQ(write(s, "conformance-echo\n"), BERTH_OK) << plugin_->last_error();
    EXPECT_TRUE(rec.wait_text("conformance-echo")) << rec.output;
    EXPECT_EQ(api().session_close_stdin(s), BERTH_OK) << plugin_->last_error();
    ASSERT_TRUE(rec.wait_exit()) << "cat did not end after stdin EOF";
    std::lock_guard lock(rec.mutex);
    EXPECT_EQ(rec.status.exit_code, 0) << rec.reason;
    EXPECT_EQ(rec.status.term_signal, 0);
    EXPECT_EQ(rec.status.failed, 0U) << rec.reason;
}

TEST_P(Conformance, ExitCodePassesThroughAndOnExitComesOnceAfterTheLastOutput) {
    recorder rec;
    auto* s = open(options({"sh", "-c", "echo last-words; exit 7"}), rec);
    ASSERT_TRUE(s);
    ASSERT_TRUE(rec.wait_exit());
    // Closing after the end is fine and delivers nothing more.
    EXPECT_EQ(api().session_close(s, 1000), BERTH_OK) << plugin_->last_error();
    std::lock_guard lock(rec.mutex);
    EXPECT_EQ(rec.status.exit_code, 7) << rec.reason;
    EXPECT_EQ(rec.status.term_signal, 0);
    EXPECT_NE(rec.output.find("last-words"), std::string::npos) << rec.output;
    EXPECT_EQ(rec.exits, 1);
    EXPECT_EQ(rec.output_after_exit, 0);
}

TEST_P(Conformance, WriteAfterTheEndIsAStateErrorWithAMessage) {
    recorder rec;
    auto* s = open(options({"true"}), rec);
    ASSERT_TRUE(s);
    ASSERT_TRUE(rec.wait_exit());
    ASSERT_EQ(api().session_close(s, 1000), BERTH_OK);
    EXPECT_EQ(write(s, "too late\n"), BERTH_ERR_STATE);
    EXPECT_FALSE(plugin_->last_error().empty());
}

TEST_P(Conformance, CloseEndsARunningSessionOnceAndIsIdempotent) {
    recorder rec;
    auto* s = open(options({"sleep", "600"}), rec);
    ASSERT_TRUE(s);
    const auto started = std::chrono::steady_clock::now();
    EXPECT_EQ(api().session_close(s, 1000), BERTH_OK) << plugin_->last_error();
    // Bounded by the grace period plus the plugin's own clean-up, not by `sleep 600`.
    EXPECT_LT(std::chrono::steady_clock::now() - started, 60s);
    EXPECT_EQ(api().session_close(s, 1000), BERTH_OK) << plugin_->last_error();
    std::lock_guard lock(rec.mutex);
    ASSERT_EQ(rec.exits, 1) << "close returned before on_exit, or called it twice";
    // Ended by berth: never a clean exit 0.
    EXPECT_TRUE(rec.status.term_signal > 0 || rec.status.exit_code > 128)
        << "exit " << rec.status.exit_code << " signal " << rec.status.term_signal;
}

TEST_P(Conformance, SignalsReachTheCommandAndAKillNeverReadsAsExitZero) {
    ASSERT_TRUE(has(BERTH_CAP_SIGNAL));
    recorder rec;
    auto* s = open(options({"sh", "-c", "echo armed; exec sleep 600"}), rec);
    ASSERT_TRUE(s);
    ASSERT_TRUE(rec.wait_text("armed"));
    EXPECT_EQ(api().session_signal(s, SIGKILL), BERTH_OK) << plugin_->last_error();
    ASSERT_TRUE(rec.wait_exit()) << "SIGKILL did not end the command";
    std::lock_guard lock(rec.mutex);
    // A signal shows as term_signal, or as 128+N where the runtime folds it (lxc-attach, ctr).
    EXPECT_TRUE(rec.status.term_signal == SIGKILL || rec.status.exit_code == 128 + SIGKILL)
        << "exit " << rec.status.exit_code << " signal " << rec.status.term_signal << " "
        << rec.reason;
}

TEST_P(Conformance, ResizeWorksOnATerminalAndIsAStateErrorWithout) {
    ASSERT_TRUE(has(BERTH_CAP_RESIZE) && has(BERTH_CAP_PTY));
    recorder tty;
    auto* t = open(options({"sh", "-c", "echo tty-up; exec sleep 600"}, {{"tty", true}}), tty);
    ASSERT_TRUE(t);
    ASSERT_TRUE(tty.wait_text("tty-up"));
    EXPECT_EQ(api().session_resize(t, 30, 100), BERTH_OK) << plugin_->last_error();
    EXPECT_EQ(api().session_close(t, 1000), BERTH_OK);

    recorder pipes;
    auto* p = open(options({"sleep", "600"}), pipes);
    ASSERT_TRUE(p);
    EXPECT_EQ(api().session_resize(p, 30, 100), BERTH_ERR_STATE);
    EXPECT_FALSE(plugin_->last_error().empty());
    EXPECT_EQ(api().session_close(p, 1000), BERTH_OK);
}

TEST_P(Conformance, AnUnknownOptionIsRefusedByNameAndStartsNothing) {
    recorder rec;
    berth_session_sink sink{};
    sink.struct_size = sizeof sink;
    sink.ctx = &rec;
    sink.on_output = &recorder::on_output;
    sink.on_exit = &recorder::on_exit;
    berth_session* s = nullptr;
    const std::string bad = options({"true"}, {{"no_such_option", 1}});
    EXPECT_EQ(api().session_open(plugin_->instance(), bad.c_str(), &sink, &s),
              BERTH_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(s, nullptr);
    EXPECT_NE(plugin_->last_error().find("no_such_option"), std::string::npos)
        << plugin_->last_error();
    std::lock_guard lock(rec.mutex);
    EXPECT_EQ(rec.exits, 0) << "a refused open must make no callback";
}

INSTANTIATE_TEST_SUITE_P(Plugins, Conformance, ::testing::ValuesIn(cases()), [](const auto& p) {
    std::string name = std::filesystem::path(p.param.file).stem().string();
    for (char& c : name)
        if (std::isalnum(static_cast<unsigned char>(c)) == 0) c = '_';
    return name;
});

}  // namespace
}  // namespace berth::test
