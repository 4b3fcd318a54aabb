// Spawning goes through Boost.Process (exe, args, environment, exec-error reporting); the
// descriptors, the process group and the controlling terminal are ours, set up in the child
// between fork and exec. Only async-signal-safe calls happen there.
#include "spawn.hpp"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>
#include <berth/sdk/pidfd.hpp>
#include <berth/sdk/plugin.hpp>

#include <boost/process/args.hpp>
#include <boost/process/child.hpp>
#include <boost/process/env.hpp>
#include <boost/process/environment.hpp>
#include <boost/process/exe.hpp>
#include <boost/process/extend.hpp>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <system_error>

extern char** environ;

namespace berth::sdk {
namespace {

constexpr const char* k_default_path =
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

[[noreturn]] void fail(berth_status status, const std::string& message) {
    throw error(status, message);
}

std::string errno_text(int err) { return std::generic_category().message(err); }

unique_fd checked(int fd, const char* what) {
    if (fd < 0) fail(BERTH_ERR_RUNTIME, std::string(what) + " failed: " + errno_text(errno));
    return unique_fd(fd);
}

struct pipe_pair {
    unique_fd read;
    unique_fd write;
};

pipe_pair make_pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) fail(BERTH_ERR_RUNTIME, "pipe2 failed: " + errno_text(errno));
    return {unique_fd(fds[0]), unique_fd(fds[1])};
}

// The environment the child gets, as Boost.Process wants it. set(), not operator[]: Boost
// 1.74's find() behind operator[] compares key + "=" against each entry with a memcmp of the
// key's length, reading past entries shorter than that (ASan: heap-buffer-overflow).
boost::process::environment child_environment(const process_spec& spec) {
    boost::process::environment env;
    if (!spec.clear_env) {
        for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
            const char* eq = std::strchr(*e, '=');
            if (eq == nullptr || eq == *e) continue;
            env.set(std::string(*e, static_cast<std::size_t>(eq - *e)), std::string(eq + 1));
        }
    }
    for (const auto& [k, v] : spec.env) env.set(k, v);
    return env;
}

// The PATH the child will see, for finding argv[0]. Not through environment::find, which has
// the same over-read as operator[] (see child_environment).
std::string lookup_path(const process_spec& spec) {
    if (const auto it = spec.env.find("PATH"); it != spec.env.end()) return it->second;
    if (!spec.clear_env)
        if (const char* p = std::getenv("PATH"); p != nullptr) return p;
    return k_default_path;
}

// Everything the child does before exec. Runs after fork in a possibly multi-threaded
// process: async-signal-safe calls only, no allocation.
struct child_setup {
    const process_spec* spec;
    int in = -1, out = -1, err = -1;  // descriptors to become 0, 1, 2
    int pty_slave = -1;

    void operator()() const {
        // Start from a clean signal state: the host may block or ignore signals (SIGPIPE).
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, nullptr);
        for (int s = 1; s < NSIG; ++s) {
            if (s != SIGKILL && s != SIGSTOP) ::signal(s, SIG_DFL);
        }
        if (pty_slave >= 0) {
            // A new session whose controlling terminal is the slave: Ctrl-C and resizes
            // reach the foreground job.
            ::setsid();
            ::ioctl(pty_slave, TIOCSCTTY, 0);
        } else {
            // Own process group, so close can end the command and everything it started.
            ::setpgid(0, 0);
        }
        ::dup2(in, STDIN_FILENO);
        ::dup2(out, STDOUT_FILENO);
        ::dup2(err, STDERR_FILENO);
        // Nothing else the host holds open may leak into the child (another session's
        // stdin pipe would never see EOF). CLOEXEC, not close: Boost.Process reports exec
        // errors through a descriptor of its own that must survive until exec.
        if (::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
            for (int fd = 3; fd < 65536; ++fd) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
        }
        if (!spec->working_dir.empty() && ::chdir(spec->working_dir.c_str()) != 0) ::_exit(126);
    }
};

}  // namespace

std::optional<std::string> find_executable(const std::string& name) {
    const char* path = std::getenv("PATH");
    return find_executable(name, path != nullptr ? path : k_default_path);
}

std::optional<std::string> find_executable(const std::string& name, const std::string& path_list) {
    if (name.empty()) return std::nullopt;
    if (name.find('/') != std::string::npos) {
        if (::access(name.c_str(), F_OK) == 0) return name;
        return std::nullopt;
    }
    std::size_t start = 0;
    while (start <= path_list.size()) {
        std::size_t end = path_list.find(':', start);
        if (end == std::string::npos) end = path_list.size();
        std::string dir = path_list.substr(start, end - start);
        if (dir.empty()) dir = ".";
        std::string candidate = dir + "/" + name;
        struct stat st {};
        if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
            ::access(candidate.c_str(), X_OK) == 0)
            return candidate;
        start = end + 1;
    }
    return std::nullopt;
}

