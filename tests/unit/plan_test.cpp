// Golden plans: priorities and start states worked out by hand from OpenShift's generator
// (lib/config-generators.sh) for several node addresses, replica counts and group counts, with a
// fixed sequence standing in for bash's $RANDOM.
#include "core/plan.hpp"
#include "core/plan_format.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>

using namespace xvrrp;
using Env = std::map<std::string, std::string>;

namespace {

Config config(Env env) {
    env.emplace("OPENSHIFT_HA_VRRP_ID_OFFSET", "0");
    auto r = parse_config(env_from_map(env));
    if (!r) ADD_FAILURE() << r.error().message();
    return r ? r.value() : Config{};
}

// Hands out `values` in order; counts calls so tests can see one draw per group.
struct FixedDraws {
    std::vector<std::uint32_t> values;
    std::size_t calls = 0;
    RandomDraw fn() {
        return [this] { return values.at(calls++ % values.size()); };
    }
};

Plan plan_for(const Config& c, const char* node, std::vector<std::uint32_t> draws) {
    FixedDraws d{std::move(draws)};
    return make_plan(c, NodeIdentity{"eth0", *IpAddress::parse(node)}, d.fn());
}

struct Row {
    unsigned priority;
    bool master;
    long delay;  // effective preempt_delay seconds; -1 = nopreempt
};

void expect_rows(const Plan& p, const std::vector<Row>& want) {
    ASSERT_EQ(p.groups.size(), want.size());
    for (std::size_t i = 0; i < want.size(); ++i) {
        const Group& g = p.groups[i];
        SCOPED_TRACE("group " + std::to_string(i + 1));
        EXPECT_EQ(g.index, i + 1);
        EXPECT_EQ(g.priority, want[i].priority);
        EXPECT_EQ(g.initial_master, want[i].master);
        if (want[i].delay < 0) {
            EXPECT_EQ(g.preemption.mode, PreemptMode::NoPreempt);
        } else {
            EXPECT_EQ(g.preemption.mode, PreemptMode::Delay);
            EXPECT_EQ(g.preemption.delay.count(), want[i].delay);
        }
    }
}

std::vector<std::string> strs(const std::vector<IpAddress>& v) {
    std::vector<std::string> out;
    for (const auto& a : v) out.push_back(a.to_string());
    return out;
}

}  // namespace

TEST(GeneratorPriorities, EvenSlotTwoReplicasEveryGroupIsMasterAndFlipFlops) {
    // slot 10, idx = 10 % 2 + 1 = 1: every group is a master group, 255-10 and 10+1 alternate,
    // and keepalived clears preempt_delay on every one of them (state MASTER).
    Plan p = plan_for(config({{"OPENSHIFT_HA_VIRTUAL_IPS", "192.0.2.101-104"}}), "192.0.2.10", {3, 7, 11, 13});
    EXPECT_EQ(p.slot, 10u);
    expect_rows(p, {{245, true, 0}, {11, true, 0}, {245, true, 0}, {11, true, 0}});
    EXPECT_TRUE(p.groups[0].preempt_delay_cleared);
}

TEST(GeneratorPriorities, OddSlotTwoReplicasAlternatesAcrossBackupGroups) {
    // slot 11, idx 2: groups 2 and 4 are master groups. `previous` only changes on master groups,
    // so group 4 is the flip side (11 + 1) although group 3 between them was not a master group.
    // Backup groups: 11 % 64 + draw % 32, keeping their preempt_delay.
    Plan p = plan_for(config({{"OPENSHIFT_HA_VIRTUAL_IPS", "192.0.2.101-104"}}), "192.0.2.11", {3, 7, 43, 13});
    expect_rows(p, {{14, false, 300}, {244, true, 0}, {22, false, 300}, {12, true, 0}});
    EXPECT_FALSE(p.groups[0].preempt_delay_cleared);
}

