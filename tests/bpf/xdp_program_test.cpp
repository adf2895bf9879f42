// The XDP program under BPF_PROG_TEST_RUN, Katran style: a table of fixtures (description,
// input frame, expected verdict, expected output frame, counters that must move) that anyone
// can extend with one line, plus a few stateful tests (liveness gate, conflict ring, VLAN tags).
#include <bpf/libbpf.h>
#include <gtest/gtest.h>
#include <linux/bpf.h>

#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "frames.hpp"
#include "program.hpp"

namespace xvrrp::testing {
namespace {

using frames::Bytes;
using frames::ip;
using frames::mac;
namespace f = frames;

// ---- the world every fixture runs in -------------------------------------------------------
const f::Mac kGroup10Mac = mac("02:00:5e:00:01:0a");  // owned
const f::Mac kGroup20Mac = mac("02:00:5e:00:01:14");  // not owned
const f::Mac kGroup30Mac = mac("02:00:5e:00:01:1e");  // owned, gate always stale
const f::Mac kClientMac = mac("02:00:00:00:00:c1");
const f::Mac kIntruderMac = mac("02:00:00:00:00:66");
const f::Mac kBroadcast = mac("ff:ff:ff:ff:ff:ff");
const f::Mac kZeroMac = mac("00:00:00:00:00:00");
const IpAddress kClient4 = ip("192.0.2.1");
const IpAddress kPeer4 = ip("192.0.2.2");
const IpAddress kStranger4 = ip("192.0.2.3");
const IpAddress kVip10 = ip("192.0.2.10");
const IpAddress kVip20 = ip("192.0.2.20");
const IpAddress kVip30 = ip("192.0.2.30");
const IpAddress kNonVip4 = ip("192.0.2.99");
const IpAddress kVrrpGroup4 = ip("224.0.0.18");
const IpAddress kClient6 = ip("2001:db8::c1");
const IpAddress kPeer6 = ip("2001:db8::2");
const IpAddress kStranger6 = ip("2001:db8::3");
const IpAddress kLinkLocalPeer6 = ip("fe80::2");
const IpAddress kVip6_10 = ip("2001:db8::10");
const IpAddress kVip6_20 = ip("2001:db8::20");
const IpAddress kVip6_30 = ip("2001:db8::30");
const IpAddress kNonVip6 = ip("2001:db8::99");
const IpAddress kVrrpGroup6 = ip("ff02::12");
const IpAddress kAllNodes6 = ip("ff02::1");
const IpAddress kUnspecified6 = ip("::");
constexpr std::uint64_t kMasterDownNs = 3'000'000'000ull;

void build_world(ProgramUnderTest& p) {
    p.set_group(10, true, kGroup10Mac, kMasterDownNs);
    p.set_group(20, false, kGroup20Mac, kMasterDownNs);
    p.set_group(30, true, kGroup30Mac, 1);  // 1 ns: the heartbeat is always older
    for (auto [vip, vrid] : {std::pair{kVip10, 10}, {kVip20, 20}, {kVip30, 30}, {kVip6_10, 10},
                             {kVip6_20, 20}, {kVip6_30, 30}})
        p.add_vip(vip, static_cast<std::uint8_t>(vrid));
    p.set_vrid(10, XVRRP_VERSION_3, false);
    p.set_vrid(20, XVRRP_VERSION_2 | XVRRP_VERSION_3, false);
    p.set_vrid(30, XVRRP_VERSION_2, false);
    p.set_vrid(40, XVRRP_VERSION_3, true);
    p.add_peer(kPeer4);
    p.add_peer(kPeer6);
    p.set_heartbeat_ns(ProgramUnderTest::monotonic_ns());
}

// ---- frame shorthands -----------------------------------------------------------------------
Bytes arp_frame(std::uint16_t op, const f::Mac& sha, const IpAddress& spa, const f::Mac& tha,
                const IpAddress& tpa, const f::Mac& dst = kBroadcast) {
    return f::ethernet(dst, sha, f::kEthArp, f::arp(op, sha, spa, tha, tpa));
}

Bytes arp_request(const IpAddress& target) {
    return arp_frame(1, kClientMac, kClient4, kZeroMac, target);
}

Bytes arp_reply_from(const f::Mac& group_mac, const IpAddress& vip, const f::Mac& to,
                     const IpAddress& to_ip) {
    return f::ethernet(to, group_mac, f::kEthArp, f::arp(2, group_mac, vip, to, to_ip));
}

Bytes ns_frame(const IpAddress& src, const IpAddress& dst, const IpAddress& target,
               const Bytes& options, std::uint8_t hop = 255, bool bad_csum = false,
               std::optional<f::Mac> eth_dst = std::nullopt) {
    Bytes icmp = f::icmpv6(src, dst, 135, 0, f::nd_body(0, target, options), bad_csum);
    return f::ethernet(eth_dst.value_or(f::multicast_mac(dst)), kClientMac, f::kEthIpv6,
                       f::ipv6(src, dst, f::kProtoIcmpv6, hop, icmp));
}

Bytes ns_request(const IpAddress& target) {
    return ns_frame(kClient6, f::solicited_node(target), target,
                    f::lladdr_option(1, kClientMac));
}

Bytes na_frame(const f::Mac& eth_src, const f::Mac& eth_dst, const IpAddress& src,
               const IpAddress& dst, std::uint32_t flags, const IpAddress& target,
               const Bytes& options) {
    Bytes icmp = f::icmpv6(src, dst, 136, 0, f::nd_body(flags, target, options));
    return f::ethernet(eth_dst, eth_src, f::kEthIpv6,
                       f::ipv6(src, dst, f::kProtoIcmpv6, 255, icmp));
}

constexpr std::uint32_t kSolicited = 0x40000000, kOverride = 0x20000000;

Bytes na_reply(const f::Mac& group_mac, const IpAddress& vip, const f::Mac& to,
               const IpAddress& to_ip, std::uint32_t flags = kSolicited | kOverride) {
    return na_frame(group_mac, to, vip, to_ip, flags, vip, f::lladdr_option(2, group_mac));
}

f::Vrrp advert(std::uint8_t vrid, int version = 3, std::vector<IpAddress> addrs = {kVip10}) {
    f::Vrrp v;
    v.vrid = vrid;
    v.version = version;
    v.interval = version == 2 ? 1 : 100;
    v.addresses = std::move(addrs);
    return v;
}

Bytes vrrp4(const f::Vrrp& v, const IpAddress& src = kPeer4, const IpAddress& dst = kVrrpGroup4,
            f::Ipv4Options opt = {.ttl = 255}) {
    return f::ethernet(f::multicast_mac(dst), kClientMac, f::kEthIpv4,
                       f::ipv4(src, dst, f::kProtoVrrp, f::vrrp(v, src, dst), opt));
}

Bytes vrrp6(const f::Vrrp& v, const IpAddress& src = kLinkLocalPeer6,
            const IpAddress& dst = kVrrpGroup6, std::uint8_t hop = 255) {
    return f::ethernet(f::multicast_mac(dst), kClientMac, f::kEthIpv6,
                       f::ipv6(src, dst, f::kProtoVrrp, hop, f::vrrp(v, src, dst)));
}

f::Vrrp with(f::Vrrp v, const std::function<void(f::Vrrp&)>& change) {
    change(v);
    return v;
}

Bytes truncate(Bytes b, std::size_t n) {
    b.resize(n);
    return b;
}

// A frame as the fuzz harness prints it (tests/fuzz_xdp), so a finding becomes a row verbatim.
Bytes from_hex(std::string_view text) {
    if (text.size() % 2) throw std::invalid_argument("odd number of hex digits in a fixture frame");
    Bytes b;
    for (std::size_t i = 0; i < text.size(); i += 2)
        b.push_back(static_cast<std::uint8_t>(std::stoul(std::string(text.substr(i, 2)), nullptr, 16)));
    return b;
}

Bytes pad_to(Bytes b, std::size_t n) {
    if (b.size() < n) b.resize(n, 0);
    return b;
}

// ---- the fixture table ------------------------------------------------------------------------
struct Fixture {
    std::string name;
    Bytes in;
    int verdict;
    std::optional<Bytes> out;  // nullopt: the frame must come out byte-for-byte unchanged
    std::vector<int> counters; // each moves by exactly one (plus PACKETS); all others stay
};

// gtest prints a failing parameter with this: the description, not 120 raw bytes.
void PrintTo(const Fixture& fx, std::ostream* os) { *os << fx.name; }

int drop_reason(xvrrp_reason r) { return int{XVRRP_C_VRRP_DROP_BASE} + int{r}; }

std::vector<Fixture> fixtures() {
    std::vector<Fixture> t;
    auto add = [&](std::string name, Bytes in, int verdict, std::optional<Bytes> out,
                   std::vector<int> counters) {
        t.push_back({std::move(name), std::move(in), verdict, std::move(out), std::move(counters)});
    };

    // ARP (RFC 826)
    add("arp_request_owned_vip_is_answered", arp_request(kVip10), XDP_TX,
        arp_reply_from(kGroup10Mac, kVip10, kClientMac, kClient4), {XVRRP_C_ARP_REPLIED});
    add("arp_request_padded_to_60_bytes_keeps_padding", pad_to(arp_request(kVip10), 60), XDP_TX,
        pad_to(arp_reply_from(kGroup10Mac, kVip10, kClientMac, kClient4), 60),
        {XVRRP_C_ARP_REPLIED});
    add("arp_probe_owned_vip_is_answered_like_linux",
        arp_frame(1, kClientMac, ip("0.0.0.0"), kZeroMac, kVip10), XDP_TX,
        arp_reply_from(kGroup10Mac, kVip10, kClientMac, ip("0.0.0.0")), {XVRRP_C_ARP_REPLIED});
    add("arp_request_not_owned_vip_is_dropped", arp_request(kVip20), XDP_DROP, std::nullopt,
        {XVRRP_C_ARP_DROP_NOT_OWNED});
    add("arp_request_owned_but_stale_gate_is_dropped", arp_request(kVip30), XDP_DROP, std::nullopt,
        {XVRRP_C_ARP_DROP_STALE});
    add("arp_request_non_vip_passes", arp_request(kNonVip4), XDP_PASS, std::nullopt,
        {XVRRP_C_ARP_PASS_NON_VIP});
    add("gratuitous_arp_of_a_client_passes",
        arp_frame(1, kClientMac, kClient4, kZeroMac, kClient4), XDP_PASS, std::nullopt,
        {XVRRP_C_ARP_PASS_GRATUITOUS});
    add("gratuitous_arp_owned_vip_our_mac_passes",
        arp_frame(1, kGroup10Mac, kVip10, kZeroMac, kVip10), XDP_PASS, std::nullopt,
        {XVRRP_C_ARP_PASS_GRATUITOUS});
    add("gratuitous_arp_owned_vip_other_mac_is_a_conflict",
        arp_frame(1, kIntruderMac, kVip10, kZeroMac, kVip10), XDP_PASS, std::nullopt,
        {XVRRP_C_ARP_PASS_GRATUITOUS, XVRRP_C_ARP_CONFLICT});
    add("gratuitous_arp_not_owned_vip_other_mac_is_no_conflict",
        arp_frame(1, kIntruderMac, kVip20, kZeroMac, kVip20), XDP_PASS, std::nullopt,
        {XVRRP_C_ARP_PASS_GRATUITOUS});
    add("arp_reply_owned_vip_other_mac_is_a_conflict",
        arp_frame(2, kIntruderMac, kVip10, kClientMac, kClient4, kClientMac), XDP_PASS,
        std::nullopt, {XVRRP_C_ARP_PASS_REPLY, XVRRP_C_ARP_CONFLICT});
    add("arp_reply_non_vip_passes",
        arp_frame(2, kIntruderMac, kNonVip4, kClientMac, kClient4, kClientMac), XDP_PASS,
        std::nullopt, {XVRRP_C_ARP_PASS_REPLY});
    {
        Bytes b = arp_request(kVip10);
        b[14 + 1] = 6;  // hardware type IEEE 802
        add("arp_wrong_hardware_type_passes", b, XDP_PASS, std::nullopt,
            {XVRRP_C_ARP_PASS_MALFORMED});
        b = arp_request(kVip10);
        b[14 + 2] = 0x86;  // protocol type IPv6
        b[14 + 3] = 0xdd;
        add("arp_wrong_protocol_type_passes", b, XDP_PASS, std::nullopt,
            {XVRRP_C_ARP_PASS_MALFORMED});
        b = arp_request(kVip10);
        b[14 + 4] = 8;  // hardware length
        add("arp_wrong_hardware_length_passes", b, XDP_PASS, std::nullopt,
            {XVRRP_C_ARP_PASS_MALFORMED});
    }

    // Issue 16: a request is answered only when addressed to us (broadcast or the group's
    // MAC); one for another station or a multicast group passes to the kernel untouched. Not
    // owned and stale still drop first, whatever the destination.
    const f::Mac kOtherHost = mac("02:00:00:00:00:77");
    add("arp_request_owned_vip_to_another_unicast_mac_passes",
        arp_frame(1, kClientMac, kClient4, kZeroMac, kVip10, kOtherHost), XDP_PASS, std::nullopt,
        {XVRRP_C_ARP_PASS_OTHER_DEST});
    add("arp_request_owned_vip_to_a_multicast_mac_passes",
        arp_frame(1, kClientMac, kClient4, kZeroMac, kVip10, mac("01:00:5e:00:00:01")), XDP_PASS,
        std::nullopt, {XVRRP_C_ARP_PASS_OTHER_DEST});
    add("arp_request_owned_vip_to_a_near_broadcast_mac_passes",
        arp_frame(1, kClientMac, kClient4, kZeroMac, kVip10, mac("ff:ff:ff:ff:ff:fe")), XDP_PASS,
        std::nullopt, {XVRRP_C_ARP_PASS_OTHER_DEST});
    add("arp_request_owned_vip_unicast_to_the_group_mac_is_answered",
        arp_frame(1, kClientMac, kClient4, kZeroMac, kVip10, kGroup10Mac), XDP_TX,
        arp_reply_from(kGroup10Mac, kVip10, kClientMac, kClient4), {XVRRP_C_ARP_REPLIED});
    add("arp_request_owned_vip_to_another_group_mac_passes",
        arp_frame(1, kClientMac, kClient4, kZeroMac, kVip10, kGroup20Mac), XDP_PASS, std::nullopt,
        {XVRRP_C_ARP_PASS_OTHER_DEST});
    add("arp_request_not_owned_vip_to_another_mac_is_still_dropped",
        arp_frame(1, kClientMac, kClient4, kZeroMac, kVip20, kOtherHost), XDP_DROP, std::nullopt,
        {XVRRP_C_ARP_DROP_NOT_OWNED});
    add("arp_request_stale_vip_to_another_mac_is_still_dropped",
        arp_frame(1, kClientMac, kClient4, kZeroMac, kVip30, kOtherHost), XDP_DROP, std::nullopt,
        {XVRRP_C_ARP_DROP_STALE});
    // An ARP request sent FROM an owned VIP by another MAC claims it: reported, never answered.
    add("arp_request_from_owned_vip_by_other_mac_is_a_conflict_not_answered",
        arp_frame(1, kIntruderMac, kVip10, kZeroMac, kClient4), XDP_DROP, std::nullopt,
        {XVRRP_C_ARP_SENDER_CONFLICT});
    add("arp_request_for_owned_vip_from_another_owned_vip_is_a_conflict_not_answered",
        arp_frame(1, kIntruderMac, kVip30, kZeroMac, kVip10), XDP_DROP, std::nullopt,
        {XVRRP_C_ARP_SENDER_CONFLICT});
    add("arp_request_from_owned_vip_by_our_mac_is_no_conflict",
        arp_frame(1, kGroup10Mac, kVip10, kZeroMac, kClient4), XDP_PASS, std::nullopt,
        {XVRRP_C_ARP_PASS_NON_VIP});
    add("arp_request_from_not_owned_vip_is_no_conflict",
        arp_frame(1, kIntruderMac, kVip20, kZeroMac, kVip10), XDP_TX,
        arp_reply_from(kGroup10Mac, kVip10, kIntruderMac, kVip20), {XVRRP_C_ARP_REPLIED});

    // 802.1Q: this program serves untagged frames; tagged ones are another segment's.
    add("vlan_tagged_arp_for_owned_vip_passes_untouched",
        f::ethernet(kBroadcast, kClientMac, f::kEthArp,
                    f::arp(1, kClientMac, kClient4, kZeroMac, kVip10), 100),
        XDP_PASS, std::nullopt, {XVRRP_C_VLAN, XVRRP_C_PASS_OTHER_VLAN});
    {
        Bytes qinq = f::ethernet(kBroadcast, kClientMac, 0x8100,
                                 {0x00, 0x64, 0x08, 0x06, 0, 1, 8, 0, 6, 4, 0, 1}, 200);
        add("qinq_passes_untouched", qinq, XDP_PASS, std::nullopt,
            {XVRRP_C_VLAN, XVRRP_C_PASS_OTHER_VLAN});
    }

    // IPv6 neighbour discovery (RFC 4861)
    add("ns_owned_vip_with_source_lladdr_is_answered", ns_request(kVip6_10), XDP_TX,
        na_reply(kGroup10Mac, kVip6_10, kClientMac, kClient6), {XVRRP_C_NS_REPLIED});
    add("ns_owned_vip_without_options_grows_into_na",
        ns_frame(kClient6, kVip6_10, kVip6_10, {}, 255, false, kGroup10Mac), XDP_TX,
        na_reply(kGroup10Mac, kVip6_10, kClientMac, kClient6), {XVRRP_C_NS_REPLIED});
    {
        Bytes opts = f::lladdr_option(1, kClientMac);
        Bytes nonce{14, 1, 1, 2, 3, 4, 5, 6};  // RFC 3971 nonce option
        opts.insert(opts.end(), nonce.begin(), nonce.end());
        add("ns_owned_vip_with_two_options_shrinks_into_na",
            ns_frame(kClient6, f::solicited_node(kVip6_10), kVip6_10, opts), XDP_TX,
            na_reply(kGroup10Mac, kVip6_10, kClientMac, kClient6), {XVRRP_C_NS_REPLIED});
        add("ns_dad_for_owned_vip_is_defended_to_all_nodes",
            ns_frame(kUnspecified6, f::solicited_node(kVip6_10), kVip6_10, nonce), XDP_TX,
            na_reply(kGroup10Mac, kVip6_10, mac("33:33:00:00:00:01"), kAllNodes6, kOverride),
            {XVRRP_C_NS_REPLIED});
    }
    add("ns_not_owned_vip_is_dropped", ns_request(kVip6_20), XDP_DROP, std::nullopt,
        {XVRRP_C_NS_DROP_NOT_OWNED});
    add("ns_owned_but_stale_gate_is_dropped", ns_request(kVip6_30), XDP_DROP, std::nullopt,
        {XVRRP_C_NS_DROP_STALE});
    add("ns_non_vip_passes", ns_request(kNonVip6), XDP_PASS, std::nullopt,
        {XVRRP_C_NS_PASS_NON_VIP});
    add("ns_bad_checksum_passes_to_the_kernel",
        ns_frame(kClient6, f::solicited_node(kVip6_10), kVip6_10, f::lladdr_option(1, kClientMac),
                 255, true),
        XDP_PASS, std::nullopt, {XVRRP_C_NS_PASS_MALFORMED});
    add("ns_hop_limit_64_passes_to_the_kernel",
        ns_frame(kClient6, f::solicited_node(kVip6_10), kVip6_10, f::lladdr_option(1, kClientMac),
                 64),
        XDP_PASS, std::nullopt, {XVRRP_C_NS_PASS_MALFORMED});
    // Issue 16: only an NS to the solicited-node MAC of its own target, or to the group's
    // MAC, is answered.
    add("ns_owned_vip_to_another_unicast_mac_passes",
        ns_frame(kClient6, kVip6_10, kVip6_10, f::lladdr_option(1, kClientMac), 255, false,
                 mac("02:00:00:00:00:77")),
        XDP_PASS, std::nullopt, {XVRRP_C_NS_PASS_OTHER_DEST});
    add("ns_owned_vip_to_another_targets_solicited_node_mac_passes",
        ns_frame(kClient6, f::solicited_node(kVip6_10), kVip6_10, f::lladdr_option(1, kClientMac),
                 255, false, f::multicast_mac(f::solicited_node(kNonVip6))),
        XDP_PASS, std::nullopt, {XVRRP_C_NS_PASS_OTHER_DEST});
    add("ns_owned_vip_to_the_all_nodes_mac_passes",
        ns_frame(kClient6, f::solicited_node(kVip6_10), kVip6_10, f::lladdr_option(1, kClientMac),
                 255, false, mac("33:33:00:00:00:01")),
        XDP_PASS, std::nullopt, {XVRRP_C_NS_PASS_OTHER_DEST});
    add("ns_owned_vip_unicast_to_the_group_mac_is_answered",
        ns_frame(kClient6, kVip6_10, kVip6_10, f::lladdr_option(1, kClientMac), 255, false,
                 kGroup10Mac),
        XDP_TX, na_reply(kGroup10Mac, kVip6_10, kClientMac, kClient6), {XVRRP_C_NS_REPLIED});
    add("ns_dad_to_another_mac_passes",
        ns_frame(kUnspecified6, f::solicited_node(kVip6_10), kVip6_10, {}, 255, false,
                 mac("02:00:00:00:00:77")),
        XDP_PASS, std::nullopt, {XVRRP_C_NS_PASS_OTHER_DEST});
    add("ns_not_owned_vip_to_another_mac_is_still_dropped",
        ns_frame(kClient6, kVip6_20, kVip6_20, f::lladdr_option(1, kClientMac), 255, false,
                 mac("02:00:00:00:00:77")),
        XDP_DROP, std::nullopt, {XVRRP_C_NS_DROP_NOT_OWNED});
    // An NS sent FROM an owned VIP by another station claims it: reported, never answered.
    add("ns_from_owned_vip_by_other_mac_is_a_conflict_not_answered",
        ns_frame(kVip6_10, f::solicited_node(kNonVip6), kNonVip6, f::lladdr_option(1, kClientMac)),
        XDP_DROP, std::nullopt, {XVRRP_C_NS_SENDER_CONFLICT});
    add("ns_for_owned_vip_from_another_owned_vip_is_a_conflict_not_answered",
        ns_frame(kVip6_30, f::solicited_node(kVip6_10), kVip6_10, f::lladdr_option(1, kClientMac)),
        XDP_DROP, std::nullopt, {XVRRP_C_NS_SENDER_CONFLICT});
    {
        const IpAddress dst = f::solicited_node(kNonVip6);
        Bytes icmp = f::icmpv6(kVip6_10, dst, 135, 0,
                               f::nd_body(0, kNonVip6, f::lladdr_option(1, kGroup10Mac)));
        add("ns_from_owned_vip_by_our_mac_is_no_conflict",
            f::ethernet(f::multicast_mac(dst), kGroup10Mac, f::kEthIpv6,
                        f::ipv6(kVip6_10, dst, f::kProtoIcmpv6, 255, icmp)),
            XDP_PASS, std::nullopt, {XVRRP_C_NS_PASS_NON_VIP});
    }
    add("ns_from_not_owned_vip_is_no_conflict",
        ns_frame(kVip6_20, f::solicited_node(kNonVip6), kNonVip6, f::lladdr_option(1, kClientMac)),
        XDP_PASS, std::nullopt, {XVRRP_C_NS_PASS_NON_VIP});
    add("na_owned_vip_other_mac_is_a_conflict",
        na_frame(kIntruderMac, mac("33:33:00:00:00:01"), ip("fe80::66"), kAllNodes6, kOverride,
                 kVip6_10, f::lladdr_option(2, kIntruderMac)),
        XDP_PASS, std::nullopt, {XVRRP_C_NA_PASS, XVRRP_C_NA_CONFLICT});
    add("na_owned_vip_our_mac_is_no_conflict",
        na_frame(kGroup10Mac, mac("33:33:00:00:00:01"), ip("fe80::a"), kAllNodes6, kOverride,
                 kVip6_10, f::lladdr_option(2, kGroup10Mac)),
        XDP_PASS, std::nullopt, {XVRRP_C_NA_PASS});
    // RFC 4861 section 7.1.1: the kernel silently discards these NS, so XDP must not answer
    // them either (found by the XDP fuzz harness, frames verbatim).
    add("ns_dad_to_a_unicast_destination_passes_to_the_kernel",
        from_hex("3333000000100200000000c186dd6000000000183aff0000000000000000000000000000000020010db8"
                 "00000000000000000000001087001d1b0000000020010db8000000000000000000000010"),
        XDP_PASS, std::nullopt, {XVRRP_C_NS_PASS_MALFORMED});
    add("ns_dad_with_source_lladdr_option_passes_to_the_kernel",
        from_hex("3333ff0000100200000000c186dd6000000000203aff00000000000000000000000000000000ff02"
                 "00000000000000000001ff000010870049050000000020010db80000000000000000000000100101"
                 "0200000000c1"),
        XDP_PASS, std::nullopt, {XVRRP_C_NS_PASS_MALFORMED});
    add("ns_option_of_length_0_passes_to_the_kernel",
        from_hex("3333ff0000100200000000c186dd6000000000203aff20010db80000000000000000000000c1ff02"
                 "00000000000000000001ff00001087001d4d0000000020010db80000000000000000000000100100"
                 "000000000000"),
        XDP_PASS, std::nullopt, {XVRRP_C_NS_PASS_MALFORMED});
    {
        Bytes past_end = f::lladdr_option(1, kClientMac);
        past_end[1] = 2;  // claims 16 bytes, the message holds 8
        add("ns_option_past_the_end_of_the_message_passes_to_the_kernel",
            ns_frame(kClient6, f::solicited_node(kVip6_10), kVip6_10, past_end), XDP_PASS,
            std::nullopt, {XVRRP_C_NS_PASS_MALFORMED});
        Bytes nonce{14, 1, 1, 2, 3, 4, 5, 6};
        Bytes five;  // four nonces, then the source link-layer address option
        for (int i = 0; i < 4; i++) five.insert(five.end(), nonce.begin(), nonce.end());
        Bytes slla = f::lladdr_option(1, kIntruderMac);
        five.insert(five.end(), slla.begin(), slla.end());
        add("ns_source_lladdr_as_fifth_option_is_answered_to_it",
            ns_frame(kClient6, f::solicited_node(kVip6_10), kVip6_10, five), XDP_TX,
            na_reply(kGroup10Mac, kVip6_10, kIntruderMac, kClient6), {XVRRP_C_NS_REPLIED});
        Bytes tlla = f::lladdr_option(2, kIntruderMac);
        five.resize(32);
        five.insert(five.end(), tlla.begin(), tlla.end());
        add("na_target_lladdr_as_fifth_option_is_a_conflict",
            na_frame(kIntruderMac, mac("33:33:00:00:00:01"), ip("fe80::66"), kAllNodes6, kOverride,
                     kVip6_10, five),
            XDP_PASS, std::nullopt, {XVRRP_C_NA_PASS, XVRRP_C_NA_CONFLICT});
    }
    // The target link-layer option sits after payload_len (padding): not part of the NA.
    add("na_option_in_trailing_padding_is_no_conflict",
        from_hex("33330000000102000000006686dd6000000000183aff20010db8000000000000000000000010ff02"
                 "00000000000000000000000000018800f8a72000000020010db80000000000000000000000100201"
                 "020000000066"),
        XDP_PASS, std::nullopt, {XVRRP_C_NA_PASS});
    add("ns_truncated_passes", truncate(ns_request(kVip6_10), 14 + 40 + 20), XDP_PASS,
        std::nullopt, {XVRRP_C_PASS_OTHER});

    // VRRP over IPv4 (RFC 3768 / RFC 5798 section 7.1)
    add("vrrp3_v4_valid_passes", vrrp4(advert(10)), XDP_PASS, std::nullopt, {XVRRP_C_VRRP_PASS});
    add("vrrp3_v4_v2_style_checksum_passes",
        vrrp4(with(advert(10), [](auto& v) { v.checksum = f::VrrpChecksum::V2Style; })), XDP_PASS,
        std::nullopt, {XVRRP_C_VRRP_PASS});
    add("vrrp2_v4_valid_passes", vrrp4(advert(20, 2, {kVip20, kVip10})), XDP_PASS, std::nullopt,
        {XVRRP_C_VRRP_PASS});
    add("vrrp3_v4_with_ip_options_passes",
        vrrp4(advert(10), kPeer4, kVrrpGroup4, {.ttl = 255, .options = {0x94, 0x04, 0, 0}}),
        XDP_PASS, std::nullopt, {XVRRP_C_VRRP_PASS});
    add("vrrp3_v4_padded_frame_passes", pad_to(vrrp4(advert(10)), 60), XDP_PASS, std::nullopt,
        {XVRRP_C_VRRP_PASS});
    add("vrrp3_v4_unicast_from_peer_ttl_64_passes",
        vrrp4(advert(40), kPeer4, ip("192.0.2.5"), {.ttl = 64}), XDP_PASS, std::nullopt,
        {XVRRP_C_VRRP_PASS});
    add("vrrp_v4_ttl_64_multicast_dropped",
        vrrp4(advert(10), kPeer4, kVrrpGroup4, {.ttl = 64}), XDP_DROP, std::nullopt,
        {drop_reason(XVRRP_REASON_BAD_TTL)});
    add("vrrp_v4_version_4_dropped", vrrp4(advert(10, 4)), XDP_DROP, std::nullopt,
        {drop_reason(XVRRP_REASON_BAD_VERSION)});
    add("vrrp2_for_v3_only_vrid_dropped", vrrp4(advert(10, 2)), XDP_DROP, std::nullopt,
        {drop_reason(XVRRP_REASON_VERSION_MISMATCH)});
    add("vrrp3_for_v2_only_vrid_dropped", vrrp4(advert(30, 3)), XDP_DROP, std::nullopt,
        {drop_reason(XVRRP_REASON_VERSION_MISMATCH)});
    add("vrrp_type_2_dropped", vrrp4(with(advert(10), [](auto& v) { v.type = 2; })), XDP_DROP,
        std::nullopt, {drop_reason(XVRRP_REASON_BAD_TYPE)});
    add("vrrp_zero_addresses_dropped", vrrp4(advert(10, 3, {})), XDP_DROP, std::nullopt,
        {drop_reason(XVRRP_REASON_BAD_ADDR_COUNT)});
    add("vrrp_count_exceeds_addresses_dropped",
        vrrp4(with(advert(10), [](auto& v) { v.count_override = 2; })), XDP_DROP, std::nullopt,
        {drop_reason(XVRRP_REASON_BAD_LENGTH)});
    add("vrrp_trailing_bytes_dropped",
        vrrp4(with(advert(10), [](auto& v) { v.trailing_bytes = 4; })), XDP_DROP, std::nullopt,
        {drop_reason(XVRRP_REASON_BAD_LENGTH)});
    add("vrrp2_missing_auth_data_dropped",
        vrrp4(with(advert(20, 2), [](auto& v) { v.count_override = 3; })), XDP_DROP, std::nullopt,
        {drop_reason(XVRRP_REASON_BAD_LENGTH)});
    add("vrrp_bad_checksum_dropped",
        vrrp4(with(advert(10), [](auto& v) { v.checksum = f::VrrpChecksum::Bad; })), XDP_DROP,
        std::nullopt, {drop_reason(XVRRP_REASON_BAD_CHECKSUM)});
    // Another daemon's VRRP (a VRID no config here serves) is never judged, even when it
    // would fail every check: the platform's keepalived must hear its peers.
    add("vrrp_foreign_vrid_passes_untouched", vrrp4(advert(99)), XDP_PASS, std::nullopt,
        {XVRRP_C_VRRP_PASS_FOREIGN});
    add("vrrp_vrid_0_passes_untouched", vrrp4(advert(0)), XDP_PASS, std::nullopt,
        {XVRRP_C_VRRP_PASS_FOREIGN});
    add("vrrp_foreign_vrid_bad_checksum_passes_untouched",
        vrrp4(with(advert(99), [](auto& v) { v.checksum = f::VrrpChecksum::Bad; })), XDP_PASS,
        std::nullopt, {XVRRP_C_VRRP_PASS_FOREIGN});
    add("vrrp_foreign_vrid_ttl_1_passes_untouched",
        vrrp4(advert(99), kPeer4, kVrrpGroup4, {.ttl = 1}), XDP_PASS, std::nullopt,
        {XVRRP_C_VRRP_PASS_FOREIGN});
    add("vrrp_foreign_vrid_from_stranger_passes_untouched", vrrp4(advert(99, 2), kStranger4),
        XDP_PASS, std::nullopt, {XVRRP_C_VRRP_PASS_FOREIGN});
    add("vrrp_foreign_vrid_version_4_passes_untouched", vrrp4(advert(99, 4)), XDP_PASS,
        std::nullopt, {XVRRP_C_VRRP_PASS_FOREIGN});
    add("vrrp6_foreign_vrid_passes_untouched", vrrp6(advert(99, 3, {kVip6_10})), XDP_PASS,
        std::nullopt, {XVRRP_C_VRRP_PASS_FOREIGN});
    add("vrrp6_foreign_vrid_bad_hop_limit_passes_untouched",
        vrrp6(advert(99, 3, {kVip6_10}), kLinkLocalPeer6, kVrrpGroup6, 1), XDP_PASS,
        std::nullopt, {XVRRP_C_VRRP_PASS_FOREIGN});
    // A later fragment has no VRRP header to read a VRID from: not ours to judge.
    add("vrrp_later_fragment_passes_unattributed",
        vrrp4(advert(10), kPeer4, kVrrpGroup4, {.ttl = 255, .frag_off = 0x0010}), XDP_PASS,
        std::nullopt, {XVRRP_C_VRRP_PASS_UNATTRIBUTED});
    add("vrrp_unicast_from_stranger_dropped", vrrp4(advert(40), kStranger4), XDP_DROP,
        std::nullopt, {drop_reason(XVRRP_REASON_NOT_A_PEER)});
    add("vrrp_from_unspecified_source_dropped", vrrp4(advert(10), ip("0.0.0.0")), XDP_DROP,
        std::nullopt, {drop_reason(XVRRP_REASON_BAD_SOURCE)});
    add("vrrp_from_multicast_source_dropped", vrrp4(advert(10), ip("224.0.0.5")), XDP_DROP,
        std::nullopt, {drop_reason(XVRRP_REASON_BAD_SOURCE)});
    add("vrrp_fragment_more_fragments_dropped",
        vrrp4(advert(10), kPeer4, kVrrpGroup4, {.ttl = 255, .frag_off = 0x2000}), XDP_DROP,
        std::nullopt, {drop_reason(XVRRP_REASON_FRAGMENT)});
    add("vrrp_dont_fragment_flag_passes",
        vrrp4(advert(10), kPeer4, kVrrpGroup4, {.ttl = 255, .frag_off = 0x4000}), XDP_PASS,
        std::nullopt, {XVRRP_C_VRRP_PASS});
    add("vrrp_total_length_below_header_dropped",
        vrrp4(advert(10), kPeer4, kVrrpGroup4, {.ttl = 255, .total_length_override = 16}),
        XDP_DROP, std::nullopt, {drop_reason(XVRRP_REASON_BAD_IP_HEADER)});
    add("vrrp_total_length_beyond_frame_dropped",
        vrrp4(advert(10), kPeer4, kVrrpGroup4, {.ttl = 255, .total_length_override = 200}),
        XDP_DROP, std::nullopt, {drop_reason(XVRRP_REASON_TRUNCATED)});
    add("vrrp_shorter_than_its_header_dropped",
        truncate(vrrp4(advert(10), kPeer4, kVrrpGroup4, {.ttl = 255, .total_length_override = 24}),
                 14 + 24),
        XDP_DROP, std::nullopt, {drop_reason(XVRRP_REASON_TRUNCATED)});
    add("vrrp_longer_than_any_advert_dropped",
        vrrp4(with(advert(10), [](auto& v) { v.trailing_bytes = 1100; })), XDP_DROP, std::nullopt,
        {drop_reason(XVRRP_REASON_BAD_LENGTH)});
    add("vrrp2_with_255_addresses_passes", vrrp4(advert(20, 2, std::vector<IpAddress>(255, kVip20))),
        XDP_PASS, std::nullopt, {XVRRP_C_VRRP_PASS});
    add("ipv4_header_length_below_5_passes_to_the_kernel",
        vrrp4(advert(10), kPeer4, kVrrpGroup4, {.ttl = 255, .ihl_override = 4}), XDP_PASS,
        std::nullopt, {XVRRP_C_PASS_OTHER});

    // VRRP over IPv6 (RFC 5798)
    add("vrrp3_v6_valid_passes", vrrp6(advert(10, 3, {kVip6_10})), XDP_PASS, std::nullopt,
        {XVRRP_C_VRRP_PASS});
    add("vrrp3_v6_v2_style_checksum_passes",
        vrrp6(with(advert(10, 3, {kVip6_10}),
                   [](auto& v) { v.checksum = f::VrrpChecksum::V2Style; })),
        XDP_PASS, std::nullopt, {XVRRP_C_VRRP_PASS});
    add("vrrp3_v6_with_200_addresses_passes",
        vrrp6(advert(10, 3, std::vector<IpAddress>(200, kVip6_10))), XDP_PASS, std::nullopt,
        {XVRRP_C_VRRP_PASS});
    add("vrrp3_v6_hop_limit_64_dropped",
        vrrp6(advert(10, 3, {kVip6_10}), kLinkLocalPeer6, kVrrpGroup6, 64), XDP_DROP,
        std::nullopt, {drop_reason(XVRRP_REASON_BAD_TTL)});
    add("vrrp2_over_ipv6_dropped", vrrp6(advert(20, 2, {kVip6_20})), XDP_DROP, std::nullopt,
        {drop_reason(XVRRP_REASON_BAD_VERSION)});
    add("vrrp3_v6_bad_checksum_dropped",
        vrrp6(with(advert(10, 3, {kVip6_10}), [](auto& v) { v.checksum = f::VrrpChecksum::Bad; })),
        XDP_DROP, std::nullopt, {drop_reason(XVRRP_REASON_BAD_CHECKSUM)});
    add("vrrp3_v6_ipv4_sized_addresses_dropped",
        vrrp6(advert(10, 3, {kVip10, kVip10, kVip10, kVip10})), XDP_DROP, std::nullopt,
        {drop_reason(XVRRP_REASON_BAD_LENGTH)});
    add("vrrp3_v6_unicast_from_peer_passes",
        vrrp6(advert(40, 3, {kVip6_10}), kPeer6, ip("2001:db8::5"), 64), XDP_PASS, std::nullopt,
        {XVRRP_C_VRRP_PASS});
    add("vrrp3_v6_unicast_from_stranger_dropped",
        vrrp6(advert(40, 3, {kVip6_10}), kStranger6, ip("2001:db8::5"), 64), XDP_DROP,
        std::nullopt, {drop_reason(XVRRP_REASON_NOT_A_PEER)});
    add("vrrp3_v6_payload_beyond_frame_dropped",
        f::ethernet(f::multicast_mac(kVrrpGroup6), kClientMac, f::kEthIpv6,
                    f::ipv6(kLinkLocalPeer6, kVrrpGroup6, f::kProtoVrrp, 255,
                            f::vrrp(advert(10, 3, {kVip6_10}), kLinkLocalPeer6, kVrrpGroup6), 64)),
        XDP_DROP, std::nullopt, {drop_reason(XVRRP_REASON_TRUNCATED)});

    // Everything else passes byte-for-byte.
    Bytes udp{0x30, 0x39, 0x00, 0x35, 0x00, 0x0c, 0x00, 0x00, 'x', 'v', 'r', 'p'};
    Bytes tcp(20, 0);
    tcp[12] = 0x50;
    Bytes echo{8, 0, 0xf7, 0xff, 0, 0, 0, 0};
    add("udp_v4_passes_untouched",
        f::ethernet(kGroup10Mac, kClientMac, f::kEthIpv4, f::ipv4(kClient4, kVip10, 17, udp)),
        XDP_PASS, std::nullopt, {XVRRP_C_PASS_OTHER});
    add("tcp_v4_passes_untouched",
        f::ethernet(kGroup10Mac, kClientMac, f::kEthIpv4, f::ipv4(kClient4, kVip10, 6, tcp)),
        XDP_PASS, std::nullopt, {XVRRP_C_PASS_OTHER});
    add("icmp_echo_v4_passes_untouched",
        f::ethernet(kGroup10Mac, kClientMac, f::kEthIpv4, f::ipv4(kClient4, kVip10, 1, echo)),
        XDP_PASS, std::nullopt, {XVRRP_C_PASS_OTHER});
    add("udp_fragment_passes_untouched",
        f::ethernet(kGroup10Mac, kClientMac, f::kEthIpv4,
                    f::ipv4(kClient4, kVip10, 17, udp, {.frag_off = 0x2000})),
        XDP_PASS, std::nullopt, {XVRRP_C_PASS_OTHER});
    add("udp_v4_with_ip_options_passes_untouched",
        f::ethernet(kGroup10Mac, kClientMac, f::kEthIpv4,
                    f::ipv4(kClient4, kVip10, 17, udp, {.options = {1, 1, 1, 0}})),
        XDP_PASS, std::nullopt, {XVRRP_C_PASS_OTHER});
    add("udp_v6_passes_untouched",
        f::ethernet(kGroup10Mac, kClientMac, f::kEthIpv6, f::ipv6(kClient6, kVip6_10, 17, 64, udp)),
        XDP_PASS, std::nullopt, {XVRRP_C_PASS_OTHER});
    add("icmpv6_echo_passes_untouched",
        f::ethernet(kGroup10Mac, kClientMac, f::kEthIpv6,
                    f::ipv6(kClient6, kVip6_10, f::kProtoIcmpv6, 64,
                            f::icmpv6(kClient6, kVip6_10, 128, 0, {0, 1, 0, 1}))),
        XDP_PASS, std::nullopt, {XVRRP_C_PASS_OTHER});
    add("lldp_passes_untouched",
        f::ethernet(mac("01:80:c2:00:00:0e"), kClientMac, 0x88cc, Bytes(46, 0)), XDP_PASS,
        std::nullopt, {XVRRP_C_PASS_OTHER});
    add("bare_ethernet_header_passes", f::ethernet(kBroadcast, kClientMac, f::kEthIpv4, {}),
        XDP_PASS, std::nullopt, {XVRRP_C_PASS_OTHER});
    return t;
}

std::string hex(const Bytes& b) {
    std::string s;
    char buf[4];
    for (std::size_t i = 0; i < b.size(); ++i) {
        std::snprintf(buf, sizeof buf, "%02x", b[i]);
        s += buf;
        if (i % 16 == 15) s += '\n';
        else if (i % 2 == 1) s += ' ';
    }
    return s;
}

const char* verdict_name(int v) {
    switch (v) {
        case XDP_ABORTED: return "XDP_ABORTED";
        case XDP_DROP: return "XDP_DROP";
        case XDP_PASS: return "XDP_PASS";
        case XDP_TX: return "XDP_TX";
        case XDP_REDIRECT: return "XDP_REDIRECT";
    }
    return "?";
}

// Checks one frame against its fixture: verdict, output bytes and the exact counter deltas.
void expect_fixture(ProgramUnderTest& p, const Fixture& fx) {
    auto before = p.counters();
    RunResult r = p.run(fx.in);
    auto after = p.counters();
    EXPECT_STREQ(verdict_name(r.verdict), verdict_name(fx.verdict));
    const Bytes& want = fx.out ? *fx.out : fx.in;
    EXPECT_EQ(r.out, want) << "output:\n" << hex(r.out) << "\nexpected:\n" << hex(want);
    std::map<int, std::uint64_t> expected{{XVRRP_C_PACKETS, 1}};
    for (int c : fx.counters) expected[c] += 1;
    for (int i = 0; i < XVRRP_C_COUNT; ++i) {
        std::uint64_t want_delta = expected.count(i) ? expected[i] : 0;
        EXPECT_EQ(after[static_cast<std::size_t>(i)] - before[static_cast<std::size_t>(i)],
                  want_delta)
            << "counter " << counter_name(i);
    }
}

class XdpFixture : public ::testing::TestWithParam<Fixture> {};

TEST_P(XdpFixture, VerdictOutputAndCounters) {
    ProgramUnderTest p;
    build_world(p);
    expect_fixture(p, GetParam());
}

INSTANTIATE_TEST_SUITE_P(Table, XdpFixture, ::testing::ValuesIn(fixtures()),
                         [](const auto& info) { return info.param.name; });

// ---- truncation at every length (one process per series: each length is a fixture) ----------

// BPF_PROG_TEST_RUN refuses frames under 14 bytes, so every series starts at a bare header.
std::vector<Fixture> truncations() {
    std::vector<Fixture> t;
    Bytes arp = arp_request(kVip10);
    for (std::size_t n = 14; n < arp.size(); ++n)
        t.push_back({"arp_" + std::to_string(n), truncate(arp, n), XDP_PASS, std::nullopt,
                     {XVRRP_C_ARP_PASS_MALFORMED}});
    // No IPv6 header or no whole NS: not ours to judge. The option cut short: the payload
    // length lies and the kernel drops it.
    Bytes ns = ns_request(kVip6_10);
    for (std::size_t n = 14; n < ns.size(); ++n)
        t.push_back({"ns_" + std::to_string(n), truncate(ns, n), XDP_PASS, std::nullopt,
                     {n < 14 + 40 + 24 ? XVRRP_C_PASS_OTHER : XVRRP_C_NS_PASS_MALFORMED}});
    // Before a whole IP header the advert is not parsed as VRRP; without the VRID byte it
    // cannot be attributed to a config and passes untouched; after, its length promises more
    // than the frame holds. Likewise for a foreign VRID, which passes at every length.
    auto advert_series = [&](const std::string& name, const Bytes& frame, std::size_t ip_header,
                             bool ours) {
        for (std::size_t n = 14; n < frame.size(); ++n) {
            const std::size_t vrrp_at = 14 + ip_header;
            int counter = n < vrrp_at       ? int{XVRRP_C_PASS_OTHER}
                          : n < vrrp_at + 2 ? int{XVRRP_C_VRRP_PASS_UNATTRIBUTED}
                          : ours            ? drop_reason(XVRRP_REASON_TRUNCATED)
                                            : int{XVRRP_C_VRRP_PASS_FOREIGN};
            t.push_back({name + "_" + std::to_string(n), truncate(frame, n),
                         counter == drop_reason(XVRRP_REASON_TRUNCATED) ? XDP_DROP : XDP_PASS,
                         std::nullopt, {counter}});
        }
    };
    advert_series("vrrp4", vrrp4(advert(10)), 20, true);
    advert_series("vrrp6", vrrp6(advert(10, 3, {kVip6_10})), 40, true);
    advert_series("vrrp4_foreign", vrrp4(advert(99)), 20, false);
    advert_series("vrrp6_foreign", vrrp6(advert(99, 3, {kVip6_10})), 40, false);
    return t;
}

TEST(Truncation, EveryLengthOfArpNsAndAdvertsIsHandled) {
    ProgramUnderTest p;
    build_world(p);
    for (const auto& fx : truncations()) {
        SCOPED_TRACE(fx.name + " bytes");
        expect_fixture(p, fx);
    }
}

TEST(Counters, TruncationCoversTheTruncatedReason) {
    bool found = false;
    for (const auto& fx : truncations())
        for (int c : fx.counters) found = found || c == drop_reason(XVRRP_REASON_TRUNCATED);
    EXPECT_TRUE(found);
}

// ---- stateful cases -------------------------------------------------------------------------

TEST(LivenessGate, StaleHeartbeatStopsAnswersAndFreshOneResumesThem) {
    ProgramUnderTest p;
    build_world(p);
    Bytes reply = arp_reply_from(kGroup10Mac, kVip10, kClientMac, kClient4);
    p.set_heartbeat_ns(0);  // never written: a controller that never came up
    expect_fixture(p, {"never", arp_request(kVip10), XDP_DROP, std::nullopt,
                       {XVRRP_C_ARP_DROP_STALE}});
    p.set_heartbeat_ns(ProgramUnderTest::monotonic_ns() - kMasterDownNs - 100'000'000);
    expect_fixture(p, {"older", arp_request(kVip10), XDP_DROP, std::nullopt,
                       {XVRRP_C_ARP_DROP_STALE}});
    expect_fixture(p, {"ns", ns_request(kVip6_10), XDP_DROP, std::nullopt,
                       {XVRRP_C_NS_DROP_STALE}});
    p.set_heartbeat_ns(ProgramUnderTest::monotonic_ns() - kMasterDownNs + 1'000'000'000);
    expect_fixture(p, {"younger", arp_request(kVip10), XDP_TX, reply, {XVRRP_C_ARP_REPLIED}});
    // A stamp a hair ahead of the program's clock (its NMI-safe copy lags CLOCK_MONOTONIC by
    // microseconds): within XVRRP_HEARTBEAT_FUTURE_SLACK_NS, fresh.
    p.set_heartbeat_ns(ProgramUnderTest::monotonic_ns() + 100'000);
    expect_fixture(p, {"just_ahead", arp_request(kVip10), XDP_TX, reply, {XVRRP_C_ARP_REPLIED}});
}

// Issue 16: a heartbeat "from the future" is garbage (a corrupted slot, another clock, another
// boot); it would otherwise hold the gate open until the clock caught up with it.
TEST(LivenessGate, HeartbeatFromTheFutureClosesTheGate) {
    ProgramUnderTest p;
    build_world(p);
    for (std::uint64_t ahead : std::vector<std::uint64_t>{XVRRP_HEARTBEAT_FUTURE_SLACK_NS + 50'000'000,
                                                          10'000'000'000, kMasterDownNs * 1000}) {
        SCOPED_TRACE(std::to_string(ahead) + " ns ahead");
        p.set_heartbeat_ns(ProgramUnderTest::monotonic_ns() + ahead);
        expect_fixture(p, {"arp", arp_request(kVip10), XDP_DROP, std::nullopt,
                           {XVRRP_C_ARP_DROP_STALE}});
        expect_fixture(p, {"ns", ns_request(kVip6_10), XDP_DROP, std::nullopt,
                           {XVRRP_C_NS_DROP_STALE}});
    }
    p.set_heartbeat_ns(~0ull);
    expect_fixture(p, {"max", arp_request(kVip10), XDP_DROP, std::nullopt,
                       {XVRRP_C_ARP_DROP_STALE}});
    p.set_heartbeat_ns(ProgramUnderTest::monotonic_ns());  // a sane stamp opens it again
    expect_fixture(p, {"now", arp_request(kVip10), XDP_TX,
                       arp_reply_from(kGroup10Mac, kVip10, kClientMac, kClient4),
                       {XVRRP_C_ARP_REPLIED}});
}

// Repeat absorption (abi.h xvrrp_advert_filter): with a group's filter armed, a valid advert
// identical in header, length and source is stamped and dropped; everything else passes, and
// nothing is absorbed before it passed every check.
TEST(AdvertAbsorption, OnlyValidExactRepeatsOfTheArmedAdvertAreStampedAndDropped) {
    ProgramUnderTest p;
    build_world(p);
    auto delta = [&](const Bytes& frame, int want_verdict, xvrrp_counter want_counter) {
        auto before = p.counters();
        auto r = p.run(frame);
        auto after = p.counters();
        EXPECT_EQ(r.verdict, want_verdict);
        EXPECT_EQ(after[want_counter] - before[want_counter], 1u) << counter_name(want_counter);
    };
    const f::Vrrp v = advert(10);
    const Bytes frame = vrrp4(v);
    delta(frame, XDP_PASS, XVRRP_C_VRRP_PASS);  // not armed
    EXPECT_EQ(p.seen(false, 10).count, 0u);

    p.arm_filter(kPeer4, f::vrrp(v, kPeer4, kVrrpGroup4));
    const std::uint64_t t0 = ProgramUnderTest::monotonic_ns();
    delta(frame, XDP_DROP, XVRRP_C_VRRP_ABSORBED);
    const auto s = p.seen(false, 10);
    EXPECT_EQ(s.count, 1u);
    EXPECT_GE(s.ns, t0);
    EXPECT_LE(s.ns, ProgramUnderTest::monotonic_ns());

    // News always passes: another priority, another interval, another sender, another list.
    delta(vrrp4(with(v, [](f::Vrrp& x) { x.priority = 101; })), XDP_PASS, XVRRP_C_VRRP_PASS);
    delta(vrrp4(with(v, [](f::Vrrp& x) { x.interval = 200; })), XDP_PASS, XVRRP_C_VRRP_PASS);
    delta(vrrp4(v, kStranger4), XDP_PASS, XVRRP_C_VRRP_PASS);
    delta(vrrp4(with(v, [](f::Vrrp& x) { x.addresses = {kVip20}; })), XDP_PASS, XVRRP_C_VRRP_PASS);
    // Same header, a corrupted address: the checksum check comes first.
    Bytes corrupt = frame;
    corrupt.at(14 + 20 + 8) ^= 0x01;  // the first address byte (Ethernet, IPv4, VRRP header)
    delta(corrupt, XDP_DROP,
          static_cast<xvrrp_counter>(int{XVRRP_C_VRRP_DROP_BASE} + int{XVRRP_REASON_BAD_CHECKSUM}));
    EXPECT_EQ(p.seen(false, 10).count, 1u);

    // Unicast: a TTL the controller would refuse is never absorbed.
    const f::Vrrp u = advert(40);
    const IpAddress us = ip("192.0.2.50");
    p.arm_filter(kPeer4, f::vrrp(u, kPeer4, us));
    delta(vrrp4(u, kPeer4, us, {.ttl = 255}), XDP_DROP, XVRRP_C_VRRP_ABSORBED);
    delta(vrrp4(u, kPeer4, us, {.ttl = 254}), XDP_PASS, XVRRP_C_VRRP_PASS);

    // IPv6 has its own slots: the IPv4 filter of VRID 10 does not absorb an IPv6 advert.
    const f::Vrrp v6 = advert(10, 3, {kVip6_10});
    const Bytes frame6 = vrrp6(v6);
    delta(frame6, XDP_PASS, XVRRP_C_VRRP_PASS);
    p.arm_filter(kLinkLocalPeer6, f::vrrp(v6, kLinkLocalPeer6, kVrrpGroup6));
    delta(frame6, XDP_DROP, XVRRP_C_VRRP_ABSORBED);
    delta(vrrp6(v6, ip("fe80::3")), XDP_PASS, XVRRP_C_VRRP_PASS);
    EXPECT_EQ(p.seen(true, 10).count, 1u);

    p.disarm_filter(false, 10);
    delta(frame, XDP_PASS, XVRRP_C_VRRP_PASS);
    EXPECT_EQ(p.seen(false, 10).count, 1u);
}

TEST(Ownership, OneGroupWriteFlipsEveryVipOfTheGroup) {
    ProgramUnderTest p;
    build_world(p);
    std::vector<IpAddress> vips;
    for (int i = 0; i < 200; ++i) {
        vips.push_back(IpAddress::v4(0xc6120000u + static_cast<std::uint32_t>(i)));  // 198.18.0.x
        p.add_vip(vips.back(), 10);
    }
    for (const auto& v : vips) ASSERT_EQ(p.run(arp_request(v)).verdict, XDP_TX) << v.to_string();
    p.set_group(10, false, kGroup10Mac, kMasterDownNs);
    for (const auto& v : vips) ASSERT_EQ(p.run(arp_request(v)).verdict, XDP_DROP) << v.to_string();
}

TEST(ConflictRing, ConflictingGratuitousArpAndNaAreQueuedForTheController) {
    ProgramUnderTest p;
    build_world(p);
    std::vector<xvrrp_conflict> seen;
    auto on_event = [](void* ctx, void* data, size_t size) -> int {
        if (size != sizeof(xvrrp_conflict)) return -1;
        static_cast<std::vector<xvrrp_conflict>*>(ctx)->push_back(
            *static_cast<xvrrp_conflict*>(data));
        return 0;
    };
    ring_buffer* rb = ring_buffer__new(p.conflicts_fd(), on_event, &seen, nullptr);
    ASSERT_NE(rb, nullptr);
    p.run(arp_frame(1, kIntruderMac, kVip10, kZeroMac, kVip10));
    p.run(arp_frame(1, kGroup10Mac, kVip10, kZeroMac, kVip10));  // ours: no event
    p.run(na_frame(kIntruderMac, mac("33:33:00:00:00:01"), ip("fe80::66"), kAllNodes6, kOverride,
                   kVip6_10, f::lladdr_option(2, kIntruderMac)));
    // Issue 16: requests sent from an owned VIP by another station.
    EXPECT_EQ(p.run(arp_frame(1, kIntruderMac, kVip10, kZeroMac, kClient4)).verdict, XDP_DROP);
    EXPECT_EQ(p.run(arp_frame(1, kGroup10Mac, kVip10, kZeroMac, kClient4)).verdict, XDP_PASS);
    EXPECT_EQ(p.run(ns_frame(kVip6_10, f::solicited_node(kNonVip6), kNonVip6,
                             f::lladdr_option(1, kClientMac)))
                  .verdict,
              XDP_DROP);
    EXPECT_EQ(ring_buffer__consume(rb), 4);
    ring_buffer__free(rb);
    ASSERT_EQ(seen.size(), 4u);
    EXPECT_EQ(seen[2].family, 4);
    EXPECT_EQ(seen[2].vrid, 10);
    EXPECT_EQ(f::Mac(std::to_array(seen[2].mac)), kIntruderMac);
    EXPECT_EQ(IpAddress::v4_bytes(seen[2].addr), kVip10);
    EXPECT_EQ(seen[3].family, 6);
    EXPECT_EQ(seen[3].vrid, 10);
    EXPECT_EQ(f::Mac(std::to_array(seen[3].mac)), kClientMac);  // the NS's Ethernet source
    {
        std::array<std::uint8_t, 16> a;
        std::copy(std::begin(seen[3].addr), std::end(seen[3].addr), a.begin());
        EXPECT_EQ(IpAddress::v6(a), kVip6_10);
    }
    EXPECT_EQ(seen[0].family, 4);
    EXPECT_EQ(seen[0].vrid, 10);
    EXPECT_EQ(f::Mac(std::to_array(seen[0].mac)), kIntruderMac);
    EXPECT_EQ(IpAddress::v4_bytes(seen[0].addr), kVip10);
    EXPECT_EQ(seen[1].family, 6);
    std::array<std::uint8_t, 16> a6;
    std::copy(std::begin(seen[1].addr), std::end(seen[1].addr), a6.begin());
    EXPECT_EQ(IpAddress::v6(a6), kVip6_10);
}

// Two configs share one program (abi.h, xvrrp_config_slot): each config's heartbeat gates its
// own groups only, unicast peers are per config, and conflicts go to the owning config's ring.
TEST(SharedProgram, EachConfigHasItsOwnGateItsOwnPeersAndItsOwnRing) {
    ProgramUnderTest p;
    build_world(p);  // config 0
    const f::Mac mac50 = mac("02:00:5e:00:01:32");
    const IpAddress vip50 = ip("192.0.2.50");
    p.set_group(50, true, mac50, kMasterDownNs, 1);
    p.add_vip(vip50, 50);
    p.set_vrid(50, XVRRP_VERSION_3, true, 1);
    p.add_peer(kStranger4, 1);
    const Bytes reply10 = arp_reply_from(kGroup10Mac, kVip10, kClientMac, kClient4);
    const Bytes reply50 = arp_reply_from(mac50, vip50, kClientMac, kClient4);

    p.set_heartbeat_ns(0, 1);  // config 1's controller is dead, config 0's alive
    expect_fixture(p, {"cfg1_dead_its_vip", arp_request(vip50), XDP_DROP, std::nullopt,
                       {XVRRP_C_ARP_DROP_STALE}});
    expect_fixture(p, {"cfg1_dead_cfg0_vip", arp_request(kVip10), XDP_TX, reply10,
                       {XVRRP_C_ARP_REPLIED}});
    p.set_heartbeat_ns(ProgramUnderTest::monotonic_ns(), 1);
    p.set_heartbeat_ns(0, 0);  // and the other way round
    expect_fixture(p, {"cfg0_dead_cfg1_vip", arp_request(vip50), XDP_TX, reply50,
                       {XVRRP_C_ARP_REPLIED}});
    expect_fixture(p, {"cfg0_dead_its_vip", arp_request(kVip10), XDP_DROP, std::nullopt,
                       {XVRRP_C_ARP_DROP_STALE}});

    // kPeer4 is config 0's peer, kStranger4 config 1's: each VRID accepts its own config's.
    expect_fixture(p, {"vrid50_from_cfg0_peer", vrrp4(advert(50, 3, {vip50}), kPeer4), XDP_DROP,
                       std::nullopt, {drop_reason(XVRRP_REASON_NOT_A_PEER)}});
    expect_fixture(p, {"vrid50_from_cfg1_peer", vrrp4(advert(50, 3, {vip50}), kStranger4),
                       XDP_PASS, std::nullopt, {XVRRP_C_VRRP_PASS}});
    expect_fixture(p, {"vrid40_from_cfg1_peer", vrrp4(advert(40), kStranger4), XDP_DROP,
                       std::nullopt, {drop_reason(XVRRP_REASON_NOT_A_PEER)}});

    int events[2] = {0, 0};
    auto on_event = [](void* ctx, void*, size_t) -> int {
        ++*static_cast<int*>(ctx);
        return 0;
    };
    ring_buffer* rb0 = ring_buffer__new(p.conflicts_fd(0), on_event, &events[0], nullptr);
    ring_buffer* rb1 = ring_buffer__new(p.conflicts_fd(1), on_event, &events[1], nullptr);
    ASSERT_NE(rb0, nullptr);
    ASSERT_NE(rb1, nullptr);
    p.run(arp_frame(1, kIntruderMac, vip50, kZeroMac, vip50));
    EXPECT_EQ(ring_buffer__consume(rb0), 0);
    EXPECT_EQ(ring_buffer__consume(rb1), 1);
    ring_buffer__free(rb0);
    ring_buffer__free(rb1);
    EXPECT_EQ(events[0], 0);
    EXPECT_EQ(events[1], 1);
}

// 802.1Q: the program serves its own interface's segment, untagged or priority-tagged (VLAN ID
// 0, kept in the reply); a frame with a VLAN ID is a VLAN device's, whose own program sees it
// untagged, and passes untouched whatever it is (issue 16: there is no load-time VLAN any more).
TEST(VlanTags, PriorityTagIsServedAndKeptAnyVlanIdPassesUntouched) {
    ProgramUnderTest p;
    build_world(p);
    auto tagged = [](std::uint16_t tci, const Bytes& untagged) {
        Bytes b = untagged;
        const std::uint8_t tag[4] = {0x81, 0x00, static_cast<std::uint8_t>(tci >> 8),
                                     static_cast<std::uint8_t>(tci)};
        b.insert(b.begin() + 12, std::begin(tag), std::end(tag));
        return b;
    };
    Bytes reply = arp_reply_from(kGroup10Mac, kVip10, kClientMac, kClient4);
    expect_fixture(p, {"priority_tag_arp", tagged(0xa000, arp_request(kVip10)), XDP_TX,
                       tagged(0xa000, reply), {XVRRP_C_VLAN, XVRRP_C_ARP_REPLIED}});
    expect_fixture(p, {"priority_tag_ns", tagged(0x0000, ns_request(kVip6_10)), XDP_TX,
                       tagged(0x0000, na_reply(kGroup10Mac, kVip6_10, kClientMac, kClient6)),
                       {XVRRP_C_VLAN, XVRRP_C_NS_REPLIED}});
    expect_fixture(p, {"priority_tag_bad_ttl",
                       tagged(0, vrrp4(advert(10), kPeer4, kVrrpGroup4, {.ttl = 1})), XDP_DROP,
                       std::nullopt, {XVRRP_C_VLAN, drop_reason(XVRRP_REASON_BAD_TTL)}});
    for (std::uint16_t vid : {1, 100, 4095}) {
        SCOPED_TRACE("VLAN " + std::to_string(vid));
        expect_fixture(p, {"vlan_arp", tagged(vid, arp_request(kVip10)), XDP_PASS, std::nullopt,
                           {XVRRP_C_VLAN, XVRRP_C_PASS_OTHER_VLAN}});
        expect_fixture(p, {"vlan_ns", tagged(vid, ns_request(kVip6_10)), XDP_PASS, std::nullopt,
                           {XVRRP_C_VLAN, XVRRP_C_PASS_OTHER_VLAN}});
        expect_fixture(p, {"vlan_bad_ttl",
                           tagged(vid, vrrp4(advert(10), kPeer4, kVrrpGroup4, {.ttl = 1})),
                           XDP_PASS, std::nullopt, {XVRRP_C_VLAN, XVRRP_C_PASS_OTHER_VLAN}});
    }
}

TEST(Counters, EveryDropReasonTheProgramUsesHasAFixture) {
    // The reasons XDP decides; the rest (auth, interval, unknown VRID, ...) are the controller's:
    // a VRID no config here serves passes to the kernel (vrrp_foreign_vrid_*).
    std::vector<xvrrp_reason> xdp_reasons{
        XVRRP_REASON_TRUNCATED,     XVRRP_REASON_BAD_TTL,        XVRRP_REASON_BAD_VERSION,
        XVRRP_REASON_VERSION_MISMATCH, XVRRP_REASON_BAD_TYPE,    XVRRP_REASON_BAD_LENGTH,
        XVRRP_REASON_BAD_ADDR_COUNT, XVRRP_REASON_BAD_CHECKSUM,  XVRRP_REASON_NOT_A_PEER,    XVRRP_REASON_BAD_SOURCE,     XVRRP_REASON_FRAGMENT,
        XVRRP_REASON_BAD_IP_HEADER};
    auto table = fixtures();
    for (auto r : xdp_reasons) {
        bool found = false;
        for (const auto& fx : table)
            for (int c : fx.counters) found = found || c == drop_reason(r);
        EXPECT_TRUE(found) << "no fixture drops with reason " << static_cast<int>(r);
    }
}

}  // namespace
}  // namespace xvrrp::testing
