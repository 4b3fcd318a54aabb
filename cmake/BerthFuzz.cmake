# berth_add_fuzz_code(<target> <fuzz target name>)
#
# Adds one fuzz target's code (fuzz/<name>.cpp, its LLVMFuzzerTestOneInput) and what it links
# to <target>: the libFuzzer executable in fuzz/ and the corpus replay test in tests/fuzz/ are
# built from the same list, so they cannot drift apart.
set(BERTH_FUZZ_DIR ${PROJECT_SOURCE_DIR}/fuzz)
set(BERTH_FUZZ_TARGETS output_buffer_fuzz options_fuzz stream_frame_fuzz terminal_text_fuzz)
if(BERTH_BUILD_CLI)  # berthd's library comes with the CLI
    list(APPEND BERTH_FUZZ_TARGETS rpc_frame_fuzz)
endif()

function(berth_add_fuzz_code target name)
    target_sources(${target} PRIVATE ${BERTH_FUZZ_DIR}/${name}.cpp)
    target_include_directories(${target} PRIVATE ${BERTH_FUZZ_DIR})
    target_link_libraries(${target} PRIVATE berth::options)
    if(name STREQUAL "output_buffer_fuzz")
        target_link_libraries(${target} PRIVATE berth::registry)
    elseif(name STREQUAL "options_fuzz")
        # The local plugin's schema lives in its source; the target reads it through the
        # plugin's C entry point, compiled in (never dlopen'ed, never asked to open a session).
        target_sources(${target} PRIVATE ${PROJECT_SOURCE_DIR}/plugins/local/local_plugin.cpp)
        target_compile_definitions(${target} PRIVATE BERTH_VERSION="${PROJECT_VERSION}")
        target_link_libraries(${target} PRIVATE berth::sdk berth::sdk_options berth::sdk_process
            berth_podman_core berth_containerd_core berth_lxc_core nlohmann_json::nlohmann_json)
    elseif(name STREQUAL "stream_frame_fuzz")
        target_link_libraries(${target} PRIVATE berth_wire)
    elseif(name STREQUAL "terminal_text_fuzz")
        target_link_libraries(${target} PRIVATE berth_mcp_text)
    elseif(name STREQUAL "rpc_frame_fuzz")
        target_link_libraries(${target} PRIVATE berth_daemon_lib berth::host
            nlohmann_json::nlohmann_json)
    else()
        message(FATAL_ERROR "berth_add_fuzz_code: unknown fuzz target '${name}'")
    endif()
endfunction()
