#include "program.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <stdexcept>

#include "adapters/dataplane.hpp"
#include "xvrrp.skel.h"

namespace xvrrp::testing {

namespace {

void check(int rc, const std::string& what) {
    if (rc < 0) {
        int e = rc == -1 ? errno : -rc;
        throw std::runtime_error(what + ": " + std::strerror(e));
    }
}

// Index of a group in xvrrp_advert_filter / xvrrp_advert_seen (abi.h).
std::uint32_t advert_slot(bool v6, std::uint8_t vrid) { return (v6 ? XVRRP_VRID_SLOTS : 0u) + vrid; }

}  // namespace

ProgramUnderTest::ProgramUnderTest() {
    skel_ = xvrrp_bpf__open();
    if (!skel_) throw std::runtime_error(std::string("xvrrp_bpf__open: ") + std::strerror(errno));
    int rc = xvrrp_bpf__load(skel_);
    if (rc) {
        xvrrp_bpf__destroy(skel_);
        skel_ = nullptr;
        throw std::runtime_error(std::string("loading the XDP program failed: ") +
                                 std::strerror(-rc) +
                                 (geteuid() != 0 ? " (BPF tests need root)" : ""));
    }
    // Every group exists in the array; start all not owned with a zeroed MAC.
}

ProgramUnderTest::~ProgramUnderTest() {
    if (skel_) xvrrp_bpf__destroy(skel_);
}

void ProgramUnderTest::add_vip(const IpAddress& vip, std::uint8_t vrid) {
    struct xvrrp_vip value {};
    value.vrid = vrid;
    if (vip.is_v4()) {
        std::uint32_t key;
        std::memcpy(&key, vip.bytes().data(), 4);
        check(bpf_map_update_elem(bpf_map__fd(skel_->maps.xvrrp_vip4), &key, &value, BPF_ANY),
              "vip4 update");
    } else {
        struct xvrrp_vip6_key key;
        std::memcpy(key.addr, vip.bytes().data(), 16);
        check(bpf_map_update_elem(bpf_map__fd(skel_->maps.xvrrp_vip6), &key, &value, BPF_ANY),
              "vip6 update");
    }
}

void ProgramUnderTest::set_group(std::uint8_t vrid, bool owned, const frames::Mac& mac,
                                 std::uint64_t master_down_ns, std::uint8_t config) {
    struct xvrrp_group g {};
    g.owned = owned ? 1 : 0;
    g.config = config;
    std::memcpy(g.mac, mac.data(), 6);
    g.master_down_ns = master_down_ns;
    std::uint32_t key = vrid;
    check(bpf_map_update_elem(bpf_map__fd(skel_->maps.xvrrp_groups), &key, &g, BPF_ANY),
          "groups update");
}

void ProgramUnderTest::set_vrid(std::uint8_t vrid, std::uint8_t versions, bool unicast,
                                std::uint8_t config) {
    struct xvrrp_vrid_config c {};
    c.configured = 1;
    c.config = config;
    c.versions = versions;
    c.unicast = unicast ? 1 : 0;
    std::uint32_t key = vrid;
    check(bpf_map_update_elem(bpf_map__fd(skel_->maps.xvrrp_vrids), &key, &c, BPF_ANY),
          "vrids update");
}

void ProgramUnderTest::add_peer(const IpAddress& peer, std::uint8_t config) {
    struct xvrrp_peer_key key {};
    key.family = peer.is_v4() ? 4 : 6;
    key.config = config;
    std::memcpy(key.addr, peer.bytes().data(), peer.size());
    std::uint8_t one = 1;
    check(bpf_map_update_elem(bpf_map__fd(skel_->maps.xvrrp_peers), &key, &one, BPF_ANY),
          "peers update");
}

void ProgramUnderTest::set_heartbeat_ns(std::uint64_t ns, std::uint8_t config) {
    std::uint32_t key = config;
    struct xvrrp_config_slot c {};
    int fd = bpf_map__fd(skel_->maps.xvrrp_configs);
    check(bpf_map_lookup_elem(fd, &key, &c), "configs lookup");
    c.heartbeat_ns = ns;
    check(bpf_map_update_elem(fd, &key, &c, BPF_ANY), "heartbeat update");
}

void ProgramUnderTest::arm_filter(const IpAddress& source, const frames::Bytes& vrrp_message) {
    if (vrrp_message.size() < 8) throw std::runtime_error("arm_filter: not a VRRP message");
    struct xvrrp_advert_filter f {};
    f.armed = 1;
    f.length = static_cast<__u16>(vrrp_message.size());
    std::memcpy(f.header, vrrp_message.data(), sizeof(f.header));
    std::memcpy(f.source, source.bytes().data(), source.size());
    std::uint32_t key = advert_slot(!source.is_v4(), vrrp_message[1]);
    check(bpf_map_update_elem(bpf_map__fd(skel_->maps.xvrrp_advert_filter), &key, &f, BPF_ANY),
          "advert filter update");
}

void ProgramUnderTest::disarm_filter(bool v6, std::uint8_t vrid) {
    struct xvrrp_advert_filter f {};
    std::uint32_t key = advert_slot(v6, vrid);
    check(bpf_map_update_elem(bpf_map__fd(skel_->maps.xvrrp_advert_filter), &key, &f, BPF_ANY),
          "advert filter update");
}

struct xvrrp_advert_seen ProgramUnderTest::seen(bool v6, std::uint8_t vrid) const {
    struct xvrrp_advert_seen s {};
    std::uint32_t key = advert_slot(v6, vrid);
    check(bpf_map_lookup_elem(bpf_map__fd(skel_->maps.xvrrp_advert_seen), &key, &s),
          "advert seen lookup");
    return s;
}

std::uint64_t ProgramUnderTest::monotonic_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);  // the clock of bpf_ktime_get_ns()
    return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ull +
           static_cast<std::uint64_t>(ts.tv_nsec);
}

