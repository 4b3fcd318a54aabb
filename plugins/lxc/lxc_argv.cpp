#include "lxc_argv.hpp"

namespace berth::plugins::lxc {
namespace {

// Every LXC tool starts the same way: which container, under which lxcpath.
argv_t base(std::string_view tool, std::string_view lxcpath, std::string_view name) {
    argv_t argv{std::string(tool), "-n", std::string(name)};
    if (!lxcpath.empty()) {
        argv.emplace_back("-P");
        argv.emplace_back(lxcpath);
    }
    return argv;
}

}  // namespace

argv_t attach_argv(const lxc_options& o, std::string_view target) {
    argv_t argv = base("lxc-attach", o.lxcpath, target);
    if (o.clear_env) argv.emplace_back("--clear-env");
    for (const auto& var : o.keep_vars) {
        argv.emplace_back("--keep-var");
        argv.push_back(var);
    }
    for (const auto& [k, v] : o.env) {
        argv.emplace_back("--set-var");
        argv.push_back(k + "=" + v);
    }
    if (o.uid) {
        argv.emplace_back("-u");
        argv.push_back(std::to_string(*o.uid));
    }
    if (o.gid) {
        argv.emplace_back("-g");
        argv.push_back(std::to_string(*o.gid));
    }
    if (!o.namespaces.empty()) {
        argv.emplace_back("-s");
        argv.push_back(o.namespaces);
    }
    // The value is optional (getopt optional_argument), so it must be joined with '='; alone
    // the flag elevates everything.
    if (o.elevated_privileges) {
        argv.push_back(o.elevated_privileges->empty()
                           ? std::string("--elevated-privileges")
                           : "--elevated-privileges=" + *o.elevated_privileges);
    }
    if (o.remount_sys_proc) argv.emplace_back("-R");
    if (!o.command.empty()) {
        argv.emplace_back("--");
        argv.insert(argv.end(), o.command.begin(), o.command.end());
    }
    return argv;
}

argv_t copy_argv(const lxc_options& o, std::string_view new_name) {
    argv_t argv = base("lxc-copy", o.lxcpath, o.template_container);
    argv.emplace_back("-N");
    argv.emplace_back(new_name);
    argv.emplace_back("-e");
    argv.emplace_back("-B");
    argv.emplace_back("overlayfs");
    return argv;
}

argv_t create_argv(const lxc_options& o) {
    argv_t argv = base("lxc-create", o.lxcpath, o.name);
    argv.emplace_back("-t");
    argv.push_back(o.lxc_template);
    if (!o.config_file.empty()) {
        argv.emplace_back("-f");
        argv.push_back(o.config_file);
    }
    if (!o.lxc_template_args.empty()) {
        argv.emplace_back("--");
        argv.insert(argv.end(), o.lxc_template_args.begin(), o.lxc_template_args.end());
    }
    return argv;
}

argv_t start_argv(std::string_view lxcpath, std::string_view name) {
    argv_t argv = base("lxc-start", lxcpath, name);
    argv.emplace_back("-d");
    return argv;
}

argv_t wait_argv(std::string_view lxcpath, std::string_view name, std::string_view state,
                 std::chrono::seconds timeout) {
    argv_t argv = base("lxc-wait", lxcpath, name);
    argv.emplace_back("-s");
    argv.emplace_back(state);
    argv.emplace_back("-t");
    argv.push_back(std::to_string(timeout.count()));
    return argv;
}

argv_t stop_argv(std::string_view lxcpath, std::string_view name, std::chrono::seconds timeout) {
    argv_t argv = base("lxc-stop", lxcpath, name);
    if (timeout.count() <= 0) {
        argv.emplace_back("-k");
    } else {
        argv.emplace_back("-t");
        argv.push_back(std::to_string(timeout.count()));
    }
    return argv;
}

argv_t destroy_argv(std::string_view lxcpath, std::string_view name) {
    argv_t argv = base("lxc-destroy", lxcpath, name);
    argv.emplace_back("-f");
    return argv;
}

argv_t state_argv(std::string_view lxcpath, std::string_view name) {
    argv_t argv = base("lxc-info", lxcpath, name);
    argv.emplace_back("-s");
    argv.emplace_back("-p");
    return argv;
}

argv_t list_argv(std::string_view lxcpath) {
    argv_t argv{"lxc-ls"};
    if (!lxcpath.empty()) {
        argv.emplace_back("-P");
        argv.emplace_back(lxcpath);
    }
    argv.emplace_back("-1");
    return argv;
}

}  // namespace berth::plugins::lxc
