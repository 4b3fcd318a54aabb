#include "tool_catalog.hpp"

namespace berth::mcp {
namespace {
using json = nlohmann::json;

// Shapes several tools share, spelled once and spliced in below.
const json k_exit_fields = R"json({
  "state": {"type": "string", "description": "starting, running, exited, failed, closed or lost"},
  "exit_code": {"type": ["integer", "null"], "description": "set when the command exited by itself"},
  "signal": {"type": ["integer", "null"], "description": "set when a signal ended the command"},
  "reason": {"type": "string"}
})json"_json;

const json k_session_summary = R"json({
  "type": "object",
  "properties": {
    "session": {"type": "string"}, "runtime": {"type": "string"},
    "target": {"type": "string", "description": "what it runs in, e.g. the container"},
    "tty": {"type": "boolean"}, "argv": {"type": "array", "items": {"type": "string"}},
    "pid": {"type": ["integer", "null"]}, "end_offset": {"type": "integer"},
    "created_ms": {"type": "integer"}
  },
  "required": ["session", "runtime", "state", "end_offset"]
})json"_json;

const json k_page_fields = R"json({
  "session": {"type": "string"},
  "cursor": {"type": "integer", "description": "where this page begins (after any dropped bytes)"},
  "next_cursor": {"type": "integer", "description": "pass this as cursor to read on"},
  "end_offset": {"type": "integer", "description": "the session's output so far"},
  "truncated": {"type": "boolean", "description": "more output exists past next_cursor"},
  "dropped": {"type": "integer", "description": "bytes no longer kept that this read skipped"},
  "output": {"type": "string", "description": "the page: text, or base64 with encoding base64"},
  "encoding": {"type": "string", "enum": ["text", "base64"]},
  "view": {"type": "string", "enum": ["raw", "plain", "screen"]},
  "stderr_ranges": {"type": "array", "description": "[begin, end) offsets of this page that came from stderr",
                    "items": {"type": "array", "items": {"type": "integer"}}}
})json"_json;

json with(json base, const json& extra) {
    for (const auto& [k, v] : extra.items()) base[k] = v;
    return base;
}

json object_schema(json properties, json required) {
    return {{"type", "object"},
            {"properties", std::move(properties)},
            {"required", std::move(required)}};
}

