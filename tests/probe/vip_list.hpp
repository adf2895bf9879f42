// The probe's target list: IPv4 addresses and ranges in the OPENSHIFT_HA_VIRTUAL_IPS notation
// ("198.51.100.1-5", "198.51.100.1-198.51.100.5", comma or space separated).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace xvrrp::probe {

// Appends the addresses (network byte order) of `text` to `out`; throws std::invalid_argument
// naming the bad entry (malformed, reversed range, range across octets, duplicate).
void parse_vip_list(const std::string& text, std::vector<std::uint32_t>& out);
std::string format_ip(std::uint32_t net_order);

}  // namespace xvrrp::probe
