#include "adapters/http_server.hpp"

#include <boost/asio/ip/v6_only.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <optional>
#include <stdexcept>
#include <unordered_set>

namespace xvrrp {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

namespace {
struct Session;
}

struct HttpServer::Shared {
    Handler handler;
    HttpLimits limits;
    HttpStats stats;
    bool closed = false;
    std::map<boost::asio::ip::address, std::size_t> per_client;
    std::unordered_set<Session*> sessions;
};

HttpResponse HttpResponse::text(unsigned status, std::string body) {
    return {status, "text/plain; charset=utf-8", std::make_shared<const std::string>(std::move(body))};
}

HttpResponse HttpResponse::shared(unsigned status, std::string content_type, std::shared_ptr<const std::string> body) {
    return {status, std::move(content_type), std::move(body)};
}

namespace {

using Body = http::span_body<const char>;

struct Session : std::enable_shared_from_this<Session> {
    Session(tcp::socket s, std::shared_ptr<HttpServer::Shared> sh, boost::asio::ip::address peer)
        : stream(std::move(s)), shared(std::move(sh)), peer(std::move(peer)) {
        ++shared->stats.open;
        ++shared->per_client[this->peer];
        shared->sessions.insert(this);
    }
    ~Session() {
        --shared->stats.open;
        if (auto it = shared->per_client.find(peer); it != shared->per_client.end() && --it->second == 0)
            shared->per_client.erase(it);
        shared->sessions.erase(this);
    }

    beast::tcp_stream stream;
    std::shared_ptr<HttpServer::Shared> shared;
    boost::asio::ip::address peer;
    // The parser's own limits bound the headers and the body; this one bounds the buffer.
    beast::flat_buffer buffer{16 * 1024};
    std::optional<http::request_parser<http::string_body>> parser;
    std::shared_ptr<const std::string> body;  // kept alive until the write completes
    http::response<Body> res;
    std::optional<http::response_serializer<Body>> head_only;

    void start() {
        parser.emplace();
        parser->header_limit(shared->limits.header_limit);
        parser->body_limit(shared->limits.body_limit);
        stream.expires_after(shared->limits.request_timeout);
        http::async_read(stream, buffer, *parser, [self = shared_from_this()](beast::error_code ec, std::size_t) {
            self->on_read(ec);
        });
    }

    void on_read(beast::error_code ec) {
        if (shared->closed) return;
        if (ec == beast::error::timeout) {
            ++shared->stats.timed_out;
            return;
        }
        if (ec == http::error::end_of_stream || ec == boost::asio::error::eof || ec == boost::asio::error::operation_aborted)
            return;
        if (ec) {
            // Not HTTP, or over a limit: say so once, then close.
            write(HttpResponse::text(ec == http::error::header_limit || ec == http::error::body_limit ? 413 : 400,
                                     "bad request: " + ec.message() + "\n"),
                  false);
            return;
        }
        const auto& req = parser->get();
        const bool head = req.method() == http::verb::head;
        if (req.method() != http::verb::get && !head) {
            auto r = HttpResponse::text(405, "method not allowed: only GET and HEAD\n");
            res.set(http::field::allow, "GET, HEAD");
            write(std::move(r), false);
            return;
        }
        HttpResponse r;
        try {
            r = shared->handler(std::string_view(req.target().data(), req.target().size()));
        } catch (const std::exception& e) {
            // Never let an exception cross the event loop: a failed page is a 500, not a crash.
            r = HttpResponse::text(500, std::string("internal error: ") + e.what() + "\n");
        }
        write(std::move(r), head);
    }

