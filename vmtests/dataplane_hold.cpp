// vm_dataplane_hold IFACE VIP VRID: plays the controller's part in the vmtests coexistence check
// (issue 8) through the real Dataplane adapter (libxdp, native mode falling back to generic): attach
// to IFACE in the current network namespace, serve VIP for group VRID with IFACE's MAC, keep the
// heartbeat fresh, and on SIGTERM detach exactly as a stopping controller does.
// Prints "mode=<xdp-native|xdp-generic|kernel>", "attach=<dispatcher|direct>", then "ready"; at
// exit the ARP counters.
// Exit status: 0 after a clean detach, 1 when attach or a map write failed, 2 on bad arguments.
#include "adapters/dataplane.hpp"
#include "core/ip_address.hpp"

#include <net/if.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <optional>
#include <string>

namespace dp = xvrrp::dataplane;
using namespace std::chrono_literals;

namespace {

// SIOCGIFHWADDR answers for the caller's network namespace; /sys/class/net would not when the
// caller entered the namespace with nsenter --net (sysfs stays the root namespace's).
std::optional<dp::Mac> mac_of(const std::string& iface) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return std::nullopt;
    ifreq ifr{};
    std::snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", iface.c_str());
    int rc = ioctl(fd, SIOCGIFHWADDR, &ifr);
    close(fd);
    if (rc != 0) return std::nullopt;
    dp::Mac mac{};
    std::memcpy(mac.data(), ifr.ifr_hwaddr.sa_data, mac.size());
    return mac;
}

int fail(const std::string& what, const std::string& why) {
    std::fprintf(stderr, "vm_dataplane_hold: %s: %s\n", what.c_str(), why.c_str());
    return 1;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 4) {
        std::fprintf(stderr, "usage: vm_dataplane_hold IFACE VIP VRID\n");
        return 2;
    }
    const std::string iface = argv[1];
    auto vip = xvrrp::IpAddress::parse(argv[2]);
    if (!vip) {
        std::fprintf(stderr, "vm_dataplane_hold: VIP '%s' is not an IP address\n", argv[2]);
        return 2;
    }
    char* end = nullptr;
    long vrid = std::strtol(argv[3], &end, 10);
    if (*argv[3] == '\0' || *end != '\0' || vrid < 1 || vrid > 255) {
        std::fprintf(stderr, "vm_dataplane_hold: VRID '%s' is not in 1..255\n", argv[3]);
        return 2;
    }
    auto mac = mac_of(iface);
    if (!mac) return fail("reading the MAC of " + iface, std::strerror(errno));

    // Block the stop signals before any thread exists, then wait for them with a timeout that
    // doubles as the heartbeat period.
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    sigprocmask(SIG_BLOCK, &stop, nullptr);

    dp::Options opts;
    opts.interface = iface;
    opts.config_name = "vmtest-" + iface;
    auto attached = dp::Dataplane::attach(opts);
    if (!attached) return fail("attach to " + iface, attached.error().message);
    dp::Dataplane& d = attached.value();
    std::printf("mode=%s\nattach=%s\n%s\n", std::string(dp::to_string(d.mode())).c_str(),
                d.under_dispatcher() ? "dispatcher" : "direct", d.describe().c_str());

    const auto v = static_cast<std::uint8_t>(vrid);
    if (auto s = d.set_vrid_config(v, XVRRP_VERSION_3, false); !s) return fail("vrid config", s.error);
    if (auto s = d.add_vip(*vip, v); !s) return fail("add vip", s.error);
    if (auto s = d.heartbeat(); !s) return fail("heartbeat", s.error);
    if (auto s = d.own_group(v, *mac, 3s); !s) return fail("own group", s.error);
    std::printf("ready\n");
    std::fflush(stdout);

    const timespec period{0, 200'000'000};  // well inside the 3 s liveness gate, also under TCG
    for (;;) {
        int sig = sigtimedwait(&stop, nullptr, &period);
        if (sig == SIGTERM || sig == SIGINT) break;
        if (auto s = d.heartbeat(); !s) return fail("heartbeat", s.error);
    }
    auto c = d.read_counters();
    std::printf("arp_replied=%llu arp_drop_not_owned=%llu packets=%llu\n",
                static_cast<unsigned long long>(c[XVRRP_C_ARP_REPLIED]),
                static_cast<unsigned long long>(c[XVRRP_C_ARP_DROP_NOT_OWNED]),
                static_cast<unsigned long long>(c[XVRRP_C_PACKETS]));
    d.detach(false);
    std::printf("detached\n");
    return 0;
}
