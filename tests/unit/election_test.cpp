// Table-driven tests of the election state machine: every transition and action of RFC 5798
// section 6.4, each preemption strategy, the owner, priority 0, fault entry and exit.
// Expected deadlines are written out as numbers worked by hand from the RFC formulas, not
// computed by the code under test.
#include "core/election.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

using namespace xvrrp;
using namespace std::chrono_literals;

namespace {

const IpAddress kOurs = *IpAddress::parse("192.0.2.10");
const IpAddress kLowerAddr = *IpAddress::parse("192.0.2.5");
const IpAddress kHigherAddr = *IpAddress::parse("192.0.2.20");
constexpr const char* kName = "ipf_VIP_1";

SteadyTime T(Nanoseconds since_start) { return SteadyTime{} + since_start; }

struct Cfg {
    std::uint8_t priority = 100;
    std::chrono::milliseconds interval = 1000ms;
    int version = 2;
    PreemptPolicy preempt = PreemptPolicy::Preempt;
    std::chrono::milliseconds delay = 0ms;
    bool initial_master = false;
    bool resume_master = false;
};

InstanceConfig make(const Cfg& c) {
    InstanceConfig cfg;
    cfg.name = kName;
    cfg.vrid = 51;
    cfg.priority = c.priority;
    cfg.advert_interval = c.interval;
    cfg.version = c.version;
    cfg.preempt = c.preempt;
    cfg.preempt_delay = c.delay;
    cfg.initial_master = c.initial_master;
    cfg.resume_master = c.resume_master;
    cfg.primary_address = kOurs;
    return cfg;
}

AdvertReceived advert(std::uint8_t prio, IpAddress from = kHigherAddr,
                      std::chrono::milliseconds interval = 1000ms) {
    return AdvertReceived{prio, from, interval};
}

std::vector<Action> become_master(std::uint8_t p) {
    return {SendAdvert{p}, OwnGroup{}, AddAddresses{}, SendGratuitous{},
            Notify{kName, NotifyState::Master, p}};
}
std::vector<Action> notify(NotifyState s, std::uint8_t p) { return {Notify{kName, s, p}}; }
std::vector<Action> operator+(std::vector<Action> a, const std::vector<Action>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}
const std::vector<Action> kNone{};
const std::vector<Action> kStepDown{DisownGroup{}, RemoveAddresses{}};
const std::vector<Action> kResign{DisownGroup{}, SendAdvert{0}, RemoveAddresses{}};

// Hand-worked timer values (nanoseconds).
constexpr long long kMs = 1'000'000;
constexpr long long kSkewV2P100 = 609'375'000;              // (256-100)/256 s
constexpr long long kMdiV2P100 = 3'000 * kMs + kSkewV2P100;  // 3 * 1 s + skew

struct Step {
    Nanoseconds at;
    Event event;
    State state;                       // expected state after the event
    std::vector<Action> actions;       // expected actions, in order
    std::optional<Nanoseconds> deadline;  // expected deadline (since start); nullopt = none
    const char* cause_contains = nullptr;  // expected transition cause substring, if any
};

struct Case {
    const char* name;
    Cfg cfg;
    std::vector<Step> steps;
};

std::string show(const ActionList& list) {
    std::string s;
    for (const auto& a : list) s += describe(a) + "; ";
    return s.empty() ? "(none)" : s;
}
std::string show(const std::vector<Action>& list) {
    std::string s;
    for (const auto& a : list) s += describe(a) + "; ";
    return s.empty() ? "(none)" : s;
}

constexpr Nanoseconds ns(long long v) { return Nanoseconds(v); }
constexpr std::optional<Nanoseconds> kNoTimer = std::nullopt;

const std::vector<Case> kCases = {
    // --- Initialize -------------------------------------------------------------------------
    {"startup_goes_backup_with_master_down_interval",
     {},
     {{0ms, Startup{}, State::Backup, notify(NotifyState::Backup, 100), ns(kMdiV2P100), "startup"}}},
    {"owner_starts_as_master_at_once",
     {.priority = 255},
     {{0ms, Startup{}, State::Master, become_master(255), 1000ms, "address owner"}}},
    {"resumed_master_starts_as_master_at_once",
     {.resume_master = true},
     {{0ms, Startup{}, State::Master, become_master(100), 1000ms, "resumes the mastership"}}},
    {"state_master_claims_after_one_interval_v2",
     {.initial_master = true},
     {{0ms, Startup{}, State::Backup, notify(NotifyState::Backup, 100), ns(1'003'906'250),
       "state MASTER"},
      {ns(1'003'906'250), MasterDownTimerFired{}, State::Master, become_master(100),
       ns(2'003'906'250), "no advert heard"}}},
    {"state_master_claims_after_one_interval_v3_10ms",
     {.interval = 10ms, .version = 3, .initial_master = true},
     // 10 ms + 10 ms/256 (39062.5 ns, truncated)
     {{0ms, Startup{}, State::Backup, notify(NotifyState::Backup, 100), ns(10'039'062)}}},
    {"state_master_yields_to_a_higher_master",
     {.initial_master = true},
     {{0ms, Startup{}, State::Backup, notify(NotifyState::Backup, 100), ns(1'003'906'250)},
      {500ms, advert(200), State::Backup, kNone, 500ms + ns(kMdiV2P100)}}},
    {"state_master_ignores_a_lower_master",
     {.preempt = PreemptPolicy::NoPreempt, .delay = 0ms, .initial_master = true},
     // nopreempt is cleared by state MASTER (keepalived), so the lower advert is discarded.
     {{0ms, Startup{}, State::Backup, notify(NotifyState::Backup, 100), ns(1'003'906'250)},
      {500ms, advert(50, kLowerAddr), State::Backup, kNone, ns(1'003'906'250)},
      {ns(1'003'906'250), MasterDownTimerFired{}, State::Master, become_master(100),
       ns(2'003'906'250), "preempting lower priority master 192.0.2.5 prio 50"}}},
    {"startup_with_check_failing_goes_fault",
     {},
     {{0ms, CheckFailed{}, State::Initialize, kNone, kNoTimer},
      {1ms, Startup{}, State::Fault, notify(NotifyState::Fault, 100), kNoTimer, "check failing"}}},
    {"startup_with_link_down_goes_fault",
     {.priority = 255},
     {{0ms, LinkDown{}, State::Initialize, kNone, kNoTimer},
      {1ms, Startup{}, State::Fault, notify(NotifyState::Fault, 255), kNoTimer, "link down"}}},
    {"initialize_ignores_adverts_timers_and_shutdown",
     {},
     {{0ms, advert(200), State::Initialize, kNone, kNoTimer},
      {1ms, MasterDownTimerFired{}, State::Initialize, kNone, kNoTimer},
      {2ms, AdvertTimerFired{}, State::Initialize, kNone, kNoTimer},
      {3ms, Shutdown{}, State::Initialize, kNone, kNoTimer}}},
    {"second_startup_is_ignored",
     {},
     {{0ms, Startup{}, State::Backup, notify(NotifyState::Backup, 100), ns(kMdiV2P100)},
      {1s, Startup{}, State::Backup, kNone, ns(kMdiV2P100)}}},

    // --- Backup -----------------------------------------------------------------------------
    {"backup_becomes_master_when_master_down_timer_fires",
     {},
     {{0ms, Startup{}, State::Backup, notify(NotifyState::Backup, 100), ns(kMdiV2P100)},
      {ns(kMdiV2P100), MasterDownTimerFired{}, State::Master, become_master(100),
       ns(kMdiV2P100) + 1s, "master down timer (no advert heard"}}},
    {"backup_ignores_an_early_master_down_timer",
     {},
     {{0ms, Startup{}, State::Backup, notify(NotifyState::Backup, 100), ns(kMdiV2P100)},
      {1s, MasterDownTimerFired{}, State::Backup, kNone, ns(kMdiV2P100)},
      {2s, AdvertTimerFired{}, State::Backup, kNone, ns(kMdiV2P100)}}},
    {"backup_accepts_higher_advert_and_restarts_master_down",
     {},
     {{0ms, Startup{}, State::Backup, notify(NotifyState::Backup, 100), ns(kMdiV2P100)},
      {1s, advert(200), State::Backup, kNone, 1s + ns(kMdiV2P100)},
      {1s + ns(kMdiV2P100), MasterDownTimerFired{}, State::Master, become_master(100),
       2s + ns(kMdiV2P100), "last advert 3609 ms ago from 192.0.2.20 prio 200"}}},
    {"backup_accepts_equal_priority_even_from_lower_address",
     {},
     {{0ms, Startup{}, State::Backup, notify(NotifyState::Backup, 100), ns(kMdiV2P100)},
      {1s, advert(100, kLowerAddr), State::Backup, kNone, 1s + ns(kMdiV2P100)}}},
    {"preempting_backup_discards_lower_advert",
     {},
     {{0ms, Startup{}, State::Backup, notify(NotifyState::Backup, 100), ns(kMdiV2P100)},
      {1s, advert(50, kLowerAddr), State::Backup, kNone, ns(kMdiV2P100)},
      {2s, advert(50, kLowerAddr), State::Backup, kNone, ns(kMdiV2P100)},
      {ns(kMdiV2P100), MasterDownTimerFired{}, State::Master, become_master(100),
       ns(kMdiV2P100) + 1s, "preempting lower priority master 192.0.2.5 prio 50 (ours 100)"}}},
    {"nopreempt_backup_accepts_lower_advert",
     {.preempt = PreemptPolicy::NoPreempt},
     {{0ms, Startup{}, State::Backup, notify(NotifyState::Backup, 100), ns(kMdiV2P100)},
      {1s, advert(50, kLowerAddr), State::Backup, kNone, 1s + ns(kMdiV2P100)},
      {2s, advert(50, kLowerAddr), State::Backup, kNone, 2s + ns(kMdiV2P100)},
      // The lower master dies: only then do we take over.
      {2s + ns(kMdiV2P100), MasterDownTimerFired{}, State::Master, become_master(100),
       3s + ns(kMdiV2P100), "last advert 3609 ms ago from 192.0.2.5 prio 50"}}},
    {"preempt_delay_accepts_lower_until_delay_then_takes_over",
     {.preempt = PreemptPolicy::Delay, .delay = 5000ms},
     {{0ms, Startup{}, State::Backup, notify(NotifyState::Backup, 100), ns(kMdiV2P100)},
      {1s, advert(50, kLowerAddr), State::Backup, kNone, 1s + ns(kMdiV2P100)},  // delay to 6 s
      {2s, advert(50, kLowerAddr), State::Backup, kNone, 2s + ns(kMdiV2P100)},
      {5s, advert(50, kLowerAddr), State::Backup, kNone, 5s + ns(kMdiV2P100)},
      {6s, advert(50, kLowerAddr), State::Backup, kNone, 5s + ns(kMdiV2P100)},  // elapsed
      {7s, advert(50, kLowerAddr), State::Backup, kNone, 5s + ns(kMdiV2P100)},
      {5s + ns(kMdiV2P100), MasterDownTimerFired{}, State::Master, become_master(100),
       6s + ns(kMdiV2P100), "preempt delay 5 s elapsed over lower priority master 192.0.2.5"}}},
    {"preempt_delay_zero_is_plain_preempt",
     {.preempt = PreemptPolicy::Delay, .delay = 0ms},
     {{0ms, Startup{}, State::Backup, notify(NotifyState::Backup, 100), ns(kMdiV2P100)},
      {1s, advert(50, kLowerAddr), State::Backup, kNone, ns(kMdiV2P100)}}},
    {"backup_hearing_priority_zero_waits_only_skew_time",
     {},
     {{0ms, Startup{}, State::Backup, notify(NotifyState::Backup, 100), ns(kMdiV2P100)},
      {1s, advert(200), State::Backup, kNone, 1s + ns(kMdiV2P100)},
      {2s, advert(0), State::Backup, kNone, 2s + ns(kSkewV2P100)},
      {2s + ns(kSkewV2P100), MasterDownTimerFired{}, State::Master, become_master(100),
       3s + ns(kSkewV2P100), "master 192.0.2.20 resigned (priority 0)"}}},
    {"stale_priority_zero_from_a_former_master_is_ignored",
     {},
     // The new master (.20) was heard before the old master's (.5) resignation arrived.
     {{0ms, Startup{}, State::Backup, notify(NotifyState::Backup, 100), ns(kMdiV2P100)},
      {1s, advert(200, kHigherAddr), State::Backup, kNone, 1s + ns(kMdiV2P100)},
      {1010ms, advert(0, kLowerAddr), State::Backup, kNone, 1s + ns(kMdiV2P100)},
      {1020ms, advert(0, kHigherAddr), State::Backup, kNone, 1020ms + ns(kSkewV2P100)}}},
    {"priority_zero_before_any_master_is_known_still_counts",
     {},
     {{0ms, Startup{}, State::Backup, notify(NotifyState::Backup, 100), ns(kMdiV2P100)},
      {1s, advert(0, kLowerAddr), State::Backup, kNone, 1s + ns(kSkewV2P100)}}},
    {"nopreempt_backup_also_takes_over_after_priority_zero",
     {.preempt = PreemptPolicy::NoPreempt},
     {{0ms, Startup{}, State::Backup, notify(NotifyState::Backup, 100), ns(kMdiV2P100)},
      {1s, advert(0, kLowerAddr), State::Backup, kNone, 1s + ns(kSkewV2P100)}}},
    {"v3_backup_learns_the_masters_interval",
     {.interval = 1000ms, .version = 3},
     // 3 * 100 ms + (256-100) * 100 ms / 256 = 300 ms + 60.9375 ms
     {{0ms, Startup{}, State::Backup, notify(NotifyState::Backup, 100), ns(kMdiV2P100)},
      {1s, advert(200, kHigherAddr, 100ms), State::Backup, kNone, 1s + ns(360'937'500)},
      // and the skew after a resignation uses the learned interval: 60.9375 ms
      {1100ms, advert(0, kHigherAddr, 100ms), State::Backup, kNone, 1100ms + ns(60'937'500)}}},
    {"v3_backup_does_not_learn_from_a_discarded_lower_advert",
     {.interval = 1000ms, .version = 3},
     {{0ms, Startup{}, State::Backup, notify(NotifyState::Backup, 100), ns(kMdiV2P100)},
      {1s, advert(50, kLowerAddr, 100ms), State::Backup, kNone, ns(kMdiV2P100)}}},
    {"v2_backup_keeps_its_configured_interval",
     {},
     {{0ms, Startup{}, State::Backup, notify(NotifyState::Backup, 100), ns(kMdiV2P100)},
      {1s, advert(200, kHigherAddr, 2000ms), State::Backup, kNone, 1s + ns(kMdiV2P100)}}},
    {"own_looped_back_advert_is_ignored",
     {},
     {{0ms, Startup{}, State::Backup, notify(NotifyState::Backup, 100), ns(kMdiV2P100)},
      {1s, advert(200, kOurs), State::Backup, kNone, ns(kMdiV2P100)}}},
    {"backup_check_failure_enters_fault_and_recovers_to_backup",
     {},
     {{0ms, Startup{}, State::Backup, notify(NotifyState::Backup, 100), ns(kMdiV2P100)},
      {1s, CheckFailed{}, State::Fault, notify(NotifyState::Fault, 100), kNoTimer, "check failed"},
      {2s, advert(200), State::Fault, kNone, kNoTimer},  // FAULT does not listen
      {3s, CheckFailed{}, State::Fault, kNone, kNoTimer},
      {4s, CheckPassed{}, State::Backup, notify(NotifyState::Backup, 100), 4s + ns(kMdiV2P100),
       "check passed: out of FAULT"}}},
    {"backup_link_down_enters_fault_and_link_up_recovers",
     {},
     {{0ms, Startup{}, State::Backup, notify(NotifyState::Backup, 100), ns(kMdiV2P100)},
      {1s, LinkDown{}, State::Fault, notify(NotifyState::Fault, 100), kNoTimer, "link down"},
      {2s, LinkUp{}, State::Backup, notify(NotifyState::Backup, 100), 2s + ns(kMdiV2P100),
       "link up: out of FAULT"}}},
    {"fault_needs_both_link_and_check",
     {},
     {{0ms, Startup{}, State::Backup, notify(NotifyState::Backup, 100), ns(kMdiV2P100)},
      {1s, LinkDown{}, State::Fault, notify(NotifyState::Fault, 100), kNoTimer},
      {2s, CheckFailed{}, State::Fault, kNone, kNoTimer},
      {3s, LinkUp{}, State::Fault, kNone, kNoTimer},
      {4s, CheckPassed{}, State::Backup, notify(NotifyState::Backup, 100), 4s + ns(kMdiV2P100)}}},
    {"state_master_leaves_fault_as_plain_backup",
     {.initial_master = true},
     {{0ms, CheckFailed{}, State::Initialize, kNone, kNoTimer},
      {0ms, Startup{}, State::Fault, notify(NotifyState::Fault, 100), kNoTimer},
      {1s, CheckPassed{}, State::Backup, notify(NotifyState::Backup, 100), 1s + ns(kMdiV2P100)}}},
    {"v3_fault_exit_forgets_the_learned_interval",
     {.interval = 1000ms, .version = 3},
     {{0ms, Startup{}, State::Backup, notify(NotifyState::Backup, 100), ns(kMdiV2P100)},
      {1s, advert(200, kHigherAddr, 100ms), State::Backup, kNone, 1s + ns(360'937'500)},
      {1100ms, LinkDown{}, State::Fault, notify(NotifyState::Fault, 100), kNoTimer},
      {2s, LinkUp{}, State::Backup, notify(NotifyState::Backup, 100), 2s + ns(kMdiV2P100)}}},
    {"owner_leaves_fault_straight_to_master",
     {.priority = 255},
     {{0ms, Startup{}, State::Master, become_master(255), 1s},
      {500ms, CheckFailed{}, State::Fault, kResign + notify(NotifyState::Fault, 255), kNoTimer},
      {2s, CheckPassed{}, State::Master, become_master(255), 3s, "out of FAULT as address owner"}}},
    {"backup_shutdown_notifies_stop",
     {},
     {{0ms, Startup{}, State::Backup, notify(NotifyState::Backup, 100), ns(kMdiV2P100)},
      {1s, Shutdown{}, State::Initialize, notify(NotifyState::Stop, 100), kNoTimer, "shutdown"},
      {2s, Startup{}, State::Backup, notify(NotifyState::Backup, 100), 2s + ns(kMdiV2P100)}}},
    {"fault_shutdown_notifies_stop",
     {},
     {{0ms, Startup{}, State::Backup, notify(NotifyState::Backup, 100), ns(kMdiV2P100)},
      {1s, CheckFailed{}, State::Fault, notify(NotifyState::Fault, 100), kNoTimer},
      {2s, Shutdown{}, State::Initialize, notify(NotifyState::Stop, 100), kNoTimer}}},

    // --- Master -----------------------------------------------------------------------------
    {"master_sends_advert_on_each_timer_keeping_cadence",
     {.priority = 255},
     {{0ms, Startup{}, State::Master, become_master(255), 1s},
      {999ms, AdvertTimerFired{}, State::Master, kNone, 1s},  // early: ignored
      {1s, AdvertTimerFired{}, State::Master, {SendAdvert{255}}, 2s},
      {2100ms, AdvertTimerFired{}, State::Master, {SendAdvert{255}}, 3s},  // late: keeps phase
      {10s, AdvertTimerFired{}, State::Master, {SendAdvert{255}}, 11s},    // stalled: restarts
      {11s, MasterDownTimerFired{}, State::Master, kNone, 11s}}},
    {"master_reasserts_against_a_lower_advert",
     {.priority = 255},
     {{0ms, Startup{}, State::Master, become_master(255), 1s},
      {300ms, advert(100, kHigherAddr), State::Master, {SendAdvert{255}}, 1s}}},
    {"master_reasserts_against_equal_priority_from_lower_address",
     {.initial_master = true},
     {{0ms, Startup{}, State::Backup, notify(NotifyState::Backup, 100), ns(1'003'906'250)},
      {ns(1'003'906'250), MasterDownTimerFired{}, State::Master, become_master(100),
       ns(2'003'906'250)},
      {1500ms, advert(100, kLowerAddr), State::Master, {SendAdvert{100}}, ns(2'003'906'250)}}},
    {"master_steps_down_for_equal_priority_from_higher_address",
     {.initial_master = true},
     {{0ms, Startup{}, State::Backup, notify(NotifyState::Backup, 100), ns(1'003'906'250)},
      {ns(1'003'906'250), MasterDownTimerFired{}, State::Master, become_master(100),
       ns(2'003'906'250)},
      {1500ms, advert(100, kHigherAddr), State::Backup,
       kStepDown + notify(NotifyState::Backup, 100), 1500ms + ns(kMdiV2P100),
       "equal priority 100 advert from higher address 192.0.2.20 (ours 192.0.2.10)"}}},
    {"master_steps_down_for_higher_priority_and_learns_v3_interval",
     {.interval = 1000ms, .version = 3, .initial_master = true},
     {{0ms, Startup{}, State::Backup, notify(NotifyState::Backup, 100), ns(1'003'906'250)},
      {ns(1'003'906'250), MasterDownTimerFired{}, State::Master, become_master(100),
       ns(2'003'906'250)},
      {1500ms, advert(200, kLowerAddr, 100ms), State::Backup,
       kStepDown + notify(NotifyState::Backup, 100), 1500ms + ns(360'937'500),
       "higher priority advert from 192.0.2.5 prio 200 (ours 100)"}}},
    {"master_answers_priority_zero_at_once_and_restarts_timer",
     {.priority = 255},
     {{0ms, Startup{}, State::Master, become_master(255), 1s},
      {400ms, advert(0, kLowerAddr), State::Master, {SendAdvert{255}}, 1400ms}}},
    {"master_check_failure_resigns_into_fault",
     {.priority = 255},
     {{0ms, Startup{}, State::Master, become_master(255), 1s},
      {1s, CheckFailed{}, State::Fault, kResign + notify(NotifyState::Fault, 255), kNoTimer,
       "check failed"},
      {2s, AdvertTimerFired{}, State::Fault, kNone, kNoTimer}}},
    {"master_link_down_gives_up_without_advert",
     {.priority = 255},
     {{0ms, Startup{}, State::Master, become_master(255), 1s},
      {1s, LinkDown{}, State::Fault, kStepDown + notify(NotifyState::Fault, 255), kNoTimer,
       "link down"}}},
    {"master_shutdown_sends_priority_zero",
     {.priority = 255},
     {{0ms, Startup{}, State::Master, become_master(255), 1s},
      {1s, Shutdown{}, State::Initialize, kResign + notify(NotifyState::Stop, 255), kNoTimer,
       "shutdown"}}},
    {"master_shutdown_with_link_down_sends_nothing_on_the_wire",
     {.priority = 255},
     {{0ms, LinkDown{}, State::Initialize, kNone, kNoTimer},
      {0ms, LinkUp{}, State::Initialize, kNone, kNoTimer},
      {0ms, Startup{}, State::Master, become_master(255), 1s},
      {1s, LinkDown{}, State::Fault, kStepDown + notify(NotifyState::Fault, 255), kNoTimer},
      {2s, Shutdown{}, State::Initialize, notify(NotifyState::Stop, 255), kNoTimer}}},
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

class ElectionTable : public ::testing::TestWithParam<Case> {};

TEST_P(ElectionTable, Steps) {
    const Case& c = GetParam();
    Election e(make(c.cfg));
    std::uint64_t transitions = 0;
    for (std::size_t i = 0; i < c.steps.size(); ++i) {
        const Step& s = c.steps[i];
        SCOPED_TRACE(::testing::Message() << c.name << " step " << i << " (" << event_name(s.event)
                                          << " at " << s.at.count() << " ns)");
        const State before = e.state();
        const Output out = e.handle(s.event, T(s.at));
        EXPECT_EQ(to_string(e.state()), to_string(s.state));
        EXPECT_EQ(show(out.actions), show(s.actions));
        ASSERT_EQ(out.actions.size(), s.actions.size());
        for (std::size_t k = 0; k < s.actions.size(); ++k) EXPECT_TRUE(out.actions[k] == s.actions[k]);
        if (s.deadline) {
            ASSERT_TRUE(e.deadline());
            EXPECT_EQ(e.deadline()->time_since_epoch().count(), s.deadline->count());
        } else {
            EXPECT_FALSE(e.deadline());
        }
        // A transition record exactly when the state changed.
        EXPECT_EQ(out.transition.has_value(), before != s.state);
        if (out.transition) {
            ++transitions;
            EXPECT_EQ(out.transition->from, before);
            EXPECT_EQ(out.transition->to, s.state);
            EXPECT_FALSE(out.transition->cause.empty());
            if (s.cause_contains) {
                EXPECT_NE(out.transition->cause.find(s.cause_contains), std::string::npos)
                    << "cause was: " << out.transition->cause;
            }
        } else {
            EXPECT_EQ(s.cause_contains, nullptr) << "expected a transition";
        }
        EXPECT_EQ(e.status().transitions, transitions);
    }
}

INSTANTIATE_TEST_SUITE_P(Rfc5798, ElectionTable, ::testing::ValuesIn(kCases),
                         [](const auto& info) { return std::string(info.param.name); });

// --- Timer arithmetic ------------------------------------------------------------------------

struct TimerCase {
    int version;
    std::uint8_t priority;
    Nanoseconds interval;
    long long skew_ns;
    long long mdi_ns;
};

TEST(ElectionTimers, SkewAndMasterDownIntervalFromTheRfcFormulas) {
    const TimerCase cases[] = {
        // v2: skew = (256 - p) / 256 s regardless of the interval (RFC 3768 6.1).
        {2, 100, 1s, 609'375'000, 3'609'375'000},
        {2, 254, 1s, 7'812'500, 3'007'812'500},
        {2, 1, 1s, 996'093'750, 3'996'093'750},
        {2, 100, 3s, 609'375'000, 9'609'375'000},
        {2, 255, 1s, 3'906'250, 3'003'906'250},
        // v3: skew = (256 - p) * interval / 256 (RFC 5798 6.1).
        {3, 100, 1s, 609'375'000, 3'609'375'000},
        {3, 100, 10ms, 6'093'750, 36'093'750},
        {3, 200, 10ms, 2'187'500, 32'187'500},
        {3, 1, 40950ms, 40'790'039'062, 163'640'039'062},
        {3, 128, 100ms, 50'000'000, 350'000'000},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(::testing::Message() << "v" << c.version << " prio " << int(c.priority)
                                          << " interval " << c.interval.count());
        EXPECT_EQ(skew_time(c.version, c.priority, c.interval).count(), c.skew_ns);
        EXPECT_EQ(master_down_interval(c.version, c.priority, c.interval).count(), c.mdi_ns);
    }
}

TEST(ElectionTimers, HigherPriorityAlwaysTimesOutFirst) {
    for (int version : {2, 3}) {
        for (int p = 1; p < 255; ++p) {
            EXPECT_LT(master_down_interval(version, std::uint8_t(p + 1), 10ms),
                      master_down_interval(version, std::uint8_t(p), 10ms));
        }
    }
}

// --- Config ----------------------------------------------------------------------------------

TEST(ElectionConfig, EffectivePreemptFollowsKeepalived) {
    EXPECT_EQ(effective_preempt(make({.preempt = PreemptPolicy::NoPreempt})), PreemptPolicy::NoPreempt);
    EXPECT_EQ(effective_preempt(make({.preempt = PreemptPolicy::Delay, .delay = 300'000ms})),
              PreemptPolicy::Delay);
    EXPECT_EQ(effective_preempt(make({.preempt = PreemptPolicy::Delay, .delay = 0ms})),
              PreemptPolicy::Preempt);
    EXPECT_EQ(effective_preempt(make({.priority = 255, .preempt = PreemptPolicy::NoPreempt})),
              PreemptPolicy::Preempt);
    EXPECT_EQ(effective_preempt(
                  make({.preempt = PreemptPolicy::Delay, .delay = 300'000ms, .initial_master = true})),
              PreemptPolicy::Preempt);
    EXPECT_EQ(effective_preempt(make({.preempt = PreemptPolicy::NoPreempt, .initial_master = true})),
              PreemptPolicy::Preempt);
}

TEST(ElectionConfig, ValidateNamesTheCulprit) {
    struct Bad {
        InstanceConfig cfg;
        const char* message_part;
    };
    auto with = [](auto change) {
        InstanceConfig c = make({});
        change(c);
        return c;
    };
    const Bad bad[] = {
        {with([](InstanceConfig& c) { c.name.clear(); }), "name is empty"},
        {with([](InstanceConfig& c) { c.vrid = 0; }), "vrid 0"},
        {with([](InstanceConfig& c) { c.priority = 0; }), "priority 0"},
        {with([](InstanceConfig& c) { c.version = 4; }), "version 4"},
        {with([](InstanceConfig& c) { c.advert_interval = 1500ms; }), "1500 ms"},
        {with([](InstanceConfig& c) { c.advert_interval = 256s; }), "256000 ms"},
        {with([](InstanceConfig& c) { c.advert_interval = 0ms; }), "0 ms"},
        {with([](InstanceConfig& c) {
             c.version = 3;
             c.advert_interval = 15ms;
         }),
         "15 ms"},
        {with([](InstanceConfig& c) {
             c.version = 3;
             c.advert_interval = 40960ms;
         }),
         "40960 ms"},
        {with([](InstanceConfig& c) { c.preempt_delay = 1001s; }), "preempt_delay"},
    };
    for (const auto& b : bad) {
        auto error = validate(b.cfg);
        ASSERT_TRUE(error) << b.message_part;
        EXPECT_NE(error->find(b.message_part), std::string::npos) << *error;
        if (!b.cfg.name.empty()) {
            EXPECT_NE(error->find(kName), std::string::npos) << *error;
        }
        EXPECT_THROW(Election{b.cfg}, std::invalid_argument);
    }
    EXPECT_FALSE(validate(make({})));
    EXPECT_FALSE(validate(make({.interval = 10ms, .version = 3})));
    EXPECT_FALSE(validate(make({.interval = 255s})));
}

// --- Status and the timer entry point --------------------------------------------------------

TEST(ElectionStatus, ReportsMasterAndLastAdvert) {
    Election e(make({}));
    e.handle(Startup{}, T(0ms));
    EXPECT_FALSE(e.status().master_address);
    e.handle(advert(200), T(1s));
    auto s = e.status();
    EXPECT_EQ(s.state, State::Backup);
    EXPECT_EQ(s.priority, 100);
    ASSERT_TRUE(s.master_address);
    EXPECT_EQ(*s.master_address, kHigherAddr);
    EXPECT_EQ(s.master_priority, 200);
    EXPECT_EQ(s.last_advert, T(1s));
    EXPECT_EQ(s.master_adver_interval, 1s);
    EXPECT_EQ(s.transitions, 1u);
    EXPECT_TRUE(s.link_up);
    EXPECT_TRUE(s.check_passed);

    e.fire_timer(T(1s + ns(kMdiV2P100)));
    s = e.status();
    EXPECT_EQ(s.state, State::Master);
    EXPECT_EQ(*s.master_address, kOurs);
    EXPECT_EQ(s.master_priority, 100);
    EXPECT_EQ(s.transitions, 2u);
}

TEST(ElectionStatus, PreemptDelayStartsOnFirstLowerAdvertAndStopsOnHigher) {
    Election e(make({.preempt = PreemptPolicy::Delay, .delay = 5000ms}));
    e.handle(Startup{}, T(0ms));
    EXPECT_FALSE(e.status().preempt_at);
    e.handle(advert(50, kLowerAddr), T(1s));
    EXPECT_EQ(e.status().preempt_at, T(6s));
    e.handle(advert(50, kLowerAddr), T(2s));
    EXPECT_EQ(e.status().preempt_at, T(6s)) << "later lower adverts must not restart the delay";
    e.handle(advert(150), T(3s));
    EXPECT_FALSE(e.status().preempt_at) << "a higher advert stops the delay";
    e.handle(advert(50, kLowerAddr), T(4s));
    EXPECT_EQ(e.status().preempt_at, T(9s));
}

TEST(ElectionTimer, FireTimerDispatchesByStateAndIgnoresStaleWakeups) {
    Election e(make({}));
    EXPECT_TRUE(e.fire_timer(T(100s)).actions.empty()) << "no timer before startup";
    e.handle(Startup{}, T(0ms));
    EXPECT_TRUE(e.fire_timer(T(1s)).actions.empty()) << "not due yet";
    auto out = e.fire_timer(T(ns(kMdiV2P100)));
    EXPECT_EQ(e.state(), State::Master);
    EXPECT_EQ(out.actions.size(), 5u);
    out = e.fire_timer(*e.deadline());
    ASSERT_EQ(out.actions.size(), 1u);
    EXPECT_TRUE(out.actions[0] == Action{SendAdvert{100}});
}

TEST(ElectionNotify, NamesTheInstanceFromItsConfig) {
    Election e(make({.priority = 255}));
    const auto out = e.handle(Startup{}, T(0ms));
    const auto& n = std::get<Notify>(out.actions[4]);
    EXPECT_EQ(n.instance, kName);
    EXPECT_EQ(describe(n), "notify INSTANCE ipf_VIP_1 MASTER 255");
}

}  // namespace

// Election::follows: when a repeat of an advert may be absorbed below the socket (the data plane
// stamps it, the driver hands the newest over at the master-down deadline).
TEST(ElectionFollows, OnlyABackupFollowingThatExactMaster) {
    Election e(make({}));
    EXPECT_FALSE(e.follows(advert(200))) << "INIT listens to nobody";
    e.handle(Startup{}, T(0ms));
    EXPECT_FALSE(e.follows(advert(200))) << "no advert heard yet";
    e.handle(advert(200), T(1s));
    EXPECT_TRUE(e.follows(advert(200)));
    EXPECT_FALSE(e.follows(advert(201))) << "another priority is news";
    EXPECT_FALSE(e.follows(advert(200, kLowerAddr))) << "another sender is news";
    EXPECT_FALSE(e.follows(advert(0))) << "a resignation is news";
    // A repeat absorbed at 2 s and handed over later moves the deadline exactly as if heard then.
    e.handle(advert(200), T(2s));
    EXPECT_EQ(e.deadline(), T(2s + ns(kMdiV2P100)));
    // A lower master we pre-empt is never followed: its adverts must not keep our timer fed.
    e.handle(advert(50, kLowerAddr), T(3s));
    EXPECT_FALSE(e.follows(advert(50, kLowerAddr)));
    EXPECT_FALSE(e.follows(advert(200))) << "the master changed";
    e.fire_timer(T(2s + ns(kMdiV2P100)));
    ASSERT_EQ(e.state(), State::Master);
    EXPECT_FALSE(e.follows(advert(50, kLowerAddr))) << "a MASTER follows nobody";
}

TEST(ElectionFollows, LowerMasterOnlyWithoutPreemption) {
    Election no(make({.preempt = PreemptPolicy::NoPreempt}));
    no.handle(Startup{}, T(0ms));
    no.handle(advert(50, kLowerAddr), T(1s));
    EXPECT_TRUE(no.follows(advert(50, kLowerAddr)));
    // Under preempt_delay each lower advert counts towards a delay that ends: never absorbed.
    Election delay(make({.preempt = PreemptPolicy::Delay, .delay = 5000ms}));
    delay.handle(Startup{}, T(0ms));
    delay.handle(advert(50, kLowerAddr), T(1s));
    EXPECT_FALSE(delay.follows(advert(50, kLowerAddr)));
    delay.handle(advert(150), T(2s));
    EXPECT_TRUE(delay.follows(advert(150))) << "a higher master is followed under any policy";
    delay.handle(CheckFailed{}, T(3s));
    EXPECT_FALSE(delay.follows(advert(150))) << "FAULT follows nobody";
}
