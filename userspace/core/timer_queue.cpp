#include "core/timer_queue.hpp"

#include <stdexcept>
#include <string>

namespace xvrrp {

TimerQueue::TimerQueue(std::size_t expected_ids) {
    heap_.reserve(expected_ids);
    position_.reserve(expected_ids);
}

void TimerQueue::place(std::size_t index, const Entry& e) {
    heap_[index] = e;
    position_[e.id] = static_cast<std::uint32_t>(index);
}

void TimerQueue::sift_up(std::size_t index) {
    const Entry e = heap_[index];
    while (index > 0) {
        const std::size_t parent = (index - 1) / 2;
        if (!before(e, heap_[parent])) break;
        place(index, heap_[parent]);
        index = parent;
    }
    place(index, e);
}

void TimerQueue::sift_down(std::size_t index) {
    const Entry e = heap_[index];
    const std::size_t n = heap_.size();
    for (;;) {
        std::size_t child = 2 * index + 1;
        if (child >= n) break;
        if (child + 1 < n && before(heap_[child + 1], heap_[child])) ++child;
        if (!before(heap_[child], e)) break;
        place(index, heap_[child]);
        index = child;
    }
    place(index, e);
}

void TimerQueue::schedule(Id id, TimePoint deadline) {
    if (id > kMaxId) {
        throw std::out_of_range("TimerQueue: id " + std::to_string(id) + " above limit " +
                                std::to_string(kMaxId));
    }
    if (id >= position_.size()) position_.resize(id + 1, kAbsent);
    const std::uint32_t at = position_[id];
    if (at == kAbsent) {
        heap_.push_back(Entry{deadline, id});
        position_[id] = static_cast<std::uint32_t>(heap_.size() - 1);
        sift_up(heap_.size() - 1);
        return;
    }
    const TimePoint old = heap_[at].deadline;
    heap_[at].deadline = deadline;
    if (deadline < old) {
        sift_up(at);
    } else if (old < deadline) {
        sift_down(at);
    }
}

void TimerQueue::remove_at(std::size_t index) {
    position_[heap_[index].id] = kAbsent;
    const Entry last = heap_.back();
    heap_.pop_back();
    if (index == heap_.size()) return;
    place(index, last);
    // The moved entry may belong above or below its new slot.
    if (index > 0 && before(last, heap_[(index - 1) / 2])) {
        sift_up(index);
    } else {
        sift_down(index);
    }
}

void TimerQueue::cancel(Id id) {
    if (id >= position_.size() || position_[id] == kAbsent) return;
    remove_at(position_[id]);
}

void TimerQueue::set(Id id, std::optional<TimePoint> deadline) {
    if (deadline) {
        schedule(id, *deadline);
    } else {
        cancel(id);
    }
}

bool TimerQueue::contains(Id id) const {
    return id < position_.size() && position_[id] != kAbsent;
}

std::optional<TimerQueue::TimePoint> TimerQueue::deadline_of(Id id) const {
    if (!contains(id)) return std::nullopt;
    return heap_[position_[id]].deadline;
}

std::optional<TimerQueue::TimePoint> TimerQueue::next_deadline() const {
    if (heap_.empty()) return std::nullopt;
    return heap_.front().deadline;
}

std::optional<TimerQueue::Id> TimerQueue::pop_due(TimePoint now) {
    if (heap_.empty() || now < heap_.front().deadline) return std::nullopt;
    const Id id = heap_.front().id;
    remove_at(0);
    return id;
}

std::size_t TimerQueue::pop_all_due(TimePoint now, std::vector<Id>& out) {
    std::size_t n = 0;
    while (auto id = pop_due(now)) {
        out.push_back(*id);
        ++n;
    }
    return n;
}

}  // namespace xvrrp
