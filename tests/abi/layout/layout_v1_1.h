/*
 * ABI 1.1 as released (tests/abi/v1_1/berth/plugin.h): all of 1.0, unchanged, plus what 1.1
 * appended. Rows as in layout_v1_0.h.
 */
#ifndef BERTH_ABI_LAYOUT_V1_1_H
#define BERTH_ABI_LAYOUT_V1_1_H

#include "layout_v1_0.h"

#define BERTH_ABI_V1_1_FIELDS(FIRST, NEXT)                    \
    BERTH_ABI_V1_0_FIELDS(FIRST, NEXT)                        \
    NEXT(berth_host_services, metric, owner, 32, const char*) \
    NEXT(berth_plugin_api, session_pid, reclaim_owned, 112,   \
         berth_status (*)(berth_plugin*, uint32_t*))

/* The structs 1.1 grew end at their new last field; the others are as in 1.0. */
#define BERTH_ABI_V1_1_SIZES(SIZE)                \
    SIZE(1, berth_host_services, owner, 40)       \
    SIZE(1, berth_health_sink, add_attribute, 32) \
    SIZE(1, berth_exit_status, reason, 24)        \
    SIZE(1, berth_session_sink, on_exit, 32)      \
    SIZE(1, berth_plugin_api, reclaim_owned, 120) \
    SIZE(1, berth_plugin_descriptor, api, 56)

#define BERTH_ABI_V1_1_CONSTANTS(VALUE, STRING) \
    BERTH_ABI_V1_0_CONSTANTS(VALUE, STRING)     \
    STRING(BERTH_OWNER_LABEL, "berth.owner")    \
    STRING(BERTH_OWNER_FILE, "berth-owner")

#endif /* BERTH_ABI_LAYOUT_V1_1_H */
