// Attach, adopt and detach of the XDP program; pinning under pin_root/config_name.
// Map writes live in dataplane_maps.cpp.
#include "adapters/dataplane.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fmt/format.h>
#include <linux/if_link.h>
#include <linux/magic.h>
#include <net/if.h>
#include <spdlog/spdlog.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <xdp/libxdp.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <ctime>
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
    if (ring_reader) ring_buffer__free(ring_reader);
    if (seen) munmap(const_cast<xvrrp_advert_seen*>(seen), seen_bytes);
    if (config_slots) munmap(const_cast<xvrrp_config_slot*>(config_slots), config_bytes);
    if (ring >= 0) close(ring);
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

// Which network namespace this is: interfaces of the same name in two namespaces that share one
// bpffs (test labs do) must not share pins.
std::string netns_id() {
    struct stat st {};
    if (stat("/proc/thread-self/ns/net", &st) != 0) return "0";
    return std::to_string(st.st_ino);
}


// An exclusive flock on the interface's pin directory, held while a config joins or leaves:
// locks are per inode, so controllers in separate containers that mount the same bpffs wait for
// each other. Closing the descriptor releases it, also when the holder dies.
class DirLock {
public:
    static Outcome<DirLock> take(const std::string& dir) {
        DirLock l;
        l.fd_ = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (l.fd_ < 0) return Error{fmt::format("opening {}: {}", dir, errno_text(errno))};
        if (flock(l.fd_, LOCK_EX) != 0)
            return Error{fmt::format("locking {}: {}", dir, errno_text(errno))};
        return l;
    }
    DirLock(DirLock&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
    DirLock& operator=(DirLock&&) = delete;
    ~DirLock() {
        if (fd_ >= 0) close(fd_);
    }

private:
    DirLock() = default;
    int fd_ = -1;
};

// An attached program of ours that the fresh one replaces in one netlink request
// (XDP_FLAGS_REPLACE with its fd as the expected program: CAP_NET_ADMIN, and never a program put
// there meanwhile), so ARP/NS for the VIPs never falls to the kernel in between.
struct Replace {
    int fd = -1;
    xdp_attach_mode mode = XDP_MODE_NATIVE;
    std::uint32_t id = 0;
    std::string what;
    Replace() = default;
    Replace(const Replace&) = delete;
    Replace& operator=(const Replace&) = delete;
    Replace(Replace&& o) noexcept : fd(std::exchange(o.fd, -1)), mode(o.mode), id(o.id), what(std::move(o.what)) {}
    Replace& operator=(Replace&& o) noexcept {
        std::swap(fd, o.fd);
        mode = o.mode;
        id = o.id;
        what = std::move(o.what);
        return *this;
    }
    ~Replace() {
        if (fd >= 0) close(fd);
    }
};

void remove_pins(const std::string& dir) {
    std::error_code ec;
    fs::remove_all(dir, ec);
    if (ec) spdlog::warn("removing pinned data plane {}: {}", dir, ec.message());
}

// Removes dir's parents up to (not including) root while they are empty.
void remove_empty_parents(fs::path dir, const fs::path& root) {
    std::error_code ec;
    for (dir = dir.parent_path(); !dir.empty() && dir != root && dir.string().size() > root.string().size();
         dir = dir.parent_path())
        if (!fs::remove(dir, ec)) break;
    fs::remove(root, ec);  // only if no other config left pins there
}

// ABI 2 pinned one program per config under pin_root/<config>. Found attached directly, it is
// replaced in place by the shared program; under libxdp's dispatcher it is taken off (libxdp).
// Its pins go either way once the new program runs.
Outcome<std::optional<Replace>> legacy_program(const Options& opts, int ifindex, const std::string& dir) {
    if (!fs::exists(dir + "/meta") && !fs::exists(dir + "/prog")) return std::optional<Replace>{};
    int fd = bpf_obj_get((dir + "/prog").c_str());
    if (fd < 0) return std::optional<Replace>{};
    Replace r;
    r.fd = fd;
    r.id = prog_id_of(fd);
    r.what = fmt::format("program {} pinned at {} by an older xvrrpd", r.id, dir);
    auto at = find_attachment(ifindex, r.id, opts.interface);
    if (!at) return at.error();
    switch (at.value().where) {
        case Attachment::Where::Absent: return std::optional<Replace>{};
        case Attachment::Where::Direct: r.mode = at.value().mode; return std::optional<Replace>{std::move(r)};
        case Attachment::Where::UnderDispatcher:
            if (Status s = detach_program(ifindex, fd, at.value(), opts.interface); !s)
                return Error{fmt::format("taking the {} off {}: {}", r.what, opts.interface, s.error)};
            spdlog::info("took the {} off libxdp's dispatcher on {}", r.what, opts.interface);
            return std::optional<Replace>{};
    }
    return std::optional<Replace>{};
}

// A config is alive while its heartbeat is younger than this (longer than any gate: the
// largest Master_Down_Interval at the slowest advert interval the generator allows is ~3.1 s).
constexpr std::uint64_t kAliveNs = 5'000'000'000ull;

std::uint64_t monotonic_ns() { return program_clock_ns(); }

// The age of a heartbeat as the program's liveness gate reads it (bpf group_stale): none for one
// never written, and none for one further in the future than the clocks can disagree
// (XVRRP_HEARTBEAT_FUTURE_SLACK_NS): garbage, which closes the gate and proves nobody alive.
std::optional<std::uint64_t> heartbeat_age(std::uint64_t beat, std::uint64_t now) {
    if (beat == 0) return std::nullopt;
    if (beat > now)
        return beat - now <= XVRRP_HEARTBEAT_FUTURE_SLACK_NS ? std::optional<std::uint64_t>(0) : std::nullopt;
    return now - beat;
}

// The program `fd`'s name, and the ids of its maps.
std::string program_name(int fd, std::array<std::uint32_t, 32>& map_ids, std::uint32_t& nr_maps) {
    bpf_prog_info info{};
    info.nr_map_ids = map_ids.size();
    info.map_ids = reinterpret_cast<std::uint64_t>(map_ids.data());
    std::uint32_t len = sizeof(info);
    if (bpf_obj_get_info_by_fd(fd, &info, &len) != 0) return {};
    nr_maps = std::min<std::uint32_t>(info.nr_map_ids, map_ids.size());
    return info.name;
}

// An error naming another config that still beats inside the xvrrp program `fd` (its bpffs is not
// ours to see: taking its program would cut it off), else nothing.
std::optional<Error> live_other_config(int fd, std::uint32_t id, const Options& opts) {
    std::array<std::uint32_t, 32> map_ids{};
    std::uint32_t nr_maps = 0;
    program_name(fd, map_ids, nr_maps);
    const std::uint64_t mine = name_hash(opts.config_name), now = monotonic_ns();
    for (std::uint32_t i = 0; i < nr_maps; ++i) {
        int mfd = bpf_map_get_fd_by_id(map_ids[i]);
        if (mfd < 0) continue;
        bpf_map_info mi{};
        std::uint32_t ml = sizeof(mi);
        const bool configs = bpf_obj_get_info_by_fd(mfd, &mi, &ml) == 0 &&
                             std::string_view(mi.name) == "xvrrp_configs" &&
                             mi.value_size == sizeof(xvrrp_config_slot);
        for (std::uint32_t k = 0; configs && k < mi.max_entries; ++k) {
            xvrrp_config_slot c{};
            if (bpf_map_lookup_elem(mfd, &k, &c) != 0 || !c.in_use || c.name_hash == mine) continue;
            if (auto age = heartbeat_age(c.heartbeat_ns, now); age && *age < kAliveNs) {
                close(mfd);
                std::string name(c.name, strnlen(c.name, sizeof(c.name)));
                return Error{fmt::format(
                    "the xvrrp program {} on {} serves config '{}' (pid {}), alive, whose pins this "
                    "controller cannot see: every config on an interface must mount the same bpffs "
                    "(the host's /sys/fs/bpf)", id, opts.interface, name, c.pid)};
            }
        }
        close(mfd);
    }
    return std::nullopt;
}

// Under libxdp's dispatcher an orphan cannot be swapped in place: it is taken off (libxdp), and
// the fresh program joins the dispatcher after it. Programs of other projects stay.
Status take_orphans_off_dispatcher(const Options& opts, int ifindex) {
    xdp_multiprog* mp = xdp_multiprog__get_from_ifindex(ifindex);
    if (!mp || libxdp_get_error(mp)) return {};
    std::vector<std::uint32_t> ours;
    if (!xdp_multiprog__is_legacy(mp))
        for (xdp_program* p = xdp_multiprog__next_prog(nullptr, mp); p; p = xdp_multiprog__next_prog(p, mp))
            if (std::string_view(xdp_program__name(p)) == "xvrrp_xdp") ours.push_back(xdp_program__id(p));
    xdp_multiprog__close(mp);
    for (std::uint32_t id : ours) {
        int fd = bpf_prog_get_fd_by_id(id);
        if (fd < 0) continue;
        if (auto busy = live_other_config(fd, id, opts)) {
            close(fd);
            return {busy->message};
        }
        auto at = find_attachment(ifindex, id, opts.interface);
        Status off = at ? detach_program(ifindex, fd, at.value(), opts.interface) : Status{at.error().message};
        close(fd);
        if (!off) return {fmt::format("taking the unpinned xvrrp program {} off libxdp's dispatcher on {}: {}", id,
                                      opts.interface, off.error)};
        spdlog::warn("took the unpinned xvrrp program {} off libxdp's dispatcher on {}", id, opts.interface);
    }
    return {};
}

// The program attached to ifindex when it is an xvrrp program whose pins this controller cannot
// see: its pins died with a pod-local bpffs (SIGKILL, OOM kill), or a controller was killed
// between attaching and pinning. Recognised by its name; a program whose xvrrp_configs shows
// another config alive is refused. Looking programs up by id needs CAP_SYS_ADMIN; without it
// nothing is found and the attach reports the interface busy, with a hint.
Outcome<std::optional<Replace>> unpinned_program(const Options& opts, int ifindex) {
    auto holder = attached_program_id(ifindex);
    if (!holder || holder.value() == 0) return std::optional<Replace>{};
    int fd = bpf_prog_get_fd_by_id(holder.value());
    if (fd < 0) return std::optional<Replace>{};
    Replace r;
    r.fd = fd;
    r.id = holder.value();
    std::array<std::uint32_t, 32> map_ids{};
    std::uint32_t nr_maps = 0;
    const std::string name = program_name(fd, map_ids, nr_maps);
    if (name == "xdp_dispatcher") {
        if (Status s = take_orphans_off_dispatcher(opts, ifindex); !s) return Error{s.error};
        return std::optional<Replace>{};
    }
    if (name != "xvrrp_xdp") return std::optional<Replace>{};
    bpf_xdp_query_opts qo{};
    qo.sz = sizeof(qo);
    if (bpf_xdp_query(ifindex, 0, &qo) == 0 && qo.skb_prog_id == r.id) r.mode = XDP_MODE_SKB;
    if (auto busy = live_other_config(fd, r.id, opts)) return *busy;
    r.what = fmt::format("unpinned xvrrp program {}", r.id);
    return std::optional<Replace>{std::move(r)};
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

std::uint32_t mode_flag(xdp_attach_mode m) { return m == XDP_MODE_SKB ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE; }

// After a successful attach: pin the program and record what was loaded. On failure the program
// comes off again, so nothing half-set-up stays on the interface.
Status pin_and_record(Maps& m, const Options& opts, xvrrp_bpf* skel, int prog_fd) {
    Status result;
    std::string pin = m.pin_dir + "/prog";
    if (bpf_obj_pin(prog_fd, pin.c_str()))
        result = {fmt::format("pinning the program at {}: {}", pin, errno_text(errno))};
    std::uint32_t key = 0;
    xvrrp_meta meta{};
    meta.abi_version = XVRRP_ABI_VERSION;
    if (result.ok() && bpf_map_update_elem(bpf_map__fd(skel->maps.xvrrp_meta), &key, &meta, BPF_ANY))
        result = {fmt::format("writing the data plane metadata: {}", errno_text(errno))};
    if (!result.ok()) {
        auto at = find_attachment(m.ifindex, prog_id_of(prog_fd), opts.interface);
        Status undone = at ? detach_program(m.ifindex, prog_fd, at.value(), opts.interface)
                           : Status{at.error().message};
        if (!undone) spdlog::error("{}", undone.error);
    }
    return result;
}

Status set_pin_paths(Maps& m, xvrrp_bpf* skel) {
    bpf_map* map;
    bpf_object__for_each_map(map, skel->obj) {
        std::string pin = pin_name_of_map(bpf_map__name(map));
        if (!pin.empty() && bpf_map__set_pin_path(map, (m.pin_dir + "/" + pin).c_str()) != 0)
            return {fmt::format("setting the pin path of {}", bpf_map__name(map))};
    }
    return {};
}

// The object opened and its maps' pin paths in m.pin_dir; nullptr with `error`.
xvrrp_bpf* open_skeleton(Maps& m, Status& error) {
    xvrrp_bpf* skel = xvrrp_bpf__open();
    if (!skel) {
        error = {fmt::format("opening the XDP object: {}", errno_text(errno))};
        return nullptr;
    }
    if (error = set_pin_paths(m, skel); !error) {
        xvrrp_bpf__destroy(skel);
        return nullptr;
    }
    return skel;
}

// Loads the program with libbpf and swaps it for `old` in one netlink request.
AttachResult load_and_replace(Maps& m, const Options& opts, const Replace& old) {
    AttachResult out;
    xvrrp_bpf* skel = open_skeleton(m, out.status);
    if (!skel) return out;
    BpfLogCapture capture;
    if (int rc = xvrrp_bpf__load(skel); rc != 0) {
        out.status = {fmt::format("loading the XDP program: {}", errno_text(rc))};
        out.rejected_at_load = true;
        out.log = capture.text();
        xvrrp_bpf__destroy(skel);
        return out;
    }
    const int fd = bpf_program__fd(skel->progs.xvrrp_xdp);
    bpf_xdp_attach_opts ao{};
    ao.sz = sizeof(ao);
    ao.old_prog_fd = old.fd;
    if (int rc = bpf_xdp_attach(m.ifindex, fd, mode_flag(old.mode) | XDP_FLAGS_REPLACE, &ao); rc != 0) {
        out.status = {fmt::format("replacing the {} on {}: {}{}", old.what, opts.interface, errno_text(rc),
                                  rc == -EEXIST ? " (another program replaced it meanwhile)" : "")};
    } else {
        m.attach_mode = old.mode;
        m.under_dispatcher = false;
        out.status = pin_and_record(m, opts, skel, fd);
        if (out.status) spdlog::warn("replaced the {} on {} in place", old.what, opts.interface);
    }
    xvrrp_bpf__destroy(skel);  // the interface and the pins keep program and maps alive
    return out;
}

// Loads the program with its maps pinned in m.pin_dir and attaches it, native first when asked.
// direct: attach without libxdp's multi-program dispatcher.
AttachResult load_and_attach(Maps& m, const Options& opts, bool direct) {
    SkipDispatcher skip(direct);
    AttachResult out;
    Status& result = out.status;
    xvrrp_bpf* skel = open_skeleton(m, out.status);
    if (!skel) return out;
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
                    "it is its dispatcher, and xvrrpd to see whether it is an xvrrp program whose "
                    "pins were lost, both of which need CAP_SYS_ADMIN: detach it, add SYS_ADMIN, or "
                    "run with XVRRP_DATAPLANE=kernel)", other.value());
                break;
            }
        }
        if (rc == -EEXIST || rc == -EBUSY) {
            // Another program holds the interface outside libxdp's dispatcher: generic mode
            // cannot coexist with it either, and replacing it is not ours to decide.
            auto other = attached_program_id(m.ifindex);
            std::array<std::uint32_t, 32> ids{};
            std::uint32_t n = 0;
            int ofd = other && other.value() ? bpf_prog_get_fd_by_id(other.value()) : -1;
            const std::string name = ofd >= 0 ? program_name(ofd, ids, n) : "";
            if (ofd >= 0) close(ofd);
            if (name == "xdp_dispatcher")
                result.error += " (libxdp's dispatcher is attached, but libxdp's own state under the bpffs "
                                "is gone, so it cannot add a program to it: its bpffs was lost, e.g. a "
                                "pod-local one with its pod. It may hold other projects' programs: see "
                                "`xdp-loader status`, then `ip link set dev IF xdp off`, and mount the "
                                "host's /sys/fs/bpf)";
            else
                result.error += " (another XDP program, not xvrrp's, is attached outside libxdp's "
                                "dispatcher; detach it, or run with XVRRP_DATAPLANE=kernel)";
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
    if (result.ok()) result = pin_and_record(m, opts, skel, xdp_program__fd(prog));
    xdp_program__close(prog);
    xvrrp_bpf__destroy(skel);  // the interface and the pins keep program and maps alive
    return out;
}

