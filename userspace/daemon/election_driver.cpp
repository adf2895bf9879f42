#include "daemon/election_driver.hpp"

#include "core/election.hpp"
#include "core/timer_queue.hpp"

#include <deque>
#include <stdexcept>
#include <variant>

namespace xvrrp {
namespace {

template <class... Ts>
struct Overloaded : Ts... {
    using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

std::string_view state_word(State s) {
    switch (s) {
    case State::Initialize: return "INIT";
    case State::Backup: return "BACKUP";
    case State::Master: return "MASTER";
    case State::Fault: return "FAULT";
    }
    return "?";
}

InstanceConfig to_config(const InstanceSpec& s) {
    InstanceConfig c;
    c.name = s.name;
    c.vrid = s.vrid;
    c.priority = s.priority;
    c.advert_interval = s.advert_interval;
    c.version = s.version;
    c.preempt = s.preempt == InstanceSpec::Preempt::NoPreempt ? PreemptPolicy::NoPreempt
                : s.preempt == InstanceSpec::Preempt::Delay   ? PreemptPolicy::Delay
                                                              : PreemptPolicy::Preempt;
    c.preempt_delay = s.preempt_delay;
    c.initial_master = s.initial_master;
    c.resume_master = s.resume_master;
    c.primary_address = s.primary;
    return c;
}

}  // namespace

// ElectionDriver::kAdvertCoalescing (500 us unless a test asks otherwise): advert timers falling
// due within this much after a wake-up are served in that wake-up, and their adverts go out in
// its one sendmmsg, instead of costing a wake-up each. At 254 groups x 10 ms that is the
// difference between up to 25,400 wake-ups a second and one per cluster of phases.
// Why sending up to 500 us early is harmless: RFC 5798 6.4.3 says to send and reset the
// Adver_Timer to Advertisement_Interval; the next deadline is counted from the deadline, not from
// the early send (Election::on_advert_timer), so a group's schedule never drifts: each advert is
// at most 500 us ahead of it and the long-run interval is exact. A receiver declares the master
// dead 3 x Master_Adver_Interval + Skew_Time after the last advert (30 ms and more at the 10 ms
// minimum), so an advert 0.5 ms (5 % of the smallest VRRPv3 interval) early only finds it
// fresher. Master-down timers are never taken early: a backup waits its full
// Master_Down_Interval, whose Skew_Time ((256 - priority) x interval / 256: 78 us between
// priorities 254 and 253 at 10 ms) decides which backup speaks first; slack there could reorder
// the backups or pre-empt a master whose advert is about to arrive.
struct ElectionDriver::Impl {
    Impl(boost::asio::io_context& io, ActionSink& sink, std::chrono::microseconds coalescing)
        : timer(io), sink(sink), advert_coalescing(coalescing) {}
    boost::asio::steady_timer timer;
    ActionSink& sink;
    const std::chrono::microseconds advert_coalescing;
    std::vector<std::unique_ptr<Election>> elections;  // null: stopped group
    TimerQueue queue;
    std::vector<TimerQueue::Fired> due;
    // The deadline the steady_timer is set for, if a wait is pending. A completion of an older
    // wait that was already queued when the timer was set again carries an old generation and
    // is ignored: only the newest wait may fire.
    std::optional<SteadyTime> armed_for;
    std::uint64_t generation = 0;
    DriverStats stats;
    std::function<void()> before_timers;
    std::shared_ptr<bool> alive = std::make_shared<bool>(true);
    // Per group: repeats of `followed` are being absorbed by the data plane; those that arrived
    // after `taken` have not been handed to the state machine yet.
    struct Absorption {
        bool on = false;
        AdvertReceived followed;
        SteadyTime taken;
    };
    std::vector<Absorption> absorption;

