// Frame builders for the XDP tests, the netns driver and the benchmark: Ethernet, 802.1Q, ARP,
// IPv4, IPv6, ICMPv6 neighbour discovery and VRRP v2/v3, with checksums computed here
// independently of the program under test (RFC 1071 over the bytes we build).
#pragma once

#include "core/ip_address.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace xvrrp::frames {

using Bytes = std::vector<std::uint8_t>;
using Mac = std::array<std::uint8_t, 6>;

// "02:00:00:00:00:0a" -> bytes; throws std::invalid_argument naming the text on bad input.
Mac mac(std::string_view text);
// Parses or throws std::invalid_argument naming the text.
IpAddress ip(std::string_view text);

inline constexpr std::uint16_t kEthArp = 0x0806;
inline constexpr std::uint16_t kEthIpv4 = 0x0800;
inline constexpr std::uint16_t kEthIpv6 = 0x86dd;
inline constexpr std::uint8_t kProtoVrrp = 112;
inline constexpr std::uint8_t kProtoIcmpv6 = 58;

// RFC 1071 one's complement sum of the bytes (odd length padded), not yet complemented.
std::uint32_t csum_partial(const std::uint8_t* p, std::size_t n, std::uint32_t sum = 0);
std::uint16_t csum_finish(std::uint32_t sum);
// Pseudo-header sum (RFC 768 / RFC 8200 section 8.1) for src, dst, protocol and length.
std::uint32_t pseudo_sum(const IpAddress& src, const IpAddress& dst, std::uint8_t proto,
                         std::uint32_t length);

Bytes ethernet(const Mac& dst, const Mac& src, std::uint16_t ethertype, const Bytes& payload,
               std::optional<std::uint16_t> vlan = std::nullopt);

Bytes arp(std::uint16_t op, const Mac& sha, const IpAddress& spa, const Mac& tha,
          const IpAddress& tpa);

struct Ipv4Options {
    std::uint8_t ttl = 64;
    std::uint16_t frag_off = 0;   // host order: flags (MF = 0x2000) | offset
    Bytes options;                // multiple of 4 bytes
    std::optional<std::uint8_t> ihl_override;
    std::optional<std::uint16_t> total_length_override;
};
Bytes ipv4(const IpAddress& src, const IpAddress& dst, std::uint8_t proto, const Bytes& payload,
           const Ipv4Options& opt = {});

Bytes ipv6(const IpAddress& src, const IpAddress& dst, std::uint8_t next_header,
           std::uint8_t hop_limit, const Bytes& payload,
           std::optional<std::uint16_t> payload_length_override = std::nullopt);

// ICMPv6 message with its checksum filled in (bad_checksum flips one bit of it).
Bytes icmpv6(const IpAddress& src, const IpAddress& dst, std::uint8_t type, std::uint8_t code,
             const Bytes& body, bool bad_checksum = false);

// A link-layer address option (RFC 4861 section 4.6.1): type 1 source, 2 target.
Bytes lladdr_option(std::uint8_t type, const Mac& mac);
// NS / NA bodies after the 4 ICMPv6 header bytes: flags word + target + options.
Bytes nd_body(std::uint32_t flags, const IpAddress& target, const Bytes& options);

enum class VrrpChecksum { Pseudo, V2Style, Bad };

struct Vrrp {
    int version = 3;
    int type = 1;
    std::uint8_t vrid = 10;
    std::uint8_t priority = 100;
    std::vector<IpAddress> addresses;
    std::optional<std::uint8_t> count_override;
    std::uint16_t interval = 100;  // v3: centiseconds; v2: seconds
    VrrpChecksum checksum = VrrpChecksum::Pseudo;  // v2 always uses V2Style unless Bad
    std::size_t trailing_bytes = 0;                // extra payload after the addresses
};
// The VRRP message for src -> dst (the pseudo-header needs both).
Bytes vrrp(const Vrrp& v, const IpAddress& src, const IpAddress& dst);

// Solicited-node multicast address (RFC 4291 section 2.7.1) and its MAC (RFC 2464 section 7).
IpAddress solicited_node(const IpAddress& target);
Mac multicast_mac(const IpAddress& group);

}  // namespace xvrrp::frames
