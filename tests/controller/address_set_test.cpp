#include "adapters/address_set.hpp"
#include "netns_fixture.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <algorithm>
#include <functional>
#include <set>

using namespace xvrrp;
using xvrrp::test::Netns;

namespace {

IpAddress ip(const char* s) { return *IpAddress::parse(s); }

bool listed(AddressSet& set, const IpAddress& a, int prefix) {
    auto all = set.list();
    return std::any_of(all.begin(), all.end(), [&](auto& ia) { return ia.address == a && ia.prefix_len == prefix; });
}

struct AddressSetTest : ::testing::Test {
    Netns ns{"addr"};
    int ifindex = 0;
    boost::asio::io_context io;
    void SetUp() override {
        ns.run("ip link add xva type veth peer name xvb");
        ns.run("ip link set xva up && ip link set xvb up");
        ns.run("ip addr add 192.0.2.1/24 dev xva");
        ifindex = test::ifindex_of("xva");
    }
    AddressBatchOutcome wait(AddressSet& set, bool add, const std::vector<IpAddress>& v) {
        AddressBatchOutcome got;
        bool done = false;
        auto cb = [&](const AddressBatchOutcome& o) { got = o; done = true; };
        if (add) set.add(v, cb); else set.remove(v, cb);
        io.restart();
        while (!done && io.run_one_for(std::chrono::seconds(3))) {}
        EXPECT_TRUE(done) << "batch never completed";
        return got;
    }
};

}  // namespace

TEST_F(AddressSetTest, AddsAndRemovesAGroupInOneBatch) {
    AddressSet set(io, ifindex);
    std::vector<IpAddress> vips{ip("192.0.2.10"), ip("192.0.2.11"), ip("2001:db8::10")};
    auto out = wait(set, true, vips);
    EXPECT_TRUE(out.ok());
    EXPECT_TRUE(listed(set, ip("192.0.2.10"), 32));
    EXPECT_TRUE(listed(set, ip("192.0.2.11"), 32));
    EXPECT_TRUE(listed(set, ip("2001:db8::10"), 128));
    EXPECT_EQ(set.held().size(), 3u);
    // Adding again is idempotent.
    EXPECT_TRUE(wait(set, true, vips).ok());
    out = wait(set, false, vips);
    EXPECT_TRUE(out.ok());
    EXPECT_FALSE(listed(set, ip("192.0.2.10"), 32));
    EXPECT_FALSE(listed(set, ip("2001:db8::10"), 128));
    EXPECT_TRUE(set.held().empty());
    // Removing what is gone succeeds too.
    EXPECT_TRUE(wait(set, false, vips).ok());
}

TEST_F(AddressSetTest, ReportsAFailingAddressAndKeepsTheOthers) {
    AddressSet set(io, ifindex);
    // An IPv6 multicast address cannot be an interface address (without IFA_F_MCAUTOJOIN): the
    // kernel refuses that one alone.
    std::vector<IpAddress> vips{ip("192.0.2.20"), ip("ff02::99"), ip("192.0.2.21")};
    auto out = wait(set, true, vips);
    ASSERT_EQ(out.failed.size(), 1u) << "ff02::99 should be refused";
    EXPECT_EQ(out.failed[0].address, ip("ff02::99"));
    EXPECT_NE(out.failed[0].error, 0);
    EXPECT_TRUE(listed(set, ip("192.0.2.20"), 32));
    EXPECT_TRUE(listed(set, ip("192.0.2.21"), 32));
}

TEST_F(AddressSetTest, DestructorRemovesWhatItAdded) {
    {
        AddressSet set(io, ifindex);
        EXPECT_TRUE(wait(set, true, {ip("192.0.2.30"), ip("2001:db8::30")}).ok());
    }
    AddressSet probe(io, ifindex);
    EXPECT_FALSE(listed(probe, ip("192.0.2.30"), 32));
    EXPECT_FALSE(listed(probe, ip("2001:db8::30"), 128));
    EXPECT_TRUE(listed(probe, ip("192.0.2.1"), 24)) << "the node address must stay";
}

