#include "install_prefix.hpp"

#include <dlfcn.h>

#include <system_error>

#ifndef BERTH_HOST_LIBDIR_TO_PREFIX  // set by CMake: the install's libdir back to its prefix
#error "BERTH_HOST_LIBDIR_TO_PREFIX must be defined"
#endif

namespace berth::capi {

std::optional<std::filesystem::path> library_install_prefix() {
    Dl_info info{};
    // Any function of this library names its file; this one is as good as any.
    if (::dladdr(reinterpret_cast<void*>(&library_install_prefix), &info) == 0 ||
        info.dli_fname == nullptr)
        return std::nullopt;
    std::error_code ec;
    // Through symlinks (libberth-host.so.1 -> libberth-host.so.1.0.0 is in the same
    // directory, but a distribution may link the library from elsewhere).
    auto file = std::filesystem::canonical(info.dli_fname, ec);
    if (ec) file = std::filesystem::path(info.dli_fname);
    return (file.parent_path() / BERTH_HOST_LIBDIR_TO_PREFIX).lexically_normal();
}

}  // namespace berth::capi
