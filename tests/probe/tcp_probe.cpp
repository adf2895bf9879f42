#include "tcp_probe.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace xvrrp::probe {
namespace {

std::runtime_error sys_error(const std::string& what) {
  return std::runtime_error(what + ": " + std::strerror(errno));
}

sockaddr_in inet_address(std::uint32_t ip, std::uint16_t port) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = ip;
  sa.sin_port = htons(port);
  return sa;
}

// A reset instead of a FIN: thousands of connections a second must not pile up in TIME_WAIT.
void close_with_reset(int fd) {
  linger l{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  close(fd);
}

}  // namespace

std::vector<std::size_t> spread_sample(std::size_t n, std::size_t count) {
  std::vector<std::size_t> out;
  if (n == 0) return out;
  if (count == 0 || count >= n) {
    for (std::size_t i = 0; i < n; ++i) out.push_back(i);
    return out;
  }
  if (count == 1) return {0};
  for (std::size_t k = 0; k < count; ++k) {
    // Rounded, so first and last are exact and the rest evenly between.
    const std::size_t i = (k * (n - 1) + (count - 1) / 2) / (count - 1);
    if (out.empty() || out.back() != i) out.push_back(i);
  }
  return out;
}

bool greeting_invalid(std::string_view bytes) {
  const auto nl = bytes.find('\n');
  const std::string_view name = bytes.substr(0, nl);
  if (nl == std::string_view::npos && bytes.size() > kMaxName) return true;
  if (nl != std::string_view::npos && (name.empty() || name.size() > kMaxName)) return true;
  return std::any_of(name.begin(), name.end(), [](char c) { return c <= ' ' || c > '~'; });
}

std::optional<std::string> parse_greeting(std::string_view bytes) {
  const auto nl = bytes.find('\n');
  if (nl == std::string_view::npos || greeting_invalid(bytes)) return std::nullopt;
  return std::string(bytes.substr(0, nl));
}

Mac NameIds::id(const std::string& name) {
  auto it = ids_.find(name);
  if (it != ids_.end()) return it->second;
  const auto n = ids_.size() + 1;
  const Mac mac{2, 0, 0, 0xff, static_cast<std::uint8_t>(n >> 8), static_cast<std::uint8_t>(n)};
  ids_.emplace(name, mac);
  names_[mac] = name;
  return mac;
}

TcpProber::TcpProber(std::vector<std::uint32_t> vips, std::uint16_t port, double interval_ms, double timeout_ms,
                     std::uint32_t src_ip, std::size_t max_in_flight)
    : vips_(std::move(vips)),
      port_(port),
      interval_ms_(interval_ms),
      timeout_ms_(timeout_ms),
      src_ip_(src_ip),
      max_in_flight_(max_in_flight),
      next_ms_(vips_.size(), 0),
      counts_(vips_.size()) {
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) throw sys_error("epoll_create1");
}

TcpProber::~TcpProber() {
  for (auto& [id, c] : conns_) close(c.fd);
  if (epoll_fd_ >= 0) close(epoll_fd_);
}

void TcpProber::start(std::size_t vip, double now_ms) {
  TcpCounts& counts = counts_[vip];
  if (conns_.size() >= max_in_flight_) {
    ++counts.skipped;
    return;
  }
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    ++counts.failed;
    return;
  }
  ++counts.connects;
  if (src_ip_ != 0) {
    const sockaddr_in src = inet_address(src_ip_, 0);
    if (bind(fd, reinterpret_cast<const sockaddr*>(&src), sizeof src) != 0) {
      ++counts.failed;
      close(fd);
      return;
    }
  }
  const sockaddr_in dst = inet_address(vips_[vip], port_);
  if (connect(fd, reinterpret_cast<const sockaddr*>(&dst), sizeof dst) != 0 && errno != EINPROGRESS) {
    if (errno == ECONNREFUSED) ++counts.refused;
    else ++counts.failed;
    close(fd);
    return;
  }
  const std::uint64_t id = next_id_++;
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLRDHUP;
  ev.data.u64 = id;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
    ++counts.failed;
    close(fd);
    return;
  }
  conns_.emplace(id, Conn{vip, fd, now_ms, {}});
  by_age_.push_back(id);
}

void TcpProber::finish(std::uint64_t id) {
  auto it = conns_.find(id);
  if (it == conns_.end()) return;
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, it->second.fd, nullptr);
  close_with_reset(it->second.fd);
  conns_.erase(it);
}

