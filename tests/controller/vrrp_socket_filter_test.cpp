// VrrpSocket::accept_only (issue 21): the kernel hands the controller only its own VRIDs.
//
// Each case opens two receivers on the same interface, one filtered and one not, and sends adverts
// of served and foreign VRIDs over a veth pair. The unfiltered socket is the control: it must see
// every advert (so the foreign ones did reach a raw socket and the filter is what stopped them),
// and only once it has seen them all is the filtered one read.
#include "adapters/vrrp_socket.hpp"
#include "netns_fixture.hpp"

#include "xvrrp/abi.h"

#include <boost/asio/io_context.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <numeric>
#include <string>
#include <vector>

using namespace xvrrp;
using xvrrp::test::Netns;

namespace {

IpAddress ip(const char* s) { return *IpAddress::parse(s); }

// A VRRPv3 advert of `vrid` (the VRID is the second byte whatever the version).
std::vector<std::uint8_t> advert(std::uint8_t vrid) { return {0x31, vrid, 100, 1, 0, 100, 0, 0, 192, 0, 2, 10}; }

std::string text(const std::vector<std::uint8_t>& v) {
    std::string s;
    for (auto b : v) s += (s.empty() ? "" : " ") + std::to_string(b);
    return "[" + s + "]";
}

// a (192.0.2.1, link-local) sends, b (192.0.2.2) receives, on one veth pair.
struct VrrpSocketFilterTest : ::testing::Test {
    Netns a{"xvsca"};
    Netns b{"xvscb"};
    int if_a = 0, if_b = 0;
    IpAddress ll_a;
    boost::asio::io_context io;

    void SetUp() override {
        a.enter();
        a.run("sysctl -qw net.ipv6.conf.default.accept_dad=0");
        a.run("ip link add va type veth peer name vb netns " + b.name());
        a.run("ip addr add 192.0.2.1/24 dev va && ip link set va up");
        if_a = test::ifindex_of("va");
        b.enter();
        b.run("ip addr add 192.0.2.2/24 dev vb && ip link set vb up");
        if_b = test::ifindex_of("vb");
        a.enter();
        std::string out;
        // The link-local address appears once both ends are up (carrier), then must leave DAD.
        for (const std::string dev : {"va", "vb"}) {
            (dev == "va" ? a : b).enter();
            const std::string usable = "ip -6 addr show dev " + dev + " scope link | grep -q inet6 && ! ip -6 addr show dev " +
                                       dev + " | grep -q tentative";
            ASSERT_EQ(test::sh("for i in $(seq 100); do " + usable + " && exit 0; sleep 0.05; done; exit 1"), 0)
                << dev << " has no usable link-local address";
        }
        a.enter();
        test::sh("ip -6 -o addr show dev va scope link | awk '{print $4}' | cut -d/ -f1", &out);
        while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
        auto parsed = IpAddress::parse(out);
        ASSERT_TRUE(parsed) << "va's link-local address: '" << out << "'";
        ll_a = *parsed;
    }

    // Runs the loop until `control` has read `want` datagrams (or 2 s passed), then reads what the
    // filtered socket holds. Returns the VRIDs each read, in arrival order.
    void receive(VrrpSocket& filtered, VrrpSocket& control, std::size_t want, std::vector<std::uint8_t>& got_filtered,
                 std::vector<std::uint8_t>& got_control) {
        auto vrids_into = [](std::vector<std::uint8_t>& out) {
            return [&out](std::span<const VrrpDatagram> batch) {
                for (const auto& d : batch) out.push_back(d.vrrp.size() > 1 ? d.vrrp[1] : 0);
            };
        };
        filtered.start(vrids_into(got_filtered), std::chrono::microseconds(0));
        control.start(vrids_into(got_control), std::chrono::microseconds(0));
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
        while (got_control.size() < want && std::chrono::steady_clock::now() < deadline)
            io.run_one_for(std::chrono::milliseconds(50));
        // Both sockets are fed by the same delivery of each packet: the filtered one is complete.
        filtered.drain();
    }
};

TEST_F(VrrpSocketFilterTest, V4OnlyServedVridsAreRead) {
    b.enter();
    VrrpSocket filtered(io, Family::V4, if_b, true);
    const std::vector<std::uint8_t> served{7, 9};
    filtered.accept_only(served);
    VrrpSocket control(io, Family::V4, if_b, true);
    a.enter();
    VrrpSocket tx(io, Family::V4, if_a, true);
    const std::vector<std::uint8_t> sent{8, 7, 200, 9, 1, 255, 7};
    for (auto v : sent) tx.queue(ip("192.0.2.1"), vrrp_group(Family::V4), advert(v));
    tx.flush();
    std::vector<std::uint8_t> got, all;
    receive(filtered, control, sent.size(), got, all);
    ASSERT_EQ(all, sent) << "the unfiltered control socket must read every advert: " << text(all);
    EXPECT_EQ(got, (std::vector<std::uint8_t>{7, 9, 7})) << "foreign VRIDs reached the filtered socket";
    EXPECT_EQ(filtered.stats().received, 3u);
}

// The VRID sits after IHL words: an advert carrying an IP option (router alert, 4 bytes) must be
// judged by its own VRID, not by the byte at the fixed offset 21 (here the option's length, 4).
TEST_F(VrrpSocketFilterTest, V4FilterFollowsTheHeaderLength) {
    b.enter();
    VrrpSocket filtered(io, Family::V4, if_b, true);
    const std::vector<std::uint8_t> served{7};
    filtered.accept_only(served);
    VrrpSocket control(io, Family::V4, if_b, true);
    a.enter();
    int fd = socket(AF_INET, SOCK_RAW, IPPROTO_VRRP_NUM);
    ASSERT_GE(fd, 0);
    int ttl = 255;
    ASSERT_EQ(setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof ttl), 0);
    ip_mreqn m{};
    m.imr_ifindex = if_a;
    ASSERT_EQ(setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &m, sizeof m), 0);
    const std::uint8_t router_alert[4] = {IPOPT_RA, 4, 0, 0};
    ASSERT_EQ(setsockopt(fd, IPPROTO_IP, IP_OPTIONS, router_alert, sizeof router_alert), 0);
    sockaddr_in dst{};
    dst.sin_family = AF_INET;
    inet_pton(AF_INET, "224.0.0.18", &dst.sin_addr);
    const std::vector<std::uint8_t> sent{4, 7, 8};
    for (auto v : sent) {
        auto bytes = advert(v);
        ASSERT_EQ(sendto(fd, bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&dst), sizeof dst),
                  static_cast<ssize_t>(bytes.size()));
    }
    close(fd);
    std::vector<std::uint8_t> got, all;
    receive(filtered, control, sent.size(), got, all);
    ASSERT_EQ(all.size(), sent.size()) << "adverts with an IP option did not arrive: " << text(all);
    EXPECT_EQ(got, (std::vector<std::uint8_t>{7})) << "the filter did not skip the IP options";
}

