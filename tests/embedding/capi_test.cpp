// The C API of libberth-host.so.1 (berth/host.h), in the build tree: sessions through the local
// plugin, errors that name the problem, and logs that reach the callback and nothing else.
#include <berth/host.h>
#include <gtest/gtest.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

// A fresh directory under the test's temporary dir, removed at the end.
class temp_dir {
public:
    temp_dir() {
        path_ = fs::temp_directory_path() /
                ("berth-capi-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++));
        fs::create_directories(path_);
    }
    ~temp_dir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    [[nodiscard]] const fs::path& path() const { return path_; }

private:
    static inline int counter_ = 0;
    fs::path path_;
};

std::string take(char* s) {
    std::string out = s != nullptr ? s : "";
    berth_host_free(s);
    return out;
}

// A directory holding a copy of the local plugin and nothing else (the build's plugin
// directory holds every plugin built), for the whole run.
const fs::path& local_plugin_dir() {
    static const temp_dir dir;
    static const bool copied = fs::copy_file(BERTH_LOCAL_PLUGIN, dir.path() / "local.so");
    EXPECT_TRUE(copied);
    return dir.path();
}

// Options whose only plugin directory holds the local plugin.
berth_host_options_t* local_only() {
    berth_host_options_t* o = nullptr;
    EXPECT_EQ(berth_host_options_create(&o, nullptr), BERTH_HOST_OK);
    EXPECT_EQ(berth_host_options_add_plugin_dir(o, local_plugin_dir().c_str(), nullptr),
              BERTH_HOST_OK);
    return o;
}

struct capi_host : ::testing::Test {
    void SetUp() override {
        berth_host_options_t* o = local_only();
        char* err = nullptr;
        ASSERT_EQ(berth_host_create(o, &host, &err), BERTH_HOST_OK) << take(err);
        berth_host_options_destroy(o);
    }
    void TearDown() override { berth_host_destroy(host); }

    berth_host_session_t* open(std::vector<const char*> argv) {
        argv.push_back(nullptr);
        berth_host_session_t* s = nullptr;
        char* err = nullptr;
        EXPECT_EQ(berth_host_session_open(host, "local", nullptr, argv.data(), &s, &err),
                  BERTH_HOST_OK)
            << take(err);
        return s;
    }

