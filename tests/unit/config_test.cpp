// The OPENSHIFT_HA_* contract: defaults, valid values and each kind of invalid value per variable,
// plus the reference page's examples.
#include "core/config.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>

using namespace xvrrp;
using Env = std::map<std::string, std::string>;

namespace {

constexpr const char* kOneVip = "192.0.2.10";

Result<Config> parse(Env env, const ExecutableProbe& probe = nullptr) {
    if (!env.count("OPENSHIFT_HA_VIRTUAL_IPS")) env["OPENSHIFT_HA_VIRTUAL_IPS"] = kOneVip;
    return parse_config(env_from_map(env), probe);
}

Config ok(Env env) {
    auto r = parse(std::move(env));
    if (!r) ADD_FAILURE() << "unexpected error: " << r.error().message();
    return r ? r.value() : Config{};
}

// Asserts the error names the variable and the value, and its text contains `fragment`.
void expect_error(Env env, const std::string& var, const std::string& fragment = "") {
    auto r = parse(env);
    ASSERT_FALSE(r) << var << " should have been rejected";
    EXPECT_EQ(r.error().variable, var);
    std::string msg = r.error().message();
    std::string value = env.count(var) ? env.at(var) : std::string();
    auto trimmed = value;
    while (!trimmed.empty() && trimmed.back() == ' ') trimmed.pop_back();
    while (!trimmed.empty() && trimmed.front() == ' ') trimmed.erase(0, 1);
    EXPECT_EQ(msg.rfind(var + "=\"", 0), 0u) << msg;
    if (!trimmed.empty()) {
        EXPECT_NE(msg.find("\"" + trimmed + "\""), std::string::npos) << msg;
    }
    if (!fragment.empty()) {
        EXPECT_NE(msg.find(fragment), std::string::npos) << msg;
    }
    EXPECT_EQ(msg.find('\n'), std::string::npos) << "one line: " << msg;
}

std::vector<std::string> strs(const std::vector<IpAddress>& v) {
    std::vector<std::string> out;
    for (const auto& a : v) out.push_back(a.to_string());
    return out;
}

std::vector<std::string> vips(const std::string& text) {
    auto r = parse_vip_list(text);
    if (!r) ADD_FAILURE() << text << ": " << r.error().message();
    return r ? strs(r.value()) : std::vector<std::string>{};
}

bool has_warning(const Config& c, const std::string& fragment) {
    for (const auto& w : c.warnings)
        if (w.find(fragment) != std::string::npos) return true;
    return false;
}

}  // namespace

// ---------------------------------------------------------------- defaults

TEST(ConfigDefaults, MatchThePageAndTheGenerator) {
    Config c = ok({});
    EXPECT_EQ(c.config_name, "OpenShift-IPFailover");
    EXPECT_EQ(c.instance_base, "OpenShift_IPFailover");
    EXPECT_EQ(c.auth_key, "OpenShif");
    EXPECT_EQ(strs(c.vips), std::vector<std::string>{"192.0.2.10"});
    EXPECT_EQ(c.group_sizes, std::vector<std::size_t>{1});
    EXPECT_EQ(c.vrids, std::vector<std::uint8_t>{1});
    EXPECT_EQ(c.vrid_offset, 0u);
    EXPECT_FALSE(c.vrid_offset_set);
    EXPECT_FALSE(c.interface);
    EXPECT_EQ(c.replica_count, 2u);
    EXPECT_EQ(c.monitor_port, 80);
    EXPECT_TRUE(c.check_script.empty());
    EXPECT_EQ(c.check_interval, std::chrono::seconds(2));
    EXPECT_TRUE(c.notify_script.empty());
    EXPECT_EQ(c.preemption, (Preemption{PreemptMode::Delay, std::chrono::seconds(300)}));
    EXPECT_TRUE(c.unicast_peers.empty());
    EXPECT_FALSE(c.use_unicast);
    EXPECT_FALSE(c.firewall_rule);
    EXPECT_FALSE(c.advert_source);
    EXPECT_EQ(c.vrrp_version, 2);
    EXPECT_EQ(c.advert_interval, std::chrono::milliseconds(1000));
    EXPECT_EQ(c.v3_checksum, V3Checksum::PseudoHeader);
    EXPECT_EQ(c.priority_scheme, PriorityScheme::Generator);
    EXPECT_EQ(c.runtime_dir, "/run/xvrrp");
    EXPECT_TRUE(c.http.enabled);
    EXPECT_EQ(c.http.host, "");
    EXPECT_EQ(c.http.port, 63000);
    EXPECT_EQ(c.log_level, "info");
    EXPECT_EQ(c.dataplane, Dataplane::Xdp);
}

TEST(ConfigDefaults, UnsetOffsetWarnsOnceAboutTheImageDefault) {
    Config c = ok({});
    int n = 0;
    for (const auto& w : c.warnings) n += w.find("OPENSHIFT_HA_VRRP_ID_OFFSET") != std::string::npos;
    EXPECT_EQ(n, 1);
    EXPECT_TRUE(has_warning(c, "10"));
    EXPECT_FALSE(has_warning(ok({{"OPENSHIFT_HA_VRRP_ID_OFFSET", "0"}}), "OPENSHIFT_HA_VRRP_ID_OFFSET"));
}

