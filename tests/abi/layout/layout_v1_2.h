/*
 * ABI 1.2 as released (tests/abi/v1_2/berth/plugin.h): all of 1.1, unchanged, plus what 1.2
 * appended, among it a new struct. Rows as in layout_v1_0.h.
 */
#ifndef BERTH_ABI_LAYOUT_V1_2_H
#define BERTH_ABI_LAYOUT_V1_2_H

#include "layout_v1_1.h"

#define BERTH_ABI_V1_2_FIELDS(FIRST, NEXT)                        \
    BERTH_ABI_V1_1_FIELDS(FIRST, NEXT)                            \
    NEXT(berth_plugin_api, reclaim_owned, session_info, 120,      \
         berth_status (*)(berth_session*, berth_session_info*))   \
    FIRST(berth_session_info, struct_size, uint32_t)              \
    NEXT(berth_session_info, struct_size, target, 8, const char*) \
    NEXT(berth_session_info, target, tty, 16, uint8_t)

#define BERTH_ABI_V1_2_SIZES(SIZE)                \
    SIZE(2, berth_host_services, owner, 40)       \
    SIZE(2, berth_health_sink, add_attribute, 32) \
    SIZE(2, berth_exit_status, reason, 24)        \
    SIZE(2, berth_session_sink, on_exit, 32)      \
    SIZE(2, berth_plugin_api, session_info, 128)  \
    SIZE(2, berth_plugin_descriptor, api, 56)     \
    SIZE(2, berth_session_info, tty, 24)

#define BERTH_ABI_V1_2_CONSTANTS(VALUE, STRING) \
    BERTH_ABI_V1_1_CONSTANTS(VALUE, STRING)     \
    VALUE(BERTH_ERR_COMMAND_NOT_FOUND, 10)      \
    VALUE(BERTH_ERR_COMMAND_NOT_EXECUTABLE, 11) \
    VALUE(BERTH_DEFAULT_GRACE_MS, 2000)         \
    VALUE(BERTH_HEALTH_BOUND_MS, 10000)

#endif /* BERTH_ABI_LAYOUT_V1_2_H */
