#include "cluster.hpp"

#include "core/timer_queue.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <ostream>
#include <queue>
#include <string>
#include <vector>

namespace xvrrp::sim {

namespace {

template <class... F>
struct Overloaded : F... {
    using F::operator()...;
};
template <class... F>
Overloaded(F...) -> Overloaded<F...>;

double ms_at(Time t) { return std::chrono::duration<double, std::milli>(t - Time{}).count(); }

struct Delivery {
    Time at;
    std::uint64_t seq;  // send order: breaks ties between simultaneous deliveries
    int to;
    std::uint8_t vrid;
    AdvertReceived advert;
};
struct DeliversLater {
    bool operator()(const Delivery& a, const Delivery& b) const {
        return a.at > b.at || (a.at == b.at && a.seq > b.seq);
    }
};

// keepalived `state MASTER`: claims mastership one interval (+ the minimum skew) after start
// unless it hears an advert of its own priority or higher first.
struct Claim {
    Time by{};
    bool pending = false;
    bool heard_better = false;
};

struct Router {
    std::vector<Claim> claims;  // per group
    bool alive = false;
    bool link_up = true;
    bool check_passed = true;
    int component = 0;
    std::vector<std::optional<Election>> groups;
    TimerQueue timers;
    std::vector<bool> owned;  // ownership as the actions left it (the group map)
};

NotifyState notify_for(State s) {
    switch (s) {
    case State::Master: return NotifyState::Master;
    case State::Backup: return NotifyState::Backup;
    case State::Fault: return NotifyState::Fault;
    case State::Initialize: return NotifyState::Stop;
    }
    return NotifyState::Stop;
}

class Simulation {
public:
    static constexpr std::uint64_t kStormEvents = 100'000;
    static constexpr std::uint64_t kBudgetFactor = 20;

    Simulation(const Scenario& s, std::ostream* trace, bool verbose)
        : s_(s), monitor_(s), trace_(trace), verbose_(verbose), routers_(s.routers),
          last_delivery_(static_cast<std::size_t>(s.routers * s.routers)),
          rng_(s.seed ^ 0x5eed0f3a11c0ffeeULL) {
        // Normal traffic: per interval and group, one advert to each other router, plus the
        // scenario's steps. A storm (masters answering each other forever) blows through this.
        const auto intervals = static_cast<std::uint64_t>((s.end_at - Time{}) / s.interval) + 1;
        event_budget_ = kBudgetFactor * intervals * static_cast<std::uint64_t>(s.groups) *
                            static_cast<std::uint64_t>(s.routers * s.routers) +
                        10'000;
        for (auto& r : routers_) {
            r.claims.resize(s.groups);
            r.groups.resize(s.groups);
            r.owned.assign(s.groups, false);
        }
    }

    RunResult run() {
        const Time t0{};
        for (int r = 0; r < s_.routers; ++r) start_router(t0, r);
        std::size_t next = 0;
        Time instant{};
        std::uint64_t at_instant = 0;
        while (!monitor_.violation()) {
            const ScenarioEvent& step = s_.events[next];
            const Time wire_at = wire_.empty() ? Time::max() : wire_.top().at;
            Time timer_at = Time::max();
            int timer_router = -1;
            for (int r = 0; r < s_.routers; ++r) {
                if (auto d = routers_[r].timers.next_deadline(); d && *d < timer_at) {
                    timer_at = *d;
                    timer_router = r;
                }
            }
            ++result_.events;
            // An advert storm (e.g. two masters answering each other's adverts at once) would
            // stop virtual time: report it rather than spin.
            const Time now = std::min({step.at, wire_at, timer_at});
            at_instant = now == instant ? at_instant + 1 : 0;
            instant = now;
            if (at_instant > kStormEvents) {
                monitor_.fail(now, fmt::format("event storm: over {} events at one instant",
                                               kStormEvents));
                break;
            }
            if (result_.events > event_budget_) {
                monitor_.fail(now, fmt::format("advert storm: over {} events, {} times what "
                                               "one advert per interval per group needs",
                                               event_budget_, kBudgetFactor));
                break;
            }
            if (step.at <= wire_at && step.at <= timer_at) {
                ++next;
                if (step.step == Step::End) {
                    monitor_.finish(step.at);
                    break;
                }
                scenario_step(step);
                monitor_.check(step.at);
                check_claims(step.at);
            } else if (wire_at <= timer_at) {
                const Delivery d = wire_.top();
                wire_.pop();
                deliver(d);
                monitor_.check(d.at);
                check_claims(d.at);
            } else {
                Router& router = routers_[timer_router];
                const auto g = *router.timers.pop_due(timer_at);
                apply(timer_at, timer_router, static_cast<int>(g),
                      router.groups[g]->fire_timer(timer_at));
                monitor_.check(timer_at);
                check_claims(timer_at);
            }
        }
        result_.violation = monitor_.violation();
        return result_;
    }

private:
    void check_claims(Time now) {
        for (int r = 0; r < s_.routers; ++r) {
            Router& x = routers_[r];
            for (int g = 0; g < s_.groups; ++g) {
                Claim& c = x.claims[g];
                if (!c.pending || now <= c.by) continue;
                c.pending = false;
                if (c.heard_better) continue;
                monitor_.fail(now, fmt::format("r{} g{}: state MASTER instance heard nothing "
                                               "better but had not claimed by {:.3f} ms",
                                               r, g, ms_at(c.by)));
            }
        }
    }

