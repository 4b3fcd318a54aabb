// berth_host_create/destroy, the plugin reports and health checks: the C side of host::host.
#include <berth/host.h>
#include <berth/host/discovery.hpp>
#include <berth/host/plugin_library.hpp>

#include <chrono>
#include <memory>
#include <string>

#include "errors.hpp"
#include "handles.hpp"
#include "install_prefix.hpp"

using berth::capi::fail;
using berth::capi::guarded;
namespace bh = berth::host;

namespace {

// Why no plugin could be loaded: where the search looked, and what it found there.
std::string no_plugin_message(const bh::host& h) {
    std::string message =
        "no berth plugin could be loaded; searched " + bh::describe(h.search_dirs());
    const auto reports = h.reports();
    if (reports.empty()) return message + ": no plugin files (*.so) there";
    for (const auto& r : reports)
        message += "; " + r.path.string() + ": " + std::string(bh::to_string(r.state)) +
                   (r.reason.empty() ? "" : " (" + r.reason + ")");
    return message;
}

berth_host_plugin_state state_of(bh::plugin_report::status s) {
    switch (s) {
        case bh::plugin_report::status::loaded:
            return BERTH_HOST_PLUGIN_LOADED;
        case bh::plugin_report::status::rejected:
            return BERTH_HOST_PLUGIN_REJECTED;
        case bh::plugin_report::status::shadowed:
            return BERTH_HOST_PLUGIN_SHADOWED;
        case bh::plugin_report::status::removed:
            return BERTH_HOST_PLUGIN_REMOVED;
    }
    return BERTH_HOST_PLUGIN_REJECTED;
}

const berth_host_plugin_list::row* row_at(const berth_host_plugin_list_t* list, size_t i) {
    return list != nullptr && i < list->rows.size() ? &list->rows[i] : nullptr;
}

}  // namespace

extern "C" {

const char* berth_host_version(void) { return BERTH_HOST_VERSION; }

berth_host_status berth_host_create(const berth_host_options_t* options, berth_host_t** out,
                                    char** errmsg) {
    return guarded(errmsg, [&, fn = __func__] {
        BERTH_CAPI_REQUIRE(errmsg, out);
        berth_host_options defaults;
        defaults.cpp.probe_plugins = true;  // as berth_host_options_create has it
        const berth_host_options& o = options != nullptr ? *options : defaults;
        bh::host_options cpp = o.cpp;
        if (!cpp.install_prefix) cpp.install_prefix = berth::capi::library_install_prefix();
        auto core = std::make_shared<host_core>(o.log, std::move(cpp));
        if (core->host.plugins().empty())
            return fail(errmsg, BERTH_HOST_ERR_NOT_FOUND, no_plugin_message(core->host));
        *out = new berth_host{std::move(core)};
        return BERTH_HOST_OK;
    });
}

void berth_host_destroy(berth_host_t* host) { delete host; }

berth_host_status berth_host_plugins(berth_host_t* host, berth_host_plugin_list_t** out,
                                     char** errmsg) {
    return guarded(errmsg, [&, fn = __func__] {
        BERTH_CAPI_REQUIRE(errmsg, host);
        BERTH_CAPI_REQUIRE(errmsg, out);
        auto list = std::make_unique<berth_host_plugin_list>();
        for (const auto& r : host->core->host.reports()) {
            berth_host_plugin_list::row row;
            row.runtime = r.info.runtime;
            row.name = r.info.name;
            row.version = r.info.version;
            row.path = r.path.string();
            row.capabilities = bh::capability_names(r.info.capabilities);
            row.error = r.reason;
            row.state = state_of(r.state);
            row.abi = static_cast<std::uint32_t>(r.info.abi_major) << 16 | r.info.abi_minor;
            list->rows.push_back(std::move(row));
        }
        *out = list.release();
        return BERTH_HOST_OK;
    });
}

void berth_host_plugin_list_destroy(berth_host_plugin_list_t* list) { delete list; }

size_t berth_host_plugin_list_size(const berth_host_plugin_list_t* list) {
    return list != nullptr ? list->rows.size() : 0;
}

#define BERTH_CAPI_ROW_STRING(field)                                                             \
    const char* berth_host_plugin_list_##field(const berth_host_plugin_list_t* list, size_t i) { \
        const auto* row = row_at(list, i);                                                       \
        return row != nullptr ? row->field.c_str() : "";                                         \
    }
BERTH_CAPI_ROW_STRING(runtime)
BERTH_CAPI_ROW_STRING(name)
BERTH_CAPI_ROW_STRING(version)
BERTH_CAPI_ROW_STRING(path)
BERTH_CAPI_ROW_STRING(capabilities)
BERTH_CAPI_ROW_STRING(error)
#undef BERTH_CAPI_ROW_STRING

berth_host_plugin_state berth_host_plugin_list_state(const berth_host_plugin_list_t* list,
                                                     size_t i) {
    const auto* row = row_at(list, i);
    return row != nullptr ? row->state : BERTH_HOST_PLUGIN_REJECTED;
}

uint32_t berth_host_plugin_list_abi(const berth_host_plugin_list_t* list, size_t i) {
    const auto* row = row_at(list, i);
    return row != nullptr ? row->abi : 0;
}

berth_host_status berth_host_check_health(berth_host_t* host, const char* runtime,
                                          uint32_t timeout_ms, berth_host_health* state,
                                          char** detail, char** errmsg) {
    if (detail != nullptr) *detail = nullptr;
    return guarded(errmsg, [&, fn = __func__] {
        BERTH_CAPI_REQUIRE(errmsg, host);
        BERTH_CAPI_REQUIRE(errmsg, runtime);
        auto plugin = host->core->host.find(runtime);
        if (!plugin)
            return fail(errmsg, BERTH_HOST_ERR_NOT_FOUND,
                        std::string("no loaded plugin for runtime '") + runtime + "'");
        const auto r = plugin->check_health(std::chrono::milliseconds(timeout_ms));
        // health_state and berth_host_health share their numbers (unknown 0 ... undetected 3).
        if (state != nullptr) *state = static_cast<berth_host_health>(r.state);
        if (detail != nullptr) *detail = berth::capi::copy_out(r.detail);
        return BERTH_HOST_OK;
    });
}

}  // extern "C"
