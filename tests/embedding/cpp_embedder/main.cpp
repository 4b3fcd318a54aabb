// Embeds the installed host through berth/host.hpp: a `local` session read by cursor that exits
// 3, one ended by SIGTERM, and an unknown runtime caught as berth::embed::error. Exits 0 when all
// is as expected, 1 with the reason on stderr otherwise.
#include <berth/host.hpp>

#include <csignal>
#include <iostream>
#include <string>

namespace {

int fail(const std::string& what) {
    std::cerr << "cpp_embedder: " << what << "\n";
    return 1;
}

}  // namespace

int main() try {
    berth::embed::host host;
    bool local = false;
    for (const auto& p : host.plugins())
        local = local || (p.runtime == "local" && p.state == BERTH_HOST_PLUGIN_LOADED);
    if (!local) return fail("no loaded local plugin in the report");

    auto session = host.open("local", {"sh", "-c", "echo hi; exit 3"});
    std::string out;
    std::uint64_t cursor = 0;
    for (int i = 0; i < 100 && !(out == "hi\n" && session.wait_exit(0)); ++i) {
        const auto chunk = session.read(cursor, 4096, 100);
        out += chunk.bytes;
        cursor = chunk.next_cursor;
    }
    if (!session.wait_exit(10000)) return fail("the session did not end");
    const auto st = session.get_status();
    if (out != "hi\n" || st.exit_code != 3)
        return fail("got '" + out + "', exit code " + std::to_string(st.exit_code.value_or(-1)));

    auto sleeper = host.open("local", {"sleep", "30"});
    sleeper.signal(SIGTERM);
    if (!sleeper.wait_exit(10000)) return fail("SIGTERM did not end the session");
    const auto killed = sleeper.get_status();
    if (killed.exit_code || killed.term_signal != SIGTERM)
        return fail("after SIGTERM: signal " + std::to_string(killed.term_signal));

    try {
        (void)host.open("no-such-runtime", {"true"});
        return fail("an unknown runtime opened");
    } catch (const berth::embed::error& e) {
        if (e.code() != BERTH_HOST_ERR_NOT_FOUND)
            return fail(std::string("unexpected: ") + e.what());
        // The library's words reach the exception (a wrapper that read its message before the
        // call had set it would throw an empty one).
        if (std::string(e.what()).find("no-such-runtime") == std::string::npos)
            return fail(std::string("the error does not name the runtime: '") + e.what() + "'");
    }
    std::cout << "cpp_embedder: ok\n";
    return 0;
} catch (const berth::embed::error& e) {
    return fail(std::string("status ") + std::to_string(e.code()) + ": " + e.what());
}
