#include "adapters/link_monitor.hpp"
#include "netns_fixture.hpp"

#include <boost/asio/io_context.hpp>

using namespace xvrrp;
using xvrrp::test::Netns;

namespace {

struct LinkMonitorTest : ::testing::Test {
    Netns ns{"link"};
    boost::asio::io_context io;
    int ifindex = 0;
    std::vector<LinkStatus> seen;
    void SetUp() override {
        ns.run("ip link add la type veth peer name lb && ip link set la up && ip link set lb up");
        ns.run("ip addr add 192.0.2.1/24 dev la && ip addr add 192.0.2.50/32 dev la");
        ifindex = test::ifindex_of("la");
    }
    // Runs the loop until a new event arrives or 2 s pass.
    bool next_event() {
        std::size_t before = seen.size();
        io.restart();
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
        while (seen.size() == before && std::chrono::steady_clock::now() < deadline) io.run_one_for(std::chrono::milliseconds(50));
        return seen.size() > before;
    }
};

}  // namespace

TEST_F(LinkMonitorTest, DownAndBackAndAddressGoneAndBack) {
    LinkMonitor mon(io, ifindex, *IpAddress::parse("192.0.2.1"));
    ASSERT_TRUE(mon.status().healthy()) << mon.status().cause;
    mon.start([&](const LinkStatus& s) { seen.push_back(s); });

    ns.run("ip link set la down");
    ASSERT_TRUE(next_event());
    EXPECT_FALSE(seen.back().link_up);
    EXPECT_EQ(seen.back().cause, "la down");

    ns.run("ip link set la up");
    ASSERT_TRUE(next_event());
    EXPECT_TRUE(seen.back().healthy());

    // The peer losing its end takes our carrier away (IFF_RUNNING clears) though we stay UP.
    ns.run("ip link set lb down");
    ASSERT_TRUE(next_event());
    EXPECT_FALSE(seen.back().link_up);
    ns.run("ip link set lb up");
    ASSERT_TRUE(next_event());
    EXPECT_TRUE(seen.back().healthy());

    // A VIP coming and going is no event; the node address is.
    ns.run("ip addr del 192.0.2.50/32 dev la");
    EXPECT_FALSE(next_event());
    ns.run("ip addr del 192.0.2.1/24 dev la");
    ASSERT_TRUE(next_event());
    EXPECT_FALSE(seen.back().address_present);
    EXPECT_EQ(seen.back().cause, "192.0.2.1 removed from la");
    ns.run("ip addr add 192.0.2.1/24 dev la");
    ASSERT_TRUE(next_event());
    EXPECT_TRUE(seen.back().healthy());
}

TEST_F(LinkMonitorTest, StartsUnhealthyWhenTheAddressIsMissing) {
    LinkMonitor mon(io, ifindex, *IpAddress::parse("192.0.2.99"));
    EXPECT_TRUE(mon.status().link_up);
    EXPECT_FALSE(mon.status().address_present);
}

TEST_F(LinkMonitorTest, IPv6PrimaryAddress) {
    ns.run("ip addr add 2001:db8::1/64 dev la nodad");
    LinkMonitor mon(io, ifindex, *IpAddress::parse("2001:db8::1"));
    ASSERT_TRUE(mon.status().healthy());
    mon.start([&](const LinkStatus& s) { seen.push_back(s); });
    ns.run("ip addr del 2001:db8::1/64 dev la");
    ASSERT_TRUE(next_event());
    EXPECT_FALSE(seen.back().address_present);
}
