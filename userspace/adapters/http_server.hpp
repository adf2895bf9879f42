// A small HTTP/1.1 server (Boost.Beast) on the daemon's loop for the probe and status pages.
// One request per connection (Connection: close): Prometheus scrapes and probes need no more, and
// no client can hold the loop's attention longer than one read with a deadline.
//
// It shares the loop that sends VRRP adverts and writes the XDP liveness heartbeat, so what a
// client can make the loop do is bounded here (docs/operations.md, "HTTP endpoints"):
//  - at most `max_connections` at once and `max_per_client` from one address; a connection beyond
//    either gets a 503 written with one non-blocking send and is closed at once;
//  - a request (headers and any body) must arrive within `request_timeout`, its answer be taken
//    within `write_timeout`; the header and body sizes are capped;
//  - accept() failing for want of descriptors or memory (EMFILE, ENFILE, ENOBUFS, ENOMEM) waits
//    `accept_backoff_min`, doubling up to `accept_backoff_max`, instead of re-arming at once: the
//    pending connection keeps the listening socket readable, so an immediate retry spins;
//  - GET and HEAD only (HEAD: the headers GET would get, no body); other methods get 405.
// The handler must be cheap: it runs on the loop for every request (the daemon serves cached pages).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace xvrrp {

struct HttpResponse {
    unsigned status = 200;
    std::string content_type = "text/plain; charset=utf-8";
    // Shared, so a cached page goes to every client without a copy per request.
    std::shared_ptr<const std::string> body;

    static HttpResponse text(unsigned status, std::string body);
    static HttpResponse shared(unsigned status, std::string content_type, std::shared_ptr<const std::string> body);
};

struct HttpLimits {
    std::size_t max_connections = 64;
    std::size_t max_per_client = 16;
    std::chrono::milliseconds request_timeout{3000};
    std::chrono::milliseconds write_timeout{5000};
    std::chrono::milliseconds accept_backoff_min{100};
    std::chrono::milliseconds accept_backoff_max{1000};
    std::uint32_t header_limit = 8 * 1024;
    std::uint64_t body_limit = 4 * 1024;
};

struct HttpStats {
    std::uint64_t accepted = 0;        // connections taken into service
    std::uint64_t refused = 0;         // closed at once with a 503: a cap was reached
    std::uint64_t timed_out = 0;       // closed because the request or the answer took too long
    std::uint64_t accept_errors = 0;   // accept() failures (each followed by a backoff or a retry)
    std::uint64_t responses = 0;       // answers written (any status)
    std::size_t open = 0;              // connections in service now
};

class HttpServer {
public:
    // `target` is the request target as sent ("/status/vips?group=1"); HEAD calls it as GET does.
    using Handler = std::function<HttpResponse(std::string_view target)>;

    // Listens on host:port (empty host = every address, IPv6 and IPv4). `freebind`: bind even
    // while the address is not (yet) on an interface (IP_FREEBIND), for the node's own address,
    // which may come later than the daemon. Throws std::runtime_error naming the address when it
    // cannot listen.
    HttpServer(boost::asio::io_context& io, const std::string& host, unsigned short port, Handler handler,
               HttpLimits limits = {}, bool freebind = false);
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    unsigned short port() const;
    HttpStats stats() const;

    struct Shared;  // what sessions share with the server, alive as long as the longest of them

private:
    void accept();
    void back_off();
    boost::asio::ip::tcp::acceptor acceptor_;
    boost::asio::steady_timer backoff_timer_;
    std::chrono::milliseconds backoff_{0};
    std::shared_ptr<Shared> shared_;
};

}  // namespace xvrrp
