#include "daemon/election_driver.hpp"

#include "core/election.hpp"
#include "core/timer_queue.hpp"

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
    c.primary_address = s.primary;
    return c;
}

}  // namespace

struct ElectionDriver::Impl {
    Impl(boost::asio::io_context& io, ActionSink& sink) : timer(io), sink(sink) {}
    boost::asio::steady_timer timer;
    ActionSink& sink;
    std::vector<std::unique_ptr<Election>> elections;  // null: stopped group
    TimerQueue queue;
    std::vector<TimerQueue::Id> due;
    std::optional<SteadyTime> armed_for;
    std::shared_ptr<bool> alive = std::make_shared<bool>(true);

    void apply(std::size_t g, const Output& out) {
        // The transition is logged before its actions run, so the log reads cause -> effects.
        if (out.transition)
            sink.transition(g, state_word(out.transition->from), state_word(out.transition->to), out.transition->cause);
        for (const Action& a : out.actions) {
            std::visit(Overloaded{
                           [&](const SendAdvert& s) { sink.send_advert(g, s.priority); },
                           [&](const OwnGroup&) { sink.own_group(g); },
                           [&](const DisownGroup&) { sink.disown_group(g); },
                           [&](const AddAddresses&) { sink.add_addresses(g); },
                           [&](const RemoveAddresses&) { sink.remove_addresses(g); },
                           [&](const SendGratuitous&) { sink.announce(g); },
                           [&](const Notify& n) { sink.notify(g, to_string(n.state), n.priority); },
                       },
                       a);
        }
        if (elections[g]) queue.set(static_cast<TimerQueue::Id>(g), elections[g]->deadline());
    }

    void handle(std::size_t g, const Event& e) {
        if (!elections[g]) return;
        apply(g, elections[g]->handle(e, std::chrono::steady_clock::now()));
    }

    void rearm() {
        auto next = queue.next_deadline();
        if (!next) {
            if (armed_for) timer.cancel();
            armed_for.reset();
            return;
        }
        if (armed_for && *armed_for == *next) return;
        armed_for = *next;
        timer.expires_at(*next);
        std::weak_ptr<bool> weak = alive;
        timer.async_wait([this, weak](const boost::system::error_code& ec) {
            if (ec || weak.expired()) return;
            armed_for.reset();
            fire();
        });
    }

    void fire() {
        auto now = std::chrono::steady_clock::now();
        due.clear();
        queue.pop_all_due(now, due);
        for (auto id : due) {
            if (!elections[id]) continue;
            apply(id, elections[id]->fire_timer(now));
        }
        sink.tick_done();
        rearm();
    }
};

ElectionDriver::ElectionDriver(boost::asio::io_context& io, const std::vector<InstanceSpec>& specs, ActionSink& sink)
    : impl_(std::make_unique<Impl>(io, sink)) {
    impl_->queue = TimerQueue(specs.size());
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

void ElectionDriver::startup() {
    for (std::size_t g = 0; g < impl_->elections.size(); ++g) impl_->handle(g, Startup{});
    impl_->sink.tick_done();
    impl_->rearm();
}

void ElectionDriver::advert(std::size_t group, std::uint8_t priority, const IpAddress& source, std::chrono::milliseconds interval) {
    if (group >= impl_->elections.size()) return;
    impl_->handle(group, AdvertReceived{priority, source, interval});
    impl_->sink.tick_done();
    impl_->rearm();
}

void ElectionDriver::check(bool passed) {
    for (std::size_t g = 0; g < impl_->elections.size(); ++g)
        impl_->handle(g, passed ? Event{CheckPassed{}} : Event{CheckFailed{}});
    impl_->sink.tick_done();
    impl_->rearm();
}

void ElectionDriver::link(bool up) {
    for (std::size_t g = 0; g < impl_->elections.size(); ++g) impl_->handle(g, up ? Event{LinkUp{}} : Event{LinkDown{}});
    impl_->sink.tick_done();
    impl_->rearm();
}

void ElectionDriver::shutdown() {
    for (std::size_t g = 0; g < impl_->elections.size(); ++g) impl_->handle(g, Shutdown{});
    impl_->sink.tick_done();
    impl_->queue = TimerQueue(impl_->elections.size());
    impl_->timer.cancel();
    impl_->armed_for.reset();
}

void ElectionDriver::stop_group(std::size_t group) {
    if (group >= impl_->elections.size() || !impl_->elections[group]) return;
    impl_->handle(group, Shutdown{});
    impl_->queue.cancel(static_cast<TimerQueue::Id>(group));
    impl_->elections[group].reset();
    impl_->sink.tick_done();
    impl_->rearm();
}

std::size_t ElectionDriver::add_group(const InstanceSpec& spec) {
    InstanceConfig c = to_config(spec);
    if (auto problem = validate(c)) throw std::invalid_argument(spec.name + ": " + *problem);
    impl_->elections.push_back(std::make_unique<Election>(c));
    std::size_t g = impl_->elections.size() - 1;
    impl_->handle(g, Startup{});
    impl_->sink.tick_done();
    impl_->rearm();
    return g;
}

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
