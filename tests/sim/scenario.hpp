// A seeded, fully determined cluster scenario for the election simulator.
//
// A run has three parts, all in virtual time measured in advert intervals so that every seed
// costs about the same whatever its interval:
//   chaos  - random crashes, restarts, priority-0 shutdowns, check failures, link flaps,
//            partitions and packet loss; only the action-protocol invariants are checked;
//   calm   - the wire is healed and lossless (delay stays); from here the election invariants
//            hold, and one probe (crash/resign/fault/link-down of the master, or a partition
//            that later heals) measures a failover bound;
//   end    - the final winner and stability checks.
#pragma once

#include "core/election.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace xvrrp::sim {

using Time = SteadyTime;
using Dur = Nanoseconds;

// Deliberate breakage, used to prove the checker can fail (tests/sim/mutation_test.cpp).
enum class Mutation {
    None,
    DeafRouter,        // router 0 never hands received adverts to its election
    MismatchedVrid,    // router 0 is configured with another VRID for group 0
    DropResignations,  // the wire loses every priority 0 advert
};
std::string_view to_string(Mutation m);
std::optional<Mutation> parse_mutation(std::string_view s);

enum class Probe { None, CrashMaster, ResignMaster, FailMasterCheck, MasterLinkDown, Partition };
std::string_view to_string(Probe p);

enum class Step {
    Crash,      // process dies: no priority 0, no cleanup
    Restart,    // fresh elections, Startup
    Stop,       // graceful shutdown (priority 0 when master), then down
    CheckFail,  // the node's check fails (all its groups)
    CheckPass,
    LinkDown,  // the node's VRRP interface loses carrier
    LinkUp,
    Partition,  // routers split by `sides`
    Heal,
    Loss,       // set the wire's loss probability
    CalmStart,  // heal, loss 0: invariants on from here
    RunProbe,
    End,
};
std::string_view to_string(Step s);

struct ScenarioEvent {
    Time at;
    Step step;
    int router = -1;
    std::vector<int> sides;  // Partition: side of each router
    double loss = 0;
};

struct Scenario {
    std::uint64_t seed = 0;
    Mutation mutation = Mutation::None;
    int routers = 0;
    int groups = 0;
    int version = 2;
    Dur interval{0};      // the cluster's base advert interval
    Dur interval_max{0};  // VRRPv3 routers may be configured with twice the base
    std::vector<IpAddress> addresses;                // per router
    std::vector<std::vector<InstanceConfig>> config;  // [router][group]
    Dur delay_min{0};
    Dur delay_max{0};
    std::vector<ScenarioEvent> events;  // sorted by time; ends with End
    Time calm_at{};
    Probe probe = Probe::None;
    Time probe_at{};
    std::vector<int> probe_sides;  // Partition probe
    Time end_at{};
    // Bounds derived from the config, over every router, group and configured interval.
    Dur mdi_max{0};   // largest Master_Down_Interval
    Dur skew_max{0};  // largest Skew_Time
    Dur preempt_delay_max{0};

    std::string describe() const;
};

struct ScenarioOptions {
    Mutation mutation = Mutation::None;
    std::optional<Probe> probe;  // force a probe kind instead of drawing one
};

Scenario make_scenario(std::uint64_t seed, const ScenarioOptions& options = {});

// The RFC timer formulas and keepalived's preemption rules written again, independently of the
// core, so that a wrong core cannot widen the bounds it is checked against.
Dur rfc_skew_time(int version, int priority, Dur interval);
Dur rfc_master_down_interval(int version, int priority, Dur interval);
PreemptPolicy expected_preempt(const InstanceConfig& c);

// splitmix64-based generator: identical streams on every platform and standard library, so a
// printed seed replays anywhere.
class Rng {
public:
    explicit Rng(std::uint64_t seed) : state_(seed) {}
    std::uint64_t next();
    std::uint64_t below(std::uint64_t n) { return n == 0 ? 0 : next() % n; }
    double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
    bool chance(double p) { return unit() < p; }

private:
    std::uint64_t state_;
};

}  // namespace xvrrp::sim