RunResult ProgramUnderTest::run(const frames::Bytes& in) const { return run_repeat(in, 1, 0); }

RunResult ProgramUnderTest::run_repeat(const frames::Bytes& in, std::uint32_t repeat,
                                       std::uint32_t flags) const {
    frames::Bytes copy = in;
    RunResult r;
    r.out.assign(in.size() + 512, 0);  // room for a grown reply (NS without options -> NA)
    LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = copy.data(),
                .data_out = r.out.data(), .data_size_in = static_cast<__u32>(copy.size()),
                .data_size_out = static_cast<__u32>(r.out.size()), .repeat = static_cast<int>(repeat),
                .flags = flags);
    int rc = bpf_prog_test_run_opts(prog_fd(), &opts);
    check(rc, "bpf_prog_test_run_opts");
    r.verdict = static_cast<int>(opts.retval);
    r.out.resize(opts.data_size_out);
    r.duration_ns = opts.duration;
    return r;
}

std::vector<std::uint64_t> ProgramUnderTest::counters() const {
    int ncpu = libbpf_num_possible_cpus();
    if (ncpu <= 0) throw std::runtime_error("libbpf_num_possible_cpus failed");
    std::vector<std::uint64_t> total(XVRRP_C_COUNT, 0), per_cpu(static_cast<std::size_t>(ncpu));
    for (std::uint32_t i = 0; i < XVRRP_C_COUNT; ++i) {
        check(bpf_map_lookup_elem(bpf_map__fd(skel_->maps.xvrrp_stats), &i, per_cpu.data()),
              "stats lookup");
        for (auto v : per_cpu) total[i] += v;
    }
    return total;
}

int ProgramUnderTest::prog_fd() const { return bpf_program__fd(skel_->progs.xvrrp_xdp); }
int ProgramUnderTest::conflicts_fd(std::uint8_t config) const {
    bpf_map* const rings[] = {skel_->maps.xvrrp_ring0, skel_->maps.xvrrp_ring1, skel_->maps.xvrrp_ring2,
                              skel_->maps.xvrrp_ring3, skel_->maps.xvrrp_ring4, skel_->maps.xvrrp_ring5,
                              skel_->maps.xvrrp_ring6, skel_->maps.xvrrp_ring7};
    static_assert(std::size(rings) == XVRRP_MAX_CONFIGS);
    if (config >= XVRRP_MAX_CONFIGS) throw std::runtime_error("conflicts_fd: no such config slot");
    return bpf_map__fd(rings[config]);
}

std::string counter_name(int index) { return std::string(dataplane::counter_name(index)); }

}  // namespace xvrrp::testing
