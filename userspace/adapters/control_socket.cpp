#include "adapters/control_socket.hpp"

#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>

#include <unistd.h>

#include <deque>
#include <istream>
#include <stdexcept>

namespace xvrrp {
namespace {

using local = boost::asio::local::stream_protocol;

struct Connection : std::enable_shared_from_this<Connection> {
    Connection(local::socket s, ControlSocket::Handlers& h) : socket(std::move(s)), handlers(h) {}
    ~Connection() {
        if (follower >= 0 && handlers.unfollow) handlers.unfollow(follower);
    }
    local::socket socket;
    ControlSocket::Handlers& handlers;
    boost::asio::streambuf in;
    std::deque<std::string> out;
    bool writing = false;
    bool close_after = false;
    int follower = -1;

    void start() {
        auto self = shared_from_this();
        boost::asio::async_read_until(socket, in, '\n', [self](boost::system::error_code ec, std::size_t) {
            if (ec) return;
            std::istream is(&self->in);
            std::string cmd;
            std::getline(is, cmd);
            if (!cmd.empty() && cmd.back() == '\r') cmd.pop_back();
            self->command(cmd);
        });
    }

    void command(const std::string& cmd) {
        if (cmd == "status" && handlers.status) {
            send(handlers.status() + "\n", true);
        } else if (cmd == "counters" && handlers.counters) {
            send(handlers.counters() + "\n", true);
        } else if (cmd == "events" && handlers.follow) {
            std::weak_ptr<Connection> weak = shared_from_this();
            follower = handlers.follow([weak](const std::string& line) {
                if (auto c = weak.lock()) c->send(line + "\n", false);
            });
            watch_close();
        } else {
            send("{\"error\":\"unknown command: " + cmd + "\"}\n", true);
        }
    }

    // A follower never sends again: a read completing (EOF or error) means the client left.
    void watch_close() {
        auto self = shared_from_this();
        boost::asio::async_read_until(socket, in, '\n', [self](boost::system::error_code ec, std::size_t) {
            if (ec) {
                if (self->follower >= 0) self->handlers.unfollow(self->follower);
                self->follower = -1;
                boost::system::error_code ignored;
                self->socket.close(ignored);
                return;
            }
            self->in.consume(self->in.size());
            self->watch_close();
        });
    }

    void send(std::string s, bool then_close) {
        out.push_back(std::move(s));
        close_after = close_after || then_close;
        if (!writing) write_next();
    }

    void write_next() {
        if (out.empty()) {
            writing = false;
            if (close_after) {
                boost::system::error_code ignored;
                socket.shutdown(local::socket::shutdown_both, ignored);
                socket.close(ignored);
            }
            return;
        }
        writing = true;
        auto self = shared_from_this();
        boost::asio::async_write(socket, boost::asio::buffer(out.front()), [self](boost::system::error_code ec, std::size_t) {
            self->out.pop_front();
            if (ec) {
                self->out.clear();
                self->writing = false;
                return;
            }
            self->write_next();
        });
    }
};

}  // namespace

ControlSocket::ControlSocket(boost::asio::io_context& io, std::string path, Handlers handlers)
    : path_(std::move(path)), acceptor_(io), handlers_(std::move(handlers)) {
    unlink(path_.c_str());
    boost::system::error_code ec;
    local::endpoint ep(path_);
    acceptor_.open(ep.protocol(), ec);
    if (!ec) acceptor_.bind(ep, ec);
    if (!ec) acceptor_.listen(16, ec);
    if (ec) throw std::runtime_error("control socket " + path_ + ": " + ec.message());
    accept();
}

ControlSocket::~ControlSocket() {
    *alive_ = false;
    boost::system::error_code ec;
    acceptor_.close(ec);
    unlink(path_.c_str());
}

void ControlSocket::accept() {
    std::weak_ptr<bool> alive = alive_;
    acceptor_.async_accept([this, alive](boost::system::error_code ec, local::socket s) {
        if (alive.expired() || !*alive.lock()) return;
        if (!ec) std::make_shared<Connection>(std::move(s), handlers_)->start();
        if (ec != boost::asio::error::operation_aborted) accept();
    });
}

}  // namespace xvrrp
