/*
 * The assertions behind tests/abi/layout/layout_v1_*.h: each row of a version's list becomes
 * _Static_asserts on whatever <berth/plugin.h> the including file was compiled against. Every
 * check_v1_*.c is compiled twice (tests/abi/CMakeLists.txt): against the current header, so
 * that inserting, reordering or retyping a released field breaks the build, and against that
 * version's frozen copy, so that the expected numbers themselves are proven right.
 *
 * What a row checks, on every platform:
 *  - the field's exact type, through _Generic (a function pointer's whole signature, too:
 *    a changed parameter or return type is a different type);
 *  - that the field directly follows the one listed before it, with only the padding its
 *    alignment needs. With the types fixed this pins the whole layout, so the current header
 *    and the frozen one agree wherever the C ABI lays structs out naturally (every ABI berth
 *    builds for), and a field inserted between two released ones fails here.
 * On LP64 targets (x86_64, aarch64), also the hand-written offsets and sizes.
 */
#ifndef BERTH_ABI_CHECK_H
#define BERTH_ABI_CHECK_H

#include <berth/plugin.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__x86_64__) || defined(__aarch64__)
#define BERTH_ABI_LP64 1
#else
#define BERTH_ABI_LP64 0
#endif

#define BERTH_ABI_ROUND_UP(n, a) ((((n) + (a)-1) / (a)) * (a))
#define BERTH_ABI_MEMBER(S, field) (((S*)0)->field)
/* Where the field after `field` starts when nothing is inserted: right past it, aligned. */
#define BERTH_ABI_END(S, field) (offsetof(S, field) + sizeof BERTH_ABI_MEMBER(S, field))

/* The first field of a struct: at offset 0, of exactly this type. */
#define BERTH_ABI_FIRST(S, field, ...)                                                 \
    _Static_assert(_Generic(BERTH_ABI_MEMBER(S, field), __VA_ARGS__ : 1, default : 0), \
                   #S "." #field " must have type " #__VA_ARGS__);                     \
    _Static_assert(offsetof(S, field) == 0, #S "." #field " must be the first field");

/* Any later field: exactly this type, directly after `prev`, and at the LP64 offset `off`. */
#define BERTH_ABI_NEXT(S, prev, field, off, ...)                                                 \
    _Static_assert(_Generic(BERTH_ABI_MEMBER(S, field), __VA_ARGS__ : 1, default : 0),           \
                   #S "." #field " must have type " #__VA_ARGS__);                               \
    _Static_assert(                                                                              \
        offsetof(S, field) == BERTH_ABI_ROUND_UP(BERTH_ABI_END(S, prev), _Alignof(__VA_ARGS__)), \
        #S "." #field " must directly follow " #prev ": nothing may be inserted");               \
    _Static_assert(!BERTH_ABI_LP64 || offsetof(S, field) == (off),                               \
                   #S "." #field " must sit at offset " #off " on LP64");

/*
 * The struct as version `minor` released it, `last` its last field then. A header of that
 * same minor has nothing after `last` (a field appended without a minor bump fails); a newer
 * one may have grown at the end, never shrunk.
 */
#define BERTH_ABI_SIZE(minor, S, last, size)                                                      \
    _Static_assert(BERTH_ABI_VERSION_MINOR != (minor) ||                                          \
                       sizeof(S) == BERTH_ABI_ROUND_UP(BERTH_ABI_END(S, last), _Alignof(S)),      \
                   #S " must end at " #last " in ABI 1." #minor);                                 \
    _Static_assert(!BERTH_ABI_LP64 || (BERTH_ABI_VERSION_MINOR == (minor) ? sizeof(S) == (size)   \
                                                                          : sizeof(S) >= (size)), \
                   "sizeof(" #S ") must be " #size " on LP64 in ABI 1." #minor);

/* An enumerator's or a macro's value. */
#define BERTH_ABI_VALUE(name, value) _Static_assert((name) == (value), #name " must be " #value);

/* A string macro's text. __builtin_strcmp folds to a constant in GCC and clang; elsewhere
 * only the length is compared. */
#if defined(__GNUC__)
#define BERTH_ABI_STRING(name, text)                                                  \
    _Static_assert(sizeof(name) == sizeof(text) && __builtin_strcmp(name, text) == 0, \
                   #name " must be " #text);
#else
#define BERTH_ABI_STRING(name, text) \
    _Static_assert(sizeof(name) == sizeof(text), #name " must be " #text);
#endif

/* What every ABI 1.x header keeps: the major version, the entry symbol and its type. */
#define BERTH_ABI_CHECK_MAJOR_1(minor)                                                        \
    BERTH_ABI_VALUE(BERTH_ABI_VERSION_MAJOR, 1)                                               \
    _Static_assert(BERTH_ABI_VERSION_MINOR >= (minor), "the minor version never goes back");  \
    BERTH_ABI_STRING(BERTH_PLUGIN_ENTRY_SYMBOL, "berth_plugin_entry_v1")                      \
    _Static_assert(                                                                           \
        _Generic((berth_plugin_entry_fn)0,                                                    \
                 const berth_plugin_descriptor* (*)(uint16_t, uint16_t) : 1, default : 0),    \
        "berth_plugin_entry_fn must keep its signature");                                     \
    _Static_assert(_Generic(&BERTH_PLUGIN_ENTRY, berth_plugin_entry_fn : 1, default : 0),     \
                   "BERTH_PLUGIN_ENTRY must name berth_plugin_entry_v1 with that signature"); \
    BERTH_ABI_ENUM_IS_INT(berth_status)                                                       \
    BERTH_ABI_ENUM_IS_INT(berth_log_level)                                                    \
    BERTH_ABI_ENUM_IS_INT(berth_metric_kind)                                                  \
    BERTH_ABI_ENUM_IS_INT(berth_health_state)                                                 \
    BERTH_ABI_ENUM_IS_INT(berth_stream)

/* Enums cross the boundary as parameters: a value out of int's range would widen the type. */
#define BERTH_ABI_ENUM_IS_INT(E) \
    _Static_assert(sizeof(E) == sizeof(int), #E " must stay int-sized");

/* Declared only so that BERTH_PLUGIN_ENTRY can be checked to name it (never defined here). */
const berth_plugin_descriptor* berth_plugin_entry_v1(uint16_t host_abi_major,
                                                     uint16_t host_abi_minor);

/* Compiled against a frozen copy: make sure it is that copy and not the current header. */
#ifdef BERTH_ABI_FROZEN_MINOR
_Static_assert(BERTH_ABI_VERSION_MINOR == BERTH_ABI_FROZEN_MINOR,
               "compiled against the wrong header: expected the frozen copy");
#endif

#endif /* BERTH_ABI_CHECK_H */
