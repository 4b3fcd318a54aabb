#include "containerd_test_env.hpp"

#include <re2/re2.h>
#include <unistd.h>

#include <cstdlib>
#include <random>
#include <sstream>

namespace berth::test::containerd {
namespace {

std::vector<std::string> first_column(const std::string& table) {
    std::vector<std::string> out;
    std::istringstream lines(table);
    std::string line;
    std::getline(lines, line);  // header
    while (std::getline(lines, line)) {
        std::istringstream fields(line);
        std::string first;
        if (fields >> first) out.push_back(first);
    }
    return out;
}

std::vector<std::string> listed(const std::vector<std::string>& args) {
    const auto r = ctr(args);
    EXPECT_EQ(r.status, 0) << r.err;
    return first_column(r.out);
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

cli_result ctr(const std::vector<std::string>& args, std::chrono::milliseconds timeout) {
    std::vector<std::string> argv{"ctr", "--connect-timeout",   "2s", "-a", containerd_address(),
                                  "-n",  containerd_namespace()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_argv(argv, {}, timeout);
}

std::string unique_name(const std::string& prefix) {
    std::random_device rd;
    std::ostringstream s;
    s << prefix << "-" << ::getpid() << "-" << std::hex << rd();
    return s.str();
}

std::string options(nlohmann::json extra) {
    nlohmann::json o{{"address", containerd_address()}, {"namespace", containerd_namespace()}};
    for (auto& [k, v] : extra.items()) o[k] = v;
    return o.dump();
}

host::host make_host() {
    return host::host(
        host::host_options{.plugin_dirs = std::vector<std::filesystem::path>{plugin_dir()}});
}

std::vector<std::string> containers() { return listed({"containers", "ls"}); }
std::vector<std::string> tasks() { return listed({"tasks", "ls"}); }
std::vector<std::string> snapshots() { return listed({"snapshots", "ls"}); }
bool has_container(const std::string& id) { return contains(containers(), id); }
bool has_snapshot(const std::string& id) { return contains(snapshots(), id); }

std::vector<std::string> containers_labelled(const std::string& key, const std::string& value) {
    return listed({"containers", "ls", "labels.\"" + key + "\"==" + value});
}

int process_count(const std::string& container) {
    const auto r = ctr({"task", "ps", container});
    if (r.status != 0) return 0;
    return static_cast<int>(first_column(r.out).size());
}

scoped_container::scoped_container(const std::string& prefix) : id_(unique_name(prefix)) {
    const auto r = ctr({"run", "-d", "--null-io", "--label", "berth.test=" + id_, test_image(), id_,
                        "sleep", "2147483647"});
    EXPECT_EQ(r.status, 0) << "ctr run -d " << id_ << ": " << r.err;
}

scoped_container::~scoped_container() {
    (void)ctr({"task", "delete", "-f", id_});
    const auto r = ctr({"container", "rm", id_});
    EXPECT_EQ(r.status, 0) << "removing the test's container " << id_ << ": " << r.err;
}

std::pair<std::string, std::string> output_of(const host::session& s) {
    const auto r = s.entry()->read(0, std::size_t{16} << 20);
    std::pair<std::string, std::string> out;
    for (const auto& c : r.chunks)
        (c.source == registry::stream::err ? out.second : out.first) += c.bytes;
    return out;
}

bool wait_for(const host::session& s, const std::string& regex, std::chrono::milliseconds timeout) {
    const re2::RE2 pattern(regex);
    return s.entry()->wait_for_pattern(0, pattern, timeout).result ==
           registry::pattern_wait_result::outcome::matched;
}

}  // namespace berth::test::containerd
