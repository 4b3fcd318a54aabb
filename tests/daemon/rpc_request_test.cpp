// berthd's request layer without a socket: every hostile shape of a line gets an answer that
// names the problem, echoes nothing unbounded, and leaves the service working.
#include <gtest/gtest.h>

#include <berth/host/host.hpp>

#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "json_limits.hpp"
#include "rpc_errors.hpp"
#include "rpc_request.hpp"
#include "rpc_service.hpp"
#include "session_json.hpp"

namespace berth::daemon {
namespace {
using json = nlohmann::json;
namespace err = wire::rpc_error;

// A host with the scripted fake plugin only: its sessions have no process behind them, so
// nothing is spawned and the request layer is all there is.
class RpcService : public ::testing::Test {
protected:
    host::host host_{host::host_options{
        .plugin_dirs = std::vector<std::filesystem::path>{BERTH_FAKE_PLUGIN_ROOT "/scripted"}}};
    daemon_config config_;
    rpc_service rpc_{host_, config_};
    std::string id_ = "s-test";  // the session session_with() opened

    // `line` with "s-test" standing for the session session_with() opened.
    [[nodiscard]] std::string with_id(std::string line) const {
        for (auto at = line.find("s-test"); at != std::string::npos; at = line.find("s-test", at))
            line.replace(at, 6, id_);
        return line;
    }

    json call(const std::string& line) {
        const std::string frame = rpc_.handle_line(with_id(line));
        EXPECT_FALSE(frame.empty()) << line.substr(0, 200);
        EXPECT_EQ(frame.back(), '\n');
        EXPECT_EQ(frame.find('\n'), frame.size() - 1) << "one line per reply";
        return json::parse(frame);
    }

