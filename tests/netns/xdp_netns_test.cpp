// The data plane through a real wire (label netns): the Dataplane adapter attached to vA in
// namespace A, a client in namespace B using the real `arping`, adverts sent as hand-built
// frames from B and read from a raw IPPROTO_VRRP socket in A.
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <gtest/gtest.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <thread>

#include "adapters/dataplane.hpp"
#include "frames.hpp"
#include "lab.hpp"

namespace xvrrp::testing {
namespace {

namespace dp = xvrrp::dataplane;
namespace f = xvrrp::frames;
using namespace std::chrono_literals;

const IpAddress kVip = f::ip("192.0.2.10");
const IpAddress kHostB = f::ip("192.0.2.2");
const IpAddress kVrrpGroup = f::ip("224.0.0.18");

dp::Mac to_mac(const std::string& text) { return f::mac(text); }

class DataplaneWire : public ::testing::Test {
protected:
    void SetUp() override {
        enter_private_mounts_with_bpffs();
        lab_ = std::make_unique<Lab>();
        mac_a_ = lab_->mac_of(lab_->a(), "vA");
        mac_b_ = lab_->mac_of(lab_->b(), "vB");
    }

    dp::Options options(::xvrrp::Dataplane requested = ::xvrrp::Dataplane::Xdp,
                        const std::string& dev = "vA") const {
        dp::Options o;
        o.interface = dev;
        o.config_name = "netns-test";
        o.requested = requested;
        return o;
    }

    dp::Dataplane attach(const dp::Options& o) {
        auto r = dp::Dataplane::attach(o);
        if (!r) throw std::runtime_error("attach failed: " + r.error().message);
        return std::move(r.value());
    }

    void serve_vip(dp::Dataplane& d, std::chrono::nanoseconds master_down = 3s) {
        ASSERT_TRUE(d.set_vrid_config(10, XVRRP_VERSION_3, false));
        // kVip in a batch of both families (the daemon's start-up path, BPF_MAP_UPDATE_BATCH).
        std::vector<IpAddress> vips;
        for (std::uint32_t i = 0; i < 1024; ++i) vips.push_back(IpAddress::v4(0xc6120000u + i));  // 198.18.0.0/22
        vips.push_back(kVip);
        vips.push_back(*IpAddress::parse("2001:db8::1:10"));
        ASSERT_TRUE(d.add_vips(vips, 10));
        ASSERT_TRUE(d.heartbeat());
        ASSERT_TRUE(d.own_group(10, to_mac(mac_a_), master_down));
    }

    dp::Options named(const std::string& config) const {
        dp::Options o = options();
        o.config_name = config;
        return o;
    }

    std::uint32_t attached_id() const {
        std::uint32_t id = 0;
        bpf_xdp_query_id(static_cast<int>(if_nametoindex("vA")), 0, &id);
        return id;
    }

    // Real arping from B; true when a reply came from `from_mac`.
    bool arping_answered(const std::string& from_mac, int count = 2, const IpAddress& target = kVip) {
        Cmd r = run("ip netns exec " + lab_->b() + " arping -c " + std::to_string(count) +
                    " -w 3 -i vB " + target.to_string());
        last_arping_ = r.out;
        bool replied = r.out.find("bytes from " + from_mac) != std::string::npos;
        EXPECT_EQ(replied, r.status == 0) << r.out;
        return replied;
    }

    bool vip_on_a() { return must("ip -n " + lab_->a() + " addr show dev vA").find(kVip.to_string() + "/") != std::string::npos; }

