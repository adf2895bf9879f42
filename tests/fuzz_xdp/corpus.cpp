#include "corpus.hpp"

#include "frames.hpp"
#include "xvrrp/abi.h"

#include <algorithm>

namespace xvrrp::xdp_fuzz {
namespace {

namespace f = frames;
using f::ip;
using f::mac;

const f::Mac kMac10 = mac("02:00:5e:00:01:0a"), kMac20 = mac("02:00:5e:00:01:14"),
             kMac30 = mac("02:00:5e:00:01:1e"), kMac40 = mac("02:00:5e:00:01:28");
const f::Mac kClient = mac("02:00:00:00:00:c1"), kIntruder = mac("02:00:00:00:00:66");
const f::Mac kBroadcast = mac("ff:ff:ff:ff:ff:ff"), kZero = mac("00:00:00:00:00:00");
const f::Mac kRouter = mac("02:00:00:00:00:01");

f::Bytes tagged(const f::Bytes& frame, std::uint16_t tci) {
    f::Bytes out(frame.size() + 4);
    std::copy_n(frame.begin(), 12, out.begin());
    out[12] = 0x81;
    out[13] = 0x00;
    out[14] = static_cast<std::uint8_t>(tci >> 8);
    out[15] = static_cast<std::uint8_t>(tci);
    std::copy(frame.begin() + 12, frame.end(), out.begin() + 16);
    return out;
}

f::Bytes arp(std::uint16_t op, const f::Mac& sha, const char* spa, const f::Mac& tha, const char* tpa,
             const f::Mac& dst = kBroadcast) {
    return f::ethernet(dst, sha, f::kEthArp, f::arp(op, sha, ip(spa), tha, ip(tpa)));
}

f::Bytes ns(const char* src, const char* dst, const char* target, const f::Bytes& options, std::uint8_t hop = 255) {
    f::Bytes icmp = f::icmpv6(ip(src), ip(dst), 135, 0, f::nd_body(0, ip(target), options));
    return f::ethernet(f::multicast_mac(ip(dst)), kClient, f::kEthIpv6,
                       f::ipv6(ip(src), ip(dst), f::kProtoIcmpv6, hop, icmp));
}

f::Bytes na(const f::Mac& from, const char* src, const char* target, const f::Bytes& options) {
    f::Bytes icmp = f::icmpv6(ip(src), ip("ff02::1"), 136, 0, f::nd_body(0x20000000, ip(target), options));
    return f::ethernet(mac("33:33:00:00:00:01"), from, f::kEthIpv6,
                       f::ipv6(ip(src), ip("ff02::1"), f::kProtoIcmpv6, 255, icmp));
}

f::Bytes vrrp4(int version, std::uint8_t vrid, std::vector<const char*> addrs, const char* src = "192.0.2.2",
               const char* dst = "224.0.0.18", f::VrrpChecksum csum = f::VrrpChecksum::Pseudo,
               const f::Ipv4Options& opt = {255}) {
    f::Vrrp v;
    v.version = version;
    v.vrid = vrid;
    v.interval = version == 2 ? 1 : 100;
    for (auto a : addrs) v.addresses.push_back(ip(a));
    v.checksum = version == 2 ? f::VrrpChecksum::V2Style : csum;
    f::Bytes msg = f::vrrp(v, ip(src), ip(dst));
    return f::ethernet(f::multicast_mac(ip(dst)), kRouter, f::kEthIpv4,
                       f::ipv4(ip(src), ip(dst), f::kProtoVrrp, msg, opt));
}

f::Bytes vrrp6(std::uint8_t vrid, std::vector<const char*> addrs, const char* src = "fe80::2",
               f::VrrpChecksum csum = f::VrrpChecksum::Pseudo) {
    f::Vrrp v;
    v.vrid = vrid;
    for (auto a : addrs) v.addresses.push_back(ip(a));
    v.checksum = csum;
    f::Bytes msg = f::vrrp(v, ip(src), ip("ff02::12"));
    return f::ethernet(f::multicast_mac(ip("ff02::12")), kRouter, f::kEthIpv6,
                       f::ipv6(ip(src), ip("ff02::12"), f::kProtoVrrp, 255, msg));
}

f::Bytes udp4() {
    f::Bytes udp{0x30, 0x39, 0x00, 0x35, 0x00, 0x0c, 0x00, 0x00, 'x', 'v', 'r', 'p'};
    return f::ethernet(kMac10, kClient, f::kEthIpv4, f::ipv4(ip("192.0.2.1"), ip("192.0.2.10"), 17, udp));
}

f::Bytes tcp4() {
    f::Bytes tcp(20, 0);
    tcp[12] = 0x50;
    tcp[13] = 0x02;  // SYN
    return f::ethernet(kMac10, kClient, f::kEthIpv4, f::ipv4(ip("192.0.2.1"), ip("192.0.2.10"), 6, tcp));
}

f::Bytes echo6() {
    f::Bytes icmp = f::icmpv6(ip("2001:db8::c1"), ip("2001:db8::10"), 128, 0, {0, 1, 0, 1, 'p', 'i', 'n', 'g'});
    return f::ethernet(kMac10, kClient, f::kEthIpv6,
                       f::ipv6(ip("2001:db8::c1"), ip("2001:db8::10"), f::kProtoIcmpv6, 64, icmp));
}

}  // namespace

xdp_model::World make_world() {
    xdp_model::World w;
    w.groups[10] = {true, kMac10, false};
    w.groups[20] = {false, kMac20, false};
    w.groups[30] = {true, kMac30, true};
    w.groups[40] = {true, kMac40, false};
    w.groups[60] = {true, kMac40, false, 1};  // a second config sharing the program
    for (auto [vip, vrid] : {std::pair{"192.0.2.10", 10}, {"192.0.2.11", 10}, {"192.0.2.20", 20}, {"192.0.2.30", 30},
                             {"192.0.2.40", 40}, {"2001:db8::10", 10}, {"2001:db8::11", 10}, {"2001:db8::20", 20},
                             {"2001:db8::30", 30}, {"2001:db8::40", 40}, {"192.0.2.50", 50},
                             {"192.0.2.60", 60}})
        w.vips[ip(vip)] = static_cast<std::uint8_t>(vrid);  // VRID 50: a VIP whose group was never written
    w.vrids[10] = {XVRRP_VERSION_3, false};
    w.vrids[20] = {XVRRP_VERSION_2 | XVRRP_VERSION_3, false};
    w.vrids[30] = {XVRRP_VERSION_2, false};
    w.vrids[40] = {XVRRP_VERSION_3, true};
    w.vrids[60] = {XVRRP_VERSION_3, true, 1};
    w.peers = {{0, ip("192.0.2.2")}, {0, ip("fe80::2")}, {1, ip("192.0.2.3")}};
    return w;
}

std::vector<Seed> make_corpus() {
    const f::Bytes slla = f::lladdr_option(1, kClient);
    std::vector<Seed> c = {
        {"arp request owned", arp(1, kClient, "192.0.2.1", kZero, "192.0.2.10")},
        {"arp request owned 2nd vip", arp(1, kClient, "192.0.2.1", kZero, "192.0.2.11", kMac10)},
        {"arp request not owned", arp(1, kClient, "192.0.2.1", kZero, "192.0.2.20")},
        {"arp request stale", arp(1, kClient, "192.0.2.1", kZero, "192.0.2.30")},
        {"arp request unwritten group", arp(1, kClient, "192.0.2.1", kZero, "192.0.2.50")},
        {"arp request non-vip", arp(1, kClient, "192.0.2.1", kZero, "192.0.2.99")},
        {"arp probe owned", arp(1, kClient, "0.0.0.0", kZero, "192.0.2.10")},
        {"garp from intruder", arp(1, kIntruder, "192.0.2.10", kZero, "192.0.2.10")},
        {"arp reply from intruder", arp(2, kIntruder, "192.0.2.10", kClient, "192.0.2.1", kClient)},
        {"arp reply from us", arp(2, kMac10, "192.0.2.10", kClient, "192.0.2.1", kClient)},
        {"ns owned", ns("2001:db8::c1", "ff02::1:ff00:10", "2001:db8::10", slla)},
        {"ns owned no option", [] {  // a unicast NUD probe: to the group's MAC
             f::Bytes b = ns("2001:db8::c1", "2001:db8::10", "2001:db8::10", {});
             std::copy(kMac10.begin(), kMac10.end(), b.begin());
             return b;
         }()},
        {"ns owned two options", ns("2001:db8::c1", "ff02::1:ff00:11", "2001:db8::11",
                                    [&] { f::Bytes o = f::lladdr_option(14, kZero); o.insert(o.end(), slla.begin(), slla.end()); return o; }())},
        {"ns dad owned", ns("::", "ff02::1:ff00:10", "2001:db8::10", {})},
        // Invalid by RFC 4861 section 7.1.1, kept whole so every run checks they go unanswered.
        {"ns dad with source lladdr (invalid)", ns("::", "ff02::1:ff00:10", "2001:db8::10", slla)},
        {"ns dad to a unicast address (invalid)", ns("::", "2001:db8::10", "2001:db8::10", {})},
        {"ns zero-length option (invalid)", ns("2001:db8::c1", "ff02::1:ff00:10", "2001:db8::10",
                                               {1, 0, 0, 0, 0, 0, 0, 0})},
        {"ns not owned", ns("2001:db8::c1", "ff02::1:ff00:20", "2001:db8::20", slla)},
        {"ns stale", ns("2001:db8::c1", "ff02::1:ff00:30", "2001:db8::30", slla)},
        {"ns non-vip", ns("2001:db8::c1", "ff02::1:ff00:99", "2001:db8::99", slla)},
        {"na from intruder", na(kIntruder, "2001:db8::10", "2001:db8::10", f::lladdr_option(2, kIntruder))},
        {"na from us", na(kMac10, "2001:db8::10", "2001:db8::10", f::lladdr_option(2, kMac10))},
        {"vrrp v3 ipv4", vrrp4(3, 10, {"192.0.2.10", "192.0.2.11"})},
        {"vrrp v3 ipv4 v2-style checksum", vrrp4(3, 20, {"192.0.2.20"}, "192.0.2.2", "224.0.0.18", f::VrrpChecksum::V2Style)},
        {"vrrp v2 ipv4", vrrp4(2, 30, {"192.0.2.30"})},
        {"vrrp v2 on v2+v3 vrid", vrrp4(2, 20, {"192.0.2.20"})},
        {"vrrp v3 unicast from peer", vrrp4(3, 40, {"192.0.2.40"}, "192.0.2.2", "192.0.2.9")},
        {"vrrp v3 unicast from stranger", vrrp4(3, 40, {"192.0.2.40"}, "192.0.2.3", "192.0.2.9")},
        {"vrrp v3 ipv4 options", vrrp4(3, 10, {"192.0.2.10"}, "192.0.2.2", "224.0.0.18", f::VrrpChecksum::Pseudo,
                                       [] { f::Ipv4Options o; o.ttl = 255; o.options = {0x94, 0x04, 0, 0}; return o; }())},
        {"vrrp v3 unknown vrid", vrrp4(3, 77, {"192.0.2.77"})},
        {"vrrp v2 unknown vrid", vrrp4(2, 77, {"192.0.2.77"})},
        {"vrrp v3 second config from its peer", vrrp4(3, 60, {"192.0.2.60"}, "192.0.2.3", "192.0.2.9")},
        {"vrrp v3 second config from the first's peer", vrrp4(3, 60, {"192.0.2.60"}, "192.0.2.2", "192.0.2.9")},
        {"arp request second config", arp(1, kClient, "192.0.2.1", kZero, "192.0.2.60")},
        // Issue 16: destinations not ours, and requests sent from an owned VIP by another MAC.
        {"arp request owned to another host", arp(1, kClient, "192.0.2.1", kZero, "192.0.2.10", kRouter)},
        {"arp request from owned vip by intruder", arp(1, kIntruder, "192.0.2.11", kZero, "192.0.2.1")},
        {"arp request from owned vip by us", arp(1, kMac10, "192.0.2.11", kZero, "192.0.2.1")},
        {"ns owned to another host", [] {
             f::Bytes b = ns("2001:db8::c1", "2001:db8::10", "2001:db8::10", f::lladdr_option(1, kClient));
             std::copy(kRouter.begin(), kRouter.end(), b.begin());
             return b;
         }()},
        {"ns from owned vip by intruder", ns("2001:db8::11", "ff02::1:ff00:99", "2001:db8::99", slla)},
        {"vrrp v3 ipv6", vrrp6(10, {"2001:db8::10", "2001:db8::11"})},
        {"vrrp v3 ipv6 unicast", vrrp6(40, {"2001:db8::40"})},
        {"udp ipv4", udp4()},
        {"tcp ipv4", tcp4()},
        {"icmpv6 echo", echo6()},
    };
    // Tagged copies: VLAN 100 (another segment's), VLAN 0 (priority tag, served) and QinQ.
    const std::size_t untagged = c.size();
    for (std::size_t i = 0; i < untagged; i += 3) c.push_back({c[i].name + " vlan 100", tagged(c[i].frame, kOtherVlan)});
    c.push_back({"arp request owned vlan 0", tagged(c[0].frame, 0)});
    c.push_back({"ns owned vlan 100", tagged(c[10].frame, kOtherVlan)});
    c.push_back({"ns owned vlan 0", tagged(c[10].frame, 0)});
    c.push_back({"arp request owned qinq", tagged(tagged(c[0].frame, 0), kOtherVlan)});
    // Ethernet minimum size: short frames arrive padded to 60 bytes.
    for (std::size_t i = 0; i < 4; ++i) {
        f::Bytes padded = c[i].frame;
        if (padded.size() < 60) padded.resize(60, 0);
        c.push_back({c[i].name + " padded", padded});
    }
    return c;
}

}  // namespace xvrrp::xdp_fuzz
