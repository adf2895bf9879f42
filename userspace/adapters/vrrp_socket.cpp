#include "adapters/vrrp_socket.hpp"

#include "xvrrp/abi.h"

#include <boost/asio/post.hpp>

#include <arpa/inet.h>
#include <linux/filter.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace xvrrp {
namespace {

[[noreturn]] void fail(const std::string& what) {
    throw std::runtime_error("VRRP socket: " + what + ": " + std::strerror(errno));
}

void set_int(int fd, int level, int name, int value, const char* what) {
    if (setsockopt(fd, level, name, &value, sizeof value) != 0) fail(what);
}

sockaddr_storage to_sockaddr(const IpAddress& a, int ifindex, socklen_t& len) {
    sockaddr_storage ss{};
    if (a.is_v4()) {
        auto* s = reinterpret_cast<sockaddr_in*>(&ss);
        s->sin_family = AF_INET;
        std::memcpy(&s->sin_addr, a.bytes().data(), 4);
        len = sizeof(sockaddr_in);
    } else {
        auto* s = reinterpret_cast<sockaddr_in6*>(&ss);
        s->sin6_family = AF_INET6;
        std::memcpy(&s->sin6_addr, a.bytes().data(), 16);
        // Link-local and multicast link-scope destinations need the interface as scope.
        s->sin6_scope_id = static_cast<std::uint32_t>(ifindex);
        len = sizeof(sockaddr_in6);
    }
    return ss;
}

IpAddress from_in6(const in6_addr& a) {
    std::array<std::uint8_t, 16> b{};
    std::memcpy(b.data(), &a, 16);
    return IpAddress::v6(b);
}

// The classic BPF program of accept_only(): load the VRID byte, compare it with each VRID in turn,
// accept on the first match. A chain of JEQ is the table classic BPF lacks; at most 255 of them,
// and the VRIDs of a config are few. Where the VRID is differs by family (checked by
// tests/controller/vrrp_socket_filter_test.cpp):
//   IPv4: raw_rcv() pushes the IP header back before the filter runs, so the VRRP message starts
//         after IHL words (options included): ldxb 4*([0]&0xf); ldb [x+1].
//   IPv6: the filter sees the transport payload, after the IPv6 header and any extension
//         headers, as the socket reads it: ldb [1].
// An offset past the end of the packet makes classic BPF return 0: a runt is dropped.
std::vector<sock_filter> vrid_filter(Family family, std::span<const std::uint8_t> vrids) {
    std::vector<std::uint8_t> wanted(vrids.begin(), vrids.end());
    std::sort(wanted.begin(), wanted.end());
    wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());
    std::vector<sock_filter> prog;
    if (wanted.size() == 256) return {BPF_STMT(BPF_RET | BPF_K, 0xffffffffu)};  // every value: no test
    if (family == Family::V4) {
        prog.push_back(BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0));
        prog.push_back(BPF_STMT(BPF_LD | BPF_B | BPF_IND, 1));
    } else {
        prog.push_back(BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 1));
    }
    const std::size_t n = wanted.size();  // at most 255 here, so every jump fits in jt's 8 bits
    for (std::size_t i = 0; i < n; ++i) {
        // On a match, skip the n - 1 - i comparisons left and the drop.
        const auto to_accept = static_cast<std::uint8_t>(n - i);
        prog.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, wanted[i], to_accept, 0));
    }
    prog.push_back(BPF_STMT(BPF_RET | BPF_K, 0));           // drop
    prog.push_back(BPF_STMT(BPF_RET | BPF_K, 0xffffffffu));  // accept the whole datagram
    return prog;
}

}  // namespace

IpAddress vrrp_group(Family family) {
    return family == Family::V4 ? *IpAddress::parse("224.0.0.18") : *IpAddress::parse("ff02::12");
}