    // What a transition needs at once is its data-plane write and its advert: the moment a
    // group is owned, XDP answers its VIPs. The rest (the transition's log line and event record,
    // address batches, GARP/NA, notify scripts) waits in `deferred`, in the machine's order, until
    // every timer and advert due has had its urgent part (enter()). At S2's failover a backup
    // takes 127 groups in one burst; served whole, one after the other, the last group's map
    // write would wait for every earlier group's log line, event record and address request
    // (127 takeovers took 3 ms on the quiet lab, more when the machine is busy).
    struct Deferred {
        enum class Kind { Transition, Add, Remove, Announce, Notify } kind;
        std::size_t group;
        std::string from, to, cause;  // Transition; Notify uses `to` for the state
        std::uint8_t priority = 0;    // Notify
        std::chrono::system_clock::time_point at;
    };
    std::deque<Deferred> deferred;
    int depth = 0;  // entry points running; the outermost one settles
    void defer(Deferred::Kind k, std::size_t g) { deferred.push_back({k, g, {}, {}, {}, 0, {}}); }

    void apply(std::size_t g, const Output& out) {
        if (out.transition)
            deferred.push_back({Deferred::Kind::Transition, g, std::string(state_word(out.transition->from)),
                                std::string(state_word(out.transition->to)), out.transition->cause, 0,
                                std::chrono::system_clock::now()});
        for (const Action& a : out.actions) {
            std::visit(Overloaded{
                           [&](const SendAdvert& s) { sink.send_advert(g, s.priority); },
                           [&](const OwnGroup&) { sink.own_group(g); },
                           [&](const DisownGroup&) { sink.disown_group(g); },
                           [&](const AddAddresses&) { defer(Deferred::Kind::Add, g); },
                           [&](const RemoveAddresses&) { defer(Deferred::Kind::Remove, g); },
                           [&](const SendGratuitous&) { defer(Deferred::Kind::Announce, g); },
                           [&](const Notify& n) {
                               deferred.push_back({Deferred::Kind::Notify, g, {}, std::string(to_string(n.state)), {}, n.priority, {}});
                           },
                       },
                       a);
        }
        if (elections[g]) queue.set(static_cast<TimerQueue::Id>(g), elections[g]->deadline());
        // Any event may end the following (a transition, a FAULT, a new master): from then on
        // every advert must reach the state machine again.
        Absorption& ab = absorption[g];
        if (ab.on && !(elections[g] && elections[g]->follows(ab.followed))) {
            ab.on = false;
            sink.absorb_repeats(g, false);
        }
    }

    void run(const Deferred& d) {
        switch (d.kind) {
        case Deferred::Kind::Transition: sink.transition(d.group, d.from, d.to, d.cause, d.at); break;
        case Deferred::Kind::Add: sink.add_addresses(d.group); break;
        case Deferred::Kind::Remove: sink.remove_addresses(d.group); break;
        case Deferred::Kind::Announce: sink.announce(d.group); break;
        case Deferred::Kind::Notify: sink.notify(d.group, d.to, d.priority); break;
        }
    }

    // Every entry point runs inside enter(): the urgent actions happen inside, the adverts are
    // flushed at the end, and the outermost entry then works off the deferred actions, one at a
    // time, serving any timer that falls due meanwhile first (so a burst of takeovers writes
    // every map entry before the first address request).
    template <class F>
    void enter(F&& body) {
        ++depth;
        body();
        sink.tick_done();
        if (--depth > 0) return;
        ++depth;
        while (!deferred.empty()) {
            auto next = queue.next_deadline();
            if (next && *next <= std::chrono::steady_clock::now()) {
                serve_due();
                sink.tick_done();
                continue;
            }
            Deferred d = std::move(deferred.front());
            deferred.pop_front();
            run(d);
        }
        --depth;
        rearm();
    }

    void advert(std::size_t g, const AdvertReceived& a) {
        const SteadyTime now = std::chrono::steady_clock::now();
        handle(g, a, now);
        if (elections[g] && elections[g]->follows(a)) {
            absorption[g] = {true, a, now};
            sink.absorb_repeats(g, true);
        }
    }

    // Hands the newest absorbed repeat, if one arrived since the last, to the state machine:
    // its master-down deadline moves to that arrival + Master_Down_Interval.
    bool take_absorbed(std::size_t g) {
        Absorption& ab = absorption[g];
        auto seen = sink.last_absorbed(g);
        if (!seen || *seen <= ab.taken || !elections[g]) return false;
        ab.taken = *seen;
        ++stats.absorbed_taken;
        apply(g, elections[g]->handle(ab.followed, *seen));
        return true;
    }