TEST(ConfigDefaults, EmptyValueMeansUnsetAsInTheGenerator) {
    Config c = ok({{"OPENSHIFT_HA_MONITOR_PORT", ""}, {"OPENSHIFT_HA_CONFIG_NAME", "  "}});
    EXPECT_EQ(c.monitor_port, 80);
    EXPECT_EQ(c.config_name, "OpenShift-IPFailover");
}

// ---------------------------------------------------------------- config name

TEST(ConfigName, ScrubsForInstanceNamesAndKeepsEightBytesForAuth) {
    Config c = ok({{"OPENSHIFT_HA_CONFIG_NAME", "ip-failover.prod"}});
    EXPECT_EQ(c.config_name, "ip-failover.prod");
    EXPECT_EQ(c.instance_base, "ip_failoverprod");
    EXPECT_EQ(c.auth_key, "ip-failo");
    EXPECT_EQ(ok({{"OPENSHIFT_HA_CONFIG_NAME", "arp"}}).auth_key, "arp");
    // The generator's own example (lib/utils.sh, scrub).
    EXPECT_EQ(scrub_name("config!@#@$%$^&*()-+=1_{}|[]\\:;'<>?,./ipfailover"), "config_1_ipfailover");
    EXPECT_EQ(scrub_name("ha-1"), "ha_1");
}

TEST(ConfigName, RejectsNamesThatScrubToNothingOrHoldBlanks) {
    expect_error({{"OPENSHIFT_HA_CONFIG_NAME", "!!!"}}, "OPENSHIFT_HA_CONFIG_NAME", "[A-Za-z0-9_-]");
    expect_error({{"OPENSHIFT_HA_CONFIG_NAME", "two words"}}, "OPENSHIFT_HA_CONFIG_NAME", "no blanks");
    expect_error({{"OPENSHIFT_HA_CONFIG_NAME", "quo\"te"}}, "OPENSHIFT_HA_CONFIG_NAME");
}

// ---------------------------------------------------------------- virtual IPs

TEST(VirtualIps, PageExample) {
    EXPECT_EQ(vips("1.2.3.4-6,1.2.3.9"), (std::vector<std::string>{"1.2.3.4", "1.2.3.5", "1.2.3.6", "1.2.3.9"}));
}

TEST(VirtualIps, BothRangeFormsAndSeparators) {
    EXPECT_EQ(vips("10.0.0.5-10.0.0.7"), (std::vector<std::string>{"10.0.0.5", "10.0.0.6", "10.0.0.7"}));
    EXPECT_EQ(vips("10.1.1.100-100"), std::vector<std::string>{"10.1.1.100"});
    EXPECT_EQ(vips("1.1.1.1, 2.2.2.2,3.3.3.3-4  4.4.4.4"),
              (std::vector<std::string>{"1.1.1.1", "2.2.2.2", "3.3.3.3", "3.3.3.4", "4.4.4.4"}));
    EXPECT_EQ(vips("10.1.1.100-102 10.1.1.200-200 10.42.42.42"),
              (std::vector<std::string>{"10.1.1.100", "10.1.1.101", "10.1.1.102", "10.1.1.200", "10.42.42.42"}));
    EXPECT_EQ(vips(" 192.0.2.1\t"), std::vector<std::string>{"192.0.2.1"});
    EXPECT_EQ(vips("192.0.2.250-255").size(), 6u);
}

TEST(VirtualIps, Ipv6RangesOnTheLastGroupInEitherCase) {
    std::vector<std::string> want{"2001:db8:1abc::1f39", "2001:db8:1abc::1f3a", "2001:db8:1abc::1f3b"};
    EXPECT_EQ(vips("2001:DB8:1ABC::1F39-1F3B"), want);  // the generator's example
    EXPECT_EQ(vips("2001:db8:1abc::1f39-1f3b"), want);  // lower case: the generator drops it
    EXPECT_EQ(vips("2001:db8::ffff-ffff"), std::vector<std::string>{"2001:db8::ffff"});
    EXPECT_EQ(vips("2001:db8::1:0-2"),
              (std::vector<std::string>{"2001:db8::1:0", "2001:db8::1:1", "2001:db8::1:2"}));
    EXPECT_EQ(vips("192.0.2.1,2001:db8::1").size(), 2u);
}

