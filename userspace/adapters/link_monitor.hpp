// Watches the VRRP interface through rtnetlink notifications (RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR,
// RTNLGRP_IPV6_IFADDR, and the route groups when asked) on the Asio loop: the link going down
// (administratively or losing its carrier), the interface being deleted, or its primary address
// disappearing puts every group in FAULT, as keepalived tracks its interface; coming back lets
// them negotiate again. It also reports what the daemon heals (issue 16): a host address or one
// of our local routes removed from the interface by someone, and the interface re-created under
// its name (a new ifindex) with the primary address on it.
#pragma once

#include "core/ip_address.hpp"
#include "core/prefix_cover.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

struct nlmsghdr;

namespace xvrrp {

struct LinkStatus {
    bool link_up = false;        // IFF_UP and IFF_RUNNING (carrier)
    bool address_present = false;
    bool healthy() const { return link_up && address_present; }
    // Why it is not healthy, for the state-change log line ("link down", "192.0.2.1 removed").
    std::string cause;
    bool operator==(const LinkStatus& o) const { return link_up == o.link_up && address_present == o.address_present; }
};

class LinkMonitor {
public:
    using Handler = std::function<void(const LinkStatus&)>;

    // What else to report. `name` is the interface's name (re-creation is followed by name);
    // `route_metric` selects our local routes (table local, LocalRoutes::kRouteProtocol, this
    // metric) and subscribes to route notifications.
    struct Watch {
        std::string name;
        std::optional<std::uint32_t> route_metric;
        std::function<void(const IpAddress&)> address_removed;  // a /32 or /128 on the interface
        std::function<void(const Prefix&)> route_removed;      // one of our local routes
        std::function<void(int ifindex)> recreated;             // the interface is back, new index
    };

    // `primary` is the node address that must stay on the interface. Throws std::runtime_error.
    LinkMonitor(boost::asio::io_context& io, int ifindex, const IpAddress& primary, Watch watch = {});
    ~LinkMonitor();
    LinkMonitor(const LinkMonitor&) = delete;
    LinkMonitor& operator=(const LinkMonitor&) = delete;

    // The state read from the kernel at construction (and after any resynchronisation).
    const LinkStatus& status() const { return status_; }
    // Calls `handler` on every change of link_up or address_present.
    void start(Handler handler);

private:
    void arm();
    void on_readable();
    LinkStatus read_now() const;
    void update(LinkStatus next);

    void on_message(const ::nlmsghdr* h, LinkStatus& next);

    boost::asio::io_context& io_;
    int ifindex_;
    IpAddress primary_;
    Watch watch_;
    int fd_ = -1;
    std::unique_ptr<boost::asio::posix::stream_descriptor> desc_;
    LinkStatus status_;
    Handler handler_;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace xvrrp
