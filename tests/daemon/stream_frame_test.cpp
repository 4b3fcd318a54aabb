// session.stream's frames byte by byte (host/wire/stream_frame): the layout docs/api.md
// gives, and a parser that takes any split of the bytes and refuses every malformed header
// before it holds a payload.
#include <gtest/gtest.h>

#include <string>

#include "stream_frame.hpp"

namespace berth::wire {
namespace {

std::string bytes(std::initializer_list<int> v) {
    std::string s;
    for (const int b : v) s.push_back(static_cast<char>(b));
    return s;
}

TEST(StreamFrame, HeaderIsTypeStreamReservedAndABigEndianLength) {
    const auto f = encode_frame(frame_type::data, 2, std::string(0x010203, 'x'));
    ASSERT_EQ(f.size(), 8U + 0x010203U);
    EXPECT_EQ(f.substr(0, 8), bytes({1, 2, 0, 0, 0x00, 0x01, 0x02, 0x03}));
    EXPECT_EQ(dropped_frame(0x0102030405060708ULL),
              bytes({2, 0, 0, 0, 0, 0, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8}));
    EXPECT_EQ(resize_frame(0x0102, 0x0304), bytes({18, 0, 0, 0, 0, 0, 0, 4, 1, 2, 3, 4}));
    EXPECT_EQ(signal_frame(15), bytes({19, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 15}));
    EXPECT_EQ(close_input_frame(), bytes({17, 0, 0, 0, 0, 0, 0, 0}));
    EXPECT_EQ(input_frame("hi"), bytes({16, 0, 0, 0, 0, 0, 0, 2, 'h', 'i'}));
    EXPECT_EQ(end_frame("{}"), bytes({3, 0, 0, 0, 0, 0, 0, 2, '{', '}'}));
    EXPECT_THROW(
        (void)encode_frame(frame_type::input, 0, std::string(k_max_frame_payload + 1, 'x')),
        std::length_error);
}

TEST(StreamFrame, ParsesFramesSplitAnywhere) {
    const std::string stream = encode_frame(frame_type::data, 1, "hello") + dropped_frame(42) +
                               encode_frame(frame_type::data, 2, "") +
                               end_frame(R"({"state":"exited"})");
    for (std::size_t step = 1; step <= stream.size(); ++step) {
        frame_parser p(frame_parser::sender::server);
        for (std::size_t at = 0; at < stream.size(); at += step)
            ASSERT_TRUE(p.feed(std::string_view(stream).substr(at, step))) << p.error();
        ASSERT_EQ(p.ready(), 4U) << "step " << step;
        EXPECT_FALSE(p.mid_frame());
        auto f = p.next();
        EXPECT_EQ(f->type, frame_type::data);
        EXPECT_EQ(f->stream, 1);
        EXPECT_EQ(f->payload, "hello");
        f = p.next();
        EXPECT_EQ(f->type, frame_type::dropped);
        EXPECT_EQ(dropped_bytes(*f), 42U);
        f = p.next();
        EXPECT_EQ(f->stream, 2);
        EXPECT_EQ(f->payload, "");
        EXPECT_EQ(p.next()->payload, R"({"state":"exited"})");
        EXPECT_FALSE(p.next());
    }
}

TEST(StreamFrame, ClientFramesAndTheirPayloads) {
    frame_parser p(frame_parser::sender::client);
    ASSERT_TRUE(
        p.feed(input_frame("ls\n") + close_input_frame() + resize_frame(24, 80) + signal_frame(2)));
    EXPECT_EQ(p.next()->payload, "ls\n");
    EXPECT_EQ(p.next()->type, frame_type::close_input);
    const auto size = resize_of(*p.next());
    EXPECT_EQ(size.rows, 24);
    EXPECT_EQ(size.cols, 80);
    EXPECT_EQ(signal_of(*p.next()), 2U);
    // Half a header, then half a payload: held, not a frame yet.
    EXPECT_TRUE(p.feed(input_frame("abcd").substr(0, 4)));
    EXPECT_TRUE(p.mid_frame());
    EXPECT_TRUE(p.feed(input_frame("abcd").substr(4, 6)));
    EXPECT_EQ(p.ready(), 0U);
    EXPECT_TRUE(p.feed("cd"));
    EXPECT_EQ(p.next()->payload, "abcd");
}

// Each malformed header is refused as soon as its 8 bytes are in, with the reason.
TEST(StreamFrame, MalformedFramesAreRefusedAndNamed) {
    const auto refused = [](frame_parser::sender from, const std::string& frame,
                            const std::string& why) {
        frame_parser p(from);
        EXPECT_FALSE(p.feed(frame)) << why;
        EXPECT_TRUE(p.failed());
        EXPECT_NE(p.error().find(why), std::string::npos) << p.error();
        EXPECT_FALSE(p.feed(input_frame("x")));  // nothing after the first bad frame
        EXPECT_EQ(p.ready(), 0U);
    };
    using s = frame_parser::sender;
    refused(s::client, bytes({99, 0, 0, 0, 0, 0, 0, 0}), "unknown frame type 99");
    refused(s::client, bytes({1, 1, 0, 0, 0, 0, 0, 0}), "unknown frame type 1");  // a server's
    refused(s::server, input_frame("x"), "unknown frame type 16");
    refused(s::client, bytes({16, 0, 0, 0, 0x00, 0x10, 0x00, 0x01}), "at most 1048576");
    refused(s::client, bytes({16, 0, 0, 1, 0, 0, 0, 0}), "reserved");
    refused(s::client, bytes({16, 5, 0, 0, 0, 0, 0, 0}), "stream byte 5");
    refused(s::server, bytes({1, 4, 0, 0, 0, 0, 0, 0}), "stream byte 4");
    refused(s::client, bytes({17, 0, 0, 0, 0, 0, 0, 1}) + "x", "must be 0");
    refused(s::client, bytes({18, 0, 0, 0, 0, 0, 0, 3}), "must be 4");
    refused(s::client, bytes({19, 0, 0, 0, 0, 0, 0, 8}), "must be 4");
    refused(s::server, bytes({2, 0, 0, 0, 0, 0, 0, 4}), "must be 8");
    refused(s::client, resize_frame(0, 80), "rows and cols");
    refused(s::client, signal_frame(0), "not a signal number");
    refused(s::client, signal_frame(100000), "not a signal number");
}

}  // namespace
}  // namespace berth::wire
