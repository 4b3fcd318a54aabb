#include "protocol.hpp"

namespace berth::mcp {

std::string negotiate_version(const std::string& requested) {
    for (const auto v : k_handshake_versions)
        if (v == requested) return requested;
    return std::string(k_latest_handshake_version);
}

std::optional<std::string> request_meta_version(const nlohmann::json& params) {
    if (!params.is_object()) return std::nullopt;
    const auto meta = params.find("_meta");
    if (meta == params.end() || !meta->is_object()) return std::nullopt;
    const auto v = meta->find(std::string(k_meta_protocol_version));
    if (v == meta->end() || !v->is_string()) return std::nullopt;
    return v->get<std::string>();
}

}  // namespace berth::mcp
