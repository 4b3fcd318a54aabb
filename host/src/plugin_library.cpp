// Loading and checking a plugin. Every way a file can fail to be a usable plugin ends here as
// a one-line reason; nothing a plugin does wrong at load may crash the host, short of a
// crash inside its own entry function, which host_options::probe_plugins catches in a child
// process (berth-plugin-probe) before the file is loaded here.
#include <sys/stat.h>
#include <berth/host/plugin_library.hpp>

#include <boost/dll/shared_library.hpp>
#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <regex>
#include <stdexcept>
#include <system_error>

#include "elf_check.hpp"

namespace berth::host {

struct plugin_library::handle {
    boost::dll::shared_library library;
};

namespace {

struct cap_slot {
    std::uint64_t bit;
    const char* name;
    const char* function;  // the slot the bit promises, or null
};

constexpr cap_slot k_caps[] = {
    {BERTH_CAP_PIPES, "pipes", nullptr},
    {BERTH_CAP_PTY, "pty", nullptr},
    {BERTH_CAP_RESIZE, "resize", "session_resize"},
    {BERTH_CAP_SIGNAL, "signal", "session_signal"},
    {BERTH_CAP_STDIN_EOF, "stdin-eof", "session_close_stdin"},
    {BERTH_CAP_RUN, "run", nullptr},
    {BERTH_CAP_EXEC, "exec", nullptr},
};

// ABI 1.0 sizes: a 1.x plugin's structs are at least this large. Later minors append fields,
// so these stay fixed forever.
constexpr std::size_t k_descriptor_size_1_0 =
    offsetof(berth_plugin_descriptor, api) + sizeof(void*);
constexpr std::size_t k_api_size_1_0 = offsetof(berth_plugin_api, session_pid) + sizeof(void*);

bool is_slot_set(const berth_plugin_api& api, std::string_view function) {
    if (function == "session_resize") return api.session_resize != nullptr;
    if (function == "session_signal") return api.session_signal != nullptr;
    if (function == "session_close_stdin") return api.session_close_stdin != nullptr;
    return true;
}

std::string copy_string(const char* s) { return s == nullptr ? std::string() : std::string(s); }

error reject(std::string reason) { return error{BERTH_ERR_INVALID_ARGUMENT, std::move(reason)}; }

std::string version(unsigned major, unsigned minor) {
    return std::to_string(major) + "." + std::to_string(minor);
}

}  // namespace

std::string_view to_string(load_check check) noexcept {
    switch (check) {
        case load_check::file:
            return "file";
        case load_check::load:
            return "load";
        case load_check::entry:
            return "entry";
        case load_check::abi:
            return "abi";
        case load_check::descriptor:
            return "descriptor";
        case load_check::functions:
            return "functions";
    }
    return "unknown";
}

std::vector<std::string> capability_list(std::uint64_t caps) {
    std::vector<std::string> out;
    std::uint64_t known = 0;
    for (const auto& c : k_caps) {
        known |= c.bit;
        if ((caps & c.bit) != 0) out.emplace_back(c.name);
    }
    for (unsigned bit = 0; bit < 64; ++bit) {
        const std::uint64_t b = std::uint64_t{1} << bit;
        if ((caps & b) != 0 && (known & b) == 0) out.push_back("bit" + std::to_string(bit));
    }
    return out;
}

std::string capability_names(std::uint64_t caps) {
    std::string out;
    for (const auto& c : capability_list(caps)) out += (out.empty() ? "" : ",") + c;
    return out.empty() ? "-" : out;
}

std::optional<file_identity> identify_file(const std::filesystem::path& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return std::nullopt;
    return file_identity{
        static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino),
        static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec,
        static_cast<std::uint64_t>(st.st_size)};
}

plugin_library::~plugin_library() = default;

bool plugin_library::replaced_on_disk() const { return identify_file(path_) != identity_; }

namespace {

// A name for `path` that no loaded library has: a symlink in a fresh private directory,
// removed (with the directory) when the alias goes out of scope, once dlopen has mapped it.
class private_alias {
public:
    explicit private_alias(const std::filesystem::path& path) {
        std::string dir = (std::filesystem::temp_directory_path() / "berth-plugin-XXXXXX").string();
        if (::mkdtemp(dir.data()) == nullptr)
            throw std::runtime_error("cannot make a private directory to load " + path.string() +
                                     " again: " + std::strerror(errno));
        dir_ = dir;
        alias_ = dir_ / path.filename();
        std::filesystem::create_symlink(std::filesystem::absolute(path), alias_);
    }
    ~private_alias() {
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }
    private_alias(const private_alias&) = delete;
    private_alias& operator=(const private_alias&) = delete;
    [[nodiscard]] const std::filesystem::path& path() const noexcept { return alias_; }

private:
    std::filesystem::path dir_;
    std::filesystem::path alias_;
};

}  // namespace

