#include "core/vrrp_packet.hpp"

#include <algorithm>

#include "core/checksum.hpp"

namespace xvrrp {

// The C++ enum mirrors the ABI enum value for value: the XDP program counts by these numbers.
static_assert(static_cast<int>(Reason::ZeroInterval) == XVRRP_REASON_ZERO_INTERVAL);
static_assert(static_cast<int>(Reason::ZeroInterval) + 1 == XVRRP_REASON_COUNT,
              "a reason was added to abi.h: add it to Reason and reason_name()");

std::string_view reason_name(Reason r) {
    switch (r) {
        case Reason::Ok: return "ok";
        case Reason::Truncated: return "truncated";
        case Reason::BadTtl: return "bad_ttl";
        case Reason::BadVersion: return "bad_version";
        case Reason::VersionMismatch: return "version_mismatch";
        case Reason::BadType: return "bad_type";
        case Reason::BadLength: return "bad_length";
        case Reason::BadAddrCount: return "bad_addr_count";
        case Reason::BadChecksum: return "bad_checksum";
        case Reason::BadAuth: return "bad_auth";
        case Reason::IntervalMismatch: return "interval_mismatch";
        case Reason::UnknownVrid: return "unknown_vrid";
        case Reason::NotAPeer: return "not_a_peer";
        case Reason::BadSource: return "bad_source";
        case Reason::Fragment: return "fragment";
        case Reason::BadIpHeader: return "bad_ip_header";
        case Reason::ZeroInterval: return "zero_interval";
    }
    return "unknown";
}

namespace {

constexpr std::size_t kChecksumOffset = 6;

std::size_t address_size(Family f) { return f == Family::V4 ? 4 : 16; }

std::size_t expected_length(std::uint8_t version, Family family, std::size_t count) {
    return kVrrpHeaderSize + count * address_size(family) + (version == 2 ? kV2AuthDataSize : 0);
}

std::uint16_t read_be16(const std::uint8_t* p) {
    return static_cast<std::uint16_t>((std::uint16_t{p[0]} << 8) | p[1]);
}

// Multicast, unspecified or limited broadcast: no VRRP router sends from these (RFC 1122 3.2.1.3
// forbids them as IPv4 sources; RFC 4291 2.7 / 2.5.2 for IPv6).
bool is_impossible_source(const IpAddress& a) {
    const auto& b = a.bytes();
    if (a.is_v4()) {
        const std::uint32_t v = a.v4_host_order();
        return v == 0 || v == 0xffffffffu || (b[0] & 0xf0) == 0xe0;
    }
    if (b[0] == 0xff) return true;
    return std::all_of(b.begin(), b.end(), [](std::uint8_t x) { return x == 0; });
}

// The sum over the message with the checksum field as received; a correct checksum makes the
// folded total 0 (RFC 1071: the receiver sums everything including the checksum).
bool checksum_ok(std::uint32_t sum) { return checksum_fold(sum) == 0; }

}  // namespace

DecodeResult decode_advert(std::span<const std::uint8_t> p, const IpAddress& src, const IpAddress& dst,
                           std::uint8_t ttl_or_hoplimit) {
    DecodeResult r;
    auto reject = [&r](Reason why) {
        r.reason = why;
        return r;
    };
    if (p.size() < kVrrpHeaderSize) return reject(Reason::Truncated);
    if (src.family() != dst.family()) return reject(Reason::BadIpHeader);
    // RFC 5798 7.1 / RFC 3768 7.1: TTL (hop limit) MUST be 255, so the sender is on this link.
    if (ttl_or_hoplimit != kVrrpTtl) return reject(Reason::BadTtl);

    const std::uint8_t version = p[0] >> 4;
    const std::uint8_t type = p[0] & 0x0f;
    // VRRPv2 is defined for IPv4 only (RFC 3768); keepalived forces version 3 for IPv6 instances.
    if ((version != 2 && version != 3) || (version == 2 && src.is_v6())) return reject(Reason::BadVersion);
    if (type != kAdvertisementType) return reject(Reason::BadType);

    const std::uint8_t count = p[3];
    // RFC 5798 5.2.5: the minimum count is 1. RFC 3768 has no explicit minimum, but an advert
    // that protects no address protects nothing, and keepalived never sends one.
    if (count == 0) return reject(Reason::BadAddrCount);
    // The message is exactly header + addresses (+ v2 authentication data). Anything else means
    // the count and the length disagree, and the checksum would cover bytes no field explains.
    if (p.size() != expected_length(version, src.family(), count)) return reject(Reason::BadLength);

    const std::uint32_t plain = checksum_add(p);
    if (version == 2) {
        // RFC 3768 5.3.8: over the VRRP message only.
        r.checksum_plain_ok = checksum_ok(plain);
    } else {
        // RFC 5798 5.2.8: pseudo-header first. Accept the v2-style variant too (see ChecksumMode).
        const auto pseudo = pseudo_header_sum(src, dst, kIpProtoVrrp, static_cast<std::uint32_t>(p.size()));
        const std::uint64_t with = std::uint64_t{plain} + pseudo;
        r.checksum_pseudo_header_ok = checksum_ok(static_cast<std::uint32_t>((with & 0xffffffffu) + (with >> 32)));
        r.checksum_plain_ok = checksum_ok(plain);
    }
    if (!r.checksum_pseudo_header_ok && !r.checksum_plain_ok) return reject(Reason::BadChecksum);

    Advert& a = r.advert;
    a.version = version;
    a.vrid = p[1];
    a.priority = p[2];
    a.family = src.family();
    if (version == 2) {
        a.auth_type = static_cast<AuthType>(p[4]);
        a.max_advert_interval = std::chrono::seconds(p[5]);
        // RFC 3768 5.3.10: authentication data is ignored on receipt, except the PASS key that
        // keepalived (RFC 2338 5.3.6.2) still sends and checks.
        if (a.auth_type == AuthType::Password) {
            std::copy_n(p.end() - static_cast<std::ptrdiff_t>(kV2AuthDataSize), kV2AuthDataSize, a.auth_key.begin());
        }
    } else {
        // RFC 5798 5.2.6: 4 reserved bits, ignored on receipt; 12-bit interval in centiseconds.
        a.max_advert_interval = std::chrono::milliseconds(10 * (read_be16(&p[4]) & 0x0fffu));
    }
    // RFC 3768 5.3.7 / RFC 5798 5.2.7 give no meaning to a zero interval: Master_Down_Interval
    // would collapse to the skew time and every backup would take over at once.
    if (a.max_advert_interval.count() == 0) return reject(Reason::ZeroInterval);
    if (is_impossible_source(src)) return reject(Reason::BadSource);

    const std::size_t asz = address_size(a.family);
    a.addresses.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
        const std::uint8_t* at = &p[kVrrpHeaderSize + i * asz];
        if (a.family == Family::V4) {
            a.addresses.push_back(IpAddress::v4_bytes(at));
        } else {
            std::array<std::uint8_t, 16> b;
            std::copy_n(at, 16, b.begin());
            a.addresses.push_back(IpAddress::v6(b));
        }
    }
    return r;
}