TEST(GeneratorPriorities, ThreeReplicasSevenVipsInThreeGroups) {
    // .130: slot 130 % 128 = 2, idx = 2 % 3 + 1 = 3: only group 3 is a master group.
    Config c = config({{"OPENSHIFT_HA_VIRTUAL_IPS", "192.0.2.101-107"},
                       {"OPENSHIFT_HA_VIP_GROUPS", "3"},
                       {"OPENSHIFT_HA_REPLICA_COUNT", "3"}});
    Plan p = plan_for(c, "192.0.2.130", {3, 7, 11});
    EXPECT_EQ(p.slot, 2u);
    expect_rows(p, {{5, false, 300}, {9, false, 300}, {253, true, 0}});
    EXPECT_EQ(strs(p.groups[0].vips), (std::vector<std::string>{"192.0.2.101", "192.0.2.102", "192.0.2.103"}));
    EXPECT_EQ(strs(p.groups[1].vips), (std::vector<std::string>{"192.0.2.104", "192.0.2.105"}));
    EXPECT_EQ(strs(p.groups[2].vips), (std::vector<std::string>{"192.0.2.106", "192.0.2.107"}));
    EXPECT_EQ(p.groups[2].name, "OpenShift_IPFailover_VIP_3");
    EXPECT_EQ(p.groups[2].vrid, 3);

    // .5 with 3 replicas: slot 5, idx = 5 % 3 + 1 = 3, same shape with slot 5.
    expect_rows(plan_for(c, "192.0.2.5", {0, 31, 0}), {{5, false, 300}, {36, false, 300}, {250, true, 0}});
}

TEST(GeneratorPriorities, SlotZeroIsTheAddressOwner) {
    // .128: slot 0, idx 1: every group is a master group: 255 (owner), then 0 + 1.
    Plan p = plan_for(config({{"OPENSHIFT_HA_VIRTUAL_IPS", "192.0.2.101-103"}}), "192.0.2.128", {9});
    expect_rows(p, {{255, true, 0}, {1, true, 0}, {255, true, 0}});
}

TEST(GeneratorPriorities, ZeroBecomesKeepalivedsDefault100) {
    // .64 with 3 replicas: slot 64, idx = 64 % 3 + 1 = 2. Group 1: 64 % 64 + 32 % 32 = 0 -> 100.
    Config c = config({{"OPENSHIFT_HA_VIRTUAL_IPS", "192.0.2.101-103"}, {"OPENSHIFT_HA_REPLICA_COUNT", "3"}});
    expect_rows(plan_for(c, "192.0.2.64", {32, 5, 1}), {{100, false, 300}, {191, true, 0}, {1, false, 300}});
}

TEST(GeneratorPriorities, GeneratorDefaultOfOneReplicaMakesEveryGroupMaster) {
    Config c = config({{"OPENSHIFT_HA_VIRTUAL_IPS", "192.0.2.101-102"}, {"OPENSHIFT_HA_REPLICA_COUNT", "1"}});
    expect_rows(plan_for(c, "192.0.2.33", {1}), {{222, true, 0}, {34, true, 0}});
}

TEST(GeneratorPriorities, NopreemptHasNoMasterStateAndNoAlternation) {
    Config c = config({{"OPENSHIFT_HA_VIRTUAL_IPS", "192.0.2.101-104"}, {"OPENSHIFT_HA_PREEMPTION", "nopreempt"}});
    expect_rows(plan_for(c, "192.0.2.11", {3, 7, 11, 13}), {{14, false, -1}, {244, false, -1}, {22, false, -1}, {244, false, -1}});
    expect_rows(plan_for(c, "192.0.2.10", {3}), {{245, false, -1}, {245, false, -1}, {245, false, -1}, {245, false, -1}});
}

TEST(GeneratorPriorities, ZeroDelayIsNotReportedAsCleared) {
    Config c = config({{"OPENSHIFT_HA_VIRTUAL_IPS", "192.0.2.101"}, {"OPENSHIFT_HA_PREEMPTION", "preempt_delay 0"}});
    Plan p = plan_for(c, "192.0.2.10", {0});
    expect_rows(p, {{245, true, 0}});
    EXPECT_FALSE(p.groups[0].preempt_delay_cleared);
}

TEST(GeneratorPriorities, OneDrawPerGroupAsTheGenerator) {
    FixedDraws d{{1, 2, 3}};
    Config c = config({{"OPENSHIFT_HA_VIRTUAL_IPS", "192.0.2.101-105"}});
    make_plan(c, NodeIdentity{"eth0", *IpAddress::parse("192.0.2.10")}, d.fn());
    EXPECT_EQ(d.calls, 5u);
}

