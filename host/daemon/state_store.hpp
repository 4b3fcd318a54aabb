// Session metadata on disk, so a restarted berthd can say what it had: <state_dir>/sessions.json,
// replaced atomically (write a temporary file, fsync, rename) so a crash mid-write leaves the
// previous version, never a torn one.
//
// The state directory is also berthd's identity: <state_dir>/owner holds the token plugins
// mark containers with (berth_host_services.owner), so the next berthd on the same directory
// can remove what this one left; and <state_dir>/lock is held (flock) while the daemon runs,
// so two daemons never share a directory and reclaim each other's live containers.
#pragma once

#include <berth/registry/session_record.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace berth::daemon {

class state_store {
public:
    // Creates the directory, takes its lock and reads (or creates) the owner token. Throws
    // std::runtime_error naming the directory when it cannot be used or another berthd holds it.
    explicit state_store(std::filesystem::path dir);
    ~state_store();
    state_store(const state_store&) = delete;
    state_store& operator=(const state_store&) = delete;

    // [a-z0-9-]{1,32}: "berthd-" and 12 random hex digits, made on first use of the directory.
    [[nodiscard]] const std::string& owner() const noexcept { return owner_; }

    // Records from the last run; empty when there is no file. A corrupt file is renamed aside
    // (sessions.json.corrupt) and reported through `problem`, not fatal.
    [[nodiscard]] std::vector<registry::session_record> load(std::string& problem) const;
    // Throws std::system_error when the directory cannot be written.
    void save(const std::vector<registry::session_record>& records) const;

private:
    // Write a temporary file, fsync, rename: a reader sees the old text or the new, never a mix.
    static void write_file(const std::filesystem::path& file, const std::string& text);

    std::filesystem::path dir_;
    std::filesystem::path file_;
    int lock_fd_ = -1;
    std::string owner_;
};

}  // namespace berth::daemon
