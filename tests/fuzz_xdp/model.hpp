// A reference model of the XDP data plane's rules (issue 4), written from the issue text and the
// RFCs, not from bpf/xvrrp.bpf.c: given what the maps hold and one frame, the verdict the program
// must return, the bytes it must leave in the buffer, the counter it must bump and the conflict
// it must report. The XDP fuzz harness runs both and compares.
#pragma once

#include "core/ip_address.hpp"

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace xvrrp::xdp_model {

using Bytes = std::vector<std::uint8_t>;
using Mac = std::array<std::uint8_t, 6>;

// The XDP verdicts, by their kernel values (enum xdp_action).
enum class Verdict : int { Drop = 1, Pass = 2, Tx = 3 };
std::string to_string(Verdict v);

struct GroupState {
    bool owned = false;
    Mac mac{};
    bool stale = false;  // its config's heartbeat is older than the group's Master_Down_Interval
    std::uint8_t config = 0;  // the config (slot) whose heartbeat gates the group
};

struct VridConfig {
    std::uint8_t versions = 0;  // XVRRP_VERSION_2 | XVRRP_VERSION_3
    bool unicast = false;
    std::uint8_t config = 0;    // the config (slot) serving the VRID: peers are per config
};

// What the controller wrote into the maps.
struct World {
    std::map<IpAddress, std::uint8_t> vips;  // VIP -> VRID of its group
    std::map<std::uint8_t, GroupState> groups;
    std::map<std::uint8_t, VridConfig> vrids;
    std::set<std::pair<std::uint8_t, IpAddress>> peers;  // (config, unicast peer)
};

// A VIP someone else claimed (ARP reply, gratuitous ARP or NA from a MAC not the group's, or an
// ARP request or NS sent from it by such a MAC).
struct Conflict {
    std::uint8_t family = 4;
    std::uint8_t vrid = 0;
    Mac mac{};
    IpAddress address;
    std::uint8_t config = 0;  // whose ring gets it: the config of the VIP's group
    bool operator==(const Conflict&) const = default;
};

struct Expectation {
    Verdict verdict = Verdict::Pass;
    Bytes out;                        // the buffer after the run (the input unless answered)
    int counter = 0;                  // enum xvrrp_counter bumped for the decision
    bool tagged = false;              // carried an 802.1Q/802.1ad tag: XVRRP_C_VLAN moves too
    std::optional<Conflict> conflict; // reported in the config's ring
    // Counted with the report (XVRRP_C_ARP_CONFLICT / XVRRP_C_NA_CONFLICT) on top of `counter`;
    // nullopt where the report's counter is the decision's own (a request sent from our VIP).
    std::optional<int> conflict_counter;
    std::string rule;                 // which rule decided, for failure messages
};

Expectation decide(const World& world, const Bytes& frame);

}  // namespace xvrrp::xdp_model
