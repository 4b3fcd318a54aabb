// output_pipe_grant: a child's stdout pipe is enlarged to 256 KiB, but only so many at once per
// process (each counts against the user's pipe budget); the share comes back with the grant.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <utility>
#include <vector>

#include "output_pipe.hpp"

namespace berth::sdk {
namespace {

struct test_pipe {
    test_pipe() { EXPECT_EQ(::pipe2(fds, O_CLOEXEC), 0); }
    ~test_pipe() {
        ::close(fds[0]);
        ::close(fds[1]);
    }
    test_pipe(const test_pipe&) = delete;
    test_pipe& operator=(const test_pipe&) = delete;
    int fds[2] = {-1, -1};
};

TEST(OutputPipe, EnlargesAPipeAndGivesTheShareBack) {
    const int before = output_pipe_grant::enlarged_now();
    test_pipe p;
    {
        auto g = output_pipe_grant::enlarge(p.fds[0]);
        ASSERT_TRUE(g.enlarged());
        EXPECT_GE(g.size(), output_pipe_grant::k_bytes);
        EXPECT_EQ(::fcntl(p.fds[0], F_GETPIPE_SZ), static_cast<int>(g.size()));
        EXPECT_EQ(output_pipe_grant::enlarged_now(), before + 1);
        const output_pipe_grant moved(std::move(g));
        EXPECT_TRUE(moved.enlarged());
        EXPECT_EQ(output_pipe_grant::enlarged_now(), before + 1);  // moved, not doubled
    }
    EXPECT_EQ(output_pipe_grant::enlarged_now(), before);
}

TEST(OutputPipe, AtMostTheBoundAtOnceTheRestKeepTheDefault) {
    const int before = output_pipe_grant::enlarged_now();
    ASSERT_EQ(before, 0) << "another test left grants behind";
    std::vector<test_pipe> pipes(output_pipe_grant::k_max_enlarged + 2);
    std::vector<output_pipe_grant> grants;
    for (auto& p : pipes) grants.push_back(output_pipe_grant::enlarge(p.fds[0]));
    for (int i = 0; i < output_pipe_grant::k_max_enlarged; ++i) EXPECT_TRUE(grants[i].enlarged());
    for (std::size_t i = output_pipe_grant::k_max_enlarged; i < grants.size(); ++i) {
        EXPECT_FALSE(grants[i].enlarged());
        EXPECT_EQ(grants[i].size(),
                  static_cast<std::size_t>(::fcntl(pipes[i].fds[0], F_GETPIPE_SZ)));
        EXPECT_LT(grants[i].size(), output_pipe_grant::k_bytes);
    }
    EXPECT_EQ(output_pipe_grant::enlarged_now(), output_pipe_grant::k_max_enlarged);
    // One given back: the next pipe gets it.
    grants[0] = output_pipe_grant();
    EXPECT_EQ(output_pipe_grant::enlarged_now(), output_pipe_grant::k_max_enlarged - 1);
    test_pipe another;
    EXPECT_TRUE(output_pipe_grant::enlarge(another.fds[0]).enlarged());
    grants.clear();
    EXPECT_EQ(output_pipe_grant::enlarged_now(), 0);
}

TEST(OutputPipe, NotAPipeKeepsNoShare) {
    const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    const int before = output_pipe_grant::enlarged_now();
    const auto g = output_pipe_grant::enlarge(fd);
    EXPECT_FALSE(g.enlarged());
    EXPECT_EQ(output_pipe_grant::enlarged_now(), before);
    ::close(fd);
}

}  // namespace
}  // namespace berth::sdk
