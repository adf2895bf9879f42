#include "adapters/child_process.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>

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
    Run(boost::asio::io_context& io) : pidfd(io), timer(io) {}
    int pid = 0;  // 0 until the spawner thread has started it
    boost::asio::posix::stream_descriptor pidfd;
    boost::asio::steady_timer timer;
    std::chrono::steady_clock::time_point started;
    Done done;
    bool timed_out = false;
};

// glibc's posix_spawn is clone(CLONE_VM | CLONE_VFORK): the caller is held until the child has
// run its pre-exec steps and exec'd. On a busy node that took 30-100 ms per script (strace of
// the soak cluster, 32 groups changing state at once: one notify each), time the loop owes to
// advertisements; the backups then took over, more notifies ran, and the cluster never settled.
// One thread does the spawning, in order, and hands each pid back to the loop.
struct ChildProcesses::Spawner {
    struct Job {
        std::uint64_t id;
        std::vector<std::string> argv;
    };
    // A pid the thread started whose hand-over to the loop has not run yet; reaped by the
    // destructor when the loop never gets to it.
    struct Started {
        int pid;
        int pidfd;
    };

    Spawner(boost::asio::io_context& io, ChildProcesses& owner, int nice_value)
        : io(io), owner(owner), nice_value(nice_value) {
        thread = std::thread([this] { loop(); });
    }
    ~Spawner() {
        {
            std::lock_guard lock(mutex);
            stopping = true;
        }
        wake.notify_all();
        thread.join();
        *alive = false;
        std::lock_guard lock(mutex);
        for (auto& [id, st] : handed_over) {
            kill(-st.pid, SIGKILL);
            int status;
            waitpid(st.pid, &status, 0);
            if (st.pidfd >= 0) close(st.pidfd);
        }
    }

    void push(Job job) {
        {
            std::lock_guard lock(mutex);
            jobs.push_back(std::move(job));
        }
        wake.notify_one();
    }

    // Called on the loop by the hand-over: the loop owns pid and pidfd from here on.
    void received(std::uint64_t id) {
        std::lock_guard lock(mutex);
        handed_over.erase(id);
    }

    void loop() {
        // Signals are the loop's business (Asio's signal_set), never this thread's.
        sigset_t all;
        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, nullptr);
        // Scripts inherit the nice value of the thread that starts them (Linux keeps it per
        // thread), so a background spawner's scripts run niced.
        if (nice_value) setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), nice_value);
        for (;;) {
            Job job;
            {
                std::unique_lock lock(mutex);
                wake.wait(lock, [this] { return stopping || !jobs.empty(); });
                if (stopping) return;
                job = std::move(jobs.front());
                jobs.pop_front();
            }
            int pid = 0, fd = -1;
            int err = spawn(job.argv, pid);
            if (err == 0) {
                fd = pidfd_open(pid);
                if (fd < 0) {
                    err = errno;
                    kill(-pid, SIGKILL);
                    int status;
                    waitpid(pid, &status, 0);
                    pid = 0;
                }
            }
            std::lock_guard lock(mutex);
            if (err == 0) handed_over[job.id] = {pid, fd};
            std::weak_ptr<bool> weak = alive;
            boost::asio::post(io, [this, weak, id = job.id, pid, fd, err] {
                if (weak.expired()) return;  // the destructor reaped it
                received(id);
                owner.on_spawned(id, pid, fd, err);
            });
        }
    }

    static int spawn(const std::vector<std::string>& argv, int& pid) {
        if (argv.empty()) return EINVAL;
        std::vector<char*> args;
        for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        posix_spawnattr_t attr;
        posix_spawnattr_init(&attr);
        // Own process group (pgid = pid): a timeout kills the script and everything it started.
        posix_spawnattr_setpgroup(&attr, 0);
        // Caught signals return to default at exec by themselves; an ignored one would stay
        // ignored in the script, so these get their default back (a handful, not all 64: each
        // is a syscall in the child before exec).
        sigset_t defaults, none;
        sigemptyset(&defaults);
        for (int sig : {SIGHUP, SIGINT, SIGQUIT, SIGPIPE, SIGALRM, SIGTERM, SIGCHLD, SIGUSR1, SIGUSR2})
            sigaddset(&defaults, sig);
        sigemptyset(&none);
        posix_spawnattr_setsigdefault(&attr, &defaults);
        posix_spawnattr_setsigmask(&attr, &none);
        posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF |
                                            POSIX_SPAWN_SETSIGMASK);
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
        // Only stdin, stdout and stderr go to the script. A script outliving a killed daemon
        // (a hanging notify after kill -9) would otherwise keep its listening HTTP socket, its
        // instance lock and its BPF and raw sockets open, and the restarted daemon could not
        // bind its status port (found by the soak: "Address already in use").
        posix_spawn_file_actions_addclosefrom_np(&fa, STDERR_FILENO + 1);
        pid_t p = 0;
        int err = posix_spawn(&p, args[0], &fa, &attr, args.data(), environ);
        posix_spawn_file_actions_destroy(&fa);
        posix_spawnattr_destroy(&attr);
        pid = p;
        return err;
    }

    boost::asio::io_context& io;
    ChildProcesses& owner;
    const int nice_value;
    std::mutex mutex;
    std::condition_variable wake;
    std::deque<Job> jobs;
    std::map<std::uint64_t, Started> handed_over;
    bool stopping = false;
    std::shared_ptr<bool> alive = std::make_shared<bool>(true);
    std::thread thread;
};

