// console_execute_command: one command, its output and exit code. In a shell session the
// command is typed, followed by a printf of a marker that holds a nonce made for this call and
// the command's $?; the marker is typed in two pieces, so the terminal's echo of the typed line
// can never match it, and a nonce per call means two calls never see each other's marker.
#include <random>

#include "base64.hpp"
#include "plain_text.hpp"
#include "tool_handlers.hpp"
#include "utf8_page.hpp"

namespace berth::mcp {
namespace {
using namespace std::chrono;

std::string make_nonce() {
    static thread_local std::mt19937_64 gen{std::random_device{}()};
    static const char* hex = "0123456789abcdef";
    std::string s;
    for (int i = 0; i < 16; ++i) s += hex[gen() % 16];
    return s;
}

// Output read back for a result: its end is what is shown (tail_of), and no more than this.
constexpr std::uint64_t k_tail_bytes = std::uint64_t{256} << 10;

std::uint64_t tail_start(std::uint64_t begin, std::uint64_t end) {
    return end - begin > k_tail_bytes ? end - k_tail_bytes : begin;
}

milliseconds timeout_of(const json& args) {
    return std::min(milliseconds(args.value("timeout_ms", std::int64_t{30000})), k_max_wait);
}

// The last k_max_result_chars-ish of `text` (a command's useful part is usually its end).
std::pair<std::string, bool> tail_of(std::string text) {
    const std::size_t cap = k_max_result_chars - 2000;
    if (text.size() <= cap) return {std::move(text), false};
    std::size_t from = text.size() - cap;
    while (from < text.size() && (static_cast<unsigned char>(text[from]) & 0xC0) == 0x80) ++from;
    return {text.substr(from), true};
}

// What is left of the output once a terminal's echo of the typed lines is dropped (the
// command's first line, after a prompt, and the marker's printf line), and the prompt the
// shell printed before the command's echo.
struct without_echo_result {
    std::string text;
    std::string prompt;
};

without_echo_result without_echo(const std::string& text, const std::string& command,
                                 const std::string& nonce) {
    const std::string first = command.substr(0, command.find('\n'));
    without_echo_result r;
    bool command_seen = false;
    std::size_t pos = 0;
    while (pos < text.size()) {
        const auto nl = text.find('\n', pos);
        const std::string line =
            text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
        pos = nl == std::string::npos ? text.size() : nl + 1;
        const bool echo_of_command =
            !command_seen && line.size() >= first.size() &&
            line.compare(line.size() - first.size(), first.size(), first) == 0;
        if (echo_of_command) {
            command_seen = true;
            r.prompt = line.substr(0, line.size() - first.size());
            continue;
        }
        if (line.find(nonce) != std::string::npos) continue;
        r.text += line;
        if (nl != std::string::npos) r.text += '\n';
    }
    return r;
}

bool ends_with(const std::string& text, const std::string& tail) {
    return !tail.empty() && text.size() >= tail.size() &&
           text.compare(text.size() - tail.size(), tail.size(), tail) == 0;
}

// The shell's prompt, as the text after the last newline before `at` (the shell is waiting at
// it when a command is typed); empty when there is none or it looks like something else.
std::string prompt_before(tool_env& env, const std::string& session, std::uint64_t at) {
    const std::uint64_t from = at > 256 ? at - 256 : 0;
    auto out = read_output(env, session, from, at - from);
    if (!std::holds_alternative<raw_output>(out)) return {};
    const std::string text = plain_text(std::get<raw_output>(out).bytes);
    const auto nl = text.rfind('\n');
    std::string prompt = nl == std::string::npos ? (from == 0 ? text : "") : text.substr(nl + 1);
    return prompt.size() <= 64 ? prompt : "";
}

// A shell prints its prompt just after the previous command's output, so a call that follows
// another at once can begin before it: then wait a moment for the prompt and begin after it,
// so the typed line is not echoed ahead of the prompt. Returns the prompt, moving `start`.
constexpr milliseconds k_prompt_wait{150};

std::string await_prompt(tool_env& env, const std::string& session, std::uint64_t& start) {
    if (std::string prompt = prompt_before(env, session, start); !prompt.empty()) return prompt;
    auto out = read_awaiting(env, session, start, 256, k_prompt_wait);
    if (!std::holds_alternative<raw_output>(out)) return {};
    const raw_output& got = std::get<raw_output>(out);
    const std::string text = plain_text(got.bytes);
    if (text.empty() || text.size() > 64 || text.find('\n') != std::string::npos) return {};
    start = got.begin + got.bytes.size();
    return text;
}

tool_outcome in_session(tool_env& env, const json& args) {
    const std::string session = args["session"];
    const std::string command = args["command"];
    if (auto refused = env.rules.check_input_size("command", command.size()))
        return tool_outcome::fail(*refused);
    auto rec = env.call("session.get", {{"id", session}});
    if (auto* e = std::get_if<std::string>(&rec)) return tool_outcome::fail(*e);
    const json& record = std::get<json>(rec);
    std::uint64_t start = record.value("end_offset", std::uint64_t{0});
    const bool tty = record.value("tty", false);
    const std::string prompt = tty ? await_prompt(env, session, start) : "";

    const std::string nonce = make_nonce();
    const std::string typed = command + "\nprintf '\\n%s%s:%d\\n' __BERTH_ " + nonce + " \"$?\"\n";
    auto w =
        env.call("session.write",
                 {{"id", session}, {"data", wire::base64_encode(typed)}, {"encoding", "base64"}});
    if (auto* e = std::get_if<std::string>(&w)) return tool_outcome::fail(*e);
    const milliseconds timeout = timeout_of(args);
    auto waited = env.call("session.wait",
                           {{"id", session},
                            {"pattern", "__BERTH_" + nonce + ":([0-9]+)"},
                            {"cursor", start},
                            {"timeout_ms", timeout.count()}},
                           timeout + seconds(10));
    if (auto* e = std::get_if<std::string>(&waited)) return tool_outcome::fail(*e);
    const json& wr = std::get<json>(waited);
    const bool matched = wr.value("outcome", "") == "matched";
    const std::uint64_t until = matched ? wr.value("begin", start) : std::uint64_t{0};

    auto after = env.call("session.get", {{"id", session}});
    if (auto* e = std::get_if<std::string>(&after)) return tool_outcome::fail(*e);
    const std::uint64_t end = matched ? until : std::get<json>(after).value("end_offset", start);
    const std::uint64_t from = tail_start(start, end);
    auto out = read_output(env, session, from, end - from);
    if (auto* e = std::get_if<std::string>(&out)) return tool_outcome::fail(*e);
    const std::string& bytes = std::get<raw_output>(out).bytes;
    auto [text, echo_prompt] =
        without_echo(tty ? plain_text(bytes) : to_valid_utf8(bytes), command, nonce);
    if (matched && !text.empty() && text.back() == '\n') text.pop_back();  // printf's leading \n
    // On a terminal the shell prints its prompt again before the marker's printf runs. The
    // prompt is known from the text before the call, or, when the shell had not printed it yet
    // when the call began, from the start of the command's echo.
    if (tty) {
        if (ends_with(text, prompt))
            text.erase(text.size() - prompt.size());
        else if (ends_with(text, echo_prompt) && echo_prompt.size() <= 64)
            text.erase(text.size() - echo_prompt.size());
    }
    auto [shown, truncated] = tail_of(std::move(text));
    truncated = truncated || from > start;
    json result = {{"session", session},     {"output", std::move(shown)},
                   {"truncated", truncated}, {"timed_out", !matched},
                   {"signal", nullptr},      {"next_cursor", matched ? wr.value("end", end) : end}};
    if (matched) {
        const std::string m = wr.value("match", "");
        result["exit_code"] = std::stoi(m.substr(m.rfind(':') + 1));
    } else {
        result["exit_code"] = nullptr;
        const std::string state = std::get<json>(after).value("state", "");
        if (state != "running" && state != "starting") {
            put_exit_fields(result, std::get<json>(after));
            result.erase("state");
            result.erase("reason");
        }
    }
    return tool_outcome::ok(std::move(result));
}

tool_outcome one_shot(tool_env& env, const json& args) {
    auto opened = open_session(env, args, json::array({"sh", "-c", args["command"]}));
    if (auto* e = std::get_if<std::string>(&opened)) return tool_outcome::fail(*e);
    const std::string session = std::get<json>(opened).value("id", "");
    auto ended = wait_until_ended(env, session, 0, timeout_of(args));
    // Closed in every case: a command past its timeout is ended (SIGTERM, then SIGKILL), and
    // a container made for it is removed.
    // Not cancellable: a cancelled call still must not leave its session behind.
    auto closed_r = env.link.call("session.close", {{"id", session}}, seconds(90));
    std::variant<json, std::string> closed =
        closed_r ? std::variant<json, std::string>(closed_r.value())
                 : std::variant<json, std::string>("berthd: " + closed_r.err().message);
    if (auto* e = std::get_if<std::string>(&ended)) return tool_outcome::fail(*e);
    if (auto* e = std::get_if<std::string>(&closed)) return tool_outcome::fail(*e);
    const json& before = std::get<json>(ended);
    const json& record = std::get<json>(closed);
    const std::string state = before.value("state", "");
    const bool timed_out = state == "running" || state == "starting";
    auto final_record = env.call("session.get", {{"id", session}});
    if (auto* e = std::get_if<std::string>(&final_record)) return tool_outcome::fail(*e);
    const std::uint64_t end = std::get<json>(final_record).value("end_offset", std::uint64_t{0});
    const std::uint64_t from = tail_start(0, end);
    auto out = read_output(env, session, from, end - from);
    if (auto* e = std::get_if<std::string>(&out)) return tool_outcome::fail(*e);
    auto [shown, truncated] = tail_of(to_valid_utf8(std::get<raw_output>(out).bytes));
    truncated = truncated || from > 0;
    return tool_outcome::ok({{"session", session},
                             {"output", std::move(shown)},
                             {"truncated", truncated},
                             {"timed_out", timed_out},
                             {"exit_code", timed_out ? json() : record.value("exit_code", json())},
                             {"signal", timed_out ? json() : record.value("signal", json())},
                             {"next_cursor", end}});
}

}  // namespace

tool_outcome execute_command(tool_env& env, const json& args) {
    if (auto refused =
            env.rules.check_input_size("command", args["command"].get<std::string>().size()))
        return tool_outcome::fail(*refused);
    if (args.contains("session")) {
        for (const char* f : {"runtime", "image", "container", "template"})
            if (args.contains(f))
                return tool_outcome::fail("field '" + std::string(f) +
                                          "': only for a one-shot command (without 'session')");
        return in_session(env, args);
    }
    return one_shot(env, args);
}

}  // namespace berth::mcp