TEST_F(AddressSetTest, RemovesOnlyStaleHostAddressesOfThisConfig) {
    ns.run("ip addr add 192.0.2.40/32 dev xva");
    ns.run("ip addr add 192.0.2.41/32 dev xva");       // not one of ours
    ns.run("ip addr add 2001:db8::40/128 dev xva nodad");
    AddressSet set(io, ifindex);
    auto removed = set.remove_stale({ip("192.0.2.40"), ip("2001:db8::40"), ip("192.0.2.1")});
    std::sort(removed.begin(), removed.end());
    EXPECT_EQ(removed, (std::vector<IpAddress>{ip("192.0.2.40"), ip("2001:db8::40")}));
    EXPECT_FALSE(listed(set, ip("192.0.2.40"), 32));
    EXPECT_TRUE(listed(set, ip("192.0.2.41"), 32));
    EXPECT_TRUE(listed(set, ip("192.0.2.1"), 24)) << "a /24 node address is never a stale VIP";
}

TEST_F(AddressSetTest, LargeBatchIsPipelinedInWindows) {
    AddressSet set(io, ifindex);
    std::vector<IpAddress> vips;
    for (int i = 0; i < 2000; ++i) vips.push_back(IpAddress::v4((198u << 24) | (18u << 16) | static_cast<unsigned>(i + 1)));
    auto out = wait(set, true, vips);
    EXPECT_TRUE(out.ok()) << out.failed.size() << " failed";
    EXPECT_EQ(set.held().size(), vips.size());
    std::printf("[ figure ] 2000 addresses added in %.2f ms\n", out.latency.count() / 1e6);
    out = wait(set, false, vips);
    EXPECT_TRUE(out.ok());
    std::printf("[ figure ] 2000 addresses removed in %.2f ms\n", out.latency.count() / 1e6);
    EXPECT_TRUE(set.held().empty());
}

// A large batch goes out in windows small enough that the loop runs other work in between
// (adverts, on a daemon) instead of waiting for the whole batch.
TEST_F(AddressSetTest, TheLoopKeepsTurningDuringALargeAdd) {
    AddressSet set(io, ifindex);
    std::vector<IpAddress> vips;
    for (int i = 0; i < 2000; ++i) vips.push_back(IpAddress::v4((198u << 24) | (18u << 16) | static_cast<unsigned>(i + 1)));
    bool added = false;
    // Another handler, re-posting itself until the add is done, notes every progress it sees:
    // one step per window when the loop gets a turn between windows.
    std::set<std::size_t> progress_seen;
    std::function<void()> tick = [&] {
        if (added) return;
        progress_seen.insert(set.held().size());
        boost::asio::post(io, tick);
    };
    set.add(vips, [&](const AddressBatchOutcome&) { added = true; });
    boost::asio::post(io, tick);
    io.restart();
    while (!added && io.run_one_for(std::chrono::seconds(3))) {}
    ASSERT_TRUE(added);
    // 2000 addresses in windows of kAsyncWindow (32) are 63 slices; a window of 512 made 4.
    EXPECT_GE(progress_seen.size(), 20u) << "the add ran in too few slices: the loop waited for it";
    EXPECT_TRUE(wait(set, false, vips).ok());
}

// A group that loses mastership while its addresses are still going on: the remove that follows
// drops the adds not sent yet, both batches report, and nothing stays on the interface.
TEST_F(AddressSetTest, RemoveDuringALargeAddCancelsTheUnsentPart) {
    AddressSet set(io, ifindex);
    std::vector<IpAddress> vips;
    for (int i = 0; i < 2000; ++i) vips.push_back(IpAddress::v4((198u << 24) | (18u << 16) | static_cast<unsigned>(i + 1)));
    bool added = false, removed = false;
    std::size_t held_when_added = 0;
    AddressBatchOutcome add_out, remove_out;
    set.add(vips, [&](const AddressBatchOutcome& o) { add_out = o; added = true; held_when_added = set.held().size(); });
    io.restart();
    for (int i = 0; i < 4 && !added; ++i) io.run_one_for(std::chrono::seconds(3));  // a few windows
    set.remove(vips, [&](const AddressBatchOutcome& o) { remove_out = o; removed = true; });
    while (!(added && removed) && io.run_one_for(std::chrono::seconds(3))) {}
    ASSERT_TRUE(added && removed);
    EXPECT_TRUE(add_out.ok()) << add_out.failed.size() << " failed";
    EXPECT_TRUE(remove_out.ok()) << remove_out.failed.size() << " failed";
    EXPECT_LT(held_when_added, vips.size()) << "every add was made although the group was going";
    EXPECT_TRUE(set.held().empty());
    auto listed_now = set.list();
    EXPECT_TRUE(std::none_of(listed_now.begin(), listed_now.end(), [](const InterfaceAddress& a) {
        return a.address.is_v4() && (a.address.v4_host_order() >> 16) == ((198u << 8) | 18u);
    })) << "a VIP stayed on the interface";
}