// Two spawners. Notify scripts and the like run niced: a burst of transitions starts one per
// group, and at equal priority they starved the daemons (soak cluster, 3 nodes x 32 groups on 2
// cores: notify scripts took 79 % of the CPU, adverts came late, the cluster never settled).
// Check scripts keep the daemon's priority and their own queue, so a notify burst can neither
// starve nor delay them into a timeout that would fail the node for nothing.
constexpr int kBackgroundNice = 10;

ChildProcesses::ChildProcesses(boost::asio::io_context& io)
    : io_(io),
      spawners_{std::make_unique<Spawner>(io, *this, 0),
                std::make_unique<Spawner>(io, *this, kBackgroundNice)} {}

ChildProcesses::~ChildProcesses() {
    for (auto& s : spawners_) s.reset();  // no more pids arrive; those not handed over are reaped
    for (auto& [id, run] : runs_) {
        if (run->pid == 0) continue;
        kill(-run->pid, SIGKILL);
        int st;
        waitpid(run->pid, &st, 0);
        boost::system::error_code ec;
        run->timer.cancel();
        run->pidfd.close(ec);
    }
    runs_.clear();
}

void ChildProcesses::run(const std::vector<std::string>& argv, std::chrono::milliseconds timeout, Done done,
                         Lane lane) {
    auto r = std::make_shared<Run>(io_);
    r->started = std::chrono::steady_clock::now();
    r->done = std::move(done);
    const std::uint64_t id = next_id_++;
    runs_[id] = r;
    std::weak_ptr<Run> weak = r;
    r->timer.expires_after(timeout);
    r->timer.async_wait([weak](const boost::system::error_code& ec) {
        if (ec || weak.expired()) return;
        auto run = weak.lock();
        run->timed_out = true;
        // Not started yet: on_spawned kills it at once. Else the exit arrives through the pidfd.
        if (run->pid) kill(-run->pid, SIGKILL);
    });
    spawners_[lane == Lane::Check ? 0 : 1]->push({id, argv});
}

void ChildProcesses::on_spawned(std::uint64_t id, int pid, int pidfd, int err) {
    auto it = runs_.find(id);
    if (it == runs_.end()) return;  // cannot happen: runs_ entries leave through finish()
    auto run = it->second;
    if (err != 0) {
        runs_.erase(it);
        run->timer.cancel();
        ProcessOutcome o;
        o.kind = ProcessOutcome::Kind::SpawnFailed;
        o.code = err;
        o.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - run->started);
        if (run->done) run->done(o);
        return;
    }
    run->pid = pid;
    run->pidfd.assign(pidfd);
    std::weak_ptr<Run> weak = run;
    // A pidfd becomes readable when the process exits (Linux 5.3).
    run->pidfd.async_wait(boost::asio::posix::stream_descriptor::wait_read, [this, id, weak](const boost::system::error_code& ec) {
        if (ec || weak.expired()) return;
        finish(id, ProcessOutcome::Kind::Exited);
    });
    if (run->timed_out) kill(-pid, SIGKILL);  // timed out or killed before it was started
}

void ChildProcesses::finish(std::uint64_t id, ProcessOutcome::Kind) {
    auto it = runs_.find(id);
    if (it == runs_.end()) return;
    auto run = it->second;
    runs_.erase(it);
    const int pid = run->pid;
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
    for (auto& [id, run] : runs_) {
        run->timed_out = true;
        if (run->pid) kill(-run->pid, SIGKILL);
    }
}

}  // namespace xvrrp
