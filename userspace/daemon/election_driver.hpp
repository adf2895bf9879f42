// Every group's Election on one Asio loop, driven by ONE TimerQueue and ONE steady_timer armed at
// the queue's earliest deadline (set again only when that deadline comes earlier). Actions go to
// an ActionSink in the order the machine returns them, the urgent ones (map writes, adverts) at
// once and the rest (log and event record, addresses, GARP/NA, notify) after every timer due has
// had its urgent part; timers due in the same wake-up, and advert timers due within 500 us of it,
// are fired together, so their adverts share one sendmmsg.
//
// The daemon speaks InstanceSpec, not core/election.hpp's types, so only election_driver.cpp
// depends on the state machine's header.
#pragma once

#include "core/ip_address.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace xvrrp {

struct InstanceSpec {
    enum class Preempt { Preempt, NoPreempt, Delay };
    std::string name;
    std::uint8_t vrid = 0;
    std::uint8_t priority = 100;
    std::chrono::milliseconds advert_interval{1000};
    int version = 2;
    Preempt preempt = Preempt::Preempt;
    std::chrono::milliseconds preempt_delay{0};
    bool initial_master = false;
    bool resume_master = false;  // InstanceConfig::resume_master
    IpAddress primary;
};

// What the driver asks the daemon to do, per group index (position in the spec list).
class ActionSink {
public:
    virtual ~ActionSink() = default;
    virtual void send_advert(std::size_t group, std::uint8_t priority) = 0;
    virtual void own_group(std::size_t group) = 0;
    virtual void disown_group(std::size_t group) = 0;
    virtual void add_addresses(std::size_t group) = 0;
    virtual void remove_addresses(std::size_t group) = 0;
    virtual void announce(std::size_t group) = 0;
    virtual void notify(std::size_t group, std::string_view state, std::uint8_t priority) = 0;
    // `at`: when the state machine changed state (the call may come a few milliseconds later).
    virtual void transition(std::size_t group, std::string_view from, std::string_view to, const std::string& cause,
                            std::chrono::system_clock::time_point at) = 0;
    // Every advert timer of one tick has been handled: flush the sockets.
    virtual void tick_done() = 0;
    // Repeat absorption (docs/dataplane.md). on: from now on the data plane may absorb repeats
    // of the advert being handed to advert() for this group (the driver calls it from inside
    // advert()); off: every advert of the group must reach advert() again. A sink without a data
    // plane keeps these defaults and sees every advert.
    virtual void absorb_repeats(std::size_t /*group*/, bool /*on*/) {}
    // When the newest repeat absorbed for the group arrived (any earlier value is ignored).
    virtual std::optional<std::chrono::steady_clock::time_point> last_absorbed(std::size_t /*group*/) const {
        return std::nullopt;
    }
};

struct GroupRuntime {
    std::string state;  // INIT, BACKUP, MASTER, FAULT
    std::uint8_t priority = 0;
    std::optional<IpAddress> master_address;
    std::uint8_t master_priority = 0;
    std::optional<std::chrono::steady_clock::time_point> last_advert;
    std::uint64_t transitions = 0;
    std::chrono::nanoseconds master_down_interval{0};
    bool master = false;
};

// What the driver's single timer cost: for /metrics and for the tests that hold it to one
// wake-up per tick rather than one timer operation per advert.
struct DriverStats {
    std::uint64_t wakeups = 0;        // timer completions served
    std::uint64_t stale_wakeups = 0;  // of those, found nothing due (a deadline had moved later)
    std::uint64_t timer_arms = 0;     // times the steady_timer was set (one timerfd_settime each)
    std::uint64_t timers_fired = 0;   // group timers handed to the state machine
    std::uint64_t fired_early = 0;    // of those, advert timers served early to share a wake-up
    std::uint64_t absorbed_taken = 0; // absorbed repeats handed to a state machine (one per due timer)
};

class ElectionDriver {
public:
    // Advert timers due within this much after a wake-up are served in it (why 500 us is safe:
    // election_driver.cpp). Master-down timers are never served early.
    static constexpr std::chrono::microseconds kAdvertCoalescing{500};

    // Throws std::invalid_argument naming the first spec the state machine refuses.
    // `advert_coalescing` other than the default is for tests that need a wide window.
    ElectionDriver(boost::asio::io_context& io, const std::vector<InstanceSpec>& specs, ActionSink& sink,
                   std::chrono::microseconds advert_coalescing = kAdvertCoalescing);
    ~ElectionDriver();
    ElectionDriver(const ElectionDriver&) = delete;
    ElectionDriver& operator=(const ElectionDriver&) = delete;

    // Called at each timer wake-up before anything due is served: the daemon reads its VRRP
    // sockets there (they are read at most once a millisecond otherwise, VrrpSocket::start), so an
    // advert already received resets its master-down timer before that timer can fire.
    void before_timers(std::function<void()> read_pending);

    void startup();
    void advert(std::size_t group, std::uint8_t priority, const IpAddress& source, std::chrono::milliseconds interval);
    void check(bool passed);           // every group: the check is per config
    void link(bool up);
    void shutdown();                   // every group: priority-0 advert if master, disown, remove
    // Stop or start one group (SIGHUP reload): stop() is the shutdown of that group alone.
    void stop_group(std::size_t group);
    // Adds and starts a group at `slot`, a stopped group's index, or else at the next position
    // (the caller's tables come first); returns the index.
    std::size_t add_group(const InstanceSpec& spec, std::optional<std::size_t> slot = std::nullopt);

    DriverStats stats() const;
    std::size_t size() const;
    bool active(std::size_t group) const;
    GroupRuntime runtime(std::size_t group) const;
    static std::chrono::nanoseconds master_down(int version, std::uint8_t priority, std::chrono::milliseconds interval);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace xvrrp