result<std::shared_ptr<plugin_library>> load_plugin_library(const std::filesystem::path& path,
                                                            bool path_already_loaded,
                                                            load_observer* observer) {
    const auto started = [observer](load_check c) {
        if (observer != nullptr) observer->started(c);
    };
    const auto passed = [observer](load_check c, const std::string& found) {
        if (observer != nullptr) observer->passed(c, found);
    };
    started(load_check::file);
    if (auto why = elf_mismatch(path); !why.empty()) return reject(why);
    passed(load_check::file, "an ELF shared object for this machine");

    auto lib = std::shared_ptr<plugin_library>(new plugin_library());
    lib->path_ = path;
    lib->identity_ = identify_file(path);
    lib->handle_ = std::make_unique<plugin_library::handle>();
    started(load_check::load);
    try {
        // RTLD_LOCAL: each plugin keeps its own symbols (and its own Boost copies) to itself.
        const auto mode = boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local;
        if (path_already_loaded) {
            const private_alias alias(path);
            lib->handle_->library.load(alias.path().string(), mode);
        } else {
            lib->handle_->library.load(path.string(), mode);
        }
    } catch (const std::exception& e) {
        return reject(std::string("cannot be loaded: ") + e.what());
    }
    passed(load_check::load, "dlopen with RTLD_NOW resolved every symbol; static initialisers ran");
    started(load_check::entry);
    if (!lib->handle_->library.has(BERTH_PLUGIN_ENTRY_SYMBOL))
        return reject("no " + std::string(BERTH_PLUGIN_ENTRY_SYMBOL) +
                      " symbol: not a berth plugin, or built for another ABI major version");
    const auto entry = lib->handle_->library.get<std::remove_pointer_t<berth_plugin_entry_fn>>(
        BERTH_PLUGIN_ENTRY_SYMBOL);
    const berth_plugin_descriptor* raw = entry(BERTH_ABI_VERSION_MAJOR, BERTH_ABI_VERSION_MINOR);
    if (raw == nullptr)
        return reject(std::string(BERTH_PLUGIN_ENTRY_SYMBOL) + " returned no descriptor");
    passed(load_check::entry, std::string(BERTH_PLUGIN_ENTRY_SYMBOL) + " returned a descriptor");
    started(load_check::abi);

    // Versions first: a different major may have a different layout altogether. The version
    // fields sit right after struct_size in every major, by design.
    if (raw->struct_size < offsetof(berth_plugin_descriptor, name))
        return reject("descriptor struct_size " + std::to_string(raw->struct_size) +
                      " is too small to hold an ABI version");
    const std::string host_abi = version(BERTH_ABI_VERSION_MAJOR, BERTH_ABI_VERSION_MINOR);
    const std::string plugin_abi = version(raw->abi_major, raw->abi_minor);
    if (raw->abi_major != BERTH_ABI_VERSION_MAJOR)
        return reject("ABI major version mismatch: plugin ABI " + plugin_abi + ", host ABI " +
                      host_abi);
    if (raw->abi_minor > BERTH_ABI_VERSION_MINOR)
        return reject("plugin ABI " + plugin_abi + " is newer than host ABI " + host_abi +
                      ": upgrade berth or use an older plugin build");
    passed(load_check::abi, "plugin ABI " + plugin_abi + ", host ABI " + host_abi);
    started(load_check::descriptor);
    if (raw->struct_size < k_descriptor_size_1_0)
        return reject("descriptor struct_size " + std::to_string(raw->struct_size) +
                      " is smaller than the ABI 1.0 minimum of " +
                      std::to_string(k_descriptor_size_1_0) + " bytes");

    berth_plugin_descriptor d{};
    std::memcpy(&d, raw, std::min<std::size_t>(raw->struct_size, sizeof d));

    auto& info = lib->info_;
    info.name = copy_string(d.name);
    info.runtime = copy_string(d.runtime);
    info.version = copy_string(d.version);
    info.description = copy_string(d.description);
    info.abi_major = d.abi_major;
    info.abi_minor = d.abi_minor;
    info.capabilities = d.capabilities;
    if (info.name.empty()) return reject("descriptor has no name");
    static const std::regex k_runtime_id("[a-z0-9][a-z0-9_-]*");
    if (!std::regex_match(info.runtime, k_runtime_id))
        return reject("descriptor runtime id '" + info.runtime +
                      "' is invalid: expected lowercase letters, digits, '-' or '_'");
    if (info.version.empty()) return reject("descriptor has no version");
    if (d.api == nullptr) return reject("descriptor has no function table");
    if (d.api->struct_size < k_api_size_1_0)
        return reject("function table struct_size " + std::to_string(d.api->struct_size) +
                      " is smaller than the ABI 1.0 minimum of " + std::to_string(k_api_size_1_0) +
                      " bytes");
    std::memcpy(&lib->api_, d.api, std::min<std::size_t>(d.api->struct_size, sizeof lib->api_));
    passed(load_check::descriptor,
           "'" + info.name + "' " + info.version + ", runtime '" + info.runtime + "'; descriptor " +
               std::to_string(raw->struct_size) + " bytes, function table " +
               std::to_string(d.api->struct_size) + " bytes");
    started(load_check::functions);

    const auto& api = lib->api_;
    const std::pair<const void*, const char*> required[] = {
        {reinterpret_cast<const void*>(api.create), "create"},
        {reinterpret_cast<const void*>(api.destroy), "destroy"},
        {reinterpret_cast<const void*>(api.last_error), "last_error"},
        {reinterpret_cast<const void*>(api.health_check), "health_check"},
        {reinterpret_cast<const void*>(api.options_schema), "options_schema"},
        {reinterpret_cast<const void*>(api.session_open), "session_open"},
        {reinterpret_cast<const void*>(api.session_write), "session_write"},
        {reinterpret_cast<const void*>(api.session_close), "session_close"},
        {reinterpret_cast<const void*>(api.session_destroy), "session_destroy"},
    };
    for (const auto& [fn, fname] : required)
        if (fn == nullptr) return reject("required function " + std::string(fname) + " is NULL");
    for (const auto& c : k_caps) {
        if ((info.capabilities & c.bit) != 0 && c.function != nullptr &&
            !is_slot_set(api, c.function))
            return reject("claims capability '" + std::string(c.name) + "' but its " + c.function +
                          " function is NULL");
    }
    passed(load_check::functions, "every required function is set; capabilities " +
                                      capability_names(info.capabilities) +
                                      " match their functions");
    return lib;
}

}  // namespace berth::host
