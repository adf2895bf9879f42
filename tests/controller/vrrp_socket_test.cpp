#include "adapters/vrrp_socket.hpp"
#include "netns_fixture.hpp"

#include "xvrrp/abi.h"

#include <boost/asio/io_context.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstring>
#include <thread>

using namespace xvrrp;
using xvrrp::test::Netns;

namespace {

IpAddress ip(const char* s) { return *IpAddress::parse(s); }

// Two hosts on one veth pair: a (192.0.2.1, 2001:db8::1) and b (192.0.2.2, 2001:db8::2).
struct VrrpSocketTest : ::testing::Test {
    Netns a{"sa"};
    Netns b{"sb"};
    int if_a = 0, if_b = 0;
    IpAddress ll_a;
    boost::asio::io_context io;

    void SetUp() override {
        // No duplicate address detection: link-local addresses are usable at once (the pair is
        // created in a, so a's defaults apply to both ends).
        a.enter();
        a.run("sysctl -qw net.ipv6.conf.default.accept_dad=0");
        a.run("ip link add va type veth peer name vb netns " + b.name());
        a.run("ip addr add 192.0.2.1/24 dev va && ip addr add 2001:db8::1/64 dev va nodad && ip link set va up");
        if_a = test::ifindex_of("va");
        std::string out;
        test::sh("ip -6 -o addr show dev va scope link | awk '{print $4}' | cut -d/ -f1", &out);
        b.enter();
        b.run("ip addr add 192.0.2.2/24 dev vb && ip addr add 2001:db8::2/64 dev vb nodad && ip link set vb up");
        if_b = test::ifindex_of("vb");
        // Link-local addresses need a moment (DAD); 2001:db8:: ones are nodad.
        test::sh("for i in $(seq 50); do ip -6 addr show dev vb scope link | grep -q tentative || break; sleep 0.05; done");
        a.enter();
        test::sh("for i in $(seq 50); do ip -6 addr show dev va scope link | grep -q tentative || break; sleep 0.05; done");
        test::sh("ip -6 -o addr show dev va scope link | awk '{print $4}' | cut -d/ -f1", &out);
        while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
        ll_a = *IpAddress::parse(out);
    }

    std::vector<VrrpDatagram> collect(VrrpSocket& rx, std::vector<std::vector<std::uint8_t>>& payloads, std::size_t want) {
        std::vector<VrrpDatagram> got;
        rx.start([&](std::span<const VrrpDatagram> batch) {
            for (auto& d : batch) {
                got.push_back(d);
                payloads.emplace_back(d.vrrp.begin(), d.vrrp.end());
            }
        });
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
        while (got.size() < want && std::chrono::steady_clock::now() < deadline) io.run_one_for(std::chrono::milliseconds(50));
        return got;
    }
};

const std::vector<std::uint8_t> kAdvert{0x21, 7, 100, 1, 0, 1, 0, 0, 192, 0, 2, 10, 0, 0, 0, 0, 0, 0, 0, 0};

}  // namespace

TEST_F(VrrpSocketTest, MulticastV4ArrivesWithTtl255AndOneSendmmsgPerTick) {
    b.enter();
    VrrpSocket rx(io, Family::V4, if_b, true);
    a.enter();
    VrrpSocket tx(io, Family::V4, if_a, true);
    for (int i = 0; i < 5; ++i) tx.queue(ip("192.0.2.1"), vrrp_group(Family::V4), kAdvert);
    std::vector<std::vector<std::uint8_t>> payloads;
    auto got = collect(rx, payloads, 5);
    ASSERT_EQ(got.size(), 5u) << "multicast adverts did not arrive";
    EXPECT_EQ(tx.stats().send_calls, 1u) << "five adverts queued in one tick must share one sendmmsg";
    EXPECT_EQ(tx.stats().sent, 5u);
    EXPECT_EQ(got[0].source, ip("192.0.2.1"));
    EXPECT_EQ(got[0].destination, ip("224.0.0.18"));
    EXPECT_EQ(got[0].ttl, 255);
    EXPECT_EQ(payloads[0], kAdvert);
}

