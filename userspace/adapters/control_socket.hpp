// The unix control socket in the runtime directory, served on the daemon's loop for xvrrpctl.
// Protocol: the client sends one command line; the server answers and closes, except `events`,
// which streams every new events-file line until the client goes away.
//   status    -> one JSON document (the same as HTTP /status)
//   counters  -> one JSON document of counters
//   events    -> JSON lines, one per state change, as they happen
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>

#include <functional>
#include <memory>
#include <string>

namespace xvrrp {

class ControlSocket {
public:
    struct Handlers {
        std::function<std::string()> status;
        std::function<std::string()> counters;
        // Registers a follower that receives each new line; returns an id for unfollow.
        std::function<int(std::function<void(const std::string&)>)> follow;
        std::function<void(int)> unfollow;
    };

    // Binds `path` (a stale socket file from a crashed daemon is replaced: the instance lock
    // already proved no live daemon owns it). Throws std::runtime_error naming the path.
    ControlSocket(boost::asio::io_context& io, std::string path, Handlers handlers);
    ~ControlSocket();
    const std::string& path() const { return path_; }

private:
    void accept();
    std::string path_;
    boost::asio::local::stream_protocol::acceptor acceptor_;
    Handlers handlers_;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace xvrrp
