// Announces a new VIP owner on the link: gratuitous ARP for IPv4 VIPs, unsolicited Neighbour
// Advertisements for IPv6 VIPs, written to an AF_PACKET socket on the VRRP interface.
//
// Timing matches keepalived's defaults as OpenShift runs them: `repeat` (garp_master_repeat, 5)
// rounds of one frame per VIP at once, a second burst `second_burst_delay` later
// (garp_master_delay, 5 s), and an optional periodic `refresh` (garp_master_refresh, off) for
// switches whose forwarding tables age out before the gateway's ARP cache. Rounds are spaced by
// `round_gap` on the Asio loop, never by sleeping.
#pragma once

#include "core/announcement.hpp"
#include "core/ip_address.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <vector>

namespace xvrrp {

struct AnnounceSettings {
    unsigned repeat = 5;
    std::chrono::milliseconds round_gap{0};
    std::chrono::milliseconds second_burst_delay{5000};  // 0 = no second burst
    bool reply_form = false;                             // also send the ARP reply form
    std::chrono::milliseconds refresh{0};                // 0 = no periodic refresh
    unsigned refresh_repeat = 1;
};

struct AnnounceStats {
    std::uint64_t garp_sent = 0;
    std::uint64_t na_sent = 0;
    std::uint64_t send_errors = 0;
};

// The interface's hardware address (SIOCGIFHWADDR). Throws std::runtime_error naming it.
MacAddress interface_mac(int ifindex);

class Announcer {
public:
    Announcer(boost::asio::io_context& io, int ifindex, const MacAddress& mac, AnnounceSettings settings);
    ~Announcer();
    Announcer(const Announcer&) = delete;
    Announcer& operator=(const Announcer&) = delete;

    // Starts announcing `vips` for `group` (replacing any campaign the group had): the first
    // round goes out now.
    void announce(unsigned group, const std::vector<IpAddress>& vips);
    // Re-asserts one VIP against a conflicting claim: `repeat` copies of its GARP (and reply
    // form) or NA now, with no later rounds; a group's campaign is left alone.
    void reassert(const IpAddress& vip);
    // Stops the group's pending rounds and refresh (on leaving MASTER).
    void stop(unsigned group);
    void stop_all();

    const AnnounceStats& stats() const { return stats_; }
    const AnnounceSettings& settings() const { return settings_; }

private:
    using Frames = std::vector<std::vector<std::uint8_t>>;
    struct Campaign {
        explicit Campaign(boost::asio::io_context& io) : timer(io) {}
        Frames frames;  // built once per campaign
        boost::asio::steady_timer timer;
        unsigned rounds_left = 0;
        bool second_burst_pending = false;
    };

    void run(const std::shared_ptr<Campaign>& c);
    void add_frames(Frames& frames, const IpAddress& vip) const;
    void send_round(Frames& frames);

    boost::asio::io_context& io_;
    int ifindex_;
    MacAddress mac_;
    AnnounceSettings settings_;
    int fd_ = -1;
    std::map<unsigned, std::shared_ptr<Campaign>> campaigns_;
    AnnounceStats stats_;
};

}  // namespace xvrrp
