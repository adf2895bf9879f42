#include "adapters/garp.hpp"

#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace xvrrp {

MacAddress interface_mac(int ifindex) {
    ifreq ifr{};
    if (!if_indextoname(static_cast<unsigned>(ifindex), ifr.ifr_name))
        throw std::runtime_error("no interface with index " + std::to_string(ifindex));
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw std::runtime_error(std::string("socket for SIOCGIFHWADDR: ") + std::strerror(errno));
    int r = ioctl(fd, SIOCGIFHWADDR, &ifr);
    int err = errno;
    close(fd);
    if (r != 0) throw std::runtime_error(std::string("SIOCGIFHWADDR ") + ifr.ifr_name + ": " + std::strerror(err));
    MacAddress mac{};
    std::memcpy(mac.data(), ifr.ifr_hwaddr.sa_data, 6);
    return mac;
}

Announcer::Announcer(boost::asio::io_context& io, int ifindex, const MacAddress& mac, AnnounceSettings settings)
    : io_(io), ifindex_(ifindex), mac_(mac), settings_(settings) {
    // Protocol 0: this socket only sends, the kernel queues nothing for it to read.
    fd_ = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd_ < 0) throw std::runtime_error(std::string("AF_PACKET socket for gratuitous ARP: ") + std::strerror(errno));
    if (settings_.repeat == 0) settings_.repeat = 1;
}

Announcer::~Announcer() {
    stop_all();
    if (fd_ >= 0) close(fd_);
}

void Announcer::announce(unsigned group, const std::vector<IpAddress>& vips) {
    stop(group);
    auto c = std::make_shared<Campaign>(io_);
    for (const auto& vip : vips) add_frames(c->frames, vip);
    c->rounds_left = settings_.repeat;
    c->second_burst_pending = settings_.second_burst_delay.count() > 0;
    campaigns_[group] = c;
    run(c);
}

void Announcer::add_frames(Frames& frames, const IpAddress& vip) const {
    if (vip.is_v4()) {
        frames.push_back(gratuitous_arp(mac_, vip, GarpForm::Request));
        if (settings_.reply_form) frames.push_back(gratuitous_arp(mac_, vip, GarpForm::Reply));
    } else {
        frames.push_back(unsolicited_na(mac_, vip));
    }
}

void Announcer::reassert(const IpAddress& vip) {
    Frames frames;
    for (unsigned i = 0; i < std::max(1u, settings_.repeat); ++i) add_frames(frames, vip);
    send_round(frames);
}

void Announcer::stop(unsigned group) {
    auto it = campaigns_.find(group);
    if (it == campaigns_.end()) return;
    it->second->timer.cancel();
    campaigns_.erase(it);
}

void Announcer::stop_all() {
    for (auto& [g, c] : campaigns_) c->timer.cancel();
    campaigns_.clear();
}

// One step of a campaign: a round now, then the timer for the next round, the second burst or
// the refresh. A stopped campaign's timer fires with operation_aborted and the chain ends.
void Announcer::run(const std::shared_ptr<Campaign>& c) {
    send_round(c->frames);
    std::chrono::milliseconds wait{0};
    if (--c->rounds_left > 0) {
        wait = settings_.round_gap;
    } else if (c->second_burst_pending) {
        c->second_burst_pending = false;
        c->rounds_left = settings_.repeat;
        wait = settings_.second_burst_delay;
    } else if (settings_.refresh.count() > 0) {
        c->rounds_left = settings_.refresh_repeat ? settings_.refresh_repeat : 1;
        wait = settings_.refresh;
    } else {
        return;
    }
    c->timer.expires_after(wait);
    std::weak_ptr<Campaign> weak = c;
    c->timer.async_wait([this, weak](const boost::system::error_code& ec) {
        if (ec) return;
        if (auto c = weak.lock()) run(c);
    });
}

void Announcer::send_round(Frames& frames) {
    // One sendmmsg per batch rather than one sendto per frame: a group of 128 VIPs is 640 frames
    // per burst, and a burst runs on the loop that also sends the adverts.
    constexpr std::size_t kBatch = 64;
    std::array<sockaddr_ll, kBatch> to{};
    std::array<iovec, kBatch> iov{};
    std::array<mmsghdr, kBatch> msgs{};
    for (std::size_t first = 0; first < frames.size(); first += kBatch) {
        const std::size_t n = std::min(kBatch, frames.size() - first);
        for (std::size_t i = 0; i < n; ++i) {
            auto& f = frames[first + i];
            to[i] = {};
            to[i].sll_family = AF_PACKET;
            to[i].sll_ifindex = ifindex_;
            to[i].sll_halen = 6;
            std::memcpy(to[i].sll_addr, f.data(), 6);
            to[i].sll_protocol = static_cast<unsigned short>(
                (f[12] << 8 | f[13]) == 0x0806 ? htons(ETH_P_ARP) : htons(ETH_P_IPV6));
            iov[i] = {f.data(), f.size()};
            msgs[i] = {};
            msgs[i].msg_hdr.msg_name = &to[i];
            msgs[i].msg_hdr.msg_namelen = sizeof to[i];
            msgs[i].msg_hdr.msg_iov = &iov[i];
            msgs[i].msg_hdr.msg_iovlen = 1;
        }
        std::size_t done = 0;
        while (done < n) {
            int r = sendmmsg(fd_, &msgs[done], static_cast<unsigned>(n - done), 0);
            if (r <= 0) {
                // The frame at `done` failed (or the socket is full): count it and go on.
                ++stats_.send_errors;
                ++done;
                continue;
            }
            for (int k = 0; k < r; ++k) {
                const auto i = done + static_cast<std::size_t>(k);
                if (msgs[i].msg_len != iov[i].iov_len) ++stats_.send_errors;
                else if (to[i].sll_protocol == htons(ETH_P_ARP)) ++stats_.garp_sent;
                else ++stats_.na_sent;
            }
            done += static_cast<std::size_t>(r);
        }
    }
}

}  // namespace xvrrp
