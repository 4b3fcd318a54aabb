// Fuzzes session options the way a session is opened, minus the process: the host's
// validator (sdk::validate_options) against a plugin's real schema, then that plugin's own
// parsing into typed options and argvs. Nothing is spawned.
//
// The first input byte picks the plugin (local, podman, containerd, lxc), the rest is the
// options JSON. Invariants:
//   - the validator never throws; its message, like every parser's, grows at most linearly
//     with the input and, for input that is JSON, is valid UTF-8 (it goes into JSON replies);
//   - a parser throws nothing but sdk::error(BERTH_ERR_INVALID_ARGUMENT), with a message;
//   - a parser never accepts what the validator rejects (the host would never get there, but
//     a plugin loaded by another host would run it);
//   - from accepted options, no argv (or, for the local plugin, environment) string holds a
//     NUL, which exec would cut short without a word; the command reaches the end of the
//     argv unchanged; the labels and variables berth reserves appear exactly once.
#include <berth/plugin.h>
#include <berth/sdk/options.hpp>
#include <berth/sdk/plugin.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "containerd_argv.hpp"
#include "containerd_options.hpp"
#include "fuzz_check.hpp"
#include "lxc_argv.hpp"
#include "lxc_options.hpp"
#include "podman_argv.hpp"
#include "podman_options.hpp"

// The local plugin's entry, compiled into this program from plugins/local/local_plugin.cpp:
// its schema is read through the C ABI, as the host reads it.
extern "C" const berth_plugin_descriptor* BERTH_PLUGIN_ENTRY(std::uint16_t host_abi_major,
                                                             std::uint16_t host_abi_minor);

