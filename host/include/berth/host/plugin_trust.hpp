// Which plugin files the host may load: the rules ld.so applies to a setuid program's libraries,
// and sudo and OpenSSH (StrictModes) to their files, applied to plugins before anything reads
// them.
//
// As root (euid 0), a plugin file, the directory holding it, and every directory above that up
// to / must be owned by root (or the euid) and writable by no group and no one else. An
// ancestor that is owned by root and sticky (like /tmp, mode 1777) is accepted, because there
// nobody can rename or remove the root-owned entries the path goes through; the plugin
// directory itself is not, because anyone could add a plugin to it. A symbolic link anywhere on
// the way is followed: it must be owned by root, the directory holding it is judged like the
// rest, and so is everything on the way to its target. A link to the plugin file (x.so ->
// /elsewhere/x.so) makes both its own directory and the target's directory plugin directories.
//
// As anyone else, only what everyone can write is refused: a world-writable plugin file, a
// world-writable directory above it without the sticky bit, and a world-writable plugin
// directory (sticky or not: anyone could have added a plugin to it). Anyone at all could have
// replaced what such a file or directory holds.
//
// Between the check and dlopen the path is resolved again, so in principle it could lead
// elsewhere by then. That window is harmless: a path that passes the root rule goes only
// through directories and links that root alone can change (and a file root alone can write),
// so nobody but root can make it lead elsewhere, before the check or after. A path that passes
// the weaker rule may go through files others can change; the check never promised otherwise,
// and whoever can change them after the check could equally have done it before. Permissions
// themselves can change in the window only by the owner of each item, which the check has just
// found to be root (as root) or accepted (otherwise). Loading through an fd that was checked
// (dlopen("/proc/self/fd/N")) would close even that, but dlopen matches libraries by name, so
// an fd number reused after a library stays mapped would hand back the old library; it is not
// worth that trap while the window cannot be used.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace berth::host {

// What a path is to the plugin it leads to.
enum class trust_role {
    plugin_file,   // the file that is loaded
    plugin_dir,    // the directory holding it, or holding a link to it
    ancestor_dir,  // any directory above those, or holding a link to one of them
    link,          // a symbolic link on the way
};

// What stat(2) says about one path, plus the names of its owner and group when known (for the
// message only).
struct trust_facts {
    std::filesystem::path path;
    std::uint32_t uid = 0;
    std::uint32_t gid = 0;
    std::uint32_t mode = 0;  // st_mode: type and permission bits
    std::optional<std::string> user_name{};
    std::optional<std::string> group_name{};
};

// The pure rule. "" when `facts` may be trusted in `role` by a process whose effective uid is
// `euid`; otherwise what is wrong and what is required, naming the path, the owner or mode
// found, e.g. "/tmp/p is world-writable (mode 0777); as root, berth loads plugins only from
// directories writable by root alone".
[[nodiscard]] std::string trust_problem(const trust_facts& facts, trust_role role,
                                        std::uint32_t euid);

// Walks `file` from / as the kernel resolves it, following every symbolic link, and judges
// each directory looked up in, each link and the file itself with trust_problem(). "" when it
// may be loaded; otherwise the reason, starting "not trusted: ", e.g. "not trusted:
// /opt/p/x.so links to /tmp/q/x.so, and /tmp/q is world-writable (mode 0777); ...". A path
// that cannot be examined (lstat fails, a link loop, not a regular file) is not trusted either.
[[nodiscard]] std::string plugin_trust_problem(const std::filesystem::path& file,
                                               std::uint32_t euid);

}  // namespace berth::host
