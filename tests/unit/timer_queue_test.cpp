#include "core/timer_queue.hpp"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <stdexcept>
#include <utility>
#include <vector>

using xvrrp::TimerQueue;
using namespace std::chrono_literals;

namespace {

TimerQueue::TimePoint at(std::chrono::milliseconds ms) { return TimerQueue::TimePoint{} + ms; }

}  // namespace

TEST(TimerQueue, EmptyHasNoDeadlineAndNothingDue) {
    TimerQueue q;
    EXPECT_TRUE(q.empty());
    EXPECT_FALSE(q.next_deadline());
    EXPECT_FALSE(q.pop_due(at(1000s)));
}

TEST(TimerQueue, PopsInDeadlineOrderOnlyWhenDue) {
    TimerQueue q;
    q.schedule(3, at(30ms));
    q.schedule(1, at(10ms));
    q.schedule(2, at(20ms));
    EXPECT_EQ(q.next_deadline(), at(10ms));
    EXPECT_FALSE(q.pop_due(at(9ms)));
    EXPECT_EQ(q.pop_due(at(10ms)), 1u);
    EXPECT_FALSE(q.pop_due(at(19ms)));
    std::vector<TimerQueue::Id> due;
    EXPECT_EQ(q.pop_all_due(at(30ms), due), 2u);
    EXPECT_EQ(due, (std::vector<TimerQueue::Id>{2, 3}));
    EXPECT_TRUE(q.empty());
}

TEST(TimerQueue, EqualDeadlinesPopByIdForDeterminism) {
    TimerQueue q;
    for (TimerQueue::Id id : {7u, 2u, 9u, 0u, 4u}) q.schedule(id, at(5ms));
    std::vector<TimerQueue::Id> due;
    q.pop_all_due(at(5ms), due);
    EXPECT_EQ(due, (std::vector<TimerQueue::Id>{0, 2, 4, 7, 9}));
}

TEST(TimerQueue, RescheduleMovesTheSingleEntryEitherWay) {
    TimerQueue q;
    q.schedule(1, at(10ms));
    q.schedule(2, at(20ms));
    q.schedule(1, at(30ms));  // later: 2 now first
    EXPECT_EQ(q.size(), 2u);
    EXPECT_EQ(q.next_deadline(), at(20ms));
    q.schedule(1, at(5ms));  // earlier again
    EXPECT_EQ(q.deadline_of(1), at(5ms));
    EXPECT_EQ(q.pop_due(at(100ms)), 1u);
    EXPECT_EQ(q.pop_due(at(100ms)), 2u);
}

TEST(TimerQueue, CancelAndSetMirrorAnOptionalDeadline) {
    TimerQueue q;
    q.set(4, at(10ms));
    EXPECT_TRUE(q.contains(4));
    q.set(4, std::nullopt);
    EXPECT_FALSE(q.contains(4));
    q.cancel(4);   // absent: no-op
    q.cancel(99);  // never seen: no-op
    EXPECT_TRUE(q.empty());
}

TEST(TimerQueue, RejectsIdsAboveTheLimitNamingThem) {
    TimerQueue q;
    try {
        q.schedule(TimerQueue::kMaxId + 1, at(1ms));
        FAIL() << "expected out_of_range";
    } catch (const std::out_of_range& e) {
        EXPECT_NE(std::string(e.what()).find(std::to_string(TimerQueue::kMaxId + 1)),
                  std::string::npos);
    }
}

