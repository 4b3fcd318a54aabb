#include <berth/sdk/event_loop.hpp>
#include <berth/sdk/process_session.hpp>
#include <berth/sdk/run_command.hpp>

#include <mutex>

namespace berth::sdk {
namespace {

std::string trimmed(const std::string& s) {
    const auto b = s.find_first_not_of(" \t\r\n");
    if (b == std::string::npos) return {};
    const auto e = s.find_last_not_of(" \t\r\n");
    return s.substr(b, e - b + 1);
}

}  // namespace

std::string command_result::message() const {
    if (timed_out) return "timed out";
    if (auto e = trimmed(err); !e.empty()) return e;
    if (auto o = trimmed(out); !o.empty()) return o;
    if (term_signal > 0) return "killed by signal " + std::to_string(term_signal);
    return "exit status " + std::to_string(exit_code);
}

command_result run_command(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                           const std::string& stdin_data, std::size_t max_output) {
    command_result result;
    std::mutex mutex;
    event_loop loop;
    process_spec spec;
    spec.argv = argv;
    process_callbacks callbacks;
    callbacks.on_output = [&](berth_stream stream, std::span<const std::uint8_t> data) {
        std::lock_guard lock(mutex);
        std::string& target = stream == BERTH_STREAM_STDERR ? result.err : result.out;
        const std::size_t room = max_output - std::min(max_output, target.size());
        target.append(reinterpret_cast<const char*>(data.data()), std::min(room, data.size()));
    };
    callbacks.on_exit = [&](const exit_status& e) {
        std::lock_guard lock(mutex);
        result.exit_code = e.exit_code;
        result.term_signal = e.term_signal;
    };
    auto session = process_session::start(loop, std::move(spec), std::move(callbacks));
    try {
        if (!stdin_data.empty())
            session->write(
                {reinterpret_cast<const std::uint8_t*>(stdin_data.data()), stdin_data.size()});
    } catch (const std::exception&) {
        // The command did not want its input; its exit status tells the rest.
    }
    session->close_stdin();
    if (!session->wait(timeout)) {
        (void)session->terminate(std::chrono::milliseconds(0));
        std::lock_guard lock(mutex);
        result.timed_out = true;
    }
    session.reset();  // before the loop goes
    std::lock_guard lock(mutex);
    return result;
}

error tool_error(const error& e, std::string_view tool, std::string_view install_hint) {
    if (e.status() != BERTH_ERR_COMMAND_NOT_FOUND && e.status() != BERTH_ERR_COMMAND_NOT_EXECUTABLE)
        return e;
    return error(BERTH_ERR_UNAVAILABLE, std::string(tool) + " cannot be run (" + e.what() +
                                            "): " + std::string(install_hint));
}

command_result run_tool(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                        std::string_view install_hint, std::size_t max_output) {
    try {
        return run_command(argv, timeout, {}, max_output);
    } catch (const error& e) {
        throw tool_error(e, argv.empty() ? std::string_view("the tool") : argv.front(),
                         install_hint);
    }
}

}  // namespace berth::sdk
