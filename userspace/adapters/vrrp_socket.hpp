// Raw IPPROTO_VRRP socket for one address family on the VRRP interface.
//
// RFC 5798 section 5.1.1.3 / 5.1.2.3: adverts go out with TTL / hop limit 255 to 224.0.0.18 or
// ff02::12 (or, in unicast mode, to each peer), and a receiver drops any advert that arrives with
// a lower one; so every received datagram carries the TTL it came with (IP_RECVTTL /
// IPV6_RECVHOPLIMIT). IP_MULTICAST_LOOP is off: our own adverts never come back to us.
//
// Sending: datagrams queued during one turn of the loop go out in one sendmmsg (adverts due in
// the same tick share a system call); each carries its source address in an IP_PKTINFO /
// IPV6_PKTINFO control message, so one socket serves every group whatever its source.
// Receiving: recvmmsg in batches whenever the descriptor is readable (Asio async_wait).
// A raw IPPROTO_VRRP socket gets every VRRP packet the interface carries, whatever its VRID;
// accept_only() attaches a classic BPF filter so the kernel drops other configs' VRIDs (and a
// foreign-VRID flood) before they are queued, copied or woken for (issue 21).
#pragma once

#include "core/ip_address.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

namespace xvrrp {

// 224.0.0.18 and ff02::12: the VRRP multicast groups (RFC 5798 section 5.1.1.2 / 5.1.2.2).
IpAddress vrrp_group(Family family);

// One received VRRP message, the IP header already stripped.
struct VrrpDatagram {
    IpAddress source;
    IpAddress destination;
    int ttl = -1;                         // TTL / hop limit it arrived with, -1 if unknown
    int ifindex = 0;
    std::span<const std::uint8_t> vrrp;   // valid only during the handler call
};

struct VrrpSocketStats {
    std::uint64_t sent = 0;
    std::uint64_t send_errors = 0;
    std::uint64_t send_calls = 0;         // sendmmsg system calls
    std::uint64_t received = 0;
    std::uint64_t receive_calls = 0;      // recvmmsg system calls that returned data
};

// The traffic class of every advert sent: DSCP CS6 (network control), ECN not set.
inline constexpr int kAdvertTos = 0xc0;

class VrrpSocket {
public:
    using Handler = std::function<void(std::span<const VrrpDatagram>)>;

    // Opens the socket bound to the interface; joins the VRRP group when `join_group` (multicast
    // mode; unicast mode does not need the membership). Throws std::runtime_error naming the
    // failed call.
    VrrpSocket(boost::asio::io_context& io, Family family, int ifindex, bool join_group);
    ~VrrpSocket();
    VrrpSocket(const VrrpSocket&) = delete;
    VrrpSocket& operator=(const VrrpSocket&) = delete;

    // Queues one message (the VRRP header and addresses) for `destination` from `source`; the
    // queue goes out in one sendmmsg at the end of the current loop turn, or at flush().
    void queue(const IpAddress& source, const IpAddress& destination, std::span<const std::uint8_t> vrrp);
    // Sends everything queued now; returns how many were sent.
    std::size_t flush();

    // Starts reading; `handler` gets each batch of datagrams. Call once. After each read the
    // socket rests for `spacing` before it is watched again, so adverts arriving faster than
    // that are read in batches: a backup of 254 groups at 10 ms woke 25,400 times a second, once
    // per advert; with 1 ms, at most about 1,000. Whoever must not act on stale input (the
    // election driver before a master-down timer) calls drain() first.
    void start(Handler handler, std::chrono::microseconds spacing = kReadSpacing);
    // Reads whatever is queued now and hands it to the handler (nothing queued: one syscall).
    void drain();

    // Attaches (or atomically replaces) a socket filter that accepts only datagrams whose VRID is
    // one of `vrids`: any other datagram is dropped in the kernel, before the receive queue. An
    // empty list drops everything. Throws std::runtime_error naming SO_ATTACH_FILTER.
    void accept_only(std::span<const std::uint8_t> vrids);
    // Removes the filter: every VRRP datagram of the interface is read again.
    void accept_all();

    Family family() const { return family_; }
    int native_handle() const { return fd_; }
    const VrrpSocketStats& stats() const { return stats_; }

    static constexpr std::chrono::microseconds kReadSpacing{1000};
    static constexpr std::size_t kBatch = 32;
    static constexpr std::size_t kSlot = 8192;  // 255 IPv6 addresses + headers fit

private:
    struct Outgoing {
        IpAddress source;
        IpAddress destination;
        std::vector<std::uint8_t> bytes;
    };

    void arm();
    void on_readable();

    boost::asio::io_context& io_;
    Family family_;
    int ifindex_;
    int fd_ = -1;
    std::unique_ptr<boost::asio::posix::stream_descriptor> desc_;
    boost::asio::steady_timer rest_;
    std::chrono::microseconds spacing_{0};
    std::vector<Outgoing> out_;
    bool flush_posted_ = false;
    Handler handler_;
    std::vector<std::uint8_t> rx_;
    VrrpSocketStats stats_;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace xvrrp
