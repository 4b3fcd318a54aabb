#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>
#include <berth/host/plugin_trust.hpp>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <deque>
#include <string_view>
#include <system_error>
#include <vector>

namespace berth::host {
namespace fs = std::filesystem;

namespace {

constexpr int k_max_links = 40;  // as the kernel's ELOOP limit

std::string octal_mode(std::uint32_t mode) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%04o", mode & 07777U);
    return buf;
}

std::string user_of(const trust_facts& f) {
    std::string s = "uid " + std::to_string(f.uid);
    if (f.user_name) s += " (" + *f.user_name + ")";
    return s;
}

std::string group_of(const trust_facts& f) {
    std::string s = "group " + std::to_string(f.gid);
    if (f.group_name) s += " (" + *f.group_name + ")";
    return s;
}

std::optional<std::string> user_name(std::uint32_t uid) {
    long size = ::sysconf(_SC_GETPW_R_SIZE_MAX);
    std::vector<char> buf(size > 0 ? static_cast<std::size_t>(size) : 16384);
    passwd pw{};
    passwd* found = nullptr;
    if (::getpwuid_r(uid, &pw, buf.data(), buf.size(), &found) != 0 || found == nullptr)
        return std::nullopt;
    return std::string(found->pw_name);
}

std::optional<std::string> group_name(std::uint32_t gid) {
    long size = ::sysconf(_SC_GETGR_R_SIZE_MAX);
    std::vector<char> buf(size > 0 ? static_cast<std::size_t>(size) : 16384);
    group gr{};
    group* found = nullptr;
    if (::getgrgid_r(gid, &gr, buf.data(), buf.size(), &found) != 0 || found == nullptr)
        return std::nullopt;
    return std::string(found->gr_name);
}

std::string root_requirement(trust_role role, std::string_view what) {
    switch (role) {
        case trust_role::plugin_file:
            return "as root, berth loads only plugin files " + std::string(what);
        case trust_role::plugin_dir:
            return "as root, berth loads plugins only from directories " + std::string(what);
        case trust_role::ancestor_dir:
            return "as root, every directory above a plugin must be " + std::string(what) +
                   (what == "owned by root" ? "" : " (or be root's and sticky, like /tmp)");
        case trust_role::link:
            return "as root, berth follows only links " + std::string(what);
    }
    return {};
}

std::string root_rule(const trust_facts& f, trust_role role, std::uint32_t euid) {
    const std::string p = f.path.string();
    const std::string mode = octal_mode(f.mode);
    const bool sticky = (f.mode & S_ISVTX) != 0;
    // A sticky directory owned by root is fine above the plugin directory: nobody else can
    // rename or remove the root-owned entry the path goes through.
    const bool tolerated = role == trust_role::ancestor_dir && sticky;
    const bool owner_ok = f.uid == 0 || f.uid == euid;
    if (role != trust_role::link && (f.mode & S_IWOTH) != 0 && !tolerated) {
        std::string problem = p + " is world-writable (mode " + mode + ")";
        if (role == trust_role::ancestor_dir) problem += " and not sticky";
        std::string reason = problem + "; " + root_requirement(role, "writable by root alone");
        if (role == trust_role::plugin_dir && sticky)
            reason +=
                ": the sticky bit stops others from replacing files, not from adding "
                "plugins";
        return reason;
    }
    if (!owner_ok) {
        const char* what =
            role == trust_role::link ? " is a symbolic link owned by " : " is owned by ";
        return p + what + user_of(f) + "; " + root_requirement(role, "owned by root");
    }
    if (role != trust_role::link && (f.mode & S_IWGRP) != 0 && !tolerated)
        return p + " is group-writable (mode " + mode + ", " + group_of(f) + "); " +
               root_requirement(role, "writable by root alone");
    return {};
}

std::string user_rule(const trust_facts& f, trust_role role) {
    if (role == trust_role::link || (f.mode & S_IWOTH) == 0) return {};
    const std::string p = f.path.string();
    const std::string mode = octal_mode(f.mode);
    switch (role) {
        case trust_role::plugin_file:
            return p + " is world-writable (mode " + mode +
                   "): anyone could have replaced it; berth loads no plugin file that everyone "
                   "can write";
        case trust_role::plugin_dir:
            return p + " is world-writable (mode " + mode +
                   "): anyone could have put a plugin in it or replaced one; berth loads "
                   "plugins only from directories that not everyone can write";
        case trust_role::ancestor_dir:
            if ((f.mode & S_ISVTX) != 0) return {};
            return p + " is world-writable (mode " + mode +
                   ") and not sticky: anyone could have replaced what is in it; berth loads "
                   "plugins only below directories that not everyone can write";
        case trust_role::link:
            break;
    }
    return {};
}

std::optional<trust_facts> facts_of(const fs::path& p, int& err) {
    struct stat st {};
    if (::lstat(p.c_str(), &st) != 0) {
        err = errno;
        return std::nullopt;
    }
    return trust_facts{p, st.st_uid, st.st_gid, st.st_mode};
}

// trust_problem(), with the owner's and group's names looked up for the message.
std::string judge(trust_facts f, trust_role role, std::uint32_t euid) {
    if (trust_problem(f, role, euid).empty()) return {};  // no name lookups on the common path
    f.user_name = user_name(f.uid);
    f.group_name = group_name(f.gid);
    return trust_problem(f, role, euid);
}

}  // namespace

