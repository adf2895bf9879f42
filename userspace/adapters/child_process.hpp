// Runs scripts (check, notify) without ever blocking the loop: posix_spawn into a process group
// of their own, exit observed through a pidfd on the Asio loop (no SIGCHLD handler, no wait
// thread), killed with the whole group on timeout, so a script that forks cannot leave orphans.
#pragma once

#include <boost/asio/io_context.hpp>

#include <chrono>
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

    explicit ChildProcesses(boost::asio::io_context& io) : io_(io) {}
    // RAII: every process group still running is killed (SIGKILL) and reaped.
    ~ChildProcesses();
    ChildProcesses(const ChildProcesses&) = delete;
    ChildProcesses& operator=(const ChildProcesses&) = delete;

    // Starts argv[0] with the arguments; `done` runs on the loop when it exits, is killed after
    // `timeout`, or could not start. Returns the pid (0 when the spawn failed; `done` is then
    // posted, never called from inside run()).
    int run(const std::vector<std::string>& argv, std::chrono::milliseconds timeout, Done done);
    // Kills every running process group now (shutdown); their `done` still runs.
    void kill_all();
    std::size_t running() const { return runs_.size(); }

private:
    struct Run;
    void finish(int pid, ProcessOutcome::Kind forced);

    boost::asio::io_context& io_;
    std::map<int, std::shared_ptr<Run>> runs_;
};

}  // namespace xvrrp
