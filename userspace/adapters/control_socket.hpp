// The unix control socket in the runtime directory, served on the daemon's loop for xvrrpctl.
// Protocol: the client sends one command line; the server answers and closes, except `events`,
// which streams every new events-file line until the client goes away.
//   status    -> one JSON document (the full one: plan, paths, every VIP)
//   counters  -> one JSON document of counters
//   plan      -> the running plan: {"text": the --check-config table, "json": its JSON form}
//   events    -> JSON lines, one per state change, as they happen
// Anything else, or a request over the limits below, gets one {"error": "..."} line and a close.
//
// Bounded against any local client: the socket file is mode 0600 (root's), a request line is at
// most `max_request` bytes and must arrive within `idle`, at most `max_connections` are served at
// once (the next one is told so and closed), an answer must be taken within `idle` too, and a
// follower that lets more than `max_follower_queue` bytes queue up is told it is dropped and
// closed. A handler that throws answers that connection with the error; the daemon goes on.
// Destroying the ControlSocket closes every connection and calls no handler afterwards.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

namespace xvrrp {

namespace control_detail {
struct Shared;
}

class ControlSocket {
public:
    struct Handlers {
        std::function<std::string()> status;
        std::function<std::string()> counters;
        std::function<std::string()> plan;
        // Registers a follower that receives each new line; returns an id for unfollow.
        std::function<int(std::function<void(const std::string&)>)> follow;
        std::function<void(int)> unfollow;
    };
    struct Limits {
        std::size_t max_request = 4096;
        std::chrono::milliseconds idle{5000};
        std::size_t max_connections = 16;
        std::size_t max_follower_queue = 1 << 20;
    };

    // Binds `path` (a stale socket file from a crashed daemon is replaced: the instance lock
    // already proved no live daemon owns it). Throws std::runtime_error naming the path.
    ControlSocket(boost::asio::io_context& io, std::string path, Handlers handlers, Limits limits);
    ControlSocket(boost::asio::io_context& io, std::string path, Handlers handlers)
        : ControlSocket(io, std::move(path), std::move(handlers), Limits{}) {}
    ~ControlSocket();
    ControlSocket(const ControlSocket&) = delete;
    ControlSocket& operator=(const ControlSocket&) = delete;
    const std::string& path() const { return path_; }
    std::size_t connections() const;

private:
    void accept();
    void back_off();
    std::string path_;
    boost::asio::local::stream_protocol::acceptor acceptor_;
    boost::asio::steady_timer backoff_;
    std::shared_ptr<control_detail::Shared> shared_;
};

}  // namespace xvrrp
