# berth_options: one INTERFACE target carrying warnings and sanitizer flags, linked by every
# berth target (host, registry, plugins, tests) so they are instrumented together.
add_library(berth_options INTERFACE)
add_library(berth::options ALIAS berth_options)

target_compile_options(berth_options INTERFACE
    -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion
    # No STB_GNU_UNIQUE symbols: a plugin exports its entry symbol and nothing else. (GCC's
    # flag; clang, used for the fuzz build, never emits them.)
    $<$<COMPILE_LANG_AND_ID:CXX,GNU>:-fno-gnu-unique>)

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

option(BERTH_BUILD_FUZZ "Build the libFuzzer targets in fuzz/ (clang only; implies ASan+UBSan)" OFF)
if(BERTH_BUILD_FUZZ)
    if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
        message(FATAL_ERROR "BERTH_BUILD_FUZZ needs clang (libFuzzer): configure with "
                            "-DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++")
    endif()
    if(BERTH_SANITIZE STREQUAL "thread")
        message(FATAL_ERROR "BERTH_BUILD_FUZZ runs under ASan+UBSan, which cannot be mixed with "
                            "BERTH_SANITIZE=thread")
    endif()
    # fuzzer-no-link: the coverage the fuzzer steers by, in every library a target links;
    # libFuzzer's own main is linked into the fuzz executables only (fuzz/CMakeLists.txt).
    # Plugins (MODULEs linked with -z defs) do not link with clang's static sanitizer
    # runtime: a fuzz build builds the fuzz targets, not `all` (scripts/fuzz.sh).
    target_compile_options(berth_options INTERFACE
        -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
        -fno-sanitize-recover=undefined)
    target_link_options(berth_options INTERFACE -fsanitize=address,undefined)
endif()

find_program(BERTH_CCACHE ccache)
if(BERTH_CCACHE AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
    set(CMAKE_C_COMPILER_LAUNCHER ${BERTH_CCACHE})
    set(CMAKE_CXX_COMPILER_LAUNCHER ${BERTH_CCACHE})
endif()

# berth_path_to_prefix(<var> <dir>): the way back from an install folder given relative to the
# prefix to the prefix itself ("../.." for lib/pkgconfig), for installed files that find the
# prefix from where they lie (pkg-config's ${pcfiledir}, the host library's own path), so an
# install made with `cmake --install --prefix P`, or moved, still names itself.
function(berth_path_to_prefix var dir)
    file(RELATIVE_PATH up /p/${dir} /p)
    string(REGEX REPLACE "/$" "" up "${up}")
    set(${var} "${up}" PARENT_SCOPE)
endfunction()
