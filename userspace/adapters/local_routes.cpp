#include "adapters/local_routes.hpp"

#include "core/fnv.hpp"

#include "adapters/netlink_batch.hpp"

#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/route.h>
#include <netlink/socket.h>

#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cstring>
#include <memory>
#include <optional>
#include <stdexcept>

namespace xvrrp {
namespace {

struct RouteDeleter {
    void operator()(rtnl_route* r) const { rtnl_route_put(r); }
};
struct NlAddrDeleter {
    void operator()(nl_addr* a) const { nl_addr_put(a); }
};
struct MsgDeleter {
    void operator()(nl_msg* m) const { nlmsg_free(m); }
};

// One RTM_NEWROUTE / RTM_DELROUTE for `local PREFIX dev IF table local proto 77 metric M`;
// its sequence number, or a negative errno.
long send_request(nl_sock* sk, bool adding, int ifindex, std::uint32_t metric, const Prefix& p) {
    const int family = p.address.is_v4() ? AF_INET : AF_INET6;
    std::unique_ptr<rtnl_route, RouteDeleter> r(rtnl_route_alloc());
    std::unique_ptr<nl_addr, NlAddrDeleter> dst(nl_addr_build(family, p.address.bytes().data(), p.address.size()));
    if (!r || !dst) return -ENOMEM;
    nl_addr_set_prefixlen(dst.get(), p.length);
    rtnl_route_set_family(r.get(), static_cast<std::uint8_t>(family));
    rtnl_route_set_table(r.get(), RT_TABLE_LOCAL);
    rtnl_route_set_type(r.get(), RTN_LOCAL);
    rtnl_route_set_scope(r.get(), RT_SCOPE_HOST);
    rtnl_route_set_protocol(r.get(), LocalRoutes::kRouteProtocol);
    rtnl_route_set_priority(r.get(), metric);
    if (rtnl_route_set_dst(r.get(), dst.get()) < 0) return -EINVAL;
    rtnl_nexthop* nh = rtnl_route_nh_alloc();
    if (!nh) return -ENOMEM;
    rtnl_route_nh_set_ifindex(nh, ifindex);
    rtnl_route_add_nexthop(r.get(), nh);  // the route owns it now
    nl_msg* raw = nullptr;
    int err = adding ? rtnl_route_build_add_request(r.get(), NLM_F_CREATE | NLM_F_REPLACE, &raw)
                     : rtnl_route_build_del_request(r.get(), 0, &raw);
    if (err < 0 || !raw) return -ENOMEM;
    std::unique_ptr<nl_msg, MsgDeleter> msg(raw);
    err = nl_send_auto(sk, msg.get());
    if (err < 0) return -EIO;
    return static_cast<long>(nlmsg_hdr(msg.get())->nlmsg_seq);
}

bool benign(bool adding, int error) { return adding ? error == EEXIST : (error == ESRCH || error == ENOENT); }

std::optional<Prefix> prefix_of(nl_addr* a) {
    if (!a) return std::nullopt;
    const auto* bytes = static_cast<const std::uint8_t*>(nl_addr_get_binary_addr(a));
    Prefix p;
    p.length = static_cast<int>(nl_addr_get_prefixlen(a));
    if (nl_addr_get_family(a) == AF_INET && nl_addr_get_len(a) == 4) {
        p.address = IpAddress::v4_bytes(bytes);
    } else if (nl_addr_get_family(a) == AF_INET6 && nl_addr_get_len(a) == 16) {
        std::array<std::uint8_t, 16> b{};
        std::memcpy(b.data(), bytes, 16);
        p.address = IpAddress::v6(b);
    } else {
        return std::nullopt;
    }
    return p;
}

}  // namespace

std::uint32_t LocalRoutes::route_metric(const std::string& config_name) {
    return kMetricBase + (fnv1a_32(config_name) & 0xfffffu);
}

LocalRoutes::LocalRoutes(int ifindex, std::uint32_t metric)
    : ifindex_(ifindex), metric_(metric), sock_(netlink::open_route_socket(false)) {}

LocalRoutes::~LocalRoutes() { nl_socket_free(sock_); }

RouteBatchOutcome LocalRoutes::add(std::span<const Prefix> prefixes) { return run(true, prefixes); }
RouteBatchOutcome LocalRoutes::remove(std::span<const Prefix> prefixes) { return run(false, prefixes); }

RouteBatchOutcome LocalRoutes::remove_all() {
    std::vector<Prefix> all(held_.begin(), held_.end());
    return run(false, all);
}

RouteBatchOutcome LocalRoutes::run(bool adding, std::span<const Prefix> prefixes) {
    constexpr std::size_t kWindow = 512;  // acks never overflow the receive buffer
    RouteBatchOutcome out;
    const auto start = std::chrono::steady_clock::now();
    netlink::run_pipelined(
        sock_, prefixes.size(), kWindow,
        [&](std::size_t i) { return send_request(sock_, adding, ifindex_, metric_, prefixes[i]); },
        [&](std::size_t i, int error) {
            if (error != 0 && !benign(adding, error))
                out.failed.push_back({prefixes[i], error});
            else if (adding)
                held_.insert(prefixes[i]);
            else
                held_.erase(prefixes[i]);
        });
    out.latency = std::chrono::steady_clock::now() - start;
    return out;
}

std::vector<Prefix> LocalRoutes::list_ours() {
    // A fresh socket: a dump relies on libnl's own sequence checking.
    nl_sock* sk = netlink::open_route_socket(false);
    nl_cache* cache = nullptr;
    std::vector<Prefix> out;
    if (int err = rtnl_route_alloc_cache(sk, AF_UNSPEC, 0, &cache); err < 0) {
        nl_socket_free(sk);
        throw std::runtime_error(std::string("netlink: cannot list routes: ") + nl_geterror(err));
    }
    for (nl_object* o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
        auto* r = reinterpret_cast<rtnl_route*>(o);
        if (rtnl_route_get_table(r) != RT_TABLE_LOCAL || rtnl_route_get_type(r) != RTN_LOCAL ||
            rtnl_route_get_protocol(r) != kRouteProtocol || rtnl_route_get_priority(r) != metric_ ||
            rtnl_route_get_nnexthops(r) != 1 || rtnl_route_nh_get_ifindex(rtnl_route_nexthop_n(r, 0)) != ifindex_)
            continue;
        if (auto p = prefix_of(rtnl_route_get_dst(r))) out.push_back(*p);
    }
    nl_cache_free(cache);
    nl_socket_free(sk);
    return out;
}

std::vector<Prefix> LocalRoutes::adopt(const std::set<Prefix>& keep) {
    std::vector<Prefix> stale;
    for (const auto& p : list_ours()) {
        held_.insert(p);
        if (!keep.count(p)) stale.push_back(p);
    }
    if (stale.empty()) return stale;
    auto out = run(false, stale);
    for (const auto& f : out.failed) std::erase(stale, f.prefix);
    return stale;
}

bool LocalRoutes::delivers(const IpAddress& vip) const {
    for (const auto& p : held_)
        if (p.contains(vip)) return true;
    return false;
}

}  // namespace xvrrp
