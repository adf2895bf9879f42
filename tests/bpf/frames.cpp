#include "frames.hpp"

#include <cstdio>
#include <stdexcept>
#include <string>

namespace xvrrp::frames {

namespace {

void put16(Bytes& b, std::uint16_t v) {
    b.push_back(static_cast<std::uint8_t>(v >> 8));
    b.push_back(static_cast<std::uint8_t>(v));
}

void put32(Bytes& b, std::uint32_t v) {
    put16(b, static_cast<std::uint16_t>(v >> 16));
    put16(b, static_cast<std::uint16_t>(v));
}

void put_addr(Bytes& b, const IpAddress& a) {
    b.insert(b.end(), a.bytes().begin(), a.bytes().begin() + static_cast<long>(a.size()));
}

void append(Bytes& b, const Bytes& more) { b.insert(b.end(), more.begin(), more.end()); }

}  // namespace

Mac mac(std::string_view text) {
    Mac m{};
    unsigned v[6];
    std::string s(text);
    char tail = 0;
    if (std::sscanf(s.c_str(), "%x:%x:%x:%x:%x:%x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
                    &tail) != 6)
        throw std::invalid_argument("not a MAC address: '" + s + "'");
    for (int i = 0; i < 6; ++i) {
        if (v[i] > 0xff) throw std::invalid_argument("not a MAC address: '" + s + "'");
        m[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(v[i]);
    }
    return m;
}

IpAddress ip(std::string_view text) {
    auto a = IpAddress::parse(text);
    if (!a) throw std::invalid_argument("not an IP address: '" + std::string(text) + "'");
    return *a;
}

std::uint32_t csum_partial(const std::uint8_t* p, std::size_t n, std::uint32_t sum) {
    for (std::size_t i = 0; i + 1 < n; i += 2) sum += static_cast<std::uint32_t>(p[i] << 8 | p[i + 1]);
    if (n % 2) sum += static_cast<std::uint32_t>(p[n - 1] << 8);
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return sum;
}

std::uint16_t csum_finish(std::uint32_t sum) {
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<std::uint16_t>(~sum & 0xffff);
}

std::uint32_t pseudo_sum(const IpAddress& src, const IpAddress& dst, std::uint8_t proto,
                         std::uint32_t length) {
    Bytes b;
    put_addr(b, src);
    put_addr(b, dst);
    if (src.is_v4()) {
        b.push_back(0);
        b.push_back(proto);
        put16(b, static_cast<std::uint16_t>(length));
    } else {
        put32(b, length);
        put32(b, proto);
    }
    return csum_partial(b.data(), b.size());
}

Bytes ethernet(const Mac& dst, const Mac& src, std::uint16_t ethertype, const Bytes& payload,
               std::optional<std::uint16_t> vlan) {
    Bytes b(dst.begin(), dst.end());
    b.insert(b.end(), src.begin(), src.end());
    if (vlan) {
        put16(b, 0x8100);
        put16(b, *vlan);
    }
    put16(b, ethertype);
    append(b, payload);
    return b;
}

Bytes arp(std::uint16_t op, const Mac& sha, const IpAddress& spa, const Mac& tha,
          const IpAddress& tpa) {
    Bytes b;
    put16(b, 1);       // Ethernet
    put16(b, 0x0800);  // IPv4
    b.push_back(6);
    b.push_back(4);
    put16(b, op);
    b.insert(b.end(), sha.begin(), sha.end());
    put_addr(b, spa);
    b.insert(b.end(), tha.begin(), tha.end());
    put_addr(b, tpa);
    return b;
}

Bytes ipv4(const IpAddress& src, const IpAddress& dst, std::uint8_t proto, const Bytes& payload,
           const Ipv4Options& opt) {
    std::size_t hlen = 20 + opt.options.size();
    Bytes b;
    b.push_back(static_cast<std::uint8_t>(0x40 | opt.ihl_override.value_or(hlen / 4)));
    b.push_back(0);
    put16(b, opt.total_length_override.value_or(static_cast<std::uint16_t>(hlen + payload.size())));
    put16(b, 0x1234);  // identification
    put16(b, opt.frag_off);
    b.push_back(opt.ttl);
    b.push_back(proto);
    put16(b, 0);
    put_addr(b, src);
    put_addr(b, dst);
    append(b, opt.options);
    std::uint16_t c = csum_finish(csum_partial(b.data(), b.size()));
    b[10] = static_cast<std::uint8_t>(c >> 8);
    b[11] = static_cast<std::uint8_t>(c);
    append(b, payload);
    return b;
}

Bytes ipv6(const IpAddress& src, const IpAddress& dst, std::uint8_t next_header,
           std::uint8_t hop_limit, const Bytes& payload,
           std::optional<std::uint16_t> payload_length_override) {
    Bytes b;
    put32(b, 0x60000000);
    put16(b, payload_length_override.value_or(static_cast<std::uint16_t>(payload.size())));
    b.push_back(next_header);
    b.push_back(hop_limit);
    put_addr(b, src);
    put_addr(b, dst);
    append(b, payload);
    return b;
}

Bytes icmpv6(const IpAddress& src, const IpAddress& dst, std::uint8_t type, std::uint8_t code,
             const Bytes& body, bool bad_checksum) {
    Bytes b{type, code, 0, 0};
    append(b, body);
    std::uint32_t sum = pseudo_sum(src, dst, kProtoIcmpv6, static_cast<std::uint32_t>(b.size()));
    std::uint16_t c = csum_finish(csum_partial(b.data(), b.size(), sum));
    if (bad_checksum) c ^= 0x0100;
    b[2] = static_cast<std::uint8_t>(c >> 8);
    b[3] = static_cast<std::uint8_t>(c);
    return b;
}

Bytes lladdr_option(std::uint8_t type, const Mac& m) {
    Bytes b{type, 1};
    b.insert(b.end(), m.begin(), m.end());
    return b;
}

Bytes nd_body(std::uint32_t flags, const IpAddress& target, const Bytes& options) {
    Bytes b;
    put32(b, flags);
    put_addr(b, target);
    append(b, options);
    return b;
}

Bytes vrrp(const Vrrp& v, const IpAddress& src, const IpAddress& dst) {
    Bytes b;
    b.push_back(static_cast<std::uint8_t>(v.version << 4 | v.type));
    b.push_back(v.vrid);
    b.push_back(v.priority);
    b.push_back(v.count_override.value_or(static_cast<std::uint8_t>(v.addresses.size())));
    if (v.version == 2) {
        b.push_back(0);  // auth type none
        b.push_back(static_cast<std::uint8_t>(v.interval));
    } else {
        put16(b, static_cast<std::uint16_t>(v.interval & 0x0fff));
    }
    put16(b, 0);
    for (const auto& a : v.addresses) put_addr(b, a);
    if (v.version == 2) b.insert(b.end(), 8, 0);  // RFC 3768 authentication data
    b.insert(b.end(), v.trailing_bytes, 0);
    std::uint32_t sum = 0;
    if (v.version == 3 && v.checksum == VrrpChecksum::Pseudo)
        sum = pseudo_sum(src, dst, kProtoVrrp, static_cast<std::uint32_t>(b.size()));
    std::uint16_t c = csum_finish(csum_partial(b.data(), b.size(), sum));
    if (v.checksum == VrrpChecksum::Bad) c ^= 0x0001;
    b[6] = static_cast<std::uint8_t>(c >> 8);
    b[7] = static_cast<std::uint8_t>(c);
    return b;
}

IpAddress solicited_node(const IpAddress& target) {
    std::array<std::uint8_t, 16> a{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff, 0, 0, 0};
    a[13] = target.bytes()[13];
    a[14] = target.bytes()[14];
    a[15] = target.bytes()[15];
    return IpAddress::v6(a);
}

Mac multicast_mac(const IpAddress& group) {
    const auto& a = group.bytes();
    if (group.is_v4()) return Mac{0x01, 0x00, 0x5e, static_cast<std::uint8_t>(a[1] & 0x7f), a[2], a[3]};
    return Mac{0x33, 0x33, a[12], a[13], a[14], a[15]};
}

}  // namespace xvrrp::frames
