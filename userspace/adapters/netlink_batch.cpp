#include "adapters/netlink_batch.hpp"

#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include <linux/netlink.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <map>
#include <stdexcept>
#include <string>

namespace xvrrp::netlink {
namespace {

constexpr int kSocketBuffer = 4 << 20;

int on_ack(nl_msg* msg, void* arg) {
    static_cast<Collector*>(arg)->reply(nlmsg_hdr(msg)->nlmsg_seq, 0);
    return NL_OK;
}

int on_error(sockaddr_nl*, nlmsgerr* err, void* arg) {
    static_cast<Collector*>(arg)->reply(err->msg.nlmsg_seq, -err->error);
    return NL_SKIP;  // keep reading: the other acks of the batch follow in the same buffer
}

int on_seq_check(nl_msg*, void*) { return NL_OK; }

}  // namespace

nl_cb* make_callbacks(Collector* c) {
    nl_cb* cb = nl_cb_alloc(NL_CB_DEFAULT);
    if (!cb) throw std::runtime_error("netlink: out of memory allocating callbacks");
    nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_ack, c);
    nl_cb_err(cb, NL_CB_CUSTOM, on_error, c);
    nl_cb_set(cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, on_seq_check, c);
    return cb;
}

nl_sock* open_route_socket(bool nonblocking) {
    nl_sock* sk = nl_socket_alloc();
    if (!sk) throw std::runtime_error("netlink: cannot allocate a socket");
    if (int err = nl_connect(sk, NETLINK_ROUTE); err < 0) {
        nl_socket_free(sk);
        throw std::runtime_error(std::string("netlink: cannot open NETLINK_ROUTE: ") + nl_geterror(err));
    }
    int fd = nl_socket_get_fd(sk);
    int size = kSocketBuffer;
    // FORCE needs CAP_NET_ADMIN (which the daemon has); plain SO_RCVBUF is capped by rmem_max.
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    int one = 1;
    // Errors need not echo the whole request back: keeps a failed batch's replies small.
    setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
    if (nonblocking) {
        nl_socket_set_nonblocking(sk);
    } else {
        timeval tv{2, 0};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    }
    return sk;
}

void run_pipelined(nl_sock* sk, std::size_t count, std::size_t window, const std::function<long(std::size_t)>& send,
                   const std::function<void(std::size_t, int)>& done) {
    std::map<std::uint32_t, std::size_t> pending;  // sequence number -> item
    Collector c;
    c.reply = [&](std::uint32_t seq, int error) {
        auto it = pending.find(seq);
        if (it == pending.end()) return;
        const std::size_t item = it->second;
        pending.erase(it);
        done(item, error);
    };
    nl_cb* cb = make_callbacks(&c);
    std::size_t next = 0;
    while (next < count || !pending.empty()) {
        while (next < count && pending.size() < window) {
            const std::size_t item = next++;
            if (long seq = send(item); seq < 0)
                done(item, static_cast<int>(-seq));
            else
                pending[static_cast<std::uint32_t>(seq)] = item;
        }
        if (pending.empty()) continue;
        if (int r = nl_recvmsgs(sk, cb); r < 0) {
            for (auto& [seq, item] : pending) done(item, r == -NLE_AGAIN ? ETIMEDOUT : EIO);
            pending.clear();
        }
    }
    nl_cb_put(cb);
}

}  // namespace xvrrp::netlink
