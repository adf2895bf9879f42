#include "adapters/link_monitor.hpp"

#include "adapters/local_routes.hpp"

#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace xvrrp {
namespace {

std::optional<IpAddress> address_of(const rtattr* a) {
    const auto* p = static_cast<const std::uint8_t*>(RTA_DATA(a));
    if (RTA_PAYLOAD(a) == 4) return IpAddress::v4_bytes(p);
    if (RTA_PAYLOAD(a) != 16) return std::nullopt;
    std::array<std::uint8_t, 16> b{};
    std::memcpy(b.data(), p, 16);
    return IpAddress::v6(b);
}

bool link_up_now(int ifindex) {
    ifreq ifr{};
    if (!if_indextoname(static_cast<unsigned>(ifindex), ifr.ifr_name)) return false;  // gone
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    int r = ioctl(fd, SIOCGIFFLAGS, &ifr);
    close(fd);
    return r == 0 && (ifr.ifr_flags & IFF_UP) && (ifr.ifr_flags & IFF_RUNNING);
}

// Whether `primary` is an address of the interface, by one route lookup (RTM_GETROUTE with
// RTM_F_FIB_MATCH): the kernel's own local route for an interface address is `local ADDR dev IF
// proto kernel` in table local. One request and one answer, however many addresses the
// interface holds (getifaddrs walked all of them: 65,536 VIPs on the loop after an ENOBUFS).
bool address_present_now(int ifindex, const IpAddress& primary) {
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0) return false;
    timeval tv{1, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct {
        nlmsghdr h;
        rtmsg r;
        alignas(RTA_ALIGNTO) char attrs[RTA_SPACE(16)];
    } req{};
    const unsigned alen = static_cast<unsigned>(primary.size());
    req.h.nlmsg_len = NLMSG_LENGTH(sizeof(rtmsg)) + RTA_SPACE(alen);
    req.h.nlmsg_type = RTM_GETROUTE;
    req.h.nlmsg_flags = NLM_F_REQUEST;
    req.h.nlmsg_seq = 1;
    req.r.rtm_family = primary.is_v4() ? AF_INET : AF_INET6;
    req.r.rtm_dst_len = static_cast<unsigned char>(alen * 8);
    req.r.rtm_flags = RTM_F_FIB_MATCH;
    auto* rta = reinterpret_cast<rtattr*>(req.attrs);
    rta->rta_type = RTA_DST;
    rta->rta_len = static_cast<unsigned short>(RTA_LENGTH(alen));
    std::memcpy(RTA_DATA(rta), primary.bytes().data(), alen);
    bool found = false;
    alignas(nlmsghdr) char buf[4096];
    if (send(fd, &req, req.h.nlmsg_len, 0) == static_cast<ssize_t>(req.h.nlmsg_len)) {
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        auto* h = reinterpret_cast<nlmsghdr*>(buf);
        if (n > 0 && NLMSG_OK(h, static_cast<unsigned>(n)) && h->nlmsg_type == RTM_NEWROUTE) {
            const auto* rtm = static_cast<const rtmsg*>(NLMSG_DATA(h));
            std::uint32_t oif = 0;
            bool dst_is_primary = false;
            int attrlen = static_cast<int>(RTM_PAYLOAD(h));
            for (auto* a = RTM_RTA(rtm); RTA_OK(a, attrlen); a = RTA_NEXT(a, attrlen)) {
                if (a->rta_type == RTA_OIF) std::memcpy(&oif, RTA_DATA(a), sizeof oif);
                if (a->rta_type == RTA_DST)
                    dst_is_primary = RTA_PAYLOAD(a) == alen && std::memcmp(RTA_DATA(a), primary.bytes().data(), alen) == 0;
            }
            found = rtm->rtm_type == RTN_LOCAL && rtm->rtm_protocol == RTPROT_KERNEL && rtm->rtm_dst_len == alen * 8 &&
                    dst_is_primary && static_cast<int>(oif) == ifindex;
        }
    }
    close(fd);
    return found;
}

std::string cause_of(const LinkStatus& s, const IpAddress& primary, int ifindex) {
    char name[IF_NAMESIZE] = {};
    std::string dev = if_indextoname(static_cast<unsigned>(ifindex), name) ? name : "interface " + std::to_string(ifindex);
    if (!s.link_up && !s.address_present) return dev + " down and " + primary.to_string() + " gone";
    if (!s.link_up) return dev + " down";
    if (!s.address_present) return primary.to_string() + " removed from " + dev;
    return dev + " up with " + primary.to_string();
}

}  // namespace

LinkMonitor::LinkMonitor(boost::asio::io_context& io, int ifindex, const IpAddress& primary, Watch watch)
    : io_(io), ifindex_(ifindex), primary_(primary), watch_(std::move(watch)) {
    fd_ = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
    if (fd_ < 0) throw std::runtime_error(std::string("link monitor: netlink socket: ") + std::strerror(errno));
    sockaddr_nl sa{};
    sa.nl_family = AF_NETLINK;
    sa.nl_groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR;
    if (watch_.route_metric) sa.nl_groups |= RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE;
    if (bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
        int err = errno;
        close(fd_);
        throw std::runtime_error(std::string("link monitor: bind to RTNLGRP_LINK/IFADDR: ") + std::strerror(err));
    }
    // A group of thousands of VIPs changing owner is as many address notifications at once; room
    // for them avoids ENOBUFS and the full re-read (getifaddrs of every address) it costs.
    // SO_RCVBUFFORCE needs CAP_NET_ADMIN, which the daemon has; SO_RCVBUF is the fallback.
    int rcvbuf = 4 << 20;
    if (setsockopt(fd_, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) != 0)
        setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    desc_ = std::make_unique<boost::asio::posix::stream_descriptor>(io_, fd_);
    // Subscribe first, read the state second: a change between the two is seen as a notification.
    status_ = read_now();
}

