// Proves the simulator's checker can fail: hand-fed observations that break each rule, and
// deliberately broken clusters (a deaf router, a mismatched VRID, a wire that loses every
// priority 0 advert) that must be reported. Also: a seed replays identically.
#include "cluster.hpp"
#include "monitor.hpp"
#include "scenario.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <string>

using namespace xvrrp;
using namespace xvrrp::sim;
using namespace std::chrono_literals;

namespace {

// Three routers, one group, VRRPv3 at 100 ms, no delay: the bounds are easy to work by hand.
// Priorities 100 (r0), 150 (r1, preempting), 50 (r2). MDI of priority 50:
// 300 ms + 206 * 100 ms / 256 = 380.46875 ms; Skew_Time of 50 = 80.46875 ms.
Scenario three_routers() {
    Scenario s;
    s.seed = 0;
    s.routers = 3;
    s.groups = 1;
    s.version = 3;
    s.interval = 100ms;
    s.interval_max = 100ms;
    const std::uint8_t prio[3] = {100, 150, 50};
    s.config.assign(3, std::vector<InstanceConfig>(1));
    for (int r = 0; r < 3; ++r) {
        s.addresses.push_back(*IpAddress::parse("192.0.2." + std::to_string(10 + r)));
        auto& c = s.config[r][0];
        c.name = "r" + std::to_string(r);
        c.vrid = 11;
        c.version = 3;
        c.advert_interval = 100ms;
        c.priority = prio[r];
        c.primary_address = s.addresses[r];
        s.mdi_max = std::max(s.mdi_max, rfc_master_down_interval(3, c.priority, s.interval));
        s.skew_max = std::max(s.skew_max, rfc_skew_time(3, c.priority, s.interval));
    }
    return s;
}

Time at(Dur d) { return Time{} + d; }

struct Fed {
    Scenario s = three_routers();
    Monitor m{s};
    Fed() {
        for (int r = 0; r < 3; ++r) m.set_eligible(r, true);
        for (int r = 0; r < 3; ++r) m.set_state(at(0ms), r, 0, State::Backup);
        m.start_calm(at(0ms));
    }
};

}  // namespace

TEST(SimMonitor, SingleMasterPasses) {
    Fed f;
    f.m.set_state(at(10ms), 1, 0, State::Master);
    for (int t = 20; t <= 2000; t += 10) f.m.check(at(std::chrono::milliseconds(t)));
    f.m.finish(at(2000ms));
    EXPECT_FALSE(f.m.violation()) << f.m.violation()->what;
}

TEST(SimMonitor, TwoMastersFoundAtCalmStartGetOneAdvert) {
    Scenario s = three_routers();
    Monitor m{s};
    for (int r = 0; r < 3; ++r) m.set_eligible(r, true);
    m.set_state(at(0ms), 0, 0, State::Master);
    m.set_state(at(0ms), 1, 0, State::Master);
    m.set_state(at(0ms), 2, 0, State::Backup);
    m.start_calm(at(0ms));
    m.check(at(100ms));  // exactly one interval: still allowed (no delay in this cluster)
    EXPECT_FALSE(m.violation());
    m.check(at(100ms) + 1ns);
    ASSERT_TRUE(m.violation());
    EXPECT_NE(m.violation()->what.find("both MASTER"), std::string::npos);
}

TEST(SimMonitor, ANewSecondMasterMustResolveWithinTwoDelays) {
    Fed f;  // no delay in this cluster: resolution is instantaneous
    f.m.set_state(at(10ms), 1, 0, State::Master);
    f.m.set_state(at(20ms), 0, 0, State::Master);
    f.m.check(at(20ms));
    EXPECT_FALSE(f.m.violation());
    f.m.check(at(20ms) + 1ns);
    ASSERT_TRUE(f.m.violation());
    EXPECT_NE(f.m.violation()->what.find("both MASTER"), std::string::npos);
}

