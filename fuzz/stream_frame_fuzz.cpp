// Fuzzes session.stream's frame parser (host/wire/stream_frame): what a client sends after
// the reply that starts a stream (berthd's side), or what berthd sends (the CLI's side).
//
// Input: byte 0 picks the side (bit 0: 0 client frames, 1 server frames), byte 1 the size of
// the pieces the rest is fed in (1 to 16 bytes, as reads return them); the rest is the stream.
//
// Invariants:
//   - fed in pieces or all at once, the parser yields the same frames, fails at the same place
//     with the same message, and holds the same partial frame;
//   - every frame it yields re-encodes to exactly the bytes it was parsed from, so the frames
//     are a prefix of the input; what follows them is a partial frame (shorter than its header
//     says) or the frame it refused;
//   - a frame is of the side's types, its stream byte is valid for its type (1 to 3 for DATA,
//     0 otherwise), its payload at most 1 MiB and of its type's size; a RESIZE has rows and
//     cols of at least 1, a SIGNAL a number from 1 to NSIG - 1;
//   - after a refusal it takes nothing more, and its message is short.
#include <signal.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "byte_reader.hpp"
#include "fuzz_check.hpp"
#include "stream_frame.hpp"

namespace berth::fuzz {
namespace {

using wire::frame_parser;
using wire::frame_type;
using wire::stream_frame;

struct outcome {
    std::vector<stream_frame> frames;
    bool failed = false;
    std::string error;
    bool mid_frame = false;
};

outcome parse(frame_parser::sender side, std::string_view input, std::size_t piece) {
    frame_parser p(side);
    outcome o;
    for (std::size_t at = 0; at < input.size(); at += piece) {
        const bool ok = p.feed(input.substr(at, piece));
        check(ok == !p.failed(), "feed() says ok exactly when the parser has not failed");
        while (auto f = p.next()) o.frames.push_back(std::move(*f));
    }
    o.failed = p.failed();
    o.error = p.error();
    o.mid_frame = p.mid_frame();
    if (o.failed) check(!p.feed(wire::close_input_frame()), "a failed parser takes no more");
    return o;
}

void check_frame(frame_parser::sender side, const stream_frame& f) {
    const auto type = static_cast<int>(f.type);
    const bool server = side == frame_parser::sender::server;
    check(server ? (type >= 1 && type <= 3) : (type >= 16 && type <= 19),
          "a frame is of its side's types");
    check(f.type == frame_type::data ? (f.stream >= 1 && f.stream <= 3) : f.stream == 0,
          "a frame's stream byte is valid for its type");
    check(f.payload.size() <= wire::k_max_frame_payload, "a payload is at most 1 MiB");
    switch (f.type) {
        case frame_type::dropped:
            check(f.payload.size() == 8, "DROPPED carries 8 bytes");
            (void)wire::dropped_bytes(f);
            break;
        case frame_type::close_input:
            check(f.payload.empty(), "CLOSE_INPUT carries nothing");
            break;
        case frame_type::resize: {
            check(f.payload.size() == 4, "RESIZE carries 4 bytes");
            const auto size = wire::resize_of(f);
            check(size.rows >= 1 && size.cols >= 1, "RESIZE has rows and cols of at least 1");
            break;
        }
        case frame_type::signal: {
            check(f.payload.size() == 4, "SIGNAL carries 4 bytes");
            const auto signo = wire::signal_of(f);
            check(signo >= 1 && signo < static_cast<std::uint32_t>(NSIG),
                  "SIGNAL carries a signal number");
            break;
        }
        default:
            break;
    }
}

}  // namespace
}  // namespace berth::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace berth;
    using namespace berth::fuzz;
    byte_reader in(std::span(data, size));
    const auto side = (in.byte() & 1) != 0 ? wire::frame_parser::sender::server
                                           : wire::frame_parser::sender::client;
    const std::size_t piece = 1 + in.byte() % 16;
    const std::string_view input = in.bytes(size);

    const auto pieces = parse(side, input, piece);
    const auto whole = parse(side, input, input.empty() ? 1 : input.size());
    check(pieces.failed == whole.failed && pieces.error == whole.error &&
              pieces.mid_frame == whole.mid_frame && pieces.frames.size() == whole.frames.size(),
          "fed in pieces or whole, the parser ends the same way");

    std::size_t at = 0;
    for (std::size_t i = 0; i < pieces.frames.size(); ++i) {
        const auto& f = pieces.frames[i];
        const auto& g = whole.frames[i];
        check(f.type == g.type && f.stream == g.stream && f.payload == g.payload,
              "fed in pieces or whole, the frames are the same");
        check_frame(side, f);
        const auto bytes = wire::encode_frame(f.type, f.stream, f.payload);
        check(input.substr(at, bytes.size()) == bytes,
              "a frame re-encodes to the bytes it came from");
        at += bytes.size();
    }
    const auto rest = input.size() - at;
    if (pieces.failed) {
        check(!pieces.error.empty() && pieces.error.size() < 200, "a refusal says why, briefly");
        check(rest > 0, "a refused frame is in the input");
    } else {
        check(pieces.error.empty(), "no message without a refusal");
        check(pieces.mid_frame == (rest > 0), "what follows the frames is a partial frame");
        if (rest >= wire::k_frame_header_bytes) {
            const auto* h = reinterpret_cast<const unsigned char*>(input.data() + at);
            const std::size_t length = (std::size_t{h[4]} << 24) | (std::size_t{h[5]} << 16) |
                                       (std::size_t{h[6]} << 8) | h[7];
            check(rest - wire::k_frame_header_bytes < length,
                  "a partial frame is shorter than its header says");
        }
    }
    return 0;
}
