#include "adapters/garp.hpp"
#include "netns_fixture.hpp"

#include <boost/asio/io_context.hpp>

#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <sys/socket.h>

#include <cstring>

using namespace xvrrp;
using xvrrp::test::Netns;

namespace {

IpAddress ip(const char* s) { return *IpAddress::parse(s); }

// Captures every frame arriving on the peer end of the veth.
struct Capture {
    int fd = -1;
    explicit Capture(int ifindex) {
        fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK, htons(ETH_P_ALL));
        if (fd < 0) throw std::runtime_error("AF_PACKET capture socket");
        sockaddr_ll sll{};
        sll.sll_family = AF_PACKET;
        sll.sll_protocol = htons(ETH_P_ALL);
        sll.sll_ifindex = ifindex;
        if (bind(fd, reinterpret_cast<sockaddr*>(&sll), sizeof sll) != 0) throw std::runtime_error("bind capture");
    }
    ~Capture() { close(fd); }
    std::vector<std::vector<std::uint8_t>> drain() {
        std::vector<std::vector<std::uint8_t>> out;
        std::uint8_t buf[2048];
        for (;;) {
            ssize_t n = recv(fd, buf, sizeof buf, 0);
            if (n <= 0) break;
            out.emplace_back(buf, buf + n);
        }
        return out;
    }
};

std::size_t count_arp(const std::vector<std::vector<std::uint8_t>>& frames, const IpAddress& vip, int op) {
    std::size_t n = 0;
    for (auto& f : frames)
        if (f.size() >= 42 && f[12] == 0x08 && f[13] == 0x06 && f[21] == op && std::memcmp(&f[28], vip.bytes().data(), 4) == 0 &&
            std::memcmp(&f[38], vip.bytes().data(), 4) == 0)
            ++n;
    return n;
}

std::size_t count_na(const std::vector<std::vector<std::uint8_t>>& frames, const IpAddress& vip) {
    std::size_t n = 0;
    for (auto& f : frames)
        if (f.size() >= 86 && f[12] == 0x86 && f[13] == 0xdd && f[54] == 136 && std::memcmp(&f[62], vip.bytes().data(), 16) == 0) ++n;
    return n;
}

struct GarpTest : ::testing::Test {
    Netns ns{"garp"};
    boost::asio::io_context io;
    int if_a = 0, if_b = 0;
    void SetUp() override {
        ns.run("ip link add ga type veth peer name gb && ip link set ga up && ip link set gb up");
        // No IPv6 on the capture side: its own router solicitations would only add noise.
        ns.run("sysctl -qw net.ipv6.conf.gb.disable_ipv6=1");
        if_a = test::ifindex_of("ga");
        if_b = test::ifindex_of("gb");
    }
    void run_for(std::chrono::milliseconds d) {
        io.restart();
        io.run_for(d);
    }
};

}  // namespace

TEST_F(GarpTest, RepeatsRoundsThenSendsTheSecondBurst) {
    Capture cap(if_b);
    AnnounceSettings s;
    s.repeat = 3;
    s.round_gap = std::chrono::milliseconds(20);
    s.second_burst_delay = std::chrono::milliseconds(300);
    Announcer an(io, if_a, interface_mac(if_a), s);
    an.announce(7, {ip("192.0.2.10"), ip("192.0.2.11"), ip("2001:db8::10")});
    run_for(std::chrono::milliseconds(150));
    auto first = cap.drain();
    EXPECT_EQ(count_arp(first, ip("192.0.2.10"), 1), 3u);
    EXPECT_EQ(count_arp(first, ip("192.0.2.11"), 1), 3u);
    EXPECT_EQ(count_na(first, ip("2001:db8::10")), 3u);
    EXPECT_EQ(count_arp(first, ip("192.0.2.10"), 2), 0u) << "reply form is off by default";
    run_for(std::chrono::milliseconds(400));
    auto second = cap.drain();
    EXPECT_EQ(count_arp(second, ip("192.0.2.10"), 1), 3u) << "second burst after garp_master_delay";
    EXPECT_EQ(an.stats().garp_sent, 12u);
    EXPECT_EQ(an.stats().na_sent, 6u);
    EXPECT_EQ(an.stats().send_errors, 0u);
}

TEST_F(GarpTest, ReplyFormAndRefreshUntilStopped) {
    Capture cap(if_b);
    AnnounceSettings s;
    s.repeat = 1;
    s.second_burst_delay = std::chrono::milliseconds(0);
    s.reply_form = true;
    s.refresh = std::chrono::milliseconds(100);
    MacAddress mac = interface_mac(if_a);
    Announcer an(io, if_a, mac, s);
    an.announce(1, {ip("198.51.100.5")});
    run_for(std::chrono::milliseconds(350));
    auto frames = cap.drain();
    EXPECT_GE(count_arp(frames, ip("198.51.100.5"), 1), 3u) << "first round plus refreshes";
    EXPECT_GE(count_arp(frames, ip("198.51.100.5"), 2), 3u);
    for (auto& f : frames) {
        if (f.size() >= 42 && f[12] == 0x08) {
            EXPECT_EQ(std::memcmp(&f[6], mac.data(), 6), 0) << "source MAC is the interface's";
        }
    }
    an.stop(1);
    run_for(std::chrono::milliseconds(250));
    EXPECT_EQ(count_arp(cap.drain(), ip("198.51.100.5"), 1), 0u) << "stop() ends the refresh";
}