namespace berth::fuzz {
namespace {

using argv_t = std::vector<std::string>;

constexpr std::string_view k_owner = "fuzz-owner";
constexpr std::size_t k_message_slack = 1024;

bool valid_utf8(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        std::size_t n = 0;
        std::uint32_t cp = 0;
        if (c < 0x80) {
            ++i;
            continue;
        }
        if ((c & 0xe0) == 0xc0) {
            n = 1;
            cp = c & 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            n = 2;
            cp = c & 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            n = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (i + n >= s.size()) return false;  // cut short
        for (std::size_t k = 1; k <= n; ++k) {
            const auto cc = static_cast<unsigned char>(s[i + k]);
            if ((cc & 0xc0) != 0x80) return false;
            cp = (cp << 6) | (cc & 0x3f);
        }
        const std::uint32_t min = n == 1 ? 0x80 : n == 2 ? 0x800 : 0x10000;
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
        i += n + 1;
    }
    return true;
}

void check_message(std::string_view message, std::string_view input) {
    check(message.size() <= k_message_slack + 4 * input.size(),
          "an error message grows faster than the input");
    // Messages quote what they reject; quoting valid JSON must keep them valid UTF-8. (Not
    // asserted for text that is not JSON: nlohmann's parse errors quote the bytes around
    // the error raw, and may cut a character in half there.)
    if (nlohmann::json::accept(input))
        check(valid_utf8(message), "an error message is not valid UTF-8");
}

void check_no_nul(const argv_t& argv) {
    check(!argv.empty() && !argv.front().empty(), "an argv without a program");
    for (const auto& a : argv)
        check(a.find('\0') == std::string::npos, "an argv element holds a NUL");
}

// argv ends with `tail`, preceded by `before` (a separator and/or the positional).
void check_tail(const argv_t& argv, const argv_t& before, const argv_t& tail) {
    check(argv.size() >= before.size() + tail.size(), "argv is shorter than its tail");
    const auto start = argv.end() - static_cast<std::ptrdiff_t>(before.size() + tail.size());
    check(std::equal(before.begin(), before.end(), start), "argv's positional is not in place");
    check(std::equal(tail.begin(), tail.end(), start + static_cast<std::ptrdiff_t>(before.size())),
          "the command does not reach the end of argv unchanged");
}

// How many elements of argv's flags part (before `flags_end`: the positional and the command
// are no flags) start with `prefix`; with `flag`, how many values following that flag do.
std::size_t count_flags(const argv_t& argv, std::size_t flags_end, std::string_view prefix,
                        std::string_view flag = {}) {
    std::size_t n = 0;
    for (std::size_t i = 0; i < flags_end; ++i) {
        if (flag.empty()) {
            n += argv[i].starts_with(prefix) ? 1 : 0;
        } else if (argv[i] == flag && i + 1 < flags_end && argv[i + 1].starts_with(prefix)) {
            ++n;
            ++i;
        }
    }
    return n;
}

// Runs a plugin's parser; true if it accepted. Anything but an invalid-argument sdk::error
// is a bug (the host would report it as the plugin's crash, not as the user's mistake).
bool parses(const std::function<void()>& parse, std::string_view input) {
    try {
        parse();
        return true;
    } catch (const sdk::error& e) {
        check(e.status() == BERTH_ERR_INVALID_ARGUMENT,
              "a parser threw sdk::error with a status other than invalid-argument");
        check(*e.what() != '\0', "a parser rejected options without saying why");
        check_message(e.what(), input);
    } catch (const std::exception& e) {
        fail(std::string("a parser threw something other than sdk::error: ") + e.what());
    } catch (...) {
        fail("a parser threw a non-exception");
    }
    return false;
}

std::string local_schema() {
    const berth_plugin_descriptor* d =
        BERTH_PLUGIN_ENTRY(BERTH_ABI_VERSION_MAJOR, BERTH_ABI_VERSION_MINOR);
    check(d != nullptr && d->api != nullptr, "the local plugin has no descriptor");
    berth_host_services services{};
    services.struct_size = sizeof services;
    services.abi_major = BERTH_ABI_VERSION_MAJOR;
    services.abi_minor = BERTH_ABI_VERSION_MINOR;
    services.log = [](void*, berth_log_level, const char*) {};
    services.metric = [](void*, berth_metric_kind, const char*, double) {};
    berth_plugin* plugin = nullptr;
    check(d->api->create(&services, &plugin) == BERTH_OK, "the local plugin cannot be created");
    std::string schema = d->api->options_schema(plugin);
    d->api->destroy(plugin);  // creating it started its I/O thread; this joins it
    return schema;
}

// What the local plugin's open() reads before it spawns (plugins/local/local_plugin.cpp).
void fuzz_local(std::string_view schema, std::string_view json, bool valid) {
    argv_t command;
    std::map<std::string, std::string> env;
    std::string workdir;
    const bool accepted = parses(
        [&] {
            const sdk::session_options o(schema, json);
            command = o.strings("command");
            env = o.string_map("env");
            workdir = o.string("workdir").value_or("");
            (void)o.flag("tty");
            (void)o.flag("clear_env");
            for (const char* key : {"rows", "cols"})
                if (auto v = o.integer(key))
                    check(*v >= 1 && *v <= 65535, "a terminal size out of range was accepted");
        },
        json);
    if (!accepted) return;
    check(valid, "session_options accepted what validate_options rejected");
    check_no_nul(command);
    for (const auto& [k, v] : env)
        check(k.find('\0') == std::string::npos && v.find('\0') == std::string::npos,
              "an environment variable holds a NUL");
    check(workdir.find('\0') == std::string::npos, "the working directory holds a NUL");
}

void fuzz_podman(std::string_view /*schema*/, std::string_view json, bool valid) {
    namespace pm = plugins::podman;
    pm::podman_options o;
    if (!parses([&] { o = pm::parse_options(json); }, json)) return;
    check(valid, "podman's parser accepted what validate_options rejected");

    pm::session_ids ids;
    ids.token = "0123456789ab";
    if (o.mode == pm::session_mode::run) {
        ids.name = o.name.empty() ? "berth-" + ids.token : o.name;
        ids.owner = std::string(k_owner);
    }
    const argv_t prefix = pm::podman_prefix(o);
    const argv_t argv = pm::session_argv(o, ids);
    check_no_nul(argv);
    const std::string& positional = o.mode == pm::session_mode::run ? o.image : o.container;
    check(!positional.empty() && positional.front() != '-',
          "podman's image or container could be read as a flag");
    check_tail(argv, {positional}, o.command);
    // Between the subcommand and the positional only flags: every value is joined to its
    // flag, so none can be taken for the image.
    const std::size_t flags_end = argv.size() - o.command.size() - 1;
    check(std::all_of(argv.begin() + static_cast<std::ptrdiff_t>(prefix.size() + 1),
                      argv.begin() + static_cast<std::ptrdiff_t>(flags_end),
                      [](const std::string& a) { return a.starts_with('-'); }),
          "a podman flag value stands alone in argv");
    check(count_flags(argv, flags_end, "--env=" + std::string(pm::k_token_env) + "=") == 1,
          "the session token variable is not set exactly once");
    if (o.mode == pm::session_mode::run)
        check(count_flags(argv, flags_end, std::string("--label=") + BERTH_OWNER_LABEL + "=") == 1,
              "the owner label is not set exactly once");
    check_no_nul(pm::remove_argv(o, ids.name.empty() ? o.container : ids.name));
    check_no_nul(pm::owned_list_argv(o, k_owner));
}

void fuzz_containerd(std::string_view /*schema*/, std::string_view json, bool valid) {
    namespace cd = plugins::containerd;
    // Fixed defaults, not the environment's: an input must mean the same on every run.
    const cd::environment_defaults defaults;
    cd::session_config c;
    if (!parses([&] { c = cd::read_options(json, defaults); }, json)) return;
    check(valid, "containerd's parser accepted what validate_options rejected");

    const std::string id = c.run_mode() ? (c.name.empty() ? "berth-fuzz" : c.name) : *c.container;
    check(cd::is_identifier(id), "containerd's container id is not an identifier");
    if (c.run_mode()) {
        c.owner = std::string(k_owner);
        const argv_t run = cd::run_detached(c, id);
        check_no_nul(run);
        check(!c.image->empty() && c.image->front() != '-', "containerd's image starts with '-'");
        check_tail(run, {"--", *c.image, id}, c.init);
        const std::size_t flags_end = run.size() - c.init.size() - 3;
        for (const char* label : {BERTH_OWNER_LABEL, "berth.plugin"})
            check(count_flags(run, flags_end, std::string(label) + "=", "--label") == 1,
                  "a label berth reserves is not set exactly once");
    }
    const argv_t exec = cd::exec_command(c, id, "berth-fuzz-exec", "/tmp/berth-fuzz-fifos");
    check_no_nul(exec);
    check_tail(exec, {"--", id}, c.command);
    check_no_nul(cd::kill_exec(c.conn, id, "berth-fuzz-exec", 15));
    check_no_nul(cd::delete_task(c.conn, id));
    check_no_nul(cd::list_owned(c.conn, k_owner));
}

void fuzz_lxc(std::string_view /*schema*/, std::string_view json, bool valid) {
    namespace lx = plugins::lxc;
    lx::lxc_options o;
    if (!parses([&] { o = lx::parse_options(json); }, json)) return;
    check(valid, "lxc's parser accepted what validate_options rejected");

    std::string target = lx::fixed_target(o);
    if (o.mode == lx::session_mode::ephemeral) {
        check(lx::valid_container_name(o.template_container), "a bad template name passed");
        target = "berth-fuzz-copy";
        check_no_nul(lx::copy_argv(o, target));
    }
    check(lx::valid_container_name(target), "a bad container name passed");
    if (o.mode == lx::session_mode::create) {
        const argv_t create = lx::create_argv(o);
        check_no_nul(create);
        if (!o.lxc_template_args.empty()) check_tail(create, {"--"}, o.lxc_template_args);
    }
    const argv_t attach = lx::attach_argv(o, target);
    check_no_nul(attach);
    if (!o.command.empty()) check_tail(attach, {"--"}, o.command);
    check_no_nul(lx::stop_argv(o.lxcpath, target, o.stop_timeout));
    check_no_nul(lx::destroy_argv(o.lxcpath, target));
}

struct target {
    std::string schema;
    void (*parse)(std::string_view schema, std::string_view json, bool valid);
};

const target& pick(std::uint8_t plugin) {
    static const target targets[] = {
        {local_schema(), fuzz_local},
        {std::string(plugins::podman::options_schema()), fuzz_podman},
        {std::string(plugins::containerd::options_schema()), fuzz_containerd},
        {std::string(plugins::lxc::options_schema()), fuzz_lxc},
    };
    return targets[plugin % 4];
}

void run(std::uint8_t plugin, std::string_view json) {
    const target& t = pick(plugin);
    const std::string problem = sdk::validate_options(t.schema, json);
    check_message(problem, json);
    t.parse(t.schema, json, problem.empty());
}

}  // namespace
}  // namespace berth::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::string_view json(reinterpret_cast<const char*>(data) + 1, size - 1);
    try {
        berth::fuzz::run(data[0], json);
    } catch (const std::exception& e) {
        berth::fuzz::fail(std::string("an exception escaped: ") + e.what());
    }
    return 0;
}
