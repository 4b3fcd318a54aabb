#include "conformance.hpp"

#include <stdlib.h>
#include <berth/host/plugin_library.hpp>

#include <cctype>
#include <filesystem>
#include <sstream>
#include <stdexcept>
#include <utility>

#include "test_support.hpp"

namespace berth::test {

using json = nlohmann::json;

std::vector<plugin_case> cases() {
    if (const std::string own = env_or("BERTH_CONFORMANCE_PLUGIN", ""); !own.empty()) {
        const auto base = json::parse(env_or("BERTH_CONFORMANCE_OPTIONS", "{}"), nullptr, false);
        if (!base.is_object())
            throw std::invalid_argument("BERTH_CONFORMANCE_OPTIONS must be a JSON object");
        std::vector<std::string> tools;
        std::istringstream names(env_or("BERTH_CONFORMANCE_TOOLS", ""));
        for (std::string name; names >> name;) tools.push_back(name);
        return {{own, "sh", base, {}, tools}};
    }
    return {
        // local's check spawns `true`.
        {"local.so", "sh", json::object(), {}, {"true"}},
        {"podman.so", "podman", {{"image", test_image()}}, {}, {"podman"}},
        {"containerd.so",
         "ctr",
         {{"image", test_image()},
          {"address", containerd_address()},
          {"namespace", containerd_namespace()}},
         // The health check looks where ctr would: at the test daemon, too.
         {{"CONTAINERD_ADDRESS", containerd_address()},
          {"CONTAINERD_NAMESPACE", containerd_namespace()}},
         {"ctr"}},
        // The LXC check looks for more tools in PATH but runs only these.
        {"lxc.so",
         "lxc-attach",
         {{"template", lxc_template()}},
         {},
         {"lxc-start", "lxc-config", "lxc-ls"}},
        // The instance scripts/setup-lxd.sh keeps running on member 1, through its socket...
        // (launch mode is lxd_integration_test's and the berthd tests')
        {"lxd.so",
         lxd_socket(),
         {{"remote", "unix:" + lxd_socket()}, {"instance", lxd_exec_instance()}},
         {{"BERTH_LXD_REMOTE", "unix:" + lxd_socket()}},
         {},
         "BERTH_LXD_REMOTE",
         "lxd_unix"},
        // ...and over HTTPS to member 2 (which forwards to member 1), with a client certificate
        // and the cluster's certificate pinned.
        {"lxd.so",
         lxd_socket(),
         {{"remote", lxd_node2_url()},
          {"client_cert", lxd_client_cert()},
          {"client_key", lxd_client_key()},
          {"server_cert", lxd_server_cert()},
          {"instance", lxd_exec_instance()}},
         {{"BERTH_LXD_REMOTE", lxd_node2_url()},
          {"BERTH_LXD_CLIENT_CERT", lxd_client_cert()},
          {"BERTH_LXD_CLIENT_KEY", lxd_client_key()},
          {"BERTH_LXD_SERVER_CERT", lxd_server_cert()}},
         {},
         "BERTH_LXD_REMOTE",
         "lxd_https"},
    };
}

void PrintTo(const plugin_case& c, std::ostream* os) { *os << c.file; }

const stream_record& recorder::stream(berth_stream s) const {
    const auto i = static_cast<std::size_t>(s);
    return streams[i < streams.size() ? i : 0];
}

void recorder::on_output(void* ctx, berth_stream stream, const std::uint8_t* data,
                         std::uint32_t n) {
    auto* self = static_cast<recorder*>(ctx);
    const auto* bytes = reinterpret_cast<const char*>(data);
    std::lock_guard lock(self->mutex);
    if (self->exits > 0) ++self->output_after_exit;
    if (self->output.size() < k_kept)
        self->output.append(bytes, std::min<std::size_t>(n, k_kept - self->output.size()));
    const auto i = static_cast<std::size_t>(stream);
    stream_record& r = self->streams[i < self->streams.size() ? i : 0];
    if (r.text.size() < k_kept)
        r.text.append(bytes, std::min<std::size_t>(n, k_kept - r.text.size()));
    if (const auto& p = self->pattern_; !p.empty()) {
        for (std::uint32_t k = 0; k < n; ++k) {
            if (bytes[k] == p[(r.bytes + k) % p.size()]) continue;
            if (r.mismatches++ == 0) r.first_mismatch = r.bytes + k;
        }
    }
    r.bytes += n;
    self->changed.notify_all();
}

void recorder::on_exit(void* ctx, const berth_exit_status* s) {
    auto* self = static_cast<recorder*>(ctx);
    std::lock_guard lock(self->mutex);
    ++self->exits;
    self->status = *s;
    self->reason = s->reason == nullptr ? "" : s->reason;
    self->changed.notify_all();
}

std::string recorder::output_now() {
    std::lock_guard lock(mutex);
    return output;
}

bool recorder::wait_text(const std::string& text, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, timeout, [&] { return output.find(text) != std::string::npos; });
}

