#include "daemon/check_config.hpp"

#include "adapters/interface_info.hpp"
#include "core/plan_format.hpp"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <ostream>

namespace xvrrp {
namespace {

// Scripts must be runnable when a state change or check needs them, not discovered broken then.
std::optional<std::string> probe_executable(const std::string& path) {
    struct stat st {};
    if (stat(path.c_str(), &st) != 0) return std::string(errno == ENOENT ? "does not exist" : std::strerror(errno));
    if (!S_ISREG(st.st_mode)) return std::string("is not a regular file");
    if (access(path.c_str(), X_OK) != 0) return std::string("is not executable");
    return std::nullopt;
}

bool valid_key(std::string_view k) {
    if (k.empty() || (k[0] >= '0' && k[0] <= '9')) return false;
    return std::all_of(k.begin(), k.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    });
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

nlohmann::json addresses(const std::vector<IpAddress>& list) {
    auto out = nlohmann::json::array();
    for (const auto& a : list) out.push_back(a.to_string());
    return out;
}

std::string_view check_kind(CheckKind k) {
    switch (k) {
        case CheckKind::None: return "none";
        case CheckKind::TcpPort: return "tcp";
        case CheckKind::Script: return "script";
    }
    return "?";
}

}  // namespace

Result<std::map<std::string, std::string>> read_env_file(const std::string& path) {
    std::ifstream in(path);
    if (!in) return ConfigError{"--env-file", path, fmt::format("cannot be read ({})", std::strerror(errno))};
    std::map<std::string, std::string> vars;
    std::string line;
    for (int n = 1; std::getline(in, line); ++n) {
        std::string_view l = trim(line);
        if (l.empty() || l.front() == '#') continue;
        if (l.substr(0, 7) == "export ") l = trim(l.substr(7));
        auto eq = l.find('=');
        if (eq == std::string_view::npos || !valid_key(l.substr(0, eq)))
            return ConfigError{"--env-file", path, fmt::format("line {}: expected KEY=VALUE", n)};
        std::string_view value = l.substr(eq + 1);
        if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') && value.back() == value.front())
            value = value.substr(1, value.size() - 2);
        vars[std::string(l.substr(0, eq))] = std::string(value);
    }
    return vars;
}

Result<Plan> resolve_plan(const PlanSource& source) {
    std::map<std::string, std::string> file;
    if (source.env_file) {
        auto r = read_env_file(*source.env_file);
        if (!r) return r.error();
        file = r.value();
    }
    EnvLookup env = [&file](std::string_view name) -> std::optional<std::string> {
        if (auto it = file.find(std::string(name)); it != file.end()) return it->second;
        if (const char* v = std::getenv(std::string(name).c_str())) return std::string(v);
        return std::nullopt;
    };
    auto config = parse_config(env, source.probe_scripts ? ExecutableProbe(probe_executable) : ExecutableProbe());
    if (!config) return config.error();

    NodeIdentity node;
    std::vector<std::string> extra_warnings;
    if (source.node_ip) {
        auto a = IpAddress::parse(*source.node_ip);
        if (!a) return ConfigError{"--node-ip", *source.node_ip, "expected one IPv4 or IPv6 address"};
        node.address = *a;
        node.interface = config->interface.value_or("eth0");
        extra_warnings.push_back("--node-ip given: interface " + node.interface + " was not looked up on this node");
    } else {
        auto resolved = resolve_node(config.value());
        if (!resolved) return resolved.error();
        node = resolved.value();
    }
    Plan plan = make_plan(config.value(), node, plan_seed(config.value(), node.address));
    if (auto e = refuse_address_collisions(plan)) return *e;
    plan.warnings.insert(plan.warnings.end(), extra_warnings.begin(), extra_warnings.end());
    return plan;
}

nlohmann::json plan_to_json(const Plan& p) {
    nlohmann::json j;
    j["config_name"] = p.config_name;
    j["instance_base"] = p.instance_base;
    j["interface"] = p.interface;
    j["node_address"] = p.node_address.to_string();
    j["slot"] = p.slot;
    j["advert_source"] = p.advert_source.to_string();
    j["transport"] = p.unicast ? "unicast" : "multicast";
    j["unicast_peers"] = addresses(p.unicast_peers);
    j["vrrp_version"] = p.vrrp_version;
    j["advert_interval"] = format_interval(p.advert_interval);
    j["advert_interval_ms"] = p.advert_interval.count();
    if (p.vrrp_version == 2) {
        j["authentication"] = p.v2_auth_pass ? nlohmann::json{{"type", "PASS"}, {"key", p.auth_key}}
                                             : nlohmann::json{{"type", "none"}};
    } else {
        j["authentication"] = nullptr;
        j["v3_checksum"] = std::string(to_string(p.v3_checksum));
    }
    j["priority_scheme"] = std::string(to_string(p.priority_scheme));
    j["replica_count"] = p.replica_count;
    nlohmann::json check = {{"kind", std::string(check_kind(p.check.kind))},
                            {"interval_s", p.check.interval.count()}};
    if (p.check.kind == CheckKind::TcpPort) {
        check["address"] = p.check.address.to_string();
        check["port"] = p.check.port;
    } else if (p.check.kind == CheckKind::Script) {
        check["command"] = p.check.command;
    }
    j["check"] = check;
    j["notify"] = p.notify_command.empty() ? nlohmann::json(nullptr) : nlohmann::json(p.notify_command);
    j["firewall_rule"] = p.firewall_rule;
    j["dataplane"] = std::string(to_string(p.dataplane));
    j["runtime_dir"] = p.runtime_dir;
    j["http"] = format_http(p.http);
    j["log_level"] = p.log_level;
    auto groups = nlohmann::json::array();
    for (const auto& g : p.groups) {
        bool nopreempt = g.preemption.mode == PreemptMode::NoPreempt;
        groups.push_back({
            {"index", g.index},
            {"name", g.name},
            {"vrid", g.vrid},
            {"vips", addresses(g.vips)},
            {"priority", g.priority},
            {"initial_state", g.initial_master ? "MASTER" : "BACKUP"},
            {"preemption", format_preemption(g.preemption)},
            {"nopreempt", nopreempt},
            {"preempt_delay_s", nopreempt ? nlohmann::json(nullptr) : nlohmann::json(g.preemption.delay.count())},
            {"preempt_delay_cleared", g.preempt_delay_cleared},
        });
    }
    j["groups"] = groups;
    j["warnings"] = p.warnings;
    return j;
}

int run_check_config(const PlanSource& source, bool json, std::ostream& out, std::ostream& err) {
    auto plan = resolve_plan(source);
    if (!plan) {
        err << "xvrrpd: " << plan.error().message() << '\n';
        return 2;
    }
    if (json) {
        out << plan_to_json(plan.value()).dump(2) << '\n';
    } else {
        out << format_plan_text(plan.value());
    }
    return 0;
}

namespace {

std::string group_key(const nlohmann::json& g) {
    const auto& vips = g.value("vips", nlohmann::json::array());
    const bool v6 = !vips.empty() && vips[0].get<std::string>().find(':') != std::string::npos;
    return fmt::format("{} VRID {}", v6 ? "IPv6" : "IPv4", g.value("vrid", 0));
}

std::string brief(const nlohmann::json& v) {
    std::string s = v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return s.size() > 60 ? s.substr(0, 57) + "..." : s;
}

std::string vip_change(const nlohmann::json& before, const nlohmann::json& after) {
    std::set<std::string> b, a;
    for (const auto& v : before) b.insert(v.get<std::string>());
    for (const auto& v : after) a.insert(v.get<std::string>());
    std::vector<std::string> added, removed;
    std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(added));
    std::set_difference(b.begin(), b.end(), a.begin(), a.end(), std::back_inserter(removed));
    auto few = [](const std::vector<std::string>& v) {
        std::vector<std::string> head(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(std::min<std::size_t>(3, v.size())));
        return fmt::format("{}{}", fmt::join(head, " "), v.size() > 3 ? " ..." : "");
    };
    std::string out = fmt::format("VIPs {} -> {}", b.size(), a.size());
    if (!added.empty()) out += fmt::format(", +{} ({})", added.size(), few(added));
    if (!removed.empty()) out += fmt::format(", -{} ({})", removed.size(), few(removed));
    if (added.empty() && removed.empty()) out += " (same addresses, another order)";
    return out;
}

}  // namespace

