// All sessions of one host, by id. Thread-safe.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <berth/registry/session_entry.hpp>

namespace berth::registry {

class session_store {
public:
    explicit session_store(metrics_store* metrics = nullptr) : metrics_(metrics) {}

    // Adds a session. An empty record.id gets a fresh unique id ("s-" + 12 hex digits).
    // Throws std::invalid_argument when the id is already taken.
    std::shared_ptr<session_entry> add(
        session_record record, std::size_t buffer_capacity = output_buffer::k_default_capacity);

    [[nodiscard]] std::shared_ptr<session_entry> find(std::string_view id) const;
    [[nodiscard]] std::vector<session_record> list() const;  // ordered by creation
    bool remove(std::string_view id);
    [[nodiscard]] std::size_t size() const;

private:
    metrics_store* metrics_;
    mutable std::mutex mutex_;
    std::map<std::string, std::shared_ptr<session_entry>, std::less<>> sessions_;
    std::vector<std::string> order_;
};

}  // namespace berth::registry
