// Gratuitous ARP and unsolicited Neighbour Advertisement frames that announce a VIP's new owner.
// Pure: complete Ethernet frames built from a MAC and an address, sent by the garp adapter.
#pragma once

#include "core/ip_address.hpp"

#include <array>
#include <cstdint>
#include <vector>

namespace xvrrp {

using MacAddress = std::array<std::uint8_t, 6>;

enum class GarpForm : std::uint8_t {
    // ARP request with sender = target = VIP, broadcast: what keepalived sends; every host
    // updates an existing cache entry from it (RFC 5227 section 2.3 "ARP announcement").
    Request,
    // ARP reply with sender = target = VIP: for clients with arp_accept=0, which ignore requests
    // for addresses they have no entry for, and some that only learn from replies.
    Reply,
};

// A 42-byte Ethernet + ARP frame (no padding: the NIC pads to 60).
std::vector<std::uint8_t> gratuitous_arp(const MacAddress& mac, const IpAddress& vip, GarpForm form);

// An unsolicited Neighbour Advertisement (RFC 4861 section 7.2.6) to all-nodes ff02::1 from the
// VIP, Override flag set, Router and Solicited clear, with the target link-layer address option;
// hop limit 255 and ICMPv6 checksum filled in.
std::vector<std::uint8_t> unsolicited_na(const MacAddress& mac, const IpAddress& vip);

}  // namespace xvrrp