bool checksum_matched_only_other_variant(const DecodeResult& d, ChecksumMode configured) {
    if (!d.ok() || d.advert.version != 3) return false;
    return configured == ChecksumMode::WithPseudoHeader ? !d.checksum_pseudo_header_ok
                                                        : !d.checksum_plain_ok;
}

std::string_view encode_problem(const Advert& a, const IpAddress& src) {
    if (a.version != 2 && a.version != 3) return "VRRP version must be 2 or 3";
    if (a.version == 2 && a.family != Family::V4) return "VRRPv2 is IPv4 only (RFC 3768)";
    if (src.family() != a.family) return "source address family differs from the advert's";
    if (a.addresses.empty()) return "an advert needs at least one address";
    if (a.addresses.size() > advert_address_capacity(a.family))
        return a.family == Family::V4 ? "more than 255 addresses do not fit the count field"
                                      : "more than 90 IPv6 addresses do not fit a 1500-byte frame";
    for (const auto& addr : a.addresses) {
        if (addr.family() != a.family) return "address of the wrong family in the advert";
    }
    const auto ms = a.max_advert_interval.count();
    if (a.version == 2) {
        if (ms < 1000) return "VRRPv2 interval must be at least 1 s";
        if (ms / 1000 > 255) return "VRRPv2 interval must be at most 255 s";
    } else {
        if (ms < 10) return "VRRPv3 interval must be at least 10 ms";
        if (ms / 10 > kV3MaxIntervalCentis) return "VRRPv3 interval must be at most 40.95 s";
    }
    return {};
}

std::vector<std::uint8_t> encode_advert(const Advert& a, const IpAddress& src, const IpAddress& dst,
                                        ChecksumMode mode) {
    if (!encode_problem(a, src).empty() || dst.family() != src.family()) return {};
    std::vector<std::uint8_t> out(expected_length(a.version, a.family, a.addresses.size()), 0);
    out[0] = static_cast<std::uint8_t>((a.version << 4) | kAdvertisementType);
    out[1] = a.vrid;
    out[2] = a.priority;
    out[3] = static_cast<std::uint8_t>(a.addresses.size());
    if (a.version == 2) {
        out[4] = static_cast<std::uint8_t>(a.auth_type);
        out[5] = static_cast<std::uint8_t>(a.max_advert_interval.count() / 1000);
        // RFC 3768 5.3.10: authentication data is transmitted as zero unless PASS is used
        // (5.3.6.2 in RFC 2338: the key, zero padded).
        if (a.auth_type == AuthType::Password) {
            std::copy(a.auth_key.begin(), a.auth_key.end(), out.end() - kV2AuthDataSize);
        }
    } else {
        const auto centis = static_cast<std::uint16_t>(a.max_advert_interval.count() / 10);
        out[4] = static_cast<std::uint8_t>(centis >> 8);  // high 4 bits: reserved, zero
        out[5] = static_cast<std::uint8_t>(centis);
    }
    const std::size_t asz = address_size(a.family);
    for (std::size_t i = 0; i < a.addresses.size(); ++i) {
        std::copy_n(a.addresses[i].bytes().begin(), asz, out.begin() + static_cast<std::ptrdiff_t>(kVrrpHeaderSize + i * asz));
    }
    std::uint32_t sum = checksum_add(out);
    if (a.version == 3 && mode == ChecksumMode::WithPseudoHeader) {
        const std::uint64_t with =
            std::uint64_t{sum} + pseudo_header_sum(src, dst, kIpProtoVrrp, static_cast<std::uint32_t>(out.size()));
        sum = static_cast<std::uint32_t>((with & 0xffffffffu) + (with >> 32));
    }
    const std::uint16_t csum = checksum_fold(sum);
    out[kChecksumOffset] = static_cast<std::uint8_t>(csum >> 8);
    out[kChecksumOffset + 1] = static_cast<std::uint8_t>(csum);
    return out;
}