void TcpProber::tick(double now_ms) {
  if (!started_) {
    // Spread over the first interval so the VIPs' connects do not go out in one burst.
    for (std::size_t v = 0; v < vips_.size(); ++v)
      next_ms_[v] = now_ms + interval_ms_ * static_cast<double>(v) / static_cast<double>(vips_.size());
    started_ = true;
  }
  while (!by_age_.empty()) {
    auto it = conns_.find(by_age_.front());
    if (it != conns_.end() && now_ms - it->second.started_ms < timeout_ms_) break;
    if (it != conns_.end()) {
      ++counts_[it->second.vip].timeouts;
      finish(by_age_.front());
    }
    by_age_.pop_front();
  }
  for (std::size_t v = 0; v < vips_.size(); ++v) {
    if (next_ms_[v] > now_ms) continue;
    start(v, now_ms);
    next_ms_[v] += interval_ms_;
    if (next_ms_[v] <= now_ms) next_ms_[v] = now_ms + interval_ms_;  // a stall: no catch-up burst
  }
}

double TcpProber::next_due_ms() const {
  double due = next_ms_.empty() ? 1e18 : *std::min_element(next_ms_.begin(), next_ms_.end());
  for (const auto id : by_age_) {
    auto it = conns_.find(id);
    if (it == conns_.end()) continue;
    due = std::min(due, it->second.started_ms + timeout_ms_);
    break;
  }
  return due;
}

void TcpProber::handle_ready(const OnAnswer& on_answer) {
  epoll_event events[256];
  for (;;) {
    const int n = epoll_wait(epoll_fd_, events, 256, 0);
    if (n <= 0) return;
    for (int k = 0; k < n; ++k) {
      const std::uint64_t id = events[k].data.u64;
      auto it = conns_.find(id);
      if (it == conns_.end()) continue;
      Conn& c = it->second;
      TcpCounts& counts = counts_[c.vip];
      char buf[128];
      bool done = false;
      for (;;) {
        const ssize_t got = recv(c.fd, buf, sizeof buf, 0);
        if (got > 0) {
          c.bytes.append(buf, static_cast<std::size_t>(got));
          if (auto name = parse_greeting(c.bytes)) {
            ++counts.answered;
            on_answer(c.vip, *name);
            done = true;
          } else if (greeting_invalid(c.bytes)) {
            ++counts.failed;
            done = true;
          }
          if (done) break;
          continue;
        }
        if (got == 0) {  // closed before a whole line
          ++counts.failed;
          done = true;
        } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
          if (errno == ECONNREFUSED || errno == ECONNRESET) ++counts.refused;
          else ++counts.failed;
          done = true;
        } else if (errno == EINTR) {
          continue;
        }
        break;
      }
      if (done) finish(id);  // its by_age_ entry goes when it reaches the front
    }
    if (n < 256) return;
  }
}

TcpNameServer::TcpNameServer(std::uint32_t address, std::uint16_t port, std::string name)
    : greeting_(std::move(name) + "\n") {
  if (greeting_invalid(greeting_)) throw std::invalid_argument("--name: not a node name: '" + greeting_ + "'");
  // Non-blocking: serve_pending accepts until the queue is empty.
  fd_ = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw sys_error("socket");
  const int one = 1;
  setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  const sockaddr_in sa = inet_address(address, port);
  if (bind(fd_, reinterpret_cast<const sockaddr*>(&sa), sizeof sa) != 0)
    throw sys_error("bind port " + std::to_string(port));
  if (listen(fd_, 4096) != 0) throw sys_error("listen");
  sockaddr_in bound{};
  socklen_t len = sizeof bound;
  getsockname(fd_, reinterpret_cast<sockaddr*>(&bound), &len);
  port_ = ntohs(bound.sin_port);
}

TcpNameServer::~TcpNameServer() {
  if (fd_ >= 0) close(fd_);
}

std::uint64_t TcpNameServer::serve_pending() {
  std::uint64_t served = 0;
  for (;;) {
    const int c = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (c < 0) return served;
    // A few bytes into a fresh socket's empty send buffer never block; a client already gone
    // (it resets once it has the name) is no error of ours.
    (void)!send(c, greeting_.data(), greeting_.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    close(c);
    ++served;
  }
}

std::uint64_t TcpNameServer::serve(const volatile std::sig_atomic_t& stop, int poll_ms) {
  std::uint64_t served = 0;
  pollfd p{fd_, POLLIN, 0};
  while (!stop) {
    if (poll(&p, 1, poll_ms) > 0) served += serve_pending();
  }
  return served;
}

}  // namespace xvrrp::probe
