#include "packet_socket.hpp"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace xvrrp::probe {
namespace {

constexpr std::size_t kBatch = 256;
constexpr std::size_t kSnap = 128;  // we only read headers

std::runtime_error sys_error(const std::string& what) {
  return std::runtime_error(what + ": " + std::strerror(errno));
}

}  // namespace

InterfaceInfo lookup_interface(const std::string& name) {
  InterfaceInfo info;
  info.index = static_cast<int>(if_nametoindex(name.c_str()));
  if (info.index == 0) throw std::runtime_error("interface '" + name + "' does not exist");
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw sys_error("socket");
  ifreq req{};
  std::strncpy(req.ifr_name, name.c_str(), IFNAMSIZ - 1);
  if (ioctl(fd, SIOCGIFHWADDR, &req) < 0) {
    close(fd);
    throw sys_error("SIOCGIFHWADDR " + name);
  }
  std::memcpy(info.mac.data(), req.ifr_hwaddr.sa_data, 6);
  close(fd);

  ifaddrs* list = nullptr;
  if (getifaddrs(&list) == 0) {
    for (ifaddrs* a = list; a; a = a->ifa_next) {
      if (a->ifa_addr && a->ifa_addr->sa_family == AF_INET && name == a->ifa_name) {
        info.ip = reinterpret_cast<sockaddr_in*>(a->ifa_addr)->sin_addr.s_addr;
        break;
      }
    }
    freeifaddrs(list);
  }
  return info;
}

PacketSocket::PacketSocket(int ifindex, std::uint16_t ethertype, std::vector<sock_filter> filter)
    : ifindex_(ifindex), buffer_(kBatch * kSnap) {
  fd_ = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ethertype));
  if (fd_ < 0) throw sys_error("AF_PACKET socket (needs root / CAP_NET_RAW)");
  // Filter before bind so no unfiltered frame is ever queued.
  sock_fprog prog{static_cast<unsigned short>(filter.size()), filter.data()};
  if (setsockopt(fd_, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) < 0)
    throw sys_error("SO_ATTACH_FILTER");
  // Thousands of VIPs answered per millisecond must not overflow the queue between drains.
  int rcvbuf = 32 << 20;
  if (setsockopt(fd_, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) < 0)
    setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  sockaddr_ll addr{};
  addr.sll_family = AF_PACKET;
  addr.sll_protocol = htons(ethertype);
  addr.sll_ifindex = ifindex;
  if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) throw sys_error("bind");
  const int on = 1;
  if (setsockopt(fd_, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on) < 0)
    throw sys_error("SO_TIMESTAMPNS");
}

PacketSocket::~PacketSocket() {
  if (fd_ >= 0) close(fd_);
}

std::size_t PacketSocket::send(std::span<const std::vector<std::uint8_t>* const> frames) {
  std::size_t sent = 0;
  sockaddr_ll to{};
  to.sll_family = AF_PACKET;
  to.sll_ifindex = ifindex_;
  to.sll_halen = 6;
  while (sent < frames.size()) {
    const std::size_t n = std::min(kBatch, frames.size() - sent);
    std::vector<iovec> iov(n);
    std::vector<mmsghdr> msgs(n);
    for (std::size_t i = 0; i < n; ++i) {
      const auto& f = *frames[sent + i];
      iov[i] = {const_cast<std::uint8_t*>(f.data()), f.size()};
      msgs[i].msg_hdr.msg_name = &to;
      msgs[i].msg_hdr.msg_namelen = sizeof to;
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    const int rc = sendmmsg(fd_, msgs.data(), static_cast<unsigned>(n), 0);
    if (rc <= 0) break;
    sent += static_cast<std::size_t>(rc);
    if (static_cast<std::size_t>(rc) < n) break;
  }
  return sent;
}

std::uint64_t PacketSocket::dropped() {
  tpacket_stats stats{};
  socklen_t len = sizeof stats;
  if (getsockopt(fd_, SOL_PACKET, PACKET_STATISTICS, &stats, &len) < 0)
    throw sys_error("PACKET_STATISTICS");
  return stats.tp_drops;
}

std::size_t PacketSocket::receive_batch(std::vector<Frame>& out) {
  out.clear();
  constexpr std::size_t kControl = CMSG_SPACE(sizeof(timespec));
  std::vector<iovec> iov(kBatch);
  std::vector<mmsghdr> msgs(kBatch);
  std::vector<sockaddr_ll> from(kBatch);
  std::vector<std::uint8_t> control(kBatch * kControl);
  for (std::size_t i = 0; i < kBatch; ++i) {
    iov[i] = {buffer_.data() + i * kSnap, kSnap};
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
    msgs[i].msg_hdr.msg_name = &from[i];
    msgs[i].msg_hdr.msg_namelen = sizeof(sockaddr_ll);
    msgs[i].msg_hdr.msg_control = control.data() + i * kControl;
    msgs[i].msg_hdr.msg_controllen = kControl;
  }
  const int rc = recvmmsg(fd_, msgs.data(), kBatch, MSG_DONTWAIT, nullptr);
  if (rc <= 0) return 0;
  for (int i = 0; i < rc; ++i) {
    if (from[i].sll_pkttype == PACKET_OUTGOING) continue;
    Frame frame{{buffer_.data() + i * kSnap, std::min<std::size_t>(msgs[i].msg_len, kSnap)}, 0};
    for (cmsghdr* c = CMSG_FIRSTHDR(&msgs[i].msg_hdr); c; c = CMSG_NXTHDR(&msgs[i].msg_hdr, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
        timespec ts;
        std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
        frame.rx_ns = static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
      }
    }
    out.push_back(frame);
  }
  return static_cast<std::size_t>(rc);
}

std::vector<sock_filter> arp_reply_filter() {
  return {
      BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),             // EtherType
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETHERTYPE_ARP, 0, 3),
      BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 20),             // ARP op
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 2, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, 0xffff),
      BPF_STMT(BPF_RET | BPF_K, 0),
  };
}

std::vector<sock_filter> icmp_echo_reply_filter() {
  return {
      BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),             // EtherType
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETHERTYPE_IP, 0, 6),
      BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 23),             // IPv4 protocol
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_ICMP, 0, 4),
      BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 14),            // X = IPv4 header length
      BPF_STMT(BPF_LD | BPF_B | BPF_IND, 14),             // ICMP type
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1),       // echo reply
      BPF_STMT(BPF_RET | BPF_K, 0xffff),
      BPF_STMT(BPF_RET | BPF_K, 0),
  };
}

}  // namespace xvrrp::probe
