// The VRRP election for one instance (one VRID = one VIP group), as a pure state machine.
//
// RFC 5798 section 6.4 (and RFC 3768 section 6.4 for version 2) plus the keepalived 2.2.7
// behaviours that OpenShift's ipfailover pods rely on; every deviation from the RFC text is
// commented where it is implemented (election.cpp). The machine never performs anything: each
// event (with the time it happened) returns the actions to take, in the order to take them,
// and at most one transition record for the log. Time is the caller's: pass
// std::chrono::steady_clock::time_point values from the real clock or from a simulator.
//
// Timers: an instance has at most ONE pending deadline (the advert timer in MASTER, the
// master-down timer in BACKUP, none in INITIALIZE/FAULT). After every call the driver mirrors
// deadline() into the shared TimerQueue (`queue.set(id, election.deadline())`) and, when the
// queue says the id is due, calls fire_timer(now). That keeps one queue for all instances and
// makes a stale wake-up harmless (fire_timer ignores a timer that is not due).
#pragma once

#include "core/ip_address.hpp"

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace xvrrp {

using SteadyTime = std::chrono::steady_clock::time_point;
using Nanoseconds = std::chrono::nanoseconds;

inline constexpr std::uint8_t kOwnerPriority = 255;  // RFC 5798 5.2.4: owns the addresses
inline constexpr std::uint8_t kStopPriority = 0;     // RFC 5798 5.2.4: master resigns

enum class PreemptPolicy : std::uint8_t {
    Preempt,    // RFC default: a higher priority backup takes over from a live lower master
    NoPreempt,  // keepalived `nopreempt`: only take over when the master-down timer fires
    Delay,      // keepalived `preempt_delay N`: take over N after first seeing the lower master
};

struct InstanceConfig {
    std::string name;  // notify scripts get it: INSTANCE <name> MASTER|BACKUP|FAULT|STOP
    std::uint8_t vrid = 0;
    std::uint8_t priority = 100;  // 1..255; 255 = address owner
    std::chrono::milliseconds advert_interval{1000};  // v2: whole seconds; v3: 10 ms steps
    int version = 2;  // 2 (RFC 3768) or 3 (RFC 5798)
    PreemptPolicy preempt = PreemptPolicy::Preempt;
    std::chrono::milliseconds preempt_delay{0};  // used with PreemptPolicy::Delay
    bool initial_master = false;  // keepalived `state MASTER` (the generator's master groups)
    // The previous run of this controller left the group owned and still served (its data plane
    // adopted within the liveness gate): start as MASTER at once, so neither this node nor its
    // peers see the restart.
    bool resume_master = false;
    IpAddress primary_address;    // our source address: breaks priority ties
};

// Empty when the config is usable; else one message naming the field and the value.
std::optional<std::string> validate(const InstanceConfig& config);

// The preemption that keepalived 2.2.7 actually applies after its config checks
// (vrrp_complete_instance): priority 255 clears nopreempt, and an instance starting in state
// MASTER (which an owner always does) clears both nopreempt and preempt_delay.
PreemptPolicy effective_preempt(const InstanceConfig& config);

// Timer arithmetic. Version 3 (RFC 5798 6.1): Skew_Time = ((256 - Priority) *
// Master_Adver_Interval) / 256. Version 2 (RFC 3768 6.1): Skew_Time = (256 - Priority) / 256
// seconds whatever the interval (keepalived's VRRP_TIMER_SKEW does the same).
// Master_Down_Interval = 3 * Master_Adver_Interval + Skew_Time in both.
Nanoseconds skew_time(int version, std::uint8_t priority, Nanoseconds master_adver_interval);
Nanoseconds master_down_interval(int version, std::uint8_t priority,
                                 Nanoseconds master_adver_interval);

enum class State : std::uint8_t { Initialize, Backup, Master, Fault };
std::string_view to_string(State s);

// --- Events ------------------------------------------------------------------------------------
struct Startup {};
struct Shutdown {};
struct AdvertReceived {
    std::uint8_t priority = 0;
    IpAddress source;  // the sender's primary address (IP source of the advert)
    std::chrono::milliseconds advert_interval{0};  // Max Adver Int field (v3); v2 ignores it
};
struct MasterDownTimerFired {};
struct AdvertTimerFired {};
struct CheckPassed {};
struct CheckFailed {};
struct LinkUp {};
struct LinkDown {};
using Event = std::variant<Startup, Shutdown, AdvertReceived, MasterDownTimerFired,
                           AdvertTimerFired, CheckPassed, CheckFailed, LinkUp, LinkDown>;
std::string_view event_name(const Event& e);

// --- Actions -----------------------------------------------------------------------------------
struct SendAdvert {
    std::uint8_t priority;  // ours, or 0 to resign
    bool operator==(const SendAdvert&) const = default;
};
struct OwnGroup {  // write owned=1 in the group map: XDP answers ARP/NS for the VIPs at once
    bool operator==(const OwnGroup&) const = default;
};
struct DisownGroup {
    bool operator==(const DisownGroup&) const = default;
};
struct AddAddresses {  // local delivery of the VIPs, one netlink batch
    bool operator==(const AddAddresses&) const = default;
};
struct RemoveAddresses {
    bool operator==(const RemoveAddresses&) const = default;
};
struct SendGratuitous {  // gratuitous ARP / unsolicited NA for every VIP
    bool operator==(const SendGratuitous&) const = default;
};
// keepalived's notify arguments: INSTANCE <name> <state> <priority>; STOP on shutdown.
enum class NotifyState : std::uint8_t { Master, Backup, Fault, Stop };
std::string_view to_string(NotifyState s);
struct Notify {
    // Points into the Election's config: use it before the Election is destroyed or moved
    // (a short name lives inside the object). Copy it to keep it.
    std::string_view instance;
    NotifyState state;
    std::uint8_t priority;
    bool operator==(const Notify&) const = default;
};
using Action = std::variant<SendAdvert, OwnGroup, DisownGroup, AddAddresses, RemoveAddresses,
                            SendGratuitous, Notify>;
std::string describe(const Action& a);

// A fixed-capacity list: no allocation on the per-advert path. The longest sequence an event
// produces is five actions (becoming master).
class ActionList {
public:
    static constexpr std::size_t kCapacity = 8;
    void push_back(const Action& a);
    std::size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    const Action& operator[](std::size_t i) const { return items_[i]; }
    const Action* begin() const { return items_.data(); }
    const Action* end() const { return items_.data() + size_; }

private:
    std::array<Action, kCapacity> items_{};
    std::size_t size_ = 0;
};

struct Transition {
    State from;
    State to;
    std::string cause;  // for the one log line per state change
};

struct Output {
    ActionList actions;
    std::optional<Transition> transition;
};

struct ElectionStatus {
    State state = State::Initialize;
    std::uint8_t priority = 0;
    std::optional<IpAddress> master_address;  // ourselves when MASTER
    std::uint8_t master_priority = 0;
    std::optional<SteadyTime> last_advert;  // last advert received for this VRID
    std::uint64_t transitions = 0;
    Nanoseconds master_adver_interval{0};
    std::optional<SteadyTime> deadline;
    std::optional<SteadyTime> preempt_at;  // preempt_delay running: lower master ignored from
    bool link_up = true;
    bool check_passed = true;
};

class Election {
public:
    // Throws std::invalid_argument with validate()'s message: configs are checked at the edge
    // (the plan) first, so reaching this is a programming error.
    explicit Election(InstanceConfig config);

    Output handle(const Event& event, SteadyTime now);
    // The single pending timer is due: dispatch it as the master-down or advert timer.
    // Does nothing when no timer is pending or now is before the deadline (stale wake-up).
    Output fire_timer(SteadyTime now);

    // True when another advert identical to `a` (same source, priority and interval) would do
    // nothing but move the master-down deadline to its arrival + Master_Down_Interval: BACKUP,
    // following `a`'s sender, which is not a stopping or pre-empted lower master. The driver
    // lets the data plane absorb such repeats and hands them over as one AdvertReceived with
    // the arrival time of the newest, when the master-down timer falls due.
    bool follows(const AdvertReceived& a) const;

    std::optional<SteadyTime> deadline() const { return deadline_; }
    State state() const { return state_; }
    const InstanceConfig& config() const { return config_; }
    PreemptPolicy preempt_mode() const { return preempt_; }
    ElectionStatus status() const;

private:
    void on_startup(SteadyTime now, Output& out);
    void on_shutdown(Output& out);
    void on_advert(const AdvertReceived& a, SteadyTime now, Output& out);
    void on_advert_as_backup(const AdvertReceived& a, SteadyTime now, Output& out);
    void on_advert_as_master(const AdvertReceived& a, SteadyTime now, Output& out);
    void on_master_down(SteadyTime now, Output& out);
    void on_advert_timer(SteadyTime now, Output& out);
    void on_health(SteadyTime now, Output& out, const char* what);

    void become_master(SteadyTime now, Output& out, std::string cause);
    void become_backup(SteadyTime now, Output& out, Nanoseconds down_after, std::string cause);
    void become_fault(Output& out, std::string cause);
    void leave_master(Output& out, bool resign);
    void record(Output& out, State to, std::string cause);
    bool healthy() const { return link_up_ && check_passed_; }
    bool owner() const { return config_.priority == kOwnerPriority; }
    void learn_interval(const AdvertReceived& a);
    Nanoseconds my_master_down() const;
    std::string describe_last_advert(SteadyTime now) const;

    InstanceConfig config_;
    PreemptPolicy preempt_;
    State state_ = State::Initialize;
    bool link_up_ = true;
    bool check_passed_ = true;
    std::optional<SteadyTime> deadline_;
    Nanoseconds master_adver_interval_;
    std::optional<IpAddress> master_address_;
    std::uint8_t master_priority_ = 0;
    // The last advert for this VRID (any priority), for status and the cause strings.
    std::optional<SteadyTime> last_advert_at_;
    IpAddress last_advert_from_;
    std::uint8_t last_advert_priority_ = 0;
    bool ignoring_lower_master_ = false;  // a preempting backup discarded the last advert
    std::optional<SteadyTime> backup_since_;
    std::optional<SteadyTime> preempt_at_;
    std::uint64_t transitions_ = 0;
};

}  // namespace xvrrp
