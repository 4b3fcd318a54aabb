// The library logs through a spdlog of its own, hidden inside it: an embedding program that
// uses the shared libspdlog keeps its default logger, and the host's lines still reach the
// callback.
#include <berth/host.h>
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <string>
#include <vector>

namespace {

void collect(void* user, berth_host_log_level, const char*, const char* message) {
    static_cast<std::vector<std::string>*>(user)->push_back(message);
}

TEST(capi_logging, TheProgramsOwnSpdlogDefaultLoggerIsLeftAlone) {
    const auto before = spdlog::default_logger();
    std::vector<std::string> lines;
    berth_host_options_t* o = nullptr;
    ASSERT_EQ(berth_host_options_create(&o, nullptr), BERTH_HOST_OK);
    ASSERT_EQ(berth_host_options_add_plugin_dir(
                  o, std::filesystem::path(BERTH_LOCAL_PLUGIN).parent_path().c_str(), nullptr),
              BERTH_HOST_OK);
    ASSERT_EQ(
        berth_host_options_set_log_callback(o, &collect, &lines, BERTH_HOST_LOG_DEBUG, nullptr),
        BERTH_HOST_OK);
    berth_host_t* host = nullptr;
    ASSERT_EQ(berth_host_create(o, &host, nullptr), BERTH_HOST_OK);
    berth_host_destroy(host);
    berth_host_options_destroy(o);
    EXPECT_EQ(spdlog::default_logger(), before);
    EXPECT_FALSE(lines.empty()) << "the host logged nothing to the callback";
}

}  // namespace