TEST(SimMonitor, MasterVanishingWithoutCauseIsReported) {
    Fed f;
    f.m.set_state(at(10ms), 1, 0, State::Master);
    f.m.check(at(10ms));
    f.m.set_state(at(500ms), 1, 0, State::Backup);  // nobody took over, nothing happened
    f.m.check(at(500ms));
    f.m.check(at(501ms));
    ASSERT_TRUE(f.m.violation());
    EXPECT_NE(f.m.violation()->what.find("without crash"), std::string::npos);
}

TEST(SimMonitor, CrashTakeoverBoundIsMasterDownIntervalPlusOneAdvert) {
    for (const bool late : {false, true}) {
        Fed f;
        f.m.set_state(at(10ms), 1, 0, State::Master);
        f.m.check(at(10ms));
        f.m.start_probe(at(1000ms), Probe::CrashMaster, 1);
        f.m.set_state(at(1000ms), 1, 0, State::Initialize);
        f.m.set_eligible(1, false);
        f.m.check(at(1000ms));
        // The best backup is r0 (prio 100): MDI = 300 + 156 * 100 / 256 = 360.9375 ms,
        // limit 460.9375 ms.
        const Time takeover = at(1000ms) + 460'937'500ns + (late ? 1ns : 0ns);
        f.m.set_state(takeover, 0, 0, State::Master);
        f.m.check(takeover);
        EXPECT_EQ(f.m.violation().has_value(), late);
    }
}

TEST(SimMonitor, CrashTakeoverBeforeMasterDownIntervalIsPremature) {
    for (const bool early : {false, true}) {
        Fed f;
        f.m.set_state(at(10ms), 1, 0, State::Master);
        f.m.check(at(10ms));
        f.m.start_probe(at(1000ms), Probe::CrashMaster, 1);
        f.m.set_state(at(1000ms), 1, 0, State::Initialize);
        f.m.set_eligible(1, false);
        f.m.check(at(1000ms));
        // Last advert at most one interval before the crash: 360.9375 - 100 ms.
        const Time takeover = at(1000ms) + 260'937'500ns - (early ? 1ns : 0ns);
        f.m.set_state(takeover, 0, 0, State::Master);
        EXPECT_EQ(f.m.violation().has_value(), early);
        if (early) {
            EXPECT_NE(f.m.violation()->what.find("earliest legitimate"), std::string::npos);
        }
    }
}

TEST(SimMonitor, LowerBackupWinningTheTakeoverRaceIsReported) {
    Fed f;
    f.m.set_state(at(10ms), 1, 0, State::Master);
    f.m.check(at(10ms));
    f.m.start_probe(at(1000ms), Probe::ResignMaster, 1);
    f.m.set_state(at(1000ms), 1, 0, State::Initialize);
    f.m.set_eligible(1, false);
    f.m.check(at(1000ms));
    // r2 (prio 50, Skew_Time 80.47 ms) must not beat r0 (prio 100, 60.94 ms).
    // At exactly r0's Skew_Time, 60.9375 ms: the earliest legitimate takeover and the limit
    // (no delay in this cluster), so only the order is wrong.
    f.m.set_state(at(1000ms) + 60'937'500ns, 2, 0, State::Master);
    ASSERT_TRUE(f.m.violation());
    EXPECT_NE(f.m.violation()->what.find("before a backup with Skew_Time"), std::string::npos);
}

TEST(SimMonitor, NopreemptBackupTakingOverFromALiveMasterIsReported) {
    Fed f;
    f.s.config[1][0].preempt = PreemptPolicy::NoPreempt;
    f.m.set_state(at(10ms), 0, 0, State::Master);  // prio 100
    f.m.set_state(at(500ms), 1, 0, State::Master);  // prio 150 but nopreempt
    ASSERT_TRUE(f.m.violation());
    EXPECT_NE(f.m.violation()->what.find("nopreempt"), std::string::npos);
}

