// Shared between dataplane.cpp (attach/adopt/detach) and dataplane_maps.cpp (map writes).
#pragma once

#include "adapters/dataplane.hpp"

#include <xdp/libxdp.h>

#include <array>
#include <set>
#include <string>
#include <string_view>
#include <vector>

struct ring_buffer;

namespace xvrrp::dataplane {

// Open descriptors of everything pinned under pin_dir (one per pinned object), plus the
// userspace copies that make own/disown ONE write each. One program and one set of maps serve
// every config on the interface; `slot` is this config's place among them (abi.h).
struct Maps {
    Maps() = default;
    Maps(const Maps&) = delete;
    Maps& operator=(const Maps&) = delete;
    ~Maps();

    int ifindex = 0;
    std::string pin_dir;            // the interface's shared pins
    int prog = -1, vip4 = -1, vip6 = -1, groups = -1, vrids = -1, peers = -1, stats = -1,
        configs = -1, meta = -1, advert_filter = -1, advert_seen = -1;
    int ring = -1;                  // this config's conflict ring (pin "ring<slot>")
    std::uint8_t slot = 0;
    std::uint32_t prog_id = 0;
    xdp_attach_mode attach_mode = XDP_MODE_UNSPEC;
    bool under_dispatcher = false;  // runs in libxdp's dispatcher (others may share the hook)
    ring_buffer* ring_reader = nullptr;
    std::vector<Conflict> pending;  // filled by the ring buffer callback
    std::array<xvrrp_group, XVRRP_VRID_SLOTS> groups_cache{};
    std::array<xvrrp_vrid_config, XVRRP_VRID_SLOTS> vrids_cache{};
    std::set<std::array<std::uint8_t, sizeof(xvrrp_peer_key)>> peers_cache;  // this config's
    std::array<xvrrp_advert_filter, XVRRP_ADVERT_SLOTS> filter_cache{};
    // xvrrp_advert_seen mapped read-only: the program's stamps are read without a system call.
    const volatile xvrrp_advert_seen* seen = nullptr;
    std::size_t seen_bytes = 0;
    // xvrrp_configs mapped read-write: the heartbeat is one store, no system call.
    volatile xvrrp_config_slot* config_slots = nullptr;
    std::size_t config_bytes = 0;
    bool ours(std::uint8_t vrid) const {
        return vrids_cache[vrid].configured && vrids_cache[vrid].config == slot;
    }
};

// Pin file name -> descriptor, and the BPF map each file holds ("prog" is the program).
struct PinnedObject {
    const char* name;
    const char* map;
    int Maps::*fd;
};
inline constexpr std::array<PinnedObject, 11> kPinnedObjects{{
    {"prog", nullptr, &Maps::prog},
    {"vip4", "xvrrp_vip4", &Maps::vip4},
    {"vip6", "xvrrp_vip6", &Maps::vip6},
    {"groups", "xvrrp_groups", &Maps::groups},
    {"vrids", "xvrrp_vrids", &Maps::vrids},
    {"peers", "xvrrp_peers", &Maps::peers},
    {"stats", "xvrrp_stats", &Maps::stats},
    {"configs", "xvrrp_configs", &Maps::configs},
    {"meta", "xvrrp_meta", &Maps::meta},
    {"advert_filter", "xvrrp_advert_filter", &Maps::advert_filter},
    {"advert_seen", "xvrrp_advert_seen", &Maps::advert_seen},
}};

// The pin file of a BPF map by its name in the object ("xvrrp_ring3" -> "ring3"); nullptr for
// maps we do not pin (.rodata and friends).
inline std::string pin_name_of_map(std::string_view map) {
    for (const auto& o : kPinnedObjects)
        if (o.map && map == o.map) return o.name;
    if (map.starts_with("xvrrp_ring")) return std::string(map.substr(6));
    return {};
}

std::string errno_text(int err);

// Where our program sits on an interface (dataplane_attachment.cpp).
struct Attachment {
    enum class Where { Absent, Direct, UnderDispatcher };
    Where where = Where::Absent;
    xdp_attach_mode mode = XDP_MODE_UNSPEC;
    std::uint32_t other_id = 0;  // the program holding the interface when it is not ours
};

// The id of the XDP program attached to ifindex in any mode (0: none), from netlink alone.
Outcome<std::uint32_t> attached_program_id(int ifindex);
// Finds our program (prog_id) on ifindex. Attached directly, netlink alone tells (no
// CAP_SYS_ADMIN). Only when another program holds the interface is libxdp asked whether ours
// runs under its dispatcher; libxdp looks programs up by id, so without CAP_SYS_ADMIN that is an
// error that says so.
Outcome<Attachment> find_attachment(int ifindex, std::uint32_t prog_id, const std::string& ifname);
// Takes our program (prog_fd, found at `at`) off ifindex. Direct: netlink with XDP_FLAGS_REPLACE
// and our fd as the expected program, so CAP_NET_ADMIN suffices and a program someone put there
// since is never removed. Under the dispatcher: libxdp (CAP_SYS_ADMIN). Absent: nothing to do.
Status detach_program(int ifindex, int prog_fd, const Attachment& at, const std::string& ifname);
// Fills the caches from the maps (a joined or adopted data plane has state already), disarms this
// config's advert filters and maps the advert stamps and the config slots.
Status load_caches(Maps& m);
// Clears every entry of this config (VRIDs, their groups, VIPs and filters, its peers) and frees
// its slot.
Status release_config(Maps& m);
// FNV-1a of a config name (xvrrp_config_slot.name_hash).
std::uint64_t name_hash(std::string_view name);

// bpf_ktime_get_ns() reads the host's CLOCK_MONOTONIC. A controller in a time namespace (Linux
// 5.6+) reads it shifted by its namespace's offset (/proc/self/timens_offsets): left as is, its
// heartbeat would be ahead of the program's clock (the gate reads that as garbage and closes) or
// behind it (the gate closes early or never opens). The offset, read once; 0 outside one.
std::int64_t timens_monotonic_offset_ns();
// The program's clock, read from here: CLOCK_MONOTONIC minus that offset.
std::uint64_t program_clock_ns();

}  // namespace xvrrp::dataplane
