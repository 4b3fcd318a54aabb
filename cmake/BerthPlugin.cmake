# berth_add_plugin(<target> SOURCES ... [LIBRARIES ...] [OUTPUT_NAME name] [OUTPUT_DIR dir]
#                  [NO_INSTALL])
#
# A plugin is a MODULE library exporting exactly one symbol (berth_plugin_entry_v1). Everything
# else is hidden, including the copies of static libraries it links (Boost.Asio inside the SDK's
# process helper), so several plugins live side by side in one host process.
#
# The same file serves this source tree and plugins built out of tree: the installed CMake
# package berth-sdk includes it (with plugin.map beside it), so `find_package(berth-sdk)` gives
# third parties the very function berth's own plugins are built with. Out of tree the plugin
# goes to the current binary directory and installs to <prefix>/lib/berth/plugins, where a
# berth installed under the same prefix looks for it.
set(_berth_plugin_map ${CMAKE_CURRENT_LIST_DIR}/plugin.map)
if(NOT DEFINED BERTH_PLUGIN_INSTALL_DIR)
    set(BERTH_PLUGIN_INSTALL_DIR lib/berth/plugins)
endif()

function(berth_add_plugin target)
    cmake_parse_arguments(ARG "NO_INSTALL" "OUTPUT_NAME;OUTPUT_DIR" "SOURCES;LIBRARIES" ${ARGN})
    if(NOT ARG_SOURCES)
        message(FATAL_ERROR "berth_add_plugin(${target}): SOURCES is empty")
    endif()
    add_library(${target} MODULE ${ARG_SOURCES})
    if(NOT ARG_OUTPUT_NAME)
        set(ARG_OUTPUT_NAME ${target})
    endif()
    if(NOT ARG_OUTPUT_DIR)
        if(DEFINED BERTH_PLUGIN_OUTPUT_DIR)
            set(ARG_OUTPUT_DIR ${BERTH_PLUGIN_OUTPUT_DIR})
        else()
            set(ARG_OUTPUT_DIR ${CMAKE_CURRENT_BINARY_DIR})
        endif()
    endif()
    set_target_properties(${target} PROPERTIES
        PREFIX ""
        OUTPUT_NAME ${ARG_OUTPUT_NAME}
        LIBRARY_OUTPUT_DIRECTORY ${ARG_OUTPUT_DIR}
        C_VISIBILITY_PRESET hidden
        CXX_VISIBILITY_PRESET hidden
        VISIBILITY_INLINES_HIDDEN ON)
    # Warnings and sanitizer flags of this tree (berth::options); absent out of tree.
    if(TARGET berth::options)
        target_link_libraries(${target} PRIVATE berth::options)
    endif()
    target_link_libraries(${target} PRIVATE berth::sdk ${ARG_LIBRARIES})
    # -z defs: an unresolved symbol fails the link, not the host's dlopen at run time.
    target_link_options(${target} PRIVATE -Wl,--exclude-libs,ALL -Wl,-z,defs
        -Wl,--version-script=${_berth_plugin_map})
    set_property(TARGET ${target} APPEND PROPERTY LINK_DEPENDS ${_berth_plugin_map})
    if(NOT ARG_NO_INSTALL)
        install(TARGETS ${target} LIBRARY DESTINATION ${BERTH_PLUGIN_INSTALL_DIR} COMPONENT ${target})
    endif()
endfunction()
