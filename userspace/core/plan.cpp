#include "core/plan.hpp"

#include "core/fnv.hpp"

#include "core/vrrp_packet.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <random>

namespace xvrrp {

std::span<const IpAddress> Group::advertised() const {
    return std::span<const IpAddress>(vips).first(std::min(vips.size(), advert_address_capacity(family())));
}

namespace {

// keepalived refuses priority 0 (reserved for "master is leaving", RFC 3768 §5.3.4) and uses its
// default, 100, instead.
constexpr unsigned kKeepalivedDefaultPriority = 100;

struct Assignment {
    unsigned priority;
    bool master;
};

// OpenShift's generator (lib/config-generators.sh, generate_failover_config), step by step:
//   idx = slot % replicas + 1; group n is a master group when n % idx == 0.
//   Master groups get 255 - slot, except that every second master group in a row gets slot + 1
//   ("flip-flop": `previous` only changes on master groups, so backup groups in between do not
//   reset the alternation). Others get slot % 64 + RANDOM % 32.
//   With nopreempt the newer generator emits no `state MASTER` and every master group 255 - slot.
std::vector<Assignment> generator_scheme(const Config& c, unsigned slot, std::size_t groups, const RandomDraw& draw) {
    std::vector<Assignment> out;
    unsigned idx = slot % c.replica_count + 1;
    bool nopreempt = c.preemption.mode == PreemptMode::NoPreempt;
    bool previous_master = false;
    for (std::size_t n = 1; n <= groups; ++n) {
        unsigned random = draw() % 32;
        Assignment a{slot % 64 + random, false};
        if (n % idx == 0) {
            a.master = !nopreempt;
            if (nopreempt) {
                a.priority = 255 - slot;
            } else if (previous_master) {
                a.priority = slot + 1;
                previous_master = false;
            } else {
                a.priority = 255 - slot;
                previous_master = true;
            }
        }
        if (a.priority == 0) a.priority = kKeepalivedDefaultPriority;
        out.push_back(a);
    }
    return out;
}

// Deterministic alternative: node rank r = slot % replicas; group n prefers rank (n-1) % replicas.
// A node's priority falls by one per rank it is away (cyclically) from the preferred one, so
// every group has a fixed order of nodes and masters are spread evenly. Nobody starts as
// MASTER: the RFC 5798 election decides, and the configured preemption applies as written.
std::vector<Assignment> spread_scheme(const Config& c, unsigned slot, std::size_t groups) {
    std::vector<Assignment> out;
    unsigned r = slot % c.replica_count;
    for (std::size_t n = 1; n <= groups; ++n) {
        unsigned preferred = static_cast<unsigned>((n - 1) % c.replica_count);
        unsigned distance = (r + c.replica_count - preferred) % c.replica_count;
        out.push_back({std::max(1u, 254u - distance), false});
    }
    return out;
}

}  // namespace

unsigned node_slot(const IpAddress& node) { return node.bytes()[node.size() - 1] % 128; }

Plan make_plan(const Config& c, const NodeIdentity& node, const RandomDraw& draw) {
    Plan p;
    p.config_name = c.config_name;
    p.instance_base = c.instance_base;
    p.interface = node.interface;
    p.node_address = node.address;
    p.advert_source = c.advert_source.value_or(node.address);
    for (const auto& peer : c.unicast_peers) {
        // The same peer list goes to every node: skip our own entry.
        if (peer == node.address || peer == p.advert_source) continue;
        p.unicast_peers.push_back(peer);
    }
    // Unicast is chosen by a non-empty peer list, as in the generator (USE_UNICAST is not read there).
    p.unicast = !c.unicast_peers.empty();
    p.vrrp_version = c.vrrp_version;
    p.advert_interval = c.advert_interval;
    // RFC 5798 removed authentication; keepalived ignores an authentication block with version 3.
    p.v2_auth_pass = c.v2_auth_pass;
    p.auth_key = c.vrrp_version == 2 && c.v2_auth_pass ? c.auth_key : std::string{};
    p.v3_checksum = c.v3_checksum;
    p.priority_scheme = c.priority_scheme;
    p.replica_count = c.replica_count;
    p.slot = node_slot(node.address);
    p.check.interval = c.check_interval;
    if (!c.check_script.empty()) {
        p.check.kind = CheckKind::Script;
        p.check.command = c.check_script;
    } else if (c.monitor_port != 0) {
        // The generator checks the NODE's address (`</dev/tcp/<node ip>/<port>`), not each VIP as
        // the reference page says.
        p.check.kind = CheckKind::TcpPort;
        p.check.port = c.monitor_port;
        p.check.address = node.address;
    }
    p.notify_command = c.notify_script;
    p.firewall_rule = c.firewall_rule;
    p.runtime_dir = c.runtime_dir;
    p.http = c.http;
    if (!p.http.host_set) p.http.host = node.address.to_string();  // HttpListen: the node's address by default
    p.log_level = c.log_level;
    p.dataplane = c.dataplane;
    p.vip_addresses = c.vip_addresses;
    p.warnings = c.warnings;
    if (node.address.is_v6() && c.priority_scheme == PriorityScheme::Generator)
        p.warnings.push_back(fmt::format(
            "node address {} is IPv6: priorities use its last byte; OpenShift's generator reads an IPv4 last octet "
            "and gives IPv6 nodes slot 0, so mixed clusters will disagree",
            node.address.to_string()));
    if (p.unicast && c.unicast_peers.size() == p.unicast_peers.size())
        p.warnings.push_back(fmt::format("OPENSHIFT_HA_UNICAST_PEERS does not list this node ({}); fine if intended",
                                         node.address.to_string()));

    auto assignments = c.priority_scheme == PriorityScheme::Generator
                           ? generator_scheme(c, p.slot, c.group_sizes.size(), draw)
                           : spread_scheme(c, p.slot, c.group_sizes.size());
    std::size_t at = 0;
    for (std::size_t i = 0; i < c.group_sizes.size(); ++i) {
        Group g;
        g.index = static_cast<unsigned>(i + 1);
        g.name = fmt::format("{}_VIP_{}", c.instance_base, g.index);
        g.vrid = c.vrids.at(i);
        g.vips.assign(c.vips.begin() + static_cast<std::ptrdiff_t>(at),
                      c.vips.begin() + static_cast<std::ptrdiff_t>(at + c.group_sizes[i]));
        at += c.group_sizes[i];
        g.priority = static_cast<std::uint8_t>(assignments[i].priority);
        g.initial_master = assignments[i].master;
        g.preemption = c.preemption;
        // keepalived: "preempt delay will not work with initial state MASTER - clearing".
        if (g.initial_master && g.preemption.mode == PreemptMode::Delay && g.preemption.delay.count() != 0) {
            g.preemption.delay = std::chrono::seconds(0);
            g.preempt_delay_cleared = true;
        }
        p.groups.push_back(std::move(g));
    }
    return p;
}

std::uint32_t plan_seed(const Config& config, const IpAddress& node) {
    const auto b = node.bytes();
    return fnv1a_32(std::span(b.data(), node.size()), fnv1a_32(config.config_name));
}

std::optional<ConfigError> refuse_address_collisions(const Plan& p) {
    for (const Group& g : p.groups) {
        for (const IpAddress& vip : g.vips) {
            std::string what;
            if (vip == p.node_address)
                what = fmt::format("this node's own address on {}", p.interface);
            else if (vip == p.advert_source)
                what = "this node's advert source address (UNICAST_SOURCE_IPADDRESS / MULTICAST_SOURCE_IPADDRESS)";
            else if (std::find(p.unicast_peers.begin(), p.unicast_peers.end(), vip) != p.unicast_peers.end())
                what = "the address of a unicast peer (OPENSHIFT_HA_UNICAST_PEERS)";
            else
                continue;
            return ConfigError{"OPENSHIFT_HA_VIRTUAL_IPS", vip.to_string(),
                               fmt::format("VIP {} of group {} is {}: a VIP moves between nodes and must be no "
                                           "node's own address (the master would answer ARP/NS for it, and could "
                                           "remove it from the interface on releasing the VIP)",
                                           vip.to_string(), g.name, what)};
        }
    }
    return std::nullopt;
}

Plan make_plan(const Config& config, const NodeIdentity& node, std::uint32_t seed) {
    std::mt19937 engine(seed);
    return make_plan(config, node, RandomDraw([&engine] { return static_cast<std::uint32_t>(engine()); }));
}

}  // namespace xvrrp
