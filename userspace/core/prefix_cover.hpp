// The fewest CIDR prefixes that cover exactly a set of addresses: how a group's VIPs become local
// with a handful of routes instead of one per VIP (198.18.0.0-255 -> 198.18.0.0/24).
#pragma once

#include "core/ip_address.hpp"

#include <span>
#include <string>
#include <vector>

namespace xvrrp {

struct Prefix {
    IpAddress address;  // the network address: no bit set beyond `length`
    int length = 0;     // 0..32 for IPv4, 0..128 for IPv6

    bool contains(const IpAddress& a) const;
    std::string to_string() const;  // "198.18.0.0/24"
    auto operator<=>(const Prefix&) const = default;
    bool operator==(const Prefix&) const = default;
};

// Every address of `addresses` is covered, no other address is, and no smaller set of prefixes
// does the same. Duplicates are ignored; IPv4 prefixes come before IPv6 ones, each in address
// order.
std::vector<Prefix> prefix_cover(std::span<const IpAddress> addresses);

}  // namespace xvrrp
