// How a berth fuzz target says an invariant broke: the reason on stderr, then abort(), which
// libFuzzer records as a crash (with the input that caused it) and the corpus replay test
// (tests/fuzz/) as a failed test.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace berth::fuzz {

[[noreturn]] inline void fail(std::string_view what) {
    std::fprintf(stderr, "fuzz invariant broken: %.*s\n", static_cast<int>(what.size()),
                 what.data());
    std::abort();
}

inline void check(bool ok, std::string_view what) {
    if (!ok) fail(what);
}

}  // namespace berth::fuzz
