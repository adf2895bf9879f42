// Runs scripts (check, notify) without ever blocking the loop: posix_spawn, on a thread of its
// own, into a process group of their own; exit observed through a pidfd on the Asio loop (no
// SIGCHLD handler, no wait thread); killed with the whole group on timeout, so a script that forks
// cannot leave orphans.
#pragma once

#include <boost/asio/io_context.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace xvrrp {

struct ProcessOutcome {
    enum class Kind { Exited, Signalled, TimedOut, SpawnFailed };
    Kind kind = Kind::SpawnFailed;
    int code = -1;                 // exit status, signal number, or errno of the spawn
    std::chrono::milliseconds elapsed{0};
    bool success() const { return kind == Kind::Exited && code == 0; }
    // "exit 0", "exit 3", "killed by signal 9", "timed out after 2000 ms", "cannot run: Permission denied"
    std::string describe() const;
};

class ChildProcesses {
public:
    using Done = std::function<void(const ProcessOutcome&)>;

    explicit ChildProcesses(boost::asio::io_context& io);
    // RAII: every process group still running is killed (SIGKILL) and reaped.
    ~ChildProcesses();
    ChildProcesses(const ChildProcesses&) = delete;
    ChildProcesses& operator=(const ChildProcesses&) = delete;

    // Check: health checks, at the daemon's priority. Background: everything else (notify,
    // firewall), niced so a burst of them cannot take the CPU from the election.
    enum class Lane { Check, Background };

    // Starts argv[0] with the arguments, in the order of the calls within a lane; `done` runs on
    // the loop when it exits, is killed after `timeout` (counted from this call), or could not
    // start. `done` is never called from inside run().
    void run(const std::vector<std::string>& argv, std::chrono::milliseconds timeout, Done done,
             Lane lane = Lane::Background);
    // Kills every process group now, also those still being started (shutdown); their `done`
    // still runs.
    void kill_all();
    // Started or being started, not yet reported.
    std::size_t running() const { return runs_.size(); }

private:
    struct Run;
    struct Spawner;
    void on_spawned(std::uint64_t id, int pid, int pidfd, int err);
    void finish(std::uint64_t id, ProcessOutcome::Kind forced);

    boost::asio::io_context& io_;
    std::map<std::uint64_t, std::shared_ptr<Run>> runs_;
    std::uint64_t next_id_ = 1;
    std::array<std::unique_ptr<Spawner>, 2> spawners_;  // by Lane
};

}  // namespace xvrrp
