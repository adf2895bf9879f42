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

// The start-up read is one route lookup: only the kernel's local route of an address on THIS
// interface counts, not the address on another interface nor a local route covering it.
TEST_F(LinkMonitorTest, AddressElsewhereOrOnlyRoutedIsNotPresent) {
    ns.run("ip addr add 192.0.2.60/24 dev lb");
    EXPECT_FALSE(LinkMonitor(io, ifindex, *IpAddress::parse("192.0.2.60")).status().address_present);
    ns.run("ip route add local 198.18.0.0/24 dev la table local proto 77");
    EXPECT_FALSE(LinkMonitor(io, ifindex, *IpAddress::parse("198.18.0.1")).status().address_present);
    EXPECT_TRUE(LinkMonitor(io, ifindex, *IpAddress::parse("192.0.2.50")).status().address_present);
}

TEST_F(LinkMonitorTest, ReportsRemovedHostAddressesOurRoutesAndRecreation) {
    std::vector<std::string> removed, routes;
    std::vector<int> recreated;
    LinkMonitor::Watch w;
    w.name = "la";
    w.route_metric = 7;
    w.address_removed = [&](const IpAddress& a) { removed.push_back(a.to_string()); };
    w.route_removed = [&](const Prefix& p) { routes.push_back(p.to_string()); };
    w.recreated = [&](int i) { recreated.push_back(i); };
    LinkMonitor mon(io, ifindex, *IpAddress::parse("192.0.2.1"), w);
    mon.start([&](const LinkStatus& s) { seen.push_back(s); });
    auto spin = [&] {
        io.restart();
        io.run_for(std::chrono::milliseconds(200));
    };
    ns.run("ip addr add 192.0.2.51/24 dev la && ip addr del 192.0.2.51/24 dev la");  // not a host address
    ns.run("ip addr del 192.0.2.50/32 dev la");
    ns.run("ip route add local 198.18.0.0/24 dev la table local proto 77 metric 7");
    ns.run("ip route add local 198.18.1.0/24 dev la table local proto 77 metric 8");  // another config's
    ns.run("ip route del local 198.18.1.0/24 dev la table local proto 77 metric 8");
    ns.run("ip route del local 198.18.0.0/24 dev la table local proto 77 metric 7");
    spin();
    EXPECT_EQ(removed, std::vector<std::string>{"192.0.2.50"});
    EXPECT_EQ(routes, std::vector<std::string>{"198.18.0.0/24"});
    EXPECT_TRUE(recreated.empty());
    ns.run("ip link del la && ip link add la type veth peer name lb && ip link set la up && ip link set lb up");
    spin();
    ASSERT_FALSE(seen.empty());
    EXPECT_FALSE(seen.back().link_up);
    EXPECT_TRUE(recreated.empty()) << "re-created before the node address is on it";
    ns.run("ip addr add 192.0.2.1/24 dev la");
    spin();
    EXPECT_EQ(recreated, std::vector<int>{test::ifindex_of("la")});
}