std::vector<std::string> plan_differences(const nlohmann::json& before, const nlohmann::json& after) {
    std::vector<std::string> d;
    std::set<std::string> keys;
    for (const auto& [k, v] : before.items()) keys.insert(k);
    for (const auto& [k, v] : after.items()) keys.insert(k);
    for (const auto& k : keys) {
        if (k == "groups" || k == "warnings") continue;
        const auto b = before.contains(k) ? before[k] : nlohmann::json();
        const auto a = after.contains(k) ? after[k] : nlohmann::json();
        if (b != a) d.push_back(fmt::format("{}: {} -> {}", k, brief(b), brief(a)));
    }
    std::map<std::string, nlohmann::json> bg, ag;
    for (const auto& g : before.value("groups", nlohmann::json::array())) bg[group_key(g)] = g;
    for (const auto& g : after.value("groups", nlohmann::json::array())) ag[group_key(g)] = g;
    for (const auto& [key, g] : bg)
        if (!ag.contains(key)) d.push_back(fmt::format("{} ({}): removed", key, g.value("name", "?")));
    for (const auto& [key, g] : ag) {
        auto it = bg.find(key);
        if (it == bg.end()) {
            d.push_back(fmt::format("{} ({}): added, priority {}, {} VIP(s)", key, g.value("name", "?"), g.value("priority", 0),
                                    g.value("vips", nlohmann::json::array()).size()));
            continue;
        }
        for (const auto& [field, value] : g.items()) {
            const auto old = it->second.contains(field) ? it->second[field] : nlohmann::json();
            if (old == value) continue;
            d.push_back(fmt::format("{} ({}): {}", key, g.value("name", "?"),
                                    field == "vips" ? vip_change(old, value) : fmt::format("{} {} -> {}", field, brief(old), brief(value))));
        }
    }
    return d;
}