// Through libxdp's dispatcher first, so other XDP programs can share the interface. The dispatcher
// loads ours as a BPF extension, which some kernels refuse where a plain XDP load works (6.12:
// "Extension program changes packet data, while original does not", as ours grows NS frames into
// NAs with bpf_xdp_adjust_tail and libxdp 1.3.1's dispatcher stub does not): then attach directly.
// With a program of ours to replace, it is swapped in place instead.
Status attach_fresh(Maps& m, const Options& opts, const std::optional<Replace>& old) {
    if (old) {
        AttachResult r = load_and_replace(m, opts, *old);
        if (r.rejected_at_load) spdlog::error("loading the XDP program failed; libbpf said:\n{}", r.log);
        return r.status;
    }
    AttachResult first = load_and_attach(m, opts, /*direct=*/false);
    if (first.status || !first.rejected_at_load) return first.status;
    spdlog::warn("the kernel refused the XDP program under libxdp's dispatcher ({}); retrying "
                 "without the dispatcher, so no other project's XDP program can share {}; "
                 "libbpf/libxdp said:\n{}", first.status.error, opts.interface, first.log);
    remove_pins(m.pin_dir);
    std::error_code ec;
    fs::create_directories(m.pin_dir, ec);
    if (ec) return {fmt::format("creating {}: {}", m.pin_dir, ec.message())};
    AttachResult direct = load_and_attach(m, opts, /*direct=*/true);
    if (direct.rejected_at_load)
        spdlog::error("loading the XDP program failed; libbpf/libxdp said:\n{}", direct.log);
    return direct.status;
}

