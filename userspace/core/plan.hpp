// Config + this node's identity + a random source -> Plan: every group this node runs, with the
// priority and start state OpenShift's generator would give it. `xvrrpd --check-config` prints
// exactly this value and the daemon runs exactly this value (one code path).
#pragma once

#include "core/config.hpp"
#include "core/ip_address.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace xvrrp {

struct Group {
    unsigned index = 0;                // 1-based group number n
    std::string name;                  // <scrubbed config name>_VIP_<n>, keepalived's instance name
    std::uint8_t vrid = 0;
    std::vector<IpAddress> vips;       // one family per group
    std::uint8_t priority = 100;       // 1..255; 255 = address owner
    bool initial_master = false;       // keepalived `state MASTER`: starts as master, no wait
    Preemption preemption;             // effective (keepalived clears preempt_delay on MASTER start)
    bool preempt_delay_cleared = false;  // true when the configured delay was dropped for that reason
    Family family() const { return vips.empty() ? Family::V4 : vips.front().family(); }
    // What its adverts list: the first advert_address_capacity(family()) VIPs. A larger group's
    // other VIPs are owned, added, announced and answered with it all the same, only not listed
    // (keepalived's virtual_ipaddress_excluded; receivers ignore the list, RFC 5798 7.1).
    std::span<const IpAddress> advertised() const;
};

enum class CheckKind { None, TcpPort, Script };
struct Check {
    CheckKind kind = CheckKind::None;
    std::uint16_t port = 0;              // TcpPort: connect to node_address:port
    IpAddress address;                   // TcpPort: this node's address (generator behaviour)
    std::vector<std::string> command;    // Script: argv
    std::chrono::seconds interval{2};
};

struct NodeIdentity {
    std::string interface;   // the VRRP interface, already resolved
    IpAddress address;       // its primary address: drives priorities and the default check
};

struct Plan {
    std::string config_name;
    std::string instance_base;
    std::string interface;
    IpAddress node_address;
    IpAddress advert_source;               // node address unless UNICAST_/MULTICAST_SOURCE_IPADDRESS
    bool unicast = false;
    std::vector<IpAddress> unicast_peers;  // this node's own addresses removed
    int vrrp_version = 2;
    std::chrono::milliseconds advert_interval{1000};
    std::string auth_key;                  // VRRPv2 PASS key (<= 8 bytes); empty with VRRPv3 or none
    bool v2_auth_pass = true;              // VRRPv2: PASS with auth_key, else authentication type 0
    V3Checksum v3_checksum = V3Checksum::PseudoHeader;
    PriorityScheme priority_scheme = PriorityScheme::Generator;
    unsigned replica_count = 2;
    unsigned slot = 0;                     // node address's last octet mod 128
    Check check;
    std::vector<std::string> notify_command;  // argv; keepalived appends: INSTANCE <name> <STATE>
    bool firewall_rule = false;
    std::string runtime_dir;
    HttpListen http;
    std::string log_level;
    Dataplane dataplane = Dataplane::Xdp;
    bool vip_addresses = true;             // XVRRP_VIP_ADDRESSES
    std::vector<Group> groups;
    std::vector<std::string> warnings;     // the config's warnings plus the plan's own
};

// Draws one value; the plan keeps its low 5 bits (0..31), as the generator's $RANDOM % 32.
// The generator draws once per group, master groups included; so do we.
using RandomDraw = std::function<std::uint32_t()>;

Plan make_plan(const Config& config, const NodeIdentity& node, const RandomDraw& draw);
// What a plan must not do, known only once the node's address is: a VIP equal to this node's
// address, its advert source or a unicast peer's address. Owning such a VIP would answer ARP/NS
// for a node's own address and, on release, delete it from the interface. The error names the
// VIP, its group and what it collides with; nullopt when the plan is sound.
std::optional<ConfigError> refuse_address_collisions(const Plan& plan);
// Same, with the draws taken from a std::mt19937 seeded with `seed` (reproducible).
Plan make_plan(const Config& config, const NodeIdentity& node, std::uint32_t seed);
// The seed a node's plan is drawn with: FNV-1a of the config name and the node address, so the
// same node computes the same priorities at every start (and a SIGHUP leaves them alone), while
// nodes and configs still get the generator's spread of draws.
std::uint32_t plan_seed(const Config& config, const IpAddress& node);

// slot = last byte of the node address mod 128 (for IPv6 the last byte of the 128 bits; the
// generator cuts the 4th dotted field and gets nothing for IPv6, which gave every node slot 0).
unsigned node_slot(const IpAddress& node);

}  // namespace xvrrp
