// The XDP data plane as the controller sees it: attach (or adopt) the program on the VRRP
// interface, write its maps, read its counters and conflict reports, detach.
// One map write owns or disowns a group whatever the number of its VIPs (docs/dataplane.md).
// In `kernel` mode (XVRRP_DATAPLANE=kernel) every call is a successful no-op, so the daemon does
// not branch: the kernel answers ARP/NS for the addresses the daemon adds.
#pragma once

#include "core/config.hpp"
#include "core/ip_address.hpp"
#include "xvrrp/abi.h"

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace xvrrp::dataplane {

using Mac = std::array<std::uint8_t, 6>;

// What is active, as reported in the status: native (driver) XDP, generic (skb) XDP, or no BPF.
enum class Mode { Native, Generic, Kernel };
std::string_view to_string(Mode m);

struct Options {
    std::string interface;                          // the VRRP interface
    std::string config_name;                        // pin directory name under pin_root
    ::xvrrp::Dataplane requested = ::xvrrp::Dataplane::Xdp;  // XVRRP_DATAPLANE
    std::uint16_t vlan_id = 0;                      // 0: untagged frames; else one 802.1Q VLAN
    std::string pin_root = "/sys/fs/bpf/xvrrp";     // must be on a bpffs mount
};

// A map write or attach that failed, with the object and the kernel's reason in the message.
struct Error {
    std::string message;
};

template <class T>
class Outcome {
public:
    Outcome(T value) : v_(std::move(value)) {}
    Outcome(Error error) : v_(std::move(error)) {}
    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }
    T& value() { return std::get<0>(v_); }
    const T& value() const { return std::get<0>(v_); }
    const Error& error() const { return std::get<1>(v_); }

private:
    std::variant<T, Error> v_;
};

// Result of a map write: empty message = done.
struct Status {
    std::string error;
    bool ok() const { return error.empty(); }
    explicit operator bool() const { return ok(); }
};

// Per-CPU counters summed over CPUs, indexed by enum xvrrp_counter.
struct Counters {
    std::array<std::uint64_t, XVRRP_C_COUNT> values{};
    std::uint64_t operator[](xvrrp_counter c) const { return values[static_cast<std::size_t>(c)]; }
    std::uint64_t dropped(xvrrp_reason r) const {
        return values[static_cast<std::size_t>(int{XVRRP_C_VRRP_DROP_BASE} + int{r})];
    }
};

// Metric-friendly name of a counter index: "arp_replied", "vrrp_drop_bad_ttl", ...
std::string_view counter_name(int index);

// Someone else claimed one of our owned VIPs (ARP reply, gratuitous ARP or NA from another MAC).
struct Conflict {
    IpAddress vip;
    std::uint8_t vrid = 0;
    Mac mac{};
};

struct Maps;  // the open map descriptors (dataplane.cpp)

class Dataplane {
public:
    // Attaches the program to opts.interface, or adopts the one a previous controller left
    // pinned under pin_root/config_name when its ABI version and VLAN setting match. `xdp` tries
    // native mode and falls back to generic; `xdp-generic` uses generic; `kernel` loads nothing.
    static Outcome<Dataplane> attach(const Options& opts);

    Dataplane(Dataplane&& other) noexcept;
    Dataplane& operator=(Dataplane&& other) noexcept;
    Dataplane(const Dataplane&) = delete;
    Dataplane& operator=(const Dataplane&) = delete;
    // Not yet detached: detach(false), so a stopped controller leaves nothing behind.
    ~Dataplane();

    Mode mode() const { return mode_; }
    bool adopted() const { return adopted_; }      // program and maps came from a previous run
    // Runs inside libxdp's multi-program dispatcher (other XDP programs may share the hook); false
    // when attached alone: libxdp could not load its dispatcher here, or the kernel refused our
    // program as a dispatcher extension.
    bool under_dispatcher() const;
    const std::string& interface() const { return interface_; }
    std::string describe() const;                  // one status line

    // What adverts XDP lets through for this VRID (versions: XVRRP_VERSION_2 | XVRRP_VERSION_3).
    Status set_vrid_config(std::uint8_t vrid, std::uint8_t versions, bool unicast);
    Status clear_vrid_config(std::uint8_t vrid);
    // The unicast peers (all families); replaces the previous set.
    Status set_peers(const std::vector<IpAddress>& peers);
    Status add_vip(const IpAddress& vip, std::uint8_t vrid);
    // Every VIP of a group in one batch per family (BPF_MAP_UPDATE_BATCH; one by one where the
    // kernel has no batch operation): 65,536 single writes took half a second at start-up.
    Status add_vips(std::span<const IpAddress> vips, std::uint8_t vrid);
    Status remove_vip(const IpAddress& vip);
    // ONE write each. master_down is the liveness gate of this group: answers stop when the
    // heartbeat is older (use the group's Master_Down_Interval).
    Status own_group(std::uint8_t vrid, const Mac& mac, std::chrono::nanoseconds master_down);
    Status disown_group(std::uint8_t vrid);
    // Write CLOCK_MONOTONIC now into the heartbeat map (call at least every advert interval).
    Status heartbeat();

    // Repeat absorption (abi.h, xvrrp_advert_filter): from now on XDP drops, and stamps, every
    // valid advert whose VRRP header and length equal `vrrp`'s (a message as received) from
    // `source`. One write, only when the armed advert changes.
    Status absorb_repeats(const IpAddress& source, std::span<const std::uint8_t> vrrp);
    Status stop_absorbing(Family family, std::uint8_t vrid);
    // The newest absorbed repeat of this group, CLOCK_MONOTONIC nanoseconds (0: none yet), and
    // how many were absorbed; read from the mapped xvrrp_advert_seen, no system call.
    std::uint64_t last_absorbed_ns(Family family, std::uint8_t vrid) const;
    std::uint64_t absorbed_count(Family family, std::uint8_t vrid) const;

    Counters read_counters() const;
    // Readable (epoll) when conflict reports are queued; -1 in kernel mode.
    int conflict_fd() const;
    std::vector<Conflict> poll_conflicts();

    // keep_pinned: leave program attached and maps pinned for the next controller (upgrade);
    // else detach from the interface, unpin everything and remove the pin directory.
    void detach(bool keep_pinned);

private:
    Dataplane();
    Mode mode_ = Mode::Kernel;
    bool adopted_ = false;
    std::string interface_;
    std::unique_ptr<Maps> maps_;
};

}  // namespace xvrrp::dataplane
