// xvrrpd's daemon mode: runs the plan `--check-config` prints (same code path) on one
// Boost.Asio io_context until SIGTERM/SIGINT (or SIGHUP without --env-file).
#pragma once

#include "daemon/check_config.hpp"

namespace xvrrp {

struct DaemonOptions {
    PlanSource source;
    bool keep_dataplane = false;  // leave XDP attached and maps pinned for the next controller
};

// Returns the process exit status: 0 after a clean stop, 1 when start-up fails on the host
// (capability, lock, interface, data plane, socket), 2 for an invalid configuration.
int run_daemon(const DaemonOptions& options);

}  // namespace xvrrp
