// VRRP advertisement codec: VRRPv2 (RFC 3768, IPv4 only) and VRRPv3 (RFC 5798, IPv4 and IPv6).
//
// Two layers of checks, as RFC 5798 / RFC 3768 section 7.1 split them:
//  - decode_advert(): what the packet alone says (TTL/hop limit, version, type, length against the
//    address count, checksum, zero interval). Any node would reject these.
//  - validate_for_instance(): what only a configured instance knows (VRID, configured version,
//    v2 authentication and interval, unicast peers, our own source addresses).
// Rejections are the shared `enum xvrrp_reason` values, so the XDP program and userspace count the
// same drop under the same name.
#pragma once

#include <xvrrp/abi.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "core/ip_address.hpp"

namespace xvrrp {

// enum xvrrp_reason as a scoped C++ enum with identical values (pinned by static_asserts in the .cpp).
enum class Reason : std::uint8_t {
    Ok = XVRRP_REASON_OK,
    Truncated = XVRRP_REASON_TRUNCATED,
    BadTtl = XVRRP_REASON_BAD_TTL,
    BadVersion = XVRRP_REASON_BAD_VERSION,
    VersionMismatch = XVRRP_REASON_VERSION_MISMATCH,
    BadType = XVRRP_REASON_BAD_TYPE,
    BadLength = XVRRP_REASON_BAD_LENGTH,
    BadAddrCount = XVRRP_REASON_BAD_ADDR_COUNT,
    BadChecksum = XVRRP_REASON_BAD_CHECKSUM,
    BadAuth = XVRRP_REASON_BAD_AUTH,
    IntervalMismatch = XVRRP_REASON_INTERVAL_MISMATCH,
    UnknownVrid = XVRRP_REASON_UNKNOWN_VRID,
    NotAPeer = XVRRP_REASON_NOT_A_PEER,
    BadSource = XVRRP_REASON_BAD_SOURCE,
    Fragment = XVRRP_REASON_FRAGMENT,
    BadIpHeader = XVRRP_REASON_BAD_IP_HEADER,
    ZeroInterval = XVRRP_REASON_ZERO_INTERVAL,
};
inline constexpr std::size_t kReasonCount = XVRRP_REASON_COUNT;

// Metric-label name of a reason: "ok", "truncated", "bad_ttl", ... ("unknown" if out of range).
std::string_view reason_name(Reason r);

inline constexpr std::uint8_t kIpProtoVrrp = IPPROTO_VRRP_NUM;
inline constexpr std::uint8_t kVrrpTtl = 255;             // RFC 5798 5.1.1.3 / 5.1.2.3
inline constexpr std::uint8_t kAdvertisementType = 1;     // the only type defined
inline constexpr std::size_t kVrrpHeaderSize = 8;
inline constexpr std::size_t kV2AuthDataSize = 8;         // RFC 3768 5.3.10, always present
inline constexpr std::uint16_t kV3MaxIntervalCentis = 4095;  // 12-bit field

// RFC 3768 5.3.6. keepalived's default for VRRPv2 is PASS, and OpenShift's image uses it.
enum class AuthType : std::uint8_t { None = 0, Password = 1, IpAh = 2 };

// Which VRRPv3 checksum an instance sends. RFC 5798 5.2.8 includes the IPv4/IPv6 pseudo-header
// (keepalived's default). RFC 5798's wording left it open for IPv4, and some peers compute the v3
// checksum like v2, over the VRRP message only (the "v3 checksum as v2" variant, RFC 9568;
// Wireshark's vrrp.v3_checksum_as_in_v2 preference reads it). Selectable per instance; received
// adverts are accepted with either (see decode_advert). VRRPv2 never uses a pseudo-header.
enum class ChecksumMode : std::uint8_t { WithPseudoHeader, WithoutPseudoHeader };

struct Advert {
    std::uint8_t version = 3;                 // 2 or 3
    std::uint8_t vrid = 1;                    // 1..255
    std::uint8_t priority = 100;              // 0 = resign, 255 = address owner
    // v2: whole seconds (1..255) on the wire; v3: centiseconds (1..4095). Encoding rounds down to
    // the wire unit; decoding yields seconds*1000 or centiseconds*10.
    std::chrono::milliseconds max_advert_interval{1000};
    AuthType auth_type = AuthType::None;      // v2 only
    std::array<std::uint8_t, 8> auth_key{};   // v2 PASS key, zero padded (keepalived keeps 8 chars)
    Family family = Family::V4;
    std::vector<IpAddress> addresses;         // all of `family`; 1..255 of them

