#include "core/ip_address.hpp"

#include <gtest/gtest.h>

using xvrrp::IpAddress;

TEST(IpAddress, ParsesAndFormatsV4) {
    auto a = IpAddress::parse("192.0.2.17");
    ASSERT_TRUE(a);
    EXPECT_TRUE(a->is_v4());
    EXPECT_EQ(a->v4_host_order(), 0xC0000211u);
    EXPECT_EQ(a->to_string(), "192.0.2.17");
    EXPECT_EQ(IpAddress::v4(0xC0000211u), *a);
}

TEST(IpAddress, ParsesAndFormatsV6) {
    auto a = IpAddress::parse("2001:db8::1f39");
    ASSERT_TRUE(a);
    EXPECT_TRUE(a->is_v6());
    EXPECT_EQ(a->bytes()[15], 0x39);
    EXPECT_EQ(a->to_string(), "2001:db8::1f39");
}

TEST(IpAddress, RejectsMalformed) {
    for (const char* bad : {"", " 192.0.2.1", "192.0.2.1/24", "192.0.2", "256.1.1.1", "2001:db8::g",
                            "fe80::1%eth0", "1.2.3.4 "}) {
        EXPECT_FALSE(IpAddress::parse(bad)) << bad;
    }
}

TEST(IpAddress, OrdersV4BeforeV6AndByBytes) {
    EXPECT_LT(*IpAddress::parse("192.0.2.1"), *IpAddress::parse("192.0.2.2"));
    EXPECT_LT(*IpAddress::parse("203.0.113.1"), *IpAddress::parse("2001:db8::1"));
}