    // A running session with the given output, as if its plugin had produced it.
    std::shared_ptr<registry::session_entry> session_with(const std::string& out,
                                                          const std::string& err_out = "") {
        auto s = host_.open_session("scripted", R"({"command":["sh"]})");
        EXPECT_TRUE(s) << s.err().message;
        if (!s) return nullptr;
        id_ = s.value()->id();
        const auto& e = s.value()->entry();
        e->append_output(registry::stream::out, out);
        if (!err_out.empty()) e->append_output(registry::stream::err, err_out);
        return e;
    }
};

std::string deep(std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

// One exit shape on the wire: a record and a read result carry it the same way, and a record
// comes back from JSON (the state file) with it whole.
TEST(WireExitStatus, RoundTripsThroughARecord) {
    registry::session_record r;
    r.id = "s-1";
    r.runtime = "local";
    r.state = registry::session_state::exited;
    r.term_signal = 9;
    r.reason = "killed after the grace period";
    const json j = wire::to_json(r);
    EXPECT_EQ(j["exit_code"], nullptr);
    EXPECT_EQ(j["signal"], 9);
    EXPECT_EQ(j["reason"], "killed after the grace period");
    const auto back = wire::record_from_json(j);
    ASSERT_TRUE(back);
    EXPECT_FALSE(back->exit_code);
    EXPECT_EQ(back->term_signal, 9);
    EXPECT_EQ(back->reason, r.reason);
    EXPECT_EQ(registry::shell_status(*back), 137);

    json read_result = json::object();
    wire::put_exit_status(read_result, registry::exit_status{.exit_code = 3});
    EXPECT_EQ(read_result["exit_code"], 3);
    EXPECT_EQ(read_result["signal"], nullptr);
    EXPECT_EQ(wire::exit_status_from_json(read_result).exit_code, 3);
    EXPECT_TRUE(registry::failed(wire::exit_status_from_json(json{{"exit_code", "x"}})));
}

TEST(RpcRequest, NestingIsCountedOutsideStringsOnly) {
    EXPECT_FALSE(wire::nesting_exceeds(R"({"a":[1,{"b":"[[[[[[[["}]})", 3));
    EXPECT_TRUE(wire::nesting_exceeds("[[[[", 3));
    EXPECT_FALSE(wire::nesting_exceeds(R"(["\"[[[[[["])", 1));
    EXPECT_FALSE(wire::nesting_exceeds("]]]]][", 1));
}

TEST(RpcRequest, PreviewCutsOnACharacterBoundary) {
    const std::string s =
        "ab\xC3\xA9"
        "cd";  // é is two bytes
    EXPECT_EQ(wire::preview(s, 3), "ab...");
    EXPECT_EQ(wire::preview(s, 4), "ab\xC3\xA9...");
    EXPECT_EQ(wire::preview(s, 64), s);
}

TEST(RpcRequest, BlockingCallsAreToldApartBeforeAnythingRuns) {
    const auto one = [](const std::string& line) {
        const auto p = parse_line(line);
        return may_block(p);
    };
    EXPECT_TRUE(one(R"({"jsonrpc":"2.0","id":1,"method":"session.wait","params":{}})"));
    EXPECT_TRUE(one(R"({"jsonrpc":"2.0","id":1,"method":"session.read","params":{"wait_ms":5}})"));
    EXPECT_FALSE(one(R"({"jsonrpc":"2.0","id":1,"method":"session.read","params":{"wait_ms":0}})"));
    EXPECT_FALSE(one(R"({"jsonrpc":"2.0","id":1,"method":"session.list"})"));
    EXPECT_TRUE(one(R"({"jsonrpc":"2.0","id":1,"method":"health.get","params":{"refresh":true}})"));
    EXPECT_FALSE(one(R"({"jsonrpc":"2.0","id":1,"method":"health.get","params":{"refresh":1}})"));
    EXPECT_TRUE(one(R"({"jsonrpc":"2.0","id":1,"method":"session.write","params":{}})"));
    EXPECT_TRUE(one(R"({"jsonrpc":"2.0","id":1,"method":"session.signal","params":{}})"));
    EXPECT_FALSE(one(R"({"jsonrpc":"2.0","id":1,"method":"no.such.method"})"));
    // A batch is never a waiting call: such calls are refused in it, one by one.
    EXPECT_FALSE(one(R"([{"jsonrpc":"2.0","method":"session.list"},)"
                     R"({"jsonrpc":"2.0","id":2,"method":"session.open"}])"));
}

TEST_F(RpcService, ABatchRefusesWaitingCallsAndSharesOneReadsWorthOfBytes) {
    session_with(std::string(3 << 20, 'Q'));  // 3 MiB written; the 1 MiB buffer keeps the last
    std::string batch = "[";
    for (int i = 0; i < 8; ++i)
        batch +=
            std::string(i ? "," : "") +
            R"({"jsonrpc":"2.0","id":1,"method":"session.read","params":{"id":"s-test","cursor":2097152,"max_bytes":1048576}})";
    batch +=
        R"(,{"jsonrpc":"2.0","id":9,"method":"session.wait","params":{"id":"s-test","pattern":"x"}}])";
    const std::string frame = rpc_.handle_line(with_id(batch));
    const auto r = json::parse(frame);
    ASSERT_EQ(r.size(), 9u);
    EXPECT_EQ(r[8]["error"]["code"], err::invalid_request);
    EXPECT_NE(r[8]["error"]["message"].get<std::string>().find("cannot be batched"),
              std::string::npos);
    // Eight reads of 1 MiB each, but the batch's replies carry 1 MiB in all.
    EXPECT_EQ(std::count(frame.begin(), frame.end(), 'Q'), 1 << 20);
}

// Issue 10, item 1: {"jsonrpc":2,...} ended in std::terminate.
TEST_F(RpcService, AJsonrpcMemberThatIsNotAStringIsAnInvalidRequest) {
    for (const char* v : {"2", "null", "[2]", "{\"a\":1}", "true", "\"1.0\""}) {
        const auto r =
            call(std::string(R"({"jsonrpc":)") + v + R"(,"id":7,"method":"session.list"})");
        EXPECT_EQ(r["error"]["code"], err::invalid_request) << v;
        EXPECT_EQ(r["id"], 7) << v;
        EXPECT_NE(r["error"]["message"].get<std::string>().find("jsonrpc"), std::string::npos);
    }
    EXPECT_TRUE(call(R"({"jsonrpc":"2.0","id":8,"method":"session.list"})").contains("result"));
}

TEST_F(RpcService, EveryEnvelopeMemberIsTypeChecked) {
    EXPECT_EQ(call(R"({"jsonrpc":"2.0","id":1,"method":7})")["error"]["code"],
              err::invalid_request);
    EXPECT_EQ(call(R"({"jsonrpc":"2.0","id":1})")["error"]["code"], err::invalid_request);
    EXPECT_EQ(
        call(R"({"jsonrpc":"2.0","id":1,"method":"session.get","params":[1]})")["error"]["code"],
        err::invalid_params);
    EXPECT_EQ(call(R"({"jsonrpc":"2.0","id":{"a":1},"method":"session.list"})")["error"]["code"],
              err::invalid_request);
    EXPECT_EQ(call(R"(17)")["error"]["code"], err::invalid_request);
    EXPECT_EQ(call(R"({"jsonrpc":"2.0")")["error"]["code"], err::parse_error);
    EXPECT_EQ(call("[]")["error"]["code"], err::invalid_request);
}

// Issue 10, item 10: an id of 2^64 came back as a float.
TEST_F(RpcService, IdsAreEchoedExactlyOrRefused) {
    EXPECT_EQ(call(R"({"jsonrpc":"2.0","id":18446744073709551615,"method":"session.list"})")["id"]
                  .get<std::uint64_t>(),
              18446744073709551615ULL);
    EXPECT_EQ(call(R"({"jsonrpc":"2.0","id":-9223372036854775808,"method":"session.list"})")["id"]
                  .get<std::int64_t>(),
              INT64_MIN);
    for (const char* id : {"18446744073709551616", "1.5", "1e3"}) {
        const auto r =
            call(std::string(R"({"jsonrpc":"2.0","id":)") + id + R"(,"method":"session.list"})");
        EXPECT_EQ(r["error"]["code"], err::invalid_request) << id;
        EXPECT_TRUE(r["id"].is_null()) << id;
    }
    const auto long_id = call(R"({"jsonrpc":"2.0","id":")" + std::string(100000, 'x') +
                              R"(","method":"session.list"})");
    EXPECT_EQ(long_id["error"]["code"], err::invalid_request);
    EXPECT_LT(long_id.dump().size(), 600u) << "the id is not echoed whole";
}

// Issue 10, item 2: a 100,000-deep array crashed berthd where it was written back out.
TEST_F(RpcService, DeepNestingIsRefusedWhereverItIs) {
    const std::string d = deep(100000);
    for (
        const std::string& line :
        {R"({"jsonrpc":"2.0","id":)" + d + R"(,"method":"session.list"})",
         R"({"jsonrpc":"2.0","id":1,"method":"session.get","params":{"id":)" + d + "}}",
         R"({"jsonrpc":"2.0","id":1,"method":"session.open","params":{"runtime":"local","options":{"env":)" +
             d + "}}}",
         d}) {
        const auto r = call(line);
        EXPECT_EQ(r["error"]["code"], err::invalid_request);
        EXPECT_NE(r["error"]["message"].get<std::string>().find("nested too deeply"),
                  std::string::npos);
    }
    // Up to the limit is fine, and is answered without echoing the value whole.
    const auto ok = call(R"({"jsonrpc":"2.0","id":1,"method":"session.get","params":{"id":)" +
                         deep(wire::k_max_json_depth - 2) + "}}");
    EXPECT_EQ(ok["error"]["code"], err::invalid_params);
    EXPECT_LT(ok["error"]["message"].get<std::string>().size(), 200u);
}

TEST_F(RpcService, ClientValuesInMessagesAreBounded) {
    session_with("x");
    const std::string big(1 << 20, 'm');
    for (
        const std::string& line :
        {R"({"jsonrpc":"2.0","id":1,"method":")" + big + R"("})",
         R"({"jsonrpc":"2.0","id":1,"method":"session.get","params":{"id":")" + big + R"("}})",
         R"({"jsonrpc":"2.0","id":1,"method":"session.open","params":{"runtime":")" + big +
             R"("}})",
         R"({"jsonrpc":"2.0","id":1,"method":"session.read","params":{"id":"s-test","encoding":")" +
             big + R"("}})"}) {
        const auto r = call(line);
        ASSERT_TRUE(r.contains("error"));
        EXPECT_LT(r["error"]["message"].get<std::string>().size(), 300u);
    }
}

TEST_F(RpcService, NotificationsGetNoReplyAndBatchesAnswerEach) {
    EXPECT_EQ(rpc_.handle_line(R"({"jsonrpc":"2.0","method":"session.list"})"), "");
    EXPECT_EQ(rpc_.handle_line("   \r"), "");
    const auto r = call(R"([{"jsonrpc":"2.0","id":1,"method":"session.list"},)"
                        R"({"jsonrpc":"2.0","method":"session.list"},)"
                        R"({"jsonrpc":2,"id":3,"method":"session.list"}])");
    ASSERT_TRUE(r.is_array());
    ASSERT_EQ(r.size(), 2u);
    EXPECT_EQ(r[0]["id"], 1);
    EXPECT_EQ(r[1]["error"]["code"], err::invalid_request);
    std::string batch = "[";
    for (std::size_t i = 0; i <= k_max_batch; ++i)
        batch += std::string(i ? "," : "") + R"({"jsonrpc":"2.0","id":1,"method":"session.list"})";
    EXPECT_EQ(call(batch + "]")["error"]["code"], err::invalid_request);
}

// Issue 10, item 9: a 1 MB pattern cost ~75 MB and its error echoed the pattern whole.
TEST_F(RpcService, PatternsAreCappedAndNotEchoedWhole) {
    session_with("hello\n");
    std::string alternation;
    while (alternation.size() < (1 << 20)) alternation += "ab|";
    alternation += "ab";
    const auto big = call(
        R"({"jsonrpc":"2.0","id":1,"method":"session.wait","params":{"id":"s-test","pattern":")" +
        alternation + R"(","timeout_ms":0}})");
    EXPECT_EQ(big["error"]["code"], err::invalid_params);
    const auto message = big["error"]["message"].get<std::string>();
    EXPECT_NE(message.find("at most 4096"), std::string::npos) << message;
    EXPECT_LT(message.size(), 300u);
    const auto invalid = call(
        R"({"jsonrpc":"2.0","id":1,"method":"session.wait","params":{"id":"s-test","pattern":"(()" +
        std::string(4000, 'x') + R"(","timeout_ms":0}})");
    EXPECT_EQ(invalid["error"]["code"], err::invalid_params);
    EXPECT_LT(invalid["error"]["message"].get<std::string>().size(), 400u);
    const auto matched = call(
        R"({"jsonrpc":"2.0","id":1,"method":"session.wait","params":{"id":"s-test","pattern":"l+o","timeout_ms":0}})");
    EXPECT_EQ(matched["result"]["outcome"], "matched");
    EXPECT_EQ(matched["result"]["match"], "llo");
}

