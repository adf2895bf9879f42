// From the process environment to the Plan: the one code path `--check-config` prints and the
// daemon runs. Reads the environment, an optional KEY=VALUE file, and (unless --node-ip is given)
// this node's interfaces; changes nothing on the host.
#pragma once

#include "core/config.hpp"
#include "core/plan.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <iosfwd>
#include <map>
#include <optional>
#include <string>

namespace xvrrp {

struct PlanSource {
    std::optional<std::string> env_file;  // KEY=VALUE lines; its values override the environment
    std::optional<std::string> node_ip;   // skip the interface lookup and plan for this address
    bool probe_scripts = true;            // check that check/notify scripts exist (not for --cleanup)
};

// KEY=VALUE lines: blank lines and '#' comments skipped, an optional "export " prefix, values
// optionally in matching single or double quotes (taken literally). Errors name the line.
Result<std::map<std::string, std::string>> read_env_file(const std::string& path);

// Environment (+ env file) -> Config -> node identity -> Plan. Warnings are in plan.warnings.
// The generator scheme's low priorities are drawn from plan_seed (same node, same plan).
Result<Plan> resolve_plan(const PlanSource& source);

nlohmann::json plan_to_json(const Plan& plan);

// `xvrrpd --check-config`: prints the plan (text or JSON) to `out`, or one error line to `err`.
// Returns the process exit status: 0, or 2 for an invalid configuration.
int run_check_config(const PlanSource& source, bool json, std::ostream& out, std::ostream& err);

// What changed from plan `before` (a --check-config --json document) to `after`, one line per
// difference: node-wide fields, then groups matched by family and VRID (added, removed, or each
// field that changed; VIP lists as counts and the first few addresses). Empty: the same plan.
std::vector<std::string> plan_differences(const nlohmann::json& before, const nlohmann::json& after);

// `xvrrpd --check-config --diff OLD.json`: the differences from OLD to the plan this
// environment gives. Exit status as diff(1): 0 the same, 1 different, 2 a bad file or config.
int run_plan_diff(const PlanSource& source, const std::string& old_path, std::ostream& out, std::ostream& err);

// `xvrrpd --list-env`: every accepted variable, one per line.
int run_list_env(std::ostream& out);

}  // namespace xvrrp