    // A BACKUP's master-down timer fell due while its master's repeats were absorbed below the
    // socket. True when a newer repeat kept the master alive (the timer moved on). Otherwise
    // the absorbing stops BEFORE the timer fires, and the stamp is read once more, so a repeat
    // absorbed in between is not lost to a spurious takeover.
    bool master_still_heard(std::size_t g, SteadyTime now) {
        auto due_now = [&] { return elections[g] && elections[g]->deadline() && *elections[g]->deadline() <= now; };
        if (take_absorbed(g) && !due_now()) return true;
        if (absorption[g].on) {
            absorption[g].on = false;
            sink.absorb_repeats(g, false);
        }
        return take_absorbed(g) && !due_now();
    }

    void handle(std::size_t g, const Event& e, SteadyTime now = std::chrono::steady_clock::now()) {
        if (!elections[g]) return;
        apply(g, elections[g]->handle(e, now));
    }

    // An event for every group is handled at one instant: groups started (or brought back up)
    // together keep one phase, so their adverts share a wake-up and a sendmmsg however long the
    // per-group actions take (they took more than the coalescing window under ASan).
    void handle_all(const Event& e) {
        enter([&] {
            const SteadyTime now = std::chrono::steady_clock::now();
            for (std::size_t g = 0; g < elections.size(); ++g) handle(g, e, now);
        });
    }

    // Sets the steady_timer only when the queue's earliest deadline is EARLIER than the one it
    // is set for. A backup's every received advert moves its group's master-down deadline later,
    // and at 254 groups that group is usually the earliest: re-arming on every change cost one
    // timerfd_settime and one aborted completion per advert (15 % of a backup's CPU in the S2
    // profile, bench/README.md). A deadline that moved later instead leaves the timer set for
    // the old one; that wake-up finds nothing due (fire_timer would refuse it anyway) and sets
    // the timer for the true next deadline: about one wake-up per Master_Down_Interval minus
    // advert interval, instead of one re-arm per advert.
    void rearm() {
        auto next = queue.next_deadline();
        if (!next) {
            // Nothing pending (every group in FAULT or stopped): rare, so cancel rather than
            // take a useless wake-up.
            if (armed_for) {
                timer.cancel();
                ++generation;
                armed_for.reset();
            }
            return;
        }
        if (armed_for && *armed_for <= *next) return;
        arm(*next);
    }

    void arm(SteadyTime at) {
        armed_for = at;
        const std::uint64_t mine = ++generation;
        ++stats.timer_arms;
        timer.expires_at(at);
        std::weak_ptr<bool> weak = alive;
        timer.async_wait([this, weak, mine](const boost::system::error_code& ec) {
            if (ec || weak.expired() || mine != generation) return;
            armed_for.reset();
            fire();
        });
    }

    bool may_fire_early(TimerQueue::Id id) const {
        // Only a MASTER's pending timer is its advert timer (election.hpp: one timer per state).
        return id < elections.size() && elections[id] && elections[id]->state() == State::Master;
    }

    void fire() {
        ++stats.wakeups;
        enter([&] {
            if (!serve_due()) ++stats.stale_wakeups;
        });
    }

