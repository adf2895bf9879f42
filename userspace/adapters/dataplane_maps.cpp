// The controller's writes into the data plane maps and its reads of counters and conflicts.
// Every call is a successful no-op in kernel mode (no maps).
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fmt/format.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <map>
#include <string>

#include "adapters/dataplane.hpp"
#include "adapters/dataplane_internal.hpp"
#include "core/fnv.hpp"

namespace xvrrp::dataplane {

namespace {

Status write(int fd, const void* key, const void* value, const char* what) {
    if (bpf_map_update_elem(fd, key, value, BPF_ANY) == 0) return {};
    if (errno == E2BIG || errno == ENOMEM)
        return {fmt::format("{}: map full ({})", what, errno_text(errno))};
    return {fmt::format("{}: {}", what, errno_text(errno))};
}

std::optional<std::string> check_vrid(std::uint8_t vrid) {
    if (vrid == 0) return "VRID 0 is not a VRRP router ID (RFC 5798 section 5.2.3: 1-255)";
    return std::nullopt;
}

std::array<std::uint8_t, sizeof(xvrrp_peer_key)> peer_key(const IpAddress& a, std::uint8_t slot) {
    xvrrp_peer_key k{};
    k.family = a.is_v4() ? 4 : 6;
    k.config = slot;
    std::memcpy(k.addr, a.bytes().data(), a.size());
    std::array<std::uint8_t, sizeof(xvrrp_peer_key)> bytes;
    std::memcpy(bytes.data(), &k, sizeof(k));
    return bytes;
}

std::uint32_t advert_slot(Family family, std::uint8_t vrid) {
    return (family == Family::V6 ? XVRRP_VRID_SLOTS : 0) + vrid;
}

std::uint32_t v4_key(const IpAddress& a) {
    std::uint32_t k;
    std::memcpy(&k, a.bytes().data(), 4);
    return k;
}

xvrrp_vip6_key v6_key(const IpAddress& a) {
    xvrrp_vip6_key k{};
    std::memcpy(k.addr, a.bytes().data(), 16);
    return k;
}

std::array<std::uint8_t, 16> addr16(const xvrrp_vip6_key& k) {
    std::array<std::uint8_t, 16> a{};
    std::memcpy(a.data(), k.addr, 16);
    return a;
}

// Every (key, value) of a VIP map, one lookup per key: the map holds at most XVRRP_MAX_VIPS, and
// this runs at start-up and stop only.
template <class Key>
std::vector<std::pair<Key, xvrrp_vip>> entries(int fd) {
    std::vector<std::pair<Key, xvrrp_vip>> out;
    Key key{}, next{};
    const void* prev = nullptr;
    while (bpf_map_get_next_key(fd, prev, &next) == 0) {
        xvrrp_vip v{};
        if (bpf_map_lookup_elem(fd, &next, &v) == 0) out.emplace_back(next, v);
        key = next;
        prev = &key;
    }
    return out;
}

template <class Key>
Status delete_keys(int fd, const std::vector<Key>& keys, const char* what) {
    for (const auto& k : keys)
        if (bpf_map_delete_elem(fd, &k) && errno != ENOENT)
            return {fmt::format("removing a {}: {}", what, errno_text(errno))};
    return {};
}

// Who serves this VRID on the interface, when it is another config: its name.
std::optional<std::string> served_by_other(const Maps& m, std::uint8_t vrid) {
    const xvrrp_vrid_config& c = m.vrids_cache[vrid];
    if (!c.configured || c.config == m.slot) return std::nullopt;
    if (c.config < XVRRP_MAX_CONFIGS && m.config_slots) {
        std::string n;
        const volatile xvrrp_config_slot& s = m.config_slots[c.config];
        for (std::size_t i = 0; i < sizeof(s.name) && s.name[i]; ++i) n += s.name[i];
        return n.empty() ? fmt::format("slot {}", c.config) : n;
    }
    return fmt::format("slot {}", c.config);
}

// VIP map keys as addresses.
void released_as_addresses(const std::vector<std::uint32_t>& keys4, const std::vector<xvrrp_vip6_key>& keys6,
                           std::vector<IpAddress>& out) {
    for (std::uint32_t k : keys4) out.push_back(IpAddress::v4_bytes(reinterpret_cast<const std::uint8_t*>(&k)));
    for (const auto& k : keys6) out.push_back(IpAddress::v6(addr16(k)));
}

// Clears the VRIDs marked in `drop` (this config's): VIPs pointing at them, their group and
// filter entries, their VRID config. `released`, when given, gets the VIPs whose entries went.
Status release_vrids(Maps& m, const std::array<bool, XVRRP_VRID_SLOTS>& drop, std::vector<IpAddress>* released = nullptr) {
    std::vector<std::uint32_t> gone4;
    for (const auto& [k, v] : entries<std::uint32_t>(m.vip4))
        if (drop[v.vrid]) gone4.push_back(k);
    std::vector<xvrrp_vip6_key> gone6;
    for (const auto& [k, v] : entries<xvrrp_vip6_key>(m.vip6))
        if (drop[v.vrid]) gone6.push_back(k);
    if (Status s = delete_keys(m.vip4, gone4, "VIP"); !s) return s;
    if (Status s = delete_keys(m.vip6, gone6, "VIP"); !s) return s;
    if (released) released_as_addresses(gone4, gone6, *released);
    const xvrrp_group no_group{};
    const xvrrp_vrid_config no_vrid{};
    const xvrrp_advert_filter off{};
    for (std::uint32_t v = 1; v < XVRRP_VRID_SLOTS; ++v) {
        if (!drop[v]) continue;
        if (Status s = write(m.groups, &v, &no_group, "group"); !s) return s;
        m.groups_cache[v] = no_group;
        if (Status s = write(m.vrids, &v, &no_vrid, "vrid config"); !s) return s;
        m.vrids_cache[v] = no_vrid;
        for (std::uint32_t slot : {v, XVRRP_VRID_SLOTS + v}) {
            if (Status s = write(m.advert_filter, &slot, &off, "advert filter"); !s) return s;
            m.filter_cache[slot] = off;
        }
    }
    return {};
}

}  // namespace

std::uint64_t name_hash(std::string_view name) {
    return fnv1a_64(name);
}

Status load_caches(Maps& m) {
    for (std::uint32_t vrid = 0; vrid < XVRRP_VRID_SLOTS; ++vrid) {
        if (bpf_map_lookup_elem(m.groups, &vrid, &m.groups_cache[vrid]))
            return {fmt::format("reading group {}: {}", vrid, errno_text(errno))};
        if (bpf_map_lookup_elem(m.vrids, &vrid, &m.vrids_cache[vrid]))
            return {fmt::format("reading vrid config {}: {}", vrid, errno_text(errno))};
    }
    // A previous run's armed filters would absorb adverts nobody follows any more: every group of
    // this config starts again from its first advert. Other configs' filters are theirs.
    const xvrrp_advert_filter off{};
    for (std::uint32_t slot = 0; slot < XVRRP_ADVERT_SLOTS; ++slot) {
        if (bpf_map_lookup_elem(m.advert_filter, &slot, &m.filter_cache[slot]))
            return {fmt::format("reading advert filter {}: {}", slot, errno_text(errno))};
        if (!m.filter_cache[slot].armed || !m.ours(static_cast<std::uint8_t>(slot % XVRRP_VRID_SLOTS))) continue;
        if (Status s = write(m.advert_filter, &slot, &off, "advert filter"); !s) return s;
        m.filter_cache[slot] = off;
    }
    if (!m.seen) {
        const long page = sysconf(_SC_PAGESIZE);
        const std::size_t bytes = sizeof(xvrrp_advert_seen) * XVRRP_ADVERT_SLOTS;
        m.seen_bytes = (bytes + static_cast<std::size_t>(page) - 1) / static_cast<std::size_t>(page) *
                       static_cast<std::size_t>(page);
        void* view = mmap(nullptr, m.seen_bytes, PROT_READ, MAP_SHARED, m.advert_seen, 0);
        if (view == MAP_FAILED) {
            m.seen_bytes = 0;
            return {fmt::format("mapping xvrrp_advert_seen: {}", errno_text(errno))};
        }
        m.seen = static_cast<const volatile xvrrp_advert_seen*>(view);
    }
    std::array<std::uint8_t, sizeof(xvrrp_peer_key)> key{}, next{};
    const void* prev = nullptr;
    m.peers_cache.clear();
    while (bpf_map_get_next_key(m.peers, prev, next.data()) == 0) {
        if (next[offsetof(xvrrp_peer_key, config)] == m.slot) m.peers_cache.insert(next);
        key = next;
        prev = key.data();
    }
    return {};
}

Status release_config(Maps& m) {
    std::array<bool, XVRRP_VRID_SLOTS> mine{};
    for (std::uint32_t v = 1; v < XVRRP_VRID_SLOTS; ++v) mine[v] = m.ours(static_cast<std::uint8_t>(v));
    if (Status s = release_vrids(m, mine); !s) return s;
    for (const auto& k : m.peers_cache)
        if (bpf_map_delete_elem(m.peers, k.data()) && errno != ENOENT)
            return {fmt::format("removing a unicast peer: {}", errno_text(errno))};
    m.peers_cache.clear();
    volatile xvrrp_config_slot& c = m.config_slots[m.slot];
    c.in_use = 0;
    c.heartbeat_ns = 0;
    c.pid = 0;
    c.name_hash = 0;
    for (std::size_t i = 0; i < sizeof(c.name); ++i) c.name[i] = '\0';
    return {};
}

std::string_view counter_name(int index) {
    static constexpr std::string_view names[XVRRP_C_COUNT] = {
        "packets", "pass_other", "arp_replied", "arp_drop_not_owned", "arp_drop_stale",
        "arp_pass_gratuitous", "arp_pass_non_vip", "arp_pass_malformed", "arp_conflict",
        "ns_replied", "ns_drop_not_owned", "ns_drop_stale", "ns_pass_non_vip",
        "ns_pass_malformed", "na_conflict", "vlan_tagged", "arp_pass_reply", "na_pass",
        "pass_other_vlan", "conflict_ring_full", "ns_no_tailroom", "vrrp_pass", "vrrp_absorbed",
        "vrrp_pass_foreign", "vrrp_pass_unattributed", "arp_pass_other_dest", "ns_pass_other_dest",
        "arp_sender_conflict", "ns_sender_conflict",
        // XVRRP_C_VRRP_DROP_BASE + enum xvrrp_reason
        "vrrp_drop_ok_unused", "vrrp_drop_truncated", "vrrp_drop_bad_ttl", "vrrp_drop_bad_version",
        "vrrp_drop_version_mismatch", "vrrp_drop_bad_type", "vrrp_drop_bad_length",
        "vrrp_drop_bad_addr_count", "vrrp_drop_bad_checksum", "vrrp_drop_bad_auth",
        "vrrp_drop_interval_mismatch", "vrrp_drop_unknown_vrid", "vrrp_drop_not_a_peer",
        "vrrp_drop_bad_source", "vrrp_drop_fragment", "vrrp_drop_bad_ip_header",
        "vrrp_drop_zero_interval"};
    static_assert(XVRRP_C_VRRP_DROP_BASE == 29 && XVRRP_REASON_COUNT == 17,
                  "abi.h counters or reasons changed: update the names above");
    if (index < 0 || index >= XVRRP_C_COUNT) return "unknown";
    return names[index];
}

Status Dataplane::set_vrid_config(std::uint8_t vrid, std::uint8_t versions, bool unicast) {
    if (!maps_) return {};
    if (auto why = check_vrid(vrid)) return {*why};
    if (versions == 0 || (versions & ~(XVRRP_VERSION_2 | XVRRP_VERSION_3)))
        return {fmt::format("VRID {}: versions mask {:#x} is not a set of VRRP 2 and 3", vrid,
                            versions)};
    if (auto other = served_by_other(*maps_, vrid))
        return {fmt::format("VRID {} is served by config '{}' on {}", vrid, *other, interface_)};
    xvrrp_vrid_config c{};
    c.configured = 1;
    c.versions = versions;
    c.unicast = unicast ? 1 : 0;
    c.config = maps_->slot;
    std::uint32_t key = vrid;
    Status s = write(maps_->vrids, &key, &c, "vrid config");
    if (s) maps_->vrids_cache[vrid] = c;
    return s;
}

Status Dataplane::clear_vrid_config(std::uint8_t vrid) {
    if (!maps_ || !maps_->ours(vrid)) return {};
    std::array<bool, XVRRP_VRID_SLOTS> drop{};
    drop[vrid] = true;
    return release_vrids(*maps_, drop);
}

Status Dataplane::set_peers(const std::vector<IpAddress>& peers) {
    if (!maps_) return {};
    std::set<std::array<std::uint8_t, sizeof(xvrrp_peer_key)>> want;
    for (const auto& p : peers) want.insert(peer_key(p, maps_->slot));
    if (want.size() > XVRRP_MAX_PEERS)
        return {fmt::format("{} unicast peers: the data plane holds at most {}", want.size(),
                            XVRRP_MAX_PEERS)};
    for (auto it = maps_->peers_cache.begin(); it != maps_->peers_cache.end();) {
        if (want.count(*it)) {
            ++it;
            continue;
        }
        if (bpf_map_delete_elem(maps_->peers, it->data()) && errno != ENOENT)
            return {fmt::format("removing a unicast peer: {}", errno_text(errno))};
        it = maps_->peers_cache.erase(it);
    }
    std::uint8_t one = 1;
    for (const auto& k : want) {
        if (maps_->peers_cache.count(k)) continue;
        if (Status s = write(maps_->peers, k.data(), &one, "unicast peer"); !s) return s;
        maps_->peers_cache.insert(k);
    }
    return {};
}

Status Dataplane::add_vip(const IpAddress& vip, std::uint8_t vrid) {
    return add_vips(std::span<const IpAddress>(&vip, 1), vrid);
}

Status Dataplane::add_vips(std::span<const IpAddress> vips, std::uint8_t vrid) {
    if (!maps_) return {};
    if (auto why = check_vrid(vrid)) return {*why};
    std::vector<std::uint32_t> keys4;
    std::vector<xvrrp_vip6_key> keys6;
    for (const auto& vip : vips) {
        // A VIP of another config's group on this interface is never taken over: that config's
        // controller answers for it.
        xvrrp_vip held{};
        const int found = vip.is_v4() ? bpf_map_lookup_elem(maps_->vip4, &keys4.emplace_back(v4_key(vip)), &held)
                                      : bpf_map_lookup_elem(maps_->vip6, &keys6.emplace_back(v6_key(vip)), &held);
        if (found == 0 && held.vrid != vrid)
            if (auto other = served_by_other(*maps_, held.vrid))
                return {fmt::format("VIP {} is in VRID {} of config '{}' on {}", vip.to_string(), held.vrid,
                                    *other, interface_)};
    }
    xvrrp_vip value{};
    value.vrid = vrid;
    const std::vector<xvrrp_vip> values(std::max(keys4.size(), keys6.size()), value);
    auto batch = [&](int fd, const void* keys, std::size_t n) -> bool {
        if (n == 0) return true;
        auto count = static_cast<__u32>(n);
        LIBBPF_OPTS(bpf_map_batch_opts, opts, .elem_flags = BPF_ANY);
        return bpf_map_update_batch(fd, keys, values.data(), &count, &opts) == 0;
    };
    if (batch(maps_->vip4, keys4.data(), keys4.size()) && batch(maps_->vip6, keys6.data(), keys6.size()))
        return {};
    // A full map, or a kernel without batch updates of hash maps (before 5.6): one by one, which
    // also names the VIP that did not fit.
    for (const auto& vip : vips) {
        std::string what = fmt::format("VIP {}", vip.to_string());
        Status s;
        if (vip.is_v4()) {
            const std::uint32_t k = v4_key(vip);
            s = write(maps_->vip4, &k, &value, what.c_str());
        } else {
            const xvrrp_vip6_key k = v6_key(vip);
            s = write(maps_->vip6, &k, &value, what.c_str());
        }
        if (!s) return s;
    }
    return {};
}

Status Dataplane::remove_vip(const IpAddress& vip) {
    if (!maps_) return {};
    int rc;
    xvrrp_vip held{};
    if (vip.is_v4()) {
        const std::uint32_t key = v4_key(vip);
        if (bpf_map_lookup_elem(maps_->vip4, &key, &held) == 0 && !maps_->ours(held.vrid)) return {};
        rc = bpf_map_delete_elem(maps_->vip4, &key);
    } else {
        const xvrrp_vip6_key key = v6_key(vip);
        if (bpf_map_lookup_elem(maps_->vip6, &key, &held) == 0 && !maps_->ours(held.vrid)) return {};
        rc = bpf_map_delete_elem(maps_->vip6, &key);
    }
    if (rc && errno != ENOENT)
        return {fmt::format("removing VIP {}: {}", vip.to_string(), errno_text(errno))};
    return {};
}

Status Dataplane::claim(const Claim& claim) {
    if (!maps_) return {};
    // Refused before anything is written: another config's VRIDs and VIPs.
    std::array<bool, XVRRP_VRID_SLOTS> wanted{};
    std::map<std::uint32_t, std::uint8_t> want4;
    std::map<std::array<std::uint8_t, 16>, std::uint8_t> want6;
    for (const auto& g : claim.groups) {
        if (auto why = check_vrid(g.vrid)) return {*why};
        if (auto other = served_by_other(*maps_, g.vrid))
            return {fmt::format("VRID {} is served by config '{}' on {}: configs sharing an interface "
                                "need VRIDs of their own (OPENSHIFT_HA_VRRP_ID_OFFSET)", g.vrid, *other,
                                interface_)};
        wanted[g.vrid] = true;
        for (const auto& vip : g.vips) {
            if (vip.is_v4()) want4[v4_key(vip)] = g.vrid;
            else want6[addr16(v6_key(vip))] = g.vrid;
        }
    }
    const auto held4 = entries<std::uint32_t>(maps_->vip4);
    const auto held6 = entries<xvrrp_vip6_key>(maps_->vip6);
    auto foreign = [&](std::uint8_t vrid) { return served_by_other(*maps_, vrid); };
    for (const auto& [k, v] : held4)
        if (want4.count(k))
            if (auto other = foreign(v.vrid)) {
                std::array<std::uint8_t, 4> b;
                std::memcpy(b.data(), &k, 4);
                return {fmt::format("VIP {} is in VRID {} of config '{}' on {}", IpAddress::v4_bytes(b.data()).to_string(),
                                    v.vrid, *other, interface_)};
            }
    for (const auto& [k, v] : held6) {
        const auto a = addr16(k);
        if (want6.count(a))
            if (auto other = foreign(v.vrid))
                return {fmt::format("VIP {} is in VRID {} of config '{}' on {}", IpAddress::v6(a).to_string(), v.vrid,
                                    *other, interface_)};
    }
    // What a previous run of this config left and this plan no longer has goes first.
    std::array<bool, XVRRP_VRID_SLOTS> gone{};
    for (std::uint32_t v = 1; v < XVRRP_VRID_SLOTS; ++v) gone[v] = maps_->ours(static_cast<std::uint8_t>(v)) && !wanted[v];
    released_vips_.clear();
    if (Status s = release_vrids(*maps_, gone, &released_vips_); !s) return s;
    std::vector<std::uint32_t> stale4;
    for (const auto& [k, v] : held4) {
        auto w = want4.find(k);
        if (maps_->ours(v.vrid) && (w == want4.end() || w->second != v.vrid)) stale4.push_back(k);
    }
    std::vector<xvrrp_vip6_key> stale6;
    for (const auto& [k, v] : held6) {
        auto w = want6.find(addr16(k));
        if (maps_->ours(v.vrid) && (w == want6.end() || w->second != v.vrid)) stale6.push_back(k);
    }
    if (Status s = delete_keys(maps_->vip4, stale4, "VIP"); !s) return s;
    if (Status s = delete_keys(maps_->vip6, stale6, "VIP"); !s) return s;
    released_as_addresses(stale4, stale6, released_vips_);
    if (Status s = set_peers(claim.peers); !s) return {"unicast peers: " + s.error};
    for (const auto& g : claim.groups) {
        if (Status s = set_vrid_config(g.vrid, g.versions, g.unicast); !s) return s;
        if (Status s = add_vips(g.vips, g.vrid); !s) return s;
    }
    return {};
}

Status Dataplane::own_group(std::uint8_t vrid, const Mac& mac,
                            std::chrono::nanoseconds master_down) {
    if (!maps_) return {};
    if (auto why = check_vrid(vrid)) return {*why};
    if (master_down.count() <= 0)
        return {fmt::format("VRID {}: master down interval must be positive, a zero liveness "
                            "gate would never answer", vrid)};
    if (auto other = served_by_other(*maps_, vrid))
        return {fmt::format("VRID {} is served by config '{}' on {}", vrid, *other, interface_)};
    xvrrp_group g{};
    g.owned = 1;
    g.config = maps_->slot;
    std::memcpy(g.mac, mac.data(), 6);
    g.master_down_ns = static_cast<std::uint64_t>(master_down.count());
    std::uint32_t key = vrid;
    Status s = write(maps_->groups, &key, &g, "own group");
    if (s) maps_->groups_cache[vrid] = g;
    return s;
}

Status Dataplane::disown_group(std::uint8_t vrid) {
    if (!maps_) return {};
    if (auto why = check_vrid(vrid)) return {*why};
    if (served_by_other(*maps_, vrid)) return {};  // never another config's group
    xvrrp_group g = maps_->groups_cache[vrid];
    g.owned = 0;
    g.config = maps_->slot;
    std::uint32_t key = vrid;
    Status s = write(maps_->groups, &key, &g, "disown group");
    if (s) maps_->groups_cache[vrid] = g;
    return s;
}

std::int64_t timens_monotonic_offset_ns() {
    static const std::int64_t offset = []() -> std::int64_t {
        std::ifstream in("/proc/self/timens_offsets");  // absent before Linux 5.6: no namespace
        std::string clock;
        long long sec = 0, nsec = 0;
        while (in >> clock >> sec >> nsec)
            if (clock == "monotonic") return static_cast<std::int64_t>(sec) * 1'000'000'000 + nsec;
        return std::int64_t{0};
    }();
    return offset;
}

std::uint64_t program_clock_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    const std::int64_t ns = static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
    return static_cast<std::uint64_t>(ns - timens_monotonic_offset_ns());
}