    void log(Time now, const std::string& line) {
        if (trace_) *trace_ << fmt::format("[{:12.3f} ms] {}\n", ms_at(now), line);
    }

    void update_eligibility(int r) {
        const Router& x = routers_[r];
        monitor_.set_eligible(r, x.alive && x.link_up && x.check_passed);
    }

    void start_router(Time now, int r) {
        Router& x = routers_[r];
        if (x.alive) return;
        x.alive = true;
        update_eligibility(r);
        for (int g = 0; g < s_.groups; ++g) {
            Election& e = x.groups[g].emplace(s_.config[r][g]);
            // The daemon learns link and check state before it starts the elections.
            if (!x.link_up) apply(now, r, g, e.handle(LinkDown{}, now));
            if (!x.check_passed) apply(now, r, g, e.handle(CheckFailed{}, now));
            apply(now, r, g, e.handle(Startup{}, now));
            check_owner_is_master(now, r, g);
            const auto& c = s_.config[r][g];
            if (c.initial_master && c.priority != kOwnerPriority && e.state() == State::Backup) {
                const Dur I = c.advert_interval;
                x.claims[g] = Claim{now + I + rfc_skew_time(s_.version, kOwnerPriority, I), true,
                                    false};
            }
        }
    }

    // RFC 5798 6.4.1 / keepalived: an address owner that starts (or leaves FAULT) healthy is
    // MASTER at once, without waiting for any timer.
    void check_owner_is_master(Time now, int r, int g) {
        const Router& x = routers_[r];
        if (s_.config[r][g].priority == kOwnerPriority && x.link_up && x.check_passed &&
            x.groups[g]->state() != State::Master) {
            monitor_.fail(now, fmt::format("r{} g{}: address owner not MASTER right after "
                                           "starting healthy",
                                           r, g));
        }
    }

    void stop_router(Time now, int r, bool graceful) {
        Router& x = routers_[r];
        if (!x.alive) return;
        for (int g = 0; g < s_.groups; ++g) {
            if (graceful) apply(now, r, g, x.groups[g]->handle(Shutdown{}, now));
            x.groups[g].reset();
            x.claims[g].pending = false;
            x.timers.cancel(static_cast<TimerQueue::Id>(g));
            x.owned[g] = false;  // a crashed controller's ownership dies with its liveness gate
            monitor_.set_state(now, r, g, State::Initialize);
        }
        x.alive = false;
        update_eligibility(r);
    }

    void set_check(Time now, int r, bool passed) {
        Router& x = routers_[r];
        x.check_passed = passed;
        update_eligibility(r);
        if (!x.alive) return;
        for (int g = 0; g < s_.groups; ++g) {
            apply(now, r, g,
                  passed ? x.groups[g]->handle(CheckPassed{}, now)
                         : x.groups[g]->handle(CheckFailed{}, now));
            if (passed) check_owner_is_master(now, r, g);
        }
    }

    void set_link(Time now, int r, bool up) {
        Router& x = routers_[r];
        x.link_up = up;
        update_eligibility(r);
        if (!x.alive) return;
        for (int g = 0; g < s_.groups; ++g) {
            apply(now, r, g, up ? x.groups[g]->handle(LinkUp{}, now)
                                : x.groups[g]->handle(LinkDown{}, now));
            if (up) check_owner_is_master(now, r, g);
        }
    }

