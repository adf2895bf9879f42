// XDP data plane figures (not a test; scripts/bench-xdp.sh runs it as root):
//  1. ns per packet of the program alone through BPF_PROG_TEST_RUN for five paths. Rewriting
//     paths (ARP/NS reply) get a fresh frame on every call: with `repeat` > 1 the kernel reuses
//     the buffer the last run rewrote and times the wrong branch (measured here). This is the
//     single-core upper bound of the BPF code, no driver, no wire.
//  2. ARP replies per second through a veth pair between two namespaces: XDP answering versus
//     the kernel's own ARP answering, in the same run, with the sender's rate beside it so the
//     reader can see which side limits.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "adapters/dataplane.hpp"
#include "frames.hpp"
#include "lab.hpp"
#include "program.hpp"
#include "xdp_pass.skel.h"

namespace {

using namespace xvrrp;
using namespace std::chrono_literals;
namespace f = xvrrp::frames;
using xvrrp::testing::ProgramUnderTest;

const f::Mac kOurMac = f::mac("02:00:5e:00:01:0a");
const f::Mac kClientMac = f::mac("02:00:00:00:00:c1");
const IpAddress kVip = f::ip("192.0.2.10");
const IpAddress kVip6 = f::ip("2001:db8::10");
const IpAddress kClient = f::ip("192.0.2.2");
const IpAddress kClient6 = f::ip("2001:db8::c1");
const IpAddress kGroup4 = f::ip("224.0.0.18");

f::Bytes arp_request(const f::Mac& from, const IpAddress& spa) {
    return f::ethernet(f::mac("ff:ff:ff:ff:ff:ff"), from, f::kEthArp,
                       f::arp(1, from, spa, f::mac("00:00:00:00:00:00"), kVip));
}

f::Bytes advert(std::uint8_t vrid) {
    f::Vrrp v;
    v.vrid = vrid;
    v.addresses = {kVip};
    f::Ipv4Options opt;
    opt.ttl = 255;
    return f::ethernet(f::multicast_mac(kGroup4), kClientMac, f::kEthIpv4,
                       f::ipv4(kClient, kGroup4, f::kProtoVrrp, f::vrrp(v, kClient, kGroup4), opt));
}

struct PathFigure {
    const char* name;
    int verdict;
    double per_call_ns;    // mean of the kernel's own timing, one fresh frame per call
    double repeat_ns;      // kernel's mean with repeat=N on one buffer (non-rewriting paths only)
};

// The same per-call measurement for an empty XDP_PASS program: what BPF_PROG_TEST_RUN itself
// costs per call (timer, frame setup), to subtract from the per-call figures.
double baseline_per_call(const f::Bytes& frame, int calls) {
    xdp_pass_bpf* skel = xdp_pass_bpf__open_and_load();
    if (!skel) throw std::runtime_error("loading xdp_pass for the baseline failed");
    double total = 0;
    for (int i = 0; i < calls; ++i) {
        f::Bytes in = frame, out(frame.size() + 512);
        LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = in.data(), .data_out = out.data(),
                    .data_size_in = static_cast<__u32>(in.size()),
                    .data_size_out = static_cast<__u32>(out.size()), .repeat = 1);
        if (bpf_prog_test_run_opts(bpf_program__fd(skel->progs.xdp_pass), &opts))
            throw std::runtime_error("baseline run failed");
        total += opts.duration;
    }
    xdp_pass_bpf__destroy(skel);
    return total / calls;
}

double per_call(const ProgramUnderTest& p, const f::Bytes& frame, int expect, int calls) {
    double total = 0;
    for (int i = 0; i < calls; ++i) {
        auto r = p.run(frame);  // a private copy each time: the rewrite never sees its own reply
        if (r.verdict != expect)
            throw std::runtime_error("unexpected verdict " + std::to_string(r.verdict));
        total += r.duration_ns;
    }
    return total / calls;
}

