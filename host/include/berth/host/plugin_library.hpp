// A plugin shared object, loaded and its descriptor checked. No instance yet.
//
// load_plugin_library() never throws for a bad file: it returns the one-line reason (not an
// ELF file, wrong architecture, no entry symbol, ABI mismatch, broken descriptor, capability
// without function). The library stays loaded as long as any plugin_library refers to it.
#pragma once

#include <berth/plugin.h>
#include <berth/host/result.hpp>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth::host {

struct plugin_descriptor_info {
    std::string name;
    std::string runtime;
    std::string version;
    std::string description;
    std::uint16_t abi_major = 0;
    std::uint16_t abi_minor = 0;
    std::uint64_t capabilities = 0;
};

// "pipes,pty,resize" for a capability mask; unknown bits as "bit40".
[[nodiscard]] std::string capability_names(std::uint64_t caps);
[[nodiscard]] std::vector<std::string> capability_list(std::uint64_t caps);

// Which file a path held when it was read. A package upgrade renames a new file over the old
// path: the path stays, the inode changes.
struct file_identity {
    std::uint64_t device = 0;
    std::uint64_t inode = 0;
    std::int64_t mtime_ns = 0;
    std::uint64_t size = 0;
    friend bool operator==(const file_identity&, const file_identity&) = default;
};
// nullopt when the path cannot be stat'ed (gone).
[[nodiscard]] std::optional<file_identity> identify_file(const std::filesystem::path& path);

// The loader's checks, in the order it makes them. `berth plugin validate` reports each.
enum class load_check {
    file,        // exists, is an ELF shared object for this machine
    load,        // dlopen: dependencies resolve, static initialisers run
    entry,       // the entry symbol is there and returns a descriptor
    abi,         // major equal to the host's, minor not newer
    descriptor,  // sizes, name, runtime id, version, function table
    functions,   // required slots set; each capability's slot set
};
// "file", "load", "entry", "abi", "descriptor", "functions".
[[nodiscard]] std::string_view to_string(load_check check) noexcept;

// Told of each check as it starts and as it passes, with what it found. A check that fails
// ends the load with its reason, so the failed one is the last started. Started comes before
// the plugin's own code runs (its static initialisers, its entry), so a process that dies
// there knows where (berth-plugin-probe's validate mode streams these to the host).
class load_observer {
public:
    virtual ~load_observer() = default;
    virtual void started(load_check check) = 0;
    virtual void passed(load_check check, const std::string& found) = 0;
};

class plugin_library {
public:
    ~plugin_library();
    plugin_library(const plugin_library&) = delete;
    plugin_library& operator=(const plugin_library&) = delete;

    [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }
    [[nodiscard]] const plugin_descriptor_info& info() const noexcept { return info_; }
    // The function table, copied into a zeroed struct of the host's size: slots a plugin
    // built for an older minor does not have read as NULL.
    [[nodiscard]] const berth_plugin_api& api() const noexcept { return api_; }
    // True when path() now holds another file than the one loaded (or none).
    [[nodiscard]] bool replaced_on_disk() const;

    struct handle;  // the loaded shared object (Boost.DLL), private

private:
    friend result<std::shared_ptr<plugin_library>> load_plugin_library(
        const std::filesystem::path& path, bool path_already_loaded, load_observer* observer);
    plugin_library() = default;

    std::filesystem::path path_;
    std::unique_ptr<handle> handle_;
    plugin_descriptor_info info_;
    berth_plugin_api api_{};
    std::optional<file_identity> identity_;
};

// path_already_loaded: this process still has a library loaded from the same path (an older
// file since replaced). dlopen would hand back that old library for the same name, so the new
// file is loaded through a private alias instead. A file rewritten in place (same inode)
// cannot be loaded beside its old self: install plugins by renaming, as package managers do.
// observer (may be null) hears each check.
[[nodiscard]] result<std::shared_ptr<plugin_library>> load_plugin_library(
    const std::filesystem::path& path, bool path_already_loaded = false,
    load_observer* observer = nullptr);

}  // namespace berth::host
