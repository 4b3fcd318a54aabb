// A C++ plugin whose constructor throws: the SDK macro must turn that into a status and
// last_error text, never an exception across the C boundary.
#include <berth/sdk/plugin.hpp>

#include <stdexcept>

namespace {

class throwing_plugin final : public berth::sdk::plugin {
public:
    static constexpr berth::sdk::plugin_info k_info{"berth-throwing", "throwing", "0.0.1",
                                                    "Throws from its constructor", BERTH_CAP_PIPES};
    explicit throwing_plugin(berth::sdk::host_services /*host*/) {
        throw std::runtime_error("boom: cannot reach the fake daemon");
    }
    berth::sdk::health_report health() override { return {}; }
    std::string_view options_schema() override { return "{}"; }
    std::unique_ptr<berth::sdk::session> open(std::string_view /*options*/,
                                              berth::sdk::session_sink /*sink*/) {
        return nullptr;
    }
};

}  // namespace

BERTH_PLUGIN(throwing_plugin)