TEST(VirtualIps, RejectsEachKindOfBadEntryNamingIt) {
    struct Case {
        const char* text;
        const char* fragment;
    };
    for (auto [text, fragment] : std::initializer_list<Case>{
             {"1.2.3.4,,1.2.3.5", "empty entry"},
             {",1.2.3.4", "empty entry"},
             {"1.2.3.4,", "empty entry"},
             {"1.2.3.4 , ,1.2.3.5", "empty entry"},
             {"1.2.3", "\"1.2.3\""},
             {"1.2.3.4/24", "prefix length"},
             {"host.example", "\"host.example\""},
             {"1.2.3.6-4", "reversed"},
             {"2001:db8::1f3b-1f39", "reversed"},
             {"1.2.3.4-1.2.4.6", "crosses an octet"},
             {"1.2.3.4-256", "\"256\""},
             {"1.2.3.4-5-6", "START-END"},
             {"1.2.3.4-", "START-END"},
             {"-5", "START-END"},
             {"1.2.3.4-x", "\"x\""},
             {"1.2.3.4-2001:db8::1", "is not an octet"},
             {"2001:db8::1-12345", "hex group"},
             {"2001:db8::1-1g", "hex group"},
             {"2001:db8::1-2001:db8::5", "hex group"},
             {"::ffff:1.2.3.4-6", "dotted"},
             {"1.2.3.4,1.2.3.4", "appears twice"},
             {"1.2.3.4-6,1.2.3.5", "1.2.3.5 appears twice"},
             {"2001:db8::a,2001:DB8::A", "appears twice"},
             {"0.0.0.0", "unspecified"},
             {"224.0.0.18", "multicast"},
             {"127.0.0.1", "loopback"},
             {"ff02::12", "multicast"},
             {"::1", "loopback"},
         }) {
        auto r = parse_vip_list(text);
        ASSERT_FALSE(r) << text;
        EXPECT_EQ(r.error().variable, "OPENSHIFT_HA_VIRTUAL_IPS");
        EXPECT_EQ(r.error().value, text);
        EXPECT_NE(r.error().message().find(fragment), std::string::npos) << r.error().message();
    }
}

TEST(VirtualIps, RequiredAndEmptyIsAnError) {
    auto r = parse_config(env_from_map({}));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().variable, "OPENSHIFT_HA_VIRTUAL_IPS");
    EXPECT_NE(r.error().message().find("required"), std::string::npos);
    expect_error({{"OPENSHIFT_HA_VIRTUAL_IPS", " "}}, "OPENSHIFT_HA_VIRTUAL_IPS", "required");
}

TEST(VirtualIps, AListLongerThanTheDataPlaneMapsIsRefused) {
    // One entry expands to at most 65,536 addresses (a 16-bit IPv6 group), the maps' size.
    EXPECT_EQ(parse_vip_list("2001:db8::0-ffff").value().size(), 65536u);
    auto r = parse_vip_list("192.0.2.1,2001:db8::0-ffff");
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message().find("entry \"2001:db8::0-ffff\" brings the list to more than 65536"),
              std::string::npos)
        << r.error().message();
}

// ---------------------------------------------------------------- groups

TEST(VipGroups, SplitsLikeThePage) {
    EXPECT_EQ(split_vip_groups(7, 3), (std::vector<std::size_t>{3, 2, 2}));
    EXPECT_EQ(split_vip_groups(7, 0), std::vector<std::size_t>(7, 1));
    EXPECT_EQ(split_vip_groups(7, 7), std::vector<std::size_t>(7, 1));
    EXPECT_EQ(split_vip_groups(7, 1), std::vector<std::size_t>{7});
    EXPECT_EQ(split_vip_groups(10, 4), (std::vector<std::size_t>{3, 3, 2, 2}));
    EXPECT_EQ(split_vip_groups(2, 10), (std::vector<std::size_t>{1, 1}));
}

TEST(VipGroups, SevenVipsInThreeGroupsThroughTheEnvironment) {
    Config c = ok({{"OPENSHIFT_HA_VIRTUAL_IPS", "192.0.2.1-7"}, {"OPENSHIFT_HA_VIP_GROUPS", "3"}});
    EXPECT_EQ(c.group_sizes, (std::vector<std::size_t>{3, 2, 2}));
    EXPECT_EQ(c.vrids, (std::vector<std::uint8_t>{1, 2, 3}));
}

TEST(VipGroups, MoreGroupsThanVipsWarns) {
    // The page's deployment example: "1.1.1.1-2" with 10 groups.
    Config c = ok({{"OPENSHIFT_HA_VIRTUAL_IPS", "1.1.1.1-2"}, {"OPENSHIFT_HA_VIP_GROUPS", "10"}});
    EXPECT_EQ(c.group_sizes, (std::vector<std::size_t>{1, 1}));
    EXPECT_TRUE(has_warning(c, "OPENSHIFT_HA_VIP_GROUPS=10"));
    EXPECT_FALSE(has_warning(ok({{"OPENSHIFT_HA_VIP_GROUPS", "1"}}), "OPENSHIFT_HA_VIP_GROUPS"));
}

TEST(VipGroups, RejectsBadCounts) {
    for (const char* bad : {"-1", "x", "1.5", "256", "3 groups"})
        expect_error({{"OPENSHIFT_HA_VIP_GROUPS", bad}}, "OPENSHIFT_HA_VIP_GROUPS", "0..255");
}

