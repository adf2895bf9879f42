// The config's health check, run every interval on the loop (what keepalived's vrrp_script does
// for OpenShift's image, with weight 0: one failure puts every group in FAULT).
//  - TcpPort: an in-process non-blocking connect to the node address and port, the same test as
//    the generator's `</dev/tcp/IP/PORT` without a fork per check.
//  - Script: the script runs in its own process group; exit 0 = pass, anything else, a failure to
//    start or running past the timeout (default: the interval) = fail.
//  - None (port 0 and no script): always passes, and nothing runs.
#pragma once

#include "adapters/child_process.hpp"
#include "core/plan.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace xvrrp {

struct CheckResult {
    bool passed = true;
    std::string detail;  // "connected to 192.0.2.1:80", "exit 1", "timed out after 2000 ms", ...
};

struct CheckStats {
    std::uint64_t runs = 0;
    std::uint64_t failures = 0;
    std::uint64_t timeouts = 0;
};

class HealthCheck {
public:
    using Handler = std::function<void(const CheckResult&)>;

    // `timeout` zero = the interval.
    HealthCheck(boost::asio::io_context& io, ChildProcesses& processes, const Check& check,
                std::chrono::milliseconds timeout = std::chrono::milliseconds(0));
    ~HealthCheck();
    HealthCheck(const HealthCheck&) = delete;
    HealthCheck& operator=(const HealthCheck&) = delete;

    // Runs the first check now, then every interval; `handler` gets every result.
    void start(Handler handler);
    const CheckStats& stats() const { return stats_; }
    const CheckResult& last() const { return last_; }
    std::string describe() const;  // "tcp 192.0.2.1:80 every 2 s", "script /x every 2 s", "none"

private:
    void run_once();
    void report(CheckResult r, bool timed_out = false);
    void schedule();

    boost::asio::io_context& io_;
    ChildProcesses& processes_;
    Check check_;
    std::chrono::milliseconds timeout_;
    boost::asio::steady_timer interval_timer_;
    boost::asio::steady_timer connect_timer_;
    std::unique_ptr<boost::asio::ip::tcp::socket> socket_;
    bool in_flight_ = false;
    Handler handler_;
    CheckResult last_;
    CheckStats stats_;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace xvrrp