    // The timers due now (advert timers within the coalescing window too). False: none was.
    bool serve_due() {
        // Adverts waiting in a socket first: they may push a master-down deadline past now. This
        // may re-enter advert() and set the timer; rearm() settles on the earliest.
        if (before_timers) before_timers();
        const auto now = std::chrono::steady_clock::now();
        due.clear();
        queue.pop_due_coalesced(now, advert_coalescing, [this](TimerQueue::Id id) { return may_fire_early(id); }, due);
        for (const auto& f : due) {
            if (!elections[f.id]) continue;
            SteadyTime at = f.at;
            if (absorption[f.id].on) {
                if (master_still_heard(f.id, now)) continue;
                at = now;  // a repeat handed over may have moved the deadline (still due)
            }
            ++stats.timers_fired;
            if (at != now) ++stats.fired_early;
            // An early advert timer gets its own deadline as "now": Election::fire_timer ignores
            // a call before the deadline, and the cadence stays anchored to the deadline.
            apply(f.id, elections[f.id]->fire_timer(at));
        }
        return !due.empty();
    }
};

ElectionDriver::ElectionDriver(boost::asio::io_context& io, const std::vector<InstanceSpec>& specs, ActionSink& sink,
                               std::chrono::microseconds advert_coalescing)
    : impl_(std::make_unique<Impl>(io, sink, advert_coalescing)) {
    if (advert_coalescing.count() < 0) throw std::invalid_argument("advert coalescing window is negative");
    impl_->queue = TimerQueue(specs.size());
    impl_->absorption.resize(specs.size());
    for (const auto& s : specs) {
        InstanceConfig c = to_config(s);
        if (auto problem = validate(c)) throw std::invalid_argument(s.name + ": " + *problem);
        impl_->elections.push_back(std::make_unique<Election>(c));
    }
}

ElectionDriver::~ElectionDriver() {
    *impl_->alive = false;
    impl_->timer.cancel();
}

void ElectionDriver::before_timers(std::function<void()> read_pending) { impl_->before_timers = std::move(read_pending); }

void ElectionDriver::startup() { impl_->handle_all(Startup{}); }

void ElectionDriver::advert(std::size_t group, std::uint8_t priority, const IpAddress& source, std::chrono::milliseconds interval) {
    if (group >= impl_->elections.size()) return;
    impl_->enter([&] { impl_->advert(group, AdvertReceived{priority, source, interval}); });
}

void ElectionDriver::check(bool passed) { impl_->handle_all(passed ? Event{CheckPassed{}} : Event{CheckFailed{}}); }

void ElectionDriver::link(bool up) { impl_->handle_all(up ? Event{LinkUp{}} : Event{LinkDown{}}); }

void ElectionDriver::shutdown() {
    impl_->enter([&] {
        for (std::size_t g = 0; g < impl_->elections.size(); ++g) impl_->handle(g, Shutdown{});
        impl_->queue = TimerQueue(impl_->elections.size());
    });
    impl_->timer.cancel();
    ++impl_->generation;
    impl_->armed_for.reset();
}

void ElectionDriver::stop_group(std::size_t group) {
    if (group >= impl_->elections.size() || !impl_->elections[group]) return;
    impl_->enter([&] {
        impl_->handle(group, Shutdown{});
        impl_->queue.cancel(static_cast<TimerQueue::Id>(group));
        impl_->elections[group].reset();
    });
}

std::size_t ElectionDriver::add_group(const InstanceSpec& spec, std::optional<std::size_t> slot) {
    InstanceConfig c = to_config(spec);
    if (auto problem = validate(c)) throw std::invalid_argument(spec.name + ": " + *problem);
    std::size_t g;
    if (slot && *slot < impl_->elections.size() && !impl_->elections[*slot]) {
        g = *slot;
        impl_->elections[g] = std::make_unique<Election>(c);
        impl_->absorption[g] = {};
    } else {
        impl_->elections.push_back(std::make_unique<Election>(c));
        impl_->absorption.emplace_back();
        g = impl_->elections.size() - 1;
    }
    impl_->enter([&] { impl_->handle(g, Startup{}); });
    return g;
}

DriverStats ElectionDriver::stats() const { return impl_->stats; }

std::size_t ElectionDriver::size() const { return impl_->elections.size(); }
bool ElectionDriver::active(std::size_t group) const { return group < impl_->elections.size() && impl_->elections[group]; }

GroupRuntime ElectionDriver::runtime(std::size_t group) const {
    GroupRuntime r;
    if (!active(group)) {
        r.state = "STOPPED";
        return r;
    }
    const Election& e = *impl_->elections[group];
    ElectionStatus s = e.status();
    r.state = std::string(state_word(s.state));
    r.master = s.state == State::Master;
    r.priority = s.priority;
    r.master_address = s.master_address;
    r.master_priority = s.master_priority;
    r.last_advert = s.last_advert;
    r.transitions = s.transitions;
    r.master_down_interval = master_down_interval(e.config().version, e.config().priority,
                                                  s.master_adver_interval.count() > 0 ? s.master_adver_interval
                                                                                      : Nanoseconds(e.config().advert_interval));
    return r;
}

std::chrono::nanoseconds ElectionDriver::master_down(int version, std::uint8_t priority, std::chrono::milliseconds interval) {
    return master_down_interval(version, priority, interval);
}

}  // namespace xvrrp
