// A small HTTP/1.1 server (Boost.Beast) on the daemon's loop for /healthz, /metrics and /status.
// One request per connection (Connection: close): Prometheus scrapes and probes need no more, and
// no client can hold the loop's attention longer than one read with a deadline.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <functional>
#include <memory>
#include <string>

namespace xvrrp {

struct HttpResponse {
    unsigned status = 200;
    std::string content_type = "text/plain; charset=utf-8";
    std::string body;
};

class HttpServer {
public:
    using Handler = std::function<HttpResponse(const std::string& method, const std::string& target)>;

    // Listens on host:port (empty host = every address, IPv6 and IPv4). Throws std::runtime_error
    // naming the address when it cannot bind.
    HttpServer(boost::asio::io_context& io, const std::string& host, unsigned short port, Handler handler);
    ~HttpServer();
    unsigned short port() const;

private:
    void accept();
    boost::asio::ip::tcp::acceptor acceptor_;
    Handler handler_;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace xvrrp
