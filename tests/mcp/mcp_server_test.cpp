// berth mcp's protocol engine and argument checks, over pipes, without berthd: handshake
// versions, the 2026-07-28 stateless requests, errors before initialize, tool input errors
// naming the field, policy files, stdout holding nothing but JSON-RPC, exit on stdin EOF.
// The tools against a real berthd are tested from the official TypeScript SDK client
// (tests/mcp_client).
#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "berthd_link.hpp"
#include "console_tools.hpp"
#include "mcp_policy.hpp"
#include "mcp_server.hpp"
#include "protocol.hpp"
#include "session_commands.hpp"
#include "tool_args.hpp"
#include "tool_catalog.hpp"

namespace berth::mcp {
namespace {
using json = nlohmann::json;
using namespace std::chrono_literals;

// An mcp_server on two pipes, its tools pointed at a socket nobody listens on.
class pipe_server {
public:
    explicit pipe_server(policy rules = {})
        : link_("/nonexistent/berth-test.sock"), tools_(link_, std::move(rules)) {
        EXPECT_EQ(::pipe(in_), 0);
        EXPECT_EQ(::pipe(out_), 0);
        server_ =
            std::make_unique<mcp_server>(tools_, server_info{"berth", "test"}, in_[0], out_[1]);
        thread_ = std::thread([this] { status_ = server_->run(); });
    }
    ~pipe_server() {
        close_input();
        if (thread_.joinable()) thread_.join();
        for (int fd : {in_[0], out_[0], out_[1]}) ::close(fd);
    }
    void send_line(const std::string& line) {
        const std::string l = line + "\n";
        ASSERT_EQ(::write(in_[1], l.data(), l.size()), static_cast<ssize_t>(l.size()));
    }
    void send(const json& msg) { send_line(msg.dump()); }
    void close_input() {
        if (in_[1] >= 0) ::close(std::exchange(in_[1], -1));
    }
    // The next line the server writes, parsed; null after 5 s of nothing.
    json next(std::chrono::milliseconds timeout = 5000ms) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (true) {
            if (const auto nl = buffered_.find('\n'); nl != std::string::npos) {
                const std::string line = buffered_.substr(0, nl);
                buffered_.erase(0, nl + 1);
                json j = json::parse(line, nullptr, false);
                EXPECT_FALSE(j.is_discarded()) << "stdout line is not JSON: " << line;
                EXPECT_EQ(j.value("jsonrpc", ""), "2.0") << line;
                return j;
            }
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            pollfd p{out_[0], POLLIN, 0};
            if (left <= 0ms || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) return nullptr;
            char buf[65536];
            const ssize_t n = ::read(out_[0], buf, sizeof buf);
            if (n <= 0) return nullptr;
            buffered_.append(buf, static_cast<std::size_t>(n));
        }
    }
    json request(int id, const std::string& method, json params = json::object()) {
        send({{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", std::move(params)}});
        return next();
    }
    void initialize(const std::string& version = "2025-11-25") {
        const json r = request(0, "initialize",
                               {{"protocolVersion", version},
                                {"capabilities", json::object()},
                                {"clientInfo", {{"name", "test"}, {"version", "1"}}}});
        ASSERT_TRUE(r.contains("result")) << r;
    }
    void join() { thread_.join(); }
    int status() const { return status_; }

private:
    berthd_link link_;
    console_tools tools_;
    int in_[2]{-1, -1};
    int out_[2]{-1, -1};
    std::unique_ptr<mcp_server> server_;
    std::thread thread_;
    std::string buffered_;
    int status_ = -1;
};

json stateless_meta(const std::string& version = "2026-07-28") {
    return {{"_meta",
             {{"io.modelcontextprotocol/protocolVersion", version},
              {"io.modelcontextprotocol/clientCapabilities", json::object()}}}};
}

TEST(McpProtocol, InitializeEchoesEveryHandshakeVersionAndOffersTheLatestOtherwise) {
    for (const std::string v : {"2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"}) {
        pipe_server s;
        const json r =
            s.request(1, "initialize", {{"protocolVersion", v}, {"capabilities", json::object()}});
        EXPECT_EQ(r["result"]["protocolVersion"], v);
        EXPECT_EQ(r["result"]["serverInfo"]["name"], "berth");
        EXPECT_TRUE(r["result"]["capabilities"].contains("tools"));
    }
    for (const std::string v : {"1999-01-01", "2026-07-28", ""}) {
        pipe_server s;
        const json r = s.request(1, "initialize", {{"protocolVersion", v}});
        EXPECT_EQ(r["result"]["protocolVersion"], "2025-11-25") << v;
    }
}

TEST(McpProtocol, RequestsBeforeInitializeGetAPromptErrorThatSaysWhat) {
    pipe_server s;
    const auto start = std::chrono::steady_clock::now();
    const json r = s.request(7, "tools/list");
    EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
    ASSERT_TRUE(r.contains("error")) << r;
    EXPECT_EQ(r["id"], 7);
    EXPECT_NE(r["error"]["message"].get<std::string>().find("initialize"), std::string::npos);
    const json unknown = s.request(8, "no/such/method");
    ASSERT_TRUE(unknown.contains("error"));
    s.initialize();
    EXPECT_EQ(s.request(9, "no/such/method")["error"]["code"], k_method_not_found);
    EXPECT_EQ(s.request(10, "ping")["result"], json::object());  // exactly {}: clients check
}

TEST(McpProtocol, StatelessRequestsNeedNoHandshakeAndCarryResultType) {
    pipe_server s;
    const json d = s.request(1, "server/discover", stateless_meta());
    ASSERT_TRUE(d.contains("result")) << d;
    EXPECT_EQ(d["result"]["resultType"], "complete");
    EXPECT_EQ(d["result"]["supportedVersions"][0], "2026-07-28");
    EXPECT_TRUE(d["result"].contains("ttlMs"));
    EXPECT_EQ(d["result"]["_meta"]["io.modelcontextprotocol/serverInfo"]["name"], "berth");

    const json list = s.request(2, "tools/list", stateless_meta());
    EXPECT_EQ(list["result"]["resultType"], "complete");
    EXPECT_EQ(list["result"]["tools"].size(), tool_definitions().size());
    EXPECT_EQ(list["result"]["cacheScope"], "private");

    json call = stateless_meta();
    call["name"] = "console_list_sessions";
    call["arguments"] = json::object();
    const json r = s.request(3, "tools/call", call);
    EXPECT_EQ(r["result"]["resultType"], "complete");
    EXPECT_TRUE(r["result"]["isError"].get<bool>());  // no berthd behind this one
    EXPECT_NE(r["result"]["content"][0]["text"].get<std::string>().find("berthd"),
              std::string::npos);

    const json old = s.request(4, "tools/list", stateless_meta("2031-01-01"));
    EXPECT_EQ(old["error"]["code"], k_unsupported_protocol_version);
    EXPECT_EQ(old["error"]["data"]["requested"], "2031-01-01");
    json no_caps = {{"_meta", {{"io.modelcontextprotocol/protocolVersion", "2026-07-28"}}}};
    EXPECT_EQ(s.request(5, "tools/list", no_caps)["error"]["code"], k_invalid_params);
}

TEST(McpProtocol, MalformedLinesAreAnsweredAndTheServerGoesOn) {
    pipe_server s;
    s.initialize();
    s.send_line("{not json");
    EXPECT_EQ(s.next()["error"]["code"], k_parse_error);
    s.send_line("[1,2]");
    EXPECT_EQ(s.next()["error"]["code"], k_invalid_request);
    s.send_line(R"({"jsonrpc":"2.0","id":{"x":1},"method":"ping"})");
    EXPECT_EQ(s.next()["error"]["code"], k_invalid_request);
    s.send_line(std::string(R"({"jsonrpc":"2.0","id":3,"method":"ping","params":{"x":")") +
                "\xff\xfe" + "\"}}");
    EXPECT_EQ(s.next()["error"]["code"], k_parse_error);  // JSON text must be UTF-8
    EXPECT_EQ(s.request(4, "ping")["id"], 4);
}

TEST(McpProtocol, MistypedAndDeepMessagesGetErrorsAndNeverStopTheServer) {
    pipe_server s;
    const json r = s.request(1, "initialize", {{"protocolVersion", 5}});
    EXPECT_EQ(r["result"]["protocolVersion"], "2025-11-25") << r;
    s.send_line(R"({"jsonrpc":"2.0","id":2,"method":"initialize","params":7})");
    EXPECT_EQ(s.next()["error"]["code"], k_invalid_params);
    std::string deep = R"({"jsonrpc":"2.0","id":3,"method":"ping","params":{"x":)";
    deep += std::string(100000, '[') + std::string(100000, ']') + "}}";
    s.send_line(deep);
    EXPECT_EQ(s.next()["error"]["code"], k_invalid_request);
    s.send_line(
        R"({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":[1]}})");
    s.send_line(R"({"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":5}})");
    EXPECT_EQ(s.next()["error"]["code"], k_invalid_params);
    EXPECT_EQ(s.request(5, "ping")["result"], json::object());
}

TEST(McpProtocol, ToolInputErrorsAreToolResultsNamingTheField) {
    pipe_server s;
    s.initialize();
    const auto call = [&](int id, const std::string& name, json args) {
        return s.request(id, "tools/call", {{"name", name}, {"arguments", std::move(args)}});
    };
    const json bad_type = call(1, "console_get_output", {{"session", "s-1"}, {"max_bytes", "x"}});
    EXPECT_TRUE(bad_type["result"]["isError"].get<bool>());
    EXPECT_NE(bad_type["result"]["content"][0]["text"].get<std::string>().find("'max_bytes'"),
              std::string::npos);
    const json missing = call(2, "console_send_input", {{"input", "x"}});
    EXPECT_NE(missing["result"]["content"][0]["text"].get<std::string>().find("'session'"),
              std::string::npos);
    const json extra =
        call(3, "console_resize", {{"session", "s"}, {"rows", 1}, {"cols", 1}, {"colz", 2}});
    EXPECT_NE(extra["result"]["content"][0]["text"].get<std::string>().find("'colz'"),
              std::string::npos);
    const json range = call(4, "console_get_output", {{"session", "s"}, {"view", "pretty"}});
    EXPECT_NE(range["result"]["content"][0]["text"].get<std::string>().find("'view'"),
              std::string::npos);
    // An unknown tool is a protocol error (the spec's -32602), not a tool result.
    EXPECT_EQ(call(5, "console_nope", json::object())["error"]["code"], k_invalid_params);
}

TEST(McpProtocol, ReadOnlyPolicyRefusesChangesAndSaysWhichRule) {
    policy p;
    p.read_only = true;
    pipe_server s(p);
    s.initialize();
    const json r = s.request(
        1, "tools/call",
        {{"name", "console_send_input"}, {"arguments", {{"session", "s-1"}, {"input", "x"}}}});
    EXPECT_TRUE(r["result"]["isError"].get<bool>());
    EXPECT_NE(r["result"]["content"][0]["text"].get<std::string>().find("read_only"),
              std::string::npos);
}

TEST(McpProtocol, ExitsOnStdinEof) {
    pipe_server s;
    s.initialize();
    s.close_input();
    s.join();
    EXPECT_EQ(s.status(), 0);
}

TEST(McpProtocol, EveryToolHasSchemasAndAnnotations) {
    const auto& tools = tool_definitions();
    EXPECT_EQ(tools.size(), 11u);
    for (const auto& t : tools) {
        SCOPED_TRACE(t["name"].get<std::string>());
        EXPECT_EQ(t["inputSchema"]["type"], "object");
        EXPECT_EQ(t["outputSchema"]["type"], "object");
        EXPECT_TRUE(t["annotations"].contains("readOnlyHint"));
        const bool ro = t["annotations"]["readOnlyHint"];
        const std::string name = t["name"];
        if (name == "console_get_output" || name == "console_wait_for_output") EXPECT_TRUE(ro);
        if (name == "console_send_input" || name == "console_stop_session")
            EXPECT_TRUE(t["annotations"]["destructiveHint"].get<bool>());
    }
}

TEST(McpPolicy, GlobsLimitsAndErrorsNameTheKey) {
    auto p = parse_policy(R"({"runtimes":["local","pod*"],"images":["localhost/*"],
                              "read_only":false,"max_sessions":2,"max_input_bytes":10})",
                          "policy.json");
    ASSERT_TRUE(p) << p.err().message;
    EXPECT_FALSE(p->check_runtime("podman"));
    const auto refused = p->check_runtime("lxc");
    ASSERT_TRUE(refused);
    EXPECT_EQ(*refused, "policy: runtime 'lxc' is not in runtimes [local, pod*]");
    EXPECT_FALSE(p->check_image("image", "localhost/berth-busybox:latest"));
    EXPECT_TRUE(p->check_image("image", "docker.io/library/busybox"));
    EXPECT_FALSE(p->check_container("anything"));  // no list: allowed
    // A policy file allows only the plugin options it names; no file allows any.
    ASSERT_TRUE(p->check_option("binary"));
    EXPECT_NE(p->check_option("binary")->find("'binary'"), std::string::npos);
    EXPECT_FALSE(policy{}.check_option("binary"));
    EXPECT_FALSE(parse_policy(R"({"options":["memory"]})", "p.json")->check_option("memory"));
    EXPECT_TRUE(p->check_input_size("input", 11));
    for (const std::string bad : {R"({"runtime":["x"]})", R"({"read_only":"yes"})",
                                  R"({"max_sessions":0})", R"({"images":"x"})", "[]"}) {
        auto r = parse_policy(bad, "p.json");
        ASSERT_FALSE(r) << bad;
        EXPECT_NE(r.err().message.find("p.json"), std::string::npos);
    }
    EXPECT_NE(parse_policy(R"({"runtime":["x"]})", "p.json").err().message.find("'runtime'"),
              std::string::npos);
}

TEST(McpKeys, NamedKeysCombinationsAndCharacters) {
    EXPECT_EQ(cli::key_bytes("ctrl-c"), "\x03");
    EXPECT_EQ(cli::key_bytes("alt-x"), "\x1bx");
    EXPECT_EQ(cli::key_bytes("alt-up"), "\x1b\x1b[A");
    EXPECT_EQ(cli::key_bytes("f5"), "\x1b[15~");
    EXPECT_EQ(cli::key_bytes("shift-tab"), "\x1b[Z");
    EXPECT_EQ(cli::key_bytes("q"), "q");
    EXPECT_FALSE(cli::key_bytes("hyper-x"));
    EXPECT_FALSE(cli::key_bytes("f13"));
}

TEST(McpArgs, NestedAndListTypes) {
    const json schema = (*find_tool("console_create_session"))["inputSchema"];
    EXPECT_FALSE(check_args({{"env", {{"A", "1"}}}, {"command", {"sh", "-c", "x"}}}, schema));
    EXPECT_EQ(*check_args({{"env", {{"A", 1}}}}, schema), "field 'env.A': expected string, got 1");
    EXPECT_EQ(*check_args({{"command", json::array()}}, schema),
              "field 'command': needs at least 1 item(s)");
    EXPECT_EQ(*check_args({{"command", {"sh", 2}}}, schema),
              "field 'command[1]': expected string, got 2");
    EXPECT_EQ(*check_args({{"rows", 0}}, schema), "field 'rows': must be at least 1, got 0");
    EXPECT_TRUE(check_args(json::array(), schema));
}

}  // namespace
}  // namespace berth::mcp
