#include "state_store.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <system_error>

#include "session_json.hpp"

namespace berth::daemon {
namespace fs = std::filesystem;

state_store::state_store(fs::path dir) : dir_(std::move(dir)), file_(dir_ / "sessions.json") {
    fs::create_directories(dir_);
}

std::vector<registry::session_record> state_store::load(std::string& problem) const {
    std::vector<registry::session_record> out;
    std::ifstream in(file_);
    if (!in) return out;
    std::stringstream text;
    text << in.rdbuf();
    nlohmann::json j = nlohmann::json::parse(text.str(), nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("sessions") ||
        !j["sessions"].is_array()) {
        std::error_code ec;
        fs::rename(file_, fs::path(file_.string() + ".corrupt"), ec);
        problem = file_.string() + " is not a berthd state file; moved aside to " + file_.string() +
                  ".corrupt";
        return out;
    }
    for (const auto& s : j["sessions"])
        if (auto r = wire::record_from_json(s)) out.push_back(std::move(*r));
    return out;
}

void state_store::save(const std::vector<registry::session_record>& records) const {
    nlohmann::json j = {{"version", 1}, {"sessions", nlohmann::json::array()}};
    for (const auto& r : records) j["sessions"].push_back(wire::to_json(r));
    const std::string text = j.dump(1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    const fs::path tmp = file_.string() + ".tmp";
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        throw std::system_error(errno, std::generic_category(), "cannot write " + tmp.string());
    std::size_t done = 0;
    while (done < text.size()) {
        const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            const int e = errno;
            ::close(fd);
            throw std::system_error(e, std::generic_category(), "cannot write " + tmp.string());
        }
        done += static_cast<std::size_t>(n);
    }
    ::fsync(fd);
    ::close(fd);
    fs::rename(tmp, file_);
}

}  // namespace berth::daemon
