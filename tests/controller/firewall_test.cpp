#include "adapters/firewall.hpp"
#include "core/config.hpp"
#include "netns_fixture.hpp"

#include <boost/asio/io_context.hpp>

#include <unistd.h>

using namespace xvrrp;

TEST(NftRuleset, MulticastGroupsAndUnicastPeersPerFamily) {
    auto peers = std::vector<IpAddress>{*IpAddress::parse("192.0.2.2"), *IpAddress::parse("192.0.2.3"), *IpAddress::parse("2001:db8::2")};
    EXPECT_EQ(nft_ruleset("xvrrp_X", peers),
              "add table inet xvrrp_X\n"
              "delete table inet xvrrp_X\n"
              "table inet xvrrp_X {\n"
              "  chain input {\n"
              "    type filter hook input priority filter; policy accept;\n"
              "    ip daddr 224.0.0.18 accept\n"
              "    ip6 daddr ff02::12 accept\n"
              "    ip saddr { 192.0.2.2, 192.0.2.3 } ip protocol 112 accept\n"
              "    ip6 saddr { 2001:db8::2 } meta l4proto 112 accept\n"
              "  }\n"
              "}\n");
    EXPECT_EQ(nft_table_name("OpenShift_IPFailover"), "xvrrp_OpenShift_IPFailover");
    EXPECT_EQ(nft_table_name("a-b.c"), "xvrrp_a_b_c");
}

// In a namespace of its own: the root namespace's firewall is never touched.
TEST(Firewall, InstallsReplacesAndRemovesItsTable) {
    if (access("/usr/sbin/nft", X_OK) != 0) FAIL() << "nft is not installed (Debian package nftables)";
    test::Netns ns{"nft"};
    char tmpl[] = "/tmp/xvrrp-nft-XXXXXX";
    std::string dir = mkdtemp(tmpl);
    boost::asio::io_context io;
    ChildProcesses procs(io);
    auto run = [&](auto start) {
        bool done = false, ok = false;
        start([&](bool k, const std::string&) { done = ok = k, done = true; });
        io.restart();
        while (!done && io.run_one_for(std::chrono::seconds(5))) {}
        return ok;
    };
    std::string out;
    {
        Firewall fw(procs, "xvrrp_T1", {*IpAddress::parse("192.0.2.9")}, dir);
        Firewall other(procs, "xvrrp_T2", {}, dir);
        ASSERT_TRUE(run([&](auto cb) { fw.install(cb); }));
        ASSERT_TRUE(run([&](auto cb) { other.install(cb); }));
        // Installing again (a restart after a crash) replaces the table instead of failing.
        // nft lists protocol 112 by its /etc/protocols name, vrrp.
        ASSERT_TRUE(run([&](auto cb) { fw.install(cb); }));
        test::sh("nft list table inet xvrrp_T1", &out);
        EXPECT_NE(out.find("ip daddr 224.0.0.18 accept"), std::string::npos) << out;
        EXPECT_NE(out.find("ip saddr 192.0.2.9 ip protocol vrrp accept"), std::string::npos) << out;
        ASSERT_TRUE(run([&](auto cb) { fw.remove(cb); }));
        test::sh("nft list tables", &out);
        EXPECT_EQ(out.find("xvrrp_T1"), std::string::npos) << out;
        EXPECT_NE(out.find("xvrrp_T2"), std::string::npos) << "removing one config's table must leave the other's";
    }
    // The destructor removed the table still installed.
    test::sh("nft list tables", &out);
    EXPECT_EQ(out.find("xvrrp_T2"), std::string::npos) << out;
    test::sh("rm -rf " + dir);
}
