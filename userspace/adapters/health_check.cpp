#include "adapters/health_check.hpp"

#include <boost/asio/ip/address.hpp>

namespace xvrrp {

HealthCheck::HealthCheck(boost::asio::io_context& io, ChildProcesses& processes, const Check& check,
                         std::chrono::milliseconds timeout)
    : io_(io), processes_(processes), check_(check), timeout_(timeout), interval_timer_(io), connect_timer_(io) {
    if (timeout_.count() <= 0) timeout_ = std::chrono::duration_cast<std::chrono::milliseconds>(check_.interval);
    if (timeout_.count() <= 0) timeout_ = std::chrono::milliseconds(1000);
}

HealthCheck::~HealthCheck() {
    *alive_ = false;
    interval_timer_.cancel();
    connect_timer_.cancel();
    if (socket_) {
        boost::system::error_code ec;
        socket_->close(ec);
    }
}

std::string HealthCheck::describe() const {
    std::string every = " every " + std::to_string(check_.interval.count()) + " s";
    switch (check_.kind) {
    case CheckKind::None: return "none (always passes)";
    case CheckKind::TcpPort: {
        std::string host = check_.address.is_v6() ? "[" + check_.address.to_string() + "]" : check_.address.to_string();
        return "tcp " + host + ":" + std::to_string(check_.port) + every;
    }
    case CheckKind::Script: return "script " + (check_.command.empty() ? std::string("?") : check_.command.front()) + every;
    }
    return "?";
}

void HealthCheck::start(Handler handler) {
    handler_ = std::move(handler);
    if (check_.kind == CheckKind::None) {
        last_ = {true, "no check configured"};
        return;  // nothing ever runs, nothing ever fails
    }
    run_once();
}

void HealthCheck::schedule() {
    interval_timer_.expires_after(check_.interval);
    std::weak_ptr<bool> alive = alive_;
    interval_timer_.async_wait([this, alive](const boost::system::error_code& ec) {
        if (ec || alive.expired() || !*alive.lock()) return;
        run_once();
    });
}

void HealthCheck::report(CheckResult r, bool timed_out) {
    in_flight_ = false;
    ++stats_.runs;
    if (!r.passed) ++stats_.failures;
    if (timed_out) ++stats_.timeouts;
    last_ = r;
    if (handler_) handler_(last_);
}

void HealthCheck::run_once() {
    schedule();  // the next run keeps its cadence whatever this one takes
    if (in_flight_) return;  // the previous run still has its timeout to go
    in_flight_ = true;
    std::weak_ptr<bool> alive = alive_;
    if (check_.kind == CheckKind::Script) {
        processes_.run(check_.command, timeout_, [this, alive](const ProcessOutcome& o) {
            if (alive.expired() || !*alive.lock()) return;
            report({o.success(), o.describe()}, o.kind == ProcessOutcome::Kind::TimedOut);
        }, ChildProcesses::Lane::Check);
        return;
    }
    // TcpPort
    namespace ip = boost::asio::ip;
    ip::address addr = check_.address.is_v4() ? ip::address(ip::address_v4(check_.address.v4_host_order()))
                                              : ip::address(ip::address_v6(check_.address.bytes()));
    ip::tcp::endpoint ep(addr, check_.port);
    socket_ = std::make_unique<ip::tcp::socket>(io_);
    auto* sock = socket_.get();
    std::string target = (check_.address.is_v6() ? "[" + check_.address.to_string() + "]" : check_.address.to_string()) +
                         ":" + std::to_string(check_.port);
    connect_timer_.expires_after(timeout_);
    auto timed_out = std::make_shared<bool>(false);
    connect_timer_.async_wait([sock, alive, timed_out](const boost::system::error_code& ec) {
        if (ec || alive.expired() || !*alive.lock()) return;
        *timed_out = true;
        boost::system::error_code ignored;
        sock->close(ignored);  // completes the connect with operation_aborted
    });
    sock->async_connect(ep, [this, alive, target, timed_out](const boost::system::error_code& ec) {
        if (alive.expired() || !*alive.lock()) return;
        connect_timer_.cancel();
        boost::system::error_code ignored;
        socket_->close(ignored);
        if (*timed_out)
            report({false, "connect to " + target + " timed out after " + std::to_string(timeout_.count()) + " ms"}, true);
        else if (ec)
            report({false, "connect to " + target + ": " + ec.message()});
        else
            report({true, "connected to " + target});
    });
}

}  // namespace xvrrp
