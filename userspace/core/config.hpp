// The OPENSHIFT_HA_* environment contract (plus our XVRRP_* extensions) parsed into a typed,
// validated Config. Pure: the environment comes in through a lookup function, and the one check
// that needs the file system (scripts must exist and be executable) is an injected predicate.
// Every default and every difference from the reference page is listed in docs/configuration.md.
#pragma once

#include "core/ip_address.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace xvrrp {

// Returns the value of an environment variable, or nullopt when it is not set.
using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;
EnvLookup env_from_map(std::map<std::string, std::string> vars);

// Returns nullopt when `path` is an existing executable file, else why it is not
// ("does not exist", "is not executable", ...). Lives outside the core (adapters/daemon).
using ExecutableProbe = std::function<std::optional<std::string>(const std::string& path)>;

// One invalid value: printed as `VARIABLE="value": accepted` on one line, exit status 2.
struct ConfigError {
    std::string variable;
    std::string value;
    std::string accepted;
    std::string message() const;
};

template <class T>
class Result {
public:
    Result(T value) : v_(std::move(value)) {}
    Result(ConfigError error) : v_(std::move(error)) {}
    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }
    const T& value() const { return std::get<0>(v_); }
    T& value() { return std::get<0>(v_); }
    const T& operator*() const { return value(); }
    const T* operator->() const { return &value(); }
    const ConfigError& error() const { return std::get<1>(v_); }

private:
    std::variant<T, ConfigError> v_;
};

enum class PreemptMode { Delay, NoPreempt };
struct Preemption {
    PreemptMode mode = PreemptMode::Delay;
    std::chrono::seconds delay{300};  // only meaningful with PreemptMode::Delay
    bool operator==(const Preemption&) const = default;
};

// generator: OpenShift's arithmetic (random low priorities, MASTER start), for mixed clusters.
// spread: deterministic, one preferred node per group, evenly over the replica count.
enum class PriorityScheme { Generator, Spread };

enum class Dataplane { Xdp, XdpGeneric, Kernel };

// VRRPv3 over IPv4: which checksum this node sends (maps onto the codec's ChecksumMode).
enum class V3Checksum {
    PseudoHeader,   // RFC 5798 §5.2.8: IPv4 pseudo-header included (keepalived's default)
    NoPseudoHeader  // over the VRRP message alone, as VRRPv2 and some v3 peers do (RFC 9568 notes it)
};

struct HttpListen {
    bool enabled = true;
    // Without XVRRP_HTTP_ADDR (host_set false) the plan fills in the node's address on the VRRP
    // interface: the network reaches the pages there, not on every VIP. With it, an empty host
    // is every address.
    std::string host;
    bool host_set = false;
    std::uint16_t port = 63000;
};

struct Config {
    std::string config_name = "OpenShift-IPFailover";
    std::string instance_base;  // config name scrubbed: [A-Za-z0-9_-] kept, '-' -> '_'
    std::string auth_key;       // VRRPv2 PASS key: first 8 bytes of the config name
    bool v2_auth_pass = true;   // XVRRP_V2_AUTH: pass (OpenShift's) or none (type 0, FRR's only one)
    std::vector<IpAddress> vips;                // expanded, in the order given
    std::vector<std::size_t> group_sizes;       // VIPs per group, in order; sums to vips.size()
    std::vector<std::uint8_t> vrids;            // one per group
    unsigned vrid_offset = 0;
    bool vrid_offset_set = false;
    std::set<unsigned> excluded_vrids;
    std::optional<std::string> interface;       // unset: eth0, then the generator's fallbacks
    unsigned replica_count = 2;
    std::uint16_t monitor_port = 80;            // 0 = no default check
    std::vector<std::string> check_script;      // argv; empty = none
    std::chrono::seconds check_interval{2};
    std::vector<std::string> notify_script;     // argv; empty = none
    Preemption preemption;
    std::vector<IpAddress> unicast_peers;       // as given; the plan drops this node's own address
    std::optional<bool> use_unicast;            // OPENSHIFT_HA_USE_UNICAST as given
    bool firewall_rule = false;
    std::optional<IpAddress> advert_source;     // UNICAST_/MULTICAST_SOURCE_IPADDRESS
    // XVRRP_ extensions
    int vrrp_version = 2;
    std::chrono::milliseconds advert_interval{1000};
    V3Checksum v3_checksum = V3Checksum::PseudoHeader;
    PriorityScheme priority_scheme = PriorityScheme::Generator;
    std::string runtime_dir = "/run/xvrrp";
    HttpListen http;
    std::string log_level = "info";
    Dataplane dataplane = Dataplane::Xdp;
    // Local routes deliver the VIPs (always); `on` also adds each VIP as an interface address
    // after them, off the critical path, as keepalived does, for tooling that reads `ip addr`.
    bool vip_addresses = true;

    std::vector<std::string> warnings;  // to be logged once at start-up
};

// Parses and validates every accepted variable. `probe` checks script paths; pass nullptr to skip
// that check (unit tests of the pure rules).
Result<Config> parse_config(const EnvLookup& env, const ExecutableProbe& probe = nullptr);

// Every variable name parse_config reads, in documentation order.
std::span<const std::string_view> accepted_variables();

// --- Building blocks, exposed for tests and for the plan ---

// Expands OPENSHIFT_HA_VIRTUAL_IPS. The error's `accepted` names the bad entry.
Result<std::vector<IpAddress>> parse_vip_list(std::string_view text);

// Splits `vips` addresses into `groups` contiguous slices (0 = one per address); the first
// vips % groups slices get one more. More groups than addresses: one group per address.
std::vector<std::size_t> split_vip_groups(std::size_t vips, std::size_t groups);

// VRID of each of `count` groups: offset + n, the offset bumped past excluded IDs with the bump
// carried to later groups, as the generator does. Values may exceed 255; the caller checks.
std::vector<unsigned> assign_vrids(unsigned offset, const std::set<unsigned>& excluded,
                                   std::size_t count);

// keepalived-style name scrub: drop characters outside [A-Za-z0-9_-], then '-' -> '_'.
std::string scrub_name(std::string_view name);
// The config's nft table (family inet): "xvrrp_" + the name with anything outside [A-Za-z0-9_]
// turned into '_'.
std::string nft_table_name(const std::string& instance_base);

std::string_view to_string(PriorityScheme s);
std::string_view to_string(Dataplane d);
std::string_view to_string(V3Checksum c);

}  // namespace xvrrp