VrrpSocket::VrrpSocket(boost::asio::io_context& io, Family family, int ifindex, bool join_group)
    : io_(io), family_(family), ifindex_(ifindex), rest_(io) {
    const bool v4 = family == Family::V4;
    fd_ = socket(v4 ? AF_INET : AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_VRRP_NUM);
    if (fd_ < 0) fail(std::string("socket(") + (v4 ? "AF_INET" : "AF_INET6") + ", SOCK_RAW, 112)");
    try {
        char name[IF_NAMESIZE] = {};
        if (!if_indextoname(static_cast<unsigned>(ifindex), name)) fail("no interface with index " + std::to_string(ifindex));
        // Only adverts of the VRRP interface, whatever other interfaces carry.
        if (setsockopt(fd_, SOL_SOCKET, SO_BINDTODEVICE, name, static_cast<socklen_t>(std::strlen(name))) != 0)
            fail(std::string("SO_BINDTODEVICE ") + name);
        if (v4) {
            set_int(fd_, IPPROTO_IP, IP_TTL, 255, "IP_TTL 255");
            // DSCP CS6 (network control), as keepalived 2.2.7 and FRR's vrrpd mark theirs
            // (both measured: TOS 0xc0), so switches queue adverts ahead of bulk traffic.
            set_int(fd_, IPPROTO_IP, IP_TOS, kAdvertTos, "IP_TOS CS6");
            set_int(fd_, IPPROTO_IP, IP_MULTICAST_TTL, 255, "IP_MULTICAST_TTL 255");
            set_int(fd_, IPPROTO_IP, IP_MULTICAST_LOOP, 0, "IP_MULTICAST_LOOP 0");
            set_int(fd_, IPPROTO_IP, IP_RECVTTL, 1, "IP_RECVTTL");
            set_int(fd_, IPPROTO_IP, IP_PKTINFO, 1, "IP_PKTINFO");
            ip_mreqn mreq{};
            mreq.imr_ifindex = ifindex;
            if (setsockopt(fd_, IPPROTO_IP, IP_MULTICAST_IF, &mreq, sizeof mreq) != 0) fail("IP_MULTICAST_IF");
            if (join_group) {
                inet_pton(AF_INET, "224.0.0.18", &mreq.imr_multiaddr);
                if (setsockopt(fd_, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq, sizeof mreq) != 0)
                    fail("IP_ADD_MEMBERSHIP 224.0.0.18");
            }
        } else {
            set_int(fd_, IPPROTO_IPV6, IPV6_UNICAST_HOPS, 255, "IPV6_UNICAST_HOPS 255");
            set_int(fd_, IPPROTO_IPV6, IPV6_TCLASS, kAdvertTos, "IPV6_TCLASS CS6");
            set_int(fd_, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, 255, "IPV6_MULTICAST_HOPS 255");
            set_int(fd_, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 0, "IPV6_MULTICAST_LOOP 0");
            set_int(fd_, IPPROTO_IPV6, IPV6_MULTICAST_IF, ifindex, "IPV6_MULTICAST_IF");
            set_int(fd_, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1, "IPV6_RECVHOPLIMIT");
            set_int(fd_, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1, "IPV6_RECVPKTINFO");
            if (join_group) {
                ipv6_mreq mreq{};
                inet_pton(AF_INET6, "ff02::12", &mreq.ipv6mr_multiaddr);
                mreq.ipv6mr_interface = static_cast<unsigned>(ifindex);
                if (setsockopt(fd_, IPPROTO_IPV6, IPV6_JOIN_GROUP, &mreq, sizeof mreq) != 0) fail("IPV6_JOIN_GROUP ff02::12");
            }
        }
        desc_ = std::make_unique<boost::asio::posix::stream_descriptor>(io_, fd_);
    } catch (...) {
        close(fd_);
        throw;
    }
    rx_.resize(kBatch * kSlot);
}

VrrpSocket::~VrrpSocket() {
    *alive_ = false;
    boost::system::error_code ec;
    if (desc_) desc_->close(ec);  // closes fd_
    else if (fd_ >= 0) close(fd_);
}

void VrrpSocket::accept_only(std::span<const std::uint8_t> vrids) {
    std::vector<sock_filter> prog = vrid_filter(family_, vrids);
    sock_fprog fprog{};
    fprog.len = static_cast<unsigned short>(prog.size());
    fprog.filter = prog.data();
    // Replaces any filter attached before in one step: no moment without one.
    if (setsockopt(fd_, SOL_SOCKET, SO_ATTACH_FILTER, &fprog, sizeof fprog) != 0)
        fail("SO_ATTACH_FILTER (accept only " + std::to_string(vrids.size()) + " VRID(s))");
}