// Model check: a long random sequence of schedule/cancel/pop against an ordered set of
// (deadline, id) pairs. Any heap index bug shows up as a different pop order.
TEST(TimerQueue, MatchesAnOrderedSetModelUnderRandomOperations) {
    for (std::uint32_t seed = 1; seed <= 20; ++seed) {
        std::mt19937 rng(seed);
        TimerQueue q;
        std::set<std::pair<TimerQueue::TimePoint, TimerQueue::Id>> model;
        std::map<TimerQueue::Id, TimerQueue::TimePoint> where;
        auto now = at(0ms);
        for (int step = 0; step < 5000; ++step) {
            const auto id = static_cast<TimerQueue::Id>(rng() % 64);
            switch (rng() % 4) {
            case 0:
            case 1: {
                const auto d = now + std::chrono::milliseconds(rng() % 200);
                if (auto it = where.find(id); it != where.end()) model.erase({it->second, id});
                model.insert({d, id});
                where[id] = d;
                q.schedule(id, d);
                break;
            }
            case 2:
                if (auto it = where.find(id); it != where.end()) {
                    model.erase({it->second, id});
                    where.erase(it);
                }
                q.cancel(id);
                break;
            default: {
                now += std::chrono::milliseconds(rng() % 20);
                std::vector<TimerQueue::Id> got;
                q.pop_all_due(now, got);
                std::vector<TimerQueue::Id> want;
                while (!model.empty() && model.begin()->first <= now) {
                    want.push_back(model.begin()->second);
                    where.erase(model.begin()->second);
                    model.erase(model.begin());
                }
                ASSERT_EQ(got, want) << "seed " << seed << " step " << step;
            }
            }
            ASSERT_EQ(q.size(), model.size()) << "seed " << seed << " step " << step;
            if (!model.empty()) {
                ASSERT_EQ(q.next_deadline(), model.begin()->first);
            }
        }
    }
}

// --- pop_due_coalesced: one wake-up serves the advert timers due within its slack -------------

namespace {

std::vector<std::pair<TimerQueue::Id, TimerQueue::TimePoint>> ids_and_times(
    const std::vector<TimerQueue::Fired>& f) {
    std::vector<std::pair<TimerQueue::Id, TimerQueue::TimePoint>> out;
    for (const auto& x : f) out.emplace_back(x.id, x.at);
    return out;
}

TimerQueue::TimePoint at_us(std::chrono::microseconds us) { return TimerQueue::TimePoint{} + us; }

}  // namespace

