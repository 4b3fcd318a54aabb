// Session metadata on disk, so a restarted berthd can say what it had: <state_dir>/sessions.json,
// replaced atomically (write a temporary file, fsync, rename) so a crash mid-write leaves the
// previous version, never a torn one.
#pragma once

#include <berth/registry/session_record.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace berth::daemon {

class state_store {
public:
    explicit state_store(std::filesystem::path dir);

    // Records from the last run; empty when there is no file. A corrupt file is renamed aside
    // (sessions.json.corrupt) and reported through `problem`, not fatal.
    [[nodiscard]] std::vector<registry::session_record> load(std::string& problem) const;
    // Throws std::system_error when the directory cannot be written.
    void save(const std::vector<registry::session_record>& records) const;

    [[nodiscard]] const std::filesystem::path& file() const noexcept { return file_; }

private:
    std::filesystem::path dir_;
    std::filesystem::path file_;
};

}  // namespace berth::daemon
