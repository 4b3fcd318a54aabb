#include "mcp_command.hpp"

#include <signal.h>

#include <iostream>

#include "berthd_link.hpp"
#include "console_tools.hpp"
#include "mcp_policy.hpp"
#include "mcp_server.hpp"

namespace berth::cli {

int serve_mcp(const std::string& socket, const mcp_request& request, const char* version) {
    // A client that closes stdout must not kill us mid-write: writes then fail and stdin's EOF
    // ends the loop.
    ::signal(SIGPIPE, SIG_IGN);
    mcp::policy rules;
    if (request.policy_file) {
        auto loaded = mcp::load_policy(*request.policy_file);
        if (!loaded) {
            std::cerr << "berth mcp: " << loaded.err().message << "\n";
            return 2;
        }
        rules = std::move(loaded.value());
    }
    mcp::berthd_link link(daemon_client::socket_path(socket));
    const mcp::autostart_options autostart{
        .enabled = !request.no_autostart,
        .exit_when_idle = std::chrono::seconds(request.idle_exit_s),
        .state_dir = request.state_dir.value_or("")};
    if (auto up = link.ensure_daemon(autostart); !up) {
        // Serve anyway: the protocol works, and every tool call says what is wrong (an MCP
        // client shows tool errors to the user; a server that exits shows nothing).
        std::cerr << "berth mcp: " << up.err().message << "\n";
    }
    mcp::console_tools tools(link, std::move(rules));
    mcp::mcp_server server(tools, {.name = "berth", .version = version});
    return server.run();
}

}  // namespace berth::cli
