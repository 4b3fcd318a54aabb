#include <berth/registry/session_store.hpp>

#include <algorithm>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <utility>

namespace berth::registry {

namespace {

constexpr std::size_t k_id_hex_digits = 12;

// One generator per thread: stores on different threads never share it, so no lock is
// needed, and seeding from random_device keeps ids from repeating across host restarts.
std::string random_id() {
    thread_local std::mt19937_64 generator{[] {
        std::random_device device;
        return (std::uint64_t{device()} << 32) | device();
    }()};
    constexpr std::string_view k_hex = "0123456789abcdef";
    std::uint64_t bits = generator();
    std::string id = "s-";
    for (std::size_t i = 0; i < k_id_hex_digits; ++i) {
        id += k_hex[bits & 0xF];
        bits >>= 4;
    }
    return id;
}

}  // namespace

std::shared_ptr<session_entry> session_store::add(session_record record,
                                                  std::size_t buffer_capacity) {
    if (record.created == clock::time_point{}) {
        record.created = clock::now();
    }
    const std::lock_guard lock(mutex_);
    if (record.id.empty()) {
        do {
            record.id = random_id();
        } while (sessions_.contains(record.id));
    } else if (sessions_.contains(record.id)) {
        throw std::invalid_argument("session id already in use: " + record.id);
    }
    auto entry = std::make_shared<session_entry>(std::move(record), buffer_capacity, metrics_);
    sessions_.emplace(entry->id(), entry);
    order_.push_back(entry->id());
    return entry;
}

std::shared_ptr<session_entry> session_store::find(std::string_view id) const {
    const std::lock_guard lock(mutex_);
    const auto it = sessions_.find(id);
    return it == sessions_.end() ? nullptr : it->second;
}

std::vector<session_record> session_store::list() const {
    std::vector<std::shared_ptr<session_entry>> entries;
    {
        const std::lock_guard lock(mutex_);
        entries.reserve(order_.size());
        for (const auto& id : order_) {
            entries.push_back(sessions_.find(id)->second);
        }
    }
    // Snapshots take each entry's own lock; doing that outside ours keeps a busy session
    // from stalling every add/find on the store.
    std::vector<session_record> records;
    records.reserve(entries.size());
    for (const auto& entry : entries) {
        records.push_back(entry->snapshot());
    }
    return records;
}

bool session_store::remove(std::string_view id) {
    const std::lock_guard lock(mutex_);
    const auto it = sessions_.find(id);
    if (it == sessions_.end()) {
        return false;
    }
    sessions_.erase(it);
    order_.erase(std::find(order_.begin(), order_.end(), id));
    return true;
}

std::size_t session_store::size() const {
    const std::lock_guard lock(mutex_);
    return sessions_.size();
}

}  // namespace berth::registry