    berth_host_t* host = nullptr;
};

TEST_F(capi_host, ReadsOutputByCursorAndTheExitCode) {
    auto* s = open({"sh", "-c", "echo hi; echo there; exit 3"});
    ASSERT_NE(s, nullptr);
    std::string out;
    std::uint64_t cursor = 0;
    char buf[3];  // small: the cursor has to carry the reads on
    for (int i = 0; i < 200; ++i) {
        size_t n = 0;
        std::uint64_t next = 0, dropped = 0;
        char* err = nullptr;
        ASSERT_EQ(
            berth_host_session_read(s, cursor, buf, sizeof buf, 100, &n, &next, &dropped, &err),
            BERTH_HOST_OK)
            << take(err);
        EXPECT_EQ(dropped, 0u);
        out.append(buf, n);
        cursor = next;
        if (n == 0 && berth_host_session_wait_exit(s, 0, nullptr) == BERTH_HOST_OK) break;
    }
    EXPECT_EQ(out, "hi\nthere\n");
    EXPECT_EQ(cursor, out.size());
    ASSERT_EQ(berth_host_session_wait_exit(s, 10000, nullptr), BERTH_HOST_OK);
    berth_host_session_state state{};
    int code = 0, sig = -1;
    char* reason = nullptr;
    ASSERT_EQ(berth_host_session_status(s, &state, &code, &sig, &reason, nullptr), BERTH_HOST_OK);
    berth_host_free(reason);
    EXPECT_EQ(state, BERTH_HOST_SESSION_EXITED);
    EXPECT_EQ(code, 3);
    EXPECT_EQ(sig, 0);
    berth_host_session_destroy(s);
}

TEST_F(capi_host, WaitsForAPatternThenASigtermIsSignal15) {
    auto* s = open({"sh", "-c", "echo starting; sleep 0.2; echo ready-42; exec sleep 30"});
    ASSERT_NE(s, nullptr);
    berth_host_wait_outcome outcome{};
    char* match = nullptr;
    std::uint64_t next = 0;
    char* err = nullptr;
    ASSERT_EQ(
        berth_host_session_wait_for(s, "ready-[0-9]+", 0, 10000, &outcome, &match, &next, &err),
        BERTH_HOST_OK)
        << take(err);
    EXPECT_EQ(outcome, BERTH_HOST_WAIT_MATCHED);
    EXPECT_EQ(take(match), "ready-42");
    EXPECT_EQ(next, std::string("starting\nready-42").size());

    // Nothing more comes: a wait from past the match times out, the session still runs.
    ASSERT_EQ(
        berth_host_session_wait_for(s, "ready", next, 100, &outcome, nullptr, nullptr, nullptr),
        BERTH_HOST_OK);
    EXPECT_EQ(outcome, BERTH_HOST_WAIT_TIMEOUT);

    ASSERT_EQ(berth_host_session_signal(s, SIGTERM, &err), BERTH_HOST_OK) << take(err);
    ASSERT_EQ(berth_host_session_wait_exit(s, 10000, &err), BERTH_HOST_OK) << take(err);
    berth_host_session_state state{};
    int code = 0, sig = 0;
    ASSERT_EQ(berth_host_session_status(s, &state, &code, &sig, nullptr, nullptr), BERTH_HOST_OK);
    EXPECT_EQ(state, BERTH_HOST_SESSION_EXITED);
    EXPECT_EQ(code, -1) << "a command killed by a signal has no exit code";
    EXPECT_EQ(sig, SIGTERM);
    berth_host_session_destroy(s);
}

TEST_F(capi_host, WritesToStdinAndClosesIt) {
    auto* s = open({"sh", "-c", "read line; echo got-$line; cat; echo eof"});
    ASSERT_NE(s, nullptr);
    char* err = nullptr;
    ASSERT_EQ(berth_host_session_write(s, "abc\n", 4, &err), BERTH_HOST_OK) << take(err);
    ASSERT_EQ(berth_host_session_close_input(s, &err), BERTH_HOST_OK) << take(err);
    berth_host_wait_outcome outcome{};
    ASSERT_EQ(
        berth_host_session_wait_for(s, "got-abc\neof", 0, 10000, &outcome, nullptr, nullptr, &err),
        BERTH_HOST_OK)
        << take(err);
    EXPECT_EQ(outcome, BERTH_HOST_WAIT_MATCHED);
    ASSERT_EQ(berth_host_session_wait_exit(s, 10000, nullptr), BERTH_HOST_OK);
    // Input after the end is the caller's mistake, and says so.
    EXPECT_EQ(berth_host_session_write(s, "x", 1, &err), BERTH_HOST_ERR_STATE);
    EXPECT_NE(take(err), "");
    berth_host_session_destroy(s);
}

TEST_F(capi_host, ResizesASessionOnATerminal) {
    const char* argv[] = {"sh", "-c", "read go; stty size", nullptr};
    berth_host_session_t* s = nullptr;
    char* err = nullptr;
    ASSERT_EQ(berth_host_session_open(host, "local", R"({"tty":true})", argv, &s, &err),
              BERTH_HOST_OK)
        << take(err);
    ASSERT_EQ(berth_host_session_resize(s, 40, 100, &err), BERTH_HOST_OK) << take(err);
    ASSERT_EQ(berth_host_session_write(s, "go\n", 3, &err), BERTH_HOST_OK) << take(err);
    berth_host_wait_outcome outcome{};
    char* match = nullptr;
    ASSERT_EQ(
        berth_host_session_wait_for(s, "[0-9]+ [0-9]+", 0, 10000, &outcome, &match, nullptr, &err),
        BERTH_HOST_OK)
        << take(err);
    EXPECT_EQ(outcome, BERTH_HOST_WAIT_MATCHED);
    EXPECT_EQ(take(match), "40 100");
    EXPECT_EQ(berth_host_session_resize(s, 0, 100, &err), BERTH_HOST_ERR_INVALID_ARGUMENT);
    EXPECT_NE(take(err).find("between 1 and 65535"), std::string::npos);
    berth_host_session_destroy(s);
}

TEST_F(capi_host, CloseEndsARunningSession) {
    auto* s = open({"sleep", "30"});
    ASSERT_NE(s, nullptr);
    char* err = nullptr;
    ASSERT_EQ(berth_host_session_close(s, 2000, &err), BERTH_HOST_OK) << take(err);
    berth_host_session_state state{};
    ASSERT_EQ(berth_host_session_status(s, &state, nullptr, nullptr, nullptr, nullptr),
              BERTH_HOST_OK);
    EXPECT_EQ(state, BERTH_HOST_SESSION_CLOSED);
    berth_host_session_destroy(s);
}

TEST_F(capi_host, AnUnknownRuntimeIsNotFoundAndNamesWhatThereIs) {
    const char* argv[] = {"true", nullptr};
    berth_host_session_t* s = nullptr;
    char* err = nullptr;
    EXPECT_EQ(berth_host_session_open(host, "nope", nullptr, argv, &s, &err),
              BERTH_HOST_ERR_NOT_FOUND);
    EXPECT_EQ(s, nullptr);
    const auto message = take(err);
    EXPECT_NE(message.find("unknown runtime 'nope'"), std::string::npos) << message;
    EXPECT_NE(message.find("local"), std::string::npos) << message;
}

TEST_F(capi_host, AMissingCommandKeepsItsOwnCode) {
    const char* argv[] = {"/nonexistent/cmd", nullptr};
    berth_host_session_t* s = nullptr;
    char* err = nullptr;
    EXPECT_EQ(berth_host_session_open(host, "local", nullptr, argv, &s, &err),
              BERTH_HOST_ERR_COMMAND_NOT_FOUND);
    EXPECT_NE(take(err).find("/nonexistent/cmd"), std::string::npos);
    // The host is none the worse: the next session opens.
    s = open({"true"});
    EXPECT_NE(s, nullptr);
    berth_host_session_destroy(s);
}

TEST_F(capi_host, BadOptionsAndPatternsAreInvalidArguments) {
    const char* argv[] = {"true", nullptr};
    berth_host_session_t* s = nullptr;
    char* err = nullptr;
    EXPECT_EQ(berth_host_session_open(host, "local", "{not json", argv, &s, &err),
              BERTH_HOST_ERR_INVALID_ARGUMENT);
    EXPECT_NE(take(err).find("options_json is not valid JSON"), std::string::npos);
    EXPECT_EQ(berth_host_session_open(host, "local", R"({"no_such_option":1})", argv, &s, &err),
              BERTH_HOST_ERR_INVALID_ARGUMENT);
    EXPECT_NE(take(err).find("no_such_option"), std::string::npos);

    s = open({"true"});
    ASSERT_NE(s, nullptr);
    berth_host_wait_outcome outcome{};
    EXPECT_EQ(berth_host_session_wait_for(s, "(unclosed", 0, 10, &outcome, nullptr, nullptr, &err),
              BERTH_HOST_ERR_INVALID_ARGUMENT);
    EXPECT_NE(take(err).find("invalid pattern '(unclosed'"), std::string::npos);
    berth_host_session_destroy(s);
}

TEST_F(capi_host, ListsPluginsAndChecksHealth) {
    berth_host_plugin_list_t* list = nullptr;
    ASSERT_EQ(berth_host_plugins(host, &list, nullptr), BERTH_HOST_OK);
    ASSERT_EQ(berth_host_plugin_list_size(list), 1u);
    EXPECT_STREQ(berth_host_plugin_list_runtime(list, 0), "local");
    EXPECT_STREQ(berth_host_plugin_list_name(list, 0), "berth-local");
    EXPECT_EQ(berth_host_plugin_list_state(list, 0), BERTH_HOST_PLUGIN_LOADED);
    EXPECT_STREQ(berth_host_plugin_list_error(list, 0), "");
    EXPECT_EQ(fs::path(berth_host_plugin_list_path(list, 0)), local_plugin_dir() / "local.so");
    EXPECT_NE(std::string(berth_host_plugin_list_capabilities(list, 0)).find("pipes"),
              std::string::npos);
    EXPECT_EQ(berth_host_plugin_list_abi(list, 0) >> 16, 1u);
    EXPECT_NE(std::string(berth_host_plugin_list_version(list, 0)), "");
    berth_host_plugin_list_destroy(list);

    berth_host_health state{};
    char* detail = nullptr;
    char* err = nullptr;
    ASSERT_EQ(berth_host_check_health(host, "local", 10000, &state, &detail, &err), BERTH_HOST_OK)
        << take(err);
    berth_host_free(detail);
    EXPECT_EQ(state, BERTH_HOST_HEALTH_HEALTHY);
    EXPECT_EQ(berth_host_check_health(host, "nope", 10000, &state, nullptr, &err),
              BERTH_HOST_ERR_NOT_FOUND);
    EXPECT_NE(take(err).find("'nope'"), std::string::npos);
}

TEST(capi, ASessionKeepsItsHostAlive) {
    berth_host_options_t* o = local_only();
    berth_host_t* host = nullptr;
    ASSERT_EQ(berth_host_create(o, &host, nullptr), BERTH_HOST_OK);
    berth_host_options_destroy(o);
    const char* argv[] = {"sh", "-c", "echo late", nullptr};
    berth_host_session_t* s = nullptr;
    ASSERT_EQ(berth_host_session_open(host, "local", nullptr, argv, &s, nullptr), BERTH_HOST_OK);
    berth_host_destroy(host);
    ASSERT_EQ(berth_host_session_wait_exit(s, 10000, nullptr), BERTH_HOST_OK);
    char buf[64];
    size_t n = 0;
    ASSERT_EQ(berth_host_session_read(s, 0, buf, sizeof buf, 0, &n, nullptr, nullptr, nullptr),
              BERTH_HOST_OK);
    EXPECT_EQ(std::string(buf, n), "late\n");
    berth_host_session_destroy(s);
}

TEST(capi, NoPluginInTheGivenDirectoriesNamesThem) {
    temp_dir empty;
    berth_host_options_t* o = nullptr;
    ASSERT_EQ(berth_host_options_create(&o, nullptr), BERTH_HOST_OK);
    ASSERT_EQ(berth_host_options_add_plugin_dir(o, empty.path().c_str(), nullptr), BERTH_HOST_OK);
    berth_host_t* host = nullptr;
    char* err = nullptr;
    EXPECT_EQ(berth_host_create(o, &host, &err), BERTH_HOST_ERR_NOT_FOUND);
    EXPECT_EQ(host, nullptr);
    const auto message = take(err);
    EXPECT_NE(message.find("no berth plugin could be loaded"), std::string::npos) << message;
    EXPECT_NE(message.find(empty.path().string()), std::string::npos) << message;
    berth_host_options_destroy(o);
}

// The standard search, with no plugin anywhere: the message names the install's directory and
// the system ones it looked in.
TEST(capi, NoPluginInTheStandardSearchNamesItsDirectories) {
    temp_dir prefix, system;
    ::setenv("BERTH_PLUGIN_SYSTEM_PATH", system.path().c_str(), 1);
    ::unsetenv("BERTH_PLUGIN_PATH");
    berth_host_options_t* o = nullptr;
    ASSERT_EQ(berth_host_options_create(&o, nullptr), BERTH_HOST_OK);
    ASSERT_EQ(berth_host_options_set_install_prefix(o, prefix.path().c_str(), nullptr),
              BERTH_HOST_OK);
    berth_host_t* host = nullptr;
    char* err = nullptr;
    EXPECT_EQ(berth_host_create(o, &host, &err), BERTH_HOST_ERR_NOT_FOUND);
    ::unsetenv("BERTH_PLUGIN_SYSTEM_PATH");
    const auto message = take(err);
    EXPECT_NE(message.find((prefix.path() / "lib/berth/plugins").string() +
                           " (the directory beside the binary)"),
              std::string::npos)
        << message;
    EXPECT_NE(message.find(system.path().string() + " (BERTH_PLUGIN_SYSTEM_PATH)"),
              std::string::npos)
        << message;
    berth_host_options_destroy(o);
}

// With no options at all the library finds the plugins of the install it lies in: here the
// build tree, which mirrors one (lib/berth/plugins beside lib/libberth-host.so.1).
TEST(capi, DefaultsFindThePluginsBesideTheLibrary) {
    ::setenv("BERTH_PLUGIN_SYSTEM_PATH", "", 1);
    ::unsetenv("BERTH_PLUGIN_PATH");
    berth_host_t* host = nullptr;
    char* err = nullptr;
    ASSERT_EQ(berth_host_create(nullptr, &host, &err), BERTH_HOST_OK) << take(err);
    ::unsetenv("BERTH_PLUGIN_SYSTEM_PATH");
    const char* argv[] = {"true", nullptr};
    berth_host_session_t* s = nullptr;
    EXPECT_EQ(berth_host_session_open(host, "local", nullptr, argv, &s, &err), BERTH_HOST_OK)
        << take(err);
    berth_host_session_destroy(s);
    berth_host_destroy(host);
}

struct log_lines {
    std::mutex mutex;
    std::vector<std::string> lines;
    static void collect(void* user, berth_host_log_level level, const char* logger,
                        const char* message) {
        auto* self = static_cast<log_lines*>(user);
        std::lock_guard lock(self->mutex);
        self->lines.push_back(std::to_string(level) + " " + logger + ": " + message);
    }
};

// A plugin directory with a file that is no plugin (rejected, with a warning) beside local.
struct noisy_dir {
    noisy_dir() {
        fs::copy_file(BERTH_LOCAL_PLUGIN, dir.path() / "local.so");
        std::ofstream(dir.path() / "junk.so") << "not an ELF file";
    }
    temp_dir dir;
};

TEST(capi, LogsGoToTheCallbackAndNothingToStdoutOrStderr) {
    noisy_dir plugins;
    log_lines logs;
    berth_host_options_t* o = nullptr;
    ASSERT_EQ(berth_host_options_create(&o, nullptr), BERTH_HOST_OK);
    ASSERT_EQ(berth_host_options_add_plugin_dir(o, plugins.dir.path().c_str(), nullptr),
              BERTH_HOST_OK);
    ASSERT_EQ(berth_host_options_set_log_callback(o, &log_lines::collect, &logs,
                                                  BERTH_HOST_LOG_DEBUG, nullptr),
              BERTH_HOST_OK);
    testing::internal::CaptureStdout();
    testing::internal::CaptureStderr();
    berth_host_t* host = nullptr;
    const auto created = berth_host_create(o, &host, nullptr);
    const char* argv[] = {"true", nullptr};
    berth_host_session_t* s = nullptr;
    const auto opened = berth_host_session_open(host, "local", nullptr, argv, &s, nullptr);
    const auto ended = berth_host_session_wait_exit(s, 10000, nullptr);
    berth_host_session_destroy(s);
    berth_host_destroy(host);
    const auto out = testing::internal::GetCapturedStdout();
    const auto err = testing::internal::GetCapturedStderr();
    berth_host_options_destroy(o);
    EXPECT_EQ(created, BERTH_HOST_OK);
    EXPECT_EQ(opened, BERTH_HOST_OK);
    EXPECT_EQ(ended, BERTH_HOST_OK);
    EXPECT_EQ(out, "");
    EXPECT_EQ(err, "");
    std::lock_guard lock(logs.mutex);
    bool rejected = false, loaded = false;
    for (const auto& l : logs.lines) {
        rejected = rejected || (l.rfind("3 berth: plugin ", 0) == 0 &&
                                l.find("junk.so rejected") != std::string::npos);
        loaded = loaded || l.find("local.so loaded") != std::string::npos;
    }
    EXPECT_TRUE(rejected && loaded) << ::testing::PrintToString(logs.lines);
}

TEST(capi, WithoutACallbackLogsAreDropped) {
    noisy_dir plugins;
    berth_host_options_t* o = nullptr;
    ASSERT_EQ(berth_host_options_create(&o, nullptr), BERTH_HOST_OK);
    ASSERT_EQ(berth_host_options_add_plugin_dir(o, plugins.dir.path().c_str(), nullptr),
              BERTH_HOST_OK);
    testing::internal::CaptureStdout();
    testing::internal::CaptureStderr();
    berth_host_t* host = nullptr;
    const auto created = berth_host_create(o, &host, nullptr);
    berth_host_destroy(host);
    const auto out = testing::internal::GetCapturedStdout();
    const auto err = testing::internal::GetCapturedStderr();
    berth_host_options_destroy(o);
    EXPECT_EQ(created, BERTH_HOST_OK);
    EXPECT_EQ(out, "");
    EXPECT_EQ(err, "");
}

// The probe the options name is used instead of the install's; one that is not there is
// said (to the callback) and the plugins are loaded without it.
TEST(capi, AProbeThatIsNotThereIsLoggedAndPluginsStillLoad) {
    log_lines logs;
    berth_host_options_t* o = local_only();
    ASSERT_EQ(berth_host_options_set_probe(o, 1, "/nonexistent/berth-plugin-probe", nullptr),
              BERTH_HOST_OK);
    ASSERT_EQ(berth_host_options_set_log_callback(o, &log_lines::collect, &logs,
                                                  BERTH_HOST_LOG_WARN, nullptr),
              BERTH_HOST_OK);
    berth_host_t* host = nullptr;
    char* err = nullptr;
    ASSERT_EQ(berth_host_create(o, &host, &err), BERTH_HOST_OK) << take(err);
    berth_host_destroy(host);
    berth_host_options_destroy(o);
    std::lock_guard lock(logs.mutex);
    bool said = false;
    for (const auto& l : logs.lines)
        said = said || l.find("not found (/nonexistent/berth-plugin-probe)") != std::string::npos;
    EXPECT_TRUE(said) << ::testing::PrintToString(logs.lines);
}

TEST(capi, NullArgumentsAreNamed) {
    char* err = nullptr;
    EXPECT_EQ(berth_host_create(nullptr, nullptr, &err), BERTH_HOST_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(take(err), "berth_host_create: out is NULL");
    EXPECT_EQ(berth_host_session_signal(nullptr, SIGTERM, &err), BERTH_HOST_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(take(err), "berth_host_session_signal: session is NULL");
}

}  // namespace