TEST(VipGroups, OneFamilyPerGroup) {
    EXPECT_TRUE(parse({{"OPENSHIFT_HA_VIRTUAL_IPS", "192.0.2.1,2001:db8::1"}}).ok());
    expect_error({{"OPENSHIFT_HA_VIRTUAL_IPS", "192.0.2.1,2001:db8::1"}, {"OPENSHIFT_HA_VIP_GROUPS", "1"}},
                 "OPENSHIFT_HA_VIRTUAL_IPS", "mixes IPv4 and IPv6");
}

TEST(VipGroups, LargerGroupsThanOneAdvertListsAreAcceptedWithAWarning) {
    // 255 IPv4 addresses fit one advert; 256 do not, and the group is accepted all the same.
    EXPECT_FALSE(has_warning(ok({{"OPENSHIFT_HA_VIRTUAL_IPS", "192.0.2.1-255"}, {"OPENSHIFT_HA_VIP_GROUPS", "1"}}),
                             "adverts list"));
    Config c = ok({{"OPENSHIFT_HA_VIRTUAL_IPS", "198.18.0.0-255,198.18.1.0"}, {"OPENSHIFT_HA_VIP_GROUPS", "1"}});
    EXPECT_EQ(c.group_sizes, std::vector<std::size_t>{257});
    EXPECT_TRUE(has_warning(c, "group(s) 1 hold more addresses than one advert lists"));
    // IPv6: 90 fit a 1500-byte frame.
    EXPECT_FALSE(has_warning(ok({{"OPENSHIFT_HA_VIRTUAL_IPS", "2001:db8::1-5a"}, {"OPENSHIFT_HA_VIP_GROUPS", "1"}}),
                             "adverts list"));
    EXPECT_TRUE(has_warning(ok({{"OPENSHIFT_HA_VIRTUAL_IPS", "2001:db8::1-5b"}, {"OPENSHIFT_HA_VIP_GROUPS", "1"}}),
                            "group(s) 1 hold more"));
}

TEST(VipGroups, AtMostWhatTheDataPlaneMapsHold) {
    // S3's 65,536 addresses (all of 198.18.0.0/16) in 16 groups of 4,096: the maps' size exactly.
    std::string all;
    for (int x = 0; x < 256; ++x) all += (x ? "," : "") + std::string("198.18.") + std::to_string(x) + ".0-255";
    Config c = ok({{"OPENSHIFT_HA_VIRTUAL_IPS", all}, {"OPENSHIFT_HA_VIP_GROUPS", "16"}});
    EXPECT_EQ(c.vips.size(), 65536u);
    EXPECT_EQ(c.group_sizes, std::vector<std::size_t>(16, 4096));
    EXPECT_TRUE(has_warning(c, "group(s) 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16 hold more"));
    expect_error({{"OPENSHIFT_HA_VIRTUAL_IPS", all + ",198.19.0.1"}, {"OPENSHIFT_HA_VIP_GROUPS", "16"}},
                 "OPENSHIFT_HA_VIRTUAL_IPS", "more than 65536 addresses");
}

// ---------------------------------------------------------------- VRIDs

TEST(Vrids, OffsetsAndTheExcludedBumpCarries) {
    EXPECT_EQ(assign_vrids(0, {}, 3), (std::vector<unsigned>{1, 2, 3}));
    EXPECT_EQ(assign_vrids(10, {12, 14}, 4), (std::vector<unsigned>{11, 13, 15, 16}));
    EXPECT_EQ(assign_vrids(10, {11}, 2), (std::vector<unsigned>{12, 13}));
    EXPECT_EQ(assign_vrids(0, {1, 2, 3}, 1), std::vector<unsigned>{4});
    EXPECT_EQ(assign_vrids(254, {}, 2), (std::vector<unsigned>{255, 256}));
}

TEST(Vrids, ThroughTheEnvironment) {
    Config c = ok({{"OPENSHIFT_HA_VIRTUAL_IPS", "192.0.2.1-4"},
                   {"OPENSHIFT_HA_VRRP_ID_OFFSET", "10"},
                   {"HA_EXCLUDED_VRRP_IDS", "12 14"}});
    EXPECT_EQ(c.vrids, (std::vector<std::uint8_t>{11, 13, 15, 16}));
    Config d = ok({{"OPENSHIFT_HA_VIRTUAL_IPS", "192.0.2.1-4"},
                   {"OPENSHIFT_HA_VRRP_ID_OFFSET", "10"},
                   {"OPENSHIFT_HA_EXCLUDED_VRRP_IDS", "12,14"}});
    EXPECT_EQ(d.vrids, c.vrids);
    Config both = ok({{"OPENSHIFT_HA_VIRTUAL_IPS", "192.0.2.1-2"},
                      {"HA_EXCLUDED_VRRP_IDS", "1"},
                      {"OPENSHIFT_HA_EXCLUDED_VRRP_IDS", "3"}});
    EXPECT_EQ(both.vrids, (std::vector<std::uint8_t>{2, 4}));
}

