// What BERTH_PLUGIN's function table does with a plugin class, without loading a library:
// optional slots and capability bits appear only for classes that implement them, and
// exceptions become a status plus last_error().
#include <gtest/gtest.h>
#include <berth/sdk/plugin.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

namespace berth::sdk {
namespace {

// A session class that implements only what every session must.
class minimal_session final : public session {
public:
    void write(std::span<const std::uint8_t>) override {}
    void close(std::chrono::milliseconds) override {}
};

// One that also takes signals and has a target and a terminal.
class signalling_session final : public session {
public:
    void write(std::span<const std::uint8_t>) override {}
    void signal(int) override {}
    void close(std::chrono::milliseconds) override {}
    [[nodiscard]] const std::string& target() const override { return target_; }
    [[nodiscard]] bool tty() const override { return true; }

private:
    std::string target_ = "box-1";
};

// The smallest plugin: no sessions, always healthy.
class plain_plugin : public plugin {
public:
    static constexpr plugin_info k_info{"berth-plain", "plain", "0.0.1", "test", BERTH_CAP_PIPES};
    explicit plain_plugin(host_services host) : host_(std::move(host)) {}
    health_report health() override { return {BERTH_HEALTH_HEALTHY, "fine", {}}; }
    std::string_view options_schema() override { return R"({"type":"object"})"; }
    std::unique_ptr<minimal_session> open(std::string_view, session_sink) {
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

class signalling_plugin final : public plugin {
public:
    static constexpr plugin_info k_info{"berth-sig", "sig", "0.0.1", "test", BERTH_CAP_EXEC};
    explicit signalling_plugin(host_services) {}
    health_report health() override { return {}; }
    // Built at run time: the host must get a NUL-terminated copy, not a view's data().
    std::string_view options_schema() override {
        schema_ = R"({"type":"object"})";
        return std::string_view(schema_).substr(0, 10);
    }
    std::unique_ptr<signalling_session> open(std::string_view, session_sink) {
        return std::make_unique<signalling_session>();
    }

private:
    std::string schema_;
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

TEST(PluginExporter, CapabilitiesAndSlotsFollowTheSessionClass) {
    const auto* plain = detail::exporter<plain_plugin>::descriptor();
    EXPECT_EQ(plain->capabilities, BERTH_CAP_PIPES);
    EXPECT_EQ(plain->api->session_signal, nullptr);
    EXPECT_EQ(plain->api->session_resize, nullptr);
    EXPECT_EQ(plain->api->session_close_stdin, nullptr);

    const auto* sig = detail::exporter<signalling_plugin>::descriptor();
    EXPECT_EQ(sig->capabilities, BERTH_CAP_EXEC | BERTH_CAP_SIGNAL);
    EXPECT_NE(sig->api->session_signal, nullptr);
    EXPECT_EQ(sig->api->session_resize, nullptr);
}

TEST(PluginExporter, SessionInfoFillsOnlyWhatTheHostsStructHolds) {
    const auto* api = detail::exporter<signalling_plugin>::api();
    berth_plugin* p = create<signalling_plugin>(nullptr);
    berth_session_sink sink{};
    sink.struct_size = sizeof sink;
    berth_session* s = nullptr;
    ASSERT_EQ(api->session_open(p, "{}", &sink, &s), BERTH_OK);

    berth_session_info info{};
    info.struct_size = sizeof info;
    ASSERT_EQ(api->session_info(s, &info), BERTH_OK);
    EXPECT_STREQ(info.target, "box-1");
    EXPECT_EQ(info.tty, 1U);
    EXPECT_EQ(info.struct_size, sizeof info);

    // A host whose struct ends before `tty` gets the target and nothing past its size.
    berth_session_info older{};
    older.struct_size = offsetof(berth_session_info, tty);
    older.tty = 7;
    ASSERT_EQ(api->session_info(s, &older), BERTH_OK);
    EXPECT_STREQ(older.target, "box-1");
    EXPECT_EQ(older.tty, 7U);
    api->session_destroy(s);
    api->destroy(p);
}

TEST(PluginExporter, TheSchemaIsANulTerminatedCopy) {
    const auto* api = detail::exporter<signalling_plugin>::api();
    berth_plugin* p = create<signalling_plugin>(nullptr);
    EXPECT_STREQ(api->options_schema(p), R"({"type":"o)");
    api->destroy(p);
}

TEST(PluginExporter, DescriptorCarriesTheCurrentAbiVersion) {
    const auto* d = detail::exporter<plain_plugin>::descriptor();
    EXPECT_EQ(d->abi_major, BERTH_ABI_VERSION_MAJOR);
    EXPECT_EQ(d->abi_minor, BERTH_ABI_VERSION_MINOR);
    EXPECT_STREQ(d->runtime, "plain");
}

}  // namespace
}  // namespace berth::sdk
