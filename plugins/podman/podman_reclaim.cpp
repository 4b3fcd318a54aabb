#include "podman_reclaim.hpp"

#include <berth/sdk/plugin.hpp>
#include <berth/sdk/run_command.hpp>

#include <chrono>
#include <sstream>
#include <vector>

#include "podman_argv.hpp"

namespace berth::plugins::podman {
namespace {

// Listing is quick; removal stops nothing gracefully (--time=0) but may unmount layers.
constexpr std::chrono::milliseconds k_list_timeout{30000};
constexpr std::chrono::milliseconds k_remove_timeout{60000};

std::string joined(const std::vector<std::string>& words) {
    std::string out;
    for (const auto& w : words) out += (out.empty() ? "" : " ") + w;
    return out;
}

}  // namespace

void reclaim_owned(const podman_options& options, const std::string& owner,
                   std::uint32_t& removed) {
    sdk::command_result listed;
    try {
        listed = sdk::run_command(owned_list_argv(options, owner), k_list_timeout);
    } catch (const sdk::error& e) {
        // No podman here, so no container of ours either: nothing to say at every start.
        if (e.status() == BERTH_ERR_COMMAND_NOT_FOUND) return;
        throw;
    }
    if (!listed.ok())
        throw sdk::error(BERTH_ERR_RUNTIME, "cannot list containers labelled " +
                                                std::string(BERTH_OWNER_LABEL) + "=" + owner +
                                                ": " + listed.message());
    std::vector<std::string> names;
    std::istringstream lines(listed.out);
    for (std::string line; std::getline(lines, line);)
        if (!line.empty()) names.push_back(line);

    // One by one, so a container that resists does not hide how many others went.
    std::vector<std::string> stuck;
    std::string problem;
    for (const auto& name : names) {
        if (std::string why = remove_container(options, name); why.empty()) {
            ++removed;
        } else {
            stuck.push_back(name);
            problem = std::move(why);
        }
    }
    if (!stuck.empty())
        throw sdk::error(BERTH_ERR_RUNTIME, "could not remove " + joined(stuck) + " (" + problem +
                                                "); remove by hand with: " +
                                                joined(remove_argv(options, joined(stuck))));
}

std::string remove_container(const podman_options& options, const std::string& name) {
    try {
        const auto r = sdk::run_command(remove_argv(options, name), k_remove_timeout);
        return r.ok() ? std::string() : r.message();
    } catch (const std::exception& e) {
        return e.what();
    }
}

std::string remove_session_container(const podman_options& options, const std::string& token) {
    sdk::command_result listed;
    try {
        listed = sdk::run_command(session_list_argv(options, token), k_list_timeout);
    } catch (const std::exception& e) {
        return e.what();
    }
    if (!listed.ok()) return "cannot list the session's container: " + listed.message();
    std::string problems;
    std::istringstream lines(listed.out);
    for (std::string name; std::getline(lines, name);)
        if (!name.empty())
            if (const std::string why = remove_container(options, name); !why.empty())
                problems += (problems.empty() ? "" : "; ") + name + ": " + why;
    return problems;
}

}  // namespace berth::plugins::podman