void VrrpSocket::accept_all() {
    int unused = 0;
    if (setsockopt(fd_, SOL_SOCKET, SO_DETACH_FILTER, &unused, sizeof unused) != 0 && errno != ENOENT)
        fail("SO_DETACH_FILTER");
}

void VrrpSocket::queue(const IpAddress& source, const IpAddress& destination, std::span<const std::uint8_t> vrrp) {
    out_.push_back({source, destination, std::vector<std::uint8_t>(vrrp.begin(), vrrp.end())});
    if (flush_posted_) return;
    flush_posted_ = true;
    std::weak_ptr<bool> alive = alive_;
    boost::asio::post(io_, [this, alive] {
        if (alive.expired() || !*alive.lock()) return;
        flush();
    });
}

std::size_t VrrpSocket::flush() {
    flush_posted_ = false;
    std::size_t total = 0;
    std::size_t i = 0;
    while (i < out_.size()) {
        const std::size_t n = std::min(kBatch * 4, out_.size() - i);
        std::vector<mmsghdr> msgs(n);
        std::vector<iovec> iov(n);
        std::vector<sockaddr_storage> dst(n);
        // One control buffer per message, large enough for in6_pktinfo.
        std::vector<std::array<std::uint8_t, CMSG_SPACE(sizeof(in6_pktinfo))>> ctl(n);
        for (std::size_t k = 0; k < n; ++k) {
            Outgoing& o = out_[i + k];
            socklen_t len = 0;
            dst[k] = to_sockaddr(o.destination, ifindex_, len);
            iov[k] = {o.bytes.data(), o.bytes.size()};
            msghdr& h = msgs[k].msg_hdr;
            h.msg_name = &dst[k];
            h.msg_namelen = len;
            h.msg_iov = &iov[k];
            h.msg_iovlen = 1;
            ctl[k].fill(0);
            h.msg_control = ctl[k].data();
            cmsghdr* c = reinterpret_cast<cmsghdr*>(ctl[k].data());
            if (o.source.is_v4()) {
                h.msg_controllen = CMSG_SPACE(sizeof(in_pktinfo));
                c->cmsg_level = IPPROTO_IP;
                c->cmsg_type = IP_PKTINFO;
                c->cmsg_len = CMSG_LEN(sizeof(in_pktinfo));
                in_pktinfo pi{};
                pi.ipi_ifindex = ifindex_;
                std::memcpy(&pi.ipi_spec_dst, o.source.bytes().data(), 4);
                std::memcpy(CMSG_DATA(c), &pi, sizeof pi);
            } else {
                h.msg_controllen = CMSG_SPACE(sizeof(in6_pktinfo));
                c->cmsg_level = IPPROTO_IPV6;
                c->cmsg_type = IPV6_PKTINFO;
                c->cmsg_len = CMSG_LEN(sizeof(in6_pktinfo));
                in6_pktinfo pi{};
                pi.ipi6_ifindex = static_cast<unsigned>(ifindex_);
                std::memcpy(&pi.ipi6_addr, o.source.bytes().data(), 16);
                std::memcpy(CMSG_DATA(c), &pi, sizeof pi);
            }
        }
        std::size_t done = 0;
        while (done < n) {
            int r = sendmmsg(fd_, msgs.data() + done, static_cast<unsigned>(n - done), MSG_DONTWAIT);
            ++stats_.send_calls;
            if (r < 0) {
                if (errno == EINTR) continue;
                // The failing message is skipped and counted; the rest still goes out.
                ++stats_.send_errors;
                ++done;
                continue;
            }
            done += static_cast<std::size_t>(r);
            stats_.sent += static_cast<std::uint64_t>(r);
            total += static_cast<std::size_t>(r);
        }
        i += n;
    }
    out_.clear();
    return total;
}

void VrrpSocket::start(Handler handler, std::chrono::microseconds spacing) {
    handler_ = std::move(handler);
    spacing_ = spacing;
    arm();
}

