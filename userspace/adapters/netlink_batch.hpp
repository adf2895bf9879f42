// What AddressSet and LocalRoutes share: NETLINK_ROUTE sockets sized for pipelined batches, and
// the callbacks that route every request's ack (NLM_F_ACK) to its sequence number.
#pragma once

#include <cstdint>
#include <functional>

struct nl_sock;
struct nl_cb;

namespace xvrrp::netlink {

// Throws std::runtime_error naming what failed. A blocking socket gets a 2 s receive timeout:
// start-up and shutdown never hang on a lost ack.
nl_sock* open_route_socket(bool nonblocking);

// Receives the replies of a batch: every request carries NLM_F_ACK, so each gets exactly one
// NLMSG_ERROR, error 0 for success (errno values positive).
struct Collector {
    std::function<void(std::uint32_t seq, int error)> reply;
};
// Callbacks that feed `c` and accept replies out of libnl's strict sequence order (several
// batches may share one socket). Free with nl_cb_put.
nl_cb* make_callbacks(Collector* c);

}  // namespace xvrrp::netlink
