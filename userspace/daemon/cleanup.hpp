// `xvrrpd --cleanup`: removes everything one config left on this node, for a rollback to
// keepalived (issue 21): its VIP addresses, its slot and map entries in the shared XDP data plane
// (the program and pins too when no other config uses them) and its nft table. Reads the same
// environment as the daemon and takes the same instance lock, so it refuses while a daemon of the
// config runs. Idempotent: a second run finds nothing and succeeds.
#pragma once

#include "daemon/check_config.hpp"

#include <iosfwd>

namespace xvrrp {

// Prints one line per thing removed (and one when nothing was there) to `out`, the error naming
// its culprit to `err`. Returns the process exit status: 0 done (also when nothing was left), 1 a
// host error or a running daemon, 2 an invalid configuration.
int run_cleanup(const PlanSource& source, std::ostream& out, std::ostream& err);

}  // namespace xvrrp