    void write(HttpResponse r, bool head) {
        body = r.body ? std::move(r.body) : std::make_shared<const std::string>();
        res.version(parser && parser->is_header_done() ? parser->get().version() : 11);
        res.result(static_cast<http::status>(r.status));
        res.set(http::field::server, "xvrrpd");
        res.set(http::field::content_type, r.content_type);
        res.set(http::field::cache_control, "no-store");
        res.keep_alive(false);
        res.body() = Body::value_type(body->data(), body->size());
        res.content_length(body->size());
        stream.expires_after(shared->limits.write_timeout);
        auto done = [self = shared_from_this()](beast::error_code ec, std::size_t) {
            if (ec == beast::error::timeout) ++self->shared->stats.timed_out;
            ++self->shared->stats.responses;
            beast::error_code ignored;
            self->stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
        };
        if (head) {
            // RFC 9110 9.3.2: the headers GET would send, Content-Length included, and no body.
            head_only.emplace(res);
            http::async_write_header(stream, *head_only, std::move(done));
        } else {
            http::async_write(stream, res, std::move(done));
        }
    }
};

// A connection over a cap: one non-blocking send of a fixed answer, then closed. Best effort:
// a client whose request is still unread may see a reset instead.
void refuse(tcp::socket& s) {
    static constexpr std::string_view busy =
        "HTTP/1.1 503 Service Unavailable\r\nServer: xvrrpd\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "Retry-After: 1\r\nConnection: close\r\nContent-Length: 21\r\n\r\ntoo many connections\n";
    (void)::send(s.native_handle(), busy.data(), busy.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    boost::system::error_code ignored;
    s.close(ignored);
}

bool out_of_resources(const boost::system::error_code& ec) {
    if (ec.category() != boost::system::system_category()) return false;
    const int e = ec.value();
    return e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM;
}

}  // namespace

HttpServer::HttpServer(boost::asio::io_context& io, const std::string& host, unsigned short port, Handler handler,
                       HttpLimits limits, bool freebind)
    : acceptor_(io), backoff_timer_(io), shared_(std::make_shared<Shared>()) {
    shared_->handler = std::move(handler);
    shared_->limits = limits;
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
    if (!ec && freebind) {
        const int on = 1;
        const bool v6 = ep.protocol() == tcp::v6();
        if (::setsockopt(acceptor_.native_handle(), v6 ? IPPROTO_IPV6 : IPPROTO_IP, v6 ? IPV6_FREEBIND : IP_FREEBIND,
                         &on, sizeof on) != 0)
            ec.assign(errno, boost::system::system_category());
    }
    if (!ec) acceptor_.bind(ep, ec);
    if (!ec) acceptor_.listen(static_cast<int>(std::max<std::size_t>(limits.max_connections, 16)), ec);
    if (ec) {
        std::string where = (host.empty() ? std::string("*") : host) + ":" + std::to_string(port);
        throw std::runtime_error("HTTP status server cannot listen on " + where + ": " + ec.message());
    }
    accept();
}

HttpServer::~HttpServer() {
    shared_->closed = true;
    boost::system::error_code ec;
    acceptor_.close(ec);
    backoff_timer_.cancel();
    // Sessions still open end with their next completion (the handler is no longer called).
    for (Session* s : shared_->sessions) s->stream.socket().close(ec);
}

unsigned short HttpServer::port() const { return acceptor_.local_endpoint().port(); }

HttpStats HttpServer::stats() const { return shared_->stats; }

void HttpServer::accept() {
    std::weak_ptr<Shared> weak = shared_;
    acceptor_.async_accept([this, weak](boost::system::error_code ec, tcp::socket s) {
        auto sh = weak.lock();
        if (!sh || sh->closed || ec == boost::asio::error::operation_aborted) return;
        if (ec) {
            ++sh->stats.accept_errors;
            // A connection the client gave up on before we took it: nothing wrong with us.
            if (ec == boost::asio::error::connection_aborted || !out_of_resources(ec)) {
                accept();
            } else {
                back_off();
            }
            return;
        }
        backoff_ = std::chrono::milliseconds(0);
        boost::system::error_code pe;
        auto peer = s.remote_endpoint(pe);
        if (pe) {
            accept();
            return;
        }
        auto addr = peer.address();
        if (addr.is_v6() && addr.to_v6().is_v4_mapped())
            addr = boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, addr.to_v6());
        auto it = sh->per_client.find(addr);
        if (sh->stats.open >= sh->limits.max_connections ||
            (it != sh->per_client.end() && it->second >= sh->limits.max_per_client)) {
            ++sh->stats.refused;
            refuse(s);
        } else {
            ++sh->stats.accepted;
            std::make_shared<Session>(std::move(s), sh, addr)->start();
        }
        accept();
    });
}

void HttpServer::back_off() {
    backoff_ = std::clamp(backoff_ * 2, shared_->limits.accept_backoff_min, shared_->limits.accept_backoff_max);
    backoff_timer_.expires_after(backoff_);
    std::weak_ptr<Shared> weak = shared_;
    backoff_timer_.async_wait([this, weak](const boost::system::error_code& ec) {
        auto sh = weak.lock();
        if (ec || !sh || sh->closed) return;
        accept();
    });
}

}  // namespace xvrrp
