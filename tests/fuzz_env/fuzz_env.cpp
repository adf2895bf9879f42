// libFuzzer target for the environment contract: parse_config -> make_plan -> format_plan_text.
// xvrrp-fuzz-core: config plan plan_format ip_address
//
// Input layout (text-friendly, so seeds and crash files can be read and edited by hand):
//   byte 0:  which node address the plan is made for (index into kNodes)
//   byte 1:  seed of the generator scheme's random draws
//   rest:    records separated by '\0' (an environment value can never hold one):
//            record byte 0 picks the variable: 'A' is accepted_variables()[0], 'B' the next, and
//            so on, wrapping modulo the count; the other bytes are its value. A later record
//            for the same variable wins.
// Every variable parse_config reads is reachable, with any bytes as its value.
//
// Invariants (a broken one aborts, so libFuzzer keeps the input as a crash):
//   rejection: names a variable from accepted_variables(), message() starts `VAR="`, and when
//              that variable is set the quoted value is the one given (trimmed, as read);
//   acceptance: the Config and the Plan keep the rules docs/configuration.md promises
//              (VRIDs 1..255 and not excluded, non-empty groups of one family, at most XVRRP_MAX_VIPS addresses,
//              priorities 1..255, intervals in range, ...), and the plan formats.
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <string_view>

#include <xvrrp/abi.h>

#include "core/config.hpp"
#include "core/plan.hpp"
#include "core/plan_format.hpp"

namespace {

using namespace xvrrp;

[[noreturn]] void fail(const std::string& what) {
    std::fprintf(stderr, "fuzz_env: invariant broken: %s\n", what.c_str());
    std::abort();
}

void expect(bool ok, const std::string& what) {
    if (!ok) fail(what);
}

// Node addresses a plan can be made for: documentation ranges (RFC 5737 / RFC 3849), a slot
// above 127 (mod 128), and IPv6 link-local.
constexpr std::string_view kNodes[] = {"192.0.2.10", "192.0.2.11", "198.51.100.200", "203.0.113.255",
                                       "2001:db8::10", "fe80::1", "192.0.2.101", "2001:db8::ff"};

// Same blank set as parse_config's Reader: an empty or blank value counts as unset.
bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }
std::string trimmed(const std::string& s) {
    auto b = std::find_if_not(s.begin(), s.end(), is_blank);
    auto e = std::find_if_not(s.rbegin(), s.rend(), is_blank).base();
    return b < e ? std::string(b, e) : std::string();
}

// A pure stand-in for the daemon's executable check: no file system in a fuzz loop.
std::optional<std::string> fake_probe(const std::string& path) {
    if (path.rfind("/bin/", 0) == 0 || path.rfind("/usr/", 0) == 0) return std::nullopt;
    return std::string("does not exist");
}

void check_rejection(const ConfigError& e, const std::map<std::string, std::string>& env) {
    const auto vars = accepted_variables();
    expect(std::find(vars.begin(), vars.end(), e.variable) != vars.end(),
           "rejection names \"" + e.variable + "\", which is not an accepted variable");
    const std::string msg = e.message();
    expect(msg.rfind(e.variable + "=\"", 0) == 0, "message does not start with the variable: " + msg);
    expect(!e.accepted.empty(), "rejection of " + e.variable + " says nothing about what is accepted");
    auto it = env.find(e.variable);
    if (it != env.end() && !trimmed(it->second).empty())
        expect(e.value == trimmed(it->second), "rejection of " + e.variable + " quotes another value than given");
}

