#include "adapters/address_set.hpp"

#include "adapters/netlink_batch.hpp"

#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/socket.h>

#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace xvrrp {
namespace {

using netlink::Collector;
using netlink::make_callbacks;
using netlink::open_route_socket;


struct AddrDeleter {
    void operator()(rtnl_addr* a) const { rtnl_addr_put(a); }
};
struct NlAddrDeleter {
    void operator()(nl_addr* a) const { nl_addr_put(a); }
};
struct MsgDeleter {
    void operator()(nl_msg* m) const { nlmsg_free(m); }
};

// Sends one RTM_NEWADDR / RTM_DELADDR for a host address (/32 or /128); returns its sequence
// number, or a negative errno.
long send_request(nl_sock* sk, bool adding, int ifindex, const IpAddress& address) {
    const int family = address.is_v4() ? AF_INET : AF_INET6;
    const int prefix = address.is_v4() ? 32 : 128;
    std::unique_ptr<rtnl_addr, AddrDeleter> ra(rtnl_addr_alloc());
    std::unique_ptr<nl_addr, NlAddrDeleter> local(nl_addr_build(family, address.bytes().data(), address.size()));
    if (!ra || !local) return -ENOMEM;
    nl_addr_set_prefixlen(local.get(), prefix);
    rtnl_addr_set_ifindex(ra.get(), ifindex);
    rtnl_addr_set_family(ra.get(), family);
    if (int err = rtnl_addr_set_local(ra.get(), local.get()); err < 0) return -EINVAL;
    rtnl_addr_set_prefixlen(ra.get(), prefix);
    // keepalived adds IPv6 VIPs with NODAD: the address must answer at once, and the peer that
    // had it a moment ago would otherwise make DAD fail.
    if (!address.is_v4()) rtnl_addr_set_flags(ra.get(), IFA_F_NODAD);
    nl_msg* raw = nullptr;
    int err = adding ? rtnl_addr_build_add_request(ra.get(), NLM_F_CREATE | NLM_F_REPLACE, &raw)
                     : rtnl_addr_build_delete_request(ra.get(), 0, &raw);
    if (err < 0 || !raw) return -ENOMEM;
    std::unique_ptr<nl_msg, MsgDeleter> msg(raw);
    err = nl_send_auto(sk, msg.get());
    if (err < 0) return -(err == -NLE_AGAIN ? EAGAIN : EIO);
    return static_cast<long>(nlmsg_hdr(msg.get())->nlmsg_seq);
}

// Removing an address already gone, or adding one already there, is what we wanted anyway.
bool benign(bool adding, int error) {
    return adding ? error == EEXIST : (error == EADDRNOTAVAIL || error == ENOENT || error == ENODEV);
}

}  // namespace

AddressSet::AddressSet(boost::asio::io_context& io, int ifindex) : io_(io), ifindex_(ifindex) {
    async_sock_ = open_route_socket(true);
    try {
        sync_sock_ = open_route_socket(false);
    } catch (...) {
        nl_socket_free(async_sock_);
        throw;
    }
    fd_ = std::make_unique<boost::asio::posix::stream_descriptor>(io_, nl_socket_get_fd(async_sock_));
}

AddressSet::~AddressSet() {
    *alive_ = false;
    if (!held_.empty()) {
        std::vector<IpAddress> left(held_.begin(), held_.end());
        run_blocking(false, left);
    }
    if (fd_) {
        boost::system::error_code ec;
        fd_->cancel(ec);
        fd_->release();  // libnl owns the descriptor
    }
    nl_socket_free(async_sock_);
    nl_socket_free(sync_sock_);
}

void AddressSet::add(const std::vector<IpAddress>& addresses, Done done) { enqueue(true, addresses, std::move(done)); }
void AddressSet::remove(const std::vector<IpAddress>& addresses, Done done) { enqueue(false, addresses, std::move(done)); }

void AddressSet::enqueue(bool adding, const std::vector<IpAddress>& addresses, Done done) {
    if (!adding) {
        // A group that loses mastership while its addresses are still being added: the adds not
        // sent yet are dropped rather than made and then undone (the removal that follows is
        // idempotent for them). Their batch still reports when its sent part is acked.
        std::set<IpAddress> going(addresses.begin(), addresses.end());
        for (Batch& queued : batches_) {
            if (!queued.adding) continue;
            auto unsent = queued.addresses.begin() + static_cast<std::ptrdiff_t>(queued.next);
            queued.addresses.erase(std::remove_if(unsent, queued.addresses.end(),
                                                  [&](const IpAddress& a) { return going.count(a) > 0; }),
                                   queued.addresses.end());
        }
    }
    Batch b;
    b.adding = adding;
    b.addresses = addresses;
    b.done = std::move(done);
    batches_.push_back(std::move(b));
    if (batches_.size() == 1) pump();
}

// Batches run one after the other, so an add and a later remove of the same group can never
// overtake each other on the wire.
void AddressSet::pump() {
    while (!batches_.empty()) {
        Batch& b = batches_.front();
        if (b.next == 0 && b.pending == 0) b.started = std::chrono::steady_clock::now();
        if (b.next < b.addresses.size() && !send_window(b)) return;  // send failure recorded
        if (b.pending > 0) {
            arm();
            return;
        }
        if (b.next >= b.addresses.size()) {
            finish_front();
            continue;
        }
    }
}

bool AddressSet::send_window(Batch& b) {
    const auto slice_start = std::chrono::steady_clock::now();
    while (b.next < b.addresses.size() && b.pending < kAsyncWindow) {
        if (b.pending > 0 && std::chrono::steady_clock::now() - slice_start >= kSliceBudget) break;
        const IpAddress& a = b.addresses[b.next++];
        long seq = send_request(async_sock_, b.adding, ifindex_, a);
        if (seq < 0) {
            b.failed.push_back({a, static_cast<int>(-seq)});
            continue;
        }
        in_flight_[static_cast<std::uint32_t>(seq)] = a;
        ++b.pending;
    }
    return true;
}

