// Private: the Asio state behind sdk::event_loop, shared by the helper's .cpp files only.
#pragma once

#include <berth/sdk/event_loop.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <thread>

namespace berth::sdk {

struct event_loop::impl {
    boost::asio::io_context io{1};
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work{
        io.get_executor()};
    std::thread thread;
    std::thread::id thread_id;
};

}  // namespace berth::sdk