void VrrpSocket::drain() { on_readable(); }

void VrrpSocket::arm() {
    std::weak_ptr<bool> alive = alive_;
    desc_->async_wait(boost::asio::posix::stream_descriptor::wait_read, [this, alive](const boost::system::error_code& ec) {
        if (ec || alive.expired() || !*alive.lock()) return;
        on_readable();
        if (alive.expired() || !*alive.lock()) return;
        if (spacing_.count() == 0) {
            arm();
            return;
        }
        rest_.expires_after(spacing_);
        rest_.async_wait([this, alive](const boost::system::error_code& ec2) {
            if (ec2 || alive.expired() || !*alive.lock()) return;
            arm();
        });
    });
}

void VrrpSocket::on_readable() {
    constexpr std::size_t kCtl = 128;
    std::array<mmsghdr, kBatch> msgs{};
    std::array<iovec, kBatch> iov{};
    std::array<sockaddr_storage, kBatch> src{};
    std::array<std::array<std::uint8_t, kCtl>, kBatch> ctl{};
    for (;;) {
        for (std::size_t k = 0; k < kBatch; ++k) {
            iov[k] = {rx_.data() + k * kSlot, kSlot};
            msghdr& h = msgs[k].msg_hdr;
            h = {};
            h.msg_name = &src[k];
            h.msg_namelen = sizeof(sockaddr_storage);
            h.msg_iov = &iov[k];
            h.msg_iovlen = 1;
            h.msg_control = ctl[k].data();
            h.msg_controllen = kCtl;
        }
        int r = recvmmsg(fd_, msgs.data(), kBatch, MSG_DONTWAIT, nullptr);
        if (r <= 0) return;  // EAGAIN: drained
        ++stats_.receive_calls;
        std::vector<VrrpDatagram> batch;
        batch.reserve(static_cast<std::size_t>(r));
        for (int k = 0; k < r; ++k) {
            const msghdr& h = msgs[k].msg_hdr;
            const std::uint8_t* data = rx_.data() + static_cast<std::size_t>(k) * kSlot;
            std::size_t len = msgs[k].msg_len;
            VrrpDatagram d;
            d.ifindex = ifindex_;
            if (family_ == Family::V4) {
                // IPv4 raw sockets deliver the IP header; the VRRP message starts after IHL words.
                if (len < 20) continue;
                std::size_t ihl = static_cast<std::size_t>(data[0] & 0x0f) * 4;
                if (ihl < 20 || ihl > len) continue;
                d.source = IpAddress::v4_bytes(data + 12);
                d.destination = IpAddress::v4_bytes(data + 16);
                d.ttl = data[8];
                d.vrrp = {data + ihl, len - ihl};
            } else {
                const auto* s6 = reinterpret_cast<const sockaddr_in6*>(&src[k]);
                d.source = from_in6(s6->sin6_addr);
                d.vrrp = {data, len};
            }
            for (cmsghdr* c = CMSG_FIRSTHDR(&h); c; c = CMSG_NXTHDR(const_cast<msghdr*>(&h), c)) {
                if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL) {
                    int ttl;
                    std::memcpy(&ttl, CMSG_DATA(c), sizeof ttl);
                    d.ttl = ttl;
                } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT) {
                    int hl;
                    std::memcpy(&hl, CMSG_DATA(c), sizeof hl);
                    d.ttl = hl;
                } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
                    in6_pktinfo pi;
                    std::memcpy(&pi, CMSG_DATA(c), sizeof pi);
                    d.destination = from_in6(pi.ipi6_addr);
                    d.ifindex = static_cast<int>(pi.ipi6_ifindex);
                } else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
                    in_pktinfo pi;
                    std::memcpy(&pi, CMSG_DATA(c), sizeof pi);
                    d.ifindex = pi.ipi_ifindex;
                }
            }
            batch.push_back(d);
        }
        stats_.received += batch.size();
        if (!batch.empty() && handler_) handler_(batch);
        if (static_cast<std::size_t>(r) < kBatch) return;
    }
}

}  // namespace xvrrp
