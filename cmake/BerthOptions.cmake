# berth_options: one INTERFACE target carrying warnings and sanitizer flags, linked by every
# berth target (host, registry, plugins, tests) so they are instrumented together.
add_library(berth_options INTERFACE)
add_library(berth::options ALIAS berth_options)

target_compile_options(berth_options INTERFACE
    -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion
    # No STB_GNU_UNIQUE symbols: a plugin exports its entry symbol and nothing else.
    $<$<COMPILE_LANGUAGE:CXX>:-fno-gnu-unique>)

if(BERTH_SANITIZE STREQUAL "address")
    # -O0 -g1 after the build type's flags: instrumented -O2 -g code compiles about four
    # times slower than plain code (server.cpp: 135 s against 28 s), which alone put a cold CI
    # run past 30 minutes; line tables are all the sanitizer reports need.
    target_compile_options(berth_options INTERFACE
        -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
        -O0 -g1)
    target_link_options(berth_options INTERFACE -fsanitize=address,undefined)
elseif(BERTH_SANITIZE STREQUAL "thread")
    target_compile_options(berth_options INTERFACE -fsanitize=thread -fno-omit-frame-pointer -O1 -g1)
    target_link_options(berth_options INTERFACE -fsanitize=thread)
elseif(NOT BERTH_SANITIZE STREQUAL "")
    message(FATAL_ERROR "BERTH_SANITIZE must be empty, 'address' or 'thread', not '${BERTH_SANITIZE}'")
endif()

find_program(BERTH_CCACHE ccache)
if(BERTH_CCACHE AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
    set(CMAKE_C_COMPILER_LAUNCHER ${BERTH_CCACHE})
    set(CMAKE_CXX_COMPILER_LAUNCHER ${BERTH_CCACHE})
endif()
