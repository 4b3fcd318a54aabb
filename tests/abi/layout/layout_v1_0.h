/*
 * ABI 1.0 as released (tests/abi/v1_0/berth/plugin.h): every field of every struct in order,
 * with its type and its offset on LP64, each struct's size, and every constant's value. Later
 * versions only add to these lists. abi_check.h turns them into assertions.
 *
 * Rows: FIRST(struct, field, type) and NEXT(struct, previous field, field, LP64 offset, type).
 */
#ifndef BERTH_ABI_LAYOUT_V1_0_H
#define BERTH_ABI_LAYOUT_V1_0_H

#define BERTH_ABI_V1_0_FIELDS(FIRST, NEXT)                                                         \
    FIRST(berth_host_services, struct_size, uint32_t)                                              \
    NEXT(berth_host_services, struct_size, abi_major, 4, uint16_t)                                 \
    NEXT(berth_host_services, abi_major, abi_minor, 6, uint16_t)                                   \
    NEXT(berth_host_services, abi_minor, host_ctx, 8, void*)                                       \
    NEXT(berth_host_services, host_ctx, log, 16, void (*)(void*, berth_log_level, const char*))    \
    NEXT(berth_host_services, log, metric, 24,                                                     \
         void (*)(void*, berth_metric_kind, const char*, double))                                  \
                                                                                                   \
    FIRST(berth_health_sink, struct_size, uint32_t)                                                \
    NEXT(berth_health_sink, struct_size, ctx, 8, void*)                                            \
    NEXT(berth_health_sink, ctx, set_state, 16, void (*)(void*, berth_health_state, const char*))  \
    NEXT(berth_health_sink, set_state, add_attribute, 24,                                          \
         void (*)(void*, const char*, const char*))                                                \
                                                                                                   \
    FIRST(berth_exit_status, struct_size, uint32_t)                                                \
    NEXT(berth_exit_status, struct_size, exit_code, 4, int32_t)                                    \
    NEXT(berth_exit_status, exit_code, term_signal, 8, int32_t)                                    \
    NEXT(berth_exit_status, term_signal, failed, 12, uint32_t)                                     \
    NEXT(berth_exit_status, failed, reason, 16, const char*)                                       \
                                                                                                   \
    FIRST(berth_session_sink, struct_size, uint32_t)                                               \
    NEXT(berth_session_sink, struct_size, ctx, 8, void*)                                           \
    NEXT(berth_session_sink, ctx, on_output, 16,                                                   \
         void (*)(void*, berth_stream, const uint8_t*, uint32_t))                                  \
    NEXT(berth_session_sink, on_output, on_exit, 24, void (*)(void*, const berth_exit_status*))    \
                                                                                                   \
    FIRST(berth_plugin_api, struct_size, uint32_t)                                                 \
    NEXT(berth_plugin_api, struct_size, create, 8,                                                 \
         berth_status (*)(const berth_host_services*, berth_plugin**))                             \
    NEXT(berth_plugin_api, create, destroy, 16, void (*)(berth_plugin*))                           \
    NEXT(berth_plugin_api, destroy, last_error, 24, const char* (*)(berth_plugin*))                \
    NEXT(berth_plugin_api, last_error, health_check, 32,                                           \
         berth_status (*)(berth_plugin*, const berth_health_sink*))                                \
    NEXT(berth_plugin_api, health_check, options_schema, 40, const char* (*)(berth_plugin*))       \
    NEXT(berth_plugin_api, options_schema, session_open, 48,                                       \
         berth_status (*)(berth_plugin*, const char*, const berth_session_sink*, berth_session**)) \
    NEXT(berth_plugin_api, session_open, session_write, 56,                                        \
         berth_status (*)(berth_session*, const uint8_t*, uint32_t))                               \
    NEXT(berth_plugin_api, session_write, session_close_stdin, 64,                                 \
         berth_status (*)(berth_session*))                                                         \
    NEXT(berth_plugin_api, session_close_stdin, session_resize, 72,                                \
         berth_status (*)(berth_session*, uint16_t, uint16_t))                                     \
    NEXT(berth_plugin_api, session_resize, session_signal, 80,                                     \
         berth_status (*)(berth_session*, int32_t))                                                \
    NEXT(berth_plugin_api, session_signal, session_close, 88,                                      \
         berth_status (*)(berth_session*, uint32_t))                                               \
    NEXT(berth_plugin_api, session_close, session_destroy, 96, void (*)(berth_session*))           \
    NEXT(berth_plugin_api, session_destroy, session_pid, 104, int64_t (*)(berth_session*))         \
                                                                                                   \
    FIRST(berth_plugin_descriptor, struct_size, uint32_t)                                          \
    NEXT(berth_plugin_descriptor, struct_size, abi_major, 4, uint16_t)                             \
    NEXT(berth_plugin_descriptor, abi_major, abi_minor, 6, uint16_t)                               \
    NEXT(berth_plugin_descriptor, abi_minor, name, 8, const char*)                                 \
    NEXT(berth_plugin_descriptor, name, runtime, 16, const char*)                                  \
    NEXT(berth_plugin_descriptor, runtime, version, 24, const char*)                               \
    NEXT(berth_plugin_descriptor, version, description, 32, const char*)                           \
    NEXT(berth_plugin_descriptor, description, capabilities, 40, uint64_t)                         \
    NEXT(berth_plugin_descriptor, capabilities, api, 48, const berth_plugin_api*)