Status Dataplane::heartbeat() {
    if (!maps_) return {};
    // One aligned 64-bit store into the mapped slot: the program reads old or new, never a mix.
    maps_->config_slots[maps_->slot].heartbeat_ns = program_clock_ns();
    return {};
}

Status Dataplane::absorb_repeats(const IpAddress& source, std::span<const std::uint8_t> vrrp) {
    if (!maps_) return {};
    if (vrrp.size() < 8 || vrrp.size() > 0xffff)
        return {fmt::format("advert of {} bytes from {} cannot be absorbed", vrrp.size(),
                            source.to_string())};
    xvrrp_advert_filter f{};
    f.armed = 1;
    f.length = static_cast<std::uint16_t>(vrrp.size());
    std::memcpy(f.header, vrrp.data(), sizeof(f.header));
    std::memcpy(f.source, source.bytes().data(), source.size());
    if (served_by_other(*maps_, vrrp[1])) return {};  // another config's VRID: its filter
    const std::uint32_t slot = advert_slot(source.family(), vrrp[1]);
    if (std::memcmp(&maps_->filter_cache[slot], &f, sizeof(f)) == 0) return {};
    // One update of the whole value. A program reading it meanwhile may compare against the old
    // advert, the new one or a mix of both; a frame that matches a mix repeats fields of adverts
    // this group followed, and at worst counts as one more "master still alive".
    Status s = write(maps_->advert_filter, &slot, &f, "advert filter");
    if (s) maps_->filter_cache[slot] = f;
    return s;
}

