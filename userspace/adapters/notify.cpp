#include "adapters/notify.hpp"

#include <spdlog/spdlog.h>

namespace xvrrp {

Notifier::Notifier(ChildProcesses& processes, std::vector<std::string> command, std::chrono::milliseconds timeout)
    : processes_(processes), command_(std::move(command)), timeout_(timeout) {}

bool Notifier::idle() const {
    for (const auto& [name, lane] : lanes_)
        if (lane.running || !lane.waiting.empty()) return false;
    return true;
}

void Notifier::notify(const std::string& instance, const std::string& state, int priority) {
    if (command_.empty()) return;
    std::vector<std::string> argv = command_;
    argv.insert(argv.end(), {"INSTANCE", instance, state, std::to_string(priority)});
    Lane& lane = lanes_[instance];
    if (lane.waiting.size() >= kMaxQueued) {
        lane.waiting.pop_front();
        ++stats_.dropped;
    }
    lane.waiting.push_back(std::move(argv));
    if (!lane.running) start_next(instance);
}

void Notifier::start_next(const std::string& instance) {
    Lane& lane = lanes_[instance];
    if (lane.waiting.empty()) {
        lane.running = false;
        return;
    }
    lane.running = true;
    std::vector<std::string> argv = std::move(lane.waiting.front());
    lane.waiting.pop_front();
    std::string state = argv[argv.size() - 2];
    processes_.run(argv, timeout_, [this, instance, state](const ProcessOutcome& o) {
        ++stats_.runs;
        if (o.kind == ProcessOutcome::Kind::TimedOut) ++stats_.timeouts;
        if (!o.success()) {
            ++stats_.failures;
            spdlog::warn("{} notify {} ({}): {}", instance, state, command_.front(), o.describe());
        } else {
            spdlog::debug("{} notify {}: {} in {} ms", instance, state, o.describe(), o.elapsed.count());
        }
        start_next(instance);
    });
}

}  // namespace xvrrp
