#include "daemon/check_config.hpp"

#include "adapters/interface_info.hpp"
#include "core/plan_format.hpp"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
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

int run_list_env(std::ostream& out) {
    for (auto name : accepted_variables()) out << name << '\n';
    return 0;
}

}  // namespace xvrrp
