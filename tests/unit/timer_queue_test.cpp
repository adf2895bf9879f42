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