Reason validate_for_instance(const Advert& a, const IpAddress& src, const InstanceExpectations& inst) {
    // VRIDs are per address family (RFC 5798 5.2.3: IPv4 and IPv6 virtual routers are separate).
    if (a.vrid != inst.vrid || a.family != inst.family) return Reason::UnknownVrid;
    if (a.version != inst.version) return Reason::VersionMismatch;
    if (std::find(inst.own_addresses.begin(), inst.own_addresses.end(), src) != inst.own_addresses.end()) {
        return Reason::BadSource;
    }
    if (!inst.unicast_peers.empty() &&
        std::find(inst.unicast_peers.begin(), inst.unicast_peers.end(), src) == inst.unicast_peers.end()) {
        return Reason::NotAPeer;
    }
    if (a.version == 2) {
        // RFC 3768 7.1 (and RFC 2338 5.3.6): the auth type MUST match; for PASS the key MUST match.
        if (a.auth_type != inst.auth_type) return Reason::BadAuth;
        if (a.auth_type == AuthType::Password && a.auth_key != inst.auth_key) return Reason::BadAuth;
        // RFC 3768 7.1: the Adver Int MUST equal ours, else discard. Compared in the wire unit.
        if (a.max_advert_interval.count() / 1000 != inst.advert_interval.count() / 1000) {
            return Reason::IntervalMismatch;
        }
    }
    // VRRPv3 carries the master's interval and the backup adopts it (RFC 5798 6.4.2): no check.
    return Reason::Ok;
}

bool addresses_match(const Advert& a, std::span<const IpAddress> configured) {
    if (a.addresses.size() != configured.size()) return false;
    std::vector<IpAddress> x(a.addresses), y(configured.begin(), configured.end());
    std::sort(x.begin(), x.end());
    std::sort(y.begin(), y.end());
    return x == y;
}

DecodeResult decode_ip_datagram(std::span<const std::uint8_t> pkt) {
    DecodeResult r;
    auto reject = [&r](Reason why) {
        r.reason = why;
        return r;
    };
    if (pkt.empty()) return reject(Reason::Truncated);
    const std::uint8_t ipver = pkt[0] >> 4;
    if (ipver == 4) {
        if (pkt.size() < 20) return reject(Reason::Truncated);
        const std::size_t ihl = std::size_t{pkt[0] & 0x0fu} * 4;
        const std::size_t total = read_be16(&pkt[2]);
        if (ihl < 20 || total < ihl) return reject(Reason::BadIpHeader);
        if (pkt.size() < total) return reject(Reason::Truncated);
        if (internet_checksum(pkt.first(ihl)) != 0) return reject(Reason::BadIpHeader);
        // More-fragments flag or a non-zero offset: an advert is always one unfragmented datagram.
        if ((read_be16(&pkt[6]) & 0x3fffu) != 0) return reject(Reason::Fragment);
        if (pkt[9] != kIpProtoVrrp) return reject(Reason::BadIpHeader);
        return decode_advert(pkt.subspan(ihl, total - ihl), IpAddress::v4_bytes(&pkt[12]),
                             IpAddress::v4_bytes(&pkt[16]), pkt[8]);
    }
    if (ipver == 6) {
        if (pkt.size() < 40) return reject(Reason::Truncated);
        const std::size_t payload = read_be16(&pkt[4]);
        if (pkt.size() < 40 + payload) return reject(Reason::Truncated);
        if (pkt[6] == 44) return reject(Reason::Fragment);  // Fragment extension header
        if (pkt[6] != kIpProtoVrrp) return reject(Reason::BadIpHeader);
        std::array<std::uint8_t, 16> s, d;
        std::copy_n(&pkt[8], 16, s.begin());
        std::copy_n(&pkt[24], 16, d.begin());
        return decode_advert(pkt.subspan(40, payload), IpAddress::v6(s), IpAddress::v6(d), pkt[7]);
    }
    return reject(Reason::BadIpHeader);
}

}  // namespace xvrrp
