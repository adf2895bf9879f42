// The prefix cover of a group's VIPs (core/prefix_cover.hpp): expected prefixes worked out by
// hand, plus an exhaustive check on small random sets that the cover is exact and minimal in
// count against a brute force over every aligned block.
#include "core/prefix_cover.hpp"

#include <gtest/gtest.h>

#include <random>
#include <set>
#include <string>
#include <vector>

using namespace xvrrp;

namespace {

IpAddress ip(const char* s) { return *IpAddress::parse(s); }

std::vector<std::string> cover(const std::vector<IpAddress>& v) {
    std::vector<std::string> out;
    for (const auto& p : prefix_cover(v)) out.push_back(p.to_string());
    return out;
}

std::vector<IpAddress> range4(std::uint32_t first, std::uint32_t count) {
    std::vector<IpAddress> v;
    for (std::uint32_t i = 0; i < count; ++i) v.push_back(IpAddress::v4(first + i));
    return v;
}

using V = std::vector<std::string>;

TEST(PrefixCover, WholeAlignedRangesAreOnePrefix) {
    EXPECT_EQ(cover(range4(0xc6120000u, 256)), V{"198.18.0.0/24"});
    EXPECT_EQ(cover(range4(0xc6120000u, 65536)), V{"198.18.0.0/16"});
    EXPECT_EQ(cover({ip("192.0.2.7")}), V{"192.0.2.7/32"});
    EXPECT_EQ(cover({ip("2001:db8::1")}), V{"2001:db8::1/128"});
}

TEST(PrefixCover, UnalignedRangesSplitIntoTheFewestBlocks) {
    // 198.51.100.1-3: .1/32 and .2/31
    EXPECT_EQ(cover(range4(0xc6336401u, 3)), (V{"198.51.100.1/32", "198.51.100.2/31"}));
    // 192.0.2.10-20: .10/31 .12/30 .16/30 .20/32
    EXPECT_EQ(cover(range4(0xc000020au, 11)),
              (V{"192.0.2.10/31", "192.0.2.12/30", "192.0.2.16/30", "192.0.2.20/32"}));
    // 198.18.0.0-198.18.1.255 minus nothing, crossing a /24 boundary: one /23
    EXPECT_EQ(cover(range4(0xc6120000u, 512)), V{"198.18.0.0/23"});
}

TEST(PrefixCover, ListsMergeAdjacentAddressesAndIgnoreDuplicatesAndOrder) {
    EXPECT_EQ(cover({ip("192.0.2.3"), ip("192.0.2.1"), ip("192.0.2.2"), ip("192.0.2.2"), ip("192.0.2.0")}),
              V{"192.0.2.0/30"});
    EXPECT_EQ(cover({ip("192.0.2.1"), ip("192.0.2.9")}), (V{"192.0.2.1/32", "192.0.2.9/32"}));
}

TEST(PrefixCover, Ipv6AndMixedFamilies) {
    std::vector<IpAddress> v;
    for (int i = 0; i < 16; ++i) {
        auto b = ip("2001:db8::").bytes();
        b[15] = static_cast<std::uint8_t>(0x10 + i);
        v.push_back(IpAddress::v6(b));
    }
    v.push_back(ip("192.0.2.4"));
    EXPECT_EQ(cover(v), (V{"192.0.2.4/32", "2001:db8::10/124"}));
}

TEST(PrefixCover, ExtremesOfTheAddressSpace) {
    EXPECT_EQ(cover({ip("255.255.255.254"), ip("255.255.255.255")}), V{"255.255.255.254/31"});
    EXPECT_EQ(cover({ip("0.0.0.0"), ip("0.0.0.1")}), V{"0.0.0.0/31"});
    EXPECT_EQ(cover({ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")}), V{"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128"});
    EXPECT_TRUE(prefix_cover(std::vector<IpAddress>{}).empty());
}

TEST(PrefixCover, ContainsAgreesWithTheCover) {
    Prefix p{ip("198.18.0.0"), 16};
    EXPECT_TRUE(p.contains(ip("198.18.255.255")));
    EXPECT_FALSE(p.contains(ip("198.19.0.0")));
    EXPECT_FALSE(p.contains(ip("2001:db8::1")));
    EXPECT_TRUE((Prefix{ip("::"), 0}).contains(ip("2001:db8::1")));
}

// Brute force on addresses 0..63 of a /26: the fewest aligned blocks that tile exactly the set
// (dynamic programming over positions), against the cover's count; and exactness.
int fewest_blocks(const std::vector<bool>& in) {
    const int n = static_cast<int>(in.size());
    std::vector<int> best(n + 1, 1 << 20);
    best[0] = 0;
    for (int i = 0; i < n; ++i) {
        if (best[i] >= (1 << 20)) continue;
        if (!in[i]) {
            best[i + 1] = std::min(best[i + 1], best[i]);
            continue;
        }
        for (int size = 1; i + size <= n && i % size == 0; size *= 2) {
            bool all = true;
            for (int k = i; k < i + size; ++k) all = all && in[k];
            if (all) best[i + size] = std::min(best[i + size], best[i] + 1);
        }
    }
    return best[n];
}

TEST(PrefixCover, RandomSetsAreCoveredExactlyWithTheFewestPrefixes) {
    std::mt19937 rng(7);
    for (int round = 0; round < 2000; ++round) {
        std::vector<bool> in(64);
        std::vector<IpAddress> v;
        const int density = static_cast<int>(rng() % 100);
        for (int i = 0; i < 64; ++i)
            if (static_cast<int>(rng() % 100) < density) {
                in[i] = true;
                v.push_back(IpAddress::v4(0xc0000200u + static_cast<std::uint32_t>(i)));
            }
        const auto c = prefix_cover(v);
        for (int i = 0; i < 64; ++i) {
            int hits = 0;
            for (const auto& p : c) hits += p.contains(IpAddress::v4(0xc0000200u + static_cast<std::uint32_t>(i)));
            ASSERT_EQ(hits, in[i] ? 1 : 0) << "address " << i << " round " << round;
        }
        ASSERT_EQ(static_cast<int>(c.size()), fewest_blocks(in)) << "round " << round;
    }
}

}  // namespace