    std::unique_ptr<Lab> lab_;
    std::string mac_a_, mac_b_, last_arping_;
};

TEST_F(DataplaneWire, XdpAnswersArpForOwnedVipThatIsNotOnTheInterface) {
    InNetns in(lab_->a());
    auto d = attach(options());
    EXPECT_EQ(d.mode(), dp::Mode::Native) << d.describe();
    EXPECT_TRUE(lab_->has_xdp(lab_->a(), "vA"));
    serve_vip(d);
    ASSERT_FALSE(vip_on_a()) << "the proof needs the VIP absent from vA";
    auto before = d.read_counters();
    EXPECT_TRUE(arping_answered(mac_a_)) << last_arping_;
    auto after = d.read_counters();
    // Every reply arping saw was XDP's (under a slow guest arping may get only one of its two
    // requests out before its deadline, so count the replies rather than assume two).
    std::uint64_t seen = 0;
    for (auto at = last_arping_.find("bytes from " + mac_a_); at != std::string::npos;
         at = last_arping_.find("bytes from " + mac_a_, at + 1))
        ++seen;
    EXPECT_GE(seen, 1u) << last_arping_;
    EXPECT_GE(after[XVRRP_C_ARP_REPLIED] - before[XVRRP_C_ARP_REPLIED], seen) << last_arping_;
}

TEST_F(DataplaneWire, DisownedGroupIsNotAnsweredEvenWithTheAddressLingering) {
    InNetns in(lab_->a());
    auto d = attach(options());
    serve_vip(d);
    ASSERT_TRUE(arping_answered(mac_a_)) << last_arping_;
    ASSERT_TRUE(d.disown_group(10));
    // The kernel would answer for this address; XDP drops the request first.
    must("ip -n " + lab_->a() + " addr add " + kVip.to_string() + "/32 dev vA");
    auto before = d.read_counters();
    EXPECT_FALSE(arping_answered(mac_a_)) << last_arping_;
    auto after = d.read_counters();
    EXPECT_GE(after[XVRRP_C_ARP_DROP_NOT_OWNED] - before[XVRRP_C_ARP_DROP_NOT_OWNED], 2u);
}

TEST_F(DataplaneWire, StaleHeartbeatStopsAnswersOverTheWire) {
    InNetns in(lab_->a());
    auto d = attach(options());
    serve_vip(d, 300ms);
    std::this_thread::sleep_for(500ms);  // no heartbeat: the controller "hung"
    auto before = d.read_counters();
    EXPECT_FALSE(arping_answered(mac_a_)) << last_arping_;
    EXPECT_GE(d.read_counters()[XVRRP_C_ARP_DROP_STALE] - before[XVRRP_C_ARP_DROP_STALE], 2u);
    // The controller comes back and beats as the daemon does (well inside the 300 ms gate).
    std::atomic<bool> beating{true};
    std::thread beat([&] {
        while (beating) {
            d.heartbeat();
            std::this_thread::sleep_for(50ms);
        }
    });
    bool answered = arping_answered(mac_a_, 1);
    beating = false;
    beat.join();
    EXPECT_TRUE(answered) << last_arping_;
}

TEST_F(DataplaneWire, KernelModeLoadsNothingAndTheKernelAnswers) {
    InNetns in(lab_->a());
    auto d = attach(options(::xvrrp::Dataplane::Kernel));
    EXPECT_EQ(d.mode(), dp::Mode::Kernel);
    serve_vip(d);  // no-ops that succeed: the daemon does not branch
    EXPECT_FALSE(lab_->has_xdp(lab_->a(), "vA"));
    EXPECT_FALSE(arping_answered(mac_a_, 1)) << "nobody should answer before the address is added";
    must("ip -n " + lab_->a() + " addr add " + kVip.to_string() + "/32 dev vA");
    EXPECT_TRUE(arping_answered(mac_a_)) << last_arping_;
    EXPECT_EQ(d.read_counters()[XVRRP_C_PACKETS], 0u);
    EXPECT_EQ(d.conflict_fd(), -1);
}

TEST_F(DataplaneWire, KernelOfTheClientAcceptsTheNeighbourAdvertisementFromXdp) {
    // B's own ND stack resolves the VIP: it only records A's MAC if our NA is valid
    // (checksum, hop limit 255, solicited flag, target link-layer option: RFC 4861 7.1.2).
    const IpAddress vip6 = f::ip("2001:db8::10");
    must("ip -n " + lab_->a() + " addr add 2001:db8::1/64 dev vA nodad");
    must("ip -n " + lab_->b() + " addr add 2001:db8::2/64 dev vB nodad");
    InNetns in(lab_->a());
    auto d = attach(options());
    ASSERT_TRUE(d.add_vip(vip6, 10));
    ASSERT_TRUE(d.heartbeat());
    ASSERT_TRUE(d.own_group(10, to_mac(mac_a_), 3s));
    run("ip netns exec " + lab_->b() + " ping -6 -c 1 -W 1 " + vip6.to_string());
    std::string neigh = must("ip -n " + lab_->b() + " -6 neigh show " + vip6.to_string());
    EXPECT_NE(neigh.find("lladdr " + mac_a_), std::string::npos) << neigh;
    EXPECT_EQ(neigh.find("FAILED"), std::string::npos) << neigh;
    EXPECT_GE(d.read_counters()[XVRRP_C_NS_REPLIED], 1u);
}

TEST_F(DataplaneWire, GratuitousArpFromAnotherMacForOurVipIsReportedToTheController) {
    InNetns in(lab_->a());
    auto d = attach(options());
    serve_vip(d);
    ASSERT_GE(d.conflict_fd(), 0);
    // B claims our VIP: an unsolicited (gratuitous) ARP with sender = target = the VIP.
    run("ip netns exec " + lab_->b() + " arping -U -c 1 -w 2 -i vB -S " + kVip.to_string() + " " +
        kVip.to_string());
    pollfd p{d.conflict_fd(), POLLIN, 0};
    EXPECT_EQ(poll(&p, 1, 2000), 1) << "conflict_fd never became readable";
    auto conflicts = d.poll_conflicts();
    ASSERT_FALSE(conflicts.empty());
    EXPECT_EQ(conflicts[0].vip, kVip);
    EXPECT_EQ(conflicts[0].vrid, 10);
    EXPECT_EQ(conflicts[0].mac, to_mac(mac_b_));
    EXPECT_GE(d.read_counters()[XVRRP_C_ARP_CONFLICT], 1u);
    EXPECT_TRUE(d.poll_conflicts().empty()) << "each report is delivered once";
}

// Issue 16: B asks for A's own address with our VIP as its sender address. That is a claim on
// the VIP (every host hearing the request learns VIP -> B's MAC): reported to the controller
// and not answered, although A's kernel would have answered a request for its own address.
TEST_F(DataplaneWire, ArpRequestSentFromOurVipByAnotherStationIsReportedAndNotAnswered) {
    InNetns in(lab_->a());
    auto d = attach(options());
    serve_vip(d);
    ASSERT_FALSE(vip_on_a()) << "A's kernel must be willing to answer the request, were it passed";
    auto before = d.read_counters();
    Cmd r = run("ip netns exec " + lab_->b() + " arping -c 1 -w 2 -i vB -S " + kVip.to_string() + " 192.0.2.1");
    EXPECT_EQ(r.out.find("bytes from " + mac_a_), std::string::npos) << "answered:\n" << r.out;
    pollfd p{d.conflict_fd(), POLLIN, 0};
    EXPECT_EQ(poll(&p, 1, 2000), 1) << "conflict_fd never became readable";
    auto conflicts = d.poll_conflicts();
    ASSERT_FALSE(conflicts.empty());
    EXPECT_EQ(conflicts[0].vip, kVip);
    EXPECT_EQ(conflicts[0].vrid, 10);
    EXPECT_EQ(conflicts[0].mac, to_mac(mac_b_));
    auto after = d.read_counters();
    EXPECT_GE(after[XVRRP_C_ARP_SENDER_CONFLICT] - before[XVRRP_C_ARP_SENDER_CONFLICT], 1u);
    EXPECT_EQ(after[XVRRP_C_ARP_REPLIED], before[XVRRP_C_ARP_REPLIED]);
}

// ---- adverts through the wire ----------------------------------------------------------------

// An AF_PACKET socket on vB in namespace B: sends frames exactly as built.
class WireSender {
public:
    explicit WireSender(const std::string& ns_b) {
        InNetns in(ns_b);
        fd_ = socket(AF_PACKET, SOCK_RAW, 0);
        if (fd_ < 0) throw std::runtime_error(std::string("AF_PACKET socket: ") + std::strerror(errno));
        std::memset(&addr_, 0, sizeof addr_);
        addr_.sll_family = AF_PACKET;
        addr_.sll_ifindex = static_cast<int>(if_nametoindex("vB"));
        addr_.sll_halen = 6;
    }
    ~WireSender() { close(fd_); }
    void send(const f::Bytes& frame) {
        ssize_t n = sendto(fd_, frame.data(), frame.size(), 0,
                           reinterpret_cast<const sockaddr*>(&addr_), sizeof addr_);
        if (n != static_cast<ssize_t>(frame.size()))
            throw std::runtime_error(std::string("sendto: ") + std::strerror(errno));
    }

private:
    int fd_ = -1;
    sockaddr_ll addr_{};
};

// The controller's view: a raw IPPROTO_VRRP socket in namespace A, joined to 224.0.0.18 on vA.
class VrrpListener {
public:
    VrrpListener() {
        fd_ = socket(AF_INET, SOCK_RAW, 112);
        if (fd_ < 0) throw std::runtime_error(std::string("raw VRRP socket: ") + std::strerror(errno));
        ip_mreqn mreq{};
        inet_pton(AF_INET, "224.0.0.18", &mreq.imr_multiaddr);
        mreq.imr_ifindex = static_cast<int>(if_nametoindex("vA"));
        if (setsockopt(fd_, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq, sizeof mreq) != 0)
            throw std::runtime_error(std::string("IP_ADD_MEMBERSHIP: ") + std::strerror(errno));
    }
    ~VrrpListener() { close(fd_); }
    // Next datagram's VRID within the timeout, or -1.
    int next_vrid(std::chrono::milliseconds timeout) {
        pollfd p{fd_, POLLIN, 0};
        if (poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return -1;
        std::uint8_t buf[2048];
        ssize_t n = recv(fd_, buf, sizeof buf, 0);
        if (n < 22) return -1;
        std::size_t ihl = (buf[0] & 0x0f) * 4u;
        return static_cast<std::size_t>(n) > ihl + 1 ? buf[ihl + 1] : -1;
    }

private:
    int fd_ = -1;
};

f::Bytes advert_frame(const std::string& src_mac, std::uint8_t vrid, std::uint8_t ttl) {
    f::Vrrp v;
    v.vrid = vrid;
    v.addresses = {kVip};
    f::Ipv4Options opt;
    opt.ttl = ttl;
    return f::ethernet(f::multicast_mac(kVrrpGroup), f::mac(src_mac), f::kEthIpv4,
                       f::ipv4(kHostB, kVrrpGroup, f::kProtoVrrp, f::vrrp(v, kHostB, kVrrpGroup), opt));
}

// Issue 16: a veth hands XDP every frame whatever its destination MAC; only one addressed to
// us (broadcast, the group's MAC) is answered, the rest are the kernel's (which drops a frame
// for another host).
TEST_F(DataplaneWire, ArpRequestForAnotherStationsMacIsNotAnswered) {
    WireSender sender(lab_->b());
    InNetns in(lab_->a());
    auto d = attach(options());
    serve_vip(d);
    auto request = [&](const std::string& dst) {
        return f::ethernet(f::mac(dst), f::mac(mac_b_), f::kEthArp,
                           f::arp(1, f::mac(mac_b_), kHostB, f::mac("00:00:00:00:00:00"), kVip));
    };
    auto moved = [&](const f::Bytes& frame, xvrrp_counter c) {
        auto before = d.read_counters();
        sender.send(frame);
        for (int i = 0; i < 100 && d.read_counters()[XVRRP_C_PACKETS] == before[XVRRP_C_PACKETS]; ++i)
            std::this_thread::sleep_for(10ms);
        return d.read_counters()[c] - before[c];
    };
    EXPECT_EQ(moved(request("02:00:00:00:00:77"), XVRRP_C_ARP_PASS_OTHER_DEST), 1u);
    EXPECT_EQ(moved(request("02:00:00:00:00:77"), XVRRP_C_ARP_REPLIED), 0u);
    EXPECT_EQ(moved(request("ff:ff:ff:ff:ff:ff"), XVRRP_C_ARP_REPLIED), 1u);
    EXPECT_EQ(moved(request(mac_a_), XVRRP_C_ARP_REPLIED), 1u);
}

TEST_F(DataplaneWire, ValidAdvertReachesTheSocketSpoofedTtl64DoesNotForeignVridPassesUntouched) {
    WireSender sender(lab_->b());
    InNetns in(lab_->a());
    auto d = attach(options());
    serve_vip(d);
    VrrpListener listener;
    auto before = d.read_counters();
    sender.send(advert_frame(mac_b_, 10, 255));
    EXPECT_EQ(listener.next_vrid(1000ms), 10);
    sender.send(advert_frame(mac_b_, 10, 64));  // from beyond a router: RFC 5798 section 7.1
    EXPECT_EQ(listener.next_vrid(500ms), -1);
    // Another daemon's VRID (the platform's keepalived, another ipfailover config): not ours to
    // judge, even with a TTL we would drop for our own VRIDs.
    sender.send(advert_frame(mac_b_, 77, 255));
    EXPECT_EQ(listener.next_vrid(1000ms), 77);
    sender.send(advert_frame(mac_b_, 77, 64));
    EXPECT_EQ(listener.next_vrid(1000ms), 77);
    auto after = d.read_counters();
    EXPECT_EQ(after[XVRRP_C_VRRP_PASS] - before[XVRRP_C_VRRP_PASS], 1u);
    EXPECT_EQ(after[XVRRP_C_VRRP_PASS_FOREIGN] - before[XVRRP_C_VRRP_PASS_FOREIGN], 2u);
    EXPECT_EQ(after.dropped(XVRRP_REASON_BAD_TTL) - before.dropped(XVRRP_REASON_BAD_TTL), 1u);
}

TEST_F(DataplaneWire, WithoutXdpTheSpoofedAdvertWouldHaveArrived) {
    // The control for the test above: the kernel itself does not check the TTL of raw VRRP.
    WireSender sender(lab_->b());
    InNetns in(lab_->a());
    auto d = attach(options(::xvrrp::Dataplane::Kernel));
    VrrpListener listener;
    sender.send(advert_frame(mac_b_, 10, 64));
    EXPECT_EQ(listener.next_vrid(1000ms), 10);
}

// keepalived 2.2.7 as the sender: MASTER for VRID 10 in namespace B, advertising on vB.
class KeepalivedInB {
public:
    KeepalivedInB(const std::string& ns, int version) {
        if (run("command -v keepalived").status != 0)
            throw std::runtime_error("keepalived is not installed (scripts/install-deps.sh)");
        char tmpl[] = "/tmp/xvrrp-ka-XXXXXX";
        if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
        dir_ = tmpl;
        std::ofstream conf(dir_ + "/keepalived.conf");
        conf << "global_defs {\n  router_id xv_netns\n}\n"
             << "vrrp_instance VI_10 {\n  state MASTER\n  interface vB\n  virtual_router_id 10\n"
             << "  priority 150\n  advert_int 1\n  version " << version << "\n"
             << (version == 2 ? "  authentication {\n    auth_type PASS\n    auth_pass xvsecret\n  }\n" : "")
             << "  virtual_ipaddress {\n    192.0.2.10/32\n  }\n}\n";
        conf.close();
        pid_ = fork();
        if (pid_ == 0) {
            int log = open((dir_ + "/keepalived.log").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
            if (log >= 0) {
                dup2(log, 1);
                dup2(log, 2);
            }
            execlp("ip", "ip", "netns", "exec", ns.c_str(), "keepalived", "-n", "-l", "-D", "-P",
                   "-f", (dir_ + "/keepalived.conf").c_str(), "-p", (dir_ + "/ka.pid").c_str(),
                   "-r", (dir_ + "/vrrp.pid").c_str(), static_cast<char*>(nullptr));
            _exit(127);
        }
        if (pid_ < 0) throw std::runtime_error("fork failed");
    }
    ~KeepalivedInB() {
        if (pid_ > 0) {
            kill(pid_, SIGTERM);
            int st;
            waitpid(pid_, &st, 0);
        }
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }

    std::string log() const {
        std::ifstream in(dir_ + "/keepalived.log");
        return std::string(std::istreambuf_iterator<char>(in), {});
    }

private:
    std::string dir_;
    pid_t pid_ = -1;
};

class KeepalivedAdverts : public DataplaneWire, public ::testing::WithParamInterface<int> {};

TEST_P(KeepalivedAdverts, RealAdvertsPassXdpAndReachTheRawSocket) {
    const int version = GetParam();
    InNetns in(lab_->a());
    auto d = attach(options());
    ASSERT_TRUE(d.set_vrid_config(10, version == 2 ? XVRRP_VERSION_2 : XVRRP_VERSION_3, false));
    VrrpListener listener;
    auto before = d.read_counters();
    KeepalivedInB keepalived(lab_->b(), version);
    int vrid = -1;
    for (int i = 0; i < 8 && vrid != 10; ++i) vrid = listener.next_vrid(1000ms);
    EXPECT_EQ(vrid, 10) << "no advert from keepalived reached the socket; its log:\n"
                        << keepalived.log();
    auto after = d.read_counters();
    EXPECT_GE(after[XVRRP_C_VRRP_PASS] - before[XVRRP_C_VRRP_PASS], 1u);
    for (int r = 1; r < XVRRP_REASON_COUNT; ++r)
        EXPECT_EQ(after.dropped(static_cast<xvrrp_reason>(r)),
                  before.dropped(static_cast<xvrrp_reason>(r)))
            << "keepalived's advert dropped as " << dp::counter_name(XVRRP_C_VRRP_DROP_BASE + r);
}

INSTANTIATE_TEST_SUITE_P(Versions, KeepalivedAdverts, ::testing::Values(2, 3),
                         [](const auto& info) { return "v" + std::to_string(info.param); });

// ---- lifecycle -------------------------------------------------------------------------------

TEST_F(DataplaneWire, KeptDataplaneIsAdoptedByTheNextControllerThenRemovedCleanly) {
    InNetns in(lab_->a());
    const std::string pins = dp::interface_pin_dir(options());
    {
        auto first = attach(options());
        serve_vip(first, 60s);  // one heartbeat: a gate longer than the test (slow guests too)
        EXPECT_FALSE(first.adopted());
        // A group following a master: its repeats would be absorbed for a controller that is gone.
        const std::vector<std::uint8_t> advert{0x31, 10, 200, 1, 0, 100, 0x12, 0x34, 192, 0, 2, 10};
        ASSERT_TRUE(first.absorb_repeats(*IpAddress::parse("192.0.2.9"), advert));
        first.detach(true);  // upgrade: leave it running
    }
    auto filter_armed = [&] {
        int fd = bpf_obj_get((pins + "/advert_filter").c_str());
        EXPECT_GE(fd, 0) << "advert_filter not pinned";
        xvrrp_advert_filter f{};
        std::uint32_t key = 10;
        EXPECT_EQ(bpf_map_lookup_elem(fd, &key, &f), 0);
        close(fd);
        return f.armed != 0;
    };
    EXPECT_TRUE(filter_armed()) << "test premise: the first controller armed VRID 10";
    EXPECT_TRUE(lab_->has_xdp(lab_->a(), "vA"));
    EXPECT_TRUE(std::filesystem::exists(pins + "/groups"));
    EXPECT_TRUE(arping_answered(mac_a_, 1)) << "answers continue while no controller runs";

    auto second = attach(options());
    EXPECT_TRUE(second.adopted()) << second.describe();
    EXPECT_FALSE(filter_armed()) << "an adopting controller must start every group from its first advert";
    EXPECT_TRUE(second.heartbeat());
    EXPECT_TRUE(arping_answered(mac_a_, 1)) << last_arping_;
    EXPECT_GE(second.read_counters()[XVRRP_C_ARP_REPLIED], 2u) << "counters survive adoption";
    ASSERT_TRUE(second.disown_group(10));  // one write, MAC and gate taken from the adopted map
    EXPECT_FALSE(arping_answered(mac_a_, 1));
    second.detach(false);
    EXPECT_FALSE(lab_->has_xdp(lab_->a(), "vA")) << "detach leaves the interface as it was";
    EXPECT_FALSE(std::filesystem::exists(pins));
}

// A controller killed after attaching but before pinning its program (found by the start-up
// kill soak): the next start recognises the unpinned program by its pinned maps, takes it off and
// attaches afresh instead of refusing a "foreign" program.
TEST_F(DataplaneWire, ProgramLeftUnpinnedByAKilledControllerIsTakenOff) {
    InNetns in(lab_->a());
    const std::string pins = dp::interface_pin_dir(options());
    std::uint32_t orphan = 0;
    {
        auto first = attach(options());
        first.detach(true);  // leaves program and pins, as a kill would
    }
    ASSERT_TRUE(lab_->has_xdp(lab_->a(), "vA"));
    {
        int fd = bpf_obj_get((pins + "/prog").c_str());
        ASSERT_GE(fd, 0);
        bpf_prog_info info{};
        std::uint32_t len = sizeof(info);
        ASSERT_EQ(bpf_obj_get_info_by_fd(fd, &info, &len), 0);
        orphan = info.id;
        close(fd);
    }
    ASSERT_EQ(std::remove((pins + "/prog").c_str()), 0);  // the state of a kill before the pin
    auto second = attach(options());
    EXPECT_FALSE(second.adopted());
    EXPECT_TRUE(lab_->has_xdp(lab_->a(), "vA"));
    std::uint32_t now_attached = 0;
    ASSERT_EQ(bpf_xdp_query_id(static_cast<int>(if_nametoindex("vA")), 0, &now_attached), 0);
    EXPECT_NE(now_attached, orphan) << "the orphan is still attached";
    serve_vip(second);
    EXPECT_TRUE(arping_answered(mac_a_, 1)) << last_arping_;
    second.detach(false);
    EXPECT_FALSE(lab_->has_xdp(lab_->a(), "vA"));
}

// ---- several configs on one interface, and recovery from what a crash leaves -----------------

TEST_F(DataplaneWire, TwoConfigsShareOneProgramCollisionsAreRefusedLastOneOutDetaches) {
    InNetns in(lab_->a());
    const IpAddress vip_b = f::ip("192.0.2.20");
    const std::vector<IpAddress> vips_a{kVip}, vips_b{vip_b};
    // Each config beats once: a gate longer than the test keeps both answering throughout.
    constexpr auto kGate = 60s;
    auto a = attach(named("cfg-a"));
    EXPECT_FALSE(a.joined());
    ASSERT_TRUE(a.claim({{{10, XVRRP_VERSION_3, false, vips_a}}, {}}));
    ASSERT_TRUE(a.heartbeat());
    ASSERT_TRUE(a.own_group(10, to_mac(mac_a_), kGate));
    const std::uint32_t program = attached_id();

    auto b = attach(named("cfg-b"));
    EXPECT_TRUE(b.joined()) << b.describe();
    EXPECT_EQ(b.other_configs(), std::vector<std::string>{"cfg-a"});
    EXPECT_EQ(attached_id(), program) << "the second config must join, not attach another program";
    ASSERT_TRUE(b.claim({{{20, XVRRP_VERSION_3, false, vips_b}}, {}}));
    ASSERT_TRUE(b.heartbeat());
    ASSERT_TRUE(b.own_group(20, to_mac(mac_a_), kGate));
    EXPECT_TRUE(arping_answered(mac_a_, 1, kVip)) << last_arping_;
    EXPECT_TRUE(arping_answered(mac_a_, 1, vip_b)) << last_arping_;

    // A third config wanting cfg-a's VRID, or its VIP: refused, naming cfg-a, nothing touched.
    {
        auto c = attach(named("cfg-c"));
        const std::vector<IpAddress> vips_c{f::ip("192.0.2.30")};
        auto s = c.claim({{{10, XVRRP_VERSION_3, false, vips_c}}, {}});
        ASSERT_FALSE(s);
        EXPECT_NE(s.error.find("cfg-a"), std::string::npos) << s.error;
        s = c.claim({{{30, XVRRP_VERSION_3, false, vips_a}}, {}});
        ASSERT_FALSE(s);
        EXPECT_NE(s.error.find(kVip.to_string()), std::string::npos) << s.error;
        c.detach(false);
    }
    EXPECT_TRUE(arping_answered(mac_a_, 1, kVip)) << "cfg-c's refusal touched cfg-a: " << last_arping_;

    a.detach(false);
    EXPECT_EQ(attached_id(), program) << "cfg-b still uses the program";
    EXPECT_TRUE(arping_answered(mac_a_, 1, vip_b)) << last_arping_;
    EXPECT_FALSE(arping_answered(mac_a_, 1, kVip)) << "cfg-a left: its VIP is no longer answered";
    b.detach(false);
    EXPECT_FALSE(lab_->has_xdp(lab_->a(), "vA")) << "the last config out detaches";
    EXPECT_FALSE(std::filesystem::exists(dp::interface_pin_dir(options())));
}

TEST_F(DataplaneWire, AdoptionWithAChangedPlanServesOnlyTheNewPlan) {
    InNetns in(lab_->a());
    const IpAddress vip11 = f::ip("192.0.2.11");
    const std::vector<IpAddress> g1{kVip}, g2{vip11};
    // One heartbeat each run: a gate longer than the test (arping waits out its deadline).
    {
        auto first = attach(options());
        ASSERT_TRUE(first.claim({{{1, XVRRP_VERSION_3, false, g1}, {2, XVRRP_VERSION_3, false, g2}}, {}}));
        ASSERT_TRUE(first.heartbeat());
        ASSERT_TRUE(first.own_group(1, to_mac(mac_a_), 60s));
        ASSERT_TRUE(first.own_group(2, to_mac(mac_a_), 60s));
        first.detach(true);  // what a SIGKILL leaves
    }
    auto second = attach(options());
    EXPECT_TRUE(second.adopted()) << second.describe();
    EXPECT_TRUE(second.still_served(2)) << "owned, and the heartbeat inside the gate";
    ASSERT_TRUE(second.claim({{{2, XVRRP_VERSION_3, false, g2}}, {}}));
    ASSERT_TRUE(second.heartbeat());
    auto before = second.read_counters();
    EXPECT_FALSE(arping_answered(mac_a_, 1, kVip)) << "VRID 1 left the plan: " << last_arping_;
    EXPECT_GE(second.read_counters()[XVRRP_C_ARP_PASS_NON_VIP] - before[XVRRP_C_ARP_PASS_NON_VIP], 1u)
        << "its VIP must be gone from the map, not merely disowned";
    EXPECT_TRUE(arping_answered(mac_a_, 1, vip11)) << last_arping_;
}

// Issue 16: a heartbeat "from the future" (a garbage stamp) closes the program's gate, so no
// group behind it is served; the next controller must not resume any of them as MASTER either.
TEST_F(DataplaneWire, HeartbeatFromTheFutureClosesTheGateAndNothingIsResumed) {
    InNetns in(lab_->a());
    const std::string pins = dp::interface_pin_dir(options());
    {
        auto first = attach(options());
        serve_vip(first, 60s);
        first.detach(true);
    }
    int fd = bpf_obj_get((pins + "/configs").c_str());
    ASSERT_GE(fd, 0) << "configs not pinned";
    bool found = false;
    for (std::uint32_t k = 0; k < XVRRP_MAX_CONFIGS; ++k) {
        xvrrp_config_slot c{};
        ASSERT_EQ(bpf_map_lookup_elem(fd, &k, &c), 0);
        if (!c.in_use || std::string(c.name) != "netns-test") continue;
        timespec ts{};
        clock_gettime(CLOCK_MONOTONIC, &ts);
        c.heartbeat_ns = static_cast<std::uint64_t>(ts.tv_sec + 3600) * 1'000'000'000ull;  // an hour ahead
        ASSERT_EQ(bpf_map_update_elem(fd, &k, &c, BPF_EXIST), 0);
        found = true;
    }
    close(fd);
    ASSERT_TRUE(found) << "no slot named netns-test";
    auto before_drops = [&] {
        int sfd = bpf_obj_get((pins + "/stats").c_str());
        std::uint64_t sum = 0;
        std::vector<std::uint64_t> per_cpu(static_cast<std::size_t>(libbpf_num_possible_cpus()));
        std::uint32_t key = XVRRP_C_ARP_DROP_STALE;
        if (sfd >= 0 && bpf_map_lookup_elem(sfd, &key, per_cpu.data()) == 0)
            for (auto v : per_cpu) sum += v;
        close(sfd);
        return sum;
    };
    const std::uint64_t stale_before = before_drops();
    EXPECT_FALSE(arping_answered(mac_a_, 1)) << "answered behind a heartbeat from the future: " << last_arping_;
    EXPECT_GE(before_drops() - stale_before, 1u);
    auto second = attach(options());
    EXPECT_TRUE(second.adopted()) << second.describe();
    EXPECT_FALSE(second.still_served(10)) << "the gate was closed: nothing to resume";
}

// A controller whose CLOCK_MONOTONIC is an hour ahead of the host's (a time namespace, Linux
// 5.6+): vm_dataplane_hold (the Dataplane adapter serving kVip, heartbeat every 200 ms) started
// through `unshare -T --monotonic 3600` in namespace A, in its own process group.
class HolderInTimeNamespace {
public:
    HolderInTimeNamespace(const std::string& ns, const std::string& dir) : log_(dir + "/hold.log") {
        // The build's path, not one derived from /proc/self/exe: in the vmtests guest (a chroot)
        // that link names the file from outside the chroot.
        const std::string hold = XVRRP_DATAPLANE_HOLD;
        if (!std::filesystem::exists(hold))
            throw std::runtime_error(hold + " is missing: build the vm_dataplane_hold target first");
        if (run("unshare -T --monotonic 1 --fork true").status != 0)
            throw std::runtime_error("unshare -T --monotonic failed: this kernel or util-linux has no time namespaces");
        pid_ = fork();
        if (pid_ == 0) {
            setpgid(0, 0);
            int log = open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
            if (log >= 0) {
                dup2(log, 1);
                dup2(log, 2);
            }
            // nsenter keeps this process's mount namespace, where the test's bpffs is mounted.
            execlp("nsenter", "nsenter", ("--net=/run/netns/" + ns).c_str(), "unshare", "-T", "--monotonic",
                   "3600", "--fork", hold.c_str(), "vA", kVip.to_string().c_str(), "10",
                   static_cast<char*>(nullptr));
            _exit(127);
        }
        if (pid_ < 0) throw std::runtime_error("fork failed");
        setpgid(pid_, pid_);
    }
    ~HolderInTimeNamespace() { stop(); }
    bool ready() {
        for (int i = 0; i < 100; ++i) {
            if (log().find("ready") != std::string::npos) return true;
            std::this_thread::sleep_for(50ms);
        }
        return false;
    }
    void stop() {
        if (pid_ <= 0) return;
        kill(-pid_, SIGTERM);  // unshare ignores it and waits: the holder detaches, then both exit
        int st;
        waitpid(pid_, &st, 0);
        pid_ = -1;
    }
    std::string log() const {
        std::ifstream in(log_);
        return std::string(std::istreambuf_iterator<char>(in), {});
    }

private:
    std::string log_;
    pid_t pid_ = -1;
};

// Issue 16: with a heartbeat from the future closing the gate, a controller in a time namespace
// must stamp the program's clock, not its own shifted one, or its VIPs would never be answered.
TEST_F(DataplaneWire, ControllerInATimeNamespaceAheadOfTheHostIsStillAnswered) {
    char tmpl[] = "/tmp/xvrrp-timens-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    const std::string dir = tmpl;
    {
        HolderInTimeNamespace holder(lab_->a(), dir);
        ASSERT_TRUE(holder.ready()) << holder.log();
        EXPECT_TRUE(arping_answered(mac_a_, 1)) << "not answered: " << last_arping_ << "\nholder:\n" << holder.log();
        holder.stop();
        EXPECT_NE(holder.log().find("detached"), std::string::npos) << holder.log();
    }
    std::filesystem::remove_all(dir);
}

// Issue 16 bumped the ABI (3 -> 4): an upgrade finds the older program attached with its pins at
// the same place and must swap it in place, not join it.
TEST_F(DataplaneWire, ProgramOfTheOlderAbiIsReplacedInPlaceOnUpgrade) {
    InNetns in(lab_->a());
    const std::string pins = dp::interface_pin_dir(options());
    {
        auto first = attach(options());
        serve_vip(first, 60s);
        first.detach(true);
    }
    const std::uint32_t old_id = attached_id();
    ASSERT_NE(old_id, 0u);
    int fd = bpf_obj_get((pins + "/meta").c_str());
    ASSERT_GE(fd, 0) << "meta not pinned";
    std::uint32_t key = 0;
    xvrrp_meta meta{};
    ASSERT_EQ(bpf_map_lookup_elem(fd, &key, &meta), 0);
    EXPECT_EQ(meta.abi_version, static_cast<std::uint32_t>(XVRRP_ABI_VERSION));
    meta.abi_version = XVRRP_ABI_VERSION - 1;  // what the previous release pinned
    ASSERT_EQ(bpf_map_update_elem(fd, &key, &meta, BPF_ANY), 0);
    close(fd);

    auto next = attach(options());
    EXPECT_FALSE(next.adopted()) << "an older ABI's maps are not adopted: " << next.describe();
    EXPECT_NE(attached_id(), old_id) << "the older program is still attached";
    EXPECT_NE(attached_id(), 0u);
    serve_vip(next);
    EXPECT_TRUE(arping_answered(mac_a_, 1)) << last_arping_;
    next.detach(false);
    EXPECT_FALSE(lab_->has_xdp(lab_->a(), "vA"));
}

// A fresh, empty bpffs over /sys/fs/bpf for the rest of a test: the pod-local one of a new pod.
class FreshBpffs {
public:
    FreshBpffs() { mounted_ = mount("bpf", "/sys/fs/bpf", "bpf", 0, nullptr) == 0; }
    ~FreshBpffs() {
        if (mounted_) umount("/sys/fs/bpf");
    }
    bool ok() const { return mounted_; }

private:
    bool mounted_ = false;
};

// A pod-local bpffs dies with its pod (SIGKILL, OOM kill): the program stays attached with no
// pins anywhere. Attached alone, the next start recognises it as ours and swaps it in one netlink
// request. Under libxdp's dispatcher (6.1) libxdp's own state died with the bpffs too, so nothing
// can be added to the dispatcher: the start is refused, saying so, and nothing is touched.
TEST_F(DataplaneWire, OrphanWhosePinsDiedWithTheirBpffsIsReplacedInPlace) {
    InNetns in(lab_->a());
    bool dispatcher = false;
    {
        auto first = attach(options());
        dispatcher = first.under_dispatcher();
        serve_vip(first);
        first.detach(true);
    }
    const std::uint32_t orphan = attached_id();
    ASSERT_NE(orphan, 0u);
    FreshBpffs fresh;
    ASSERT_TRUE(fresh.ok()) << std::strerror(errno);
    ASSERT_FALSE(std::filesystem::exists(dp::interface_pin_dir(options())));
    if (dispatcher) {
        auto r = dp::Dataplane::attach(options());
        ASSERT_FALSE(r) << r.value().describe();
        EXPECT_NE(r.error().message.find("libxdp's dispatcher is attached"), std::string::npos) << r.error().message;
        EXPECT_EQ(attached_id(), orphan);
        must("ip -n " + lab_->a() + " link set dev vA xdp off");  // what the message tells the operator
        return;
    }
    auto second = attach(options());
    EXPECT_FALSE(second.adopted());
    EXPECT_NE(attached_id(), orphan) << "the orphan is still attached";
    EXPECT_NE(attached_id(), 0u);
    serve_vip(second);
    EXPECT_TRUE(arping_answered(mac_a_, 1)) << last_arping_;
    second.detach(false);
    EXPECT_FALSE(lab_->has_xdp(lab_->a(), "vA"));
}

// The same, but another config still beats inside the orphan: its bpffs is not ours to see, and
// replacing its program would cut it off. Refused, naming it (attached alone; under the
// dispatcher, refused as above).
TEST_F(DataplaneWire, OrphanThatAnotherLiveConfigStillUsesIsRefused) {
    InNetns in(lab_->a());
    auto a = attach(named("cfg-a"));
    ASSERT_TRUE(a.heartbeat());
    {
        auto b = attach(named("cfg-b"));
        b.detach(true);
    }
    const std::uint32_t program = attached_id();
    {
        FreshBpffs fresh;
        ASSERT_TRUE(fresh.ok()) << std::strerror(errno);
        auto r = dp::Dataplane::attach(named("cfg-b"));
        ASSERT_FALSE(r) << r.value().describe();
        const std::string want = a.under_dispatcher() ? "libxdp's dispatcher is attached" : "cfg-a";
        EXPECT_NE(r.error().message.find(want), std::string::npos) << r.error().message;
        EXPECT_EQ(attached_id(), program);
    }  // back to the bpffs holding cfg-a's pins
    // cfg-b's slot outlives cfg-a: the program keeps dropping ARP/NS for cfg-b's VIPs (leftover
    // addresses must not answer for them) until cfg-b is cleaned up for good.
    a.detach(false);
    EXPECT_EQ(attached_id(), program);
    ASSERT_TRUE(dp::Dataplane::cleanup(named("cfg-b")));
    EXPECT_FALSE(lab_->has_xdp(lab_->a(), "vA"));
    EXPECT_FALSE(std::filesystem::exists(dp::interface_pin_dir(options()) + "/prog"));
}

TEST_F(DataplaneWire, NativeUnsupportedFallsBackToGeneric) {
    InNetns in(lab_->a());
    // A bridge has no driver XDP (no ndo_bpf); this kernel has no dummy driver to use instead.
    must("ip -n " + lab_->a() + " link add br0 type bridge");
    must("ip -n " + lab_->a() + " link set br0 up");
    {
        auto d = attach(options(::xvrrp::Dataplane::Xdp, "br0"));
        EXPECT_EQ(d.mode(), dp::Mode::Generic) << d.describe();
        EXPECT_TRUE(lab_->has_xdp(lab_->a(), "br0"));
    }  // destructor: detach and unpin
    EXPECT_FALSE(lab_->has_xdp(lab_->a(), "br0"));
}

TEST_F(DataplaneWire, GenericModeOnRequestAnswersArp) {
    InNetns in(lab_->a());
    auto d = attach(options(::xvrrp::Dataplane::XdpGeneric));
    EXPECT_EQ(d.mode(), dp::Mode::Generic) << d.describe();
    serve_vip(d);
    EXPECT_TRUE(arping_answered(mac_a_)) << last_arping_;
}

TEST_F(DataplaneWire, ForeignProgramOnTheInterfaceIsLeftAloneAndNamed) {
    must("ip -n " + lab_->a() + " link set dev vA xdpdrv obj " XVRRP_XDP_PASS_OBJECT " sec xdp");
    InNetns in(lab_->a());
    auto r = dp::Dataplane::attach(options());
    ASSERT_FALSE(r) << r.value().describe();
    EXPECT_NE(r.error().message.find("another XDP program"), std::string::npos)
        << r.error().message;
    EXPECT_NE(must("ip -n " + lab_->a() + " link show dev vA").find("xdp_pass"), std::string::npos)
        << "the foreign program must stay attached";
    EXPECT_FALSE(std::filesystem::exists(dp::interface_pin_dir(options()) + "/prog"));
}

TEST_F(DataplaneWire, BadOptionsAreRefusedWithTheCulpritNamed) {
    InNetns in(lab_->a());
    auto o = options();
    o.interface = "nosuchdev0";
    auto r = dp::Dataplane::attach(o);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("nosuchdev0"), std::string::npos) << r.error().message;
    o = options();
    o.config_name = "../escape";
    r = dp::Dataplane::attach(o);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("../escape"), std::string::npos) << r.error().message;
    auto d = attach(options());
    EXPECT_FALSE(d.own_group(10, to_mac(mac_a_), 0ns)) << "a zero gate would never answer";
    EXPECT_FALSE(d.add_vip(kVip, 0)) << "VRID 0";
}

}  // namespace
}  // namespace xvrrp::testing