bool recorder::wait_exit(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, timeout, [&] { return exits > 0; });
}

outcome outcome_of(const berth_exit_status& s) { return {s.exit_code, s.term_signal, s.failed}; }

void PrintTo(const outcome& o, std::ostream* os) {
    *os << "{exit_code " << o.exit_code << ", term_signal " << o.term_signal << ", failed "
        << o.failed << "}";
}

health_report check_health(host::plugin& p) {
    health_report r;
    berth_health_sink sink{};
    sink.struct_size = sizeof sink;
    sink.ctx = &r;
    sink.set_state = [](void* ctx, berth_health_state st, const char* detail) {
        auto* self = static_cast<health_report*>(ctx);
        self->state_set = true;
        self->state = st;
        self->detail = detail == nullptr ? "" : detail;
    };
    sink.add_attribute = [](void*, const char*, const char*) {};
    r.status = p.api().health_check(p.instance(), &sink);
    if (r.status != BERTH_OK) r.detail = p.last_error();
    return r;
}

void Conformance::SetUp() {
    BERTH_REQUIRE_RUNTIME(GetParam().binary);
    for (const auto& [k, v] : GetParam().env) ::setenv(k.c_str(), v.c_str(), 1);
    plugin_ = create_plugin();
    ASSERT_TRUE(plugin_) << "cannot create an instance of " << GetParam().file;
}

void Conformance::TearDown() {
    for (auto* s : sessions_) api().session_destroy(s);
}

std::shared_ptr<host::plugin> Conformance::create_plugin() const {
    const std::filesystem::path file(GetParam().file);
    auto lib = host::load_plugin_library(file.is_absolute() ? file : plugin_dir() / file);
    if (!lib) {
        ADD_FAILURE() << lib.err().message;
        return nullptr;
    }
    auto created = host::plugin::create(std::move(lib.value()), nullptr);
    if (!created) {
        ADD_FAILURE() << created.err().message;
        return nullptr;
    }
    return std::move(created.value());
}

std::string Conformance::options(const json& command, const json& extra) const {
    json o = GetParam().base;
    o["command"] = command;
    for (const auto& [k, v] : extra.items()) o[k] = v;
    return o.dump();
}

berth_session_sink recorder::sink() {
    berth_session_sink s{};
    s.struct_size = sizeof s;
    s.ctx = this;
    s.on_output = &recorder::on_output;
    s.on_exit = &recorder::on_exit;
    return s;
}

berth_session* Conformance::open(const std::string& options_json, recorder& rec) {
    const berth_session_sink sink = rec.sink();
    berth_session* s = nullptr;
    const auto status = api().session_open(plugin_->instance(), options_json.c_str(), &sink, &s);
    if (status != BERTH_OK || s == nullptr) {
        ADD_FAILURE() << "session_open failed (" << status << "): " << plugin_->last_error()
                      << "\noptions: " << options_json;
        return nullptr;
    }
    sessions_.push_back(s);
    return s;
}

berth_status Conformance::write(berth_session* s, const std::string& text) const {
    return api().session_write(s, reinterpret_cast<const std::uint8_t*>(text.data()),
                               static_cast<std::uint32_t>(text.size()));
}

std::string case_name(const ::testing::TestParamInfo<plugin_case>& info) {
    std::string name = info.param.label.empty()
                           ? std::filesystem::path(info.param.file).stem().string()
                           : info.param.label;
    for (char& c : name)
        if (std::isalnum(static_cast<unsigned char>(c)) == 0) c = '_';
    return name;
}

INSTANTIATE_TEST_SUITE_P(Plugins, Conformance, ::testing::ValuesIn(cases()), case_name);

}  // namespace berth::test
