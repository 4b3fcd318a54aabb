#include "errors.hpp"

#include <cstdlib>
#include <cstring>

namespace berth::capi {

// host.h states the codes as numbers, so that it needs no plugin header; they must stay the
// plugin ABI's, which fail() below passes through by value.
#define BERTH_SAME_CODE(name) \
    static_assert(static_cast<int>(BERTH_HOST_##name) == static_cast<int>(BERTH_##name), #name)
BERTH_SAME_CODE(OK);
BERTH_SAME_CODE(ERR_INVALID_ARGUMENT);
BERTH_SAME_CODE(ERR_NOT_FOUND);
BERTH_SAME_CODE(ERR_UNSUPPORTED);
BERTH_SAME_CODE(ERR_RUNTIME);
BERTH_SAME_CODE(ERR_UNAVAILABLE);
BERTH_SAME_CODE(ERR_PERMISSION);
BERTH_SAME_CODE(ERR_STATE);
BERTH_SAME_CODE(ERR_TIMEOUT);
BERTH_SAME_CODE(ERR_INTERNAL);
BERTH_SAME_CODE(ERR_COMMAND_NOT_FOUND);
BERTH_SAME_CODE(ERR_COMMAND_NOT_EXECUTABLE);
#undef BERTH_SAME_CODE

char* copy_out(std::string_view s) noexcept {
    auto* p = static_cast<char*>(std::malloc(s.size() + 1));
    if (p == nullptr) return nullptr;
    std::memcpy(p, s.data(), s.size());
    p[s.size()] = '\0';
    return p;
}

berth_host_status fail(char** errmsg, berth_host_status code, std::string_view message) noexcept {
    if (errmsg != nullptr) *errmsg = copy_out(message);
    return code;
}

berth_host_status fail(char** errmsg, const host::error& e) noexcept {
    // Codes outside the ABI's range (none today) are the host's bug, not the caller's.
    const auto code =
        (e.code >= BERTH_ERR_INVALID_ARGUMENT && e.code <= BERTH_ERR_COMMAND_NOT_EXECUTABLE)
            ? static_cast<berth_host_status>(e.code)
            : BERTH_HOST_ERR_INTERNAL;
    return fail(errmsg, code, e.message);
}

void clear(char** errmsg) noexcept {
    if (errmsg != nullptr) *errmsg = nullptr;
}

}  // namespace berth::capi

extern "C" void berth_host_free(char* string) { std::free(string); }
