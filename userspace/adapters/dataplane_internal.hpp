// Shared between dataplane.cpp (attach/adopt/detach) and dataplane_maps.cpp (map writes).
#pragma once

#include "adapters/dataplane.hpp"

#include <xdp/libxdp.h>

#include <array>
#include <set>
#include <string>
#include <vector>

struct ring_buffer;

namespace xvrrp::dataplane {

// Open descriptors of everything pinned under pin_dir (one per pinned object), plus the
// userspace copies that make own/disown ONE write each.
struct Maps {
    Maps() = default;
    Maps(const Maps&) = delete;
    Maps& operator=(const Maps&) = delete;
    ~Maps();

    int ifindex = 0;
    std::string pin_dir;
    int prog = -1, vip4 = -1, vip6 = -1, groups = -1, vrids = -1, peers = -1, stats = -1,
        heartbeat = -1, conflicts = -1, meta = -1, advert_filter = -1, advert_seen = -1;
    std::uint32_t prog_id = 0;
    xdp_attach_mode attach_mode = XDP_MODE_UNSPEC;
    bool under_dispatcher = false;  // runs in libxdp's dispatcher (others may share the hook)
    ring_buffer* ring = nullptr;
    std::vector<Conflict> pending;  // filled by the ring buffer callback
    std::array<xvrrp_group, XVRRP_VRID_SLOTS> groups_cache{};
    std::set<std::array<std::uint8_t, sizeof(xvrrp_peer_key)>> peers_cache;
    std::array<xvrrp_advert_filter, XVRRP_ADVERT_SLOTS> filter_cache{};
    // xvrrp_advert_seen mapped read-only: the program's stamps are read without a system call.
    const volatile xvrrp_advert_seen* seen = nullptr;
    std::size_t seen_bytes = 0;
};

// Pin file name -> descriptor, and the BPF map each file holds ("prog" is the program).
struct PinnedObject {
    const char* name;
    const char* map;
    int Maps::*fd;
};
inline constexpr std::array<PinnedObject, 12> kPinnedObjects{{
    {"prog", nullptr, &Maps::prog},
    {"vip4", "xvrrp_vip4", &Maps::vip4},
    {"vip6", "xvrrp_vip6", &Maps::vip6},
    {"groups", "xvrrp_groups", &Maps::groups},
    {"vrids", "xvrrp_vrids", &Maps::vrids},
    {"peers", "xvrrp_peers", &Maps::peers},
    {"stats", "xvrrp_stats", &Maps::stats},
    {"heartbeat", "xvrrp_heartbeat", &Maps::heartbeat},
    {"conflicts", "xvrrp_conflicts", &Maps::conflicts},
    {"meta", "xvrrp_meta", &Maps::meta},
    {"advert_filter", "xvrrp_advert_filter", &Maps::advert_filter},
    {"advert_seen", "xvrrp_advert_seen", &Maps::advert_seen},
}};

// The pin file of a BPF map by its name in the object; nullptr for maps we do not pin
// (.rodata and friends).
inline const char* pin_name_of_map(std::string_view map) {
    for (const auto& o : kPinnedObjects)
        if (o.map && map == o.map) return o.name;
    return nullptr;
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
// Fills groups_cache and peers_cache from the maps (an adopted data plane has state already).
Status load_caches(Maps& m);

}  // namespace xvrrp::dataplane
