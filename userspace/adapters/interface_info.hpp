// Read-only questions about this node's network interfaces: does it exist, what is its primary
// address, which device carries the default route. Used to pick the VRRP interface and the node
// address the plan's priorities come from. Nothing here changes the host.
#pragma once

#include "core/config.hpp"
#include "core/ip_address.hpp"
#include "core/plan.hpp"

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace xvrrp {

// Tried after eth0 when OPENSHIFT_HA_NETWORK_INTERFACE is unset, in the generator's order
// (lib/utils.sh, VBOX_INTERFACES).
inline constexpr std::array<std::string_view, 4> kGeneratorFallbackInterfaces = {"enp0s3", "enp0s8", "eth1", "ens3"};

bool interface_exists(const std::string& name);

// The interface's primary IPv4 address (the first one the kernel lists, skipping `skip`, e.g. our
// own VIPs left from a previous run); if it has none, its first global IPv6 address.
std::optional<IpAddress> primary_address(const std::string& name, const std::vector<IpAddress>& skip = {});

// The device of the lowest-metric IPv4 default route in /proc/net/route text.
std::optional<std::string> parse_default_route_device(std::string_view proc_net_route);
std::optional<std::string> default_route_device(const std::string& proc_net_route_path = "/proc/net/route");

// The configured interface (must exist), else eth0, the generator's fallbacks, then the default
// route's device; and its primary address. Errors name OPENSHIFT_HA_NETWORK_INTERFACE.
Result<NodeIdentity> resolve_node(const Config& config);

}  // namespace xvrrp
