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
// `seed` feeds the generator scheme's random low priorities.
Result<Plan> resolve_plan(const PlanSource& source);

nlohmann::json plan_to_json(const Plan& plan);

// `xvrrpd --check-config`: prints the plan (text or JSON) to `out`, or one error line to `err`.
// Returns the process exit status: 0, or 2 for an invalid configuration.
int run_check_config(const PlanSource& source, bool json, std::ostream& out, std::ostream& err);

// `xvrrpd --list-env`: every accepted variable, one per line.
int run_list_env(std::ostream& out);

}  // namespace xvrrp
