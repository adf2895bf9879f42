// One AF_PACKET socket bound to one interface and EtherType, with a classic BPF filter so the
// kernel hands us only the replies we parse. Owns its descriptor.
#pragma once

#include <linux/filter.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "answer_log.hpp"

namespace xvrrp::probe {

struct InterfaceInfo {
  int index = 0;
  Mac mac{};
  std::uint32_t ip = 0;  // primary IPv4, network order; 0 if none
};
// Throws std::runtime_error naming the interface when it does not exist.
InterfaceInfo lookup_interface(const std::string& name);

class PacketSocket {
public:
  PacketSocket(int ifindex, std::uint16_t ethertype, std::vector<sock_filter> filter);
  ~PacketSocket();
  PacketSocket(const PacketSocket&) = delete;
  PacketSocket& operator=(const PacketSocket&) = delete;

  int fd() const { return fd_; }
  // Sends the frames with sendmmsg; returns how many went out (a full queue stops early).
  std::size_t send(std::span<const std::vector<std::uint8_t>* const> frames);
  // Reads every frame queued now (never blocks); outgoing copies are skipped. on_frame(frame,
  // rx_ns) gets the kernel's CLOCK_REALTIME arrival time of the frame (SO_TIMESTAMPNS, taken when
  // the interface received it), or 0 when the kernel gave none: a reply read late because the
  // probe was not scheduled still counts from when it arrived.
  template <typename F>
  void drain(F&& on_frame);
  // Frames the kernel dropped because the receive queue was full, since the last call
  // (PACKET_STATISTICS).
  std::uint64_t dropped();

private:
  int fd_ = -1;
  int ifindex_ = 0;
  std::vector<std::uint8_t> buffer_;
  struct Frame {
    std::span<const std::uint8_t> bytes;
    std::int64_t rx_ns = 0;
  };
  std::size_t receive_batch(std::vector<Frame>& out);
};

template <typename F>
void PacketSocket::drain(F&& on_frame) {
  std::vector<Frame> frames;
  while (receive_batch(frames) > 0) {
    for (const auto& frame : frames) on_frame(frame.bytes, frame.rx_ns);
  }
}

// Filters: only ARP replies (op 2); only IPv4 ICMP echo replies.
std::vector<sock_filter> arp_reply_filter();
std::vector<sock_filter> icmp_echo_reply_filter();

}  // namespace xvrrp::probe