void check_config(const Config& c) {
    expect(!c.vips.empty(), "accepted without virtual addresses");
    std::set<IpAddress> unique(c.vips.begin(), c.vips.end());
    expect(unique.size() == c.vips.size(), "accepted a duplicate virtual address");
    std::size_t total = 0;
    for (auto n : c.group_sizes) {
        expect(n >= 1, "an empty group");
        total += n;
    }
    expect(total == c.vips.size(), "group sizes do not add up to the address count");
    expect(total <= XVRRP_MAX_VIPS, "more addresses than the data plane's VIP maps hold");
    expect(c.vrids.size() == c.group_sizes.size(), "not one VRID per group");
    for (std::size_t i = 0; i < c.vrids.size(); ++i) {
        expect(c.vrids[i] >= 1, "VRID 0 assigned");
        expect(!c.excluded_vrids.count(c.vrids[i]), "an excluded VRID assigned");
        expect(i == 0 || c.vrids[i] > c.vrids[i - 1], "VRIDs not strictly increasing (duplicate VRID)");
    }
    expect(c.replica_count >= 1 && c.replica_count <= 255, "replica count out of 1..255");
    expect(c.check_interval.count() >= 1 && c.check_interval.count() <= 3600, "check interval out of range");
    expect(c.vrrp_version == 2 || c.vrrp_version == 3, "VRRP version neither 2 nor 3");
    const auto ms = c.advert_interval.count();
    if (c.vrrp_version == 2)
        expect(ms % 1000 == 0 && ms >= 1000 && ms <= 255000, "VRRPv2 interval not whole seconds 1..255");
    else
        expect(ms % 10 == 0 && ms >= 10 && ms <= 40950, "VRRPv3 interval not 0.01..40.95 s");
    expect(c.auth_key.size() <= 8, "PASS key longer than the 8 bytes of the auth data");
    expect(!c.instance_base.empty(), "empty instance name");
    expect(std::all_of(c.instance_base.begin(), c.instance_base.end(),
                       [](char ch) { return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_'; }),
           "instance name keeps characters keepalived would reject");
    if (c.use_unicast.value_or(false)) expect(!c.unicast_peers.empty(), "unicast without peers");
    expect(!c.runtime_dir.empty() && c.runtime_dir.front() == '/', "relative runtime directory");
    for (const auto* argv : {&c.check_script, &c.notify_script})
        if (!argv->empty()) expect(argv->front().front() == '/', "script path not absolute");
    if (c.http.enabled) expect(c.http.port != 0, "HTTP port 0");
}

void check_plan(const Config& c, const Plan& p, const NodeIdentity& node) {
    expect(p.groups.size() == c.group_sizes.size(), "plan has another group count than the config");
    std::size_t at = 0;
    for (std::size_t i = 0; i < p.groups.size(); ++i) {
        const Group& g = p.groups[i];
        expect(g.index == i + 1, "group numbers not 1..n");
        expect(g.vrid == c.vrids[i], "group VRID differs from the config's");
        expect(g.vips.size() == c.group_sizes[i], "group size differs from the config's");
        for (const auto& v : g.vips) {
            expect(v == c.vips[at++], "group addresses out of the order given");
            expect(v.family() == g.family(), "group mixes address families");
        }
        expect(g.priority >= 1, "priority 0 (reserved for a leaving master)");
        expect(g.name == c.instance_base + "_VIP_" + std::to_string(g.index), "unexpected instance name " + g.name);
        if (g.initial_master && g.preemption.mode == PreemptMode::Delay)
            expect(g.preemption.delay.count() == 0, "MASTER start keeps a preempt delay keepalived clears");
    }
    for (const auto& peer : p.unicast_peers) expect(peer != node.address, "this node is among its own peers");
    expect(p.unicast == !c.unicast_peers.empty(), "unicast not chosen by the peer list");
    expect(p.slot < 128, "slot out of 0..127");
    if (p.vrrp_version == 3) expect(p.auth_key.empty(), "VRRPv3 plan carries a PASS key");
    if (p.check.kind == CheckKind::Script) expect(!p.check.command.empty(), "script check without a command");
    if (p.check.kind == CheckKind::TcpPort) expect(p.check.port != 0, "TCP check on port 0");
    const std::string text = format_plan_text(p);
    expect(!text.empty(), "plan formats to nothing");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    const auto vars = accepted_variables();
    const std::string_view node_text = kNodes[data[0] % std::size(kNodes)];
    const std::uint32_t seed = data[1];

    std::map<std::string, std::string> env;
    std::string_view rest(reinterpret_cast<const char*>(data + 2), size - 2);
    while (!rest.empty()) {
        const auto nul = rest.find('\0');
        std::string_view record = rest.substr(0, nul);
        rest = nul == std::string_view::npos ? std::string_view{} : rest.substr(nul + 1);
        if (record.empty()) continue;
        const std::size_t pick = static_cast<unsigned char>(record[0]) + 4 * vars.size() - 'A';
        const auto name = vars[pick % vars.size()];
        env[std::string(name)] = std::string(record.substr(1));
    }

    auto config = parse_config(env_from_map(env), fake_probe);
    if (!config) {
        check_rejection(config.error(), env);
        return 0;
    }
    check_config(config.value());
    NodeIdentity node{config->interface.value_or("eth0"), *IpAddress::parse(node_text)};
    const Plan plan = make_plan(config.value(), node, seed);
    check_plan(config.value(), plan, node);
    return 0;
}
