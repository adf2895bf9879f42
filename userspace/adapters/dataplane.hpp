// The XDP data plane as the controller sees it: attach the program on the VRRP interface, or join
// the one another config attached there, or adopt the one a previous run of this config left;
// write its maps, read its counters and conflict reports, leave. Every config on one interface
// shares one program and its maps (each in its own slot, with its own heartbeat), so several
// ipfailover configs coexist on every kernel without libxdp's dispatcher.
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
    std::string config_name;                        // this config's slot name
    ::xvrrp::Dataplane requested = ::xvrrp::Dataplane::Xdp;  // XVRRP_DATAPLANE
    std::string pin_root = "/sys/fs/bpf/xvrrp";     // must be on a bpffs mount
};

// Whether path is a bpffs mount (where pins can live).
bool on_bpffs(const std::string& path);

// Where every config on opts.interface finds the shared program's pins: under pin_root, per
// network namespace (of the calling thread) and interface.
std::string interface_pin_dir(const Options& opts);

// One group of this config as the data plane needs it (Dataplane::claim).
struct ClaimedGroup {
    std::uint8_t vrid = 0;
    std::uint8_t versions = 0;  // XVRRP_VERSION_2 | XVRRP_VERSION_3
    bool unicast = false;
    std::span<const IpAddress> vips;
};

// Everything this config puts into the shared maps.
struct Claim {
    std::vector<ClaimedGroup> groups;
    std::vector<IpAddress> peers;  // unicast peers (empty in multicast mode)
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
    // Attaches the program to opts.interface, or joins the one pinned for that interface by
    // another config (same ABI version), and takes this config's slot: the one a
    // previous run of it left (adopted) or a free one. Leftovers of ours are recovered: a program
    // of an older ABI (pinned per config) or one whose pins are gone is replaced in place
    // (XDP_FLAGS_REPLACE), never a program that is not ours. `xdp` tries native mode and falls
    // back to generic; `xdp-generic` uses generic; `kernel` loads nothing.
    static Outcome<Dataplane> attach(const Options& opts);
    // Removes everything opts.config_name left in the data plane of opts.interface: its slot and
    // map entries, and the program and pins when no other config uses them (also an older ABI's
    // per-config pins). For a rollback to keepalived; safe when nothing is there.
    static Status cleanup(const Options& opts);
    // The pid a live controller of opts.config_name wrote into its slot on opts.interface, if its
    // heartbeat is younger than any controller lets it age (5 s): seen by whoever shares the
    // host's bpffs, where an instance lock in a pod's own runtime directory is not. nullopt when
    // no slot of the config is alive (or nothing is pinned, or `kernel` mode).
    static Outcome<std::optional<std::uint32_t>> alive_controller(const Options& opts);

    Dataplane(Dataplane&& other) noexcept;
    Dataplane& operator=(Dataplane&& other) noexcept;
    Dataplane(const Dataplane&) = delete;
    Dataplane& operator=(const Dataplane&) = delete;
    // Not yet detached: detach(false), so a stopped controller leaves nothing behind.
    ~Dataplane();

    Mode mode() const { return mode_; }
    bool adopted() const { return adopted_; }      // this config's slot came from a previous run
    bool joined() const { return joined_; }        // another config had attached the program
    // Names of the other configs holding a slot on this interface (their controllers may be dead).
    std::vector<std::string> other_configs() const;
    // Adopted: the group was owned when this run started and the previous run's heartbeat was
    // younger than the group's liveness gate, so it is still served and peers still follow it.
    bool still_served(std::uint8_t vrid) const;
    // Runs inside libxdp's multi-program dispatcher (other XDP programs may share the hook); false
    // when attached alone: libxdp could not load its dispatcher here, or the kernel refused our
    // program as a dispatcher extension.
    bool under_dispatcher() const;
    const std::string& interface() const { return interface_; }
    std::string describe() const;                  // one status line

    // Puts this config's groups, VIPs and peers into the shared maps: refused, with nothing
    // written, when a VRID or VIP is another config's on this interface; what a previous run of
    // this config left and the claim no longer has (VRIDs, VIPs, peers, filters) is cleared
    // first. Call before the first heartbeat.
    Status claim(const Claim& claim);
    // The VIPs the last claim took out of this config's entries (a previous run's that the new
    // plan does not have in the same group): provably ours, so their leftovers can go too.
    const std::vector<IpAddress>& released_vips() const { return released_vips_; }
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
    // Store CLOCK_MONOTONIC now as this config's heartbeat (call at least every advert interval).
    Status heartbeat();

    // Repeat absorption (abi.h, xvrrp_advert_filter): from now on XDP drops, and stamps, every
    // valid advert whose VRRP header and length equal `vrrp`'s (a message as received) from
    // `source`. One write, only when the armed advert changes.
    Status absorb_repeats(const IpAddress& source, std::span<const std::uint8_t> vrrp);
    Status stop_absorbing(Family family, std::uint8_t vrid);
    // The newest absorbed repeat of this group, this process's CLOCK_MONOTONIC nanoseconds (0:
    // none yet; the program's stamp shifted by a time namespace's offset, if any), and
    // how many were absorbed; read from the mapped xvrrp_advert_seen, no system call.
    std::uint64_t last_absorbed_ns(Family family, std::uint8_t vrid) const;
    std::uint64_t absorbed_count(Family family, std::uint8_t vrid) const;

    Counters read_counters() const;
    // Readable (epoll) when conflict reports are queued; -1 in kernel mode.
    int conflict_fd() const;
    std::vector<Conflict> poll_conflicts();

    // keep_pinned: leave everything as it is for the next run of this config (upgrade, restart):
    // owned groups stay owned until the heartbeat ages past their gate. Else clear this config's
    // slot and entries; the last config out detaches the program and removes the pins.
    void detach(bool keep_pinned);

private:
    Dataplane();
    Mode mode_ = Mode::Kernel;
    bool adopted_ = false;
    bool joined_ = false;
    std::string interface_;
    std::array<bool, XVRRP_VRID_SLOTS> still_served_{};
    std::vector<IpAddress> released_vips_;
    std::unique_ptr<Maps> maps_;
};

}  // namespace xvrrp::dataplane
