// VRRP advert codec: golden bytes (checksums worked out independently, RFC 1071 by hand in Python),
// round trips, and one case per rejection reason.
#include "core/vrrp_packet.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "core/checksum.hpp"

namespace {

using namespace xvrrp;
using namespace std::chrono_literals;
using Bytes = std::vector<std::uint8_t>;

IpAddress ip(const char* s) {
    auto a = IpAddress::parse(s);
    if (!a) throw std::invalid_argument(std::string("bad test address ") + s);
    return *a;
}

std::array<std::uint8_t, 8> key(std::string_view k) {
    std::array<std::uint8_t, 8> out{};
    for (std::size_t i = 0; i < k.size() && i < 8; ++i) out[i] = static_cast<std::uint8_t>(k[i]);
    return out;
}

// OpenShift's generator: VRRPv2, PASS with the config name (keepalived keeps 8 chars), 1 s.
Advert openshift_v2() {
    Advert a;
    a.version = 2;
    a.vrid = 51;
    a.priority = 100;
    a.max_advert_interval = 1s;
    a.auth_type = AuthType::Password;
    a.auth_key = key("OpenShif");
    a.family = Family::V4;
    a.addresses = {ip("198.51.100.10")};
    return a;
}

Advert v3_v4() {
    Advert a;
    a.version = 3;
    a.vrid = 52;
    a.priority = 200;
    a.max_advert_interval = 10ms;
    a.family = Family::V4;
    a.addresses = {ip("198.51.100.10"), ip("198.51.100.11")};
    return a;
}

Advert v3_v6() {
    Advert a;
    a.version = 3;
    a.vrid = 53;
    a.priority = 255;
    a.max_advert_interval = 1000ms;
    a.family = Family::V6;
    a.addresses = {ip("2001:db8::10")};
    return a;
}

struct Golden {
    const char* name;
    Advert advert;
    IpAddress src, dst;
    ChecksumMode mode;
    Bytes wire;
    bool pseudo_ok, plain_ok;
};

std::vector<Golden> goldens() {
    return {
        {"v2_openshift_pass", openshift_v2(), ip("198.51.100.2"), ip("224.0.0.18"), ChecksumMode::WithPseudoHeader,
         {0x21, 0x33, 0x64, 0x01, 0x01, 0x01, 0xdd, 0xde, 0xc6, 0x33, 0x64, 0x0a,
          0x4f, 0x70, 0x65, 0x6e, 0x53, 0x68, 0x69, 0x66},
         false, true},
        {"v3_ipv4_pseudo_header", v3_v4(), ip("198.51.100.2"), ip("224.0.0.18"), ChecksumMode::WithPseudoHeader,
         {0x31, 0x34, 0xc8, 0x02, 0x00, 0x01, 0xa7, 0x81, 0xc6, 0x33, 0x64, 0x0a, 0xc6, 0x33, 0x64, 0x0b},
         true, false},
        {"v3_ipv4_v2_style", v3_v4(), ip("198.51.100.2"), ip("224.0.0.18"), ChecksumMode::WithoutPseudoHeader,
         {0x31, 0x34, 0xc8, 0x02, 0x00, 0x01, 0xb2, 0x4a, 0xc6, 0x33, 0x64, 0x0a, 0xc6, 0x33, 0x64, 0x0b},
         false, true},
        {"v3_ipv6", v3_v6(), ip("fe80::1"), ip("ff02::12"), ChecksumMode::WithPseudoHeader,
         {0x31, 0x35, 0xff, 0x01, 0x00, 0x64, 0xa3, 0x7c, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00,
          0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10},
         true, false},
    };
}

TEST(VrrpPacketGolden, EncodeMatchesGoldenBytes) {
    for (const auto& g : goldens()) {
        EXPECT_EQ(encode_advert(g.advert, g.src, g.dst, g.mode), g.wire) << g.name;
    }
}

TEST(VrrpPacketGolden, DecodeGoldenBytes) {
    for (const auto& g : goldens()) {
        const auto d = decode_advert(g.wire, g.src, g.dst, 255);
        ASSERT_TRUE(d.ok()) << g.name << ": " << reason_name(d.reason);
        EXPECT_EQ(d.advert, g.advert) << g.name;
        EXPECT_EQ(d.checksum_pseudo_header_ok, g.pseudo_ok) << g.name;
        EXPECT_EQ(d.checksum_plain_ok, g.plain_ok) << g.name;
    }
}

// VRRP payloads keepalived 2.2.7 sent in tests/interop (keepalived_adverts.sh, XVRRP_INTEROP_KEEP):
// the OpenShift v2 PASS config from 198.51.100.1, and v3 at 10 ms from 198.51.100.1 and fe80::1.
TEST(VrrpPacketGolden, KeepalivedCapturedVectors) {
    struct Captured {
        const char* name;
        Bytes wire;
        IpAddress src, dst;
        std::uint8_t version, vrid, priority;
        std::chrono::milliseconds interval;
        std::vector<IpAddress> addresses;
    };
    const std::vector<Captured> vectors{
        {"keepalived v2 openshift",
         {0x21, 0x33, 0xfd, 0x01, 0x01, 0x01, 0x44, 0xde, 0xc6, 0x33, 0x64, 0x0a,
          0x4f, 0x70, 0x65, 0x6e, 0x53, 0x68, 0x69, 0x66},
         ip("198.51.100.1"), ip("224.0.0.18"), 2, 51, 253, 1000ms, {ip("198.51.100.10")}},
        {"keepalived v3 ipv4 10ms",
         {0x31, 0x34, 0xc8, 0x02, 0x00, 0x01, 0xa7, 0x6e, 0xc6, 0x33, 0x64, 0x14, 0xc6, 0x33, 0x64, 0x15},
         ip("198.51.100.1"), ip("224.0.0.18"), 3, 52, 200, 10ms, {ip("198.51.100.20"), ip("198.51.100.21")}},
        {"keepalived v3 ipv6 10ms",
         {0x31, 0x35, 0xc8, 0x01, 0x00, 0x01, 0xda, 0xcf, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00,
          0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x20},
         ip("fe80::1"), ip("ff02::12"), 3, 53, 200, 10ms, {ip("2001:db8::20")}},
    };
    for (const auto& v : vectors) {
        const auto d = decode_advert(v.wire, v.src, v.dst, 255);
        ASSERT_TRUE(d.ok()) << v.name << ": " << reason_name(d.reason);
        EXPECT_EQ(d.advert.version, v.version) << v.name;
        EXPECT_EQ(d.advert.vrid, v.vrid) << v.name;
        EXPECT_EQ(d.advert.priority, v.priority) << v.name;
        EXPECT_EQ(d.advert.max_advert_interval, v.interval) << v.name;
        EXPECT_EQ(d.advert.addresses, v.addresses) << v.name;
        if (v.version == 2) {
            EXPECT_EQ(d.advert.auth_type, AuthType::Password) << v.name;
            EXPECT_EQ(d.advert.auth_key, key("OpenShif")) << v.name;  // "OpenShift-IPFailover", cut to 8
        } else {
            // keepalived's default v3 checksum includes the pseudo-header.
            EXPECT_TRUE(d.checksum_pseudo_header_ok) << v.name;
            EXPECT_FALSE(d.checksum_plain_ok) << v.name;
        }
        EXPECT_EQ(encode_advert(d.advert, v.src, v.dst, ChecksumMode::WithPseudoHeader), v.wire) << v.name;
    }
}

TEST(VrrpPacketChecksumVariant, OtherVariantIsAcceptedAndFlagged) {
    const auto src = ip("198.51.100.2"), dst = ip("224.0.0.18");
    const auto with = decode_advert(encode_advert(v3_v4(), src, dst, ChecksumMode::WithPseudoHeader), src, dst, 255);
    const auto without =
        decode_advert(encode_advert(v3_v4(), src, dst, ChecksumMode::WithoutPseudoHeader), src, dst, 255);
    ASSERT_TRUE(with.ok());
    ASSERT_TRUE(without.ok());
    EXPECT_FALSE(checksum_matched_only_other_variant(with, ChecksumMode::WithPseudoHeader));
    EXPECT_TRUE(checksum_matched_only_other_variant(with, ChecksumMode::WithoutPseudoHeader));
    EXPECT_TRUE(checksum_matched_only_other_variant(without, ChecksumMode::WithPseudoHeader));
    EXPECT_FALSE(checksum_matched_only_other_variant(without, ChecksumMode::WithoutPseudoHeader));
}

TEST(VrrpPacketChecksumVariant, V2NeverUsesThePseudoHeaderOrFlags) {
    const auto src = ip("198.51.100.2"), dst = ip("224.0.0.18");
    const auto a = encode_advert(openshift_v2(), src, dst, ChecksumMode::WithPseudoHeader);
    EXPECT_EQ(a, encode_advert(openshift_v2(), src, dst, ChecksumMode::WithoutPseudoHeader));
    const auto d = decode_advert(a, src, dst, 255);
    ASSERT_TRUE(d.ok());
    EXPECT_FALSE(checksum_matched_only_other_variant(d, ChecksumMode::WithPseudoHeader));
}

TEST(VrrpPacketChecksumVariant, PseudoHeaderBindsTheAddresses) {
    // Same VRRP bytes, other destination: the pseudo-header checksum no longer matches, and the
    // plain one never did, so the packet is rejected (keepalived issue #642: unicast peers that
    // put the multicast group in the pseudo-header).
    const auto src = ip("198.51.100.2");
    const auto wire = encode_advert(v3_v4(), src, ip("224.0.0.18"), ChecksumMode::WithPseudoHeader);
    EXPECT_EQ(decode_advert(wire, src, ip("198.51.100.3"), 255).reason, Reason::BadChecksum);
}

TEST(VrrpPacketRoundTrip, Table) {
    std::vector<std::pair<Advert, IpAddress>> cases;
    cases.emplace_back(openshift_v2(), ip("198.51.100.2"));
    cases.emplace_back(v3_v4(), ip("198.51.100.2"));
    cases.emplace_back(v3_v6(), ip("fe80::1"));
    {
        Advert a = openshift_v2();  // no auth, slowest v2 interval, priority 0 (resignation)
        a.auth_type = AuthType::None;
        a.auth_key = {};
        a.priority = 0;
        a.max_advert_interval = 255s;
        cases.emplace_back(a, ip("198.51.100.2"));
    }
    {
        Advert a = v3_v4();  // full house: 255 addresses, largest 12-bit interval
        a.addresses.clear();
        for (std::uint32_t i = 0; i < 255; ++i) a.addresses.push_back(IpAddress::v4(0xC6336400u + i));
        a.max_advert_interval = 40950ms;
        a.vrid = 255;
        cases.emplace_back(a, ip("198.51.100.2"));
    }
    {
        Advert a = v3_v6();
        a.addresses.clear();
        for (int i = 0; i < 40; ++i) {
            auto b = ip("2001:db8::").bytes();
            b[15] = static_cast<std::uint8_t>(i);
            a.addresses.push_back(IpAddress::v6(b));
        }
        cases.emplace_back(a, ip("fe80::abcd"));
    }
    for (const auto& [advert, src] : cases) {
        const IpAddress dst = src.is_v4() ? ip("224.0.0.18") : ip("ff02::12");
        for (auto mode : {ChecksumMode::WithPseudoHeader, ChecksumMode::WithoutPseudoHeader}) {
            const auto wire = encode_advert(advert, src, dst, mode);
            ASSERT_FALSE(wire.empty()) << encode_problem(advert, src);
            const auto d = decode_advert(wire, src, dst, 255);
            ASSERT_TRUE(d.ok()) << reason_name(d.reason);
            EXPECT_EQ(d.advert, advert);
            EXPECT_EQ(encode_advert(d.advert, src, dst, mode), wire);
        }
    }
}

TEST(VrrpPacketEncode, IntervalRoundsDownToTheWireUnit) {
    Advert a = v3_v4();
    a.max_advert_interval = 1019ms;  // 101.9 centiseconds -> 101
    const auto src = ip("198.51.100.2"), dst = ip("224.0.0.18");
    const auto d = decode_advert(encode_advert(a, src, dst), src, dst, 255);
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(d.advert.max_advert_interval, 1010ms);
}

TEST(VrrpPacketEncode, ProblemsAreNamed) {
    const auto v4src = ip("198.51.100.2"), v6src = ip("fe80::1");
    struct Case {
        const char* name;
        Advert advert;
        IpAddress src;
    };
    std::vector<Case> cases;
    auto add = [&](const char* name, auto mutate, IpAddress src) {
        Advert a = mutate();
        cases.push_back({name, a, src});
    };
    add("version 4", [] { auto a = v3_v4(); a.version = 4; return a; }, v4src);
    add("v2 over IPv6", [] { auto a = v3_v6(); a.version = 2; a.max_advert_interval = 1s; return a; }, v6src);
    add("no addresses", [] { auto a = v3_v4(); a.addresses.clear(); return a; }, v4src);
    add("256 addresses", [] { auto a = v3_v4(); a.addresses.assign(256, IpAddress::v4(0xC6336401u)); return a; }, v4src);
    add("91 IPv6 addresses", [] { auto a = v3_v6(); a.addresses.assign(91, a.addresses.front()); return a; }, v6src);
    add("mixed family", [] { auto a = v3_v4(); a.addresses.push_back(IpAddress::parse("2001:db8::1").value()); return a; }, v4src);
    add("source family", [] { return v3_v4(); }, v6src);
    add("v2 below 1 s", [] { auto a = openshift_v2(); a.max_advert_interval = 999ms; return a; }, v4src);
    add("v2 above 255 s", [] { auto a = openshift_v2(); a.max_advert_interval = 256s; return a; }, v4src);
    add("v3 below 10 ms", [] { auto a = v3_v4(); a.max_advert_interval = 9ms; return a; }, v4src);
    add("v3 above 40.95 s", [] { auto a = v3_v4(); a.max_advert_interval = 40960ms; return a; }, v4src);
    for (const auto& c : cases) {
        EXPECT_FALSE(encode_problem(c.advert, c.src).empty()) << c.name;
        EXPECT_TRUE(encode_advert(c.advert, c.src, c.src).empty()) << c.name;
    }
    EXPECT_EQ(encode_problem(v3_v4(), v4src), "");
    EXPECT_EQ(encode_problem(openshift_v2(), v4src), "");
    // The largest adverts: 255 IPv4 addresses (the count field), 90 IPv6 ones (1488-byte packet).
    auto full4 = v3_v4();
    full4.addresses.assign(255, full4.addresses.front());
    EXPECT_EQ(encode_problem(full4, v4src), "");
    auto full6 = v3_v6();
    full6.addresses.assign(90, full6.addresses.front());
    EXPECT_EQ(encode_problem(full6, v6src), "");
    EXPECT_EQ(encode_advert(full6, v6src, ip("ff02::12")).size() + 40, 1488u);
}

// --- decode rejections: one row per reason decode_advert() can return ---

// Rewrites the checksum so a deliberately broken field is the only defect.
Bytes with_checksum(Bytes b, const IpAddress& src, const IpAddress& dst, bool pseudo) {
    b[6] = b[7] = 0;
    std::uint32_t sum = checksum_add(b);
    if (pseudo) sum += pseudo_header_sum(src, dst, 112, static_cast<std::uint32_t>(b.size()));
    const auto c = checksum_fold(sum);
    b[6] = static_cast<std::uint8_t>(c >> 8);
    b[7] = static_cast<std::uint8_t>(c);
    return b;
}

struct Rejection {
    const char* name;
    Bytes wire;
    IpAddress src, dst;
    std::uint8_t ttl;
    Reason expected;
};

std::vector<Rejection> rejections() {
    const auto s4 = ip("198.51.100.2"), d4 = ip("224.0.0.18"), s6 = ip("fe80::1"), d6 = ip("ff02::12");
    const Bytes v2 = encode_advert(openshift_v2(), s4, d4);
    const Bytes v3 = encode_advert(v3_v4(), s4, d4);
    const Bytes v36 = encode_advert(v3_v6(), s6, d6);
    auto edit = [](Bytes b, std::size_t at, std::uint8_t v) {
        b[at] = v;
        return b;
    };
    Bytes v3_extra = v3;
    v3_extra.push_back(0);
    Bytes v2_no_auth(v2.begin(), v2.end() - 8);
    Bytes v3_count0(v3.begin(), v3.begin() + 8);
    v3_count0[3] = 0;
    return {
        {"7 bytes", Bytes(v3.begin(), v3.begin() + 7), s4, d4, 255, Reason::Truncated},
        {"empty", Bytes{}, s4, d4, 255, Reason::Truncated},
        {"ttl 254", v3, s4, d4, 254, Reason::BadTtl},
        {"ttl 64 v2", v2, s4, d4, 64, Reason::BadTtl},
        {"hop limit 1", v36, s6, d6, 1, Reason::BadTtl},
        {"version 1", with_checksum(edit(v2, 0, 0x11), s4, d4, false), s4, d4, 255, Reason::BadVersion},
        {"version 4", with_checksum(edit(v3, 0, 0x41), s4, d4, true), s4, d4, 255, Reason::BadVersion},
        {"v2 over IPv6", with_checksum(edit(v36, 0, 0x21), s6, d6, false), s6, d6, 255, Reason::BadVersion},
        {"type 2", with_checksum(edit(v3, 0, 0x32), s4, d4, true), s4, d4, 255, Reason::BadType},
        {"type 0 v2", with_checksum(edit(v2, 0, 0x20), s4, d4, false), s4, d4, 255, Reason::BadType},
        {"count 0", with_checksum(v3_count0, s4, d4, true), s4, d4, 255, Reason::BadAddrCount},
        {"count 3 for 2 addresses", with_checksum(edit(v3, 3, 3), s4, d4, true), s4, d4, 255, Reason::BadLength},
        {"trailing byte", with_checksum(v3_extra, s4, d4, true), s4, d4, 255, Reason::BadLength},
        {"v2 without auth data", with_checksum(v2_no_auth, s4, d4, false), s4, d4, 255, Reason::BadLength},
        {"v6 count 2 for 1", with_checksum(edit(v36, 3, 2), s6, d6, true), s6, d6, 255, Reason::BadLength},
        {"v2 priority flipped", edit(v2, 2, 101), s4, d4, 255, Reason::BadChecksum},
        {"v3 address flipped", edit(v3, 15, 0x0c), s4, d4, 255, Reason::BadChecksum},
        {"v6 checksum flipped", edit(v36, 7, static_cast<std::uint8_t>(v36[7] ^ 1)), s6, d6, 255, Reason::BadChecksum},
        {"v3 interval 0", with_checksum(edit(v3, 5, 0), s4, d4, true), s4, d4, 255, Reason::ZeroInterval},
        {"v3 interval 0, reserved set",
         with_checksum(edit(edit(v3, 4, 0xf0), 5, 0), s4, d4, true), s4, d4, 255, Reason::ZeroInterval},
        {"v2 interval 0", with_checksum(edit(v2, 5, 0), s4, d4, false), s4, d4, 255, Reason::ZeroInterval},
        {"multicast source", with_checksum(v3, d4, d4, true), d4, d4, 255, Reason::BadSource},
        {"0.0.0.0 source", with_checksum(v3, IpAddress::v4(0), d4, true), IpAddress::v4(0), d4, 255,
         Reason::BadSource},
        {"broadcast source", with_checksum(v2, IpAddress::v4(0xffffffffu), d4, false), IpAddress::v4(0xffffffffu),
         d4, 255, Reason::BadSource},
        {":: source", with_checksum(v36, ip("::"), d6, true), ip("::"), d6, 255, Reason::BadSource},
        {"ff02::1 source", with_checksum(v36, ip("ff02::1"), d6, true), ip("ff02::1"), d6, 255, Reason::BadSource},
        {"v4 src, v6 dst", v3, s4, d6, 255, Reason::BadIpHeader},
    };
}

TEST(VrrpPacketDecode, EveryRejectionHasItsReason) {
    std::set<Reason> covered;
    for (const auto& r : rejections()) {
        const auto d = decode_advert(r.wire, r.src, r.dst, r.ttl);
        EXPECT_EQ(d.reason, r.expected) << r.name << ": got " << reason_name(d.reason) << ", want "
                                        << reason_name(r.expected);
        EXPECT_FALSE(d.ok()) << r.name;
        covered.insert(r.expected);
    }
    // Every reason decode_advert() is responsible for appears in the table above.
    for (Reason r : {Reason::Truncated, Reason::BadTtl, Reason::BadVersion, Reason::BadType, Reason::BadAddrCount,
                     Reason::BadLength, Reason::BadChecksum, Reason::ZeroInterval, Reason::BadSource,
                     Reason::BadIpHeader}) {
        EXPECT_TRUE(covered.count(r)) << reason_name(r);
    }
}

TEST(VrrpPacketDecode, V3ReservedBitsAreIgnored) {
    // RFC 5798 5.2.6: reserved, MUST be zero on transmit, ignored on receipt.
    const auto s4 = ip("198.51.100.2"), d4 = ip("224.0.0.18");
    Bytes b = encode_advert(v3_v4(), s4, d4);
    b[4] |= 0xa0;
    const auto d = decode_advert(with_checksum(b, s4, d4, true), s4, d4, 255);
    ASSERT_TRUE(d.ok()) << reason_name(d.reason);
    EXPECT_EQ(d.advert, v3_v4());
}

TEST(VrrpPacketDecode, V2AuthDataIgnoredUnlessPass) {
    // RFC 3768 5.3.10: authentication data is ignored on receipt; only PASS (RFC 2338) gives it meaning.
    const auto s4 = ip("198.51.100.2"), d4 = ip("224.0.0.18");
    Advert a = openshift_v2();
    a.auth_type = AuthType::None;
    a.auth_key = {};
    Bytes b = encode_advert(a, s4, d4);
    b[b.size() - 1] = 'x';
    const auto d = decode_advert(with_checksum(b, s4, d4, false), s4, d4, 255);
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(d.advert.auth_key, (std::array<std::uint8_t, 8>{}));
}

// --- per-instance validation ---

InstanceExpectations openshift_instance() {
    InstanceExpectations e;
    e.vrid = 51;
    e.family = Family::V4;
    e.version = 2;
    e.auth_type = AuthType::Password;
    e.auth_key = key("OpenShif");
    e.advert_interval = 1s;
    e.own_addresses = {ip("198.51.100.1")};
    return e;
}

TEST(VrrpValidate, AcceptsTheOpenShiftPeer) {
    EXPECT_EQ(validate_for_instance(openshift_v2(), ip("198.51.100.2"), openshift_instance()), Reason::Ok);
}

TEST(VrrpValidate, EveryRejectionHasItsReason) {
    const auto peer = ip("198.51.100.2");
    struct Case {
        const char* name;
        Advert advert;
        IpAddress src;
        InstanceExpectations inst;
        Reason expected;
    };
    auto inst = [](auto mutate) {
        auto e = openshift_instance();
        mutate(e);
        return e;
    };
    auto adv = [](auto mutate) {
        auto a = openshift_v2();
        mutate(a);
        return a;
    };
    const std::vector<Case> cases{
        {"other vrid", adv([](Advert& a) { a.vrid = 52; }), peer, openshift_instance(), Reason::UnknownVrid},
        {"same vrid, other family", v3_v6(), ip("fe80::2"),
         inst([](auto& e) { e.vrid = 53; e.version = 3; }), Reason::UnknownVrid},
        {"v3 advert, v2 instance", adv([](Advert& a) { a.version = 3; a.auth_type = AuthType::None; a.auth_key = {}; }),
         peer, openshift_instance(), Reason::VersionMismatch},
        {"our own address", openshift_v2(), ip("198.51.100.1"), openshift_instance(), Reason::BadSource},
        {"not a unicast peer", openshift_v2(), peer,
         inst([](auto& e) { e.unicast_peers = {IpAddress::parse("198.51.100.3").value()}; }), Reason::NotAPeer},
        {"no auth, instance wants PASS", adv([](Advert& a) { a.auth_type = AuthType::None; a.auth_key = {}; }), peer,
         openshift_instance(), Reason::BadAuth},
        {"AH, instance wants PASS", adv([](Advert& a) { a.auth_type = AuthType::IpAh; }), peer,
         openshift_instance(), Reason::BadAuth},
        {"wrong key", adv([](Advert& a) { a.auth_key = key("OpenShiX"); }), peer, openshift_instance(),
         Reason::BadAuth},
        {"key one char short", adv([](Advert& a) { a.auth_key = key("OpenShi"); }), peer, openshift_instance(),
         Reason::BadAuth},
        {"v2 interval 2 s vs 1 s", adv([](Advert& a) { a.max_advert_interval = 2s; }), peer, openshift_instance(),
         Reason::IntervalMismatch},
    };
    for (const auto& c : cases) {
        EXPECT_EQ(validate_for_instance(c.advert, c.src, c.inst), c.expected)
            << c.name << ": got " << reason_name(validate_for_instance(c.advert, c.src, c.inst));
    }
}

TEST(VrrpValidate, UnicastPeerAccepted) {
    auto e = openshift_instance();
    e.unicast_peers = {ip("198.51.100.3"), ip("198.51.100.2")};
    EXPECT_EQ(validate_for_instance(openshift_v2(), ip("198.51.100.2"), e), Reason::Ok);
}

TEST(VrrpValidate, V3AdoptsTheMastersIntervalInsteadOfRejecting) {
    InstanceExpectations e;
    e.vrid = 52;
    e.version = 3;
    e.advert_interval = 1s;
    EXPECT_EQ(validate_for_instance(v3_v4(), ip("198.51.100.2"), e), Reason::Ok);  // advert says 10 ms
}

TEST(VrrpValidate, AddressListCompareIgnoresOrder) {
    const std::vector<IpAddress> same{ip("198.51.100.11"), ip("198.51.100.10")};
    const std::vector<IpAddress> other{ip("198.51.100.11"), ip("198.51.100.12")};
    EXPECT_TRUE(addresses_match(v3_v4(), same));
    EXPECT_FALSE(addresses_match(v3_v4(), other));
    EXPECT_FALSE(addresses_match(v3_v4(), std::span(same).first(1)));
}

// --- whole IP datagrams ---

Bytes ipv4_datagram(const Bytes& vrrp, const IpAddress& src, const IpAddress& dst, std::uint8_t ttl,
                    std::uint16_t frag = 0, std::uint8_t proto = 112) {
    Bytes h{0x45, 0xc0, 0, 0, 0x12, 0x34, static_cast<std::uint8_t>(frag >> 8), static_cast<std::uint8_t>(frag),
            ttl, proto, 0, 0};
    const auto total = static_cast<std::uint16_t>(20 + vrrp.size());
    h[2] = static_cast<std::uint8_t>(total >> 8);
    h[3] = static_cast<std::uint8_t>(total);
    h.insert(h.end(), src.bytes().begin(), src.bytes().begin() + 4);
    h.insert(h.end(), dst.bytes().begin(), dst.bytes().begin() + 4);
    const auto c = internet_checksum(h);
    h[10] = static_cast<std::uint8_t>(c >> 8);
    h[11] = static_cast<std::uint8_t>(c);
    h.insert(h.end(), vrrp.begin(), vrrp.end());
    return h;
}

Bytes ipv6_packet(const Bytes& vrrp, const IpAddress& src, const IpAddress& dst, std::uint8_t hops,
                  std::uint8_t next = 112) {
    Bytes h{0x60, 0, 0, 0, static_cast<std::uint8_t>(vrrp.size() >> 8), static_cast<std::uint8_t>(vrrp.size()),
            next, hops};
    h.insert(h.end(), src.bytes().begin(), src.bytes().end());
    h.insert(h.end(), dst.bytes().begin(), dst.bytes().end());
    h.insert(h.end(), vrrp.begin(), vrrp.end());
    return h;
}

TEST(VrrpIpDatagram, DecodesIpv4WithEthernetPadding) {
    const auto s4 = ip("198.51.100.2"), d4 = ip("224.0.0.18");
    Bytes pkt = ipv4_datagram(encode_advert(openshift_v2(), s4, d4), s4, d4, 255);
    pkt.resize(46, 0);  // a 40-byte datagram padded to the 46-byte Ethernet minimum payload
    const auto d = decode_ip_datagram(pkt);
    ASSERT_TRUE(d.ok()) << reason_name(d.reason);
    EXPECT_EQ(d.advert, openshift_v2());
}

TEST(VrrpIpDatagram, DecodesIpv6) {
    const auto s6 = ip("fe80::1"), d6 = ip("ff02::12");
    const auto d = decode_ip_datagram(ipv6_packet(encode_advert(v3_v6(), s6, d6), s6, d6, 255));
    ASSERT_TRUE(d.ok()) << reason_name(d.reason);
    EXPECT_EQ(d.advert, v3_v6());
}

TEST(VrrpIpDatagram, Rejections) {
    const auto s4 = ip("198.51.100.2"), d4 = ip("224.0.0.18"), s6 = ip("fe80::1"), d6 = ip("ff02::12");
    const Bytes v3 = encode_advert(v3_v4(), s4, d4);
    const Bytes v36 = encode_advert(v3_v6(), s6, d6);
    Bytes bad_ihl = ipv4_datagram(v3, s4, d4, 255);
    bad_ihl[0] = 0x44;
    Bytes bad_hdr_csum = ipv4_datagram(v3, s4, d4, 255);
    bad_hdr_csum[10] ^= 0xff;
    Bytes short_total = ipv4_datagram(v3, s4, d4, 255);
    short_total.pop_back();
    Bytes short_v6 = ipv6_packet(v36, s6, d6, 255);
    short_v6.pop_back();
    struct Case {
        const char* name;
        Bytes pkt;
        Reason expected;
    };
    const std::vector<Case> cases{
        {"empty", {}, Reason::Truncated},
        {"19-byte IPv4", Bytes(19, 0x45), Reason::Truncated},
        {"IPv4 total length beyond buffer", short_total, Reason::Truncated},
        {"IPv6 payload beyond buffer", short_v6, Reason::Truncated},
        {"IHL 4", bad_ihl, Reason::BadIpHeader},
        {"header checksum", bad_hdr_csum, Reason::BadIpHeader},
        {"protocol UDP", ipv4_datagram(v3, s4, d4, 255, 0, 17), Reason::BadIpHeader},
        {"IP version 5", Bytes(40, 0x50), Reason::BadIpHeader},
        {"more fragments", ipv4_datagram(v3, s4, d4, 255, 0x2000), Reason::Fragment},
        {"fragment offset", ipv4_datagram(v3, s4, d4, 255, 0x0001), Reason::Fragment},
        {"IPv6 fragment header", ipv6_packet(v36, s6, d6, 255, 44), Reason::Fragment},
        {"IPv6 next header UDP", ipv6_packet(v36, s6, d6, 255, 17), Reason::BadIpHeader},
        {"TTL from the IP header", ipv4_datagram(v3, s4, d4, 1), Reason::BadTtl},
        {"hop limit from the IPv6 header", ipv6_packet(v36, s6, d6, 64), Reason::BadTtl},
    };
    for (const auto& c : cases) {
        EXPECT_EQ(decode_ip_datagram(c.pkt).reason, c.expected) << c.name;
    }
    // Don't-fragment is not a fragment.
    EXPECT_TRUE(decode_ip_datagram(ipv4_datagram(v3, s4, d4, 255, 0x4000)).ok());
}

TEST(VrrpReason, NamesAreDistinctSnakeCaseAndMatchTheAbi) {
    std::set<std::string_view> seen;
    for (std::size_t i = 0; i < kReasonCount; ++i) {
        const auto name = reason_name(static_cast<Reason>(i));
        EXPECT_NE(name, "unknown") << i;
        EXPECT_TRUE(seen.insert(name).second) << name;
        for (char c : name) EXPECT_TRUE((c >= 'a' && c <= 'z') || c == '_') << name;
    }
    EXPECT_EQ(reason_name(Reason::BadTtl), "bad_ttl");
    EXPECT_EQ(static_cast<int>(Reason::NotAPeer), XVRRP_REASON_NOT_A_PEER);
    EXPECT_EQ(reason_name(static_cast<Reason>(kReasonCount)), "unknown");
}

}  // namespace
