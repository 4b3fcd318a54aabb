#include "plugin_json.hpp"

#include <berth/host/plugin_library.hpp>

namespace berth::wire {

nlohmann::json to_json(const host::plugin_report& r) {
    nlohmann::json j = {{"path", r.path.string()},
                        {"status", std::string(host::to_string(r.state))}};
    if (!r.info.runtime.empty()) {
        j["name"] = r.info.name;
        j["runtime"] = r.info.runtime;
        j["version"] = r.info.version;
        j["abi"] = std::to_string(r.info.abi_major) + "." + std::to_string(r.info.abi_minor);
        j["description"] = r.info.description;
        j["capabilities"] = host::capability_list(r.info.capabilities);
    }
    if (!r.reason.empty()) j["reason"] = r.reason;
    return j;
}

}  // namespace berth::wire
