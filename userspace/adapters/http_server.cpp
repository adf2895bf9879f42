#include "adapters/http_server.hpp"

#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <stdexcept>

namespace xvrrp {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

struct Session : std::enable_shared_from_this<Session> {
    Session(tcp::socket s, HttpServer::Handler& h, std::weak_ptr<bool> alive)
        : stream(std::move(s)), handler(h), alive(std::move(alive)) {}
    beast::tcp_stream stream;
    beast::flat_buffer buffer;
    http::request<http::string_body> req;
    http::response<http::string_body> res;
    HttpServer::Handler& handler;
    std::weak_ptr<bool> alive;

    void start() {
        stream.expires_after(std::chrono::seconds(5));
        auto self = shared_from_this();
        http::async_read(stream, buffer, req, [self](beast::error_code ec, std::size_t) {
            if (ec || self->alive.expired()) return;
            self->respond();
        });
    }

    void respond() {
        HttpResponse r;
        try {
            r = handler(std::string(req.method_string()), std::string(req.target()));
        } catch (const std::exception& e) {
            // Never let an exception cross the event loop: a failed page is a 500, not a crash.
            r = {500, "text/plain; charset=utf-8", std::string("internal error: ") + e.what() + "\n"};
        }
        res.version(req.version());
        res.result(static_cast<http::status>(r.status));
        res.set(http::field::server, "xvrrpd");
        res.set(http::field::content_type, r.content_type);
        res.keep_alive(false);
        res.body() = std::move(r.body);
        res.prepare_payload();
        auto self = shared_from_this();
        http::async_write(stream, res, [self](beast::error_code, std::size_t) {
            beast::error_code ignored;
            self->stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
        });
    }
};

}  // namespace

HttpServer::HttpServer(boost::asio::io_context& io, const std::string& host, unsigned short port, Handler handler)
    : acceptor_(io), handler_(std::move(handler)) {
    boost::system::error_code ec;
    tcp::endpoint ep;
    if (host.empty()) {
        ep = tcp::endpoint(tcp::v6(), port);
    } else {
        auto addr = boost::asio::ip::make_address(host, ec);
        if (ec) throw std::runtime_error("XVRRP_HTTP_ADDR: \"" + host + "\" is not an IP address");
        ep = tcp::endpoint(addr, port);
    }
    acceptor_.open(ep.protocol(), ec);
    if (!ec && host.empty()) acceptor_.set_option(boost::asio::ip::v6_only(false), ec);
    if (ec && host.empty()) {
        // No IPv6 in this network namespace: every IPv4 address instead.
        ec.clear();
        acceptor_ = tcp::acceptor(io);
        ep = tcp::endpoint(tcp::v4(), port);
        acceptor_.open(ep.protocol(), ec);
    }
    if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor_.bind(ep, ec);
    if (!ec) acceptor_.listen(64, ec);
    if (ec) {
        std::string where = (host.empty() ? std::string("*") : host) + ":" + std::to_string(port);
        throw std::runtime_error("HTTP status server cannot listen on " + where + ": " + ec.message());
    }
    accept();
}

HttpServer::~HttpServer() {
    *alive_ = false;
    boost::system::error_code ec;
    acceptor_.close(ec);
}

unsigned short HttpServer::port() const { return acceptor_.local_endpoint().port(); }

void HttpServer::accept() {
    std::weak_ptr<bool> alive = alive_;
    acceptor_.async_accept([this, alive](boost::system::error_code ec, tcp::socket s) {
        if (alive.expired() || !*alive.lock()) return;
        if (!ec) std::make_shared<Session>(std::move(s), handler_, alive)->start();
        if (ec != boost::asio::error::operation_aborted) accept();
    });
}

}  // namespace xvrrp
