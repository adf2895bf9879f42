#include "adapters/interface_info.hpp"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <fstream>
#include <limits>
#include <memory>
#include <sstream>

namespace xvrrp {
namespace {

constexpr std::string_view kVar = "OPENSHIFT_HA_NETWORK_INTERFACE";

std::optional<unsigned long> hex_field(std::string_view s) {
    unsigned long v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 16);
    if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
    return v;
}

bool is_global_v6(const IpAddress& a) {
    const auto& b = a.bytes();
    bool link_local = b[0] == 0xfe && (b[1] & 0xc0) == 0x80;
    bool loopback = std::all_of(b.begin(), b.begin() + 15, [](std::uint8_t x) { return x == 0; }) && b[15] == 1;
    return !link_local && !loopback && b[0] != 0xff;
}

}  // namespace

bool interface_exists(const std::string& name) { return if_nametoindex(name.c_str()) != 0; }

std::optional<IpAddress> primary_address(const std::string& name, const std::vector<IpAddress>& skip) {
    ifaddrs* list = nullptr;
    if (getifaddrs(&list) != 0) return std::nullopt;
    std::unique_ptr<ifaddrs, decltype(&freeifaddrs)> guard(list, &freeifaddrs);
    std::optional<IpAddress> v6;
    auto skipped = [&](const IpAddress& a) { return std::find(skip.begin(), skip.end(), a) != skip.end(); };
    // getifaddrs lists IPv4 addresses in the kernel's order, primary first; a labelled secondary
    // ("eth0:1") carries its label as the name and is not ours.
    for (ifaddrs* i = list; i; i = i->ifa_next) {
        if (!i->ifa_addr || name != i->ifa_name) continue;
        if (i->ifa_addr->sa_family == AF_INET) {
            auto* sin = reinterpret_cast<const sockaddr_in*>(i->ifa_addr);
            auto a = IpAddress::v4_bytes(reinterpret_cast<const std::uint8_t*>(&sin->sin_addr));
            if (!skipped(a)) return a;
        } else if (i->ifa_addr->sa_family == AF_INET6 && !v6) {
            auto* sin6 = reinterpret_cast<const sockaddr_in6*>(i->ifa_addr);
            std::array<std::uint8_t, 16> bytes{};
            std::memcpy(bytes.data(), &sin6->sin6_addr, 16);
            auto a = IpAddress::v6(bytes);
            if (is_global_v6(a) && !skipped(a)) v6 = a;
        }
    }
    return v6;
}

std::optional<std::string> parse_default_route_device(std::string_view text) {
    // Columns: Iface Destination Gateway Flags RefCnt Use Metric Mask MTU Window IRTT (hex, host order).
    std::istringstream in{std::string(text)};
    std::string line;
    std::getline(in, line);  // header
    std::optional<std::string> best;
    unsigned long best_metric = std::numeric_limits<unsigned long>::max();
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        std::string iface, dest, gw, flags, refcnt, use, metric, mask;
        if (!(fields >> iface >> dest >> gw >> flags >> refcnt >> use >> metric >> mask)) continue;
        auto d = hex_field(dest), f = hex_field(flags), m = hex_field(mask);
        auto met = std::optional<unsigned long>{};
        {
            unsigned long v = 0;
            auto [end, ec] = std::from_chars(metric.data(), metric.data() + metric.size(), v, 10);
            if (ec == std::errc{} && end == metric.data() + metric.size()) met = v;
        }
        if (!d || !f || !m || !met || *d != 0 || *m != 0 || !(*f & RTF_UP)) continue;
        if (*met < best_metric) {
            best_metric = *met;
            best = iface;
        }
    }
    return best;
}

std::optional<std::string> default_route_device(const std::string& path) {
    std::ifstream f(path);
    if (!f) return std::nullopt;
    std::stringstream text;
    text << f.rdbuf();
    return parse_default_route_device(text.str());
}

Result<NodeIdentity> resolve_node(const Config& c) {
    std::string name;
    if (c.interface) {
        // The generator silently moved on to its fallbacks; a typo here would put VRRP on the
        // wrong network, so we stop instead.
        if (!interface_exists(*c.interface))
            return ConfigError{std::string(kVar), *c.interface, "no network interface of that name on this node"};
        name = *c.interface;
    } else {
        std::vector<std::string> candidates{"eth0"};
        candidates.insert(candidates.end(), kGeneratorFallbackInterfaces.begin(), kGeneratorFallbackInterfaces.end());
        for (const auto& cand : candidates) {
            if (interface_exists(cand)) {
                name = cand;
                break;
            }
        }
        if (name.empty()) {
            auto dev = default_route_device();
            if (!dev)
                return ConfigError{std::string(kVar), "",
                                   "unset, and none of eth0, enp0s3, enp0s8, eth1, ens3 exists and there is no IPv4 "
                                   "default route: name the VRRP interface"};
            name = *dev;
        }
    }
    auto address = primary_address(name, c.vips);
    if (!address)
        return ConfigError{std::string(kVar), name,
                           "the interface has no IPv4 (or global IPv6) address to take the node address from"};
    return NodeIdentity{name, *address};
}

}  // namespace xvrrp
