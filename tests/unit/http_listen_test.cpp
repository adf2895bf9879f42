// Where the HTTP pages listen (issue 16): without XVRRP_HTTP_ADDR, on the node's own address on
// the VRRP interface, not on every address (the VIPs included); XVRRP_HTTP_ADDR still decides
// when given, ":PORT" keeping its meaning of every address.
#include "core/plan.hpp"
#include "core/plan_format.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>

using namespace xvrrp;

namespace {

Plan plan_with(std::map<std::string, std::string> env, const char* node = "192.0.2.7") {
    env.emplace("OPENSHIFT_HA_VIRTUAL_IPS", "198.51.100.1-4");
    env.emplace("OPENSHIFT_HA_VRRP_ID_OFFSET", "0");
    auto c = parse_config(env_from_map(env));
    if (!c) ADD_FAILURE() << c.error().message();
    return make_plan(c ? c.value() : Config{}, NodeIdentity{"eth0", *IpAddress::parse(node)}, 1u);
}

}  // namespace

TEST(HttpListen, DefaultsToTheNodesAddressNotEveryAddress) {
    Plan p = plan_with({});
    EXPECT_TRUE(p.http.enabled);
    EXPECT_FALSE(p.http.host_set);
    EXPECT_EQ(p.http.host, "192.0.2.7");
    EXPECT_EQ(p.http.port, 63000);
    EXPECT_EQ(format_http(p.http), "192.0.2.7:63000") << "--check-config prints what runs";
}

TEST(HttpListen, AnIpv6NodeListensOnItsIpv6Address) {
    Plan p = plan_with({}, "2001:db8::7");
    EXPECT_EQ(p.http.host, "2001:db8::7");
    EXPECT_EQ(format_http(p.http), "[2001:db8::7]:63000");
}

TEST(HttpListen, TheVariableStillDecides) {
    EXPECT_EQ(plan_with({{"XVRRP_HTTP_ADDR", "127.0.0.1:8080"}}).http.host, "127.0.0.1");
    EXPECT_EQ(plan_with({{"XVRRP_HTTP_ADDR", "127.0.0.1:8080"}}).http.port, 8080);
    Plan every = plan_with({{"XVRRP_HTTP_ADDR", ":63001"}});
    EXPECT_TRUE(every.http.host_set);
    EXPECT_EQ(every.http.host, "") << "\":PORT\" is every address, as before";
    EXPECT_EQ(format_http(every.http), ":63001");
    EXPECT_FALSE(plan_with({{"XVRRP_HTTP_ADDR", "off"}}).http.enabled);
}
