// The VIP addresses of this config on one interface, added and removed through rtnetlink (libnl3).
//
// A group's addresses change in ONE pipelined batch: every RTM_NEWADDR/RTM_DELADDR request is sent
// before any ack is read, so failover time does not grow with the number of VIPs (each request
// would otherwise cost a round trip). Acks are collected on the Asio loop, never by blocking it.
//
// Which addresses are ours: OpenShift's generator writes VIPs without a label, so we cannot mark
// them either without diverging from it. Ours are exactly the plan's VIPs as host routes (/32,
// /128) on the VRRP interface; that is what stale-VIP clean-up matches on.
#pragma once

#include "core/ip_address.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

struct nl_sock;

namespace xvrrp {

// One address on an interface as the kernel lists it.
struct InterfaceAddress {
    IpAddress address;
    int prefix_len = 0;
    std::string label;  // IPv4 only
};

// What became of each address of a batch: errno 0 for success.
struct AddressResult {
    IpAddress address;
    int error = 0;
};

struct AddressBatchOutcome {
    std::vector<AddressResult> failed;           // only the addresses that failed
    std::chrono::nanoseconds latency{0};         // first send to last ack
    bool ok() const { return failed.empty(); }
};

class AddressSet {
public:
    using Done = std::function<void(const AddressBatchOutcome&)>;

    // Opens the netlink sockets. Throws std::runtime_error naming what failed.
    AddressSet(boost::asio::io_context& io, int ifindex);
    // RAII: every address this object added and did not remove is removed (blocking, one batch).
    ~AddressSet();
    AddressSet(const AddressSet&) = delete;
    AddressSet& operator=(const AddressSet&) = delete;

    // Adds / removes every address in one pipelined batch; `done` runs on the loop when the last
    // ack is in. Adding an address already present succeeds (NLM_F_REPLACE); removing one already
    // gone succeeds too, so both are idempotent.
    void add(const std::vector<IpAddress>& addresses, Done done);
    void remove(const std::vector<IpAddress>& addresses, Done done);

    // Blocking variants for start-up and the shutdown path (one batch, acks collected in order).
    AddressBatchOutcome add_now(const std::vector<IpAddress>& addresses);
    AddressBatchOutcome remove_now(const std::vector<IpAddress>& addresses);

    // Blocking dump of the interface's addresses (start-up, status).
    std::vector<InterfaceAddress> list();

    // The addresses of `ours` present on the interface the way the daemon adds them: host
    // addresses (/32, /128). The same address with another prefix is somebody else's.
    std::vector<IpAddress> held_as_hosts(const std::vector<IpAddress>& ours);

    // Start-up after a crash: removes every address of `ours` present on the interface as a host
    // address. Returns the addresses removed.
    std::vector<IpAddress> remove_stale(const std::vector<IpAddress>& ours);

    // Forgets every address held, leaving them on the interface (the destructor then removes
    // nothing): a --keep-dataplane stop, whose next run keeps serving them.
    void release() { held_.clear(); }

    // The addresses this object currently holds on the interface.
    const std::set<IpAddress>& held() const { return held_; }
    int ifindex() const { return ifindex_; }

    // Requests in flight at most; a bigger batch is sent in windows of this size so the acks never
    // overflow the socket's receive buffer (which would lose them: ENOBUFS).
    static constexpr std::size_t kWindow = 512;
    // On the loop, fewer at a time: the kernel handles each request inside our sendmsg (an
    // address add costs tens of microseconds, more with thousands of addresses on the device),
    // so a window is time the loop cannot spend on adverts. 32 keeps each slice to a millisecond
    // or two; the soak cluster saw two masters for 100-200 ms while both sides of a takeover were
    // busy adding a thousand VIPs in windows of 512 and read each other's adverts late.
    static constexpr std::size_t kAsyncWindow = 32;
    // ... and no more than this much time per slice either: the kernel's cost of an IPv4 add
    // grows with the addresses already on the device (measured, /32s on a veth: 0.1 ms each
    // below 4,096, 2.8 ms each near 30,000), so at S3's 32,768 VIPs a window of 32 held the loop
    // 90 ms, and the node's adverts stopped long enough for its backups to take over. A slice
    // ends when this budget is spent (at least one request is always in flight).
    static constexpr std::chrono::microseconds kSliceBudget{2000};

private:
    struct Batch {
        bool adding = false;
        std::vector<IpAddress> addresses;
        std::size_t next = 0;      // next address to send
        std::size_t pending = 0;   // sent, not acked
        std::vector<AddressResult> failed;
        std::chrono::steady_clock::time_point started;
        Done done;
    };

    void enqueue(bool adding, const std::vector<IpAddress>& addresses, Done done);
    void pump();
    bool send_window(Batch& batch);
    void arm();
    void on_readable();
    void on_reply(std::uint32_t seq, int error);
    void finish_front();
    AddressBatchOutcome run_blocking(bool adding, const std::vector<IpAddress>& addresses);

    boost::asio::io_context& io_;
    int ifindex_;
    nl_sock* async_sock_ = nullptr;
    nl_sock* sync_sock_ = nullptr;
    std::unique_ptr<boost::asio::posix::stream_descriptor> fd_;
    bool armed_ = false;
    std::deque<Batch> batches_;  // the front one is on the wire
    std::map<std::uint32_t, IpAddress> in_flight_;  // seq -> address
    std::set<IpAddress> held_;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace xvrrp
