// What BERTH_PLUGIN's function table does with a plugin class, without loading a library:
// optional ABI 1.1 slots appear only for classes that implement them, and exceptions become a
// status plus last_error().
#include <gtest/gtest.h>
#include <berth/sdk/plugin.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace berth::sdk {
namespace {

// The smallest plugin: no sessions, always healthy.
class plain_plugin : public plugin {
public:
    static constexpr plugin_info k_info{"berth-plain", "plain", "0.0.1", "test", BERTH_CAP_PIPES};
    explicit plain_plugin(host_services host) : host_(std::move(host)) {}
    health_report health() override { return {BERTH_HEALTH_HEALTHY, "fine", {}}; }
    std::string_view options_schema() override { return R"({"type":"object"})"; }
    std::unique_ptr<session> open(std::string_view, session_sink) override {
        throw error(BERTH_ERR_UNSUPPORTED, "no sessions here");
    }

protected:
    host_services host_;
};

// Removes two containers of its owner "o-two"; for any other owner it removes one and fails.
class reclaiming_plugin final : public plain_plugin {
public:
    using plain_plugin::plain_plugin;
    void reclaim_owned(std::uint32_t& removed) {
        ++removed;
        if (host_.owner() != "o-two") throw error(BERTH_ERR_RUNTIME, "c2 is busy: remove by hand");
        ++removed;
    }
};

template <typename T>
berth_plugin* create(const char* owner) {
    berth_host_services host{};
    host.struct_size = sizeof host;
    host.owner = owner;
    berth_plugin* p = nullptr;
    EXPECT_EQ(detail::exporter<T>::api()->create(&host, &p), BERTH_OK);
    return p;
}

TEST(PluginExporter, ReclaimSlotIsNullForAPluginWithoutIt) {
    EXPECT_EQ(detail::exporter<plain_plugin>::api()->reclaim_owned, nullptr);
    EXPECT_NE(detail::exporter<reclaiming_plugin>::api()->reclaim_owned, nullptr);
}

TEST(PluginExporter, ReclaimSeesTheHostsOwnerAndReportsItsCount) {
    const auto* api = detail::exporter<reclaiming_plugin>::api();
    berth_plugin* p = create<reclaiming_plugin>("o-two");
    std::uint32_t removed = 99;
    EXPECT_EQ(api->reclaim_owned(p, &removed), BERTH_OK);
    EXPECT_EQ(removed, 2U);
    api->destroy(p);
}

TEST(PluginExporter, AFailedReclaimKeepsThePartialCountAndSaysWhy) {
    const auto* api = detail::exporter<reclaiming_plugin>::api();
    berth_plugin* p = create<reclaiming_plugin>("o-other");
    std::uint32_t removed = 99;
    EXPECT_EQ(api->reclaim_owned(p, &removed), BERTH_ERR_RUNTIME);
    EXPECT_EQ(removed, 1U);
    EXPECT_EQ(std::string(api->last_error(p)), "c2 is busy: remove by hand");
    api->destroy(p);
}

TEST(PluginExporter, AnOlderHostWithoutTheOwnerFieldReadsAsNoOwner) {
    // An ABI 1.0 host's struct ends before `owner`: the field must not be read, whatever
    // lies there.
    berth_host_services host{};
    host.struct_size = offsetof(berth_host_services, owner);
    host.owner = "would-be-read-past-the-size";
    const host_services copied(&host);
    EXPECT_EQ(copied.owner(), "");
}

TEST(PluginExporter, DescriptorCarriesTheCurrentAbiVersion) {
    const auto* d = detail::exporter<plain_plugin>::descriptor();
    EXPECT_EQ(d->abi_major, BERTH_ABI_VERSION_MAJOR);
    EXPECT_EQ(d->abi_minor, BERTH_ABI_VERSION_MINOR);
    EXPECT_STREQ(d->runtime, "plain");
}

}  // namespace
}  // namespace berth::sdk
