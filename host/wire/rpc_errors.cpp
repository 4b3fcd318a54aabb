#include "rpc_errors.hpp"

#include <algorithm>

namespace berth::wire {
namespace {

const status_entry* entry_for(berth_status status) noexcept {
    const auto* it = std::find_if(std::begin(k_status_table), std::end(k_status_table),
                                  [status](const status_entry& e) { return e.status == status; });
    return it == std::end(k_status_table) ? nullptr : it;
}

}  // namespace

std::string_view status_name(berth_status status) noexcept {
    const auto* e = entry_for(status);
    return e == nullptr ? status_name(BERTH_ERR_INTERNAL) : e->name;
}

std::optional<berth_status> status_from_name(std::string_view name) noexcept {
    for (const auto& e : k_status_table)
        if (e.name == name) return e.status;
    return std::nullopt;
}

int rpc_code_for(berth_status status) noexcept {
    const auto* e = entry_for(status);
    return e == nullptr ? rpc_error::runtime_failure : e->rpc_code;
}

nlohmann::json rpc_error_object(int code, berth_status status, const std::string& message,
                                nlohmann::json data) {
    if (!data.is_object()) data = nlohmann::json::object();
    data["status"] = status_name(status);
    return {{"code", code}, {"message", message}, {"data", std::move(data)}};
}

berth_status status_of_error(const nlohmann::json& error) noexcept {
    if (!error.is_object()) return BERTH_ERR_RUNTIME;
    const auto data = error.find("data");
    if (data == error.end() || !data->is_object()) return BERTH_ERR_RUNTIME;
    const auto status = data->find("status");
    if (status == data->end() || !status->is_string()) return BERTH_ERR_RUNTIME;
    return status_from_name(status->get_ref<const std::string&>()).value_or(BERTH_ERR_RUNTIME);
}

}  // namespace berth::wire