// Issue 10, item 10: a cursor past the end came back as next_cursor, and the reader skipped
// whatever came next.
TEST_F(RpcService, ACursorPastTheEndIsAnError) {
    session_with("0123456789");
    const auto past = call(
        R"({"jsonrpc":"2.0","id":1,"method":"session.read","params":{"id":"s-test","cursor":11}})");
    EXPECT_EQ(past["error"]["code"], err::invalid_params);
    EXPECT_NE(past["error"]["message"].get<std::string>().find("end_offset 10"), std::string::npos);
    const auto wait = call(
        R"({"jsonrpc":"2.0","id":1,"method":"session.wait","params":{"id":"s-test","pattern":"x","cursor":99,"timeout_ms":0}})");
    EXPECT_EQ(wait["error"]["code"], err::invalid_params);
    const auto at_end = call(
        R"({"jsonrpc":"2.0","id":1,"method":"session.read","params":{"id":"s-test","cursor":10}})");
    EXPECT_EQ(at_end["result"]["next_cursor"], 10);
    EXPECT_TRUE(at_end["result"]["chunks"].empty());
}

// session.stream's checks run before the connection changes: every bad parameter is an
// ordinary error that names it, and the request outside a connection is refused.
TEST_F(RpcService, StreamRequestsAreCheckedLikeReads) {
    session_with("0123456789");
    const auto prepare = [&](const json& params) {
        return rpc_.prepare_stream(rpc_call{7, false, "session.stream", params});
    };
    const auto error_of = [&](const json& params) {
        const auto r = prepare(params);
        EXPECT_TRUE(std::holds_alternative<std::string>(r)) << params.dump();
        return std::holds_alternative<std::string>(r) ? json::parse(std::get<std::string>(r))
                                                      : json();
    };
    auto e = error_of({{"id", id_}, {"cursor", 11}});
    EXPECT_EQ(e["id"], 7);
    EXPECT_EQ(e["error"]["code"], err::invalid_params);
    EXPECT_NE(e.dump().find("'cursor'"), std::string::npos) << e.dump();
    EXPECT_EQ(error_of({{"id", "s-000000000000"}})["error"]["code"], err::unknown_session);
    EXPECT_NE(error_of({{"id", id_}, {"input", 1}}).dump().find("'input'"), std::string::npos);
    EXPECT_NE(error_of({{"id", id_}, {"follow", "no"}}).dump().find("'follow'"), std::string::npos);

    const auto ok = prepare({{"id", id_}, {"cursor", 4}, {"input", true}});
    ASSERT_TRUE(std::holds_alternative<stream_request>(ok));
    const auto& r = std::get<stream_request>(ok);
    EXPECT_EQ(r.cursor, 4U);
    EXPECT_EQ(r.end_offset, 10U);
    EXPECT_TRUE(r.follow);  // the default
    EXPECT_TRUE(r.input);
    EXPECT_EQ(
        rpc_service::stream_reply(r),
        R"({"id":7,"jsonrpc":"2.0","result":{"cursor":4,"end_offset":10,"frame_header_bytes":8}})"
        "\n");

    const auto direct = call(
        with_id(R"({"jsonrpc":"2.0","id":1,"method":"session.stream","params":{"id":"s-test"}})"));
    EXPECT_EQ(direct["error"]["code"], err::invalid_request);
}

