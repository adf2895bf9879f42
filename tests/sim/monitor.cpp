#include "monitor.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

namespace xvrrp::sim {

namespace {

double ms(Dur d) { return std::chrono::duration<double, std::milli>(d).count(); }
double ms_at(Time t) { return ms(t - Time{}); }

}  // namespace

Monitor::Monitor(const Scenario& s)
    : s_(s),
      state_(s.routers, std::vector<State>(s.groups, State::Initialize)),
      master_since_(s.routers, std::vector<Time>(s.groups)),
      last_change_(s.routers, std::vector<Time>(s.groups)),
      eligible_(s.routers, false),
      component_(s.routers, 0),
      takeover_(s.groups),
      zero_(s.groups, std::vector<Zero>(2)) {}

void Monitor::fail(Time at, std::string what) {
    if (!violation_) violation_ = Violation{at, std::move(what)};
}

int Monitor::components() const {
    return 1 + *std::max_element(component_.begin(), component_.end());
}

std::vector<int> Monitor::masters(int group, int component) const {
    std::vector<int> out;
    for (int r = 0; r < s_.routers; ++r) {
        if (component_[r] == component && state_[r][group] == State::Master) out.push_back(r);
    }
    return out;
}

bool Monitor::has_eligible(int component) const {
    for (int r = 0; r < s_.routers; ++r) {
        if (component_[r] == component && eligible_[r]) return true;
    }
    return false;
}

Dur Monitor::interval_of(int router, int group) const {
    return Dur(s_.config[router][group].advert_interval);
}

Dur Monitor::allowance_for_zero(Time since, int group, std::string& why) const {
    if (since == calm_at_) {
        why = "no master at calm start";
        return s_.mdi_max + s_.interval_max + s_.delay_max;
    }
    if (probe_at_ && since == *probe_at_) {
        if (takeover_[group]) {
            why = takeover_[group]->why;
            return takeover_[group]->allowed;
        }
        if (probe_ == Probe::Partition) {
            why = "partition: Master_Down_Interval + one advert interval";
            return s_.mdi_max + s_.interval_max;
        }
    }
    why = "master vanished without crash, resignation or partition";
    return Dur(0);
}

void Monitor::check(Time now) {
    if (!calm_ || violation_) return;
    const int comps = components();
    for (int g = 0; g < s_.groups; ++g) {
        for (int c = 0; c < comps; ++c) {
            const auto m = masters(g, c);
            for (std::size_t i = 0; i < m.size(); ++i) {
                for (std::size_t j = i + 1; j < m.size(); ++j) {
                    const Time from = std::max({master_since_[m[i]][g], master_since_[m[j]][g],
                                                joined_at_, calm_at_});
                    // A master that has just appeared advertises at once and the other
                    // re-asserts at once if higher (keepalived): two delays. Masters joined by
                    // a heal or found at calm start wait for the next regular advert.
                    const bool fresh = from > std::max(joined_at_, calm_at_);
                    const Dur pair_bound =
                        (fresh ? Dur(0) : std::max(interval_of(m[i], g), interval_of(m[j], g))) +
                        2 * s_.delay_max;
                    if (now - from > pair_bound) {
                        return fail(now, fmt::format(
                                             "group {}: r{} and r{} both MASTER for {:.3f} ms "
                                             "(since {:.3f} ms), limit {:.3f} ms",
                                             g, m[i], m[j], ms(now - from), ms_at(from),
                                             ms(pair_bound)));
                    }
                }
            }
            Zero& z = zero_[g][c];
            if (m.empty() && has_eligible(c)) {
                if (!z.active) {
                    z.active = true;
                    z.since = now;
                    z.allowed = allowance_for_zero(now, g, z.why);
                }
                if (now - z.since > z.allowed) {
                    return fail(now, fmt::format("group {}: no MASTER for {:.3f} ms (since {:.3f} ms, "
                                                 "{}: limit {:.3f} ms)",
                                                 g, ms(now - z.since), ms_at(z.since), z.why,
                                                 ms(z.allowed)));
                }
            } else {
                z.active = false;
            }
        }
    }
}

void Monitor::check_new_master(Time now, int r, int g) {
    if (!calm_ || violation_) return;
    const auto& mine = s_.config[r][g];
    for (int m : masters(g, component_[r])) {
        if (m == r) continue;
        const Time from = std::max({master_since_[m][g], joined_at_, calm_at_});
        if (now - from <= interval_of(m, g) + 2 * s_.delay_max) continue;  // may not have heard it
        const auto& theirs = s_.config[m][g];
        if (expected_preempt(mine) != PreemptPolicy::NoPreempt && mine.priority > theirs.priority) {
            continue;  // legitimate preemption
        }
        return fail(now, fmt::format("group {}: r{} (prio {}{}) took over while r{} (prio {}) has "
                                     "been a live master for {:.3f} ms",
                                     g, r, mine.priority,
                                     expected_preempt(mine) == PreemptPolicy::NoPreempt
                                         ? ", nopreempt"
                                         : "",
                                     m, theirs.priority, ms(now - from)));
    }
    if (!takeover_[g] || now > takeover_until_) return;
    const Takeover& t = *takeover_[g];
    if (now - *probe_at_ < t.not_before) {
        return fail(now, fmt::format("group {}: r{} took over {:.3f} ms after the {}, before the "
                                     "earliest legitimate {:.3f} ms",
                                     g, r, ms(now - *probe_at_), to_string(probe_),
                                     ms(t.not_before)));
    }
    const Dur skew = rfc_skew_time(s_.version, mine.priority, t.interval);
    if (skew - t.best_skew > 2 * s_.delay_max) {
        return fail(now, fmt::format("group {}: r{} (prio {}, Skew_Time {:.3f} ms) took over "
                                     "before a backup with Skew_Time {:.3f} ms",
                                     g, r, mine.priority, ms(skew), ms(t.best_skew)));
    }
}

void Monitor::set_state(Time now, int router, int group, State state) {
    check(now);  // close the interval that ends here with the old state
    if (state == State::Master && state_[router][group] != State::Master) {
        check_new_master(now, router, group);
    }
    auto& cur = state_[router][group];
    if (state == State::Master && cur != State::Master) master_since_[router][group] = now;
    if (state != cur) last_change_[router][group] = now;
    cur = state;
}

void Monitor::set_eligible(int router, bool eligible) { eligible_[router] = eligible; }

void Monitor::set_components(Time now, const std::vector<int>& component_of_router) {
    check(now);
    component_ = component_of_router;
    joined_at_ = now;
    for (auto& per_group : zero_) {
        per_group.assign(2, Zero{});
    }
}

void Monitor::start_calm(Time now) {
    calm_ = true;
    calm_at_ = now;
    joined_at_ = now;
    for (auto& per_group : zero_) per_group.assign(2, Zero{});
}

void Monitor::start_probe(Time now, Probe kind, int target) {
    check(now);
    probe_ = kind;
    probe_at_ = now;
    if (target < 0 || kind == Probe::Partition || kind == Probe::None) return;
    const bool resigns = kind == Probe::ResignMaster || kind == Probe::FailMasterCheck;
    Dur longest{0};
    for (int g = 0; g < s_.groups; ++g) {
        if (state_[target][g] != State::Master) continue;
        // The backups learned the master's interval (RFC 5798 6.4.2) and were all reset by its
        // adverts, so the highest priority one (smallest Skew_Time) fires first.
        const Dur It = interval_of(target, g);
        std::optional<int> best;
        for (int r = 0; r < s_.routers; ++r) {
            if (r == target || !eligible_[r] || component_[r] != component_[target]) continue;
            if (!best || s_.config[r][g].priority > s_.config[*best][g].priority) best = r;
        }
        if (!best) continue;
        const int p = s_.config[*best][g].priority;
        Takeover t;
        t.interval = It;
        t.best_skew = rfc_skew_time(s_.version, p, It);
        if (resigns) {
            // Timers set to Skew_Time when the priority 0 advert arrives.
            t.allowed = s_.delay_max + t.best_skew;
            t.not_before = s_.delay_min + t.best_skew;
            t.why = fmt::format("{}: priority 0 advert, one delay + Skew_Time", to_string(kind));
        } else {
            // Timers run out one Master_Down_Interval after the last advert, sent at most one
            // interval before the crash.
            const Dur mdi = rfc_master_down_interval(s_.version, p, It);
            t.allowed = mdi + It;
            t.not_before = mdi - It + s_.delay_min;
            t.why = fmt::format("{}: Master_Down_Interval + one advert interval", to_string(kind));
        }
        longest = std::max(longest, t.allowed + It);
        takeover_[g] = t;
    }
    takeover_until_ = now + longest + 2 * s_.delay_max;
}

void Monitor::finish(Time end) {
    check(end);
    if (violation_) return;
    const Dur quiet = s_.mdi_max + s_.interval_max;
    for (int g = 0; g < s_.groups; ++g) {
        for (int c = 0; c < components(); ++c) {
            if (!has_eligible(c)) continue;
            const auto m = masters(g, c);
            if (m.size() != 1) {
                return fail(end, fmt::format("group {}: {} MASTERs at the end", g, m.size()));
            }
            const auto& winner = s_.config[m[0]][g];
            for (int r = 0; r < s_.routers; ++r) {
                if (r == m[0] || component_[r] != c || !eligible_[r]) continue;
                const auto& other = s_.config[r][g];
                if (expected_preempt(other) != PreemptPolicy::NoPreempt &&
                    other.priority > winner.priority) {
                    return fail(end, fmt::format(
                                         "group {}: r{} (prio {}, preempting) is BACKUP under "
                                         "lower master r{} (prio {})",
                                         g, r, other.priority, m[0], winner.priority));
                }
            }
        }
        for (int r = 0; r < s_.routers; ++r) {
            if (last_change_[r][g] > end - quiet) {
                return fail(end, fmt::format("group {}: r{} changed state at {:.3f} ms, inside the "
                                             "final quiet stretch of {:.3f} ms",
                                             g, r, ms_at(last_change_[r][g]), ms(quiet)));
            }
        }
    }
}

}  // namespace xvrrp::sim