TEST_F(VrrpSocketFilterTest, V6OnlyServedVridsAreRead) {
    b.enter();
    VrrpSocket filtered(io, Family::V6, if_b, true);
    const std::vector<std::uint8_t> served{7, 9};
    filtered.accept_only(served);
    VrrpSocket control(io, Family::V6, if_b, true);
    a.enter();
    VrrpSocket tx(io, Family::V6, if_a, true);
    const std::vector<std::uint8_t> sent{8, 7, 200, 9, 1, 255, 7};
    for (auto v : sent) tx.queue(ll_a, vrrp_group(Family::V6), advert(v));
    tx.flush();
    std::vector<std::uint8_t> got, all;
    receive(filtered, control, sent.size(), got, all);
    ASSERT_EQ(all, sent) << "the unfiltered control socket must read every advert: " << text(all);
    EXPECT_EQ(got, (std::vector<std::uint8_t>{7, 9, 7}))
        << "foreign VRIDs reached the filtered IPv6 socket (does the filter see the IPv6 header?)";
}

// 254 VRIDs: the longest jumps of the chain (to the accept from the first comparison) and both
// ends of the VRID range; a second accept_only replaces the first (what a SIGHUP does).
TEST_F(VrrpSocketFilterTest, ManyVridsAndReplacement) {
    b.enter();
    VrrpSocket filtered(io, Family::V4, if_b, true);
    std::vector<std::uint8_t> served(255);
    std::iota(served.begin(), served.end(), std::uint8_t{1});
    std::erase(served, std::uint8_t{8});
    filtered.accept_only(served);
    VrrpSocket control(io, Family::V4, if_b, true);
    a.enter();
    VrrpSocket tx(io, Family::V4, if_a, true);
    const std::vector<std::uint8_t> sent{1, 8, 255, 0, 128};
    for (auto v : sent) tx.queue(ip("192.0.2.1"), vrrp_group(Family::V4), advert(v));
    tx.flush();
    std::vector<std::uint8_t> got, all;
    receive(filtered, control, sent.size(), got, all);
    ASSERT_EQ(all, sent);
    EXPECT_EQ(got, (std::vector<std::uint8_t>{1, 255, 128}));

    b.enter();
    const std::vector<std::uint8_t> now_served{8};
    filtered.accept_only(now_served);
    a.enter();
    for (auto v : sent) tx.queue(ip("192.0.2.1"), vrrp_group(Family::V4), advert(v));
    tx.flush();
    got.clear();
    all.clear();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (all.size() < sent.size() && std::chrono::steady_clock::now() < deadline)
        io.run_one_for(std::chrono::milliseconds(50));
    filtered.drain();
    ASSERT_EQ(all, sent);
    EXPECT_EQ(got, (std::vector<std::uint8_t>{8})) << "the second filter did not replace the first";

    // accept_all() removes the filter: everything is read again.
    filtered.accept_all();
    for (auto v : sent) tx.queue(ip("192.0.2.1"), vrrp_group(Family::V4), advert(v));
    tx.flush();
    got.clear();
    all.clear();
    const auto deadline2 = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while ((all.size() < sent.size() || got.size() < sent.size()) && std::chrono::steady_clock::now() < deadline2)
        io.run_one_for(std::chrono::milliseconds(50));
    EXPECT_EQ(got, sent);
}

TEST_F(VrrpSocketFilterTest, EmptyListDropsEverything) {
    b.enter();
    VrrpSocket filtered(io, Family::V6, if_b, true);
    filtered.accept_only({});
    VrrpSocket control(io, Family::V6, if_b, true);
    a.enter();
    VrrpSocket tx(io, Family::V6, if_a, true);
    const std::vector<std::uint8_t> sent{1, 7};
    for (auto v : sent) tx.queue(ll_a, vrrp_group(Family::V6), advert(v));
    tx.flush();
    std::vector<std::uint8_t> got, all;
    receive(filtered, control, sent.size(), got, all);
    ASSERT_EQ(all, sent);
    EXPECT_TRUE(got.empty()) << text(got);
}

}  // namespace