TEST(Vrids, The255Limits) {
    EXPECT_EQ(ok({{"OPENSHIFT_HA_VRRP_ID_OFFSET", "254"}}).vrids, std::vector<std::uint8_t>{255});
    expect_error({{"OPENSHIFT_HA_VRRP_ID_OFFSET", "255"}}, "OPENSHIFT_HA_VRRP_ID_OFFSET", "VRIDs 256");
    expect_error({{"OPENSHIFT_HA_VIRTUAL_IPS", "192.0.2.1-8"}, {"OPENSHIFT_HA_VRRP_ID_OFFSET", "250"}},
                 "OPENSHIFT_HA_VRRP_ID_OFFSET", "groups 6..8 would get VRIDs 256, 257, 258");
    // Thousands of groups over the limit: a range, not a list of thousands.
    expect_error({{"OPENSHIFT_HA_VIRTUAL_IPS", "198.18.0.0-255,198.18.1.0-255"}, {"OPENSHIFT_HA_VRRP_ID_OFFSET", "10"}},
                 "OPENSHIFT_HA_VRRP_ID_OFFSET", "groups 246..512 would get VRIDs 256..522; VRIDs must stay");
    expect_error({{"OPENSHIFT_HA_VRRP_ID_OFFSET", "253"}, {"HA_EXCLUDED_VRRP_IDS", "254 255"}},
                 "OPENSHIFT_HA_VRRP_ID_OFFSET", "VRIDs 256");
    // 255 groups fit with offset 0.
    Config c = ok({{"OPENSHIFT_HA_VIRTUAL_IPS", "2001:db8::1-ff"}, {"OPENSHIFT_HA_VRRP_ID_OFFSET", "0"}});
    EXPECT_EQ(c.vrids.size(), 255u);
    EXPECT_EQ(c.vrids.back(), 255);
    auto r = parse({{"OPENSHIFT_HA_VIRTUAL_IPS", "2001:db8::1-100"}});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().value, "0");  // unset offset shows its default
}

TEST(Vrids, RejectsBadOffsetsAndExcludedIds) {
    for (const char* bad : {"-1", "256", "ten", "1.0"})
        expect_error({{"OPENSHIFT_HA_VRRP_ID_OFFSET", bad}}, "OPENSHIFT_HA_VRRP_ID_OFFSET", "0..255");
    expect_error({{"HA_EXCLUDED_VRRP_IDS", "12 0"}}, "HA_EXCLUDED_VRRP_IDS", "\"0\" is not a VRID");
    expect_error({{"HA_EXCLUDED_VRRP_IDS", "12 256"}}, "HA_EXCLUDED_VRRP_IDS", "\"256\"");
    expect_error({{"OPENSHIFT_HA_EXCLUDED_VRRP_IDS", "12,,13"}}, "OPENSHIFT_HA_EXCLUDED_VRRP_IDS", "empty entry");
    expect_error({{"OPENSHIFT_HA_EXCLUDED_VRRP_IDS", "x"}}, "OPENSHIFT_HA_EXCLUDED_VRRP_IDS", "\"x\"");
}

// ---------------------------------------------------------------- interface

TEST(Interface, NamedOrUnset) {
    EXPECT_EQ(ok({{"OPENSHIFT_HA_NETWORK_INTERFACE", "ens3"}}).interface, "ens3");
    EXPECT_EQ(ok({{"OPENSHIFT_HA_NETWORK_INTERFACE", "eth0.100"}}).interface, "eth0.100");
    for (const char* bad : {"a/b", "eth0:1", "abcdefghijklmnop", "..", "two words"})
        expect_error({{"OPENSHIFT_HA_NETWORK_INTERFACE", bad}}, "OPENSHIFT_HA_NETWORK_INTERFACE", "interface name");
}

// ---------------------------------------------------------------- checks and scripts

TEST(Checks, MonitorPort) {
    EXPECT_EQ(ok({{"OPENSHIFT_HA_MONITOR_PORT", "0"}}).monitor_port, 0);
    EXPECT_EQ(ok({{"OPENSHIFT_HA_MONITOR_PORT", "30060"}}).monitor_port, 30060);
    EXPECT_EQ(ok({{"OPENSHIFT_HA_MONITOR_PORT", "65535"}}).monitor_port, 65535);
    for (const char* bad : {"65536", "-1", "http", "80/tcp"})
        expect_error({{"OPENSHIFT_HA_MONITOR_PORT", bad}}, "OPENSHIFT_HA_MONITOR_PORT", "0..65535");
}

TEST(Checks, CheckInterval) {
    EXPECT_EQ(ok({{"OPENSHIFT_HA_CHECK_INTERVAL", "1"}}).check_interval, std::chrono::seconds(1));
    EXPECT_EQ(ok({{"OPENSHIFT_HA_CHECK_INTERVAL", "3600"}}).check_interval, std::chrono::seconds(3600));
    for (const char* bad : {"0", "3601", "2s", "1.5"})
        expect_error({{"OPENSHIFT_HA_CHECK_INTERVAL", bad}}, "OPENSHIFT_HA_CHECK_INTERVAL", "1..3600");
}

