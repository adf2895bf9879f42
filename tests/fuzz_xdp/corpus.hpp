// The world the XDP fuzz harness runs in (maps written identically into the program and the
// model) and its corpus of valid frames: ARP, NS/NA, VRRP v2/v3 over IPv4/IPv6, plain UDP/TCP/
// ICMP, untagged and tagged, that the mutator starts from and splices fields between.
#pragma once

#include "model.hpp"

#include <string>
#include <vector>

namespace xvrrp::xdp_fuzz {

inline constexpr std::uint16_t kOtherVlan = 100;  // a VLAN ID on tagged copies: another segment's

// Groups 10 (owned), 20 (not owned), 30 (owned, heartbeat always stale), 40 (unicast VRID)
// with IPv4 and IPv6 VIPs.
xdp_model::World make_world();

struct Seed {
    std::string name;
    xdp_model::Bytes frame;
};
std::vector<Seed> make_corpus();

}  // namespace xvrrp::xdp_fuzz
