// The daemon's election driver with a recording sink: one timer queue drives every group,
// actions arrive in the machine's order, adverts of one tick are flushed together.
#include "daemon/election_driver.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include <algorithm>

using namespace xvrrp;
using namespace std::chrono_literals;

namespace {

struct Recorder : ActionSink {
    std::vector<std::string> log;          // "g0 own", "g1 advert 100", ...
    std::vector<std::size_t> adverts_per_tick;
    std::size_t pending = 0;
    void send_advert(std::size_t g, std::uint8_t p) override {
        log.push_back("g" + std::to_string(g) + " advert " + std::to_string(p));
        ++pending;
    }
    void own_group(std::size_t g) override { log.push_back("g" + std::to_string(g) + " own"); }
    void disown_group(std::size_t g) override { log.push_back("g" + std::to_string(g) + " disown"); }
    void add_addresses(std::size_t g) override { log.push_back("g" + std::to_string(g) + " add"); }
    void remove_addresses(std::size_t g) override { log.push_back("g" + std::to_string(g) + " remove"); }
    void announce(std::size_t g) override { log.push_back("g" + std::to_string(g) + " announce"); }
    void notify(std::size_t g, std::string_view s, std::uint8_t p) override {
        log.push_back("g" + std::to_string(g) + " notify " + std::string(s) + " " + std::to_string(p));
    }
    void transition(std::size_t g, std::string_view from, std::string_view to, const std::string&) override {
        log.push_back("g" + std::to_string(g) + " " + std::string(from) + "->" + std::string(to));
    }
    void tick_done() override {
        if (pending) adverts_per_tick.push_back(pending);
        pending = 0;
    }
    std::vector<std::string> of(std::size_t g) const {
        std::vector<std::string> out;
        std::string p = "g" + std::to_string(g) + " ";
        for (const auto& l : log)
            if (l.rfind(p, 0) == 0) out.push_back(l.substr(p.size()));
        return out;
    }
    std::size_t count(const std::string& what) const { return static_cast<std::size_t>(std::count(log.begin(), log.end(), what)); }
};

InstanceSpec spec(const char* name, std::uint8_t vrid, std::uint8_t prio, bool initial_master) {
    InstanceSpec s;
    s.name = name;
    s.vrid = vrid;
    s.priority = prio;
    s.version = 3;
    s.advert_interval = 100ms;
    s.initial_master = initial_master;
    s.primary = *IpAddress::parse("192.0.2.1");
    return s;
}

std::size_t index_of(const std::vector<std::string>& v, const std::string& s) {
    return static_cast<std::size_t>(std::find(v.begin(), v.end(), s) - v.begin());
}

}  // namespace

TEST(ElectionDriver, BecomesMasterInOrderAndBatchesAdvertsOfOneTick) {
    boost::asio::io_context io;
    Recorder r;
    ElectionDriver d(io, {spec("A", 11, 200, true), spec("B", 12, 200, true)}, r);
    d.startup();
    io.run_for(550ms);
    for (std::size_t g : {0u, 1u}) {
        auto a = r.of(g);
        // Map first, then the address batch, then GARP/NA (ARCHITECTURE.md), notify after.
        std::size_t own = index_of(a, "own"), add = index_of(a, "add"), ann = index_of(a, "announce");
        ASSERT_LT(ann, a.size()) << "group " << g << " never announced";
        EXPECT_LT(own, add);
        EXPECT_LT(add, ann);
        EXPECT_LT(index_of(a, "BACKUP->MASTER"), own);
        EXPECT_LT(index_of(a, "notify MASTER 200"), a.size());
        EXPECT_TRUE(d.runtime(g).master);
    }
    // Both groups run the same 100 ms interval from the same start: their adverts fall due in
    // the same tick and reach the sink before one tick_done (one sendmmsg in the daemon).
    EXPECT_GE(std::count(r.adverts_per_tick.begin(), r.adverts_per_tick.end(), 2u), 2) << "adverts were not batched per tick";
    EXPECT_GE(r.count("g0 advert 200"), 4u);
    EXPECT_LE(r.count("g0 advert 200"), 7u) << "more adverts than the interval allows";
}

TEST(ElectionDriver, HigherAdvertMakesMasterStepDownAndShutdownResigns) {
    boost::asio::io_context io;
    Recorder r;
    ElectionDriver d(io, {spec("A", 11, 100, true), spec("B", 12, 150, true)}, r);
    d.startup();
    io.run_for(250ms);
    ASSERT_TRUE(d.runtime(0).master);
    d.advert(0, 250, *IpAddress::parse("192.0.2.9"), 100ms);
    auto a = r.of(0);
    EXPECT_EQ(d.runtime(0).state, "BACKUP");
    EXPECT_LT(index_of(a, "disown"), index_of(a, "remove")) << "disown in the map before removing addresses";
    EXPECT_EQ(d.runtime(0).master_address, IpAddress::parse("192.0.2.9"));
    r.log.clear();
    d.shutdown();
    auto b = r.of(1);
    ASSERT_FALSE(b.empty());
    EXPECT_EQ(b[0], "MASTER->INIT");
    // Leaving MASTER disowns in the map first (ARCHITECTURE.md), resigns with a priority-0
    // advert (RFC 5798 6.4.3), and only then removes the addresses.
    EXPECT_EQ(index_of(b, "disown"), 1u);
    EXPECT_LT(index_of(b, "advert 0"), b.size()) << "no priority-0 advert on shutdown";
    EXPECT_LT(index_of(b, "disown"), index_of(b, "remove"));
    // Nothing fires after shutdown.
    r.log.clear();
    io.restart();
    io.run_for(300ms);
    EXPECT_TRUE(r.log.empty());
}

TEST(ElectionDriver, CheckAndLinkReachEveryGroup) {
    boost::asio::io_context io;
    Recorder r;
    ElectionDriver d(io, {spec("A", 11, 100, true), spec("B", 12, 150, false)}, r);
    d.startup();
    d.check(false);
    EXPECT_EQ(d.runtime(0).state, "FAULT");
    EXPECT_EQ(d.runtime(1).state, "FAULT");
    d.check(true);
    d.link(false);
    EXPECT_EQ(d.runtime(0).state, "FAULT");
    d.link(true);
    EXPECT_EQ(d.runtime(1).state, "BACKUP");
    d.stop_group(1);
    EXPECT_FALSE(d.active(1));
    EXPECT_EQ(d.runtime(1).state, "STOPPED");
    auto g = d.add_group(spec("C", 13, 120, true));
    EXPECT_EQ(g, 2u);
    EXPECT_TRUE(d.active(2));
}