TEST(Checks, ScriptsNeedAnAbsolutePathAndPassTheProbe) {
    Config c = ok({{"OPENSHIFT_HA_CHECK_SCRIPT", "/etc/keepalive/mycheckscript.sh --fast"},
                   {"OPENSHIFT_HA_NOTIFY_SCRIPT", "/etc/keepalive/notify.sh"}});
    EXPECT_EQ(c.check_script, (std::vector<std::string>{"/etc/keepalive/mycheckscript.sh", "--fast"}));
    EXPECT_EQ(c.notify_script, std::vector<std::string>{"/etc/keepalive/notify.sh"});
    expect_error({{"OPENSHIFT_HA_CHECK_SCRIPT", "mycheck.sh"}}, "OPENSHIFT_HA_CHECK_SCRIPT", "full path");
    expect_error({{"OPENSHIFT_HA_NOTIFY_SCRIPT", "./notify.sh"}}, "OPENSHIFT_HA_NOTIFY_SCRIPT", "full path");

    std::vector<std::string> probed;
    ExecutableProbe probe = [&](const std::string& path) -> std::optional<std::string> {
        probed.push_back(path);
        if (path == "/ok") return std::nullopt;
        return "does not exist";
    };
    EXPECT_TRUE(parse({{"OPENSHIFT_HA_CHECK_SCRIPT", "/ok arg"}, {"OPENSHIFT_HA_NOTIFY_SCRIPT", "/ok"}}, probe).ok());
    EXPECT_EQ(probed, (std::vector<std::string>{"/ok", "/ok"}));
    auto r = parse({{"OPENSHIFT_HA_NOTIFY_SCRIPT", "/missing.sh"}}, probe);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().variable, "OPENSHIFT_HA_NOTIFY_SCRIPT");
    EXPECT_NE(r.error().message().find("/missing.sh does not exist"), std::string::npos) << r.error().message();
}

// ---------------------------------------------------------------- preemption

TEST(Preemption, BothStrategies) {
    EXPECT_EQ(ok({{"OPENSHIFT_HA_PREEMPTION", "nopreempt"}}).preemption.mode, PreemptMode::NoPreempt);
    EXPECT_EQ(ok({{"OPENSHIFT_HA_PREEMPTION", "preempt_delay 0"}}).preemption,
              (Preemption{PreemptMode::Delay, std::chrono::seconds(0)}));
    EXPECT_EQ(ok({{"OPENSHIFT_HA_PREEMPTION", "preempt_delay   1000"}}).preemption.delay, std::chrono::seconds(1000));
    for (const char* bad : {"preempt", "preempt_delay", "preempt_delay 1001", "preempt_delay -1", "preempt_delay 5m",
                            "nopreempt 5", "NOPREEMPT", "preempt_delay 1 2"})
        expect_error({{"OPENSHIFT_HA_PREEMPTION", bad}}, "OPENSHIFT_HA_PREEMPTION", "nopreempt");
}

// ---------------------------------------------------------------- replicas, unicast, firewall

TEST(Replicas, CountRange) {
    EXPECT_EQ(ok({{"OPENSHIFT_HA_REPLICA_COUNT", "1"}}).replica_count, 1u);
    EXPECT_EQ(ok({{"OPENSHIFT_HA_REPLICA_COUNT", "255"}}).replica_count, 255u);
    for (const char* bad : {"0", "256", "two", "-2"})
        expect_error({{"OPENSHIFT_HA_REPLICA_COUNT", bad}}, "OPENSHIFT_HA_REPLICA_COUNT", "1..255");
}

TEST(Unicast, PeersAloneSwitchToUnicast) {
    Config c = ok({{"OPENSHIFT_HA_UNICAST_PEERS", "192.0.2.1,192.0.2.2, 192.0.2.3"}});
    EXPECT_EQ(strs(c.unicast_peers), (std::vector<std::string>{"192.0.2.1", "192.0.2.2", "192.0.2.3"}));
    EXPECT_FALSE(c.use_unicast);
    EXPECT_EQ(ok({{"OPENSHIFT_HA_USE_UNICAST", "TRUE"}, {"OPENSHIFT_HA_UNICAST_PEERS", "192.0.2.1"}}).use_unicast, true);
    EXPECT_EQ(ok({{"OPENSHIFT_HA_USE_UNICAST", "false"}}).use_unicast, false);
}

TEST(Unicast, TrueWithoutPeersIsAnErrorFalseWithPeersWarns) {
    expect_error({{"OPENSHIFT_HA_USE_UNICAST", "true"}}, "OPENSHIFT_HA_USE_UNICAST", "OPENSHIFT_HA_UNICAST_PEERS");
    Config c = ok({{"OPENSHIFT_HA_USE_UNICAST", "false"}, {"OPENSHIFT_HA_UNICAST_PEERS", "192.0.2.1"}});
    EXPECT_TRUE(has_warning(c, "peers"));
    expect_error({{"OPENSHIFT_HA_USE_UNICAST", "yes please"}}, "OPENSHIFT_HA_USE_UNICAST", "true or false");
}

