#include "console_tools.hpp"

#include <map>

#include "tool_args.hpp"
#include "tool_catalog.hpp"
#include "tool_handlers.hpp"

namespace berth::mcp {

tool_outcome console_tools::call(const std::string& name, const json& args, cancel_scope& cancel) {
    using handler = tool_outcome (*)(tool_env&, const json&);
    static const std::map<std::string, handler> k_handlers = {
        {"console_create_session", create_session},
        {"console_send_input", send_input},
        {"console_send_key", send_key},
        {"console_get_output", get_output},
        {"console_wait_for_output", wait_for_output},
        {"console_execute_command", execute_command},
        {"console_stop_session", stop_session},
        {"console_list_sessions", list_sessions},
        {"console_resize", resize},
        {"console_signal", send_signal},
        {"console_runtimes", runtimes}};
    const json* tool = find_tool(name);
    const auto h = k_handlers.find(name);
    if (tool == nullptr || h == k_handlers.end())
        return tool_outcome::fail("unknown tool '" + name + "'");
    if (auto e = check_args(args, (*tool)["inputSchema"])) return tool_outcome::fail(*e);
    const bool reads_only = (*tool)["annotations"].value("readOnlyHint", false);
    if (!reads_only)
        if (auto refused = policy_.check_writable(name)) return tool_outcome::fail(*refused);
    tool_env env{link_, policy_, cancel};
    // A session someone else opened is held to the same runtimes rule as one the agent opens.
    if (!reads_only && policy_.runtimes && args.contains("session")) {
        auto record = env.call("session.get", {{"id", args["session"]}});
        if (auto* e = std::get_if<std::string>(&record)) return tool_outcome::fail(*e);
        if (auto refused = policy_.check_runtime(std::get<json>(record).value("runtime", "")))
            return tool_outcome::fail(*refused + " (session " + args["session"].get<std::string>() +
                                      ")");
    }
    return h->second(env, args);
}

}  // namespace berth::mcp