TEST(GeneratorPriorities, SeededPlansAreReproducibleAndInRange) {
    Config c = config({{"OPENSHIFT_HA_VIRTUAL_IPS", "192.0.2.101-150"}, {"OPENSHIFT_HA_REPLICA_COUNT", "4"}});
    NodeIdentity node{"eth0", *IpAddress::parse("192.0.2.77")};
    Plan a = make_plan(c, node, 42u), b = make_plan(c, node, 42u);
    ASSERT_EQ(a.groups.size(), 50u);
    bool any_differs = false;
    Plan other = make_plan(c, node, 43u);
    for (std::size_t i = 0; i < a.groups.size(); ++i) {
        EXPECT_EQ(a.groups[i].priority, b.groups[i].priority);
        any_differs |= a.groups[i].priority != other.groups[i].priority;
        // slot 77: idx = 77 % 4 + 1 = 2; backups get 77 % 64 + 0..31 = 13..44.
        if (!a.groups[i].initial_master) {
            EXPECT_GE(a.groups[i].priority, 13);
            EXPECT_LE(a.groups[i].priority, 44);
        }
        EXPECT_EQ(a.groups[i].initial_master, (i + 1) % 2 == 0);
    }
    EXPECT_TRUE(any_differs) << "another seed should change some backup priority";
}

TEST(SpreadPriorities, EachGroupHasOnePreferredNodeAndAFixedOrder) {
    Config c = config({{"OPENSHIFT_HA_VIRTUAL_IPS", "192.0.2.101-106"},
                       {"OPENSHIFT_HA_REPLICA_COUNT", "3"},
                       {"XVRRP_PRIORITY_SCHEME", "spread"}});
    // Ranks: .10 -> 1, .11 -> 2, .12 -> 0. Group n prefers rank (n-1) % 3.
    std::map<std::string, std::vector<unsigned>> want = {
        {"192.0.2.12", {254, 252, 253, 254, 252, 253}},
        {"192.0.2.10", {253, 254, 252, 253, 254, 252}},
        {"192.0.2.11", {252, 253, 254, 252, 253, 254}},
    };
    for (const auto& [node, prios] : want) {
        SCOPED_TRACE(node);
        Plan p = plan_for(c, node.c_str(), {0});
        std::vector<Row> rows;
        for (unsigned pr : prios) rows.push_back({pr, false, 300});
        expect_rows(p, rows);
    }
}

TEST(PlanSettings, NodeWideValues) {
    Config c = config({{"OPENSHIFT_HA_VIRTUAL_IPS", "192.0.2.101"},
                       {"OPENSHIFT_HA_CONFIG_NAME", "ip-failover"},
                       {"OPENSHIFT_HA_UNICAST_PEERS", "192.0.2.10,192.0.2.11,192.0.2.12"},
                       {"OPENSHIFT_HA_MONITOR_PORT", "30060"},
                       {"OPENSHIFT_HA_NOTIFY_SCRIPT", "/etc/keepalive/notify.sh"},
                       {"OPENSHIFT_HA_NFTABLES_RULE", "yes"}});
    Plan p = plan_for(c, "192.0.2.11", {0});
    EXPECT_EQ(p.interface, "eth0");
    EXPECT_EQ(p.node_address, *IpAddress::parse("192.0.2.11"));
    EXPECT_EQ(p.advert_source, p.node_address);
    EXPECT_TRUE(p.unicast);
    EXPECT_EQ(strs(p.unicast_peers), (std::vector<std::string>{"192.0.2.10", "192.0.2.12"}));
    EXPECT_EQ(p.auth_key, "ip-failo");
    EXPECT_EQ(p.groups[0].name, "ip_failover_VIP_1");
    EXPECT_EQ(p.check.kind, CheckKind::TcpPort);
    EXPECT_EQ(p.check.address, p.node_address);  // the node, not each VIP (generator behaviour)
    EXPECT_EQ(p.check.port, 30060);
    EXPECT_EQ(p.check.interval, std::chrono::seconds(2));
    EXPECT_EQ(p.notify_command, std::vector<std::string>{"/etc/keepalive/notify.sh"});
    EXPECT_TRUE(p.firewall_rule);
    EXPECT_EQ(p.vrrp_version, 2);
    EXPECT_EQ(p.advert_interval, std::chrono::milliseconds(1000));
}

TEST(PlanSeed, SameNodeSamePlanOtherNodesAndConfigsOtherDraws) {
    Config a = config({{"OPENSHIFT_HA_VIRTUAL_IPS", "192.0.2.50-81"}});
    Config b = config({{"OPENSHIFT_HA_VIRTUAL_IPS", "192.0.2.50-81"}, {"OPENSHIFT_HA_CONFIG_NAME", "other"}});
    const IpAddress n11 = *IpAddress::parse("192.0.2.11"), n12 = *IpAddress::parse("192.0.2.12");
    EXPECT_EQ(plan_seed(a, n11), plan_seed(a, n11));
    EXPECT_NE(plan_seed(a, n11), plan_seed(a, n12));
    EXPECT_NE(plan_seed(a, n11), plan_seed(b, n11));
    auto priorities = [](const Config& c, const IpAddress& node) {
        NodeIdentity id{"eth0", node};
        std::vector<int> v;
        for (const auto& g : make_plan(c, id, plan_seed(c, node)).groups) v.push_back(g.priority);
        return v;
    };
    EXPECT_EQ(priorities(a, n11), priorities(a, n11));
    // 32 groups, about half of them backups with a 0..31 draw: another config's draws differ.
    EXPECT_NE(priorities(a, n11), priorities(b, n11));
}

