// HttpServer (adapters/http_server.hpp) against plain sockets on loopback: what a hostile or
// careless client can make the daemon's loop do is bounded. Methods (HEAD without a body, 405 for
// the rest), the connection caps (overall and per client address), the request deadline, size
// limits, and the accept backoff on EMFILE (in a child process whose RLIMIT_NOFILE is lowered).
#include "adapters/http_server.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <future>
#include <string>
#include <thread>

using namespace std::chrono_literals;
using xvrrp::HttpLimits;
using xvrrp::HttpResponse;
using xvrrp::HttpServer;
using xvrrp::HttpStats;

namespace {

// The server on its own thread, as the daemon's loop would run it; everything that touches the
// server goes through that thread.
class Served {
public:
    explicit Served(HttpLimits limits = {}) {
        std::promise<unsigned short> port;
        auto got = port.get_future();
        thread_ = std::thread([this, limits, &port] {
            server_ = std::make_unique<HttpServer>(
                io_, "127.0.0.1", 0,
                [this](std::string_view target) {
                    ++calls;
                    if (target == "/throw") throw std::runtime_error("boom");
                    return HttpResponse::text(200, "page " + std::string(target) + "\n");
                },
                limits);
            port.set_value(server_->port());
            auto work = boost::asio::make_work_guard(io_);
            io_.run();
        });
        port_ = got.get();
    }
    ~Served() {
        boost::asio::post(io_, [this] {
            server_.reset();
            io_.stop();
        });
        thread_.join();
    }
    unsigned short port() const { return port_; }
    HttpStats stats() {
        std::promise<HttpStats> p;
        auto f = p.get_future();
        boost::asio::post(io_, [&] { p.set_value(server_->stats()); });
        return f.get();
    }
    // Waits (up to 2 s) until pred(stats()) holds.
    template <class Pred>
    bool wait_for(Pred pred) {
        for (auto until = std::chrono::steady_clock::now() + 2s; std::chrono::steady_clock::now() < until;) {
            if (pred(stats())) return true;
            std::this_thread::sleep_for(5ms);
        }
        return pred(stats());
    }
    std::atomic<int> calls{0};

private:
    boost::asio::io_context io_;
    std::unique_ptr<HttpServer> server_;
    std::thread thread_;
    unsigned short port_ = 0;
};

int connect_to(unsigned short port, const char* from = nullptr) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    if (from) {
        sockaddr_in src{};
        src.sin_family = AF_INET;
        ::inet_pton(AF_INET, from, &src.sin_addr);
        if (::bind(fd, reinterpret_cast<sockaddr*>(&src), sizeof src) != 0) {
            ::close(fd);
            return -1;
        }
    }
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

void send_all(int fd, const std::string& s) {
    ASSERT_EQ(::send(fd, s.data(), s.size(), MSG_NOSIGNAL), static_cast<ssize_t>(s.size()));
}

// Everything the server sends until it closes (or `limit` passes): "" on a timeout.
std::string read_all(int fd, std::chrono::milliseconds limit = 3000ms, bool* closed = nullptr) {
    std::string out;
    auto until = std::chrono::steady_clock::now() + limit;
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
        if (left.count() <= 0) break;
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
        char b[4096];
        ssize_t n = ::recv(fd, b, sizeof b, 0);
        if (n <= 0) {
            if (closed) *closed = true;
            return out;
        }
        out.append(b, static_cast<std::size_t>(n));
    }
    if (closed) *closed = false;
    return out;
}

std::string request(unsigned short port, const std::string& raw) {
    int fd = connect_to(port);
    if (fd < 0) return "connect failed";
    send_all(fd, raw);
    std::string r = read_all(fd);
    ::close(fd);
    return r;
}

std::string header_of(const std::string& response, const std::string& name) {
    auto at = response.find("\r\n" + name + ": ");
    if (at == std::string::npos) return "";
    at += name.size() + 4;
    return response.substr(at, response.find("\r\n", at) - at);
}

std::string body_of(const std::string& response) {
    auto at = response.find("\r\n\r\n");
    return at == std::string::npos ? "<no header end>" : response.substr(at + 4);
}

}  // namespace