TEST(Unicast, RejectsBadPeers) {
    expect_error({{"OPENSHIFT_HA_UNICAST_PEERS", "192.0.2.1,,192.0.2.2"}}, "OPENSHIFT_HA_UNICAST_PEERS", "empty");
    expect_error({{"OPENSHIFT_HA_UNICAST_PEERS", "192.0.2.1,node-b"}}, "OPENSHIFT_HA_UNICAST_PEERS", "\"node-b\"");
    expect_error({{"OPENSHIFT_HA_UNICAST_PEERS", "192.0.2.1,192.0.2.1"}}, "OPENSHIFT_HA_UNICAST_PEERS", "twice");
    expect_error({{"OPENSHIFT_HA_UNICAST_PEERS", "224.0.0.18"}}, "OPENSHIFT_HA_UNICAST_PEERS", "unicast");
}

TEST(Unicast, SourceAddressOverrides) {
    EXPECT_EQ(ok({{"MULTICAST_SOURCE_IPADDRESS", "192.0.2.5"}}).advert_source, IpAddress::parse("192.0.2.5"));
    EXPECT_EQ(ok({{"MULTICAST_SOURCE_IPADDRESS", "192.0.2.5"}, {"UNICAST_SOURCE_IPADDRESS", "192.0.2.6"}}).advert_source,
              IpAddress::parse("192.0.2.6"));
    expect_error({{"UNICAST_SOURCE_IPADDRESS", "192.0.2.0/24"}}, "UNICAST_SOURCE_IPADDRESS", "one unicast");
    expect_error({{"MULTICAST_SOURCE_IPADDRESS", "nope"}}, "MULTICAST_SOURCE_IPADDRESS", "one unicast");
}

TEST(Firewall, EitherNameNonEmptyTurnsTheRuleOn) {
    EXPECT_TRUE(ok({{"OPENSHIFT_HA_IPTABLES_CHAIN", "INPUT"}}).firewall_rule);
    EXPECT_TRUE(ok({{"OPENSHIFT_HA_NFTABLES_RULE", "anything"}}).firewall_rule);
    EXPECT_FALSE(ok({{"OPENSHIFT_HA_IPTABLES_CHAIN", ""}}).firewall_rule);
}

// ---------------------------------------------------------------- XVRRP_ extensions

TEST(Extensions, VersionAndAdvertInterval) {
    EXPECT_EQ(ok({{"XVRRP_VRRP_VERSION", "3"}}).vrrp_version, 3);
    for (const char* bad : {"1", "4", "v3", "3.0"}) expect_error({{"XVRRP_VRRP_VERSION", bad}}, "XVRRP_VRRP_VERSION", "2 or 3");

    using ms = std::chrono::milliseconds;
    EXPECT_EQ(ok({{"XVRRP_ADVERT_INTERVAL", "3"}}).advert_interval, ms(3000));
    EXPECT_EQ(ok({{"XVRRP_ADVERT_INTERVAL", "255"}}).advert_interval, ms(255000));
    EXPECT_EQ(ok({{"XVRRP_ADVERT_INTERVAL", "2.0"}}).advert_interval, ms(2000));
    for (const char* bad : {"0", "0.5", "256", "1.25", "x", "-1", ""})
        if (*bad) {
            expect_error({{"XVRRP_ADVERT_INTERVAL", bad}}, "XVRRP_ADVERT_INTERVAL", "whole seconds 1..255");
        }

    auto v3 = [](const char* interval) {
        return ok({{"XVRRP_VRRP_VERSION", "3"}, {"XVRRP_ADVERT_INTERVAL", interval}}).advert_interval;
    };
    EXPECT_EQ(v3("0.01"), ms(10));
    EXPECT_EQ(v3(".05"), ms(50));
    EXPECT_EQ(v3("0.5"), ms(500));
    EXPECT_EQ(v3("1.25"), ms(1250));
    EXPECT_EQ(v3("0.100"), ms(100));
    EXPECT_EQ(v3("40.95"), ms(40950));
    EXPECT_EQ(v3("40"), ms(40000));
    for (const char* bad : {"0", "0.00", "0.005", "40.96", "41", "1.", ".", "1,5", "1e1", "0.015"})
        expect_error({{"XVRRP_VRRP_VERSION", "3"}, {"XVRRP_ADVERT_INTERVAL", bad}}, "XVRRP_ADVERT_INTERVAL",
                     "0.01..40.95");
}