std::vector<PathFigure> program_figures(int calls, std::uint32_t repeat) {
    ProgramUnderTest p;
    p.set_group(10, true, kOurMac, 3'600'000'000'000ull);  // an hour's gate: fresh all run
    p.add_vip(kVip, 10);
    p.add_vip(kVip6, 10);
    p.set_vrid(10, XVRRP_VERSION_3, false);
    // Not a stamp in the future: the gate reads one as garbage and closes (issue 16).
    p.set_heartbeat_ns(ProgramUnderTest::monotonic_ns());
    f::Bytes ns = f::ethernet(f::multicast_mac(f::solicited_node(kVip6)), kClientMac, f::kEthIpv6,
                              f::ipv6(kClient6, f::solicited_node(kVip6), f::kProtoIcmpv6, 255,
                                      f::icmpv6(kClient6, f::solicited_node(kVip6), 135, 0,
                                                f::nd_body(0, kVip6, f::lladdr_option(1, kClientMac)))));
    f::Bytes udp = f::ethernet(kOurMac, kClientMac, f::kEthIpv4,
                               f::ipv4(kClient, kVip, 17, f::Bytes(12 + 64, 0)));
    struct Path {
        const char* name;
        f::Bytes frame;
        int verdict;
        bool rewrites;
    };
    std::vector<Path> paths{{"ARP request -> reply (XDP_TX)", arp_request(kClientMac, kClient), XDP_TX, true},
                            {"NS -> NA (XDP_TX)", ns, XDP_TX, true},
                            {"valid VRRPv3 advert (XDP_PASS)", advert(10), XDP_PASS, false},
                            {"foreign VRID advert (XDP_PASS)", advert(77), XDP_PASS, false},
                            {"plain UDP (XDP_PASS)", udp, XDP_PASS, false}};
    std::vector<PathFigure> out;
    for (const auto& path : paths) {
        PathFigure fig{path.name, path.verdict, per_call(p, path.frame, path.verdict, calls), -1};
        if (!path.rewrites) {
            auto r = p.run_repeat(path.frame, repeat, 0);
            if (r.verdict != path.verdict) throw std::runtime_error("repeat run changed verdict");
            fig.repeat_ns = r.duration_ns;
        }
        out.push_back(fig);
    }
    return out;
}

// ---- ARP replies per second through a veth pair -------------------------------------------------

std::uint64_t link_stat(const std::string& ns, const std::string& dev, const char* which) {
    auto j = nlohmann::json::parse(xvrrp::testing::must("ip -n " + ns + " -s -j link show dev " + dev));
    return j.at(0).at("stats64").at(which).at("packets").get<std::uint64_t>();
}

struct WireFigure {
    double sent_per_s = 0, requests_seen_per_s = 0, replies_per_s = 0;
    std::uint64_t sent = 0, replies = 0;
};

// Blasts ARP requests for the VIP from B for `duration` with sendmmsg batches; replies are
// counted as vB's received packets (the only traffic on the pair).
WireFigure blast(const xvrrp::testing::Lab& lab, const f::Mac& mac_b,
                 std::chrono::milliseconds duration) {
    int fd;
    sockaddr_ll addr{};
    {
        xvrrp::testing::InNetns in(lab.b());
        fd = socket(AF_PACKET, SOCK_RAW, 0);
        if (fd < 0) throw std::runtime_error(std::string("AF_PACKET: ") + std::strerror(errno));
        addr.sll_family = AF_PACKET;
        addr.sll_ifindex = static_cast<int>(if_nametoindex("vB"));
        addr.sll_halen = 6;
    }
    f::Bytes frame = arp_request(mac_b, kClient);
    constexpr int kBatch = 64;
    std::vector<iovec> iov(kBatch);
    std::vector<mmsghdr> msgs(kBatch);
    for (int i = 0; i < kBatch; ++i) {
        iov[i] = {frame.data(), frame.size()};
        msgs[i].msg_hdr = {};
        msgs[i].msg_hdr.msg_name = &addr;
        msgs[i].msg_hdr.msg_namelen = sizeof addr;
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
    }
    std::uint64_t rx_a0 = link_stat(lab.a(), "vA", "rx"), rx_b0 = link_stat(lab.b(), "vB", "rx");
    WireFigure w;
    auto start = std::chrono::steady_clock::now(), end = start + duration;
    while (std::chrono::steady_clock::now() < end) {
        int n = sendmmsg(fd, msgs.data(), kBatch, 0);
        if (n > 0) w.sent += static_cast<std::uint64_t>(n);
    }
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    close(fd);
    std::this_thread::sleep_for(200ms);  // let the last replies land
    std::uint64_t rx_a = link_stat(lab.a(), "vA", "rx") - rx_a0;
    w.replies = link_stat(lab.b(), "vB", "rx") - rx_b0;
    w.sent_per_s = static_cast<double>(w.sent) / secs;
    w.requests_seen_per_s = static_cast<double>(rx_a) / secs;
    w.replies_per_s = static_cast<double>(w.replies) / secs;
    return w;
}