TEST(PlanSettings, V2WithoutAuthenticationHasNoKey) {
    Config c = config({{"OPENSHIFT_HA_VIRTUAL_IPS", "192.0.2.101"}, {"XVRRP_V2_AUTH", "none"}});
    Plan p = plan_for(c, "192.0.2.1", {0});
    EXPECT_FALSE(p.v2_auth_pass);
    EXPECT_EQ(p.auth_key, "");
    EXPECT_NE(format_plan_text(p).find("none (type 0, XVRRP_V2_AUTH=none)"), std::string::npos) << format_plan_text(p);
}

TEST(PlanSettings, ChecksScriptsAndVersion3) {
    Config none = config({{"OPENSHIFT_HA_VIRTUAL_IPS", "192.0.2.101"}, {"OPENSHIFT_HA_MONITOR_PORT", "0"}});
    EXPECT_EQ(plan_for(none, "192.0.2.1", {0}).check.kind, CheckKind::None);
    Config script = config({{"OPENSHIFT_HA_VIRTUAL_IPS", "192.0.2.101"},
                            {"OPENSHIFT_HA_CHECK_SCRIPT", "/bin/check arg"},
                            {"OPENSHIFT_HA_CHECK_INTERVAL", "5"}});
    Plan ps = plan_for(script, "192.0.2.1", {0});
    EXPECT_EQ(ps.check.kind, CheckKind::Script);  // replaces the port check
    EXPECT_EQ(ps.check.command, (std::vector<std::string>{"/bin/check", "arg"}));
    EXPECT_EQ(ps.check.interval, std::chrono::seconds(5));
    Config v3 = config({{"OPENSHIFT_HA_VIRTUAL_IPS", "2001:db8::1-2"},
                        {"XVRRP_VRRP_VERSION", "3"},
                        {"XVRRP_ADVERT_INTERVAL", "0.05"},
                        {"UNICAST_SOURCE_IPADDRESS", "2001:db8::99"}});
    Plan p3 = plan_for(v3, "192.0.2.1", {0});
    EXPECT_EQ(p3.auth_key, "");
    EXPECT_EQ(p3.advert_interval, std::chrono::milliseconds(50));
    EXPECT_EQ(p3.advert_source, *IpAddress::parse("2001:db8::99"));
    EXPECT_EQ(p3.groups[1].family(), Family::V6);
    EXPECT_FALSE(p3.unicast);
}

TEST(PlanSettings, Ipv6NodeUsesItsLastByteAndWarns) {
    Config c = config({{"OPENSHIFT_HA_VIRTUAL_IPS", "2001:db8::1"}});
    Plan p = plan_for(c, "2001:db8::8b", {0});
    EXPECT_EQ(p.slot, 0x8bu % 128);
    bool warned = false;
    for (const auto& w : p.warnings) warned |= w.find("IPv6") != std::string::npos;
    EXPECT_TRUE(warned);
}

TEST(PlanFormat, TextShowsEveryGroupAndSetting) {
    Config c = config({{"OPENSHIFT_HA_VIRTUAL_IPS", "192.0.2.101-104"}});
    std::string text = format_plan_text(plan_for(c, "192.0.2.11", {3, 7, 11, 13}));
    for (const char* want : {"interface          eth0", "192.0.2.11 (slot 11)", "PASS \"OpenShif\"", "multicast",
                             "tcp 192.0.2.11:80 every 2s", "OpenShift_IPFailover_VIP_2", "preempt_delay 0 (cleared)",
                             "preempt_delay 300", "MASTER", "BACKUP", "192.0.2.104"})
        EXPECT_NE(text.find(want), std::string::npos) << want << " missing from:\n" << text;
}

