// xvrrpd: the VRRP controller. Command-line entry only; each mode lives in its own file.
#include "adapters/logging.hpp"
#include "daemon/check_config.hpp"
#include "daemon/cleanup.hpp"
#include "daemon/daemon.hpp"

#include <CLI/CLI.hpp>

#include <cstdlib>
#include <iostream>

#ifndef XVRRP_VERSION
#define XVRRP_VERSION "0.1.0"  // keep in step with project(xvrrp VERSION ...) in CMakeLists.txt
#endif

int main(int argc, char** argv) {
    // The log format first, so every line (a config error included) comes out in it. A bad value
    // leaves text and is reported by the configuration check, which quotes values safely.
    xvrrp::LogFormat format = xvrrp::LogFormat::Text;
    if (const char* f = std::getenv("XVRRP_LOG_FORMAT"); f && *f) format = xvrrp::parse_log_format(f).value_or(format);
    xvrrp::configure_logging(format);
    CLI::App app{"xvrrpd: VRRP failover for OpenShift ipfailover, with an XDP data plane", "xvrrpd"};
    bool check_config = false, json = false, list_env = false, version = false;
    xvrrp::PlanSource source;
    std::string node_ip, env_file;
    auto* check = app.add_flag("--check-config", check_config,
                               "Resolve the environment, print the plan and exit (touches nothing on the host)");
    app.add_flag("--json", json, "With --check-config: print the plan as JSON")->needs(check);
    std::string diff_file;
    app.add_option("--diff", diff_file,
                   "With --check-config: what changed from OLD.json (an earlier --check-config --json); exit 1 when it did")
        ->needs(check);
    app.add_option("--node-ip", node_ip, "With --check-config: plan for this node address, skip the interface lookup")
        ->needs(check);
    app.add_option("--env-file", env_file, "Read KEY=VALUE lines that override the environment");
    app.add_flag("--list-env", list_env, "Print every accepted environment variable, one per line");
    app.add_flag("--version", version, "Print the version");
    bool keep_dataplane = false;
    auto* keep = app.add_flag("--keep-dataplane", keep_dataplane,
                              "On stop, leave the XDP program attached and its maps pinned (upgrade)");
    bool cleanup = false;
    app.add_flag("--cleanup", cleanup,
                 "Remove what this config left on the node (VIPs, XDP slot/program/pins, nft table) and exit; "
                 "refused while its daemon runs (rollback to keepalived)")
        ->excludes(check)
        ->excludes(keep);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        int rc = app.exit(e);
        return rc == 0 ? 0 : 2;
    }
    if (!node_ip.empty()) source.node_ip = node_ip;
    if (!env_file.empty()) source.env_file = env_file;

    if (version) {
        std::cout << "xvrrpd " << XVRRP_VERSION << '\n';
        return 0;
    }
    if (list_env) return xvrrp::run_list_env(std::cout);
    if (check_config && !diff_file.empty()) return xvrrp::run_plan_diff(source, diff_file, std::cout, std::cerr);
    if (check_config) return xvrrp::run_check_config(source, json, std::cout, std::cerr);
    if (cleanup) return xvrrp::run_cleanup(source, std::cout, std::cerr);
    return xvrrp::run_daemon({source, keep_dataplane});
}
