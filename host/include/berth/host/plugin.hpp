// A plugin instance: a loaded library plus the instance its create() returned, wired to the
// host's logger and the registry's metrics. Shared by the host and by every session opened
// through it; the library is unloaded only after the last of them is gone.
#pragma once

#include <berth/host/plugin_library.hpp>
#include <berth/host/result.hpp>
#include <berth/registry/metrics_store.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

namespace berth::host {

class plugin : public std::enable_shared_from_this<plugin> {
public:
    // Calls the plugin's create(). On failure returns the reason with the plugin's own words.
    // owner: the host's ownership token for what the plugin creates (empty: none).
    [[nodiscard]] static result<std::shared_ptr<plugin>> create(
        std::shared_ptr<plugin_library> library, registry::metrics_store* metrics,
        const std::string& owner = {});
    ~plugin();  // destroy() on the instance, then the library may go
    plugin(const plugin&) = delete;
    plugin& operator=(const plugin&) = delete;

    [[nodiscard]] const plugin_descriptor_info& info() const noexcept { return library_->info(); }
    [[nodiscard]] const std::string& name() const noexcept { return info().name; }
    [[nodiscard]] const std::string& runtime() const noexcept { return info().runtime; }
    [[nodiscard]] const std::filesystem::path& path() const noexcept { return library_->path(); }
    [[nodiscard]] bool has(std::uint64_t capability) const noexcept {
        return (info().capabilities & capability) != 0;
    }
    [[nodiscard]] const std::string& options_schema() const noexcept { return options_schema_; }
    // True when the file it was loaded from has been replaced (or removed) since.
    [[nodiscard]] bool file_replaced() const { return library_->replaced_on_disk(); }

    // Runs the plugin's health check on a worker thread, waiting at most `timeout` (a plugin
    // that hangs reports unhealthy; its thread is left to finish on its own, holding the
    // library). Records the result in the metrics store.
    [[nodiscard]] registry::health_check_result check_health(std::chrono::milliseconds timeout);

    // check_health without the metrics, saying how the check ended: check_health folds a
    // check that hung, failed or reported nothing into "unhealthy", which is right for a user
    // but hides a plugin defect from `berth plugin validate`.
    enum class health_outcome {
        reported,   // the plugin set a state and returned BERTH_OK: result is its report
        timed_out,  // no answer within the timeout (its thread is left running)
        failed,     // health_check returned an error status
        no_state,   // it returned BERTH_OK without setting a state
    };
    struct health_run {
        health_outcome outcome = health_outcome::reported;
        registry::health_check_result result;
    };
    [[nodiscard]] health_run run_health_check(std::chrono::milliseconds timeout);

    // Removes the containers an earlier life of the host left marked with its owner (ABI 1.1
    // reclaim_owned). Runs at most once per instance and never once a session was opened
    // through it; a session opened meanwhile waits until it is done.
    struct reclaim_result {
        bool ran = false;  // false: no owner, no slot (older plugin), or too late
        std::uint32_t removed = 0;
        std::string error;  // the plugin's words when something could not be removed
    };
    [[nodiscard]] reclaim_result reclaim_owned();

    // For session and host internals.
    // Called before every session_open: from then on reclaim_owned() does nothing.
    void note_session_opening();
    [[nodiscard]] const berth_plugin_api& api() const noexcept { return library_->api(); }
    [[nodiscard]] berth_plugin* instance() const noexcept { return instance_; }
    [[nodiscard]] registry::metrics_store* metrics() const noexcept { return metrics_; }
    // The plugin's message for the last failure on this thread.
    [[nodiscard]] std::string last_error() const;

    struct services;  // what host_ctx points to

private:
    plugin() = default;

    // Member order is destruction order, reversed: the library outlives the instance.
    std::shared_ptr<plugin_library> library_;
    std::unique_ptr<services> services_;
    registry::metrics_store* metrics_ = nullptr;
    berth_plugin* instance_ = nullptr;
    std::string options_schema_;
    std::mutex reclaim_mutex_;  // held while reclaiming, so a session_open waits for it
    bool reclaimed_ = false;
    bool sessions_opened_ = false;
};

}  // namespace berth::host