enum class Shared { Usable, Absent };

// The interface's pins, when another config (or a previous run of this one) attached the program:
// usable when its ABI matches ours and it still runs on this interface. Pins of a program
// that no longer runs here are removed. A program of ours with another ABI that still runs is
// handed back in `old` to be replaced in place, unless another config still uses it.
Outcome<Shared> open_shared(Maps& m, const Options& opts, std::optional<Replace>& old) {
    if (!fs::exists(m.pin_dir + "/meta")) return Shared::Absent;
    if (Status s = open_pins(m); !s) {
        spdlog::info("the data plane pinned at {} is incomplete ({}): starting afresh", m.pin_dir, s.error);
        return Shared::Absent;
    }
    auto at = find_attachment(m.ifindex, m.prog_id, opts.interface);
    if (!at)
        return Error{fmt::format("cannot tell whether the data plane pinned at {} still runs on "
                                 "{}: {}", m.pin_dir, opts.interface, at.error().message)};
    if (at.value().where == Attachment::Where::Absent) {
        spdlog::info("the data plane pinned at {} no longer runs on {} (program {}): starting afresh",
                     m.pin_dir, opts.interface, m.prog_id);
        return Shared::Absent;
    }
    std::uint32_t key = 0;
    xvrrp_meta meta{};
    if (bpf_map_lookup_elem(m.meta, &key, &meta) || meta.abi_version != XVRRP_ABI_VERSION) {
        spdlog::info("the data plane pinned at {} has ABI version {} (this xvrrpd: {}): replacing it",
                     m.pin_dir, meta.abi_version, XVRRP_ABI_VERSION);
        if (at.value().where == Attachment::Where::UnderDispatcher) {
            if (Status s = detach_program(m.ifindex, m.prog, at.value(), opts.interface); !s)
                return Error{fmt::format("taking program {} pinned at {} off {}: {}", m.prog_id,
                                         m.pin_dir, opts.interface, s.error)};
        } else {
            Replace r;
            r.fd = dup(m.prog);
            r.id = m.prog_id;
            r.mode = at.value().mode;
            r.what = fmt::format("program {} of ABI version {}", m.prog_id, meta.abi_version);
            old = std::move(r);
        }
        return Shared::Absent;
    }
    m.attach_mode = at.value().mode;
    m.under_dispatcher = at.value().where == Attachment::Where::UnderDispatcher;
    return Shared::Usable;
}