TEST(Extensions, V3Checksum) {
    EXPECT_EQ(ok({{"XVRRP_VRRP_VERSION", "3"}, {"XVRRP_V3_CHECKSUM", "no-pseudo-header"}}).v3_checksum,
              V3Checksum::NoPseudoHeader);
    EXPECT_EQ(ok({{"XVRRP_VRRP_VERSION", "3"}, {"XVRRP_V3_CHECKSUM", "pseudo-header"}}).v3_checksum,
              V3Checksum::PseudoHeader);
    EXPECT_TRUE(has_warning(ok({{"XVRRP_V3_CHECKSUM", "pseudo-header"}}), "no effect with VRRPv2"));
    expect_error({{"XVRRP_V3_CHECKSUM", "rfc"}}, "XVRRP_V3_CHECKSUM", "pseudo-header");
}

TEST(Extensions, V2Authentication) {
    EXPECT_TRUE(ok({}).v2_auth_pass);  // OpenShift's: PASS with the config name
    EXPECT_TRUE(ok({{"XVRRP_V2_AUTH", "pass"}}).v2_auth_pass);
    EXPECT_FALSE(ok({{"XVRRP_V2_AUTH", "none"}}).v2_auth_pass);
    expect_error({{"XVRRP_V2_AUTH", "ah"}}, "XVRRP_V2_AUTH", "expected pass or none");
}

TEST(Extensions, SchemeRuntimeDirLogLevelDataplane) {
    EXPECT_EQ(ok({{"XVRRP_PRIORITY_SCHEME", "spread"}}).priority_scheme, PriorityScheme::Spread);
    expect_error({{"XVRRP_PRIORITY_SCHEME", "random"}}, "XVRRP_PRIORITY_SCHEME", "generator or spread");
    EXPECT_EQ(ok({{"XVRRP_RUNTIME_DIR", "/tmp/x"}}).runtime_dir, "/tmp/x");
    expect_error({{"XVRRP_RUNTIME_DIR", "run/xvrrp"}}, "XVRRP_RUNTIME_DIR", "absolute");
    EXPECT_EQ(ok({{"XVRRP_LOG_LEVEL", "debug"}}).log_level, "debug");
    expect_error({{"XVRRP_LOG_LEVEL", "verbose"}}, "XVRRP_LOG_LEVEL", "trace, debug");
    EXPECT_EQ(ok({{"XVRRP_DATAPLANE", "xdp-generic"}}).dataplane, Dataplane::XdpGeneric);
    EXPECT_EQ(ok({{"XVRRP_DATAPLANE", "kernel"}}).dataplane, Dataplane::Kernel);
    expect_error({{"XVRRP_DATAPLANE", "dpdk"}}, "XVRRP_DATAPLANE", "xdp, xdp-generic or kernel");
    EXPECT_TRUE(ok({}).vip_addresses);
    EXPECT_FALSE(ok({{"XVRRP_VIP_ADDRESSES", "off"}}).vip_addresses);
    EXPECT_TRUE(ok({{"XVRRP_VIP_ADDRESSES", "on"}}).vip_addresses);
    expect_error({{"XVRRP_VIP_ADDRESSES", "yes"}}, "XVRRP_VIP_ADDRESSES", "on or off");
}

TEST(Extensions, HttpAddress) {
    auto http = [](const char* v) { return ok({{"XVRRP_HTTP_ADDR", v}}).http; };
    EXPECT_EQ(http(":8080").port, 8080);
    EXPECT_EQ(http("127.0.0.1:63000").host, "127.0.0.1");
    EXPECT_EQ(http("[::1]:63001").host, "::1");
    EXPECT_FALSE(http("off").enabled);
    for (const char* bad : {"63000", ":0", ":65536", "localhost:63000", "[::1:63000", "::1:63000", "1.2.3.4:"})
        expect_error({{"XVRRP_HTTP_ADDR", bad}}, "XVRRP_HTTP_ADDR", "[HOST]:PORT");
}

TEST(Variables, ListCoversEveryNameReadAndIsUnique) {
    auto vars = accepted_variables();
    std::set<std::string_view> unique(vars.begin(), vars.end());
    EXPECT_EQ(unique.size(), vars.size());
    // Every name the parser reads must be listed: record the lookups of a full parse.
    std::set<std::string> read;
    EnvLookup spy = [&](std::string_view name) -> std::optional<std::string> {
        read.insert(std::string(name));
        if (name == "OPENSHIFT_HA_VIRTUAL_IPS") return kOneVip;
        return std::nullopt;
    };
    ASSERT_TRUE(parse_config(spy).ok());
    for (const auto& name : read) EXPECT_TRUE(unique.count(name)) << name << " is read but not listed";
    for (auto name : vars) {
        bool ignored = name == "OPENSHIFT_HA_SELECTOR" || name == "OPENSHIFT_HA_ADMIN_EMAILS" ||
                       name == "OPENSHIFT_HA_SMTP_SERVER";
        EXPECT_TRUE(ignored || read.count(std::string(name))) << name << " is listed but never read";
    }
}

TEST(Errors, MessageIsVariableValueAndWhatIsAccepted) {
    ConfigError e{"OPENSHIFT_HA_X", "v", "expected y"};
    EXPECT_EQ(e.message(), "OPENSHIFT_HA_X=\"v\": expected y");
}
