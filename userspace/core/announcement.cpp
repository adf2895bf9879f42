#include "core/announcement.hpp"

#include "core/checksum.hpp"

#include <algorithm>

namespace xvrrp {
namespace {

void put16(std::vector<std::uint8_t>& f, std::uint16_t v) {
    f.push_back(static_cast<std::uint8_t>(v >> 8));
    f.push_back(static_cast<std::uint8_t>(v & 0xff));
}

void put(std::vector<std::uint8_t>& f, const std::uint8_t* p, std::size_t n) { f.insert(f.end(), p, p + n); }

constexpr std::uint16_t kEthArp = 0x0806;
constexpr std::uint16_t kEthIpv6 = 0x86dd;
constexpr std::uint8_t kIcmpv6 = 58;
constexpr std::uint8_t kNeighbourAdvert = 136;
constexpr std::uint8_t kOptTargetLinkLayer = 2;
constexpr std::size_t kNaLength = 4 + 4 + 16 + 8;  // ICMPv6 header, flags, target, TLLA option

}  // namespace

std::vector<std::uint8_t> gratuitous_arp(const MacAddress& mac, const IpAddress& vip, GarpForm form) {
    std::vector<std::uint8_t> f;
    f.reserve(42);
    const MacAddress broadcast{0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    const MacAddress zero{};
    put(f, broadcast.data(), 6);
    put(f, mac.data(), 6);
    put16(f, kEthArp);
    put16(f, 1);       // hardware: Ethernet
    put16(f, 0x0800);  // protocol: IPv4
    f.push_back(6);
    f.push_back(4);
    put16(f, form == GarpForm::Request ? 1 : 2);
    put(f, mac.data(), 6);
    put(f, vip.bytes().data(), 4);
    // RFC 5227 2.3: the target hardware address of an announcement is ignored and SHOULD be zero;
    // the reply form names our own MAC there, as Linux's arping -U -A does.
    put(f, form == GarpForm::Request ? zero.data() : mac.data(), 6);
    put(f, vip.bytes().data(), 4);
    return f;
}

std::vector<std::uint8_t> unsolicited_na(const MacAddress& mac, const IpAddress& vip) {
    const IpAddress all_nodes = *IpAddress::parse("ff02::1");
    std::vector<std::uint8_t> f;
    f.reserve(14 + 40 + kNaLength);
    const std::uint8_t dst_mac[6] = {0x33, 0x33, 0, 0, 0, 1};  // RFC 2464 section 7 for ff02::1
    put(f, dst_mac, 6);
    put(f, mac.data(), 6);
    put16(f, kEthIpv6);
    // IPv6 header.
    f.push_back(0x60);
    f.push_back(0);
    put16(f, 0);
    put16(f, static_cast<std::uint16_t>(kNaLength));
    f.push_back(kIcmpv6);
    f.push_back(255);  // RFC 4861 7.1.2: receivers drop NAs with any other hop limit
    put(f, vip.bytes().data(), 16);
    put(f, all_nodes.bytes().data(), 16);
    // ICMPv6 Neighbour Advertisement.
    const std::size_t icmp = f.size();
    f.push_back(kNeighbourAdvert);
    f.push_back(0);
    put16(f, 0);                // checksum, filled below
    f.push_back(0x20);          // R=0 S=0 O=1: override the old owner's cache entries
    f.push_back(0);
    put16(f, 0);
    put(f, vip.bytes().data(), 16);
    f.push_back(kOptTargetLinkLayer);
    f.push_back(1);             // length in units of 8 bytes
    put(f, mac.data(), 6);
    std::uint32_t sum = pseudo_header_sum(vip, all_nodes, kIcmpv6, static_cast<std::uint32_t>(kNaLength));
    std::uint16_t c = checksum_fold(checksum_add(std::span(f).subspan(icmp), sum));
    f[icmp + 2] = static_cast<std::uint8_t>(c >> 8);
    f[icmp + 3] = static_cast<std::uint8_t>(c & 0xff);
    return f;
}

}  // namespace xvrrp
