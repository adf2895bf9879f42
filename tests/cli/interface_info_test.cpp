// The interface adapter, read-only against this machine's loopback and against fixed
// /proc/net/route text.
#include "adapters/interface_info.hpp"

#include <gtest/gtest.h>

using namespace xvrrp;

TEST(InterfaceInfo, LoopbackExistsAndHasItsAddress) {
    EXPECT_TRUE(interface_exists("lo"));
    EXPECT_FALSE(interface_exists("xvnope0"));
    EXPECT_EQ(primary_address("lo"), IpAddress::parse("127.0.0.1"));
    EXPECT_FALSE(primary_address("xvnope0"));
    // Skipping the primary (e.g. a VIP of ours left behind) falls through to the next candidate;
    // loopback's only IPv6 address is ::1, which is not global.
    EXPECT_FALSE(primary_address("lo", {*IpAddress::parse("127.0.0.1")}));
}

TEST(InterfaceInfo, DefaultRouteDeviceIsTheLowestMetricUpDefault) {
    const char* table =
        "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
        "ens4\t0000A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"
        "ens5\t00000000\t0100A8C0\t0003\t0\t0\t200\t00000000\t0\t0\t0\n"
        "ens6\t00000000\t0100A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n"
        "ens7\t00000000\t0100A8C0\t0002\t0\t0\t1\t00000000\t0\t0\t0\n";  // not RTF_UP
    EXPECT_EQ(parse_default_route_device(table), "ens6");
    EXPECT_FALSE(parse_default_route_device("Iface\tDestination\n"));
    EXPECT_FALSE(parse_default_route_device("header\nens4\t0000A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\n"));
    EXPECT_FALSE(default_route_device("/nonexistent/route"));
}

TEST(InterfaceInfo, ResolveNodeRejectsAMissingNamedInterface) {
    auto c = parse_config(env_from_map({{"OPENSHIFT_HA_VIRTUAL_IPS", "192.0.2.1"},
                                        {"OPENSHIFT_HA_NETWORK_INTERFACE", "xvnope0"}}));
    ASSERT_TRUE(c.ok());
    auto node = resolve_node(c.value());
    ASSERT_FALSE(node.ok());
    EXPECT_EQ(node.error().variable, "OPENSHIFT_HA_NETWORK_INTERFACE");
    EXPECT_EQ(node.error().value, "xvnope0");
}

TEST(InterfaceInfo, ResolveNodeUsesANamedInterface) {
    auto c = parse_config(env_from_map({{"OPENSHIFT_HA_VIRTUAL_IPS", "192.0.2.1"},
                                        {"OPENSHIFT_HA_NETWORK_INTERFACE", "lo"}}));
    ASSERT_TRUE(c.ok());
    auto node = resolve_node(c.value());
    ASSERT_TRUE(node.ok()) << node.error().message();
    EXPECT_EQ(node.value().interface, "lo");
    EXPECT_EQ(node.value().address, *IpAddress::parse("127.0.0.1"));
}