int run_plan_diff(const PlanSource& source, const std::string& old_path, std::ostream& out, std::ostream& err) {
    std::ifstream f(old_path);
    if (!f) {
        err << "xvrrpd: --diff=\"" << old_path << "\": cannot be read (" << std::strerror(errno) << ")\n";
        return 2;
    }
    nlohmann::json before;
    try {
        before = nlohmann::json::parse(f);
    } catch (const std::exception& e) {
        err << "xvrrpd: --diff=\"" << old_path << "\": not a plan in JSON (xvrrpd --check-config --json): " << e.what() << "\n";
        return 2;
    }
    if (!before.is_object() || !before.contains("groups")) {
        err << "xvrrpd: --diff=\"" << old_path << "\": not a plan in JSON (xvrrpd --check-config --json): no groups\n";
        return 2;
    }
    auto plan = resolve_plan(source);
    if (!plan) {
        err << "xvrrpd: " << plan.error().message() << '\n';
        return 2;
    }
    const auto d = plan_differences(before, plan_to_json(plan.value()));
    if (d.empty()) {
        out << "the same plan as " << old_path << "\n";
        return 0;
    }
    out << d.size() << " difference(s) from " << old_path << ":\n";
    for (const auto& line : d) out << "  " << line << "\n";
    return 1;
}

int run_list_env(std::ostream& out) {
    for (auto name : accepted_variables()) out << name << '\n';
    return 0;
}

}  // namespace xvrrp
