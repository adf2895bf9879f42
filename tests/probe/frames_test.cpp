#include "frames.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>

using namespace xvrrp::probe;

namespace {
std::uint32_t ip(const char* text) {
  in_addr a{};
  inet_pton(AF_INET, text, &a);
  return a.s_addr;
}
const Host kMe{{2, 0x58, 0x56, 0, 0, 0xfe}, ip("192.0.2.200")};
const Mac kNode{2, 0x58, 0x56, 0, 0, 1};

// Turns our request into the reply a node (or the XDP program) would send.
std::vector<std::uint8_t> reply_to(std::vector<std::uint8_t> f, const Mac& node) {
  std::copy(kMe.mac.begin(), kMe.mac.end(), f.begin());
  std::copy(node.begin(), node.end(), f.begin() + 6);
  f[21] = 2;
  std::vector<std::uint8_t> tpa(f.begin() + 38, f.begin() + 42);
  std::copy(f.begin() + 22, f.begin() + 32, f.begin() + 32);  // old sender -> target
  std::copy(node.begin(), node.end(), f.begin() + 22);
  std::copy(tpa.begin(), tpa.end(), f.begin() + 28);
  return f;
}
}  // namespace

TEST(Frames, ArpRequestIsABroadcastWhoHas) {
  auto f = arp_request(kMe, ip("198.51.100.7"));
  ASSERT_EQ(f.size(), kArpFrameSize);
  EXPECT_EQ(f[0], 0xff);
  EXPECT_EQ(f[12], 0x08);
  EXPECT_EQ(f[13], 0x06);
  EXPECT_EQ(f[21], 1);
  EXPECT_EQ(f[41], 7);
}

TEST(Frames, ParsesAReplyToUs) {
  auto reply = reply_to(arp_request(kMe, ip("198.51.100.7")), kNode);
  auto answer = parse_arp_reply(reply, kMe);
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->ip, ip("198.51.100.7"));
  EXPECT_EQ(answer->mac, kNode);
}

TEST(Frames, IgnoresRequestsGratuitousAndTruncatedFrames) {
  auto request = arp_request(kMe, ip("198.51.100.7"));
  EXPECT_FALSE(parse_arp_reply(request, kMe));
  auto reply = reply_to(request, kNode);
  auto gratuitous = reply;
  std::copy(reply.begin() + 28, reply.begin() + 32, gratuitous.begin() + 38);  // target = VIP
  EXPECT_FALSE(parse_arp_reply(gratuitous, kMe));
  EXPECT_FALSE(parse_arp_reply(std::span(reply).first(41), kMe));
}

TEST(Frames, EchoRequestHasValidChecksumsAndParsesBack) {
  auto f = echo_request(kMe, kNode, ip("198.51.100.7"), 0x1234, 9);
  ASSERT_EQ(f.size(), kEchoFrameSize);
  EXPECT_EQ(internet_checksum(std::span(f).subspan(14, 20)), 0);
  EXPECT_EQ(internet_checksum(std::span(f).subspan(34, 8)), 0);
  // The node's reply: swap addresses, type 0.
  auto r = f;
  std::copy(kMe.mac.begin(), kMe.mac.end(), r.begin());
  std::copy(kNode.begin(), kNode.end(), r.begin() + 6);
  std::copy(f.begin() + 26, f.begin() + 30, r.begin() + 30);
  std::copy(f.begin() + 30, f.begin() + 34, r.begin() + 26);
  r[34] = 0;
  auto answer = parse_echo_reply(r, kMe, 0x1234);
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->ip, ip("198.51.100.7"));
  EXPECT_EQ(answer->mac, kNode);
  EXPECT_EQ(answer->seq, 9);
  EXPECT_FALSE(parse_echo_reply(r, kMe, 0x4321));  // someone else's ping
  EXPECT_FALSE(parse_echo_reply(f, kMe, 0x1234));   // a request, not a reply
}
