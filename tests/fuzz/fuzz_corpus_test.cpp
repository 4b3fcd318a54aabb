// Replays one fuzz target's checked-in corpus under the normal build: the target's own
// LLVMFuzzerTestOneInput, compiled without libFuzzer, on every file of fuzz/corpus/<target>/.
// A broken invariant aborts with its reason and the file on stderr. Built once per target
// (tests/fuzz/CMakeLists.txt): each defines the same entry symbol.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include <gtest/gtest.h>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

namespace fs = std::filesystem;

std::vector<fs::path> corpus_files() {
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(BERTH_FUZZ_CORPUS))
        if (entry.is_regular_file()) files.push_back(entry.path());
    std::sort(files.begin(), files.end());  // the same order on every run
    return files;
}

std::vector<std::uint8_t> read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(BERTH_FUZZ_SUITE, ReplaysCorpus) {
    const auto files = corpus_files();
    // A corpus that went missing would otherwise pass without running anything.
    ASSERT_GE(files.size(), 10U) << "corpus " << BERTH_FUZZ_CORPUS << " has too few inputs";
    for (const auto& file : files) {
        const auto bytes = read_file(file);
        // Named before the call: an invariant that breaks aborts the program.
        std::cerr << "input " << file.filename().string() << " (" << bytes.size() << " bytes)\n";
        EXPECT_EQ(LLVMFuzzerTestOneInput(bytes.data(), bytes.size()), 0) << file;
    }
}

// The empty input is every target's first: libFuzzer always starts with it.
TEST(BERTH_FUZZ_SUITE, AcceptsEmptyInput) { EXPECT_EQ(LLVMFuzzerTestOneInput(nullptr, 0), 0); }

}  // namespace
