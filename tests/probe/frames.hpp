// The frames the probe sends and the replies it accepts, as bytes (RFC 826 ARP over Ethernet,
// RFC 792 ICMP echo in IPv4). Pure functions, unit-tested.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "answer_log.hpp"

namespace xvrrp::probe {

constexpr std::size_t kArpFrameSize = 42;   // Ethernet 14 + ARP 28 (the wire pads to 60)
constexpr std::size_t kEchoFrameSize = 42;  // Ethernet 14 + IPv4 20 + ICMP 8

struct Host {
  Mac mac{};
  std::uint32_t ip = 0;  // network byte order
};

// Broadcast "who has target_ip? tell me" (op 1).
std::vector<std::uint8_t> arp_request(const Host& me, std::uint32_t target_ip);

// An ARP reply (op 2) addressed to `me`: who answered for which address.
struct ArpAnswer {
  std::uint32_t ip = 0;  // the address answered for (sender protocol address)
  Mac mac{};             // the MAC claimed for it (sender hardware address)
};
std::optional<ArpAnswer> parse_arp_reply(std::span<const std::uint8_t> frame, const Host& me);

// ICMP echo request from `me` to target_ip, sent to next_hop's MAC.
std::vector<std::uint8_t> echo_request(const Host& me, const Mac& next_hop, std::uint32_t target_ip,
                                       std::uint16_t id, std::uint16_t seq);

// An ICMP echo reply to `me` with our id: who answered (Ethernet source) from which address.
struct EchoAnswer {
  std::uint32_t ip = 0;
  Mac mac{};
  std::uint16_t seq = 0;
};
std::optional<EchoAnswer> parse_echo_reply(std::span<const std::uint8_t> frame, const Host& me,
                                           std::uint16_t id);

// RFC 1071 Internet checksum.
std::uint16_t internet_checksum(std::span<const std::uint8_t> bytes);

}  // namespace xvrrp::probe