void print_wire(const char* name, const WireFigure& w) {
    std::printf("  %-34s sent %9.0f/s  reached vA %9.0f/s  replies at vB %9.0f/s  (%.0f%% answered)\n",
                name, w.sent_per_s, w.requests_seen_per_s, w.replies_per_s,
                w.sent ? 100.0 * static_cast<double>(w.replies) / static_cast<double>(w.sent) : 0.0);
}

const char* limit_of(const WireFigure& w) {
    if (w.requests_seen_per_s < 0.9 * w.sent_per_s) return "the veth/receiving side drops requests";
    if (w.replies_per_s >= 0.9 * w.requests_seen_per_s)
        return "the sender: every request that arrived was answered";
    return "the responder: requests arrived faster than they were answered";
}

}  // namespace

int main(int argc, char** argv) {
    int calls = 200'000;
    std::uint32_t repeat = 1'000'000;
    int seconds = 3;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--quick") {
            calls = 20'000;
            repeat = 100'000;
            seconds = 1;
        } else {
            std::fprintf(stderr, "usage: %s [--quick]\n", argv[0]);
            return 2;
        }
    }
    try {
        std::printf("XDP program, BPF_PROG_TEST_RUN (single-core upper bound of the BPF code alone;\n"
                    "no driver, no wire; kernel-timed mean per run):\n");
        double base = baseline_per_call(arp_request(kClientMac, kClient), calls);
        std::printf("  %-34s %18s %16s %22s\n", "path", "fresh frame/call", "minus empty prog",
                    "repeat on one buffer");
        for (const auto& fig : program_figures(calls, repeat)) {
            char rep[32] = "n/a (rewrites frame)";
            if (fig.repeat_ns >= 0) std::snprintf(rep, sizeof rep, "%.1f ns", fig.repeat_ns);
            std::printf("  %-34s %15.1f ns %13.1f ns %22s\n", fig.name, fig.per_call_ns,
                        fig.per_call_ns - base, rep);
        }
        std::printf("  empty XDP_PASS program, fresh frame/call: %.1f ns (BPF_PROG_TEST_RUN's own cost)\n"
                    "  %d calls each, repeat=%u\n\n", base, calls, repeat);

        xvrrp::testing::enter_private_mounts_with_bpffs();
        xvrrp::testing::Lab lab;
        f::Mac mac_b = f::mac(lab.mac_of(lab.b(), "vB"));
        f::Mac mac_a = f::mac(lab.mac_of(lab.a(), "vA"));
        auto duration = std::chrono::milliseconds(seconds * 1000);
        WireFigure xdp, kernel;
        {
            xvrrp::testing::InNetns in(lab.a());
            dataplane::Options o;
            o.interface = "vA";
            o.config_name = "bench";
            auto d = dataplane::Dataplane::attach(o);
            if (!d) throw std::runtime_error(d.error().message);
            auto& dp = d.value();
            dp.add_vip(kVip, 10);
            dp.heartbeat();
            dp.own_group(10, mac_a, std::chrono::hours(1));  // no heartbeat needed while blasting
            auto before = dp.read_counters();
            xdp = blast(lab, mac_b, duration);
            auto after = dp.read_counters();
            std::printf("ARP replies through a veth pair, %d s each, one sender thread (sendmmsg x64):\n",
                        seconds);
            print_wire(("XDP " + std::string(dataplane::to_string(dp.mode()))).c_str(), xdp);
            std::printf("  %-34s XDP answered %llu, dropped %llu\n", "",
                        static_cast<unsigned long long>(after[XVRRP_C_ARP_REPLIED] - before[XVRRP_C_ARP_REPLIED]),
                        static_cast<unsigned long long>(after[XVRRP_C_ARP_DROP_NOT_OWNED] -
                                                        before[XVRRP_C_ARP_DROP_NOT_OWNED]));
            dp.detach(false);
        }
        xvrrp::testing::must("ip -n " + lab.a() + " addr add " + kVip.to_string() + "/32 dev vA");
        kernel = blast(lab, mac_b, duration);
        print_wire("kernel ARP (address on vA)", kernel);
        std::printf("\nWhat limits the rate: XDP: %s; kernel: %s.\n", limit_of(xdp), limit_of(kernel));
        std::printf("Both share 2 cores with the sender, which runs the veth transmit path itself;\n"
                    "the XDP/kernel ratio is the comparison, not the absolute numbers.\n");
    } catch (const std::exception& e) {
        std::fprintf(stderr, "xdp_bench: %s\n", e.what());
        return 1;
    }
    return 0;
}
