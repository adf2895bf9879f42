#include "model.hpp"

#include "xvrrp/abi.h"

#include <algorithm>

namespace xvrrp::xdp_model {
namespace {

constexpr std::uint16_t kEthArp = 0x0806, kEthIpv4 = 0x0800, kEthIpv6 = 0x86dd;
constexpr std::uint16_t kEth8021Q = 0x8100, kEth8021AD = 0x88a8;
constexpr std::uint8_t kProtoVrrp = 112, kProtoIcmpv6 = 58;
constexpr std::uint8_t kIcmpNs = 135, kIcmpNa = 136;
// The longest adverts: 255 addresses, plus the 8 bytes of authentication data with v2. Anything
// longer is BAD_LENGTH whether or not the frame holds it (60: the longest IPv4 header).
constexpr std::size_t kMaxAdvertV4 = 8 + 255 * 4 + 8, kMaxAdvertV6 = 8 + 255 * 16;
constexpr std::size_t kEthLen = 14, kArpLen = 28, kIpv6Len = 40, kNdLen = 24, kNaLen = 32;

std::uint16_t be16(const Bytes& b, std::size_t at) {
    return static_cast<std::uint16_t>(b[at] << 8 | b[at + 1]);
}
void put16(Bytes& b, std::size_t at, std::uint16_t v) {
    b[at] = static_cast<std::uint8_t>(v >> 8);
    b[at + 1] = static_cast<std::uint8_t>(v);
}
Mac mac_at(const Bytes& b, std::size_t at) {
    Mac m;
    std::copy_n(b.begin() + static_cast<long>(at), 6, m.begin());
    return m;
}
void put_mac(Bytes& b, std::size_t at, const Mac& m) { std::copy(m.begin(), m.end(), b.begin() + static_cast<long>(at)); }
IpAddress v4_at(const Bytes& b, std::size_t at) { return IpAddress::v4_bytes(b.data() + at); }
IpAddress v6_at(const Bytes& b, std::size_t at) {
    std::array<std::uint8_t, 16> a;
    std::copy_n(b.begin() + static_cast<long>(at), 16, a.begin());
    return IpAddress::v6(a);
}

// RFC 1071 one's complement sum of 16-bit big-endian words (the lengths used here are even).
std::uint32_t sum16(const Bytes& b, std::size_t at, std::size_t len, std::uint32_t sum = 0) {
    for (std::size_t i = 0; i + 1 < len; i += 2) sum += be16(b, at + i);
    return sum;
}
std::uint16_t fold(std::uint32_t sum) {
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<std::uint16_t>(sum);
}
// Pseudo-header sum (RFC 768 / RFC 8200 section 8.1) from the addresses in the frame.
std::uint32_t pseudo(const Bytes& b, std::size_t src, std::size_t addr_len, std::uint32_t length, std::uint8_t proto) {
    std::uint32_t s = sum16(b, src, 2 * addr_len);
    return s + (length >> 16) + (length & 0xffff) + proto;
}

const GroupState* group_of(const World& w, std::uint8_t vrid) {
    auto it = w.groups.find(vrid);
    return it == w.groups.end() ? nullptr : &it->second;
}

std::optional<std::uint8_t> vip_vrid(const World& w, const IpAddress& a) {
    auto it = w.vips.find(a);
    if (it == w.vips.end()) return std::nullopt;
    return it->second;
}

Expectation outcome(Verdict v, Bytes out, int counter, std::string rule) {
    Expectation e;
    e.verdict = v;
    e.out = std::move(out);
    e.counter = counter;
    e.rule = std::move(rule);
    return e;
}
Expectation pass(const Bytes& frame, int counter, std::string rule) {
    return outcome(Verdict::Pass, frame, counter, std::move(rule));
}
Expectation drop(const Bytes& frame, int counter, std::string rule) {
    return outcome(Verdict::Drop, frame, counter, std::move(rule));
}
Expectation vrrp_drop(const Bytes& frame, xvrrp_reason reason, std::string rule) {
    return drop(frame, static_cast<int>(XVRRP_C_VRRP_DROP_BASE) + static_cast<int>(reason), "VRRP dropped: " + rule);
}

// Issue 10: an ARP reply or gratuitous ARP (or NA) claiming an owned VIP for another MAC.
std::optional<Conflict> claim(const World& w, const IpAddress& vip, const Mac& claimed_by) {
    auto vrid = vip_vrid(w, vip);
    if (!vrid) return std::nullopt;
    const GroupState* g = group_of(w, *vrid);
    if (!g || !g->owned || g->mac == claimed_by) return std::nullopt;
    return Conflict{static_cast<std::uint8_t>(vip.is_v4() ? 4 : 6), *vrid, claimed_by, vip, g->config};
}

// RFC 826 for Ethernet/IPv4. A request for an owned VIP is turned into the reply in place:
// to the asker (Ethernet and ARP target = its sender fields), from the group's MAC for the VIP.
Expectation arp(const World& w, const Bytes& f, std::size_t at) {
    if (f.size() < at + kArpLen || be16(f, at) != 1 || be16(f, at + 2) != kEthIpv4 || f[at + 4] != 6 ||
        f[at + 5] != 4)
        return pass(f, XVRRP_C_ARP_PASS_MALFORMED, "ARP not Ethernet/IPv4 or truncated: the kernel decides");
    const std::uint16_t op = be16(f, at + 6);
    const Mac sha = mac_at(f, at + 8);
    const IpAddress spa = v4_at(f, at + 14), tpa = v4_at(f, at + 24);
    if (op != 1) {
        Expectation e = pass(f, XVRRP_C_ARP_PASS_REPLY, "ARP reply or other opcode: the kernel decides");
        e.conflict = claim(w, spa, sha);
        e.conflict_counter = XVRRP_C_ARP_CONFLICT;
        return e;
    }
    if (spa == tpa) {
        Expectation e = pass(f, XVRRP_C_ARP_PASS_GRATUITOUS, "gratuitous ARP passes to the kernel");
        e.conflict = claim(w, spa, sha);
        e.conflict_counter = XVRRP_C_ARP_CONFLICT;
        return e;
    }
    // Issue 16: a request sent from an owned VIP by another MAC claims the VIP (every host that
    // hears it learns the binding, RFC 826): reported and never answered, whatever it asks.
    if (auto c = claim(w, spa, sha)) {
        Expectation e = drop(f, XVRRP_C_ARP_SENDER_CONFLICT, "ARP request sent from an owned VIP by another MAC");
        e.conflict = c;
        return e;
    }
    auto vrid = vip_vrid(w, tpa);
    if (!vrid) return pass(f, XVRRP_C_ARP_PASS_NON_VIP, "ARP request for a non-VIP passes untouched");
    const GroupState* g = group_of(w, *vrid);
    if (!g || !g->owned) return drop(f, XVRRP_C_ARP_DROP_NOT_OWNED, "ARP request for a VIP of a group not owned");
    if (g->stale) return drop(f, XVRRP_C_ARP_DROP_STALE, "ARP request for an owned VIP behind a stale heartbeat");
    // Issue 16: answered only when addressed to us, broadcast or the group's MAC.
    static constexpr Mac broadcast{0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    const Mac dest = mac_at(f, 0);
    if (dest != broadcast && dest != g->mac)
        return pass(f, XVRRP_C_ARP_PASS_OTHER_DEST, "ARP request for an owned VIP sent to another MAC");
    Bytes out = f;
    put_mac(out, 0, sha);
    put_mac(out, 6, g->mac);
    put16(out, at + 6, 2);
    put_mac(out, at + 18, sha);                                                 // tha = asker
    std::copy_n(f.begin() + static_cast<long>(at + 14), 4, out.begin() + static_cast<long>(at + 24));  // tpa = spa
    put_mac(out, at + 8, g->mac);                                               // sha = group MAC
    std::copy_n(f.begin() + static_cast<long>(at + 24), 4, out.begin() + static_cast<long>(at + 14));  // spa = VIP
    return outcome(Verdict::Tx, std::move(out), XVRRP_C_ARP_REPLIED, "ARP request for an owned VIP answered");
}

// RFC 3768 / RFC 5798 section 7.1 checks that need no controller state beyond the maps, in the
// order of the reason enum's cheapest-first intent. `at` is the VRRP header, `plen` the IP payload.
std::optional<std::pair<xvrrp_reason, std::string>> vrrp_reject(const World& w, const Bytes& f, std::size_t at,
                                                                std::size_t plen, int family,
                                                                const IpAddress& src, std::uint32_t pseudo_sum) {
    if (plen < 8) return {{XVRRP_REASON_TRUNCATED, "shorter than the VRRP header"}};
    const int version = f[at] >> 4, type = f[at] & 0x0f;
    if (version != 3 && !(version == 2 && family == 4))
        return {{XVRRP_REASON_BAD_VERSION, "version " + std::to_string(version) + " (v2 is IPv4 only)"}};
    if (type != 1) return {{XVRRP_REASON_BAD_TYPE, "type not ADVERTISEMENT"}};
    const unsigned count = f[at + 3];
    if (count == 0) return {{XVRRP_REASON_BAD_ADDR_COUNT, "no addresses"}};
    const std::size_t expect = 8 + count * (family == 4 ? 4u : 16u) + (version == 2 ? 8u : 0u);
    if (plen != expect) return {{XVRRP_REASON_BAD_LENGTH, "length does not match the address count"}};
    const VridConfig& cfg = w.vrids.at(f[at + 1]);  // served: attribute() let it through
    if (!(cfg.versions & (1u << version)))
        return {{XVRRP_REASON_VERSION_MISMATCH, "version not the one configured for the VRID"}};
    if (cfg.unicast && !w.peers.count({cfg.config, src}))
        return {{XVRRP_REASON_NOT_A_PEER, "source not a unicast peer of the VRID's config"}};
    // v2, and v3 as some peers send it, sum the message alone; RFC 5798 v3 adds the pseudo-header.
    const std::uint32_t message = sum16(f, at, plen);
    if (fold(message) == 0xffff) return std::nullopt;
    if (version == 3 && fold(message + pseudo_sum) == 0xffff) return std::nullopt;
    return {{XVRRP_REASON_BAD_CHECKSUM, "checksum matches no accepted variant"}};
}

// Only a VRID some config here serves is judged; other daemons' VRRP, and VRRP whose VRID
// cannot be read (a later fragment, fewer than two bytes), pass untouched.
std::optional<Expectation> attribute(const World& w, const Bytes& f, std::size_t vrrp_at, bool later_fragment) {
    if (f.size() < vrrp_at + 2 || later_fragment)
        return pass(f, XVRRP_C_VRRP_PASS_UNATTRIBUTED, "VRRP without a readable VRID passes untouched");
    const std::uint8_t vrid = f[vrrp_at + 1];
    if (vrid == 0 || !w.vrids.count(vrid))
        return pass(f, XVRRP_C_VRRP_PASS_FOREIGN, "VRRP of a VRID no config here serves passes untouched");
    return std::nullopt;
}

Expectation vrrp_verdict(const Bytes& f, std::optional<std::pair<xvrrp_reason, std::string>> reject) {
    if (!reject) return pass(f, XVRRP_C_VRRP_PASS, "valid advert passes to the controller");
    return vrrp_drop(f, reject->first, reject->second);
}

Expectation ipv4(const World& w, const Bytes& f, std::size_t at) {
    if (f.size() < at + 20) return pass(f, XVRRP_C_PASS_OTHER, "truncated IPv4 header passes");
    const std::size_t ihl = (f[at] & 0x0f) * 4u;
    if (ihl < 20 || f.size() < at + ihl) return pass(f, XVRRP_C_PASS_OTHER, "malformed IPv4 header passes");
    if (f[at + 9] != kProtoVrrp) return pass(f, XVRRP_C_PASS_OTHER, "IPv4, not VRRP: untouched");
    if (auto e = attribute(w, f, at + ihl, (be16(f, at + 6) & 0x1fff) != 0)) return *e;
    const std::size_t tot = be16(f, at + 2);
    if (tot < ihl) return vrrp_drop(f, XVRRP_REASON_BAD_IP_HEADER, "total length below the header length");
    if (tot > 60 + kMaxAdvertV4 || tot - ihl > kMaxAdvertV4)
        return vrrp_drop(f, XVRRP_REASON_BAD_LENGTH, "longer than any advert (255 addresses + auth data)");
    if (f.size() < at + tot) return vrrp_drop(f, XVRRP_REASON_TRUNCATED, "IPv4 total length beyond the frame");
    if (be16(f, at + 6) & 0x3fff) return vrrp_drop(f, XVRRP_REASON_FRAGMENT, "fragment (MF or offset)");
    const IpAddress src = v4_at(f, at + 12), dst = v4_at(f, at + 16);
    // RFC 5798 section 7.1: a multicast advert that crossed a router (TTL < 255) is discarded.
    if ((dst.bytes()[0] & 0xf0) == 0xe0 && f[at + 8] != 255)
        return vrrp_drop(f, XVRRP_REASON_BAD_TTL, "multicast advert with TTL not 255");
    const std::uint32_t s = src.v4_host_order();
    if (s == 0 || (s >> 28) == 0xe || s == 0xffffffffu)
        return vrrp_drop(f, XVRRP_REASON_BAD_SOURCE, "source unspecified, multicast or broadcast");
    const std::size_t plen = tot - ihl;
    return vrrp_verdict(f, vrrp_reject(w, f, at + ihl, plen, 4, src,
                                       pseudo(f, at + 12, 4, static_cast<std::uint32_t>(plen), kProtoVrrp)));
}

Expectation vrrp6(const World& w, const Bytes& f, std::size_t at) {
    if (auto e = attribute(w, f, at + kIpv6Len, false)) return *e;
    const std::size_t plen = be16(f, at + 4);
    if (plen > kMaxAdvertV6) return vrrp_drop(f, XVRRP_REASON_BAD_LENGTH, "longer than any advert (255 addresses)");
    if (f.size() < at + kIpv6Len + plen) return vrrp_drop(f, XVRRP_REASON_TRUNCATED, "payload length beyond the frame");
    const IpAddress src = v6_at(f, at + 8), dst = v6_at(f, at + 24);
    if (dst.bytes()[0] == 0xff && f[at + 7] != 255)
        return vrrp_drop(f, XVRRP_REASON_BAD_TTL, "multicast advert with hop limit not 255");
    if (src.bytes()[0] == 0xff || src == IpAddress::v6({}))
        return vrrp_drop(f, XVRRP_REASON_BAD_SOURCE, "source multicast or unspecified");
    return vrrp_verdict(f, vrrp_reject(w, f, at + kIpv6Len, plen, 6, src,
                                       pseudo(f, at + 8, 16, static_cast<std::uint32_t>(plen), kProtoVrrp)));
}

// Walks the ND options of the message [opts, end): nullopt when one is malformed (RFC 4861
// section 7.1.1/7.1.2: every option has a length greater than zero and fits), else the
// link-layer address of the first option of type `want` with the Ethernet length.
struct NdOptions {
    bool valid = true;
    bool has_source_ll = false;
    std::optional<Mac> lladdr;
};
NdOptions nd_options(const Bytes& f, std::size_t opts, std::size_t end, std::uint8_t want) {
    NdOptions r;
    while (opts < end) {
        if (end - opts < 2 || f[opts + 1] == 0 || end - opts < f[opts + 1] * 8u) {
            r.valid = false;
            return r;
        }
        if (f[opts] == 1) r.has_source_ll = true;
        if (f[opts] == want && f[opts + 1] == 1 && !r.lladdr) r.lladdr = mac_at(f, opts + 2);
        opts += f[opts + 1] * 8u;
    }
    return r;
}

bool solicited_node_multicast(const IpAddress& a) {
    static constexpr std::uint8_t prefix[13] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff};
    return std::equal(std::begin(prefix), std::end(prefix), a.bytes().begin());
}

// The longest NS the program validates (and NA it reads a claim from) in the fast path; longer
// ones are the kernel's (a design limit of the verifier-bounded checksum and option loops, 64
// words).
constexpr std::size_t kMaxNsLen = 256;

Expectation icmpv6(const World& w, const Bytes& f, std::size_t at, std::size_t l3) {
    if (f.size() < at + kNdLen) return pass(f, XVRRP_C_PASS_OTHER, "ICMPv6 shorter than an ND message");
    const std::uint8_t type = f[at];
    if (type != kIcmpNs && type != kIcmpNa) return pass(f, XVRRP_C_PASS_OTHER, "ICMPv6, not NS/NA: untouched");
    const IpAddress target = v6_at(f, at + 8);
    const std::size_t len = be16(f, l3 + 4);
    if (type == kIcmpNa) {
        Expectation e = pass(f, XVRRP_C_NA_PASS, "neighbour advertisement: the kernel decides");
        // The claimed MAC is in the target link-layer address option, within the message as
        // payload_len bounds it (bytes after it are link-layer padding, RFC 8200 section 3).
        // NAs longer than the fast path walks are the kernel's alone (no conflict report).
        if (len > kMaxNsLen) return e;
        auto opts = nd_options(f, at + kNdLen, std::min(f.size(), l3 + kIpv6Len + len), 2);
        if (opts.lladdr) e.conflict = claim(w, target, *opts.lladdr);
        e.conflict_counter = XVRRP_C_NA_CONFLICT;
        return e;
    }
    const IpAddress src = v6_at(f, l3 + 8), dst = v6_at(f, l3 + 24);
    // Issue 16: an NS sent from an owned VIP by another station (its Ethernet source) claims it.
    if (auto c = claim(w, src, mac_at(f, 6))) {
        Expectation e = drop(f, XVRRP_C_NS_SENDER_CONFLICT, "NS sent from an owned VIP by another MAC");
        e.conflict = c;
        return e;
    }
    auto vrid = vip_vrid(w, target);
    if (!vrid) return pass(f, XVRRP_C_NS_PASS_NON_VIP, "NS for a non-VIP passes untouched");
    // RFC 4861 section 7.1.1: an invalid NS is silently discarded, by the kernel.
    const bool dad = src == IpAddress::v6({});
    const auto malformed = [&](const std::string& why) {
        return pass(f, XVRRP_C_NS_PASS_MALFORMED, "invalid NS (" + why + ") left to the kernel");
    };
    if (f[l3 + 7] != 255) return malformed("hop limit not 255");
    if (f[at + 1] != 0) return malformed("code not 0");
    if (len < kNdLen) return malformed("ICMP length below 24");
    // Options come in units of 8 bytes (RFC 4861 section 4.6), so 24 + 8k is the only valid length.
    if (len % 8) return malformed("length not 24 plus whole 8-byte options");
    if (f.size() < l3 + kIpv6Len + len) return malformed("payload length beyond the frame");
    if (len > kMaxNsLen) return malformed("longer than the fast path validates");
    if (target.bytes()[0] == 0xff) return malformed("multicast target");
    if (fold(sum16(f, at, len, pseudo(f, l3 + 8, 16, static_cast<std::uint32_t>(len), kProtoIcmpv6))) != 0xffff)
        return malformed("bad checksum");
    const GroupState* g = group_of(w, *vrid);
    if (!g || !g->owned) return drop(f, XVRRP_C_NS_DROP_NOT_OWNED, "NS for a VIP of a group not owned");
    if (g->stale) return drop(f, XVRRP_C_NS_DROP_STALE, "NS for an owned VIP behind a stale heartbeat");
    // Answer only a well-formed request (the rest of RFC 4861 section 7.1.1): the kernel discards
    // the others, so XDP must not answer them either. For groups not owned the drop above
    // already holds whatever the options say.
    const auto opts = nd_options(f, at + kNdLen, at + len, 1);
    if (!opts.valid) return malformed("an option of length 0 or past the end of the message");
    if (dad && !solicited_node_multicast(dst)) return malformed("from :: but not to a solicited-node address");
    if (dad && opts.has_source_ll) return malformed("from :: with a source link-layer address option");
    // Issue 16: answered only when sent to the solicited-node MAC of its target (RFC 2464
    // section 7: 33:33 and the group's last 32 bits, ff + the target's last 24) or the group's MAC.
    const Mac dest = mac_at(f, 0);
    const auto& t = target.bytes();
    const Mac solicited{0x33, 0x33, 0xff, t[13], t[14], t[15]};
    if (dest != solicited && dest != g->mac)
        return pass(f, XVRRP_C_NS_PASS_OTHER_DEST, "NS for an owned VIP sent to another MAC");

    // RFC 4861 section 7.2.4: solicited NA to the soliciting node (its source link-layer address
    // if given); RFC 4862 section 5.4.3: to all-nodes for duplicate address detection, S clear.
    static const IpAddress all_nodes = *IpAddress::parse("ff02::1");
    const Mac dst_mac = dad ? Mac{0x33, 0x33, 0, 0, 0, 1} : opts.lladdr.value_or(mac_at(f, 6));
    const IpAddress to = dad ? all_nodes : src;
    Bytes out(f.begin(), f.begin() + static_cast<long>(l3 + kIpv6Len + kNaLen));
    put_mac(out, 0, dst_mac);
    put_mac(out, 6, g->mac);
    put16(out, l3 + 4, kNaLen);
    out[l3 + 6] = kProtoIcmpv6;
    out[l3 + 7] = 255;
    std::copy_n(target.bytes().begin(), 16, out.begin() + static_cast<long>(l3 + 8));
    std::copy_n(to.bytes().begin(), 16, out.begin() + static_cast<long>(l3 + 24));
    std::size_t na = l3 + kIpv6Len;
    const std::uint8_t flags = dad ? 0x20 : 0x60;  // Override, plus Solicited unless DAD
    const std::uint8_t body[] = {kIcmpNa, 0, 0, 0, flags, 0, 0, 0};
    std::copy(std::begin(body), std::end(body), out.begin() + static_cast<long>(na));
    std::copy_n(target.bytes().begin(), 16, out.begin() + static_cast<long>(na + 8));
    out[na + 24] = 2;  // target link-layer address option
    out[na + 25] = 1;
    put_mac(out, na + 26, g->mac);
    put16(out, na + 2, static_cast<std::uint16_t>(
                           ~fold(sum16(out, na, kNaLen, pseudo(out, l3 + 8, 16, kNaLen, kProtoIcmpv6)))));
    return outcome(Verdict::Tx, std::move(out), XVRRP_C_NS_REPLIED, "NS for an owned VIP answered with an NA");
}

Expectation ipv6(const World& w, const Bytes& f, std::size_t at) {
    if (f.size() < at + kIpv6Len) return pass(f, XVRRP_C_PASS_OTHER, "truncated IPv6 header passes");
    // No extension headers: an ND or VRRP message behind one is not ours to answer or filter.
    switch (f[at + 6]) {
        case kProtoIcmpv6: return icmpv6(w, f, at + kIpv6Len, at);
        case kProtoVrrp: return vrrp6(w, f, at);
        default: return pass(f, XVRRP_C_PASS_OTHER, "IPv6, not ICMPv6/VRRP: untouched");
    }
}

}  // namespace

std::string to_string(Verdict v) {
    switch (v) {
        case Verdict::Drop: return "XDP_DROP";
        case Verdict::Pass: return "XDP_PASS";
        case Verdict::Tx: return "XDP_TX";
    }
    return "XDP_" + std::to_string(static_cast<int>(v));
}

Expectation decide_untagged(const World& w, const Bytes& f);

Expectation decide(const World& w, const Bytes& f) {
    Expectation e = decide_untagged(w, f);
    e.tagged = f.size() >= kEthLen && (be16(f, 12) == kEth8021Q || be16(f, 12) == kEth8021AD);
    return e;
}

Expectation decide_untagged(const World& w, const Bytes& f) {
    if (f.size() < kEthLen) return pass(f, XVRRP_C_PASS_OTHER, "shorter than an Ethernet header");
    std::uint16_t type = be16(f, 12);
    std::size_t at = kEthLen;
    // The interface's own segment: untagged, or one 802.1Q/802.1ad priority tag (VLAN ID 0). A
    // VLAN ID is a VLAN device's segment, and a second tag (QinQ) never matches: untouched.
    std::uint32_t vid = 0;
    if (type == kEth8021Q || type == kEth8021AD) {
        if (f.size() < at + 4) return pass(f, XVRRP_C_PASS_OTHER, "truncated VLAN tag");
        vid = be16(f, at) & 0x0fff;
        type = be16(f, at + 2);
        if (type == kEth8021Q || type == kEth8021AD) vid = 0x10000;
        at += 4;
    }
    if (vid != 0) return pass(f, XVRRP_C_PASS_OTHER_VLAN, "tagged with a VLAN ID, or QinQ: another segment's");
    switch (type) {
        case kEthArp: return arp(w, f, at);
        case kEthIpv4: return ipv4(w, f, at);
        case kEthIpv6: return ipv6(w, f, at);
        default: return pass(f, XVRRP_C_PASS_OTHER, "not ARP/IPv4/IPv6: untouched");
    }
}

}  // namespace xvrrp::xdp_model
