#include "lxd_runtime.hpp"

namespace berth::plugins::lxd {

lxd_runtime::lxd_runtime(sdk::host_services host)
    : host_(std::move(host)), guard_(boost::asio::make_work_guard(io_)), thread_([this] {
          while (true) {
              try {
                  io_.run();
                  return;
              } catch (const std::exception& e) {
                  // A session's coroutine let an exception out: log it, keep serving the rest.
                  host_.log(BERTH_LOG_ERROR, std::string("lxd I/O: ") + e.what());
              }
          }
      }) {}

lxd_runtime::~lxd_runtime() {
    guard_.reset();
    io_.stop();
    if (thread_.joinable()) thread_.join();
}

}  // namespace berth::plugins::lxd
