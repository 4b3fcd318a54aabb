// `berth plugin ls` and `berth plugin info`.
#include <berth/host/plugin_library.hpp>

#include <algorithm>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "plugin_json.hpp"

namespace berth::cli {
namespace {
using json = nlohmann::json;

std::string abi_of(const host::plugin_descriptor_info& i) {
    return std::to_string(i.abi_major) + "." + std::to_string(i.abi_minor);
}

json report_json(const host::plugin_report& r) { return wire::to_json(r); }

}  // namespace

int plugin_ls(const host::host& h, output_format format) {
    if (format == output_format::json) {
        json out = json::array();
        for (const auto& r : h.reports()) out.push_back(report_json(r));  // one snapshot
        std::cout << out.dump(2) << "\n";
        return 0;
    }
    const auto reports = h.reports();
    // As wide as the longest capability list, so the paths line up whatever a plugin claims.
    std::size_t caps_width = 14;
    for (const auto& r : reports)
        caps_width = std::max(caps_width, host::capability_names(r.info.capabilities).size() + 2);
    const auto caps_w = static_cast<int>(caps_width);
    std::cout << std::left << std::setw(12) << "RUNTIME" << std::setw(20) << "NAME" << std::setw(10)
              << "VERSION" << std::setw(6) << "ABI" << std::setw(caps_w) << "CAPABILITIES"
              << "PATH\n";
    for (const auto& r : reports) {
        if (r.state != host::plugin_report::status::loaded) continue;
        std::cout << std::left << std::setw(12) << r.info.runtime << std::setw(20) << r.info.name
                  << std::setw(10) << r.info.version << std::setw(6) << abi_of(r.info)
                  << std::setw(caps_w) << host::capability_names(r.info.capabilities)
                  << r.path.string() << "\n";
    }
    bool header = false;
    for (const auto& r : reports) {
        if (r.state == host::plugin_report::status::loaded) continue;
        if (!header) std::cout << "\nnot loaded:\n";
        header = true;
        std::cout << "  " << r.path.string() << ": " << host::to_string(r.state) << ": " << r.reason
                  << "\n";
    }
    return 0;
}

int plugin_info(const host::host& h, const std::string& name, output_format format) {
    const auto reports = h.reports();
    const host::plugin_report* found = nullptr;
    for (const auto& r : reports) {
        if (r.info.runtime == name || r.info.name == name || r.path.string() == name ||
            r.path.filename().string() == name) {
            found = &r;
            if (r.state == host::plugin_report::status::loaded) break;
        }
    }
    if (found == nullptr) {
        std::cerr << "berth: no plugin named '" << name << "' (see `berth plugin ls`)\n";
        return 1;
    }
    const auto plugin =
        found->state == host::plugin_report::status::loaded ? h.find(found->info.runtime) : nullptr;
    json schema = json::object();
    if (plugin) schema = json::parse(plugin->options_schema(), nullptr, false);
    if (format == output_format::json) {
        json j = report_json(*found);
        if (plugin) j["options_schema"] = schema;
        std::cout << j.dump(2) << "\n";
        return 0;
    }
    const auto& i = found->info;
    std::cout << "path:         " << found->path.string() << "\n"
              << "status:       " << host::to_string(found->state) << "\n";
    if (!found->reason.empty()) std::cout << "reason:       " << found->reason << "\n";
    if (!i.runtime.empty()) {
        std::cout << "name:         " << i.name << "\n"
                  << "runtime:      " << i.runtime << "\n"
                  << "version:      " << i.version << "\n"
                  << "abi:          " << abi_of(i) << "\n"
                  << "description:  " << i.description << "\n"
                  << "capabilities: " << host::capability_names(i.capabilities) << "\n";
    }
    if (plugin && schema.is_object() && schema.contains("properties")) {
        std::cout << "options:\n";
        const json required = schema.value("required", json::array());
        for (const auto& [key, prop] : schema["properties"].items()) {
            std::string type = prop.value("type", "");
            if (type == "array")
                type += " of " + prop.value("items", json::object()).value("type", "");
            bool req = false;
            for (const auto& r : required) req = req || r == key;
            std::cout << "  " << std::left << std::setw(18) << key << std::setw(18) << type
                      << (req ? "(required) " : "") << prop.value("description", "") << "\n";
        }
    }
    return 0;
}

}  // namespace berth::cli
