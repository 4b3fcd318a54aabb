// Expected failures as values: a code and a message a user can act on.
//
// The code is the plugin ABI's berth_status, unchanged from the plugin that returned it to the
// front end that shows it: the host's own failures use the same vocabulary
// (BERTH_ERR_INVALID_ARGUMENT for a bad option, BERTH_ERR_NOT_FOUND for an unknown runtime,
// BERTH_ERR_STATE for a session that has ended, ...). Front ends decide by the code (berth
// run's exit status, berthd's JSON-RPC error), never by the message.
#pragma once

#include <berth/plugin.h>

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace berth::host {

struct error {
    berth_status code = BERTH_ERR_INTERNAL;
    std::string message;
};

template <typename T>
class [[nodiscard]] result {
public:
    result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
    result(error e) : v_(std::move(e)) {}      // NOLINT: implicit by design

    [[nodiscard]] bool ok() const noexcept { return v_.index() == 0; }
    explicit operator bool() const noexcept { return ok(); }
    [[nodiscard]] T& value() & { return std::get<0>(v_); }
    [[nodiscard]] T&& value() && { return std::get<0>(std::move(v_)); }
    [[nodiscard]] const T& value() const& { return std::get<0>(v_); }
    [[nodiscard]] const error& err() const { return std::get<1>(v_); }
    T* operator->() { return &value(); }

private:
    std::variant<T, error> v_;
};

template <>
class [[nodiscard]] result<void> {
public:
    result() = default;
    result(error e) : e_(std::move(e)) {}  // NOLINT: implicit by design
    [[nodiscard]] bool ok() const noexcept { return !e_; }
    explicit operator bool() const noexcept { return ok(); }
    [[nodiscard]] const error& err() const { return *e_; }

private:
    std::optional<error> e_;
};

}  // namespace berth::host
