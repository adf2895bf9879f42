// The routes that make a config's VIPs local (issue 15): `local` routes in the local table on the
// VRRP interface, one per prefix of a group's cover (core/prefix_cover.hpp), so owning a group
// costs as many netlink requests as its prefixes, not as its VIPs.
//
// Which routes are ours, provably: routing protocol kRouteProtocol ("xvrrp" in iproute2's
// rt_protos, `ip route show table local proto 77`) AND a metric derived from the config name
// (route_metric), so one config's clean-up never removes another config's routes, and nothing
// touches the kernel's own local routes (protocol kernel, metric 0) or anyone else's.
#pragma once

#include "core/prefix_cover.hpp"

#include <chrono>
#include <cstdint>
#include <set>
#include <span>
#include <string>
#include <vector>

struct nl_sock;

namespace xvrrp {

struct RouteResult {
    Prefix prefix;
    int error = 0;  // errno
};

struct RouteBatchOutcome {
    std::vector<RouteResult> failed;
    std::chrono::nanoseconds latency{0};  // first send to last ack
    bool ok() const { return failed.empty(); }
};

class LocalRoutes {
public:
    static constexpr std::uint8_t kRouteProtocol = 77;
    // The metric of this config's routes: in [kMetricBase, kMetricBase + 2^20).
    static std::uint32_t route_metric(const std::string& config_name);
    static constexpr std::uint32_t kMetricBase = 0x58000000u;

    // Throws std::runtime_error naming what failed.
    LocalRoutes(int ifindex, std::uint32_t metric);
    ~LocalRoutes();  // nothing removed: the owner decides (a --keep-dataplane stop keeps them)
    LocalRoutes(const LocalRoutes&) = delete;
    LocalRoutes& operator=(const LocalRoutes&) = delete;

    // One pipelined batch each, blocking until the last ack (a group has a few prefixes: tens
    // of microseconds each). Idempotent: adding a route already there or removing one already
    // gone succeeds.
    RouteBatchOutcome add(std::span<const Prefix> prefixes);
    RouteBatchOutcome remove(std::span<const Prefix> prefixes);

    // This config's routes on the interface as the kernel lists them (protocol and metric ours).
    std::vector<Prefix> list_ours();
    // Start-up: takes the listed routes as held; removes those not in `keep`. Returns the removed.
    std::vector<Prefix> adopt(const std::set<Prefix>& keep);
    // Every route this object holds, removed (a stop without --keep-dataplane, --cleanup).
    RouteBatchOutcome remove_all();

    const std::set<Prefix>& held() const { return held_; }
    // A VIP is delivered locally when a held route covers it.
    bool delivers(const IpAddress& vip) const;

private:
    RouteBatchOutcome run(bool adding, std::span<const Prefix> prefixes);

    int ifindex_;
    std::uint32_t metric_;
    nl_sock* sock_ = nullptr;
    std::set<Prefix> held_;
};

}  // namespace xvrrp