LinkMonitor::~LinkMonitor() {
    *alive_ = false;
    boost::system::error_code ec;
    desc_->close(ec);
}

LinkStatus LinkMonitor::read_now() const {
    LinkStatus s;
    s.link_up = link_up_now(ifindex_);
    s.address_present = address_present_now(ifindex_, primary_);
    s.cause = cause_of(s, primary_, ifindex_);
    return s;
}

void LinkMonitor::start(Handler handler) {
    handler_ = std::move(handler);
    arm();
}

void LinkMonitor::arm() {
    std::weak_ptr<bool> alive = alive_;
    desc_->async_wait(boost::asio::posix::stream_descriptor::wait_read, [this, alive](const boost::system::error_code& ec) {
        if (ec || alive.expired() || !*alive.lock()) return;
        on_readable();
        if (!alive.expired() && *alive.lock()) arm();
    });
}

void LinkMonitor::update(LinkStatus next) {
    // Every VIP the daemon adds or removes is an RTM_NEWADDR/DELADDR on this socket: only a real
    // change is worth the interface-name lookup (a socket and an ioctl) of the cause text.
    if (next == status_) return;
    next.cause = cause_of(next, primary_, ifindex_);
    status_ = next;
    if (handler_) handler_(status_);
}

void LinkMonitor::on_readable() {
    alignas(nlmsghdr) char buf[16384];
    for (;;) {
        ssize_t n = recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
        if (n < 0) {
            if (errno == ENOBUFS) {
                // Notifications were lost (a burst overflowed the socket): read the truth again.
                update(read_now());
                continue;
            }
            return;  // EAGAIN: drained
        }
        LinkStatus next = status_;
        auto len = static_cast<unsigned>(n);
        for (auto* h = reinterpret_cast<nlmsghdr*>(buf); NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) on_message(h, next);
        update(next);
    }
}

void LinkMonitor::on_message(const nlmsghdr* h, LinkStatus& next) {
    if (h->nlmsg_type == RTM_NEWLINK || h->nlmsg_type == RTM_DELLINK) {
        const auto* ifi = static_cast<const ifinfomsg*>(NLMSG_DATA(h));
        if (ifi->ifi_index != ifindex_) return;
        next.link_up = h->nlmsg_type == RTM_NEWLINK && (ifi->ifi_flags & IFF_UP) && (ifi->ifi_flags & IFF_RUNNING);
    } else if (h->nlmsg_type == RTM_NEWADDR || h->nlmsg_type == RTM_DELADDR) {
        const auto* ifa = static_cast<const ifaddrmsg*>(NLMSG_DATA(h));
        const bool ours = static_cast<int>(ifa->ifa_index) == ifindex_;
        if (!ours && !(h->nlmsg_type == RTM_NEWADDR && watch_.recreated && !watch_.name.empty())) return;
        int attrlen = static_cast<int>(IFA_PAYLOAD(h));
        // IFA_LOCAL is the address itself on IPv4 (IFA_ADDRESS the peer's on point-to-point
        // links); IPv6 carries only IFA_ADDRESS.
        const rtattr* local = nullptr;
        const rtattr* address = nullptr;
        for (auto* rta = IFA_RTA(ifa); RTA_OK(rta, attrlen); rta = RTA_NEXT(rta, attrlen)) {
            if (rta->rta_type == IFA_LOCAL) local = rta;
            if (rta->rta_type == IFA_ADDRESS) address = rta;
        }
        const rtattr* a = local ? local : address;
        if (!a) return;
        auto addr = address_of(a);
        if (!addr) return;
        if (!ours) {
            // The primary address on another interface of our name: ours was deleted and made again.
            char name[IF_NAMESIZE] = {};
            if (*addr == primary_ && if_indextoname(ifa->ifa_index, name) && watch_.name == name)
                watch_.recreated(static_cast<int>(ifa->ifa_index));
            return;
        }
        if (*addr == primary_) next.address_present = h->nlmsg_type == RTM_NEWADDR;
        else if (h->nlmsg_type == RTM_DELADDR && watch_.address_removed && ifa->ifa_prefixlen == addr->size() * 8)
            watch_.address_removed(*addr);
    } else if (h->nlmsg_type == RTM_DELROUTE && watch_.route_metric && watch_.route_removed) {
        const auto* rtm = static_cast<const rtmsg*>(NLMSG_DATA(h));
        if (rtm->rtm_type != RTN_LOCAL || rtm->rtm_protocol != LocalRoutes::kRouteProtocol) return;
        std::uint32_t table = rtm->rtm_table, oif = 0, metric = 0;
        const rtattr* dst = nullptr;
        int attrlen = static_cast<int>(RTM_PAYLOAD(h));
        for (auto* rta = RTM_RTA(rtm); RTA_OK(rta, attrlen); rta = RTA_NEXT(rta, attrlen)) {
            if (rta->rta_type == RTA_TABLE) std::memcpy(&table, RTA_DATA(rta), sizeof table);
            if (rta->rta_type == RTA_OIF) std::memcpy(&oif, RTA_DATA(rta), sizeof oif);
            if (rta->rta_type == RTA_PRIORITY) std::memcpy(&metric, RTA_DATA(rta), sizeof metric);
            if (rta->rta_type == RTA_DST) dst = rta;
        }
        if (table != RT_TABLE_LOCAL || static_cast<int>(oif) != ifindex_ || metric != *watch_.route_metric || !dst) return;
        auto addr = address_of(dst);
        if (addr) watch_.route_removed(Prefix{*addr, rtm->rtm_dst_len});
    }
}

}  // namespace xvrrp