    void set_partition(Time now, const std::vector<int>& sides) {
        for (int r = 0; r < s_.routers; ++r) routers_[r].component = sides[r];
        monitor_.set_components(now, sides);
    }

    void scenario_step(const ScenarioEvent& e) {
        const Time now = e.at;
        std::string what = fmt::format("scenario: {}", to_string(e.step));
        if (e.router >= 0) what += fmt::format(" r{}", e.router);
        if (e.step == Step::Loss) what += fmt::format(" {:.2f}", e.loss);
        if (!e.sides.empty()) {
            what += " sides";
            for (int side : e.sides) what += fmt::format(" {}", side);
        }
        log(now, what);
        const std::vector<int> healed(s_.routers, 0);
        switch (e.step) {
        case Step::Crash: stop_router(now, e.router, false); break;
        case Step::Stop: stop_router(now, e.router, true); break;
        case Step::Restart: start_router(now, e.router); break;
        case Step::CheckFail: set_check(now, e.router, false); break;
        case Step::CheckPass: set_check(now, e.router, true); break;
        case Step::LinkDown: set_link(now, e.router, false); break;
        case Step::LinkUp: set_link(now, e.router, true); break;
        case Step::Partition: set_partition(now, e.sides); break;
        case Step::Heal: set_partition(now, healed); break;
        case Step::Loss: loss_ = e.loss; break;
        case Step::CalmStart:
            loss_ = 0;
            set_partition(now, healed);
            monitor_.start_calm(now);
            break;
        case Step::RunProbe: probe(now, e); break;
        case Step::End: break;
        }
    }

    void probe(Time now, const ScenarioEvent& e) {
        int target = -1;
        if (s_.probe != Probe::Partition && s_.probe != Probe::None) {
            for (int r = 0; r < s_.routers && target < 0; ++r) {
                if (routers_[r].alive && routers_[r].groups[0]->state() == State::Master) target = r;
            }
        }
        monitor_.start_probe(now, s_.probe, target);
        if (s_.probe == Probe::Partition) {
            set_partition(now, e.sides);
            return;
        }
        if (s_.probe == Probe::None) return;
        if (target < 0) {
            log(now, "probe: group 0 has no master to act on");
            return;
        }
        log(now, fmt::format("probe: {} on r{}", to_string(s_.probe), target));
        switch (s_.probe) {
        case Probe::CrashMaster: stop_router(now, target, false); break;
        case Probe::ResignMaster: stop_router(now, target, true); break;
        case Probe::FailMasterCheck: set_check(now, target, false); break;
        case Probe::MasterLinkDown: set_link(now, target, false); break;
        case Probe::Partition:
        case Probe::None: break;
        }
    }

    void deliver(const Delivery& d) {
        Router& to = routers_[d.to];
        if (verbose_) {
            log(d.at, fmt::format("r{} receives vrid {} prio {} from {}{}", d.to, d.vrid,
                                  d.advert.priority, d.advert.source.to_string(),
                                  to.alive && to.link_up ? "" : " (down: dropped)"));
        }
        if (!to.alive || !to.link_up) return;
        if (s_.mutation == Mutation::DeafRouter && d.to == 0) return;
        for (int g = 0; g < s_.groups; ++g) {
            if (s_.config[d.to][g].vrid != d.vrid) continue;
            if (d.advert.priority >= s_.config[d.to][g].priority || d.advert.priority == 0) {
                to.claims[g].heard_better = true;
            }
            apply(d.at, d.to, g, to.groups[g]->handle(d.advert, d.at));
            return;
        }
    }

    void send(Time now, int r, int g, std::uint8_t priority) {
        ++result_.adverts_sent;
        const Router& from = routers_[r];
        if (verbose_) log(now, fmt::format("r{} g{} sends advert prio {}", r, g, priority));
        if (!from.link_up) return;
        if (s_.mutation == Mutation::DropResignations && priority == kStopPriority) return;
        const InstanceConfig& c = s_.config[r][g];
        const AdvertReceived advert{priority, s_.addresses[r], c.advert_interval};
        const auto spread = (s_.delay_max - s_.delay_min).count();
        for (int o = 0; o < s_.routers; ++o) {
            if (o == r || routers_[o].component != from.component) continue;
            if (loss_ > 0 && rng_.chance(loss_)) continue;
            const Dur delay = s_.delay_min + Dur(spread > 0 ? static_cast<long long>(
                                                                  rng_.below(spread + 1))
                                                            : 0);
            // One segment never reorders one sender's frames: a priority 0 advert must not
            // overtake the advert sent just before it.
            Time& last = last_delivery_[r * s_.routers + o];
            last = std::max(last, now + delay);
            wire_.push(Delivery{last, seq_++, o, c.vrid, advert});
        }
    }

