// The smallest useful out-of-tree plugin: it reports its health and refuses sessions. Built by
// tests/packaging/install_test.sh against the installed SDK only.
#include <berth/sdk/plugin.hpp>

namespace {

class oot_plugin final : public berth::sdk::plugin {
public:
    static constexpr berth::sdk::plugin_info k_info{
        "berth-oot", "oot", "0.0.1", "built out of tree against the installed SDK", 0};
    explicit oot_plugin(berth::sdk::host_services host) : host_(std::move(host)) {}

    berth::sdk::health_report health() override {
        return {BERTH_HEALTH_HEALTHY, "built out of tree", {{"sdk_abi", "1"}}};
    }
    std::string_view options_schema() override {
        return R"({"type":"object","properties":{"command":{"type":"array","items":{"type":"string"}}}})";
    }
    // Not virtual: the SDK reads the capability bits off the session class it returns.
    std::unique_ptr<berth::sdk::session> open(std::string_view, berth::sdk::session_sink) {
        throw berth::sdk::error(BERTH_ERR_UNSUPPORTED, "the oot example runs no sessions");
    }

private:
    berth::sdk::host_services host_;
};

}  // namespace

BERTH_PLUGIN(oot_plugin)