    bool operator==(const Advert&) const = default;
};

struct DecodeResult {
    Reason reason = Reason::Ok;
    Advert advert;  // meaningful only when reason == Ok
    // Which checksum computations matched the received checksum. v2: only `plain`. v3: either or
    // both (both is a 1-in-65535 coincidence of the pseudo-header summing to zero).
    bool checksum_pseudo_header_ok = false;
    bool checksum_plain_ok = false;

    bool ok() const { return reason == Reason::Ok; }
    explicit operator bool() const { return ok(); }
};

// Decodes the VRRP payload (the bytes after the IP header) received from `src` to `dst` with the
// given IPv4 TTL / IPv6 hop limit, and applies the packet-intrinsic RFC 7.1 checks. A v3 packet
// is accepted if its checksum matches either variant; see checksum_matched_only_other_variant().
DecodeResult decode_advert(std::span<const std::uint8_t> vrrp_payload, const IpAddress& src,
                           const IpAddress& dst, std::uint8_t ttl_or_hoplimit);

// True when a decoded v3 packet's checksum matches only the variant this instance does NOT use:
// accepted for interop, but worth a counter (a peer with the other checksum convention).
bool checksum_matched_only_other_variant(const DecodeResult& decoded, ChecksumMode configured);

// Encodes the VRRP payload (no IP header: the socket adds it). The checksum is computed for the
// given src/dst (for unicast, the peer's address: keepalived before issue #642 was fixed put the
// multicast group there). The Advert must be encodable (see encode_problem()) and dst of src's
// family; otherwise the result is empty.
std::vector<std::uint8_t> encode_advert(const Advert& advert, const IpAddress& src, const IpAddress& dst,
                                        ChecksumMode mode = ChecksumMode::WithPseudoHeader);

// How many addresses one advert of `family` lists: 255 fit the 8-bit count field; an IPv6 advert
// of more than 90 would not fit a 1500-byte frame (40 + 8 + 16 x 90 = 1488 bytes, no fragments).
constexpr std::size_t advert_address_capacity(Family family) { return family == Family::V4 ? 255 : 90; }

// Why `advert` cannot be put on the wire from `src` (empty if it can): version not 2/3, v2 with
// IPv6, no addresses or more than advert_address_capacity(), an address or `src` of the wrong family, an interval that is
// zero or too large once rounded to the wire unit. Config validation calls this up front.
std::string_view encode_problem(const Advert& advert, const IpAddress& src);

// What an instance expects of adverts for its VRID (RFC 5798 7.1 / RFC 3768 7.1, per instance).
struct InstanceExpectations {
    std::uint8_t vrid = 1;
    Family family = Family::V4;
    std::uint8_t version = 3;
    AuthType auth_type = AuthType::None;            // v2
    std::array<std::uint8_t, 8> auth_key{};         // v2, compared when auth_type == Password
    std::chrono::milliseconds advert_interval{1000};  // v2: a different interval is discarded
    ChecksumMode checksum_mode = ChecksumMode::WithPseudoHeader;
    std::vector<IpAddress> unicast_peers;           // empty: multicast, any source
    std::vector<IpAddress> own_addresses;           // an advert from one of these is our own echo
};

// Per-instance checks of an advert decode_advert() accepted, received from `src`. Returns
// Reason::Ok or the first failed check in RFC order. A caller that finds no instance for the
// advert's VRID counts Reason::UnknownVrid without calling this.
Reason validate_for_instance(const Advert& advert, const IpAddress& src, const InstanceExpectations& inst);

// RFC 5798 7.1 says a receiver MAY check the address list against its configuration and MUST only
// log a mismatch (keepalived logs it and still processes the advert). Order does not matter.
bool addresses_match(const Advert& advert, std::span<const IpAddress> configured_addresses);

// Decoding straight from an IP datagram (raw IPv4 socket, capture files, tests): parses and checks
// the IP header, then calls decode_advert(). IPv4: version 4, IHL >= 5, total length within the
// buffer (trailing link-layer padding is ignored), header checksum, no fragment, protocol 112.
// IPv6: version 6, payload length within the buffer, next header 112 (extension headers are not
// followed: VRRP never uses them).
DecodeResult decode_ip_datagram(std::span<const std::uint8_t> ip_packet);

}  // namespace xvrrp
