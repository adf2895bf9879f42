#include "core/announcement.hpp"
#include "core/checksum.hpp"

#include <gtest/gtest.h>

using namespace xvrrp;

namespace {
const MacAddress kMac{0x02, 0x00, 0x5e, 0x00, 0x01, 0x07};
IpAddress ip(const char* s) { return *IpAddress::parse(s); }
}  // namespace

TEST(GratuitousArp, RequestFormAsKeepalivedSendsIt) {
    auto f = gratuitous_arp(kMac, ip("192.0.2.10"), GarpForm::Request);
    const std::vector<std::uint8_t> want{
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x00, 0x5e, 0x00, 0x01, 0x07, 0x08, 0x06,  // Ethernet
        0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01,                                             // ARP request
        0x02, 0x00, 0x5e, 0x00, 0x01, 0x07, 192, 0, 2, 10,                                   // sender = VIP
        0, 0, 0, 0, 0, 0, 192, 0, 2, 10};                                                     // target = VIP
    EXPECT_EQ(f, want);
}

TEST(GratuitousArp, ReplyFormCarriesOpcode2AndOurMacAsTarget) {
    auto f = gratuitous_arp(kMac, ip("198.51.100.7"), GarpForm::Reply);
    ASSERT_EQ(f.size(), 42u);
    EXPECT_EQ(f[21], 2);
    EXPECT_TRUE(std::equal(kMac.begin(), kMac.end(), f.begin() + 32));
    EXPECT_EQ(f[41], 7);
}

TEST(UnsolicitedNa, FieldsAndChecksum) {
    auto vip = ip("2001:db8::42");
    auto f = unsolicited_na(kMac, vip);
    ASSERT_EQ(f.size(), 14u + 40u + 32u);
    EXPECT_EQ(f[0], 0x33);
    EXPECT_EQ(f[5], 0x01);
    EXPECT_EQ(f[12], 0x86);
    EXPECT_EQ(f[13], 0xdd);
    EXPECT_EQ(f[14 + 6], 58);    // next header ICMPv6
    EXPECT_EQ(f[14 + 7], 255);   // hop limit
    EXPECT_TRUE(std::equal(vip.bytes().begin(), vip.bytes().end(), f.begin() + 14 + 8));
    const std::size_t icmp = 54;
    EXPECT_EQ(f[icmp], 136);
    EXPECT_EQ(f[icmp + 4], 0x20) << "override set, router and solicited clear";
    EXPECT_TRUE(std::equal(vip.bytes().begin(), vip.bytes().end(), f.begin() + icmp + 8));
    EXPECT_EQ(f[icmp + 24], 2);
    EXPECT_EQ(f[icmp + 25], 1);
    EXPECT_TRUE(std::equal(kMac.begin(), kMac.end(), f.begin() + icmp + 26));
    // A correct checksum sums to zero with the pseudo-header folded in.
    std::uint32_t sum = pseudo_header_sum(vip, ip("ff02::1"), 58, 32);
    EXPECT_EQ(checksum_fold(checksum_add(std::span(f).subspan(icmp), sum)), 0);
}