json build() {
    const json session_arg =
        R"json({"type": "string", "description": "session id (s-...)"})json"_json;
    json tools = json::array();
    const auto add = [&](const char* name, const char* title, const char* description, json input,
                         json output, json annotations) {
        input["additionalProperties"] = false;
        annotations["title"] = title;
        tools.push_back({{"name", name},
                         {"title", title},
                         {"description", description},
                         {"inputSchema", std::move(input)},
                         {"outputSchema", std::move(output)},
                         {"annotations", std::move(annotations)}});
    };
    const json reading = {{"readOnlyHint", true}, {"openWorldHint", false}};
    const json changing = {
        {"readOnlyHint", false}, {"destructiveHint", false}, {"openWorldHint", false}};
    const json destructive = {
        {"readOnlyHint", false}, {"destructiveHint", true}, {"openWorldHint", false}};

    add("console_create_session", "Open a console session",
        "Open a console: a command in a new container (image, or template for LXC), in an existing "
        "one (container), or on the host (runtime local). The session lives in berthd: it outlives "
        "this server and the client. Read its output with console_get_output from cursor 0.",
        object_schema(R"json({
          "runtime": {"type": "string", "description": "local, podman, containerd, lxc or any loaded plugin (see console_runtimes); default local"},
          "command": {"type": "array", "items": {"type": "string"}, "minItems": 1,
                      "description": "argv, run without a shell; default [\"sh\"]"},
          "args": {"type": "array", "items": {"type": "string"}, "description": "appended to command"},
          "image": {"type": "string", "description": "image for a new container (podman, containerd)"},
          "container": {"type": "string", "description": "existing container to enter"},
          "template": {"type": "string", "description": "LXC: stopped container cloned for the session"},
          "tty": {"type": "boolean", "description": "run on a pseudo-terminal (prompts, colours, TUIs); default false: stdout and stderr apart"},
          "rows": {"type": "integer", "minimum": 1, "maximum": 65535},
          "cols": {"type": "integer", "minimum": 1, "maximum": 65535},
          "env": {"type": "object", "additionalProperties": {"type": "string"}},
          "cwd": {"type": "string", "description": "working directory"},
          "user": {"type": "string"},
          "options": {"type": "object", "description": "the plugin's own session options (console_runtimes lists them)"}
        })json"_json,
                      json::array()),
        object_schema(with(with(k_session_summary["properties"], k_exit_fields),
                           R"json({"cursor": {"type": "integer"}})json"_json),
                      {"session", "runtime", "state", "cursor"}),
        changing);

    add("console_send_input", "Send input to a session",
        "Write bytes to a session's stdin exactly as given: no newline is added (end a command "
        "with \\n, or use console_send_key enter on a terminal).",
        object_schema({{"session", session_arg},
                       {"input", {{"type", "string"}}},
                       {"encoding",
                        {{"type", "string"},
                         {"enum", json::array({"text", "base64"})},
                         {"description", "base64 for exact bytes; default text"}}}},
                      {"session", "input"}),
        object_schema(
            R"json({"session": {"type": "string"}, "written": {"type": "integer"}})json"_json,
            {"session", "written"}),
        destructive);

    add("console_send_key", "Send keys to a session",
        "Send named keys: enter, tab, esc, backspace, space, up, down, left, right, home, end, "
        "insert, delete, pageup, pagedown, shift-tab, f1..f12, ctrl-a..ctrl-z, alt-<key>, or a "
        "single character. paste sends text as one bracketed paste (for multi-line text).",
        object_schema({{"session", session_arg},
                       {"keys", {{"type", "array"}, {"items", {{"type", "string"}}}}},
                       {"paste", {{"type", "string"}}}},
                      {"session"}),
        object_schema(
            R"json({"session": {"type": "string"}, "written": {"type": "integer"}})json"_json,
            {"session", "written"}),
        destructive);

    add("console_get_output", "Read a session's output",
        "Output from a cursor you keep (start at 0; pass next_cursor to read on): parallel readers "
        "never take each other's output. view raw (default) is the bytes as text, plain strips "
        "escape sequences and progress-bar redraws, screen renders the terminal's current screen "
        "(for full-screen programs). Text pages never split a UTF-8 character; encoding base64 "
        "gives exact bytes.",
        object_schema(
            {{"session", session_arg},
             {"cursor", {{"type", "integer"}, {"minimum", 0}}},
             {"max_bytes",
              {{"type", "integer"},
               {"minimum", 1},
               {"maximum", 1048576},
               {"description", "default 16384; a text result stays under 45000 characters"}}},
             {"view", {{"type", "string"}, {"enum", json::array({"raw", "plain", "screen"})}}},
             {"encoding", {{"type", "string"}, {"enum", json::array({"text", "base64"})}}},
             {"rows",
              {{"type", "integer"},
               {"minimum", 1},
               {"maximum", 1000},
               {"description", "screen view: terminal rows (default 24)"}}},
             {"cols",
              {{"type", "integer"},
               {"minimum", 2},
               {"maximum", 1000},
               {"description", "screen view: terminal columns (default 80)"}}}},
            {"session"}),
        object_schema(with(with(k_page_fields, k_exit_fields), R"json({
          "screen": {"type": "object", "properties": {
             "rows": {"type": "integer"}, "cols": {"type": "integer"},
             "cursor_row": {"type": "integer"}, "cursor_col": {"type": "integer"},
             "alt_screen": {"type": "boolean"},
             "replayed_from": {"type": "integer", "description": "output replayed into the terminal from this offset"}}}
        })json"_json),
                      {"session", "cursor", "next_cursor", "end_offset", "truncated", "dropped",
                       "output", "encoding", "state"}),
        reading);

    add("console_wait_for_output", "Wait for output",
        "Wait, without polling, until output at or after cursor matches pattern (RE2) or literal, "
        "or the session exits (exit: true), or it has been quiet for idle_ms. Returns within "
        "min(timeout_ms, 50000) ms with the match's byte range and the output from cursor up to "
        "the match's end. On timeout next_cursor stays at cursor: call again with it to go on "
        "waiting without missing a match.",
        object_schema(
            {{"session", session_arg},
             {"cursor", {{"type", "integer"}, {"minimum", 0}}},
             {"pattern", {{"type", "string"}, {"description", "RE2 regular expression"}}},
             {"literal", {{"type", "string"}}},
             {"exit", {{"type", "boolean"}, {"description", "wait until the session ends"}}},
             {"idle_ms", {{"type", "integer"}, {"minimum", 1}, {"maximum", 50000}}},
             {"timeout_ms",
              {{"type", "integer"},
               {"minimum", 0},
               {"maximum", 86400000},
               {"description", "default 10000; capped at 50000"}}},
             {"max_bytes", {{"type", "integer"}, {"minimum", 1}, {"maximum", 1048576}}},
             {"view", {{"type", "string"}, {"enum", json::array({"raw", "plain"})}}}},
            {"session"}),
        object_schema(
            with(with(k_page_fields, k_exit_fields), R"json({
          "outcome": {"type": "string", "enum": ["matched", "timeout", "ended", "exited", "idle"]},
          "match": {"type": "object", "properties": {"begin": {"type": "integer"}, "end": {"type": "integer"}, "text": {"type": "string"}},
                    "required": ["begin", "end", "text"]}
        })json"_json),
            {"session", "outcome", "cursor", "next_cursor", "end_offset", "output", "state"}),
        reading);

    add("console_execute_command", "Run one command",
        "In an existing shell session: type command, wait for it to finish and return its output "
        "and exit code (a per-call marker tells where it ends). Without session: run it with sh -c "
        "in a one-shot session (runtime, image, container, template as console_create_session) "
        "that is closed afterwards.",
        object_schema({{"session", session_arg},
                       {"command", {{"type", "string"}, {"minLength", 1}}},
                       {"timeout_ms",
                        {{"type", "integer"},
                         {"minimum", 1},
                         {"maximum", 86400000},
                         {"description", "default 30000; capped at 50000"}}},
                       {"runtime", {{"type", "string"}}},
                       {"image", {{"type", "string"}}},
                       {"container", {{"type", "string"}}},
                       {"template", {{"type", "string"}}}},
                      {"command"}),
        object_schema(R"json({
          "session": {"type": "string"}, "output": {"type": "string"},
          "exit_code": {"type": ["integer", "null"]}, "signal": {"type": ["integer", "null"]},
          "timed_out": {"type": "boolean"}, "truncated": {"type": "boolean"},
          "next_cursor": {"type": "integer"}
        })json"_json,
                      {"output", "exit_code", "timed_out"}),
        destructive);

    add("console_stop_session", "Stop a session",
        "Close a session: its input, then SIGTERM, then SIGKILL after grace_ms; a container it "
        "created is removed. Returns how the command ended.",
        object_schema({{"session", session_arg},
                       {"grace_ms", {{"type", "integer"}, {"minimum", 0}, {"maximum", 60000}}}},
                      {"session"}),
        with(k_session_summary,
             {{"properties", with(k_session_summary["properties"], k_exit_fields)}}),
        with(destructive, {{"idempotentHint", true}}));

    add("console_list_sessions", "List sessions",
        "Every session berthd keeps (also ones opened by other clients, and ended ones for a "
        "while).",
        object_schema(json::object(), json::array()),
        object_schema(
            {{"sessions",
              {{"type", "array"},
               {"items",
                with(k_session_summary,
                     {{"properties", with(k_session_summary["properties"], k_exit_fields)}})}}}},
            {"sessions"}),
        reading);

    add("console_resize", "Resize a terminal", "Set a tty session's terminal size.",
        object_schema({{"session", session_arg},
                       {"rows", {{"type", "integer"}, {"minimum", 1}, {"maximum", 65535}}},
                       {"cols", {{"type", "integer"}, {"minimum", 1}, {"maximum", 65535}}}},
                      {"session", "rows", "cols"}),
        object_schema(
            R"json({"session": {"type": "string"}, "rows": {"type": "integer"}, "cols": {"type": "integer"}})json"_json,
            {"session", "rows", "cols"}),
        changing);

    add("console_signal", "Send a signal",
        "Send a signal to the session's command: a name (INT, TERM, KILL, HUP, QUIT, USR1, USR2, "
        "CONT, STOP, TSTP, WINCH, ALRM) or a number.",
        object_schema(
            {{"session", session_arg}, {"signal", {{"type", json::array({"string", "integer"})}}}},
            {"session", "signal"}),
        object_schema(
            R"json({"session": {"type": "string"}, "signal": {"type": ["string", "integer"]}})json"_json,
            {"session", "signal"}),
        destructive);

    add("console_runtimes", "List runtimes",
        "The runtimes berthd has loaded: capabilities, session options and health (healthy, "
        "unhealthy or undetected, with a detail saying what to do).",
        object_schema(json::object(), json::array()),
        object_schema(
            R"json({"runtimes": {"type": "array", "items": {"type": "object", "properties": {
            "runtime": {"type": "string"}, "plugin": {"type": "string"}, "version": {"type": "string"},
            "capabilities": {"type": "array", "items": {"type": "string"}},
            "options": {"type": "object"},
            "health": {"type": "object", "properties": {"state": {"type": "string"}, "detail": {"type": "string"}, "attributes": {"type": "object"}}}},
            "required": ["runtime", "capabilities", "health"]}},
          "rejected": {"type": "array", "items": {"type": "object"}}})json"_json,
            {"runtimes"}),
        reading);
    return tools;
}

}  // namespace

const json& tool_definitions() {
    static const json tools = build();
    return tools;
}

const json* find_tool(const std::string& name) {
    for (const auto& t : tool_definitions())
        if (t["name"] == name) return &t;
    return nullptr;
}

}  // namespace berth::mcp
