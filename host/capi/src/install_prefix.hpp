// The berth install this library belongs to, found from where the library itself lies: the
// embedding program's executable says nothing about where berth is.
#pragma once

#include <filesystem>
#include <optional>

namespace berth::capi {

// <libdir>/<BERTH_HOST_LIBDIR_TO_PREFIX>, for the directory holding libberth-host.so.1
// (dladdr on a function of the library). nullopt when the library's path cannot be found.
[[nodiscard]] std::optional<std::filesystem::path> library_install_prefix();

}  // namespace berth::capi