TEST(TimerQueue, CoalescedPopTakesDueEntriesAtNowAndEarlyOnesAtTheirDeadline) {
    TimerQueue q;
    q.schedule(1, at_us(9'900us));   // late: due at the wake-up
    q.schedule(2, at_us(10'000us));  // exactly due
    q.schedule(3, at_us(10'300us));  // inside 500 us of slack
    q.schedule(4, at_us(10'500us));  // on the edge of the slack: still taken
    q.schedule(5, at_us(10'501us));  // 1 us outside: stays
    std::vector<TimerQueue::Fired> f;
    const auto now = at_us(10'000us);
    EXPECT_EQ(q.pop_due_coalesced(now, 500us, [](TimerQueue::Id) { return true; }, f), 4u);
    // A due entry is handed the wake-up's time; an early one its own deadline, so the instance
    // finds its timer exactly due (never "now < deadline") and counts the next one from it.
    EXPECT_EQ(ids_and_times(f), (std::vector<std::pair<TimerQueue::Id, TimerQueue::TimePoint>>{
                                    {1, now}, {2, now}, {3, at_us(10'300us)}, {4, at_us(10'500us)}}));
    EXPECT_EQ(f[0].deadline, at_us(9'900us));
    EXPECT_EQ(q.size(), 1u);
    EXPECT_EQ(q.next_deadline(), at_us(10'501us));
}

TEST(TimerQueue, CoalescedPopLeavesRefusedEntriesQueuedAtTheirDeadline) {
    // The driver refuses master-down timers: a backup's timer inside the slack is neither taken
    // early nor lost, and entries behind it are still served.
    TimerQueue q;
    q.schedule(1, at_us(10'000us));  // due
    q.schedule(2, at_us(10'100us));  // refused (a master-down timer)
    q.schedule(3, at_us(10'200us));  // accepted (an advert timer)
    q.schedule(4, at_us(10'200us));  // refused, same deadline
    std::vector<TimerQueue::Fired> f;
    auto accept_odd = [](TimerQueue::Id id) { return id % 2 == 1; };
    EXPECT_EQ(q.pop_due_coalesced(at_us(10'000us), 500us, accept_odd, f), 2u);
    ASSERT_EQ(f.size(), 2u);
    EXPECT_EQ(f[0].id, 1u);
    EXPECT_EQ(f[1].id, 3u);
    EXPECT_EQ(q.deadline_of(2), at_us(10'100us));
    EXPECT_EQ(q.deadline_of(4), at_us(10'200us));
    // A refused entry is still served once it is really due, whatever the predicate says.
    f.clear();
    EXPECT_EQ(q.pop_due_coalesced(at_us(10'100us), 500us, [](TimerQueue::Id) { return false; }, f), 1u);
    ASSERT_EQ(f.size(), 1u);
    EXPECT_EQ(f[0].id, 2u);
    EXPECT_EQ(f[0].at, at_us(10'100us));
}

TEST(TimerQueue, CoalescedPopWithNothingInTheWindowTakesNothing) {
    TimerQueue q;
    q.schedule(7, at(20ms));
    std::vector<TimerQueue::Fired> f;
    EXPECT_EQ(q.pop_due_coalesced(at(10ms), 500us, [](TimerQueue::Id) { return true; }, f), 0u);
    EXPECT_TRUE(f.empty());
    EXPECT_EQ(q.deadline_of(7), at(20ms));
}

// Model check of the coalesced pop against the ordered set: every entry taken is due or inside
// the slack and accepted, every entry left is neither, and order is (deadline, id).
TEST(TimerQueue, CoalescedPopMatchesAnOrderedSetModel) {
    for (std::uint32_t seed = 1; seed <= 20; ++seed) {
        std::mt19937 rng(seed);
        TimerQueue q;
        std::set<std::pair<TimerQueue::TimePoint, TimerQueue::Id>> model;
        std::map<TimerQueue::Id, TimerQueue::TimePoint> where;
        auto now = at_us(0us);
        const auto slack = std::chrono::microseconds(500);
        auto accept = [](TimerQueue::Id id) { return id % 3 != 0; };
        for (int step = 0; step < 3000; ++step) {
            const auto id = static_cast<TimerQueue::Id>(rng() % 64);
            if (rng() % 3 != 0) {
                const auto d = now + std::chrono::microseconds(rng() % 5000);
                if (auto it = where.find(id); it != where.end()) model.erase({it->second, id});
                model.insert({d, id});
                where[id] = d;
                q.schedule(id, d);
            } else {
                now += std::chrono::microseconds(rng() % 700);
                std::vector<TimerQueue::Fired> got;
                q.pop_due_coalesced(now, slack, accept, got);
                std::vector<TimerQueue::Fired> want;
                for (auto it = model.begin(); it != model.end() && it->first <= now + slack;) {
                    const bool due = it->first <= now;
                    if (due || accept(it->second)) {
                        want.push_back({it->second, it->first, due ? now : it->first});
                        where.erase(it->second);
                        it = model.erase(it);
                    } else {
                        ++it;
                    }
                }
                ASSERT_EQ(got.size(), want.size()) << "seed " << seed << " step " << step;
                for (std::size_t i = 0; i < got.size(); ++i) {
                    ASSERT_EQ(got[i].id, want[i].id) << "seed " << seed << " step " << step;
                    ASSERT_EQ(got[i].deadline, want[i].deadline) << "seed " << seed << " step " << step;
                    ASSERT_EQ(got[i].at, want[i].at) << "seed " << seed << " step " << step;
                }
            }
            ASSERT_EQ(q.size(), model.size()) << "seed " << seed << " step " << step;
            if (!model.empty()) {
                ASSERT_EQ(q.next_deadline(), model.begin()->first);
            }
        }
    }
}
