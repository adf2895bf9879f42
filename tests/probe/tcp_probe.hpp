// The client's TCP view of the VIPs: a failover is over when a client's connection to the VIP works
// again, not when ARP is answered. For a sample of the VIPs, a new non-blocking connection every
// interval to VIP:PORT, where every lab node runs a listener that sends its name and closes
// (TcpNameServer, `xvrrp-probe --serve`); each connection that brings a name back is an answer by
// that node, recorded in an AnswerLog as ARP replies are (so gaps, runs and splits follow the same
// rules). A connection that brings nothing within the timeout is abandoned.
#pragma once

#include <csignal>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "answer_log.hpp"

namespace xvrrp::probe {

// `count` indices spread evenly over [0, n), the first and the last always among them; all of
// them when count is 0 or at least n.
std::vector<std::size_t> spread_sample(std::size_t n, std::size_t count);

// A listener's greeting: the node's name on one line ("n1\n"). The name once the line is complete,
// nullopt while it is not (or when it is not a name: empty, longer than kMaxName, unprintable;
// see greeting_invalid).
constexpr std::size_t kMaxName = 64;
std::optional<std::string> parse_greeting(std::string_view bytes);
bool greeting_invalid(std::string_view bytes);

// AnswerLog keys answers by MAC; TCP answers are keyed by node name, interned here as stand-in
// MACs (02:00:00:ff:hi:lo, never printed) so the same log serves both.
class NameIds {
public:
  Mac id(const std::string& name);
  const MacNames& names() const { return names_; }

private:
  std::map<std::string, Mac> ids_;
  MacNames names_;
};

struct TcpCounts {
  std::uint64_t connects = 0;   // connections started
  std::uint64_t answered = 0;   // a name came back
  std::uint64_t timeouts = 0;   // nothing within the timeout
  std::uint64_t refused = 0;    // RST: the VIP is local on a node that has no listener
  std::uint64_t failed = 0;     // any other error (unreachable, bad greeting, socket errors)
  std::uint64_t skipped = 0;    // not started: too many connections in flight
};

// Non-blocking connects, many in flight, one epoll descriptor to wait on. Times are the caller's
// (ms on any monotonic scale); nothing here sleeps.
class TcpProber {
public:
  // vips in network order; src_ip 0: the kernel picks the source.
  TcpProber(std::vector<std::uint32_t> vips, std::uint16_t port, double interval_ms, double timeout_ms,
            std::uint32_t src_ip, std::size_t max_in_flight);
  ~TcpProber();
  TcpProber(const TcpProber&) = delete;
  TcpProber& operator=(const TcpProber&) = delete;

  using OnAnswer = std::function<void(std::size_t vip_index, const std::string& name)>;

  int fd() const { return epoll_fd_; }
  // Starts the connections due at now_ms (one per VIP per interval, spread over the interval; after
  // a stall, no catch-up burst) and abandons those older than the timeout.
  void tick(double now_ms);
  // Reads whatever the epoll descriptor reports; on_answer for each name that came back.
  void handle_ready(const OnAnswer& on_answer);
  // When tick next has something to do.
  double next_due_ms() const;
  const TcpCounts& counts(std::size_t vip_index) const { return counts_[vip_index]; }
  std::size_t in_flight() const { return conns_.size(); }

private:
  struct Conn {
    std::size_t vip = 0;
    int fd = -1;
    double started_ms = 0;
    std::string bytes;
  };
  void start(std::size_t vip, double now_ms);
  void finish(std::uint64_t id);  // closes with a reset: no TIME_WAIT on either side

  std::vector<std::uint32_t> vips_;
  std::uint16_t port_;
  double interval_ms_;
  double timeout_ms_;
  std::uint32_t src_ip_;
  std::size_t max_in_flight_;
  int epoll_fd_ = -1;
  std::vector<double> next_ms_;
  std::vector<TcpCounts> counts_;
  std::unordered_map<std::uint64_t, Conn> conns_;
  std::deque<std::uint64_t> by_age_;  // ids in start order (same timeout for all: deadline order)
  std::uint64_t next_id_ = 1;
  bool started_ = false;
};

// The lab nodes' listener: accepts on ADDRESS:PORT, sends "NAME\n" and closes, until *stop.
class TcpNameServer {
public:
  TcpNameServer(std::uint32_t address, std::uint16_t port, std::string name);
  ~TcpNameServer();
  TcpNameServer(const TcpNameServer&) = delete;
  TcpNameServer& operator=(const TcpNameServer&) = delete;

  std::uint16_t port() const { return port_; }  // the bound port (PORT 0: the kernel's choice)
  // Serves until *stop becomes non-zero (checked at least every poll_ms); returns connections served.
  std::uint64_t serve(const volatile std::sig_atomic_t& stop, int poll_ms = 100);
  // Serves what is pending now, without waiting; returns connections served.
  std::uint64_t serve_pending();

private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::string greeting_;
};

}  // namespace xvrrp::probe
