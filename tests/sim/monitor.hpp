// The invariant checker of the election simulator.
//
// It sees only what an outside observer would: each router's state per group, which routers
// are eligible (alive, link up, check passing) and how the wire is partitioned, and it computes
// every bound with its own copy of the RFC formulas (scenario.hpp), never the core's. From calm
// start (wire connected and lossless, see scenario.hpp) it enforces, per group and per
// connected component of the wire:
//   single master  - two masters that can hear each other coexist at most two one-way delays
//                    after the later of them became master (it advertises at once; the other
//                    steps down or, if higher, re-asserts at once as keepalived does), or one
//                    advert interval (the larger of theirs) plus two delays after the wire
//                    joined them ("after a partition heals, a single master within one advert
//                    interval") or calm started;
//   some master    - a component with an eligible router is without master only
//                      * from calm start: at most Master_Down_Interval + one advert + delay;
//                      * after the master crashes or loses its link: at most the backups'
//                        Master_Down_Interval (on the master's interval, which they learned)
//                        + one advert interval of the master;
//                      * after the master resigns with priority 0 (shutdown, failed check): at
//                        most one delay + the backups' Skew_Time;
//                      * each side of a partition cut off from its master: as after a crash;
//                    a master vanishing for any other reason is a violation at once;
//   not premature  - after a crash, no backup takes over before its Master_Down_Interval has
//                    run from the last advert it can have received;
//   no needless takeover - a router becomes MASTER while another master it can hear has been
//                    master for over one advert + 2 delays only to preempt it: its preemption is
//                    on and its priority is higher (what nopreempt forbids, and what a backup of
//                    equal or lower priority must never do);
//   orderly takeover - after the master crashes or resigns, the backup with the smallest
//                    Skew_Time (highest priority) goes first: a backup whose Skew_Time exceeds
//                    that by more than two delays never becomes MASTER in the takeover;
//   winner (end)   - exactly one master, and no eligible backup whose preemption is on
//                    (preempt or preempt_delay, after keepalived's normalisation) has a
//                    higher priority than it: "highest priority wins unless nopreempt";
//   stable (end)   - no transition in the last Master_Down_Interval + one advert interval.
#pragma once

#include "scenario.hpp"

#include <optional>
#include <string>
#include <vector>

namespace xvrrp::sim {

struct Violation {
    Time at;
    std::string what;
};

class Monitor {
public:
    explicit Monitor(const Scenario& scenario);

    void set_state(Time now, int router, int group, State state);
    void set_eligible(int router, bool eligible);
    void set_components(Time now, const std::vector<int>& component_of_router);
    void start_calm(Time now);
    // target: the router the probe acts on (master of group 0), -1 for none or a partition.
    void start_probe(Time now, Probe kind, int target);
    // Evaluate the continuous rules at `now` (after the simulator handled an event).
    void check(Time now);
    void finish(Time end);
    // The action-protocol checks in the simulator report here too.
    void fail(Time at, std::string what);

    const std::optional<Violation>& violation() const { return violation_; }

private:
    struct Zero {
        bool active = false;
        Time since{};
        Dur allowed{0};
        std::string why;
    };
    // What the probe lets happen in one group the probed router was master of.
    struct Takeover {
        Dur allowed{0};         // longest time without master
        Dur not_before{0};      // earliest legitimate takeover (crash, link down)
        Dur best_skew{0};       // smallest Skew_Time of an eligible backup
        Dur interval{0};        // the probed master's interval, which the backups learned
        std::string why;
    };
    Dur allowance_for_zero(Time since, int group, std::string& why) const;
    void check_new_master(Time now, int router, int group);
    std::vector<int> masters(int group, int component) const;
    bool has_eligible(int component) const;
    int components() const;
    Dur interval_of(int router, int group) const;

    const Scenario& s_;
    std::vector<std::vector<State>> state_;        // [router][group]
    std::vector<std::vector<Time>> master_since_;  // [router][group]
    std::vector<std::vector<Time>> last_change_;   // [router][group]
    std::vector<bool> eligible_;
    std::vector<int> component_;
    Time joined_at_{};  // when the current components were formed
    bool calm_ = false;
    Time calm_at_{};
    Probe probe_ = Probe::None;
    std::optional<Time> probe_at_;
    std::vector<std::optional<Takeover>> takeover_;  // [group], after a crash/resign probe
    Time takeover_until_{};
    std::vector<std::vector<Zero>> zero_;  // [group][component]
    std::optional<Violation> violation_;
};

}  // namespace xvrrp::sim
