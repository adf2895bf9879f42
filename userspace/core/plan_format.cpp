#include "core/plan_format.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace xvrrp {
namespace {

std::string join(const std::vector<std::string>& words, std::string_view sep) {
    std::string s;
    for (const auto& w : words) s += (s.empty() ? "" : std::string(sep)) + w;
    return s;
}

std::string join_addresses(const std::vector<IpAddress>& addrs, std::string_view sep) {
    std::string s;
    for (const auto& a : addrs) s += (s.empty() ? "" : std::string(sep)) + a.to_string();
    return s;
}

}  // namespace

std::string format_http(const HttpListen& h) {
    if (!h.enabled) return "off";
    if (h.host.find(':') != std::string::npos) return fmt::format("[{}]:{}", h.host, h.port);
    return fmt::format("{}:{}", h.host, h.port);
}

std::string format_preemption(const Preemption& p) {
    if (p.mode == PreemptMode::NoPreempt) return "nopreempt";
    return fmt::format("preempt_delay {}", p.delay.count());
}

std::string format_check(const Check& c) {
    switch (c.kind) {
        case CheckKind::None: return "none";
        case CheckKind::TcpPort:
            return fmt::format("tcp {}:{} every {}s",
                               c.address.is_v6() ? "[" + c.address.to_string() + "]" : c.address.to_string(), c.port,
                               c.interval.count());
        case CheckKind::Script: return fmt::format("script \"{}\" every {}s", join(c.command, " "), c.interval.count());
    }
    return "?";
}

std::string format_interval(std::chrono::milliseconds ms) {
    auto cs = ms.count() / 10;
    if (cs % 100 == 0) return fmt::format("{}", cs / 100);
    if (cs % 10 == 0) return fmt::format("{}.{}", cs / 100, (cs % 100) / 10);
    return fmt::format("{}.{:02}", cs / 100, cs % 100);
}

std::string format_plan_text(const Plan& p) {
    std::string out;
    auto line = [&out](std::string_view key, const std::string& value) {
        out += fmt::format("{:<18} {}\n", key, value);
    };
    line("config name", p.config_name);
    line("interface", p.interface);
    line("node address", fmt::format("{} (slot {})", p.node_address.to_string(), p.slot));
    line("advert source", p.advert_source.to_string());
    line("transport", p.unicast ? fmt::format("unicast to {}", p.unicast_peers.empty()
                                                                  ? std::string("(no other peers)")
                                                                  : join_addresses(p.unicast_peers, ", "))
                                : std::string("multicast"));
    line("vrrp version", std::to_string(p.vrrp_version));
    line("advert interval", format_interval(p.advert_interval) + "s");
    line("authentication", p.vrrp_version != 2 ? std::string("none (VRRPv3)")
                           : p.v2_auth_pass ? fmt::format("PASS \"{}\"", p.auth_key)
                                            : std::string("none (type 0, XVRRP_V2_AUTH=none)"));
    if (p.vrrp_version == 3) line("v3 checksum", std::string(to_string(p.v3_checksum)));
    line("priority scheme", fmt::format("{} (replicas {})", to_string(p.priority_scheme), p.replica_count));
    line("check", format_check(p.check));
    line("notify", p.notify_command.empty() ? std::string("none") : join(p.notify_command, " "));
    line("firewall rule", p.firewall_rule ? fmt::format("accept VRRP (nft table inet {})", nft_table_name(p.instance_base)) : "none");
    line("dataplane", std::string(to_string(p.dataplane)));
    line("vip delivery", p.vip_addresses ? "local routes, then interface addresses" : "local routes only");
    line("runtime dir", p.runtime_dir);
    line("http", format_http(p.http));
    line("log level", p.log_level);
    out += "\n";

    std::size_t name_w = 4;
    for (const auto& g : p.groups) name_w = std::max(name_w, g.name.size());
    out += fmt::format("{:>5}  {:<{}}  {:>4}  {:>8}  {:<7}  {:<25}  {}\n", "GROUP", "NAME", name_w, "VRID", "PRIORITY",
                       "STATE", "PREEMPTION", "VIPS");
    for (const auto& g : p.groups) {
        std::string preempt = format_preemption(g.preemption);
        if (g.preempt_delay_cleared) preempt += " (cleared)";
        out += fmt::format("{:>5}  {:<{}}  {:>4}  {:>8}  {:<7}  {:<25}  {}\n", g.index, g.name, name_w, g.vrid,
                           g.priority, g.initial_master ? "MASTER" : "BACKUP", preempt, join_addresses(g.vips, " "));
    }
    for (const auto& w : p.warnings) out += fmt::format("warning: {}\n", w);
    return out;
}

}  // namespace xvrrp