spawned_child spawn_child(const process_spec& spec) {
    if (spec.argv.empty() || spec.argv.front().empty())
        fail(BERTH_ERR_INVALID_ARGUMENT, "no command given: the argv is empty");
    if (!spec.working_dir.empty()) {
        struct stat st {};
        if (::stat(spec.working_dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
            fail(BERTH_ERR_INVALID_ARGUMENT, "working directory '" + spec.working_dir +
                                                 "' does not exist or is not a directory");
    }

    boost::process::environment env = child_environment(spec);
    const std::string& name = spec.argv.front();
    const auto exe = find_executable(name, lookup_path(spec));
    if (!exe) fail(BERTH_ERR_COMMAND_NOT_FOUND, "command not found: " + name);
    if (::access(exe->c_str(), X_OK) != 0)
        fail(BERTH_ERR_COMMAND_NOT_EXECUTABLE,
             "command not executable: " + *exe + ": " + errno_text(errno));

    spawned_child child;
    child_setup setup{&spec};
    unique_fd slave;
    pipe_pair in, out, err;
    if (spec.tty) {
        child.pty = checked(::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC), "posix_openpt");
        if (::grantpt(child.pty.get()) != 0 || ::unlockpt(child.pty.get()) != 0)
            fail(BERTH_ERR_RUNTIME, "cannot unlock pseudo-terminal: " + errno_text(errno));
        char slave_name[128];
        if (::ptsname_r(child.pty.get(), slave_name, sizeof slave_name) != 0)
            fail(BERTH_ERR_RUNTIME, "ptsname failed: " + errno_text(errno));
        slave = checked(::open(slave_name, O_RDWR | O_NOCTTY | O_CLOEXEC), "open pty slave");
        struct winsize ws {};
        ws.ws_row = spec.rows;
        ws.ws_col = spec.cols;
        ::ioctl(slave.get(), TIOCSWINSZ, &ws);
        setup.in = setup.out = setup.err = setup.pty_slave = slave.get();
    } else {
        in = make_pipe();
        out = make_pipe();
        err = make_pipe();
        child.stdout_pipe = output_pipe_grant::enlarge(out.read.get());
        setup.in = in.read.get();
        setup.out = out.write.get();
        setup.err = err.write.get();
    }

    std::vector<std::string> args(spec.argv.begin() + 1, spec.argv.end());
    std::error_code ec;
    boost::process::child proc(
        boost::process::exe = *exe, boost::process::args = args, boost::process::env = env,
        boost::process::extend::on_exec_setup = [&setup](auto&) { setup(); }, ec);
    if (ec) {
        const int code = ec.value();
        if (code == ENOENT) fail(BERTH_ERR_COMMAND_NOT_FOUND, "command not found: " + name);
        if (code == EACCES || code == EPERM || code == ENOEXEC)
            fail(BERTH_ERR_COMMAND_NOT_EXECUTABLE, "cannot execute " + *exe + ": " + ec.message());
        fail(BERTH_ERR_RUNTIME, "cannot start " + *exe + ": " + ec.message());
    }
    child.pid = proc.id();
    // We reap through the pidfd; Boost.Process must neither wait for nor kill the child.
    proc.detach();
    // At the fd limit Boost.Process can fail before it forks (its own error pipe) and still
    // leave `ec` clear, with an id of -1. Every kill below takes -pid and pid: with -1 they
    // are kill(1) and kill(-1, SIGKILL), which as root ends every process on the machine.
    // So no pid, no child, and nothing is signalled.
    if (child.pid <= 0)
        fail(BERTH_ERR_RUNTIME,
             "cannot start " + *exe + ": no process was created (" + errno_text(errno) + ")");
    if (!spec.tty) ::setpgid(child.pid, child.pid);  // closes the race with the child's own call

    const int pidfd = pidfd_open_fd(child.pid);
    if (pidfd < 0) {
        const int e = errno;
        ::kill(-child.pid, SIGKILL);
        ::kill(child.pid, SIGKILL);
        int status = 0;
        ::waitpid(child.pid, &status, 0);  // SIGKILL is immediate; reap so nothing lingers
        fail(BERTH_ERR_RUNTIME, "pidfd_open failed (Linux >= 5.3 is required): " + errno_text(e));
    }
    child.pidfd.reset(pidfd);
    if (!spec.tty) {
        child.stdin_w = std::move(in.write);
        child.stdout_r = std::move(out.read);
        child.stderr_r = std::move(err.read);
    }
    return child;  // the child's ends (slave, pipe ends) close here, in the parent
}

}  // namespace berth::sdk
