#include "lxc_tools.hpp"

#include <berth/sdk/plugin.hpp>
#include <berth/sdk/proc_stat.hpp>
#include <berth/sdk/random_hex.hpp>

#include <filesystem>
#include <fstream>
#include <thread>

namespace berth::plugins::lxc {
namespace {

using std::chrono::milliseconds;

[[noreturn]] void fail(berth_status status, const std::string& message) {
    throw sdk::error(status, message);
}

std::string said(const sdk::command_result& r, std::string_view tool, std::string_view name) {
    if (r.timed_out) return "timed out";
    std::string text = tool_messages(r.err, tool, name);
    if (text.empty()) text = tool_messages(r.out, tool, name);
    if (text.empty())
        text = r.term_signal > 0
                   ? "killed by signal " + std::to_string(r.term_signal)
                   : "exit status " + std::to_string(r.exit_code) + ", LXC printed nothing";
    return text;
}

// The status for a tool that failed: refusals are the caller's rights, not LXC breaking.
berth_status status_of(const sdk::command_result& r) {
    if (r.timed_out) return BERTH_ERR_TIMEOUT;
    const std::string all = r.err + r.out;
    if (all.find("Permission denied") != std::string::npos ||
        all.find("Operation not permitted") != std::string::npos)
        return BERTH_ERR_PERMISSION;
    return BERTH_ERR_RUNTIME;
}

void wait_running(std::string_view lxcpath, std::string_view name) {
    const auto r = run_tool(wait_argv(lxcpath, name, "RUNNING", k_start_timeout),
                            k_start_timeout + std::chrono::seconds(5));
    if (!r.ok())
        fail(BERTH_ERR_TIMEOUT, "container '" + std::string(name) +
                                    "' did not reach RUNNING within " +
                                    std::to_string(k_start_timeout.count()) + " s: lxc-wait says " +
                                    said(r, "lxc-wait", name));
}

void start(std::string_view lxcpath, std::string_view name) {
    const auto r = run_tool(start_argv(lxcpath, name), k_tool_timeout);
    if (!r.ok()) {
        fail(status_of(r), "lxc-start " + std::string(name) +
                               " failed: " + said(r, "lxc-start", name) +
                               " (its configuration must work here: see /etc/berth/lxc.conf)");
    }
    wait_running(lxcpath, name);
}

}  // namespace

sdk::command_result run_tool(const argv_t& argv, milliseconds timeout) {
    return sdk::run_tool(argv, timeout, k_lxc_install_hint, std::size_t{256} << 10);
}

container_info query_info(std::string_view lxcpath, std::string_view name) {
    const auto r = run_tool(state_argv(lxcpath, name), k_tool_timeout);
    if (r.timed_out)
        fail(BERTH_ERR_UNAVAILABLE, "lxc-info -n " + std::string(name) + " did not answer within " +
                                        std::to_string(k_tool_timeout.count()) + " s");
    return {parse_state(r.exit_code, r.out, r.err), parse_init_pid(r.out)};
}

container_state query_state(std::string_view lxcpath, std::string_view name) {
    return query_info(lxcpath, name).state;
}

std::string not_running_message(std::string_view name, container_state state) {
    const std::string n(name);
    switch (state) {
        case container_state::missing:
            return "container '" + n + "' does not exist (option 'container'; lxc-ls lists them)";
        case container_state::stopped:
            return "container '" + n +
                   "' is stopped; start it with lxc-start, or set "
                   "ensure_running (--opt ensure_running=true)";
        case container_state::frozen:
        case container_state::freezing:
            return "container '" + n + "' is " + std::string(to_string(state)) +
                   "; thaw it with lxc-unfreeze -n " + n;
        default:
            return "container '" + n + "' is not running (state " + std::string(to_string(state)) +
                   ")";
    }
}

bool ensure_running(std::string_view lxcpath, std::string_view name) {
    const container_state state = query_state(lxcpath, name);
    switch (state) {
        case container_state::running:
            return false;
        case container_state::missing:
            fail(BERTH_ERR_NOT_FOUND, not_running_message(name, state));
        case container_state::stopped:
            start(lxcpath, name);
            return true;
        case container_state::starting:
            wait_running(lxcpath, name);
            return false;
        default:
            fail(BERTH_ERR_STATE, not_running_message(name, state));
    }
}

void copy_ephemeral(const lxc_options& options, std::string_view new_name) {
    const std::string& tmpl = options.template_container;
    const auto r = run_tool(copy_argv(options, new_name), k_create_timeout);
    if (!r.ok()) {
        // lxc-copy says nothing on the common failures; ask LXC what the template looks like.
        std::string message;
        berth_status status = status_of(r);
        const container_state state = query_state(options.lxcpath, tmpl);
        if (state == container_state::missing) {
            status = BERTH_ERR_NOT_FOUND;
            message = "template container '" + tmpl + "' does not exist (option 'template')";
        } else if (state != container_state::stopped) {
            status = BERTH_ERR_STATE;
            message = "template container '" + tmpl + "' is " + std::string(to_string(state)) +
                      "; lxc-copy -e copies only a stopped container (lxc-stop -n " + tmpl + ")";
        } else {
            message = "lxc-copy -e -B overlayfs of '" + tmpl +
                      "' failed: " + said(r, "lxc-copy", tmpl) + " (overlayfs must be available)";
        }
        // A copy that got half-way must not stay behind.
        if (query_state(options.lxcpath, new_name) != container_state::missing) {
            const auto left = remove_container(options.lxcpath, new_name, {}, true);
            if (!left.empty()) message += "; and its partial copy: " + left;
        }
        fail(status, message);
    }
    try {
        wait_running(options.lxcpath, new_name);
    } catch (...) {
        (void)remove_container(options.lxcpath, new_name, {}, true);
        throw;
    }
}

void create_and_start(const lxc_options& options) {
    const auto r = run_tool(create_argv(options), k_create_timeout);
    if (!r.ok()) {
        auto failure = classify_create_failure(options.name, options.lxc_template, r.err + r.out);
        if (r.timed_out) {
            failure.status = BERTH_ERR_TIMEOUT;
            failure.message = "lxc-create -t " + options.lxc_template + " did not finish within " +
                              std::to_string(k_create_timeout.count()) + " s";
        }
        // lxc-create removes what it made when its template fails; a timeout may leave a part.
        if (failure.status != BERTH_ERR_STATE &&
            query_state(options.lxcpath, options.name) != container_state::missing)
            (void)remove_container(options.lxcpath, options.name, {}, true);
        fail(failure.status, failure.message);
    }
    try {
        start(options.lxcpath, options.name);
    } catch (const sdk::error& e) {
        const auto left = remove_container(options.lxcpath, options.name, {}, true);
        fail(e.status(), std::string(e.what()) + "; the new container was destroyed again" +
                             (left.empty() ? "" : " (" + left + ")"));
    }
}

std::string remove_container(std::string_view lxcpath, std::string_view name,
                             std::chrono::seconds stop_timeout, bool destroy) {
    const std::string n(name);
    try {
        // rc 2 "is not running" is fine: the container may have stopped on its own.
        const auto stopped =
            run_tool(stop_argv(lxcpath, name, stop_timeout), k_tool_timeout + stop_timeout);
        if (stopped.timed_out) return "lxc-stop " + n + " timed out";
        if (destroy) {
            const auto r = run_tool(destroy_argv(lxcpath, name), k_tool_timeout);
            if (!r.ok() && query_state(lxcpath, name) != container_state::missing)
                return "lxc-destroy " + n + " failed: " + said(r, "lxc-destroy", name);
        }
        // An ephemeral copy is destroyed by LXC as it stops; make sure it really went.
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        container_state state = query_state(lxcpath, name);
        while (state != container_state::missing && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(milliseconds(50));
            state = query_state(lxcpath, name);
        }
        if (state == container_state::missing) return {};
        const auto r = run_tool(destroy_argv(lxcpath, name), k_tool_timeout);
        if (r.ok() || query_state(lxcpath, name) == container_state::missing) return {};
        return "container " + n + " is still there (" + std::string(to_string(state)) +
               ") and lxc-destroy failed: " + said(r, "lxc-destroy", name);
    } catch (const std::exception& e) {
        return "removing container " + n + " failed: " + e.what();
    }
}

std::string default_lxcpath(std::chrono::milliseconds timeout) {
    const auto r = run_tool({"lxc-config", "lxc.lxcpath"}, timeout);
    std::string path = r.out;
    while (!path.empty() && (path.back() == '\n' || path.back() == ' ')) path.pop_back();
    if (!r.ok() || path.empty())
        fail(BERTH_ERR_UNAVAILABLE, "cannot read lxc.lxcpath: `lxc-config lxc.lxcpath` said " +
                                        (r.ok() ? std::string("nothing") : r.message()));
    return path;
}

std::string lxcpath_of(const lxc_options& options) {
    if (!options.lxcpath.empty()) return options.lxcpath;
    static const std::string asked = default_lxcpath();  // a throw leaves it to the next call
    return asked;
}

void reclaim_owned_default(const std::string& owner, std::uint32_t& removed) {
    std::string lxcpath;
    try {
        lxcpath = lxcpath_of({});
    } catch (const sdk::error& e) {
        if (e.status() == BERTH_ERR_UNAVAILABLE) return;  // no LXC here, so nothing of ours
        throw;
    }
    reclaim_owned(lxcpath, owner, removed);
}

std::string mark_owned(std::string_view lxcpath, std::string_view name, const std::string& owner) {
    const auto file = std::filesystem::path(lxcpath) / name / BERTH_OWNER_FILE;
    std::ofstream out(file, std::ios::trunc);
    out << owner << "\n";
    out.close();
    if (!out) return "cannot write " + file.string();
    return {};
}

void reclaim_owned(const std::string& lxcpath, const std::string& owner, std::uint32_t& removed) {
    std::error_code ec;
    std::filesystem::directory_iterator it(lxcpath, ec);
    if (ec) {
        if (ec == std::errc::no_such_file_or_directory) return;  // no container was ever made
        fail(BERTH_ERR_RUNTIME, "cannot list " + lxcpath + ": " + ec.message());
    }
    std::string problems;
    for (const auto& entry : it) {
        std::ifstream in(entry.path() / BERTH_OWNER_FILE);
        std::string marked;
        if (!in || !std::getline(in, marked) || marked != owner) continue;
        const std::string name = entry.path().filename().string();
        const std::string problem = remove_container(lxcpath, name, std::chrono::seconds(0), true);
        if (problem.empty()) {
            ++removed;
        } else {
            problems += (problems.empty() ? "" : "; ") + problem +
                        " (remove with: lxc-stop -k -P " + lxcpath + " -n " + name +
                        " && lxc-destroy -P " + lxcpath + " -n " + name + ")";
        }
    }
    if (!problems.empty()) fail(BERTH_ERR_RUNTIME, problems);
}

std::string random_container_name() { return "berth-" + sdk::random_hex(12); }

session_container ready_container(const lxc_options& options, const sdk::host_services& host,
                                  const std::string& owner_lxcpath) {
    session_container c{fixed_target(options)};
    switch (options.mode) {
        case session_mode::attach:
            if (options.ensure_running && ensure_running(options.lxcpath, c.name))
                host.log(BERTH_LOG_INFO, "started container " + c.name + " (ensure_running)");
            break;
        case session_mode::ephemeral:
            c.name = random_container_name();
            copy_ephemeral(options, c.name);
            c.owned = true;
            host.add_counter("ephemeral_containers_total", 1);
            break;
        case session_mode::create:
            create_and_start(options);
            c.owned = c.destroy = options.destroy_on_close;
            host.add_counter("containers_created_total", 1);
            break;
    }
    if (c.owned && !owner_lxcpath.empty() && !host.owner().empty()) {
        if (const auto problem = mark_owned(owner_lxcpath, c.name, host.owner()); !problem.empty())
            host.log(BERTH_LOG_WARN,
                     "container " + c.name + " is not marked as the host's: " + problem);
    }
    return c;
}

void explain_attach_end(sdk::exit_status& status, std::string_view head, std::string_view lxcpath,
                        const std::string& name) {
    const sdk::exit_status e = status;
    if (e.term_signal == 0 && e.exit_code == 1) {
        // lxc-attach exits 1 both when it cannot enter and when the command exits 1; only its
        // own first words tell them apart.
        const auto failure = scan_attach_output(head, name);
        if (!failure.found) return;
        status.failed = true;
        status.reason = "lxc-attach could not enter container '" + name + "': " + failure.message;
        if (failure.no_init_pid) {
            const container_state state = query_state(lxcpath, name);
            if (state != container_state::running) status.reason = not_running_message(name, state);
        }
        return;
    }
    if (e.term_signal == 0 && e.exit_code <= 128) return;
    // Killed: if the container went away under the session, that is the story. A container
    // being stopped kills its processes from its init's exit path, so LXC may still call it
    // RUNNING while the init is already exiting (or a zombie, or gone).
    const auto info = query_info(lxcpath, name);
    const auto init = sdk::read_proc_stat(static_cast<pid_t>(info.init_pid));
    const bool init_alive = info.init_pid > 0 && init && !init->gone() && !init->exiting();
    if (info.state == container_state::running && init_alive) return;
    status.failed = true;
    status.reason =
        "container '" + name + "' stopped while the session ran (" +
        (info.state == container_state::running ? std::string("STOPPING")
                                                : std::string(to_string(info.state))) +
        ", " +
        (e.term_signal > 0 ? "lxc-attach killed by signal " + std::to_string(e.term_signal)
                           : "exit status " + std::to_string(e.exit_code)) +
        ")";
}

}  // namespace berth::plugins::lxc