TEST(HttpServer, GetAnswersWithTheHandlersPage) {
    Served s;
    std::string r = request(s.port(), "GET /status HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(r.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << r;
    EXPECT_EQ(body_of(r), "page /status\n");
    EXPECT_EQ(header_of(r, "Content-Length"), "13");
}

TEST(HttpServer, HeadGetsTheHeadersOfGetAndNoBody) {
    Served s;
    std::string get = request(s.port(), "GET /status HTTP/1.1\r\nHost: x\r\n\r\n");
    std::string head = request(s.port(), "HEAD /status HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(head.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << head;
    EXPECT_EQ(header_of(head, "Content-Length"), header_of(get, "Content-Length"));
    EXPECT_EQ(header_of(head, "Content-Type"), header_of(get, "Content-Type"));
    EXPECT_EQ(body_of(head), "") << "HEAD got a body";
}

TEST(HttpServer, OtherMethodsGet405WithAllowAndNeverReachTheHandler) {
    Served s;
    for (const char* m : {"POST", "PUT", "DELETE", "OPTIONS", "PATCH"}) {
        std::string r = request(s.port(), std::string(m) + " /status HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi");
        EXPECT_EQ(r.rfind("HTTP/1.1 405 Method Not Allowed\r\n", 0), 0u) << m << ": " << r;
        EXPECT_EQ(header_of(r, "Allow"), "GET, HEAD") << m;
    }
    EXPECT_EQ(s.calls.load(), 0);
}

TEST(HttpServer, AHandlerExceptionIsA500) {
    Served s;
    std::string r = request(s.port(), "GET /throw HTTP/1.1\r\n\r\n");
    EXPECT_EQ(r.rfind("HTTP/1.1 500 ", 0), 0u) << r;
    EXPECT_NE(body_of(r).find("boom"), std::string::npos);
}

TEST(HttpServer, OversizedHeadersAre413AndTheConnectionCloses) {
    Served s;
    std::string r = request(s.port(), "GET / HTTP/1.1\r\nX-Big: " + std::string(20000, 'a') + "\r\n\r\n");
    EXPECT_EQ(r.rfind("HTTP/1.1 413 ", 0), 0u) << r.substr(0, 200);
    EXPECT_EQ(s.calls.load(), 0);
}

TEST(HttpServer, ConnectionsBeyondTheCapGet503AtOnce) {
    HttpLimits l;
    l.max_connections = 4;
    l.max_per_client = 100;
    Served s(l);
    std::vector<int> idle;
    for (int i = 0; i < 4; ++i) idle.push_back(connect_to(s.port()));
    ASSERT_TRUE(s.wait_for([](const HttpStats& st) { return st.open == 4; })) << "open " << s.stats().open;
    auto t0 = std::chrono::steady_clock::now();
    std::string r = request(s.port(), "GET /status HTTP/1.1\r\n\r\n");
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s) << "the refusal waited";
    EXPECT_EQ(r.rfind("HTTP/1.1 503 ", 0), 0u) << "fifth connection: " << r;
    EXPECT_EQ(s.stats().refused, 1u);
    EXPECT_EQ(s.stats().open, 4u);
    // A slot freed is a slot served.
    ::close(idle.back());
    idle.pop_back();
    ASSERT_TRUE(s.wait_for([](const HttpStats& st) { return st.open == 3; }));
    r = request(s.port(), "GET /status HTTP/1.1\r\n\r\n");
    EXPECT_EQ(r.rfind("HTTP/1.1 200 ", 0), 0u) << r;
    for (int fd : idle) ::close(fd);
}

TEST(HttpServer, OneClientAddressCannotTakeEverySlot) {
    HttpLimits l;
    l.max_connections = 10;
    l.max_per_client = 2;
    Served s(l);
    int a = connect_to(s.port(), "127.0.0.1"), b = connect_to(s.port(), "127.0.0.1");
    ASSERT_TRUE(s.wait_for([](const HttpStats& st) { return st.open == 2; }));
    int c = connect_to(s.port(), "127.0.0.1");
    send_all(c, "GET /x HTTP/1.1\r\n\r\n");
    std::string r = read_all(c);
    EXPECT_EQ(r.rfind("HTTP/1.1 503 ", 0), 0u) << "third from one address: " << r;
    // Another address (kubelet's probe from the node, say) still gets in.
    int d = connect_to(s.port(), "127.0.0.2");
    ASSERT_GE(d, 0);
    send_all(d, "GET /x HTTP/1.1\r\n\r\n");
    r = read_all(d);
    EXPECT_EQ(r.rfind("HTTP/1.1 200 ", 0), 0u) << "other address: " << r;
    for (int fd : {a, b, c, d}) ::close(fd);
}

TEST(HttpServer, AnIdleOrSlowConnectionIsClosedAtTheRequestDeadline) {
    HttpLimits l;
    l.request_timeout = 300ms;
    Served s(l);
    int idle = connect_to(s.port());
    int slow = connect_to(s.port());
    send_all(slow, "GET /status HTTP/1.1\r\n");  // headers never finished
    ASSERT_TRUE(s.wait_for([](const HttpStats& st) { return st.open == 2; }));
    auto t0 = std::chrono::steady_clock::now();
    bool closed_idle = false, closed_slow = false;
    read_all(idle, 2000ms, &closed_idle);
    read_all(slow, 2000ms, &closed_slow);
    auto took = std::chrono::steady_clock::now() - t0;
    EXPECT_TRUE(closed_idle && closed_slow) << "still open after 2 s";
    EXPECT_LT(took, 1500ms);
    EXPECT_TRUE(s.wait_for([](const HttpStats& st) { return st.open == 0 && st.timed_out == 2; }))
        << "open " << s.stats().open << ", timed out " << s.stats().timed_out;
    EXPECT_EQ(s.calls.load(), 0);
    ::close(idle);
    ::close(slow);
}

TEST(HttpServer, DestroyingTheServerClosesOpenConnections) {
    boost::asio::io_context io;
    auto server = std::make_unique<HttpServer>(io, "127.0.0.1", 0, [](std::string_view) { return HttpResponse::text(200, ""); });
    int fd = connect_to(server->port());
    io.run_for(50ms);
    ASSERT_EQ(server->stats().open, 1u);
    server.reset();
    io.run_for(50ms);
    bool closed = false;
    read_all(fd, 1000ms, &closed);
    EXPECT_TRUE(closed);
    ::close(fd);
}

// accept() failing with EMFILE leaves the connection pending and the listening socket readable:
// retried at once, that is a busy loop on the daemon's loop. Measured in a child whose descriptor
// limit is lowered to exactly what it has open, so the accept of a pending connection fails.
TEST(HttpServer, EmfileFromAcceptBacksOffInsteadOfSpinning) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        auto fail = [](int code, const std::string& why) {
            std::fprintf(stderr, "child: %s\n", why.c_str());
            std::_Exit(code);
        };
        boost::asio::io_context io;
        HttpLimits l;
        l.accept_backoff_min = 100ms;
        l.accept_backoff_max = 1000ms;
        HttpServer server(io, "127.0.0.1", 0, [](std::string_view) { return HttpResponse::text(200, "ok\n"); }, l);
        int client = connect_to(server.port());
        if (client < 0) fail(10, "connect failed");
        if (::send(client, "GET / HTTP/1.1\r\n\r\n", 18, MSG_NOSIGNAL) != 18) fail(11, "send failed");
        rlimit old{};
        ::getrlimit(RLIMIT_NOFILE, &old);
        int lowest_free = ::dup(0);
        ::close(lowest_free);
        rlimit low = old;
        low.rlim_cur = static_cast<rlim_t>(lowest_free);  // 0..lowest_free-1 are all in use
        if (::setrlimit(RLIMIT_NOFILE, &low) != 0) fail(12, std::string("setrlimit: ") + std::strerror(errno));
        io.run_for(700ms);
        HttpStats st = server.stats();
        ::setrlimit(RLIMIT_NOFILE, &old);
        // Backoff 100, 200, 400 ms: about 4 attempts in 700 ms; spinning makes thousands.
        if (st.accept_errors < 1) fail(13, "accept never failed: the test did not provoke EMFILE");
        if (st.accept_errors > 10) fail(14, "accept failed " + std::to_string(st.accept_errors) + " times in 700 ms: no backoff");
        if (st.accepted != 0) fail(15, "accepted although out of descriptors");
        // Descriptors back: the pending connection is served within the next backoff (<= 1 s).
        io.run_for(1300ms);
        st = server.stats();
        if (st.accepted != 1 || st.responses != 1)
            fail(16, "not served after the limit was raised: accepted " + std::to_string(st.accepted));
        char b[64];
        if (::recv(client, b, sizeof b, MSG_DONTWAIT) <= 0) fail(17, "no answer after the limit was raised");
        std::_Exit(0);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status)) << "child died";
    EXPECT_EQ(WEXITSTATUS(status), 0) << "see the child's message above";
}
