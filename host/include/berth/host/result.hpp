// Expected failures as values: a code and a message a user can act on.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace berth::host {

enum class errc {
    invalid_argument,  // bad option or value (CLI exit 2)
    not_found,         // unknown runtime, command, image, container, session
    unsupported,       // the plugin cannot do this
    runtime_error,     // the runtime failed
    unavailable,       // runtime missing or not answering
    permission,
    state,
    timeout,
    internal
};

struct error {
    errc code = errc::internal;
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
