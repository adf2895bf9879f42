// OPENSHIFT_HA_NOTIFY_SCRIPT on every state change, as keepalived 2 calls it:
//   <script...> INSTANCE <name> <MASTER|BACKUP|FAULT> <priority>
// In order per instance and never two at once for one instance (a change waits for the previous
// call to end); different instances run side by side. Never blocks the loop; a call running past
// the timeout is killed with its process group and the next one starts.
#pragma once

#include "adapters/child_process.hpp"

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <vector>

namespace xvrrp {

struct NotifyStats {
    std::uint64_t runs = 0;
    std::uint64_t failures = 0;   // non-zero exit, signal or cannot start
    std::uint64_t timeouts = 0;
    std::uint64_t dropped = 0;    // queue overflow (a flapping instance)
};

class Notifier {
public:
    // An empty command disables notification.
    Notifier(ChildProcesses& processes, std::vector<std::string> command, std::chrono::milliseconds timeout);

    void notify(const std::string& instance, const std::string& state, int priority);
    bool enabled() const { return !command_.empty(); }
    bool idle() const;
    const NotifyStats& stats() const { return stats_; }

    // A flapping instance cannot queue without bound: past this, the oldest waiting call goes
    // (the latest state is what the script must end on).
    static constexpr std::size_t kMaxQueued = 64;

private:
    struct Lane {
        bool running = false;
        std::deque<std::vector<std::string>> waiting;
    };
    void start_next(const std::string& instance);

    ChildProcesses& processes_;
    std::vector<std::string> command_;
    std::chrono::milliseconds timeout_;
    std::map<std::string, Lane> lanes_;
    NotifyStats stats_;
};

}  // namespace xvrrp
