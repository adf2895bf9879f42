// libFuzzer target for the VRRP advert decoder.
// xvrrp-fuzz-core: vrrp_packet checksum ip_address
//
// Input layout (so the fuzzer can get past the checksum instead of stopping at BAD_CHECKSUM):
//   byte 0: bit 0   IPv6 (fe80::1 -> ff02::12) instead of IPv4 (198.51.100.2 -> 224.0.0.18)
//           bits 1-2 0: checksum as given, 1: rewrite it with the pseudo-header, 2: rewrite it plain
//           bit 3   the rest is a whole IP datagram for decode_ip_datagram() (bits 0-2 unused)
//   byte 1: TTL / hop limit (VRRP mode only)
//   rest:   VRRP payload, or the IP datagram
// On every successful decode: the advert must be encodable, re-encoding must reproduce the input
// bytes (up to the fields the RFCs say to ignore on receipt), and decoding that again must give
// the same advert.
#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <vector>

#include "core/checksum.hpp"
#include "core/vrrp_packet.hpp"

namespace {

using namespace xvrrp;

[[noreturn]] void fail(const char* what) {
    std::fprintf(stderr, "fuzz_advert: invariant broken: %s\n", what);
    std::abort();
}

void rewrite_checksum(std::vector<std::uint8_t>& p, const IpAddress& src, const IpAddress& dst, bool pseudo) {
    if (p.size() < kVrrpHeaderSize) return;
    p[6] = p[7] = 0;
    std::uint32_t sum = checksum_add(p);
    if (pseudo) sum += pseudo_header_sum(src, dst, kIpProtoVrrp, static_cast<std::uint32_t>(p.size()));
    const auto c = checksum_fold(sum);
    p[6] = static_cast<std::uint8_t>(c >> 8);
    p[7] = static_cast<std::uint8_t>(c);
}

void check_round_trip(const DecodeResult& d, std::span<const std::uint8_t> payload, const IpAddress& src,
                      const IpAddress& dst) {
    const Advert& a = d.advert;
    if (a.addresses.empty() || a.addresses.size() > 255) fail("address count out of range");
    for (const auto& addr : a.addresses) {
        if (addr.family() != a.family) fail("address family differs from the advert's");
    }
    if (a.max_advert_interval.count() <= 0) fail("non-positive interval accepted");
    if (!encode_problem(a, src).empty()) fail("decoded advert is not encodable");

    const ChecksumMode mode = d.checksum_pseudo_header_ok ? ChecksumMode::WithPseudoHeader
                                                          : ChecksumMode::WithoutPseudoHeader;
    const auto wire = encode_advert(a, src, dst, mode);
    // The input with the fields the RFCs ignore on receipt zeroed, and its checksum recomputed the
    // way it matched, must be exactly what the encoder produces.
    std::vector<std::uint8_t> canonical(payload.begin(), payload.end());
    if (a.version == 3) canonical[4] &= 0x0f;  // RFC 5798 5.2.6 reserved bits
    if (a.version == 2 && a.auth_type != AuthType::Password) {
        // RFC 3768 5.3.10: authentication data ignored on receipt unless PASS.
        std::fill(canonical.end() - static_cast<std::ptrdiff_t>(kV2AuthDataSize), canonical.end(), 0);
    }
    rewrite_checksum(canonical, src, dst, a.version == 3 && mode == ChecksumMode::WithPseudoHeader);
    if (wire != canonical) fail("re-encoded bytes differ from the canonical input");
    const auto again = decode_advert(wire, src, dst, kVrrpTtl);
    if (!again.ok()) fail("re-encoded advert does not decode");
    if (!(again.advert == a)) fail("re-decoded advert differs");

    // Per-instance checks must be total functions of any decoded advert.
    InstanceExpectations inst;
    inst.vrid = a.vrid;
    inst.family = a.family;
    inst.version = 2;
    inst.auth_type = AuthType::Password;
    inst.unicast_peers = {src};
    (void)validate_for_instance(a, src, inst);
    (void)checksum_matched_only_other_variant(d, ChecksumMode::WithPseudoHeader);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    const std::uint8_t control = data[0];
    if (control & 0x08) {
        const auto d = decode_ip_datagram(std::span(data + 1, size - 1));
        if (d.ok() && d.advert.addresses.empty()) fail("datagram decode accepted no addresses");
        return 0;
    }
    static const IpAddress s4 = *IpAddress::parse("198.51.100.2"), d4 = *IpAddress::parse("224.0.0.18");
    static const IpAddress s6 = *IpAddress::parse("fe80::1"), d6 = *IpAddress::parse("ff02::12");
    const bool v6 = control & 0x01;
    const IpAddress& src = v6 ? s6 : s4;
    const IpAddress& dst = v6 ? d6 : d4;
    std::vector<std::uint8_t> payload(data + 2, data + size);
    const int fix = (control >> 1) & 0x03;
    if (fix == 1 || fix == 2) rewrite_checksum(payload, src, dst, fix == 1);

    const auto d = decode_advert(payload, src, dst, data[1]);
    if (d.ok()) check_round_trip(d, payload, src, dst);
    else if (reason_name(d.reason) == "unknown") fail("rejection reason out of range");
    return 0;
}