TEST(PlanFormat, IntervalsReadAsKeepalivedWritesThem) {
    using ms = std::chrono::milliseconds;
    EXPECT_EQ(format_interval(ms(1000)), "1");
    EXPECT_EQ(format_interval(ms(500)), "0.5");
    EXPECT_EQ(format_interval(ms(10)), "0.01");
    EXPECT_EQ(format_interval(ms(40950)), "40.95");
    EXPECT_EQ(format_preemption({PreemptMode::NoPreempt, std::chrono::seconds(0)}), "nopreempt");
}

TEST(PlanGroups, AdvertsListWhatFitsAndTheGroupKeepsEveryAddress) {
    // 300 IPv4 VIPs in one group: the advert lists the first 255, the group owns all 300.
    Config c = config({{"OPENSHIFT_HA_VIRTUAL_IPS", "198.18.0.0-255,198.18.1.0-43"}, {"OPENSHIFT_HA_VIP_GROUPS", "1"}});
    Plan p = plan_for(c, "192.0.2.1", {0});
    ASSERT_EQ(p.groups.size(), 1u);
    EXPECT_EQ(p.groups[0].vips.size(), 300u);
    ASSERT_EQ(p.groups[0].advertised().size(), 255u);
    EXPECT_EQ(p.groups[0].advertised().back(), *IpAddress::parse("198.18.0.254"));
    // 100 IPv6 VIPs: 90 fit a 1500-byte frame.
    Plan p6 = plan_for(config({{"OPENSHIFT_HA_VIRTUAL_IPS", "2001:db8::1-64"}, {"OPENSHIFT_HA_VIP_GROUPS", "1"}}),
                       "192.0.2.1", {0});
    EXPECT_EQ(p6.groups[0].vips.size(), 100u);
    EXPECT_EQ(p6.groups[0].advertised().size(), 90u);
    // A small group lists all of its addresses.
    Plan small = plan_for(config({{"OPENSHIFT_HA_VIRTUAL_IPS", "192.0.2.10-12"}}), "192.0.2.1", {0});
    EXPECT_EQ(small.groups[0].advertised().size(), 1u);  // one group per address by default
}

// Issue 16 item 7: a VIP moves between nodes, so it must be no node's own address.
TEST(PlanRefusal, VipEqualToTheNodeAddressIsRefusedNamingBoth) {
    Config c = config({{"OPENSHIFT_HA_VIRTUAL_IPS", "192.0.2.101,192.0.2.10,192.0.2.102"}});
    auto e = refuse_address_collisions(plan_for(c, "192.0.2.10", {0}));
    ASSERT_TRUE(e.has_value());
    EXPECT_EQ(e->variable, "OPENSHIFT_HA_VIRTUAL_IPS");
    EXPECT_EQ(e->value, "192.0.2.10");
    EXPECT_NE(e->accepted.find("VIP 192.0.2.10 of group "), std::string::npos) << e->message();
    EXPECT_NE(e->accepted.find("this node's own address on eth0"), std::string::npos) << e->message();
}

TEST(PlanRefusal, VipEqualToAUnicastPeerIsRefusedNamingThePeer) {
    Config c = config({{"OPENSHIFT_HA_VIRTUAL_IPS", "192.0.2.101-103"},
                       {"OPENSHIFT_HA_UNICAST_PEERS", "192.0.2.10,192.0.2.102"}});
    auto e = refuse_address_collisions(plan_for(c, "192.0.2.10", {0}));
    ASSERT_TRUE(e.has_value());
    EXPECT_EQ(e->value, "192.0.2.102");
    EXPECT_NE(e->accepted.find("unicast peer"), std::string::npos) << e->message();
}

TEST(PlanRefusal, VipEqualToTheAdvertSourceIsRefused) {
    Config c = config({{"OPENSHIFT_HA_VIRTUAL_IPS", "192.0.2.101-103"}, {"MULTICAST_SOURCE_IPADDRESS", "192.0.2.102"}});
    auto e = refuse_address_collisions(plan_for(c, "192.0.2.10", {0}));
    ASSERT_TRUE(e.has_value());
    EXPECT_EQ(e->value, "192.0.2.102");
    EXPECT_NE(e->accepted.find("advert source"), std::string::npos) << e->message();
}

TEST(PlanRefusal, DistinctAddressesAreAccepted) {
    Config c = config({{"OPENSHIFT_HA_VIRTUAL_IPS", "192.0.2.101-103,2001:db8::10"},
                       {"OPENSHIFT_HA_UNICAST_PEERS", "192.0.2.10,192.0.2.11"}});
    EXPECT_EQ(refuse_address_collisions(plan_for(c, "192.0.2.10", {0})), std::nullopt);
}
