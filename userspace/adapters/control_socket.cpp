#include "adapters/control_socket.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <deque>
#include <istream>
#include <set>
#include <stdexcept>
#include <vector>

namespace xvrrp {

using local = boost::asio::local::stream_protocol;

namespace control_detail {
struct Connection;
// What the ControlSocket and its connections share. A connection outlives the socket only inside
// handlers the io_context has not run yet: once `live` is false it calls no handler.
struct Shared {
    ControlSocket::Handlers handlers;
    ControlSocket::Limits limits;
    bool live = true;
    std::set<Connection*> connections;
};
}  // namespace control_detail

namespace {

using control_detail::Shared;

// One line of {"error": TEXT}; bytes that are not UTF-8 (a client's command echoed) are replaced.
std::string error_line(const std::string& text) {
    return nlohmann::json{{"error", text}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace

namespace control_detail {

struct Connection : std::enable_shared_from_this<Connection> {
    Connection(local::socket s, std::shared_ptr<Shared> sh)
        : socket(std::move(s)), deadline(socket.get_executor()), in(sh->limits.max_request), shared(std::move(sh)) {
        shared->connections.insert(this);
    }
    ~Connection() {
        shared->connections.erase(this);
        if (follower >= 0 && shared->live && shared->handlers.unfollow) shared->handlers.unfollow(follower);
    }

    local::socket socket;
    boost::asio::steady_timer deadline;
    boost::asio::streambuf in;
    std::array<char, 512> scratch{};
    std::deque<std::string> out;
    std::size_t queued = 0;  // bytes in `out`
    bool writing = false;
    bool close_after = false;
    bool closed = false;
    bool dropping = false;
    int follower = -1;
    std::shared_ptr<Shared> shared;

    void start() {
        auto self = shared_from_this();
        // One deadline for the request and its answer; a follower's is cancelled when it follows.
        deadline.expires_after(shared->limits.idle);
        deadline.async_wait([self](boost::system::error_code ec) {
            if (!ec) self->close();
        });
        boost::asio::async_read_until(socket, in, '\n', [self](boost::system::error_code ec, std::size_t) {
            if (self->closed) return;
            if (ec == boost::asio::error::not_found) {
                self->send(error_line("request longer than " + std::to_string(self->shared->limits.max_request) + " bytes"), true);
                return;
            }
            if (ec) {
                self->close();
                return;
            }
            std::istream is(&self->in);
            std::string cmd;
            std::getline(is, cmd);
            if (!cmd.empty() && cmd.back() == '\r') cmd.pop_back();
            self->command(cmd);
        });
    }

    void command(const std::string& cmd) {
        const auto& h = shared->handlers;
        try {
            if (cmd == "status" && h.status) {
                send(h.status() + "\n", true);
            } else if (cmd == "counters" && h.counters) {
                send(h.counters() + "\n", true);
            } else if (cmd == "plan" && h.plan) {
                send(h.plan() + "\n", true);
            } else if (cmd == "events" && h.follow) {
                deadline.cancel();
                std::weak_ptr<Connection> weak = shared_from_this();
                follower = h.follow([weak](const std::string& line) {
                    if (auto c = weak.lock()) c->follow_line(line);
                });
                watch_close();
            } else {
                send(error_line("unknown command: " + cmd.substr(0, 64) + (cmd.size() > 64 ? "..." : "")), true);
            }
        } catch (const std::exception& e) {
            spdlog::error("control socket: {}: {}", cmd.substr(0, 64), e.what());
            send(error_line(std::string("internal error: ") + e.what()), true);
        }
    }

    // Called from inside the event log's walk over its followers: a follower too slow to keep up
    // is dropped later, on the loop, not while that walk runs.
    void follow_line(const std::string& line) {
        if (closed || dropping) return;
        if (queued + line.size() + 1 > shared->limits.max_follower_queue) {
            dropping = true;
            while (out.size() > (writing ? 1u : 0u)) {
                queued -= out.back().size();
                out.pop_back();
            }
            send(error_line("follower too slow: more than " + std::to_string(shared->limits.max_follower_queue) +
                            " bytes queued; dropped"),
                 true);
            auto self = shared_from_this();
            boost::asio::post(socket.get_executor(), [self] { self->unfollow(); });
            return;
        }
        send(line + "\n", false);
    }

    void unfollow() {
        if (follower >= 0 && shared->live && shared->handlers.unfollow) shared->handlers.unfollow(follower);
        follower = -1;
    }

    // A follower never sends again: a read completing with an error (EOF) means the client left.
    void watch_close() {
        auto self = shared_from_this();
        socket.async_read_some(boost::asio::buffer(scratch), [self](boost::system::error_code ec, std::size_t) {
            if (self->closed) return;
            if (ec) {
                self->close();
                return;
            }
            self->watch_close();
        });
    }

    void send(std::string s, bool then_close) {
        if (closed) return;
        queued += s.size();
        out.push_back(std::move(s));
        close_after = close_after || then_close;
        if (!writing) write_next();
    }

    void write_next() {
        if (out.empty()) {
            writing = false;
            if (close_after) close();
            return;
        }
        writing = true;
        auto self = shared_from_this();
        boost::asio::async_write(socket, boost::asio::buffer(out.front()), [self](boost::system::error_code ec, std::size_t) {
            if (self->closed) return;
            self->queued -= self->out.front().size();
            self->out.pop_front();
            if (ec) {
                self->close();
                return;
            }
            self->write_next();
        });
    }

    // Ends the connection; pending operations complete with operation_aborted and do nothing.
    void close() {
        if (closed) return;
        closed = true;
        unfollow();
        deadline.cancel();
        boost::system::error_code ignored;
        socket.shutdown(local::socket::shutdown_both, ignored);
        socket.close(ignored);
    }
};

}  // namespace control_detail

ControlSocket::ControlSocket(boost::asio::io_context& io, std::string path, Handlers handlers, Limits limits)
    : path_(std::move(path)), acceptor_(io), backoff_(io), shared_(std::make_shared<control_detail::Shared>()) {
    shared_->handlers = std::move(handlers);
    shared_->limits = limits;
    unlink(path_.c_str());
    boost::system::error_code ec;
    local::endpoint ep(path_);
    acceptor_.open(ep.protocol(), ec);
    if (!ec) {
        // The socket file is created mode 0600 whatever umask the daemon inherited: status shows
        // script and pin paths, for the node's root only.
        const mode_t old = umask(0177);
        acceptor_.bind(ep, ec);
        umask(old);
    }
    if (!ec) acceptor_.listen(16, ec);
    if (ec) throw std::runtime_error("control socket " + path_ + ": " + ec.message());
    accept();
}

ControlSocket::~ControlSocket() {
    std::vector<std::shared_ptr<control_detail::Connection>> open;
    for (auto* c : shared_->connections)
        if (auto p = c->weak_from_this().lock()) open.push_back(std::move(p));
    for (auto& c : open) c->close();  // unfollows while the handlers' owner is still alive
    shared_->live = false;
    shared_->handlers = {};
    boost::system::error_code ec;
    backoff_.cancel();
    acceptor_.close(ec);
    unlink(path_.c_str());
}

std::size_t ControlSocket::connections() const { return shared_->connections.size(); }

void ControlSocket::accept() {
    std::weak_ptr<control_detail::Shared> weak = shared_;
    acceptor_.async_accept([this, weak](boost::system::error_code ec, local::socket s) {
        auto shared = weak.lock();
        if (!shared || !shared->live || ec == boost::asio::error::operation_aborted) return;
        if (ec) {
            // Out of descriptors or memory: accepting again at once would spin on the same error.
            if (ec == boost::system::errc::too_many_files_open || ec == boost::system::errc::too_many_files_open_in_system ||
                ec == boost::system::errc::no_buffer_space || ec == boost::system::errc::not_enough_memory) {
                spdlog::warn("control socket: accept: {}; retrying in 100 ms", ec.message());
                back_off();
                return;
            }
            accept();
            return;
        }
        if (shared->connections.size() >= shared->limits.max_connections) {
            const std::string msg = error_line("too many connections (" + std::to_string(shared->limits.max_connections) + ")");
            boost::system::error_code ignored;
            s.non_blocking(true, ignored);
            s.write_some(boost::asio::buffer(msg), ignored);
            s.close(ignored);
        } else {
            std::make_shared<control_detail::Connection>(std::move(s), shared)->start();
        }
        accept();
    });
}

void ControlSocket::back_off() {
    std::weak_ptr<control_detail::Shared> weak = shared_;
    backoff_.expires_after(std::chrono::milliseconds(100));
    backoff_.async_wait([this, weak](boost::system::error_code ec) {
        auto shared = weak.lock();
        if (!ec && shared && shared->live) accept();
    });
}

}  // namespace xvrrp