Status map_config_slots(Maps& m) {
    const long page = sysconf(_SC_PAGESIZE);
    const std::size_t bytes = sizeof(xvrrp_config_slot) * XVRRP_MAX_CONFIGS;
    m.config_bytes = (bytes + static_cast<std::size_t>(page) - 1) / static_cast<std::size_t>(page) *
                     static_cast<std::size_t>(page);
    void* view = mmap(nullptr, m.config_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, m.configs, 0);
    if (view == MAP_FAILED) {
        m.config_bytes = 0;
        return {fmt::format("mapping xvrrp_configs: {}", errno_text(errno))};
    }
    m.config_slots = static_cast<volatile xvrrp_config_slot*>(view);
    return {};
}

std::string slot_name(const volatile xvrrp_config_slot& c) {
    std::string n;
    for (std::size_t i = 0; i < sizeof(c.name) && c.name[i]; ++i) n += c.name[i];
    return n;
}

bool slot_is(const volatile xvrrp_config_slot& c, const std::string& name) {
    if (!c.in_use || c.name_hash != name_hash(name)) return false;
    return slot_name(c) == name.substr(0, XVRRP_CONFIG_NAME_LEN);
}

// This config's slot: the one a previous run left (adopted), else a free one. With the
// interface's directory locked.
Outcome<bool> take_slot(Maps& m, const Options& opts, std::uint64_t& previous_heartbeat) {
    std::optional<std::uint8_t> free;
    for (std::uint8_t i = 0; i < XVRRP_MAX_CONFIGS; ++i) {
        volatile xvrrp_config_slot& c = m.config_slots[i];
        if (slot_is(c, opts.config_name)) {
            m.slot = i;
            previous_heartbeat = c.heartbeat_ns;
            c.pid = static_cast<std::uint32_t>(getpid());
            return true;
        }
        if (!c.in_use && !free) free = i;
    }
    if (!free) {
        std::vector<std::string> names;
        for (std::uint8_t i = 0; i < XVRRP_MAX_CONFIGS; ++i) names.push_back(slot_name(m.config_slots[i]));
        return Error{fmt::format("all {} config slots of the data plane on {} are taken ({}); "
                                 "`xvrrpd --cleanup` removes a config that is gone", XVRRP_MAX_CONFIGS,
                                 opts.interface, fmt::join(names, ", "))};
    }
    m.slot = *free;
    volatile xvrrp_config_slot& c = m.config_slots[m.slot];
    c.heartbeat_ns = 0;
    c.pid = static_cast<std::uint32_t>(getpid());
    for (std::size_t i = 0; i < sizeof(c.name); ++i)
        c.name[i] = i < opts.config_name.size() ? opts.config_name[i] : '\0';
    c.name_hash = name_hash(opts.config_name);
    c.in_use = 1;
    previous_heartbeat = 0;
    return false;
}

