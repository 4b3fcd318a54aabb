// Private: tell a shared object for this machine from anything else, before dlopen, so the
// reason a user reads is "built for aarch64" rather than dlopen's words.
#pragma once

#include <filesystem>
#include <string>

namespace berth::host {

// Empty when the file is an ELF shared object for this host's class and machine; else why not.
[[nodiscard]] std::string elf_mismatch(const std::filesystem::path& path);

}  // namespace berth::host
