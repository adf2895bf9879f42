// One timer queue for every VRRP instance of the controller.
//
// Each election instance has at most one pending deadline at a time (the advert timer while
// MASTER, the master-down timer while BACKUP, none otherwise), so the queue holds at most one
// entry per instance id and "schedule" replaces it. It is an indexed binary min-heap: schedule,
// reschedule and cancel are O(log n) with no allocation once the heap has grown, and the next
// deadline is O(1). 255 groups at a 10 ms interval are 25,500 timer events a second plus one
// reschedule per advert a backup hears, which is why a sorted container or a per-instance OS
// timer would not do (bench/election_bench.cpp measures it).
//
// Ordering is total and deterministic: by deadline, then by id. The simulator relies on that to
// replay a seed exactly. Pure: the caller passes "now"; nothing here reads a clock.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace xvrrp {

class TimerQueue {
public:
    using Id = std::uint32_t;
    using TimePoint = std::chrono::steady_clock::time_point;
    using Duration = std::chrono::steady_clock::duration;
    // Ids index a position table, so they must be small and dense (instance indexes).
    static constexpr Id kMaxId = (1u << 20) - 1;

    TimerQueue() = default;
    explicit TimerQueue(std::size_t expected_ids);

    // Insert id at deadline, or move its existing entry there. Throws std::out_of_range for an
    // id above kMaxId (a caller bug, never input from the wire).
    void schedule(Id id, TimePoint deadline);
    // Remove id's entry if it has one.
    void cancel(Id id);
    // schedule() when deadline is set, cancel() otherwise: mirrors an instance's deadline().
    void set(Id id, std::optional<TimePoint> deadline);

    bool contains(Id id) const;
    std::optional<TimePoint> deadline_of(Id id) const;
    std::optional<TimePoint> next_deadline() const;
    std::size_t size() const { return heap_.size(); }
    bool empty() const { return heap_.empty(); }

    // Remove and return the earliest entry if it is due (deadline <= now).
    std::optional<Id> pop_due(TimePoint now);
    // Remove every due entry, appending ids to out in (deadline, id) order; returns how many.
    // Handy for batching the adverts due in one tick into one sendmmsg.
    std::size_t pop_all_due(TimePoint now, std::vector<Id>& out);

    // One entry taken off by pop_due_coalesced(). `at` is the time to hand the instance as its
    // "now": the caller's now for an entry that was due, the entry's own deadline for one taken
    // early, so the instance sees its timer exactly due and keeps its cadence from the deadline.
    struct Fired {
        Id id;
        TimePoint deadline;
        TimePoint at;
    };
    // Serves one wake-up: removes every entry due at `now`, and every entry due by now + early
    // that may_fire_early(id) accepts (the driver accepts advert timers, never master-down
    // timers), appending them to out in (deadline, id) order. Entries inside the window that are
    // refused stay queued with their deadline. Returns how many were appended.
    template <class MayFireEarly>
    std::size_t pop_due_coalesced(TimePoint now, Duration early, MayFireEarly&& may_fire_early,
                                  std::vector<Fired>& out);

private:
    struct Entry {
        TimePoint deadline;
        Id id;
    };
    static constexpr std::uint32_t kAbsent = UINT32_MAX;

    static bool before(const Entry& a, const Entry& b) {
        return a.deadline < b.deadline || (a.deadline == b.deadline && a.id < b.id);
    }
    void place(std::size_t index, const Entry& e);
    void sift_up(std::size_t index);
    void sift_down(std::size_t index);
    void remove_at(std::size_t index);

    std::vector<Entry> heap_;
    std::vector<std::uint32_t> position_;  // id -> index in heap_, kAbsent if not queued
    std::vector<Entry> refused_;           // pop_due_coalesced's scratch: no allocation per tick
};

template <class MayFireEarly>
std::size_t TimerQueue::pop_due_coalesced(TimePoint now, Duration early, MayFireEarly&& may_fire_early,
                                          std::vector<Fired>& out) {
    const TimePoint horizon = now + early;
    std::size_t n = 0;
    refused_.clear();
    while (!heap_.empty() && heap_.front().deadline <= horizon) {
        const Entry e = heap_.front();
        remove_at(0);
        if (e.deadline <= now) {
            out.push_back(Fired{e.id, e.deadline, now});
        } else if (may_fire_early(e.id)) {
            out.push_back(Fired{e.id, e.deadline, e.deadline});
        } else {
            refused_.push_back(e);
            continue;
        }
        ++n;
    }
    // Back with the same deadline: the (deadline, id) order, and so a simulator's replay, is
    // unchanged by having looked at them.
    for (const Entry& e : refused_) schedule(e.id, e.deadline);
    return n;
}

}  // namespace xvrrp
