// Attach, adopt and detach of the XDP program; pinning under pin_root/config_name.
// Map writes live in dataplane_maps.cpp.
#include "adapters/dataplane.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fmt/format.h>
#include <linux/magic.h>
#include <net/if.h>
#include <spdlog/spdlog.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <xdp/libxdp.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "adapters/dataplane_internal.hpp"
#include "adapters/dataplane_log.hpp"
#include "xvrrp.skel.h"

namespace xvrrp::dataplane {

namespace fs = std::filesystem;

std::string_view to_string(Mode m) {
    switch (m) {
        case Mode::Native: return "xdp-native";
        case Mode::Generic: return "xdp-generic";
        case Mode::Kernel: return "kernel";
    }
    return "?";
}

Maps::~Maps() {
    if (ring) ring_buffer__free(ring);
    if (seen) munmap(const_cast<xvrrp_advert_seen*>(seen), seen_bytes);
    for (const auto& spec : kPinnedObjects)
        if (this->*spec.fd >= 0) close(this->*spec.fd);
}

std::string errno_text(int err) { return std::strerror(err < 0 ? -err : err); }

namespace {

// A directory name we create on bpffs: no separators, no dot names, nothing a shell mangles.
std::optional<std::string> check_config_name(const std::string& name) {
    if (name.empty()) return "the config name is empty";
    if (name == "." || name == ".." || name.size() > 200)
        return fmt::format("config name '{}' cannot be a pin directory", name);
    for (char c : name)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'))
            return fmt::format("config name '{}' has '{}': only letters, digits, '-', '_' and '.' "
                               "can name the pin directory", name, c);
    return std::nullopt;
}

bool on_bpffs(const std::string& path) {
    struct statfs st {};
    return statfs(path.c_str(), &st) == 0 && static_cast<unsigned long>(st.f_type) == BPF_FS_MAGIC;
}

std::uint32_t prog_id_of(int fd) {
    bpf_prog_info info{};
    std::uint32_t len = sizeof(info);
    if (bpf_obj_get_info_by_fd(fd, &info, &len)) return 0;
    return info.id;
}

Mode mode_of(xdp_attach_mode m) { return m == XDP_MODE_SKB ? Mode::Generic : Mode::Native; }

Status open_pins(Maps& m) {
    for (const auto& spec : kPinnedObjects) {
        std::string path = m.pin_dir + "/" + spec.name;
        int fd = bpf_obj_get(path.c_str());
        if (fd < 0) return {fmt::format("opening pinned {}: {}", path, errno_text(errno))};
        m.*spec.fd = fd;
    }
    m.prog_id = prog_id_of(m.prog);
    if (m.prog_id == 0) return {fmt::format("{}/prog is not a BPF program", m.pin_dir)};
    return {};
}

enum class Adoption { Adopted, StartFresh };

// A previous controller's data plane is adopted only if it is ours in every respect that
// matters: same ABI, same VLAN, and its program still attached to this interface. Everything is
// reached through the pins (bpf_obj_get needs CAP_BPF only) and netlink, never by id. A stale
// program of ours (other ABI or VLAN) still on the interface is taken off, or the fresh attach
// would find the interface busy.
Outcome<Adoption> try_adopt(Maps& m, const Options& opts) {
    if (!fs::exists(m.pin_dir + "/meta")) return Adoption::StartFresh;
    if (Status s = open_pins(m); !s) {
        spdlog::info("not adopting the data plane pinned at {}: {}", m.pin_dir, s.error);
        return Adoption::StartFresh;
    }
    auto at = find_attachment(m.ifindex, m.prog_id, opts.interface);
    if (!at)
        return Error{fmt::format("cannot tell whether the data plane pinned at {} still runs on "
                                 "{}: {}", m.pin_dir, opts.interface, at.error().message)};
    std::uint32_t key = 0;
    xvrrp_meta meta{};
    if (bpf_map_lookup_elem(m.meta, &key, &meta) || meta.abi_version != XVRRP_ABI_VERSION ||
        meta.vlan_id != opts.vlan_id) {
        spdlog::info("not adopting the data plane pinned at {}: ABI version {} VLAN {} (want {} "
                     "and {})", m.pin_dir, meta.abi_version, meta.vlan_id, XVRRP_ABI_VERSION,
                     opts.vlan_id);
        if (at.value().where != Attachment::Where::Absent) {
            if (Status s = detach_program(m.ifindex, m.prog, at.value(), opts.interface); !s)
                return Error{fmt::format("taking the stale program {} pinned at {} off {}: {}",
                                         m.prog_id, m.pin_dir, opts.interface, s.error)};
            spdlog::info("took the stale program {} off {}", m.prog_id, opts.interface);
        }
        return Adoption::StartFresh;
    }
    if (at.value().where == Attachment::Where::Absent) {
        spdlog::info("not adopting the data plane pinned at {}: program {} is not attached to {}",
                     m.pin_dir, m.prog_id, opts.interface);
        return Adoption::StartFresh;
    }
    m.attach_mode = at.value().mode;
    m.under_dispatcher = at.value().where == Attachment::Where::UnderDispatcher;
    return Adoption::Adopted;
}

// Does the program `fd` use the map with id `map_id`?
bool uses_map(int fd, std::uint32_t map_id) {
    std::array<std::uint32_t, 16> map_ids{};
    bpf_prog_info info{};
    info.nr_map_ids = map_ids.size();
    info.map_ids = reinterpret_cast<std::uint64_t>(map_ids.data());
    std::uint32_t len = sizeof(info);
    if (bpf_obj_get_info_by_fd(fd, &info, &len) != 0) return false;
    const auto end = map_ids.begin() + std::min<std::size_t>(info.nr_map_ids, map_ids.size());
    return std::find(map_ids.begin(), end, map_id) != end;
}

// A controller killed between attaching its program and pinning it leaves the program on the
// interface (alone, or in libxdp's dispatcher) with only its maps pinned (libbpf pins them at
// load): nothing to adopt, and a fresh attach would find the interface busy or run beside it. The
// orphan is recognised as ours because it uses the groups map pinned in our directory, and taken
// off. Looking programs up by id needs CAP_SYS_ADMIN; without it nothing is found here and the
// fresh attach reports what it meets.
void take_off_orphan(const Maps& m, const Options& opts) {
    auto holder = attached_program_id(m.ifindex);
    if (!holder || holder.value() == 0) return;
    int groups = bpf_obj_get((m.pin_dir + "/groups").c_str());
    if (groups < 0) return;
    bpf_map_info map_info{};
    std::uint32_t len = sizeof(map_info);
    const bool have_map = bpf_obj_get_info_by_fd(groups, &map_info, &len) == 0;
    close(groups);
    if (!have_map) return;
    std::vector<std::uint32_t> candidates{holder.value()};
    xdp_multiprog* mp = xdp_multiprog__get_from_ifindex(m.ifindex);
    if (mp && !libxdp_get_error(mp)) {
        if (!xdp_multiprog__is_legacy(mp))
            for (xdp_program* p = xdp_multiprog__next_prog(nullptr, mp); p; p = xdp_multiprog__next_prog(p, mp))
                candidates.push_back(xdp_program__id(p));
        xdp_multiprog__close(mp);
    }
    for (std::uint32_t id : candidates) {
        int fd = bpf_prog_get_fd_by_id(id);
        if (fd < 0) continue;
        if (uses_map(fd, map_info.id)) {
            auto at = find_attachment(m.ifindex, id, opts.interface);
            Status off = at ? detach_program(m.ifindex, fd, at.value(), opts.interface) : Status{at.error().message};
            if (off)
                spdlog::warn("took program {} off {}: ours, left unpinned by a controller stopped between "
                             "attaching and pinning it", id, opts.interface);
            else
                spdlog::error("taking our unpinned program {} off {}: {}", id, opts.interface, off.error);
        }
        close(fd);
    }
}

void remove_pins(const std::string& dir) {
    std::error_code ec;
    fs::remove_all(dir, ec);
    if (ec) spdlog::warn("removing pinned data plane {}: {}", dir, ec.message());
}

// Sets LIBXDP_SKIP_DISPATCHER for one attach attempt and restores the previous value after.
// libxdp reads the variable on every attach; the controller attaches once, at start-up, before
// any other thread could read the environment.
class SkipDispatcher {
public:
    explicit SkipDispatcher(bool on) : on_(on) {
        if (!on_) return;
        if (const char* v = std::getenv(kName)) previous_ = v;
        setenv(kName, "1", 1);
    }
    ~SkipDispatcher() {
        if (!on_) return;
        if (previous_) setenv(kName, previous_->c_str(), 1);
        else unsetenv(kName);
    }
    SkipDispatcher(const SkipDispatcher&) = delete;
    SkipDispatcher& operator=(const SkipDispatcher&) = delete;

private:
    static constexpr const char* kName = "LIBXDP_SKIP_DISPATCHER";
    bool on_;
    std::optional<std::string> previous_;
};

struct AttachResult {
    Status status;
    bool rejected_at_load = false;  // the kernel refused the program itself (no fd)
    std::string log;                // what libbpf/libxdp said then
};

// Loads the program with its maps pinned in m.pin_dir and attaches it, native first when asked.
// direct: attach without libxdp's multi-program dispatcher.
AttachResult load_and_attach(Maps& m, const Options& opts, bool direct) {
    SkipDispatcher skip(direct);
    AttachResult out;
    Status& result = out.status;
    xvrrp_bpf* skel = xvrrp_bpf__open();
    if (!skel) return {Status{fmt::format("opening the XDP object: {}", errno_text(errno))}};
    skel->rodata->cfg_vlan_id = opts.vlan_id;
    bpf_map* map;
    bpf_object__for_each_map(map, skel->obj) {
        const char* pin = pin_name_of_map(bpf_map__name(map));
        if (pin && bpf_map__set_pin_path(map, (m.pin_dir + "/" + pin).c_str()) != 0) {
            xvrrp_bpf__destroy(skel);
            return {Status{fmt::format("setting the pin path of {}", bpf_map__name(map))}};
        }
    }
    xdp_program* prog = xdp_program__from_bpf_obj(skel->obj, "xdp");
    if (long err = libxdp_get_error(prog)) {
        xvrrp_bpf__destroy(skel);
        return {Status{fmt::format("libxdp cannot use the XDP object: {}",
                                   errno_text(static_cast<int>(err)))}};
    }
    std::vector<xdp_attach_mode> modes{XDP_MODE_SKB};
    if (opts.requested == ::xvrrp::Dataplane::Xdp) modes.insert(modes.begin(), XDP_MODE_NATIVE);
    result = {"no attach mode tried"};
    for (xdp_attach_mode mode : modes) {
        BpfLogCapture capture;
        int rc = xdp_program__attach(prog, m.ifindex, mode, 0);
        const char* name = mode == XDP_MODE_NATIVE ? "native" : "generic";
        if (rc == 0) {
            m.attach_mode = mode;
            result = {};
            // Which way libxdp went: it falls back to a direct attach by itself when the
            // dispatcher cannot load (EPERM on hosts that refuse BPF extensions).
            auto holder = attached_program_id(m.ifindex);
            m.under_dispatcher =
                holder && holder.value() != prog_id_of(xdp_program__fd(prog));
            break;
        }
        result = {fmt::format("attaching XDP ({}) to {}: {}", name, opts.interface, errno_text(rc))};
        if (rc == -EPERM || rc == -EACCES) {
            // libxdp inspects a program already on the interface by id (CAP_SYS_ADMIN).
            auto other = attached_program_id(m.ifindex);
            if (other && other.value() != 0) {
                result.error += fmt::format(
                    " (XDP program {} is already attached; libxdp looks it up by id to see whether "
                    "it is its dispatcher, which needs CAP_SYS_ADMIN: detach it, add SYS_ADMIN, or "
                    "run with XVRRP_DATAPLANE=kernel)", other.value());
                break;
            }
        }
        if (rc == -EEXIST || rc == -EBUSY) {
            // Another program holds the interface outside libxdp's dispatcher: generic mode
            // cannot coexist with it either, and replacing it is not ours to decide.
            result.error += " (another XDP program is attached outside libxdp's dispatcher; "
                            "detach it, or run with XVRRP_DATAPLANE=kernel)";
            break;
        }
        if (xdp_program__fd(prog) < 0) {
            // Never got past the verifier: the caller decides whether that is final.
            out.rejected_at_load = true;
            out.log = capture.text();
            break;
        }
        if (mode == XDP_MODE_NATIVE)
            spdlog::warn("{}; falling back to generic (skb) XDP", result.error);
    }
    if (result.ok()) {
        std::string pin = m.pin_dir + "/prog";
        if (bpf_obj_pin(xdp_program__fd(prog), pin.c_str()))
            result = {fmt::format("pinning the program at {}: {}", pin, errno_text(errno))};
        std::uint32_t key = 0;
        xvrrp_meta meta{};
        meta.abi_version = XVRRP_ABI_VERSION;
        meta.vlan_id = opts.vlan_id;
        if (result.ok() &&
            bpf_map_update_elem(bpf_map__fd(skel->maps.xvrrp_meta), &key, &meta, BPF_ANY))
            result = {fmt::format("writing the data plane metadata: {}", errno_text(errno))};
        if (!result.ok()) {
            int fd = xdp_program__fd(prog);
            auto at = find_attachment(m.ifindex, prog_id_of(fd), opts.interface);
            Status undone = at ? detach_program(m.ifindex, fd, at.value(), opts.interface)
                               : Status{at.error().message};
            if (!undone) spdlog::error("{}", undone.error);
        }
    }
    xdp_program__close(prog);
    xvrrp_bpf__destroy(skel);  // the interface and the pins keep program and maps alive
    return out;
}

// Through libxdp's dispatcher first, so other XDP programs can share the interface. The dispatcher
// loads ours as a BPF extension, which some kernels refuse where a plain XDP load works (6.12:
// "Extension program changes packet data, while original does not", as ours grows NS frames into
// NAs with bpf_xdp_adjust_tail and libxdp 1.3.1's dispatcher stub does not): then attach directly.
Status attach_fresh(Maps& m, const Options& opts) {
    AttachResult first = load_and_attach(m, opts, /*direct=*/false);
    if (first.status || !first.rejected_at_load) return first.status;
    spdlog::warn("the kernel refused the XDP program under libxdp's dispatcher ({}); retrying "
                 "without the dispatcher, so no other XDP program can share {}; libbpf/libxdp "
                 "said:\n{}", first.status.error, opts.interface, first.log);
    remove_pins(m.pin_dir);
    std::error_code ec;
    fs::create_directories(m.pin_dir, ec);
    if (ec) return {fmt::format("creating {}: {}", m.pin_dir, ec.message())};
    AttachResult direct = load_and_attach(m, opts, /*direct=*/true);
    if (direct.rejected_at_load)
        spdlog::error("loading the XDP program failed; libbpf/libxdp said:\n{}", direct.log);
    return direct.status;
}

int on_conflict(void* ctx, void* data, size_t size) {
    if (size < sizeof(xvrrp_conflict)) return 0;
    const auto* ev = static_cast<const xvrrp_conflict*>(data);
    Conflict c;
    c.vrid = ev->vrid;
    std::memcpy(c.mac.data(), ev->mac, 6);
    if (ev->family == 4) {
        c.vip = IpAddress::v4_bytes(ev->addr);
    } else {
        std::array<std::uint8_t, 16> a{};
        std::memcpy(a.data(), ev->addr, 16);
        c.vip = IpAddress::v6(a);
    }
    static_cast<std::vector<Conflict>*>(ctx)->push_back(c);
    return 0;
}

}  // namespace

Dataplane::Dataplane() = default;
Dataplane::Dataplane(Dataplane&& other) noexcept { *this = std::move(other); }
Dataplane& Dataplane::operator=(Dataplane&& other) noexcept {
    if (this != &other) {
        if (maps_) detach(false);
        mode_ = other.mode_;
        adopted_ = other.adopted_;
        interface_ = std::move(other.interface_);
        maps_ = std::move(other.maps_);
    }
    return *this;
}
Dataplane::~Dataplane() {
    if (maps_) detach(false);
}

Outcome<Dataplane> Dataplane::attach(const Options& opts) {
    route_bpf_logs_to_spdlog();
    Dataplane dp;
    dp.interface_ = opts.interface;
    if (opts.requested == ::xvrrp::Dataplane::Kernel) {
        spdlog::info("data plane: kernel (XVRRP_DATAPLANE=kernel): no BPF, the kernel answers "
                     "ARP/NS for the addresses on {}", opts.interface);
        return dp;
    }
    if (auto why = check_config_name(opts.config_name)) return Error{*why};
    auto m = std::make_unique<Maps>();
    m->ifindex = static_cast<int>(if_nametoindex(opts.interface.c_str()));
    if (m->ifindex == 0)
        return Error{fmt::format("interface '{}': {}", opts.interface, errno_text(errno))};
    std::string bpffs = fs::path(opts.pin_root).parent_path().string();
    if (!on_bpffs(bpffs))
        return Error{fmt::format("{} is not a bpffs mount (mount -t bpf bpf {}): the data plane "
                                 "pins its maps there", bpffs, bpffs)};
    m->pin_dir = opts.pin_root + "/" + opts.config_name;
    std::error_code ec;
    fs::create_directories(m->pin_dir, ec);
    if (ec) return Error{fmt::format("creating {}: {}", m->pin_dir, ec.message())};

    auto adoption = try_adopt(*m, opts);
    if (!adoption) return adoption.error();
    if (adoption.value() == Adoption::Adopted) {
        dp.adopted_ = true;
    } else {
        auto fresh = std::make_unique<Maps>();  // drop whatever try_adopt opened
        fresh->ifindex = m->ifindex;
        fresh->pin_dir = m->pin_dir;
        m = std::move(fresh);
        take_off_orphan(*m, opts);
        remove_pins(m->pin_dir);
        fs::create_directories(m->pin_dir, ec);
        if (ec) return Error{fmt::format("creating {}: {}", m->pin_dir, ec.message())};
        if (Status s = attach_fresh(*m, opts); !s) {
            remove_pins(m->pin_dir);
            return Error{s.error};
        }
        if (Status s = open_pins(*m); !s) return Error{s.error};
    }
    dp.mode_ = mode_of(m->attach_mode);
    m->ring = ring_buffer__new(m->conflicts, on_conflict, &m->pending, nullptr);
    if (!m->ring) return Error{fmt::format("conflict ring buffer: {}", errno_text(errno))};
    if (Status s = load_caches(*m); !s) return Error{s.error};
    dp.maps_ = std::move(m);
    spdlog::info("data plane: {}", dp.describe());
    return dp;
}

bool Dataplane::under_dispatcher() const { return maps_ && maps_->under_dispatcher; }

std::string Dataplane::describe() const {
    if (!maps_) return fmt::format("kernel ARP/NS on {} (no BPF)", interface_);
    return fmt::format("{} on {} (program id {}, {}, {} {})", to_string(mode_), interface_,
                       maps_->prog_id,
                       maps_->under_dispatcher ? "in libxdp's dispatcher" : "attached directly",
                       adopted_ ? "adopted from" : "pinned at", maps_->pin_dir);
}

void Dataplane::detach(bool keep_pinned) {
    if (!maps_) return;
    if (keep_pinned) {
        spdlog::info("data plane left running for the next controller: {}", describe());
        maps_.reset();
        return;
    }
    // Detach first: from here on the kernel alone answers ARP/NS on this interface.
    auto at = find_attachment(maps_->ifindex, maps_->prog_id, interface_);
    Status detached = at ? detach_program(maps_->ifindex, maps_->prog, at.value(), interface_)
                         : Status{at.error().message};
    if (!detached) {
        // Unpinning now would orphan a running program nobody could adopt or find by path.
        spdlog::error("detaching XDP from {}: {}; the data plane stays pinned at {}", interface_,
                      detached.error, maps_->pin_dir);
        maps_.reset();
        return;
    }
    if (at.value().where == Attachment::Where::Absent)
        spdlog::warn("XDP program {} was no longer attached to {}", maps_->prog_id, interface_);
    std::string dir = maps_->pin_dir;
    maps_.reset();
    remove_pins(dir);
    std::error_code ec;
    fs::remove(fs::path(dir).parent_path(), ec);  // only if no other config left pins there
    spdlog::info("data plane detached from {} and unpinned", interface_);
}

}  // namespace xvrrp::dataplane