std::string trust_problem(const trust_facts& facts, trust_role role, std::uint32_t euid) {
    return euid == 0 ? root_rule(facts, role, euid) : user_rule(facts, role);
}

std::string plugin_trust_problem(const fs::path& file, std::uint32_t euid) {
    std::error_code ec;
    const fs::path abs = file.is_absolute() ? file : fs::absolute(file, ec);
    if (ec) return "not trusted: cannot tell where " + file.string() + " is: " + ec.message();

    // The names still to look up, first first. A link's target replaces the link's name.
    std::deque<std::string> todo;
    const auto push_front = [&todo](const fs::path& p) {
        std::vector<std::string> parts;
        for (const auto& c : p.relative_path())
            if (!c.empty() && c != ".") parts.push_back(c.string());
        todo.insert(todo.begin(), parts.begin(), parts.end());
    };
    push_front(abs);

    std::string via;  // "X links to Y, and ": once a link was followed, the reason says so
    const auto fail = [&via](const std::string& problem) {
        return "not trusted: " + via + problem;
    };
    fs::path cur = "/";  // always a real directory: no links in it
    int links = 0;
    while (!todo.empty()) {
        const std::string name = todo.front();
        todo.pop_front();
        if (name == "..") {
            cur = cur.parent_path();
            continue;
        }
        // The directory `name` is looked up in: the plugin's own directory (or its link's)
        // when `name` is the last name left to resolve, an ancestor otherwise.
        const bool last = todo.empty();
        int err = 0;
        const auto dir = facts_of(cur, err);
        if (!dir) return fail("cannot examine " + cur.string() + ": " + std::strerror(err));
        if (auto why = judge(*dir, last ? trust_role::plugin_dir : trust_role::ancestor_dir, euid);
            !why.empty())
            return fail(why);

        const fs::path next = cur / name;
        const auto here = facts_of(next, err);
        if (!here) return fail("cannot examine " + next.string() + ": " + std::strerror(err));
        if (S_ISLNK(here->mode)) {
            if (auto why = judge(*here, trust_role::link, euid); !why.empty()) return fail(why);
            if (++links > k_max_links)
                return fail("too many levels of symbolic links on the way from " + file.string());
            std::error_code rec;
            const fs::path target = fs::read_symlink(next, rec);
            if (rec) return fail("cannot read the link " + next.string() + ": " + rec.message());
            if (via.empty()) via = next.string() + " links to " + target.string() + ", and ";
            if (target.is_absolute()) cur = "/";
            push_front(target);
            continue;
        }
        if (last) {
            if (!S_ISREG(here->mode)) return fail(next.string() + " is not a regular file");
            if (auto why = judge(*here, trust_role::plugin_file, euid); !why.empty())
                return fail(why);
            return {};
        }
        if (!S_ISDIR(here->mode)) return fail(next.string() + " is not a directory");
        cur = next;
    }
    return fail(file.string() + " names no file");
}

}  // namespace berth::host
