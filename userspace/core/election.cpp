#include "core/election.hpp"

#include <fmt/format.h>

#include <stdexcept>
#include <utility>

namespace xvrrp {

namespace {

using std::chrono::duration_cast;
using std::chrono::milliseconds;

// keepalived accepts preempt_delay 0..1000 s (keepalived.conf(5), "Range: 0 to 1000").
constexpr milliseconds kMaxPreemptDelay{1000 * 1000};

long long ms_between(SteadyTime earlier, SteadyTime later) {
    return duration_cast<milliseconds>(later - earlier).count();
}

template <class... F>
struct Overloaded : F... {
    using F::operator()...;
};
template <class... F>
Overloaded(F...) -> Overloaded<F...>;

}  // namespace

std::optional<std::string> validate(const InstanceConfig& c) {
    const std::string who = c.name.empty() ? std::string("(unnamed)") : c.name;
    if (c.name.empty()) return std::string("instance name is empty");
    if (c.vrid == 0) return fmt::format("instance {}: vrid 0 is out of range 1..255", who);
    if (c.priority == 0) {
        return fmt::format("instance {}: priority 0 is reserved for a resigning master (use 1..255)",
                           who);
    }
    if (c.version != 2 && c.version != 3) {
        return fmt::format("instance {}: VRRP version {} is not 2 or 3", who, c.version);
    }
    const auto ms = c.advert_interval.count();
    if (c.version == 2) {
        // RFC 3768 5.3.7: 8-bit interval in whole seconds.
        if (ms <= 0 || ms % 1000 != 0 || ms > 255 * 1000) {
            return fmt::format(
                "instance {}: VRRPv2 advert interval {} ms is not a whole number of seconds "
                "in 1..255",
                who, ms);
        }
    } else if (ms <= 0 || ms % 10 != 0 || ms > 4095 * 10) {
        // RFC 5798 5.2.7: 12-bit interval in centiseconds.
        return fmt::format(
            "instance {}: VRRPv3 advert interval {} ms is not a multiple of 10 ms in 10..40950", who,
            ms);
    }
    if (c.preempt_delay.count() < 0 || c.preempt_delay > kMaxPreemptDelay) {
        return fmt::format("instance {}: preempt_delay {} ms is outside 0..1000 s", who,
                           c.preempt_delay.count());
    }
    return std::nullopt;
}

PreemptPolicy effective_preempt(const InstanceConfig& c) {
    // keepalived 2.2.7 vrrp_complete_instance(): "nopreempt is incompatible with priority 255"
    // resets nopreempt; an owner then starts as MASTER, and "preempt delay will not work with
    // initial state MASTER - clearing" resets both for every state-MASTER instance. This is why
    // OpenShift's master groups take their VIPs back at once after a reboot.
    if (c.priority == kOwnerPriority || c.initial_master) return PreemptPolicy::Preempt;
    if (c.preempt == PreemptPolicy::Delay && c.preempt_delay.count() == 0) return PreemptPolicy::Preempt;
    return c.preempt;
}

Nanoseconds skew_time(int version, std::uint8_t priority, Nanoseconds master_adver_interval) {
    const auto weight = 256 - static_cast<int>(priority);
    if (version == 2) return Nanoseconds(std::chrono::seconds(1)) * weight / 256;
    return master_adver_interval * weight / 256;
}

Nanoseconds master_down_interval(int version, std::uint8_t priority,
                                 Nanoseconds master_adver_interval) {
    return 3 * master_adver_interval + skew_time(version, priority, master_adver_interval);
}

std::string_view to_string(State s) {
    switch (s) {
    case State::Initialize: return "INITIALIZE";
    case State::Backup: return "BACKUP";
    case State::Master: return "MASTER";
    case State::Fault: return "FAULT";
    }
    return "UNKNOWN";
}

std::string_view to_string(NotifyState s) {
    switch (s) {
    case NotifyState::Master: return "MASTER";
    case NotifyState::Backup: return "BACKUP";
    case NotifyState::Fault: return "FAULT";
    case NotifyState::Stop: return "STOP";
    }
    return "UNKNOWN";
}

std::string_view event_name(const Event& e) {
    return std::visit(Overloaded{
                          [](const Startup&) { return std::string_view("startup"); },
                          [](const Shutdown&) { return std::string_view("shutdown"); },
                          [](const AdvertReceived&) { return std::string_view("advert"); },
                          [](const MasterDownTimerFired&) {
                              return std::string_view("master-down timer");
                          },
                          [](const AdvertTimerFired&) { return std::string_view("advert timer"); },
                          [](const CheckPassed&) { return std::string_view("check passed"); },
                          [](const CheckFailed&) { return std::string_view("check failed"); },
                          [](const LinkUp&) { return std::string_view("link up"); },
                          [](const LinkDown&) { return std::string_view("link down"); },
                      },
                      e);
}

std::string describe(const Action& a) {
    return std::visit(
        Overloaded{
            [](const SendAdvert& s) { return fmt::format("send advert prio {}", s.priority); },
            [](const OwnGroup&) { return std::string("own group"); },
            [](const DisownGroup&) { return std::string("disown group"); },
            [](const AddAddresses&) { return std::string("add addresses"); },
            [](const RemoveAddresses&) { return std::string("remove addresses"); },
            [](const SendGratuitous&) { return std::string("send gratuitous ARP/NA"); },
            [](const Notify& n) {
                return fmt::format("notify INSTANCE {} {} {}", n.instance, to_string(n.state),
                                   n.priority);
            },
        },
        a);
}

void ActionList::push_back(const Action& a) {
    // Capacity is a property of the machine's code, not of input: overflowing is a bug.
    if (size_ == kCapacity) throw std::logic_error("ActionList capacity exceeded");
    items_[size_++] = a;
}

Election::Election(InstanceConfig config)
    : config_(std::move(config)),
      preempt_(effective_preempt(config_)),
      master_adver_interval_(config_.advert_interval) {
    if (auto error = validate(config_)) throw std::invalid_argument(*error);
}

ElectionStatus Election::status() const {
    ElectionStatus s;
    s.state = state_;
    s.priority = config_.priority;
    if (state_ == State::Master) {
        s.master_address = config_.primary_address;
        s.master_priority = config_.priority;
    } else {
        s.master_address = master_address_;
        s.master_priority = master_address_ ? master_priority_ : 0;
    }
    s.last_advert = last_advert_at_;
    s.transitions = transitions_;
    s.master_adver_interval = master_adver_interval_;
    s.deadline = deadline_;
    s.preempt_at = preempt_at_;
    s.link_up = link_up_;
    s.check_passed = check_passed_;
    return s;
}

Output Election::handle(const Event& event, SteadyTime now) {
    Output out;
    std::visit(Overloaded{
                   [&](const Startup&) { on_startup(now, out); },
                   [&](const Shutdown&) { on_shutdown(out); },
                   [&](const AdvertReceived& a) { on_advert(a, now, out); },
                   [&](const MasterDownTimerFired&) {
                       if (state_ == State::Backup && deadline_ && now >= *deadline_) {
                           on_master_down(now, out);
                       }
                   },
                   [&](const AdvertTimerFired&) {
                       if (state_ == State::Master && deadline_ && now >= *deadline_) {
                           on_advert_timer(now, out);
                       }
                   },
                   [&](const CheckPassed&) {
                       check_passed_ = true;
                       on_health(now, out, "check passed");
                   },
                   [&](const CheckFailed&) {
                       check_passed_ = false;
                       on_health(now, out, "check failed");
                   },
                   [&](const LinkUp&) {
                       link_up_ = true;
                       on_health(now, out, "link up");
                   },
                   [&](const LinkDown&) {
                       link_up_ = false;
                       on_health(now, out, "link down");
                   },
               },
               event);
    return out;
}

Output Election::fire_timer(SteadyTime now) {
    Output out;
    if (!deadline_ || now < *deadline_) return out;
    if (state_ == State::Backup) {
        on_master_down(now, out);
    } else if (state_ == State::Master) {
        on_advert_timer(now, out);
    }
    return out;
}

Nanoseconds Election::my_master_down() const {
    return master_down_interval(config_.version, config_.priority, master_adver_interval_);
}

void Election::record(Output& out, State to, std::string cause) {
    out.transition = Transition{state_, to, std::move(cause)};
    state_ = to;
    ++transitions_;
}

void Election::learn_interval(const AdvertReceived& a) {
    // RFC 5798 6.4.2: a backup sets Master_Adver_Interval from the accepted advert. VRRPv2
    // adverts must carry our own interval (RFC 3768 7.1; the codec rejects a mismatch), so the
    // configured value stays.
    if (config_.version == 3 && a.advert_interval.count() > 0) {
        master_adver_interval_ = a.advert_interval;
    }
}

std::string Election::describe_last_advert(SteadyTime now) const {
    if (last_advert_at_ && backup_since_ && *last_advert_at_ >= *backup_since_) {
        return fmt::format("last advert {} ms ago from {} prio {}", ms_between(*last_advert_at_, now),
                           last_advert_from_.to_string(), last_advert_priority_);
    }
    return fmt::format("no advert heard in {} ms as BACKUP",
                       backup_since_ ? ms_between(*backup_since_, now) : 0);
}

// --- Entering states ------------------------------------------------------------------------

void Election::become_master(SteadyTime now, Output& out, std::string cause) {
    // keepalived 2.2.7 vrrp_state_master_tx() sends the advert first "so the old master removes
    // the VIPs before we send the gratuitous ARPs". Ownership is then the map write (XDP answers
    // ARP/NS at once), the addresses for local delivery, and last the gratuitous ARP/NA, which
    // must not announce a MAC that does not answer yet (docs/architecture.md, ownership order).
    out.actions.push_back(SendAdvert{config_.priority});
    out.actions.push_back(OwnGroup{});
    out.actions.push_back(AddAddresses{});
    out.actions.push_back(SendGratuitous{});
    out.actions.push_back(Notify{config_.name, NotifyState::Master, config_.priority});
    deadline_ = now + Nanoseconds(config_.advert_interval);  // RFC 5798 6.4.1/6.4.2 Adver_Timer
    preempt_at_.reset();
    ignoring_lower_master_ = false;
    master_address_.reset();
    record(out, State::Master, std::move(cause));
}

void Election::become_backup(SteadyTime now, Output& out, Nanoseconds down_after,
                             std::string cause) {
    out.actions.push_back(Notify{config_.name, NotifyState::Backup, config_.priority});
    deadline_ = now + down_after;
    backup_since_ = now;
    // keepalived clears preempt_time whenever it enters BACKUP (vrrp_state_leave_master,
    // vrrp_state_leave_fault): the preempt delay always counts from the first lower-priority
    // advert heard in this BACKUP period.
    preempt_at_.reset();
    ignoring_lower_master_ = false;
    master_address_.reset();
    record(out, State::Backup, std::move(cause));
}

void Election::become_fault(Output& out, std::string cause) {
    out.actions.push_back(Notify{config_.name, NotifyState::Fault, config_.priority});
    deadline_.reset();
    preempt_at_.reset();
    ignoring_lower_master_ = false;
    master_address_.reset();
    record(out, State::Fault, std::move(cause));
}

void Election::leave_master(Output& out, bool resign) {
    // Disown first: a map write that stops XDP answering for the VIPs within microseconds, so a
    // backup woken by our priority 0 advert can never find us still answering ARP. Then the
    // resignation advert (keepalived sends VRRP_PRIO_STOP when leaving MASTER for FAULT and at
    // shutdown), then the slower netlink address removal.
    out.actions.push_back(DisownGroup{});
    if (resign) out.actions.push_back(SendAdvert{kStopPriority});
    out.actions.push_back(RemoveAddresses{});
}

// --- Events ---------------------------------------------------------------------------------

void Election::on_startup(SteadyTime now, Output& out) {
    if (state_ != State::Initialize) return;
    master_adver_interval_ = config_.advert_interval;
    if (!healthy()) {
        become_fault(out, !link_up_ ? "startup with link down" : "startup with check failing");
        return;
    }
    if (owner()) {
        // RFC 5798 6.4.1: the address owner sends an advert and becomes MASTER at once.
        become_master(now, out, "startup as address owner (priority 255)");
        return;
    }
    if (config_.resume_master) {
        // A restart (upgrade) that kept the data plane: the peers still follow our adverts and
        // the map still answers for the VIPs, so the first advert goes out now, as a MASTER's.
        become_master(now, out, "startup: resumes the mastership the previous run left served");
        return;
    }
    if (config_.initial_master) {
        // keepalived 2.2.7 vrrp_init_state(): a non-owner `state MASTER` instance starts in
        // BACKUP with ms_down_timer = master_adver_int + VRRP_TIMER_SKEW_MIN, i.e. it claims
        // mastership one advert interval (+ interval/256, or 1/256 s for v2) after startup
        // unless a higher-priority master speaks first. Lower-priority adverts do not hold it
        // back: its preemption is forced on (effective_preempt).
        const auto down = Nanoseconds(config_.advert_interval) +
                          skew_time(config_.version, kOwnerPriority, master_adver_interval_);
        become_backup(now, out, down, "startup in state MASTER (claims after one advert interval)");
        return;
    }
    // RFC 5798 6.4.1: Master_Down_Timer = Master_Down_Interval, transition to Backup.
    become_backup(now, out, my_master_down(), "startup");
}

void Election::on_shutdown(Output& out) {
    if (state_ == State::Initialize) return;
    if (state_ == State::Master) {
        // RFC 5798 6.4.3 Shutdown: cancel Adver_Timer, send an advert with priority 0.
        leave_master(out, /*resign=*/link_up_);
    }
    out.actions.push_back(Notify{config_.name, NotifyState::Stop, config_.priority});
    deadline_.reset();
    preempt_at_.reset();
    master_address_.reset();
    record(out, State::Initialize, "shutdown");
}

void Election::on_health(SteadyTime now, Output& out, const char* what) {
    switch (state_) {
    case State::Initialize: return;  // remembered for startup
    case State::Backup:
        if (!healthy()) become_fault(out, what);
        return;
    case State::Master:
        if (!healthy()) {
            // The reference page: a master whose check fails enters FAULT and gives the VIPs up.
            // With the link down nothing can be sent, so no resignation advert.
            leave_master(out, /*resign=*/link_up_);
            become_fault(out, what);
        }
        return;
    case State::Fault:
        if (!healthy()) return;
        master_adver_interval_ = config_.advert_interval;
        if (owner()) {
            // keepalived try_up_instance(): an owner leaves FAULT straight to MASTER.
            become_master(now, out, fmt::format("{}: out of FAULT as address owner", what));
        } else {
            // keepalived vrrp_state_leave_fault(): BACKUP with a full Master_Down_Interval on
            // the configured interval, even for a `state MASTER` instance.
            become_backup(now, out, my_master_down(), fmt::format("{}: out of FAULT", what));
        }
        return;
    }
}

void Election::on_advert(const AdvertReceived& a, SteadyTime now, Output& out) {
    if (state_ != State::Backup && state_ != State::Master) return;  // INIT/FAULT: not listening
    // Our own advert looped back (multicast loop, a bridge reflecting it) is not a peer.
    if (a.source == config_.primary_address) return;
    last_advert_at_ = now;
    last_advert_from_ = a.source;
    last_advert_priority_ = a.priority;
    if (state_ == State::Backup) {
        on_advert_as_backup(a, now, out);
    } else {
        on_advert_as_master(a, now, out);
    }
}

void Election::on_advert_as_backup(const AdvertReceived& a, SteadyTime now, Output&) {
    if (a.priority == kStopPriority) {
        // Deliberate deviation from RFC 5798 6.4.2 and keepalived: a resignation from a router
        // other than the master we follow is stale - the new master's advert overtook it on
        // another path (found by the simulator: the backup then cut its timer to Skew_Time and
        // flapped to MASTER beside the new master). The master we follow keeps our timer fed;
        // if it is gone too, the master-down timer still fires.
        if (master_address_ && *master_address_ != a.source) return;
        // RFC 5798 6.4.2: the master resigned; Master_Down_Timer = Skew_Time, so the highest
        // priority backup (smallest skew) speaks first.
        deadline_ = now + skew_time(config_.version, config_.priority, master_adver_interval_);
        master_address_.reset();
        ignoring_lower_master_ = false;
        return;
    }
    const bool delay_running =
        preempt_ == PreemptPolicy::Delay && (!preempt_at_ || now < *preempt_at_);
    if (preempt_ == PreemptPolicy::NoPreempt || a.priority >= config_.priority || delay_running) {
        // RFC 5798 6.4.2: accept (Preempt_Mode false or priority >= ours): learn the interval,
        // reset Master_Down_Timer. keepalived's preempt_delay accepts lower adverts too while
        // the delay runs (vrrp_state_backup()).
        learn_interval(a);
        deadline_ = now + my_master_down();
        master_address_ = a.source;
        master_priority_ = a.priority;
        ignoring_lower_master_ = false;
        if (preempt_ == PreemptPolicy::Delay) {
            // keepalived 2.2.7 vrrp_state_backup(): an advert of our priority or higher stops the
            // delay; the first lower one starts it ("start preempt delay"), later ones do not
            // restart it. Once it has elapsed, lower adverts are discarded (below) and the
            // master-down timer, no longer reset, hands us mastership.
            if (a.priority >= config_.priority) {
                preempt_at_.reset();
            } else if (!preempt_at_) {
                preempt_at_ = now + config_.preempt_delay;
            }
        }
        return;
    }
    // Preempting a live lower-priority master: discard the advert so Master_Down_Timer runs
    // out (RFC 5798 6.4.2 "Otherwise: Discard the ADVERTISEMENT"). We still know who it is.
    master_address_ = a.source;
    master_priority_ = a.priority;
    ignoring_lower_master_ = true;
}

bool Election::follows(const AdvertReceived& a) const {
    if (state_ != State::Backup || a.priority == kStopPriority || ignoring_lower_master_) return false;
    if (!master_address_ || *master_address_ != a.source || master_priority_ != a.priority) return false;
    // A lower master is followed only without preemption; under preempt_delay its adverts
    // count towards a delay that ends (on_advert_as_backup), so each one must be seen in turn.
    return a.priority >= config_.priority || preempt_ == PreemptPolicy::NoPreempt;
}

void Election::on_advert_as_master(const AdvertReceived& a, SteadyTime now, Output& out) {
    if (a.priority == kStopPriority) {
        // RFC 5798 6.4.3: answer a resignation at once and restart the advert timer.
        out.actions.push_back(SendAdvert{config_.priority});
        deadline_ = now + Nanoseconds(config_.advert_interval);
        return;
    }
    const bool higher = a.priority > config_.priority ||
                        (a.priority == config_.priority && a.source > config_.primary_address);
    if (!higher) {
        // keepalived (lower_prio_no_advert off, its default): "received lower priority advert,
        // forcing new election" - re-assert at once so the other master steps down now rather
        // than at our next advert. The advert timer keeps its phase.
        out.actions.push_back(SendAdvert{config_.priority});
        return;
    }
    // RFC 5798 6.4.3: higher priority, or equal priority and higher primary address: cancel the
    // Adver_Timer, set Master_Adver_Interval and Master_Down_Timer, go to BACKUP.
    learn_interval(a);
    const std::string cause =
        a.priority > config_.priority
            ? fmt::format("higher priority advert from {} prio {} (ours {})", a.source.to_string(),
                          a.priority, config_.priority)
            : fmt::format("equal priority {} advert from higher address {} (ours {})", a.priority,
                          a.source.to_string(), config_.primary_address.to_string());
    leave_master(out, /*resign=*/false);
    become_backup(now, out, my_master_down(), cause);
    master_address_ = a.source;
    master_priority_ = a.priority;
}

void Election::on_master_down(SteadyTime now, Output& out) {
    std::string cause;
    if (ignoring_lower_master_) {
        if (preempt_ == PreemptPolicy::Delay) {
            cause = fmt::format(
                "preempt delay {} s elapsed over lower priority master {} prio {} (ours {})",
                duration_cast<milliseconds>(config_.preempt_delay).count() / 1000.0,
                last_advert_from_.to_string(), last_advert_priority_, config_.priority);
        } else {
            cause = fmt::format("preempting lower priority master {} prio {} (ours {})",
                                last_advert_from_.to_string(), last_advert_priority_,
                                config_.priority);
        }
    } else if (last_advert_at_ && backup_since_ && *last_advert_at_ >= *backup_since_ &&
               last_advert_priority_ == kStopPriority) {
        cause = fmt::format("master {} resigned (priority 0), skew timer expired {} ms later",
                            last_advert_from_.to_string(), ms_between(*last_advert_at_, now));
    } else {
        cause = fmt::format("master down timer ({})", describe_last_advert(now));
    }
    become_master(now, out, std::move(cause));
}

void Election::on_advert_timer(SteadyTime now, Output& out) {
    out.actions.push_back(SendAdvert{config_.priority});
    // Keep the cadence from the deadline, not from a late wake-up; after a long stall, restart.
    const auto interval = Nanoseconds(config_.advert_interval);
    auto next = *deadline_ + interval;
    if (next <= now) next = now + interval;
    deadline_ = next;
}

}  // namespace xvrrp