TEST(SimMonitor, ResignationTakeoverBoundIsSkewTime) {
    Fed f;
    f.m.set_state(at(10ms), 1, 0, State::Master);
    f.m.check(at(10ms));
    f.m.start_probe(at(1000ms), Probe::ResignMaster, 1);
    f.m.set_state(at(1000ms), 1, 0, State::Initialize);
    f.m.set_eligible(1, false);
    f.m.check(at(1000ms));
    // A takeover one Master_Down_Interval later (what losing the priority 0 advert gives) is
    // far beyond Skew_Time.
    f.m.set_state(at(1000ms) + f.s.mdi_max, 0, 0, State::Master);
    ASSERT_TRUE(f.m.violation());
    EXPECT_NE(f.m.violation()->what.find("priority 0"), std::string::npos);
}

TEST(SimMonitor, LowerMasterOverAPreemptingBackupIsReportedAtTheEnd) {
    Fed f;
    f.m.set_state(at(10ms), 0, 0, State::Master);  // prio 100 while r1 (150, preempt) waits
    f.m.finish(at(5000ms));
    ASSERT_TRUE(f.m.violation());
    EXPECT_NE(f.m.violation()->what.find("preempting"), std::string::npos);
}

TEST(SimMonitor, NopreemptBackupMayStayUnderALowerMaster) {
    Fed f;
    f.s.config[1][0].preempt = PreemptPolicy::NoPreempt;
    f.m.set_state(at(10ms), 0, 0, State::Master);
    f.m.finish(at(5000ms));
    EXPECT_FALSE(f.m.violation()) << f.m.violation()->what;
}

TEST(SimMonitor, ChangesInTheFinalQuietStretchAreReported) {
    Fed f;
    f.m.set_state(at(10ms), 1, 0, State::Master);
    f.m.set_state(at(4900ms), 2, 0, State::Fault);
    f.m.set_eligible(2, false);
    f.m.finish(at(5000ms));
    ASSERT_TRUE(f.m.violation());
    EXPECT_NE(f.m.violation()->what.find("quiet stretch"), std::string::npos);
}

// --- Whole clusters with deliberate breakage ----------------------------------------------------

namespace {

int failing_seeds(Mutation m, std::optional<Probe> probe, const char* message_part, int seeds,
                  int& with_message) {
    int failing = 0;
    with_message = 0;
    for (int seed = 1; seed <= seeds; ++seed) {
        const auto result = run(make_scenario(seed, {.mutation = m, .probe = probe}));
        if (!result.violation) continue;
        ++failing;
        if (result.violation->what.find(message_part) != std::string::npos) ++with_message;
    }
    return failing;
}

}  // namespace

TEST(SimMutation, CleanClustersPass) {
    for (int seed = 1; seed <= 100; ++seed) {
        const auto result = run(make_scenario(seed));
        EXPECT_FALSE(result.violation) << "seed " << seed << ": " << result.violation->what
                                       << "\n  replay: sim_cluster --seed " << seed;
    }
}

TEST(SimMutation, LostResignationsBreakTheSkewTimeBound) {
    int with_message = 0;
    const int failing =
        failing_seeds(Mutation::DropResignations, Probe::ResignMaster, "priority 0", 30, with_message);
    EXPECT_GE(failing, 15) << "most resignations have a backup that should take over in Skew_Time";
    EXPECT_GE(with_message, 1);
}

TEST(SimMutation, DeafRouterMakesTwoMasters) {
    int with_message = 0;
    const int failing = failing_seeds(Mutation::DeafRouter, std::nullopt, "both MASTER", 30,
                                      with_message);
    EXPECT_GE(failing, 5);
    EXPECT_GE(with_message, 1);
}

TEST(SimMutation, MismatchedVridMakesTwoMasters) {
    int with_message = 0;
    const int failing = failing_seeds(Mutation::MismatchedVrid, std::nullopt, "both MASTER", 30,
                                      with_message);
    EXPECT_GE(failing, 5);
    EXPECT_GE(with_message, 1);
}

TEST(SimReplay, ASeedReplaysIdentically) {
    for (int seed : {7, 8, 9}) {
        std::ostringstream a, b;
        run(make_scenario(seed), &a, true);
        run(make_scenario(seed), &b, true);
        EXPECT_EQ(a.str(), b.str()) << "seed " << seed;
        EXPECT_GT(a.str().size(), 100u);
    }
}