Status open_ring(Maps& m) {
    std::string path = fmt::format("{}/ring{}", m.pin_dir, m.slot);
    m.ring = bpf_obj_get(path.c_str());
    if (m.ring < 0) return {fmt::format("opening pinned {}: {}", path, errno_text(errno))};
    return {};
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

bool on_bpffs(const std::string& path) {
    struct statfs st {};
    return statfs(path.c_str(), &st) == 0 && static_cast<unsigned long>(st.f_type) == BPF_FS_MAGIC;
}

// '@' cannot be in a config name (check_config_name), so this never meets the per-config
// directories of ABI 2 beside it.
std::string interface_pin_dir(const Options& o) {
    return o.pin_root + "/if@" + netns_id() + "/" + o.interface;
}

Dataplane::Dataplane() = default;
Dataplane::Dataplane(Dataplane&& other) noexcept { *this = std::move(other); }
Dataplane& Dataplane::operator=(Dataplane&& other) noexcept {
    if (this != &other) {
        if (maps_) detach(false);
        mode_ = other.mode_;
        adopted_ = other.adopted_;
        joined_ = other.joined_;
        still_served_ = other.still_served_;
        released_vips_ = std::move(other.released_vips_);
        interface_ = std::move(other.interface_);
        maps_ = std::move(other.maps_);
    }
    return *this;
}
Dataplane::~Dataplane() {
    if (maps_) detach(false);
}

namespace {

struct Located {
    std::unique_ptr<Maps> maps;
    std::string legacy_dir;  // ABI 2's per-config pins
};

// Checks the options and finds where this config's data plane lives.
Outcome<Located> locate(const Options& opts) {
    if (auto why = check_config_name(opts.config_name)) return Error{*why};
    Located l;
    l.maps = std::make_unique<Maps>();
    l.maps->ifindex = static_cast<int>(if_nametoindex(opts.interface.c_str()));
    if (l.maps->ifindex == 0)
        return Error{fmt::format("interface '{}': {}", opts.interface, errno_text(errno))};
    std::string bpffs = fs::path(opts.pin_root).parent_path().string();
    if (!on_bpffs(bpffs))
        return Error{fmt::format("{} is not a bpffs mount (mount -t bpf bpf {}): the data plane "
                                 "pins its maps there", bpffs, bpffs)};
    l.maps->pin_dir = interface_pin_dir(opts);
    l.legacy_dir = opts.pin_root + "/" + opts.config_name;
    return l;
}

}  // namespace

Outcome<Dataplane> Dataplane::attach(const Options& opts) {
    route_bpf_logs_to_spdlog();
    Dataplane dp;
    dp.interface_ = opts.interface;
    if (opts.requested == ::xvrrp::Dataplane::Kernel) {
        spdlog::info("data plane: kernel (XVRRP_DATAPLANE=kernel): no BPF, the kernel answers "
                     "ARP/NS for the VIPs made local on {}", opts.interface);
        return dp;
    }
    auto located = locate(opts);
    if (!located) return located.error();
    std::unique_ptr<Maps> m = std::move(located.value().maps);
    std::error_code ec;
    fs::create_directories(m->pin_dir, ec);
    if (ec) return Error{fmt::format("creating {}: {}", m->pin_dir, ec.message())};
    auto lock = DirLock::take(m->pin_dir);
    if (!lock) return lock.error();

    std::optional<Replace> old;
    auto shared = open_shared(*m, opts, old);
    if (!shared) return shared.error();
    if (shared.value() == Shared::Usable) {
        dp.joined_ = true;
    } else {
        auto fresh = std::make_unique<Maps>();  // drop whatever open_shared opened
        fresh->ifindex = m->ifindex;
        fresh->pin_dir = m->pin_dir;
        m = std::move(fresh);
        const std::string& legacy = located.value().legacy_dir;
        if (!old) {
            auto l = legacy_program(opts, m->ifindex, legacy);
            if (!l) return l.error();
            old = std::move(l.value());
        }
        if (!old) {
            auto u = unpinned_program(opts, m->ifindex);
            if (!u) return u.error();
            old = std::move(u.value());
        }
        // The lock is on the directory itself: empty it, keep it.
        for (const auto& e : fs::directory_iterator(m->pin_dir, ec)) fs::remove_all(e.path(), ec);
        if (Status s = attach_fresh(*m, opts, old); !s) {
            for (const auto& e : fs::directory_iterator(m->pin_dir, ec)) fs::remove_all(e.path(), ec);
            return Error{s.error};
        }
        if (fs::exists(legacy + "/meta") || fs::exists(legacy + "/prog")) {
            remove_pins(legacy);
            spdlog::info("removed the per-config pins of an older xvrrpd at {}", legacy);
        }
        if (Status s = open_pins(*m); !s) return Error{s.error};
    }
    dp.mode_ = mode_of(m->attach_mode);
    if (Status s = map_config_slots(*m); !s) return Error{s.error};
    std::uint64_t previous_heartbeat = 0;
    auto adopted = take_slot(*m, opts, previous_heartbeat);
    if (!adopted) return adopted.error();
    dp.adopted_ = adopted.value();
    if (Status s = open_ring(*m); !s) return Error{s.error};
    m->ring_reader = ring_buffer__new(m->ring, on_conflict, &m->pending, nullptr);
    if (!m->ring_reader) return Error{fmt::format("conflict ring buffer: {}", errno_text(errno))};
    if (Status s = load_caches(*m); !s) return Error{s.error};
    if (auto age = heartbeat_age(previous_heartbeat, monotonic_ns()); dp.adopted_ && age) {
        for (std::uint32_t v = 1; v < XVRRP_VRID_SLOTS; ++v) {
            const xvrrp_group& g = m->groups_cache[v];
            dp.still_served_[v] = m->ours(static_cast<std::uint8_t>(v)) && g.owned && *age <= g.master_down_ns;
        }
    }
    dp.maps_ = std::move(m);
    spdlog::info("data plane: {}", dp.describe());
    return dp;
}

bool Dataplane::under_dispatcher() const { return maps_ && maps_->under_dispatcher; }

bool Dataplane::still_served(std::uint8_t vrid) const { return maps_ && still_served_[vrid]; }

std::vector<std::string> Dataplane::other_configs() const {
    std::vector<std::string> names;
    if (!maps_ || !maps_->config_slots) return names;
    for (std::uint8_t i = 0; i < XVRRP_MAX_CONFIGS; ++i)
        if (i != maps_->slot && maps_->config_slots[i].in_use) names.push_back(slot_name(maps_->config_slots[i]));
    return names;
}

std::string Dataplane::describe() const {
    if (!maps_) return fmt::format("kernel ARP/NS on {} (no BPF)", interface_);
    auto others = other_configs();
    return fmt::format("{} on {} (program id {}, {}, {} at {}, config slot {}{}{})", to_string(mode_),
                       interface_, maps_->prog_id,
                       maps_->under_dispatcher ? "in libxdp's dispatcher" : "attached directly",
                       joined_ ? "joined" : "pinned", maps_->pin_dir, maps_->slot,
                       adopted_ ? ", adopted from a previous run" : "",
                       others.empty() ? "" : fmt::format(", shared with {}", fmt::join(others, ", ")));
}

namespace {

// Takes this config out of the shared maps, and the program off the interface when no other
// config holds a slot. With the interface's directory locked.
Status leave(std::unique_ptr<Maps> m, const std::string& ifname) {
    if (Status s = release_config(*m); !s) return s;
    bool others = false;
    for (std::uint8_t i = 0; i < XVRRP_MAX_CONFIGS; ++i) others |= m->config_slots[i].in_use != 0;
    if (others) {
        spdlog::info("data plane on {}: this config's slot {} released, the program stays for the "
                     "other configs", ifname, m->slot);
        return {};
    }
    // The last config out: detach first, from here on the kernel alone answers ARP/NS.
    auto at = find_attachment(m->ifindex, m->prog_id, ifname);
    Status detached = at ? detach_program(m->ifindex, m->prog, at.value(), ifname) : Status{at.error().message};
    if (!detached)
        // Unpinning now would orphan a running program nobody could adopt or find by path.
        return {fmt::format("detaching XDP from {}: {}; the data plane stays pinned at {}", ifname,
                            detached.error, m->pin_dir)};
    if (at.value().where == Attachment::Where::Absent)
        spdlog::warn("XDP program {} was no longer attached to {}", m->prog_id, ifname);
    std::string dir = m->pin_dir;
    m.reset();
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec)) fs::remove_all(e.path(), ec);
    spdlog::info("data plane detached from {} and unpinned", ifname);
    return {};
}

}  // namespace