// Adverts carry DSCP CS6 (TOS / traffic class 0xc0), as keepalived's and FRR's do.
TEST_F(VrrpSocketTest, AdvertsAreMarkedCs6) {
    b.enter();
    int raw4 = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_VRRP_NUM);  // IPv4 raw: header included
    int raw6 = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_VRRP_NUM);
    ASSERT_GE(raw4, 0);
    ASSERT_GE(raw6, 0);
    int on = 1;
    setsockopt(raw6, IPPROTO_IPV6, IPV6_RECVTCLASS, &on, sizeof on);
    ipv6_mreq m6{};
    inet_pton(AF_INET6, "ff02::12", &m6.ipv6mr_multiaddr);
    m6.ipv6mr_interface = static_cast<unsigned>(if_b);
    ASSERT_EQ(setsockopt(raw6, IPPROTO_IPV6, IPV6_JOIN_GROUP, &m6, sizeof m6), 0);
    timeval tv{2, 0};
    setsockopt(raw4, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(raw6, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    a.enter();
    VrrpSocket tx4(io, Family::V4, if_a, false);
    VrrpSocket tx6(io, Family::V6, if_a, false);
    tx4.queue(ip("192.0.2.1"), ip("192.0.2.2"), kAdvert);
    tx6.queue(ll_a, vrrp_group(Family::V6), kAdvert);
    io.run_for(std::chrono::milliseconds(50));
    std::uint8_t buf[256];
    ASSERT_GT(recv(raw4, buf, sizeof buf, 0), 2) << "no IPv4 advert";
    EXPECT_EQ(buf[1], 0xc0) << "IPv4 TOS";
    char control[128];
    iovec iov{buf, sizeof buf};
    msghdr mh{};
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = control;
    mh.msg_controllen = sizeof control;
    ASSERT_GT(recvmsg(raw6, &mh, 0), 0) << "no IPv6 advert";
    int tclass = -1;
    for (cmsghdr* c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
        if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_TCLASS) std::memcpy(&tclass, CMSG_DATA(c), sizeof tclass);
    EXPECT_EQ(tclass, 0xc0) << "IPv6 traffic class";
    close(raw4);
    close(raw6);
}

TEST_F(VrrpSocketTest, MulticastV6FromLinkLocalWithHopLimit255) {
    b.enter();
    VrrpSocket rx(io, Family::V6, if_b, true);
    a.enter();
    VrrpSocket tx(io, Family::V6, if_a, true);
    tx.queue(ll_a, vrrp_group(Family::V6), kAdvert);
    std::vector<std::vector<std::uint8_t>> payloads;
    auto got = collect(rx, payloads, 1);
    ASSERT_EQ(got.size(), 1u) << "IPv6 multicast advert did not arrive";
    EXPECT_EQ(got[0].source, ll_a);
    EXPECT_EQ(got[0].destination, ip("ff02::12"));
    EXPECT_EQ(got[0].ttl, 255);
    EXPECT_EQ(payloads[0], kAdvert);
}

TEST_F(VrrpSocketTest, UnicastToAPeerWithoutGroupMembership) {
    b.enter();
    VrrpSocket rx(io, Family::V4, if_b, false);
    a.enter();
    VrrpSocket tx(io, Family::V4, if_a, false);
    tx.queue(ip("192.0.2.1"), ip("192.0.2.2"), kAdvert);
    std::vector<std::vector<std::uint8_t>> payloads;
    auto got = collect(rx, payloads, 1);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].destination, ip("192.0.2.2"));
    EXPECT_EQ(got[0].ttl, 255);
}

TEST_F(VrrpSocketTest, ReportsTheTtlOfASpoofedAdvert) {
    b.enter();
    VrrpSocket rx(io, Family::V4, if_b, true);
    a.enter();
    int fd = socket(AF_INET, SOCK_RAW, IPPROTO_VRRP_NUM);
    ASSERT_GE(fd, 0);
    int ttl = 64;
    ASSERT_EQ(setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof ttl), 0);
    ip_mreqn m{};
    m.imr_ifindex = if_a;
    ASSERT_EQ(setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &m, sizeof m), 0);
    sockaddr_in dst{};
    dst.sin_family = AF_INET;
    inet_pton(AF_INET, "224.0.0.18", &dst.sin_addr);
    ASSERT_EQ(sendto(fd, kAdvert.data(), kAdvert.size(), 0, reinterpret_cast<sockaddr*>(&dst), sizeof dst),
              static_cast<ssize_t>(kAdvert.size()));
    close(fd);
    std::vector<std::vector<std::uint8_t>> payloads;
    auto got = collect(rx, payloads, 1);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].ttl, 64) << "the receiver must see the real TTL to drop it (RFC 5798 7.1)";
}

TEST_F(VrrpSocketTest, OwnAdvertsDoNotLoopBack) {
    a.enter();
    VrrpSocket tx(io, Family::V4, if_a, true);
    tx.queue(ip("192.0.2.1"), vrrp_group(Family::V4), kAdvert);
    std::vector<std::vector<std::uint8_t>> payloads;
    auto got = collect(tx, payloads, 1);
    EXPECT_TRUE(got.empty()) << "IP_MULTICAST_LOOP must be off";
}

TEST_F(VrrpSocketTest, ReadsRestBetweenBatchesAndDrainReadsAtOnce) {
    b.enter();
    VrrpSocket rx(io, Family::V4, if_b, true);
    a.enter();
    VrrpSocket tx(io, Family::V4, if_a, true);
    std::size_t got = 0;
    // A 20 ms rest (the daemon uses 1 ms) so the batching shows on a busy machine.
    rx.start([&](std::span<const VrrpDatagram> batch) { got += batch.size(); }, std::chrono::milliseconds(20));
    for (int i = 0; i < 100; ++i) {  // one advert a millisecond for 100 ms
        tx.queue(ip("192.0.2.1"), vrrp_group(Family::V4), kAdvert);
        tx.flush();
        io.run_for(std::chrono::milliseconds(1));
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (got < 100 && std::chrono::steady_clock::now() < deadline) io.run_one_for(std::chrono::milliseconds(50));
    ASSERT_EQ(got, 100u) << "adverts were lost while the socket rested";
    EXPECT_LE(rx.stats().receive_calls, 15u) << "read once per advert instead of once per rest";
    EXPECT_GE(rx.stats().receive_calls, 2u);
    // An advert that arrives while the socket rests waits for the next read, or for drain().
    io.run_for(std::chrono::milliseconds(5));  // a read just happened or the rest is running
    tx.queue(ip("192.0.2.1"), vrrp_group(Family::V4), kAdvert);
    tx.flush();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // on the other side of the veth, not read
    const std::size_t before = got;
    rx.drain();
    EXPECT_EQ(got, before + 1) << "drain() did not read the advert waiting in the socket";
}
