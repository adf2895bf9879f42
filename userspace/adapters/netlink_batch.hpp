// What AddressSet and LocalRoutes share: NETLINK_ROUTE sockets sized for pipelined batches, and
// the callbacks that route every request's ack (NLM_F_ACK) to its sequence number.
#pragma once

#include <cstddef>
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

// One pipelined batch on a blocking socket: sends items 0..count-1 with `send` (the request's
// sequence number, or a negative errno), at most `window` in flight, and calls `done(i, error)`
// once per item as its ack arrives (error 0: success; ETIMEDOUT or EIO when it never came).
void run_pipelined(nl_sock* sk, std::size_t count, std::size_t window, const std::function<long(std::size_t)>& send,
                   const std::function<void(std::size_t, int)>& done);

}  // namespace xvrrp::netlink
