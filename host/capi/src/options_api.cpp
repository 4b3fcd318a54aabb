// berth_host_options_*: the C side of host::host_options.
#include <berth/host.h>

#include <memory>
#include <string>

#include "errors.hpp"
#include "handles.hpp"

using berth::capi::fail;
using berth::capi::guarded;

extern "C" {

berth_host_status berth_host_options_create(berth_host_options_t** out, char** errmsg) {
    return guarded(errmsg, [&, fn = __func__] {
        BERTH_CAPI_REQUIRE(errmsg, out);
        auto o = std::make_unique<berth_host_options>();
        // An embedder's process is worth protecting from a plugin that crashes while loading.
        o->cpp.probe_plugins = true;
        *out = o.release();
        return BERTH_HOST_OK;
    });
}

void berth_host_options_destroy(berth_host_options_t* options) { delete options; }

berth_host_status berth_host_options_add_plugin_dir(berth_host_options_t* options, const char* dir,
                                                    char** errmsg) {
    return guarded(errmsg, [&, fn = __func__] {
        BERTH_CAPI_REQUIRE(errmsg, options);
        BERTH_CAPI_REQUIRE(errmsg, dir);
        if (*dir == '\0')
            return fail(errmsg, BERTH_HOST_ERR_INVALID_ARGUMENT,
                        "berth_host_options_add_plugin_dir: dir is empty");
        if (!options->cpp.plugin_dirs) options->cpp.plugin_dirs.emplace();
        options->cpp.plugin_dirs->emplace_back(dir);
        return BERTH_HOST_OK;
    });
}

berth_host_status berth_host_options_set_install_prefix(berth_host_options_t* options,
                                                        const char* prefix, char** errmsg) {
    return guarded(errmsg, [&, fn = __func__] {
        BERTH_CAPI_REQUIRE(errmsg, options);
        BERTH_CAPI_REQUIRE(errmsg, prefix);
        if (*prefix == '\0')
            return fail(errmsg, BERTH_HOST_ERR_INVALID_ARGUMENT,
                        "berth_host_options_set_install_prefix: prefix is empty");
        options->cpp.install_prefix = prefix;
        return BERTH_HOST_OK;
    });
}

berth_host_status berth_host_options_set_probe(berth_host_options_t* options, int enabled,
                                               const char* probe_path, char** errmsg) {
    return guarded(errmsg, [&, fn = __func__] {
        BERTH_CAPI_REQUIRE(errmsg, options);
        options->cpp.probe_plugins = enabled != 0;
        if (probe_path != nullptr)
            options->cpp.probe_path = probe_path;
        else
            options->cpp.probe_path.reset();
        return BERTH_HOST_OK;
    });
}

berth_host_status berth_host_options_set_output_buffer_capacity(berth_host_options_t* options,
                                                                size_t bytes, char** errmsg) {
    return guarded(errmsg, [&, fn = __func__] {
        BERTH_CAPI_REQUIRE(errmsg, options);
        options->cpp.output_buffer_capacity = bytes;
        return BERTH_HOST_OK;
    });
}

berth_host_status berth_host_options_set_log_callback(berth_host_options_t* options,
                                                      berth_host_log_fn callback, void* user,
                                                      berth_host_log_level min_level,
                                                      char** errmsg) {
    return guarded(errmsg, [&, fn = __func__] {
        BERTH_CAPI_REQUIRE(errmsg, options);
        if (min_level < BERTH_HOST_LOG_TRACE || min_level > BERTH_HOST_LOG_CRITICAL)
            return fail(errmsg, BERTH_HOST_ERR_INVALID_ARGUMENT,
                        "berth_host_options_set_log_callback: min_level " +
                            std::to_string(static_cast<int>(min_level)) +
                            " is not a berth_host_log_level (0 to 5)");
        options->log = {callback, user, min_level};
        return BERTH_HOST_OK;
    });
}

}  // extern "C"