/* SIZE(minor, struct, last field in that minor, LP64 size) */
#define BERTH_ABI_V1_0_SIZES(SIZE)                \
    SIZE(0, berth_host_services, metric, 32)      \
    SIZE(0, berth_health_sink, add_attribute, 32) \
    SIZE(0, berth_exit_status, reason, 24)        \
    SIZE(0, berth_session_sink, on_exit, 32)      \
    SIZE(0, berth_plugin_api, session_pid, 112)   \
    SIZE(0, berth_plugin_descriptor, api, 56)

/* VALUE(name, value) for enumerators and numeric macros, STRING(name, text) for strings. */
#define BERTH_ABI_V1_0_CONSTANTS(VALUE, STRING) \
    VALUE(BERTH_OK, 0)                          \
    VALUE(BERTH_ERR_INVALID_ARGUMENT, 1)        \
    VALUE(BERTH_ERR_NOT_FOUND, 2)               \
    VALUE(BERTH_ERR_UNSUPPORTED, 3)             \
    VALUE(BERTH_ERR_RUNTIME, 4)                 \
    VALUE(BERTH_ERR_UNAVAILABLE, 5)             \
    VALUE(BERTH_ERR_PERMISSION, 6)              \
    VALUE(BERTH_ERR_STATE, 7)                   \
    VALUE(BERTH_ERR_TIMEOUT, 8)                 \
    VALUE(BERTH_ERR_INTERNAL, 9)                \
    VALUE(BERTH_LOG_TRACE, 0)                   \
    VALUE(BERTH_LOG_DEBUG, 1)                   \
    VALUE(BERTH_LOG_INFO, 2)                    \
    VALUE(BERTH_LOG_WARN, 3)                    \
    VALUE(BERTH_LOG_ERROR, 4)                   \
    VALUE(BERTH_LOG_CRITICAL, 5)                \
    VALUE(BERTH_METRIC_COUNTER_ADD, 0)          \
    VALUE(BERTH_METRIC_GAUGE_SET, 1)            \
    VALUE(BERTH_HEALTH_HEALTHY, 0)              \
    VALUE(BERTH_HEALTH_UNHEALTHY, 1)            \
    VALUE(BERTH_HEALTH_UNDETECTED, 2)           \
    VALUE(BERTH_STREAM_STDOUT, 1)               \
    VALUE(BERTH_STREAM_STDERR, 2)               \
    VALUE(BERTH_STREAM_PTY, 3)                  \
    VALUE(BERTH_CAP_PIPES, UINT64_C(0x01))      \
    VALUE(BERTH_CAP_PTY, UINT64_C(0x02))        \
    VALUE(BERTH_CAP_RESIZE, UINT64_C(0x04))     \
    VALUE(BERTH_CAP_SIGNAL, UINT64_C(0x08))     \
    VALUE(BERTH_CAP_STDIN_EOF, UINT64_C(0x10))  \
    VALUE(BERTH_CAP_RUN, UINT64_C(0x20))        \
    VALUE(BERTH_CAP_EXEC, UINT64_C(0x40))       \
    STRING(BERTH_PLUGIN_ENTRY_SYMBOL, "berth_plugin_entry_v1")

#endif /* BERTH_ABI_LAYOUT_V1_0_H */
