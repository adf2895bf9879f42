// VIP delivery by local routes (issue 15) through a real wire: LocalRoutes in namespace A, a TCP
// client in namespace B. Routes of ours are found by protocol AND this config's metric; another
// config's routes (other metric) and the kernel's own are never touched.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <memory>
#include <set>
#include <thread>

#include "adapters/local_routes.hpp"
#include "lab.hpp"

namespace xvrrp::testing {
namespace {

using namespace std::chrono_literals;

IpAddress ip(const char* s) { return *IpAddress::parse(s); }

std::vector<IpAddress> range(const char* first, std::uint32_t n) {
    std::vector<IpAddress> v;
    for (std::uint32_t i = 0; i < n; ++i) v.push_back(IpAddress::v4(ip(first).v4_host_order() + i));
    return v;
}

// A listener on 0.0.0.0:8080 in the calling thread's namespace; accepts and answers "A".
class Listener {
public:
    Listener() {
        fd_ = socket(AF_INET, SOCK_STREAM, 0);
        int one = 1;
        setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(8080);
        if (bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(fd_, 64) != 0)
            throw std::runtime_error("listener: " + std::string(std::strerror(errno)));
        thread_ = std::thread([this] {
            while (true) {
                pollfd p{fd_, POLLIN, 0};
                if (poll(&p, 1, 100) <= 0) {
                    if (stop_) return;
                    continue;
                }
                int c = accept(fd_, nullptr, nullptr);
                if (c >= 0) {
                    (void)!write(c, "A", 1);
                    close(c);
                }
            }
        });
    }
    ~Listener() {
        stop_ = true;
        thread_.join();
        close(fd_);
    }

private:
    int fd_ = -1;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

// From namespace B: does a TCP connection to vip:8080 get "A" within the timeout?
bool tcp_served(const std::string& ns_b, const IpAddress& vip, std::chrono::milliseconds timeout = 500ms) {
    InNetns in(ns_b);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(8080);
    std::memcpy(&a.sin_addr, vip.bytes().data(), 4);
    connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    pollfd p{fd, POLLIN, 0};
    bool ok = poll(&p, 1, static_cast<int>(timeout.count())) == 1;
    char c = 0;
    ok = ok && read(fd, &c, 1) == 1 && c == 'A';
    close(fd);
    return ok;
}

class LocalRoutesWire : public ::testing::Test {
protected:
    void SetUp() override {
        lab_ = std::make_unique<Lab>();
        // B reaches the VIP ranges through A (the client's view of a VIP LAN, ARP aside).
        must("ip -n " + lab_->b() + " route add 198.18.0.0/16 via 192.0.2.1 dev vB");
        must("ip -n " + lab_->a() + " link set lo up");
    }
    std::string routes_a() { return must("ip -n " + lab_->a() + " route show table local"); }
    std::unique_ptr<Lab> lab_;
};

TEST_F(LocalRoutesWire, AGroupOf4096VipsIsDeliveredByOneRouteAndUndeliveredByItsRemoval) {
    InNetns in(lab_->a());
    Listener listener;
    const auto vips = range("198.18.16.0", 4096);
    const auto cover = prefix_cover(vips);
    ASSERT_EQ(cover.size(), 1u);
    EXPECT_EQ(cover[0].to_string(), "198.18.16.0/20");
    LocalRoutes routes(static_cast<int>(if_nametoindex("vA")), LocalRoutes::route_metric("cfg-a"));
    EXPECT_FALSE(tcp_served(lab_->b(), vips.front(), 200ms)) << "nothing local yet";
    auto added = routes.add(cover);
    ASSERT_TRUE(added.ok());
    EXPECT_LT(added.latency, 50ms);
    EXPECT_TRUE(routes.delivers(vips.back()));
    EXPECT_TRUE(tcp_served(lab_->b(), vips.front())) << routes_a();
    EXPECT_TRUE(tcp_served(lab_->b(), vips.back())) << routes_a();
    EXPECT_FALSE(tcp_served(lab_->b(), ip("198.18.32.0"), 200ms)) << "just past the group: not ours";
    EXPECT_NE(routes_a().find("198.18.16.0/20"), std::string::npos);
    ASSERT_TRUE(routes.remove(cover).ok());
    EXPECT_FALSE(tcp_served(lab_->b(), vips.front(), 200ms));
    EXPECT_TRUE(routes.add(cover).ok() && routes.add(cover).ok()) << "adding twice is idempotent";
    EXPECT_TRUE(routes.remove(cover).ok() && routes.remove(cover).ok()) << "removing twice too";
}

TEST_F(LocalRoutesWire, RestartAdoptsAndCleansOnlyThisConfigsRoutes) {
    InNetns in(lab_->a());
    const int ifindex = static_cast<int>(if_nametoindex("vA"));
    const std::vector<Prefix> a1{{ip("198.18.1.0"), 24}}, a2{{ip("198.18.2.0"), 24}}, b1{{ip("198.18.3.0"), 24}};
    {
        LocalRoutes first(ifindex, LocalRoutes::route_metric("cfg-a"));
        ASSERT_TRUE(first.add(a1).ok());
        ASSERT_TRUE(first.add(a2).ok());
    }  // a SIGKILL: the routes stay
    LocalRoutes other(ifindex, LocalRoutes::route_metric("cfg-b"));
    ASSERT_TRUE(other.add(b1).ok());
    must("ip -n " + lab_->a() + " route add local 198.18.4.0/24 dev vA table local proto 77");  // someone else's
    const std::string before = routes_a();

    LocalRoutes again(ifindex, LocalRoutes::route_metric("cfg-a"));
    EXPECT_EQ(again.list_ours(), (std::vector<Prefix>{a1[0], a2[0]}));
    auto removed = again.adopt({a2[0]});  // the new run resumes the group of a2 only
    EXPECT_EQ(removed, a1);
    EXPECT_EQ(again.held(), (std::set<Prefix>{a2[0]}));
    const std::string after = routes_a();
    EXPECT_EQ(after.find("198.18.1.0/24"), std::string::npos) << after;
    EXPECT_NE(after.find("198.18.2.0/24"), std::string::npos) << after;
    EXPECT_NE(after.find("198.18.3.0/24"), std::string::npos) << "another config's route: " << after;
    EXPECT_NE(after.find("198.18.4.0/24"), std::string::npos) << "not ours (metric 0): " << after;
    EXPECT_NE(after.find("local 192.0.2.1 "), std::string::npos) << "the kernel's own: " << after;
    ASSERT_TRUE(again.remove_all().ok());
    EXPECT_TRUE(again.list_ours().empty());
    EXPECT_EQ(other.list_ours(), b1);
}

TEST_F(LocalRoutesWire, Ipv6PrefixesToo) {
    InNetns in(lab_->a());
    LocalRoutes routes(static_cast<int>(if_nametoindex("vA")), LocalRoutes::route_metric("cfg-6"));
    std::vector<IpAddress> vips;
    for (int i = 0; i < 8; ++i) {
        auto b = ip("2001:db8:1::").bytes();
        b[15] = static_cast<std::uint8_t>(i);
        vips.push_back(IpAddress::v6(b));
    }
    auto cover = prefix_cover(vips);
    ASSERT_TRUE(routes.add(cover).ok());
    EXPECT_EQ(routes.list_ours(), cover);
    EXPECT_NE(must("ip -n " + lab_->a() + " -6 route show table local").find("2001:db8:1::/125"), std::string::npos);
    ASSERT_TRUE(routes.remove_all().ok());
    EXPECT_TRUE(routes.list_ours().empty());
}

}  // namespace
}  // namespace xvrrp::testing