void Dataplane::detach(bool keep_pinned) {
    if (!maps_) return;
    if (keep_pinned) {
        spdlog::info("data plane left running for the next run of this config: {}", describe());
        maps_.reset();
        return;
    }
    std::string dir = maps_->pin_dir;
    {
        auto lock = DirLock::take(dir);
        if (!lock) spdlog::warn("{}: leaving without the lock", lock.error().message);
        if (Status s = leave(std::move(maps_), interface_); !s) spdlog::error("{}", s.error);
    }
    // Directories go after the lock is released (it is on the directory).
    std::error_code ec;
    if (fs::is_empty(dir, ec) && fs::remove(dir, ec))
        remove_empty_parents(dir, fs::path(dir).parent_path().parent_path());
}

Status Dataplane::cleanup(const Options& opts) {
    route_bpf_logs_to_spdlog();
    if (opts.requested == ::xvrrp::Dataplane::Kernel) return {};
    auto located = locate(opts);
    if (!located) return {located.error().message};
    std::unique_ptr<Maps> m = std::move(located.value().maps);
    const std::string& legacy = located.value().legacy_dir;
    std::error_code ec;
    if (fs::exists(legacy)) {
        int fd = bpf_obj_get((legacy + "/prog").c_str());
        if (fd >= 0) {
            auto at = find_attachment(m->ifindex, prog_id_of(fd), opts.interface);
            Status off = at ? detach_program(m->ifindex, fd, at.value(), opts.interface) : Status{at.error().message};
            close(fd);
            if (!off) return {fmt::format("the older xvrrpd's program pinned at {}: {}", legacy, off.error)};
        }
        remove_pins(legacy);
        spdlog::info("cleanup: removed {}", legacy);
    }
    if (fs::exists(m->pin_dir + "/meta")) {
        const std::string dir = m->pin_dir;
        {
            auto lock = DirLock::take(dir);
            if (!lock) return {lock.error().message};
            if (Status s = open_pins(*m); !s) return s;
            if (Status s = map_config_slots(*m); !s) return s;
            bool found = false;
            for (std::uint8_t i = 0; i < XVRRP_MAX_CONFIGS && !found; ++i)
                if (slot_is(m->config_slots[i], opts.config_name)) m->slot = i, found = true;
            if (!found) {
                spdlog::info("cleanup: config {} holds no slot in the data plane on {}", opts.config_name, opts.interface);
                return {};
            }
            if (Status s = load_caches(*m); !s) return s;
            if (Status s = leave(std::move(m), opts.interface); !s) return s;
        }
        if (fs::is_empty(dir, ec) && fs::remove(dir, ec)) remove_empty_parents(dir, fs::path(dir).parent_path().parent_path());
        return {};
    }
    // No pins at all: a program of ours whose pins are gone, unless another config lives in it.
    auto u = unpinned_program(opts, m->ifindex);
    if (!u) return {u.error().message};
    if (u.value()) {
        Attachment at{Attachment::Where::Direct, u.value()->mode, 0};
        if (Status s = detach_program(m->ifindex, u.value()->fd, at, opts.interface); !s) return s;
        spdlog::info("cleanup: took the {} off {}", u.value()->what, opts.interface);
    }
    return {};
}

Outcome<std::optional<std::uint32_t>> Dataplane::alive_controller(const Options& opts) {
    using Pid = std::optional<std::uint32_t>;
    route_bpf_logs_to_spdlog();
    if (opts.requested == ::xvrrp::Dataplane::Kernel) return Pid{};
    auto located = locate(opts);
    if (!located) return located.error();
    std::unique_ptr<Maps> m = std::move(located.value().maps);
    if (!fs::exists(m->pin_dir + "/meta")) return Pid{};
    if (Status s = open_pins(*m); !s) return Error{s.error};
    if (Status s = map_config_slots(*m); !s) return Error{s.error};
    const std::uint64_t now = monotonic_ns();
    for (std::uint8_t i = 0; i < XVRRP_MAX_CONFIGS; ++i) {
        const volatile xvrrp_config_slot& c = m->config_slots[i];
        if (!c.in_use || !slot_is(c, opts.config_name)) continue;
        if (auto age = heartbeat_age(c.heartbeat_ns, now); age && *age < kAliveNs) return Pid{c.pid};
    }
    return Pid{};
}

}  // namespace xvrrp::dataplane
