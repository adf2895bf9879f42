#include "adapters/child_process.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

extern char** environ;

namespace xvrrp {
namespace {

int pidfd_open(pid_t pid) { return static_cast<int>(syscall(SYS_pidfd_open, pid, 0)); }

}  // namespace

std::string ProcessOutcome::describe() const {
    switch (kind) {
    case Kind::Exited: return "exit " + std::to_string(code);
    case Kind::Signalled: return "killed by signal " + std::to_string(code);
    case Kind::TimedOut: return "timed out after " + std::to_string(elapsed.count()) + " ms";
    case Kind::SpawnFailed: return std::string("cannot run: ") + std::strerror(code);
    }
    return "?";
}

struct ChildProcesses::Run {
    Run(boost::asio::io_context& io, int fd) : pidfd(io, fd), timer(io) {}
    boost::asio::posix::stream_descriptor pidfd;
    boost::asio::steady_timer timer;
    std::chrono::steady_clock::time_point started;
    Done done;
    bool timed_out = false;
};

ChildProcesses::~ChildProcesses() {
    for (auto& [pid, run] : runs_) {
        kill(-pid, SIGKILL);
        int st;
        waitpid(pid, &st, 0);
        boost::system::error_code ec;
        run->timer.cancel();
        run->pidfd.close(ec);
    }
    runs_.clear();
}

int ChildProcesses::run(const std::vector<std::string>& argv, std::chrono::milliseconds timeout, Done done) {
    auto started = std::chrono::steady_clock::now();
    auto fail = [&](int err) {
        ProcessOutcome o;
        o.kind = ProcessOutcome::Kind::SpawnFailed;
        o.code = err;
        boost::asio::post(io_, [done = std::move(done), o] { done(o); });
        return 0;
    };
    if (argv.empty()) return fail(EINVAL);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);

    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    // Own process group (pgid = pid): a timeout kills the script and everything it started.
    posix_spawnattr_setpgroup(&attr, 0);
    // Default signal dispositions and an empty mask: the daemon's own handling must not leak in.
    sigset_t all, none;
    sigfillset(&all);
    sigemptyset(&none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    pid_t pid = 0;
    int err = posix_spawn(&pid, args[0], &fa, &attr, args.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    if (err != 0) return fail(err);

    int fd = pidfd_open(pid);
    if (fd < 0) {
        int e = errno;
        kill(-pid, SIGKILL);
        int st;
        waitpid(pid, &st, 0);
        return fail(e);
    }
    auto r = std::make_shared<Run>(io_, fd);
    r->started = started;
    r->done = std::move(done);
    runs_[pid] = r;
    std::weak_ptr<Run> weak = r;
    // A pidfd becomes readable when the process exits (Linux 5.3).
    r->pidfd.async_wait(boost::asio::posix::stream_descriptor::wait_read, [this, pid, weak](const boost::system::error_code& ec) {
        if (ec || weak.expired()) return;
        finish(pid, ProcessOutcome::Kind::Exited);
    });
    r->timer.expires_after(timeout);
    r->timer.async_wait([this, pid, weak](const boost::system::error_code& ec) {
        if (ec || weak.expired()) return;
        auto run = weak.lock();
        run->timed_out = true;
        kill(-pid, SIGKILL);  // the exit then arrives through the pidfd
    });
    return pid;
}

void ChildProcesses::finish(int pid, ProcessOutcome::Kind) {
    auto it = runs_.find(pid);
    if (it == runs_.end()) return;
    auto run = it->second;
    runs_.erase(it);
    // Anything the script left behind in its group goes with it; done before reaping, while the
    // zombie leader still keeps the group id from being reused.
    kill(-pid, SIGKILL);
    int st = 0;
    waitpid(pid, &st, 0);  // it has exited: this does not block
    ProcessOutcome o;
    o.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - run->started);
    if (run->timed_out) {
        o.kind = ProcessOutcome::Kind::TimedOut;
        o.code = SIGKILL;
    } else if (WIFEXITED(st)) {
        o.kind = ProcessOutcome::Kind::Exited;
        o.code = WEXITSTATUS(st);
    } else {
        o.kind = ProcessOutcome::Kind::Signalled;
        o.code = WIFSIGNALED(st) ? WTERMSIG(st) : -1;
    }
    run->timer.cancel();
    boost::system::error_code ec;
    run->pidfd.close(ec);
    if (run->done) run->done(o);
}

void ChildProcesses::kill_all() {
    for (auto& [pid, run] : runs_) {
        run->timed_out = true;
        kill(-pid, SIGKILL);
    }
}

}  // namespace xvrrp
