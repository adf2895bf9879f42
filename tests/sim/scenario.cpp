#include "scenario.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <utility>

namespace xvrrp::sim {

using namespace std::chrono_literals;

std::uint64_t Rng::next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

std::string_view to_string(Mutation m) {
    switch (m) {
    case Mutation::None: return "none";
    case Mutation::DeafRouter: return "deaf-router";
    case Mutation::MismatchedVrid: return "mismatched-vrid";
    case Mutation::DropResignations: return "drop-resignations";
    }
    return "?";
}

std::optional<Mutation> parse_mutation(std::string_view s) {
    for (auto m : {Mutation::None, Mutation::DeafRouter, Mutation::MismatchedVrid,
                   Mutation::DropResignations}) {
        if (to_string(m) == s) return m;
    }
    return std::nullopt;
}

std::string_view to_string(Probe p) {
    switch (p) {
    case Probe::None: return "none";
    case Probe::CrashMaster: return "crash-master";
    case Probe::ResignMaster: return "resign-master";
    case Probe::FailMasterCheck: return "fail-master-check";
    case Probe::MasterLinkDown: return "master-link-down";
    case Probe::Partition: return "partition";
    }
    return "?";
}

std::string_view to_string(Step s) {
    switch (s) {
    case Step::Crash: return "crash";
    case Step::Restart: return "restart";
    case Step::Stop: return "stop";
    case Step::CheckFail: return "check-fail";
    case Step::CheckPass: return "check-pass";
    case Step::LinkDown: return "link-down";
    case Step::LinkUp: return "link-up";
    case Step::Partition: return "partition";
    case Step::Heal: return "heal";
    case Step::Loss: return "loss";
    case Step::CalmStart: return "calm";
    case Step::RunProbe: return "probe";
    case Step::End: return "end";
    }
    return "?";
}

namespace {

struct Timing {
    int version;
    std::chrono::milliseconds interval;
};
// OpenShift's default (v2, 1 s) and the VRRPv3 intervals the benchmark issue cares about.
constexpr std::array<Timing, 7> kTimings{{
    {2, 1000ms}, {2, 2000ms}, {3, 10ms}, {3, 20ms}, {3, 50ms}, {3, 100ms}, {3, 1000ms}}};

std::vector<int> random_sides(Rng& rng, int routers) {
    // Two non-empty sides.
    std::vector<int> sides(routers);
    for (;;) {
        int ones = 0;
        for (auto& s : sides) ones += (s = static_cast<int>(rng.below(2)));
        if (ones > 0 && ones < routers) return sides;
    }
}

PreemptPolicy random_mode(Rng& rng) {
    const auto r = rng.below(10);
    if (r < 4) return PreemptPolicy::Preempt;
    if (r < 7) return PreemptPolicy::NoPreempt;
    return PreemptPolicy::Delay;
}

}  // namespace

Dur rfc_skew_time(int version, int priority, Dur interval) {
    // RFC 3768 6.1: (256 - Priority) / 256 seconds. RFC 5798 6.1: ((256 - Priority) *
    // Master_Adver_Interval) / 256.
    const Dur unit = version == 2 ? Dur(std::chrono::seconds(1)) : interval;
    return Dur(unit.count() * (256 - priority) / 256);
}

Dur rfc_master_down_interval(int version, int priority, Dur interval) {
    return Dur(3 * interval.count()) + rfc_skew_time(version, priority, interval);
}

PreemptPolicy expected_preempt(const InstanceConfig& c) {
    // keepalived.conf(5): nopreempt and preempt_delay need the initial state not to be MASTER,
    // and an address owner always starts as MASTER; preempt_delay 0 is no delay.
    if (c.priority == 255 || c.initial_master) return PreemptPolicy::Preempt;
    if (c.preempt == PreemptPolicy::Delay && c.preempt_delay == std::chrono::milliseconds(0)) {
        return PreemptPolicy::Preempt;
    }
    return c.preempt;
}

Scenario make_scenario(std::uint64_t seed, const ScenarioOptions& options) {
    Rng rng(seed);
    Scenario s;
    s.seed = seed;
    s.mutation = options.mutation;
    s.routers = 2 + static_cast<int>(rng.below(4));  // 2..5
    s.groups = 1 + static_cast<int>(rng.below(3));   // 1..3
    const Timing timing = kTimings[rng.below(kTimings.size())];
    s.version = timing.version;
    s.interval = timing.interval;
    const Dur I = s.interval;
    // One-way delay up to 10 % of the interval (a LAN is far below that).
    s.delay_max = I * static_cast<long>(rng.below(11)) / 100;
    s.delay_min = s.delay_max * static_cast<long>(rng.below(50)) / 100;

    // Distinct primary addresses; IPv6 for a fifth of the clusters.
    const bool v6 = rng.chance(0.2);
    std::vector<int> octets;
    while (static_cast<int>(octets.size()) < s.routers) {
        const int o = 1 + static_cast<int>(rng.below(254));
        if (std::find(octets.begin(), octets.end(), o) == octets.end()) octets.push_back(o);
    }
    for (int o : octets) {
        s.addresses.push_back(*IpAddress::parse(v6 ? fmt::format("2001:db8::{:x}", o)
                                                  : fmt::format("192.0.2.{}", o)));
    }

    s.config.assign(s.routers, std::vector<InstanceConfig>(s.groups));
    // VRRPv3 lets each router choose its interval; backups follow the master's (RFC 5798 6.4.2
    // Master_Adver_Interval), which only shows when the intervals differ. v2 needs them equal.
    const bool mixed_intervals = s.version == 3 && rng.chance(0.3);
    s.interval_max = mixed_intervals ? 2 * I : I;
    for (int g = 0; g < s.groups; ++g) {
        const PreemptPolicy mode = random_mode(rng);
        const bool mixed_modes = rng.chance(0.1);
        const bool ties = rng.chance(0.3);  // priorities from a tiny pool: equal ones are common
        const int owner = rng.chance(0.15) ? static_cast<int>(rng.below(s.routers)) : -1;
        const int state_master = rng.chance(0.5) ? static_cast<int>(rng.below(s.routers)) : -1;
        for (int r = 0; r < s.routers; ++r) {
            InstanceConfig& c = s.config[r][g];
            c.name = fmt::format("r{}_g{}", r, g);
            c.vrid = static_cast<std::uint8_t>(11 + g);
            c.version = s.version;
            c.advert_interval = timing.interval * static_cast<long>(mixed_intervals ? 1 + rng.below(2) : 1);
            c.primary_address = s.addresses[r];
            c.priority = ties ? static_cast<std::uint8_t>(50 * (1 + rng.below(3)))
                              : static_cast<std::uint8_t>(1 + rng.below(254));
            if (r == owner) c.priority = kOwnerPriority;
            c.preempt = mixed_modes ? random_mode(rng) : mode;
            if (c.preempt == PreemptPolicy::Delay) {
                c.preempt_delay =
                    std::chrono::duration_cast<std::chrono::milliseconds>(I) *
                    static_cast<long>(1 + rng.below(10));
            }
            c.initial_master = (r == state_master) || rng.chance(0.05);
        }
    }
    if (s.mutation == Mutation::MismatchedVrid) s.config[0][0].vrid = 200;

    for (int r = 0; r < s.routers; ++r) {
        for (int g = 0; g < s.groups; ++g) {
            const auto& c = s.config[r][g];
            s.mdi_max = std::max(
                s.mdi_max, rfc_master_down_interval(s.version, c.priority, s.interval_max));
            s.skew_max = std::max(s.skew_max, rfc_skew_time(s.version, c.priority, s.interval_max));
            if (expected_preempt(c) == PreemptPolicy::Delay) {
                s.preempt_delay_max = std::max<Dur>(s.preempt_delay_max, c.preempt_delay);
            }
        }
    }

    // --- chaos ---
    const Time t0{};
    const Dur chaos = I * static_cast<long>(10 + rng.below(31));
    const int n = static_cast<int>(rng.below(9));
    auto at_in_chaos = [&](Dur after) {
        const auto span = (chaos - after).count();
        return t0 + after + Dur(span > 0 ? static_cast<long long>(rng.below(span)) : 0);
    };
    for (int i = 0; i < n; ++i) {
        ScenarioEvent e;
        e.at = at_in_chaos(Dur(0));
        e.router = static_cast<int>(rng.below(s.routers));
        const auto kind = rng.below(7);
        const Dur since = e.at - t0;
        switch (kind) {
        case 0:
        case 1:
            e.step = kind == 0 ? Step::Crash : Step::Stop;
            s.events.push_back(e);
            if (rng.chance(0.7)) s.events.push_back({at_in_chaos(since), Step::Restart, e.router});
            break;
        case 2:
            e.step = Step::CheckFail;
            s.events.push_back(e);
            if (rng.chance(0.7)) s.events.push_back({at_in_chaos(since), Step::CheckPass, e.router});
            break;
        case 3:
            e.step = Step::LinkDown;
            s.events.push_back(e);
            if (rng.chance(0.7)) s.events.push_back({at_in_chaos(since), Step::LinkUp, e.router});
            break;
        case 4:
            e.router = -1;
            e.step = Step::Partition;
            e.sides = random_sides(rng, s.routers);
            s.events.push_back(e);
            if (rng.chance(0.6)) s.events.push_back({at_in_chaos(since), Step::Heal});
            break;
        default:
            e.router = -1;
            e.step = Step::Loss;
            e.loss = static_cast<double>(rng.below(40)) / 100.0;
            s.events.push_back(e);
            break;
        }
    }

    // --- calm and probe ---
    s.calm_at = t0 + chaos;
    s.events.push_back({s.calm_at, Step::CalmStart});
    // Settled before the probe: a master appears within one Master_Down_Interval + one advert
    // of calm start; a preempt_delay backup that first sees it then takes over at most one
    // delay + one Master_Down_Interval later (see monitor.hpp for the per-rule bounds).
    const Dur Imax = s.interval_max;
    const Dur settle = s.preempt_delay_max + 2 * (s.mdi_max + Imax) + 2 * s.delay_max;
    s.probe_at = s.calm_at + settle + I * static_cast<long>(rng.below(3));
    s.probe = options.probe ? *options.probe : static_cast<Probe>(rng.below(6));
    Time probe_end = s.probe_at;
    ScenarioEvent probe{s.probe_at, Step::RunProbe};
    if (s.probe == Probe::Partition) {
        s.probe_sides = random_sides(rng, s.routers);
        probe.sides = s.probe_sides;
        // Long enough for each side to elect its own master, then heal.
        probe_end = s.probe_at + s.preempt_delay_max + 2 * (s.mdi_max + Imax);
    }
    s.events.push_back(probe);
    if (s.probe == Probe::Partition) s.events.push_back({probe_end, Step::Heal});
    // Final window: masters meet (one advert), a preempt delay runs out, a master-down timer
    // fires, plus a quiet stretch of one Master_Down_Interval + one advert for stability.
    s.end_at = probe_end + s.preempt_delay_max + 3 * (s.mdi_max + Imax) + 2 * s.delay_max;
    s.events.push_back({s.end_at, Step::End});
    std::stable_sort(s.events.begin(), s.events.end(),
                     [](const ScenarioEvent& a, const ScenarioEvent& b) { return a.at < b.at; });
    return s;
}

std::string Scenario::describe() const {
    auto ms = [](Dur d) { return std::chrono::duration<double, std::milli>(d).count(); };
    std::string out = fmt::format(
        "seed {} mutation {}: {} routers, {} groups, VRRPv{} interval {} ms, delay {}..{} ms, "
        "probe {} at {} ms, calm at {} ms, end {} ms\n",
        seed, to_string(mutation), routers, groups, version, ms(interval), ms(delay_min),
        ms(delay_max), to_string(probe), ms(probe_at - Time{}), ms(calm_at - Time{}),
        ms(end_at - Time{}));
    for (int r = 0; r < routers; ++r) {
        out += fmt::format("  r{} {}:", r, addresses[r].to_string());
        for (const auto& c : config[r]) {
            const char* mode = c.preempt == PreemptPolicy::Preempt     ? "preempt"
                               : c.preempt == PreemptPolicy::NoPreempt ? "nopreempt"
                                                                     : "delay";
            out += fmt::format(" [vrid {} prio {} {}{}{}{}]", c.vrid, c.priority, mode,
                               c.preempt == PreemptPolicy::Delay
                                   ? fmt::format(" {} ms", c.preempt_delay.count())
                                   : std::string(),
                               c.initial_master ? " state-MASTER" : "",
                               c.advert_interval == interval
                                   ? std::string()
                                   : fmt::format(" interval {} ms", c.advert_interval.count()));
        }
        out += "\n";
    }
    return out;
}

}  // namespace xvrrp::sim