Status Dataplane::stop_absorbing(Family family, std::uint8_t vrid) {
    if (!maps_) return {};
    const std::uint32_t slot = advert_slot(family, vrid);
    if (!maps_->filter_cache[slot].armed) return {};
    const xvrrp_advert_filter off{};
    Status s = write(maps_->advert_filter, &slot, &off, "advert filter");
    if (s) maps_->filter_cache[slot] = off;
    return s;
}

std::uint64_t Dataplane::last_absorbed_ns(Family family, std::uint8_t vrid) const {
    const std::uint64_t ns = maps_ && maps_->seen ? maps_->seen[advert_slot(family, vrid)].ns : 0;
    // The program's stamp, on this process's CLOCK_MONOTONIC (a time namespace shifts it).
    return ns == 0 ? 0 : static_cast<std::uint64_t>(static_cast<std::int64_t>(ns) + timens_monotonic_offset_ns());
}

std::uint64_t Dataplane::absorbed_count(Family family, std::uint8_t vrid) const {
    return maps_ && maps_->seen ? maps_->seen[advert_slot(family, vrid)].count : 0;
}

Counters Dataplane::read_counters() const {
    Counters c;
    if (!maps_) return c;
    int ncpu = libbpf_num_possible_cpus();
    if (ncpu <= 0) return c;
    std::vector<std::uint64_t> per_cpu(static_cast<std::size_t>(ncpu));
    for (std::uint32_t i = 0; i < XVRRP_C_COUNT; ++i) {
        if (bpf_map_lookup_elem(maps_->stats, &i, per_cpu.data())) continue;
        for (auto v : per_cpu) c.values[i] += v;
    }
    return c;
}

int Dataplane::conflict_fd() const { return maps_ ? ring_buffer__epoll_fd(maps_->ring_reader) : -1; }

std::vector<Conflict> Dataplane::poll_conflicts() {
    if (!maps_) return {};
    ring_buffer__consume(maps_->ring_reader);
    return std::exchange(maps_->pending, {});
}

}  // namespace xvrrp::dataplane
