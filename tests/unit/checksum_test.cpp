// Internet checksum (RFC 1071) and pseudo-header sums, against published and hand-worked vectors.
#include "core/checksum.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace {

using xvrrp::checksum_add;
using xvrrp::checksum_fold;
using xvrrp::internet_checksum;
using xvrrp::IpAddress;
using xvrrp::pseudo_header_sum;
using Bytes = std::vector<std::uint8_t>;

TEST(Checksum, Rfc1071Section3Example) {
    // RFC 1071 section 3: these bytes sum to 0xddf2 (after the end-around carry).
    const Bytes b{0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
    EXPECT_EQ(checksum_add(b) % 0xffffu, 0xddf2u);
    EXPECT_EQ(internet_checksum(b), 0x220d);
}

TEST(Checksum, Ipv4HeaderVerifiesToZero) {
    // A real IPv4 header (UDP, 192.168.0.1 -> 192.168.0.199) whose checksum field is 0xb861.
    Bytes h{0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
            0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
    EXPECT_EQ(internet_checksum(h), 0xb861);
    h[10] = 0xb8;
    h[11] = 0x61;
    EXPECT_EQ(internet_checksum(h), 0);
}

TEST(Checksum, OddLengthPadsWithZero) {
    EXPECT_EQ(internet_checksum(Bytes{0x01}), 0xfeff);
    EXPECT_EQ(internet_checksum(Bytes{0x12, 0x34, 0x56}), internet_checksum(Bytes{0x12, 0x34, 0x56, 0x00}));
}

TEST(Checksum, EmptyAndAllOnes) {
    EXPECT_EQ(internet_checksum(Bytes{}), 0xffff);
    // 0xffff is negative zero in one's complement: many of them still fold to 0xffff, checksum 0.
    EXPECT_EQ(internet_checksum(Bytes(4096, 0xff)), 0x0000);
}

TEST(Checksum, ChainingEqualsOneBuffer) {
    const Bytes a{0x45, 0x00, 0x12, 0x34}, b{0xde, 0xad, 0xbe, 0xef, 0x01};
    Bytes ab = a;
    ab.insert(ab.end(), b.begin(), b.end());
    EXPECT_EQ(checksum_fold(checksum_add(b, checksum_add(a))), internet_checksum(ab));
}

TEST(Checksum, LargeBufferCarriesFold) {
    // 64 KiB of 0xfe bytes: the 32-bit partial sum overflows 16 bits many times.
    const Bytes big(65536, 0xfe);
    std::uint32_t expected = 0;
    for (int i = 0; i < 32768; ++i) expected = (expected + 0xfefe) % 0xffff;
    EXPECT_EQ(internet_checksum(big), static_cast<std::uint16_t>(~expected & 0xffff));
}

TEST(PseudoHeader, Ipv4IsSrcDstProtocolLength) {
    const auto src = *IpAddress::parse("198.51.100.2");
    const auto dst = *IpAddress::parse("224.0.0.18");
    // The RFC 768 layout written out: c633 6402 e000 0012 0070 0010.
    const Bytes ph{0xc6, 0x33, 0x64, 0x02, 0xe0, 0x00, 0x00, 0x12, 0x00, 0x70, 0x00, 0x10};
    EXPECT_EQ(checksum_fold(pseudo_header_sum(src, dst, 112, 16)), internet_checksum(ph));
}

TEST(PseudoHeader, Ipv6UsesA32BitLength) {
    const auto src = *IpAddress::parse("fe80::1");
    const auto dst = *IpAddress::parse("ff02::12");
    Bytes ph;
    ph.insert(ph.end(), src.bytes().begin(), src.bytes().end());
    ph.insert(ph.end(), dst.bytes().begin(), dst.bytes().end());
    const std::uint32_t len = 0x00012345;  // above 64 KiB: the high word must count
    for (int shift : {24, 16, 8, 0}) ph.push_back(static_cast<std::uint8_t>(len >> shift));
    ph.insert(ph.end(), {0, 0, 0, 112});
    EXPECT_EQ(checksum_fold(pseudo_header_sum(src, dst, 112, len)), internet_checksum(ph));
}

}  // namespace
