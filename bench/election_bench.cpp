// Election core cost at the target load: 255 VRRP groups at a 10 ms advert interval through ONE
// TimerQueue (25,500 timer events a second on a master, as many received adverts on a backup).
// Each benchmark reports per_event (time per event): the state machine plus the queue bookkeeping the daemon
// does per event (pop / reschedule), on a virtual clock, no I/O. A single-core upper bound of
// the core alone; the sockets and netlink are measured elsewhere.
#include "core/election.hpp"
#include "core/timer_queue.hpp"

#include <benchmark/benchmark.h>

#include <string>
#include <vector>

namespace {

using namespace xvrrp;
using namespace std::chrono_literals;

constexpr int kGroups = 255;
constexpr std::chrono::milliseconds kInterval{10};
const IpAddress kOurs = *IpAddress::parse("192.0.2.10");
const IpAddress kPeer = *IpAddress::parse("192.0.2.20");

InstanceConfig group_config(int i, std::uint8_t priority) {
    InstanceConfig c;
    c.name = "ipf_VIP_" + std::to_string(i + 1);
    c.vrid = static_cast<std::uint8_t>(i + 1);
    c.priority = priority;
    c.advert_interval = kInterval;
    c.version = 3;
    c.primary_address = kOurs;
    return c;
}

// Every group started at its own phase, as after a real start-up; `aligned` puts all deadlines
// on the same tick (the worst case for one wake-up, the best for sendmmsg batching).
struct Node {
    std::vector<Election> groups;
    TimerQueue queue{kGroups};

    Node(std::uint8_t priority, bool aligned) {
        groups.reserve(kGroups);
        for (int i = 0; i < kGroups; ++i) {
            groups.emplace_back(group_config(i, priority));
            const SteadyTime start = SteadyTime{} + (aligned ? 0ns : kInterval * i / kGroups);
            groups.back().handle(Startup{}, start);
            queue.set(static_cast<TimerQueue::Id>(i), groups.back().deadline());
        }
    }
};

void report(benchmark::State& state, std::int64_t events) {
    state.SetItemsProcessed(events);
    // Seconds per event (printed with an SI prefix: "85n" is 85 ns); CPU time of this thread.
    state.counters["per_event"] = benchmark::Counter(
        static_cast<double>(events), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

// A node mastering all 255 groups: pop the due group, fire its advert timer, reschedule.
void BM_MasterAdvertTimers(benchmark::State& state) {
    Node node(kOwnerPriority, /*aligned=*/false);
    std::int64_t events = 0;
    for (auto _ : state) {
        const SteadyTime now = *node.queue.next_deadline();
        const auto id = *node.queue.pop_due(now);
        Output out = node.groups[id].fire_timer(now);
        benchmark::DoNotOptimize(out);
        node.queue.set(id, node.groups[id].deadline());
        ++events;
    }
    if (node.groups[0].state() != State::Master) state.SkipWithError("groups are not MASTER");
    report(state, events);
}
BENCHMARK(BM_MasterAdvertTimers);

// Same, all 255 deadlines on one tick: one wake-up pops the batch (the daemon's sendmmsg path).
void BM_MasterAdvertTimersSameTick(benchmark::State& state) {
    Node node(kOwnerPriority, /*aligned=*/true);
    std::vector<TimerQueue::Id> due;
    due.reserve(kGroups);
    std::int64_t events = 0;
    for (auto _ : state) {
        const SteadyTime now = *node.queue.next_deadline();
        due.clear();
        node.queue.pop_all_due(now, due);
        for (const auto id : due) {
            Output out = node.groups[id].fire_timer(now);
            benchmark::DoNotOptimize(out);
            node.queue.set(id, node.groups[id].deadline());
        }
        events += static_cast<std::int64_t>(due.size());
    }
    if (events / static_cast<std::int64_t>(state.iterations()) != kGroups) {
        state.SkipWithError("a tick did not carry all 255 groups");
    }
    report(state, events);
}
BENCHMARK(BM_MasterAdvertTimersSameTick);

// A node backing up all 255 groups: each advert from the master resets that group's
// master-down timer, i.e. moves its entry in the queue. No timer may fire.
void BM_BackupAdvertReceived(benchmark::State& state) {
    Node node(100, /*aligned=*/false);
    const AdvertReceived advert{200, kPeer, kInterval};
    SteadyTime now{};
    int next = 0;
    std::int64_t events = 0;
    for (auto _ : state) {
        now += kInterval / kGroups;  // adverts of the 255 groups spread over each interval
        Output out = node.groups[next].handle(advert, now);
        benchmark::DoNotOptimize(out);
        node.queue.set(static_cast<TimerQueue::Id>(next), node.groups[next].deadline());
        next = next + 1 == kGroups ? 0 : next + 1;
        ++events;
    }
    if (*node.queue.next_deadline() <= now) state.SkipWithError("a master-down timer came due");
    report(state, events);
}
BENCHMARK(BM_BackupAdvertReceived);

// OpenShift's layout: this node masters some groups and backs up the rest. Per iteration one
// advert timer (a mastered group) and one received advert (a backed-up group).
void BM_MixedNode(benchmark::State& state) {
    std::vector<Election> groups;
    groups.reserve(kGroups);
    TimerQueue queue(kGroups);
    std::vector<int> backups;
    for (int i = 0; i < kGroups; ++i) {
        const bool master = i % 2 == 0;
        groups.emplace_back(group_config(i, master ? kOwnerPriority : 100));
        groups.back().handle(Startup{}, SteadyTime{} + kInterval * i / kGroups);
        queue.set(static_cast<TimerQueue::Id>(i), groups.back().deadline());
        if (!master) backups.push_back(i);
    }
    const AdvertReceived advert{200, kPeer, kInterval};
    std::size_t next_backup = 0;
    std::int64_t events = 0;
    for (auto _ : state) {
        const SteadyTime now = *queue.next_deadline();
        const auto id = *queue.pop_due(now);
        Output fired = groups[id].fire_timer(now);
        benchmark::DoNotOptimize(fired);
        queue.set(id, groups[id].deadline());

        const int b = backups[next_backup];
        next_backup = next_backup + 1 == backups.size() ? 0 : next_backup + 1;
        Output heard = groups[b].handle(advert, now);
        benchmark::DoNotOptimize(heard);
        queue.set(static_cast<TimerQueue::Id>(b), groups[b].deadline());
        events += 2;
    }
    for (const int b : backups) {
        if (groups[b].state() != State::Backup) state.SkipWithError("a backup took over");
    }
    report(state, events);
}
BENCHMARK(BM_MixedNode);

// The queue alone: move one of 255 entries one interval later (a reschedule per advert).
void BM_TimerQueueReschedule(benchmark::State& state) {
    TimerQueue queue(kGroups);
    for (int i = 0; i < kGroups; ++i) {
        queue.schedule(static_cast<TimerQueue::Id>(i), SteadyTime{} + kInterval * i / kGroups);
    }
    std::int64_t events = 0;
    for (auto _ : state) {
        const SteadyTime due = *queue.next_deadline();
        const auto id = *queue.pop_due(due);
        queue.schedule(id, due + kInterval);
        ++events;
    }
    report(state, events);
}
BENCHMARK(BM_TimerQueueReschedule);

}  // namespace

BENCHMARK_MAIN();