// Each output byte crosses the socket once: the chunks are the output.
TEST_F(RpcService, AReadCarriesEachOutputByteOnce) {
    // Letters that appear in no key or value of a reply, so counting them counts output.
    const std::string out(3000, 'Q');
    const std::string errs(2000, 'Z');
    session_with(out, errs);
    for (const char* encoding : {"text", "base64"}) {
        const std::string frame = rpc_.handle_line(with_id(
            std::string(
                R"({"jsonrpc":"2.0","id":1,"method":"session.read","params":{"id":"s-test","encoding":")") +
            encoding + R"("}})"));
        const auto r = json::parse(frame)["result"];
        ASSERT_EQ(r["chunks"].size(), 2u);
        EXPECT_EQ(r["chunks"][0]["stream"], "stdout");
        EXPECT_EQ(r["chunks"][1]["stream"], "stderr");
        EXPECT_FALSE(r.contains("data"));
        if (std::string(encoding) == "text") {
            EXPECT_EQ(std::count(frame.begin(), frame.end(), 'Q'), 3000);
            EXPECT_EQ(std::count(frame.begin(), frame.end(), 'Z'), 2000);
        }
        // base64: 4/3 of the bytes, once, plus the envelope.
        EXPECT_LT(frame.size(), (out.size() + errs.size()) * 4 / 3 + 300) << encoding;
    }
}

TEST_F(RpcService, WaitsEndWhenTheirCallerGoesAway) {
    session_with("x");
    for (
        const char* line :
        {R"({"jsonrpc":"2.0","id":1,"method":"session.read","params":{"id":"s-test","cursor":1,"wait_ms":30000}})",
         R"({"jsonrpc":"2.0","id":1,"method":"session.wait","params":{"id":"s-test","pattern":"never","timeout_ms":30000}})"}) {
        std::stop_source stop;
        const auto parsed = parse_line(with_id(line));
        std::thread canceller([&] {
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
            stop.request_stop();
        });
        const auto t0 = std::chrono::steady_clock::now();
        const auto frame = rpc_.execute(parsed, stop.get_token());
        canceller.join();
        EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5)) << line;
        EXPECT_TRUE(json::parse(frame).contains("result")) << frame;
    }
}

}  // namespace
}  // namespace berth::daemon