    // Apply one output and check the action protocol the daemon relies on.
    void apply(Time now, int r, int g, const Output& out) {
        Router& x = routers_[r];
        const Election& e = *x.groups[g];
        const State after = e.state();
        bool owned = x.owned[g];
        bool disowned_here = false;
        int notifies = 0;
        auto bad = [&](const std::string& what) {
            monitor_.fail(now, fmt::format("r{} g{} action protocol: {}", r, g, what));
        };
        for (std::size_t i = 0; i < out.actions.size(); ++i) {
            const Action& a = out.actions[i];
            const auto is = [&](std::size_t k, auto tag) {
                return k < out.actions.size() &&
                       std::holds_alternative<decltype(tag)>(out.actions[k]);
            };
            std::visit(Overloaded{
                           [&](const SendAdvert& s) {
                               if ((s.priority != kStopPriority) != (after == State::Master)) {
                                   bad(fmt::format("advert prio {} while {}", s.priority,
                                                   to_string(after)));
                               }
                               send(now, r, g, s.priority);
                           },
                           [&](const OwnGroup&) {
                               if (owned) bad("OwnGroup while already owned");
                               if (!is(i + 1, AddAddresses{}) || !is(i + 2, SendGratuitous{})) {
                                   bad("OwnGroup not followed by AddAddresses, SendGratuitous");
                               }
                               owned = true;
                           },
                           [&](const DisownGroup&) {
                               if (!owned) bad("DisownGroup while not owned");
                               owned = false;
                               disowned_here = true;
                           },
                           [&](const AddAddresses&) {
                               if (!is(i - 1, OwnGroup{})) bad("AddAddresses before OwnGroup");
                           },
                           [&](const RemoveAddresses&) {
                               if (!disowned_here) bad("RemoveAddresses before DisownGroup");
                           },
                           [&](const SendGratuitous&) {
                               if (i == 0 || !is(i - 1, AddAddresses{})) {
                                   bad("SendGratuitous before AddAddresses");
                               }
                           },
                           [&](const Notify& n) {
                               ++notifies;
                               if (n.state != notify_for(after)) {
                                   bad(fmt::format("notify {} in state {}", to_string(n.state),
                                                   to_string(after)));
                               }
                               if (n.instance != s_.config[r][g].name) bad("notify names another instance");
                           },
                       },
                       a);
        }
        if (out.transition) {
            ++result_.transitions;
            if (notifies != 1) bad(fmt::format("{} notifies for one transition", notifies));
            if (out.transition->to != after) bad("transition record disagrees with state");
            log(now, fmt::format("r{} g{} {} -> {}: {}", r, g, to_string(out.transition->from),
                                 to_string(out.transition->to), out.transition->cause));
            monitor_.set_state(now, r, g, after);
            // Claimed in time, or a fault/shutdown interrupted the claim: either way settled.
            if (after != State::Backup) x.claims[g].pending = false;
        } else if (notifies != 0) {
            bad("notify without a transition");
        }
        if (owned != (after == State::Master)) {
            bad(fmt::format("owned={} in state {}", owned, to_string(after)));
        }
        x.owned[g] = owned;
        x.timers.set(static_cast<TimerQueue::Id>(g), e.deadline());
    }

    const Scenario& s_;
    Monitor monitor_;
    std::ostream* trace_;
    bool verbose_;
    std::vector<Router> routers_;
    std::priority_queue<Delivery, std::vector<Delivery>, DeliversLater> wire_;
    std::vector<Time> last_delivery_;  // [sender * routers + receiver]: FIFO per link
    Rng rng_;
    std::uint64_t seq_ = 0;
    double loss_ = 0;
    std::uint64_t event_budget_ = 0;
    RunResult result_;
};

}  // namespace

RunResult run(const Scenario& scenario, std::ostream* trace, bool verbose) {
    if (trace) *trace << scenario.describe();
    Simulation sim(scenario, trace, verbose);
    auto result = sim.run();
    if (trace && result.violation) {
        *trace << fmt::format("VIOLATION at {:.3f} ms: {}\n", ms_at(result.violation->at),
                              result.violation->what);
    }
    return result;
}

}  // namespace xvrrp::sim