void AddressSet::arm() {
    if (armed_) return;
    armed_ = true;
    std::weak_ptr<bool> alive = alive_;
    fd_->async_wait(boost::asio::posix::stream_descriptor::wait_read, [this, alive](const boost::system::error_code& ec) {
        if (alive.expired() || !*alive.lock()) return;
        armed_ = false;
        if (ec) return;
        on_readable();
    });
}

void AddressSet::on_readable() {
    Collector c;
    c.reply = [this](std::uint32_t seq, int error) { on_reply(seq, error); };
    nl_cb* cb = make_callbacks(&c);
    for (;;) {
        int r = nl_recvmsgs(async_sock_, cb);
        if (r == -NLE_AGAIN) break;
        if (r < 0) {
            // Lost acks (ENOBUFS) or a broken socket: fail what is in flight rather than wait forever.
            for (auto& [seq, addr] : in_flight_) {
                if (!batches_.empty()) {
                    batches_.front().failed.push_back({addr, EIO});
                    --batches_.front().pending;
                }
            }
            in_flight_.clear();
            break;
        }
    }
    nl_cb_put(cb);
    if (!batches_.empty()) {
        Batch& b = batches_.front();
        if (b.pending == 0 && b.next < b.addresses.size()) send_window(b);
    }
    pump();
}

void AddressSet::on_reply(std::uint32_t seq, int error) {
    auto it = in_flight_.find(seq);
    if (it == in_flight_.end() || batches_.empty()) return;
    IpAddress addr = it->second;
    in_flight_.erase(it);
    Batch& b = batches_.front();
    --b.pending;
    if (error != 0 && !benign(b.adding, error)) {
        b.failed.push_back({addr, error});
        return;
    }
    if (b.adding)
        held_.insert(addr);
    else
        held_.erase(addr);
}

void AddressSet::finish_front() {
    Batch b = std::move(batches_.front());
    batches_.pop_front();
    AddressBatchOutcome out;
    out.failed = std::move(b.failed);
    out.latency = std::chrono::steady_clock::now() - b.started;
    if (b.done) b.done(out);
}

AddressBatchOutcome AddressSet::add_now(const std::vector<IpAddress>& addresses) { return run_blocking(true, addresses); }
AddressBatchOutcome AddressSet::remove_now(const std::vector<IpAddress>& addresses) { return run_blocking(false, addresses); }

AddressBatchOutcome AddressSet::run_blocking(bool adding, const std::vector<IpAddress>& addresses) {
    AddressBatchOutcome out;
    auto start = std::chrono::steady_clock::now();
    netlink::run_pipelined(
        sync_sock_, addresses.size(), kWindow,
        [&](std::size_t i) { return send_request(sync_sock_, adding, ifindex_, addresses[i]); },
        [&](std::size_t i, int error) {
            if (error != 0 && !benign(adding, error))
                out.failed.push_back({addresses[i], error});
            else if (adding)
                held_.insert(addresses[i]);
            else
                held_.erase(addresses[i]);
        });
    out.latency = std::chrono::steady_clock::now() - start;
    return out;
}

std::vector<InterfaceAddress> AddressSet::list() {
    // A fresh socket: a dump relies on libnl's own sequence checking, which our batch callbacks
    // replace on the other sockets.
    nl_sock* sk = open_route_socket(false);
    nl_cache* cache = nullptr;
    int err = rtnl_addr_alloc_cache(sk, &cache);
    std::vector<InterfaceAddress> out;
    if (err < 0) {
        nl_socket_free(sk);
        throw std::runtime_error(std::string("netlink: cannot list addresses: ") + nl_geterror(err));
    }
    for (nl_object* o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
        auto* a = reinterpret_cast<rtnl_addr*>(o);
        if (rtnl_addr_get_ifindex(a) != ifindex_) continue;
        nl_addr* local = rtnl_addr_get_local(a);
        if (!local) continue;
        InterfaceAddress ia;
        const auto* bytes = static_cast<const std::uint8_t*>(nl_addr_get_binary_addr(local));
        if (rtnl_addr_get_family(a) == AF_INET && nl_addr_get_len(local) == 4) {
            ia.address = IpAddress::v4_bytes(bytes);
        } else if (rtnl_addr_get_family(a) == AF_INET6 && nl_addr_get_len(local) == 16) {
            std::array<std::uint8_t, 16> b{};
            std::memcpy(b.data(), bytes, 16);
            ia.address = IpAddress::v6(b);
        } else {
            continue;
        }
        ia.prefix_len = rtnl_addr_get_prefixlen(a);
        if (const char* l = rtnl_addr_get_label(a)) ia.label = l;
        out.push_back(std::move(ia));
    }
    nl_cache_free(cache);
    nl_socket_free(sk);
    return out;
}

std::vector<IpAddress> AddressSet::held_as_hosts(const std::vector<IpAddress>& ours) {
    std::set<IpAddress> wanted(ours.begin(), ours.end());
    std::vector<IpAddress> found;
    for (const auto& ia : list())
        if (ia.prefix_len == (ia.address.is_v4() ? 32 : 128) && wanted.count(ia.address)) found.push_back(ia.address);
    return found;
}

std::vector<IpAddress> AddressSet::remove_stale(const std::vector<IpAddress>& ours) {
    std::vector<IpAddress> stale = held_as_hosts(ours);
    if (stale.empty()) return stale;
    auto out = run_blocking(false, stale);
    for (auto& f : out.failed) std::erase(stale, f.address);
    return stale;
}

}  // namespace xvrrp
