# berth_add_plugin(<target> SOURCES ... [OUTPUT_NAME name] [NO_INSTALL] [OUTPUT_DIR dir])
#
# A plugin is a MODULE library exporting exactly one symbol (berth_plugin_entry_v1). Everything
# else is hidden, including the copies of static libraries it links (Boost.Asio/Process inside
# the SDK's process helper), so several plugins live side by side in one host process.
function(berth_add_plugin target)
    cmake_parse_arguments(ARG "NO_INSTALL" "OUTPUT_NAME;OUTPUT_DIR" "SOURCES;LIBRARIES" ${ARGN})
    add_library(${target} MODULE ${ARG_SOURCES})
    if(NOT ARG_OUTPUT_NAME)
        set(ARG_OUTPUT_NAME ${target})
    endif()
    if(NOT ARG_OUTPUT_DIR)
        set(ARG_OUTPUT_DIR ${BERTH_PLUGIN_OUTPUT_DIR})
    endif()
    set_target_properties(${target} PROPERTIES
        PREFIX ""
        OUTPUT_NAME ${ARG_OUTPUT_NAME}
        LIBRARY_OUTPUT_DIRECTORY ${ARG_OUTPUT_DIR}
        C_VISIBILITY_PRESET hidden
        CXX_VISIBILITY_PRESET hidden
        VISIBILITY_INLINES_HIDDEN ON)
    target_link_libraries(${target} PRIVATE berth::options ${ARG_LIBRARIES})
    # -z defs: an unresolved symbol fails the link, not the host's dlopen at run time.
    target_link_options(${target} PRIVATE -Wl,--exclude-libs,ALL -Wl,-z,defs
        -Wl,--version-script=${PROJECT_SOURCE_DIR}/cmake/plugin.map)
    set_property(TARGET ${target} APPEND PROPERTY LINK_DEPENDS ${PROJECT_SOURCE_DIR}/cmake/plugin.map)
    if(NOT ARG_NO_INSTALL)
        install(TARGETS ${target} LIBRARY DESTINATION ${BERTH_PLUGIN_INSTALL_DIR} COMPONENT ${target})
    endif()
endfunction()
