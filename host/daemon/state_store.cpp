#include "state_store.hpp"

#include <berth/host/host.hpp>
#include <berth/sdk/random_hex.hpp>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>

#include "session_json.hpp"

namespace berth::daemon {
namespace fs = std::filesystem;

namespace {

std::string new_owner() { return "berthd-" + sdk::random_hex(12); }

}  // namespace

state_store::state_store(fs::path dir) : dir_(std::move(dir)), file_(dir_ / "sessions.json") {
    std::error_code ec;
    fs::create_directories(dir_, ec);
    if (ec)
        throw std::runtime_error("state dir " + dir_.string() +
                                 " cannot be created: " + ec.message());
    const fs::path lock = dir_ / "lock";
    lock_fd_ = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lock_fd_ < 0)
        throw std::runtime_error("state dir " + dir_.string() + ": cannot open " + lock.string() +
                                 ": " + std::strerror(errno));
    if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
        const int e = errno;
        ::close(lock_fd_);
        lock_fd_ = -1;
        throw std::runtime_error(
            "state dir " + dir_.string() +
            (e == EWOULDBLOCK ? " is in use by another berthd: give this one its own --state-dir"
                              : ": cannot lock " + lock.string() + ": " + std::strerror(e)));
    }

    const fs::path owner_file = dir_ / "owner";
    std::ifstream in(owner_file);
    std::getline(in, owner_);
    if (!host::valid_owner_token(owner_)) {
        // First use of the directory (or a damaged file): a new identity. Nothing can be
        // marked with a token that was never handed out, so nothing is lost by replacing it.
        owner_ = new_owner();
        write_file(owner_file, owner_ + "\n");
    }
}

state_store::~state_store() {
    if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the lock
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
    write_file(file_, j.dump(1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
}

void state_store::write_file(const fs::path& file, const std::string& text) {
    const fs::path tmp = file.string() + ".tmp";
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
    fs::rename(tmp, file);
}

}  // namespace berth::daemon
