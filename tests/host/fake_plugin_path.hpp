// Where the fake plugins of tests/fake_plugins were built: one folder per variant.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

namespace berth::host {

inline std::filesystem::path fake(const std::string& variant) {
    const std::filesystem::path dir = std::filesystem::path(BERTH_FAKE_PLUGIN_ROOT) / variant;
    for (const auto& e : std::filesystem::directory_iterator(dir))
        if (e.path().extension() == ".so") return e.path();
    ADD_FAILURE() << "no fake plugin in " << dir;
    return {};
}

}  // namespace berth::host
