// How the C API reports failures: a status and, when asked for, a message the caller frees
// with berth_host_free. No exception crosses into C: every entry point runs its body in
// guarded(), which turns one into BERTH_HOST_ERR_INTERNAL (std::bad_alloc: its own words).
#pragma once

#include <berth/host.h>
#include <berth/host/result.hpp>

#include <string>
#include <string_view>

namespace berth::capi {

// A malloc'd copy, for the caller to free with berth_host_free. Null when out of memory.
[[nodiscard]] char* copy_out(std::string_view s) noexcept;

// Sets *errmsg (when errmsg is not null) and returns code.
berth_host_status fail(char** errmsg, berth_host_status code, std::string_view message) noexcept;
berth_host_status fail(char** errmsg, const host::error& e) noexcept;

// *errmsg = null (when given): the start of every call.
void clear(char** errmsg) noexcept;

template <typename F>
berth_host_status guarded(char** errmsg, F&& body) noexcept {
    clear(errmsg);
    try {
        return body();
    } catch (const std::bad_alloc&) {
        return fail(errmsg, BERTH_HOST_ERR_INTERNAL, "out of memory");
    } catch (const std::exception& e) {
        return fail(errmsg, BERTH_HOST_ERR_INTERNAL, std::string("internal error: ") + e.what());
    } catch (...) {
        return fail(errmsg, BERTH_HOST_ERR_INTERNAL, "internal error: unknown exception");
    }
}

// For the `T* x` parameters that must not be null: the message names the function and the
// parameter. Inside the body given to guarded(), which captures `fn = __func__` (in the
// lambda __func__ would be "operator()").
#define BERTH_CAPI_REQUIRE(errmsg, param)                                         \
    do {                                                                          \
        if ((param) == nullptr)                                                   \
            return ::berth::capi::fail(errmsg, BERTH_HOST_ERR_INVALID_ARGUMENT,   \
                                       std::string(fn) + ": " #param " is NULL"); \
    } while (false)

}  // namespace berth::capi
