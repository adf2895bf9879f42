// Check and notify scripts, the TCP check and the events file.
#include "adapters/child_process.hpp"
#include "adapters/event_log.hpp"
#include "adapters/health_check.hpp"
#include "adapters/notify.hpp"
#include "netns_fixture.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

using namespace xvrrp;
using namespace std::chrono_literals;

namespace {

// A temporary directory removed with everything in it.
struct TempDir {
    std::string path;
    TempDir() {
        char tmpl[] = "/tmp/xvrrp-ctl-XXXXXX";
        path = mkdtemp(tmpl);
    }
    ~TempDir() { test::sh("rm -rf " + path); }
    std::string script(const std::string& name, const std::string& body, mode_t mode = 0755) {
        std::string p = path + "/" + name;
        std::ofstream(p) << "#!/bin/sh\n" << body << "\n";
        chmod(p.c_str(), mode);
        return p;
    }
};

std::string slurp(const std::string& p) {
    std::ifstream f(p);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
}

void run_until(boost::asio::io_context& io, const std::function<bool()>& done, std::chrono::milliseconds limit) {
    io.restart();
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done() && std::chrono::steady_clock::now() < deadline) io.run_one_for(20ms);
}

// Alive and not a zombie (an orphan waits for its reaper, which may be slow to reap it).
bool pid_alive(int pid) {
    std::string stat = slurp("/proc/" + std::to_string(pid) + "/stat");
    auto close_paren = stat.rfind(')');
    return close_paren != std::string::npos && close_paren + 2 < stat.size() && stat[close_paren + 2] != 'Z';
}

}  // namespace

TEST(ChildProcesses, ExitCodesTimeoutAndSpawnFailure) {
    TempDir dir;
    boost::asio::io_context io;
    ChildProcesses procs(io);
    std::vector<ProcessOutcome> got(4);
    int done = 0;
    procs.run({dir.script("ok", "exit 0")}, 2s, [&](auto& o) { got[0] = o; ++done; });
    procs.run({dir.script("three", "exit 3")}, 2s, [&](auto& o) { got[1] = o; ++done; });
    // A hanging script that also forks a grandchild: both must die at the timeout.
    std::string pidfile = dir.path + "/grandchild";
    procs.run({dir.script("hang", "sleep 30 & echo $! > " + pidfile + "; sleep 30")}, 300ms, [&](auto& o) { got[2] = o; ++done; });
    procs.run({dir.script("noexec", "exit 0", 0644)}, 2s, [&](auto& o) { got[3] = o; ++done; });
    auto start = std::chrono::steady_clock::now();
    run_until(io, [&] { return done == 4; }, 5s);
    ASSERT_EQ(done, 4);
    EXPECT_TRUE(got[0].success());
    EXPECT_EQ(got[1].kind, ProcessOutcome::Kind::Exited);
    EXPECT_EQ(got[1].code, 3);
    EXPECT_EQ(got[2].kind, ProcessOutcome::Kind::TimedOut);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 2s) << "the timeout must not wait for the script";
    EXPECT_EQ(got[3].kind, ProcessOutcome::Kind::SpawnFailed);
    EXPECT_EQ(got[3].code, EACCES) << got[3].describe();
    int grandchild = std::stoi(slurp(pidfile));
    usleep(50000);
    EXPECT_FALSE(pid_alive(grandchild)) << "the process group was not killed";
    EXPECT_EQ(procs.running(), 0u);
}

TEST(ChildProcesses, DestructorKillsWhatStillRuns) {
    TempDir dir;
    boost::asio::io_context io;
    std::string pidfile = dir.path + "/pid";
    {
        ChildProcesses procs(io);
        procs.run({dir.script("hang", "echo $$ > " + pidfile + "; exec sleep 30")}, 60s, [](auto&) {});
        run_until(io, [&] { return !slurp(pidfile).empty(); }, 2s);
    }
    int pid = std::stoi(slurp(pidfile));
    EXPECT_FALSE(pid_alive(pid));
}

TEST(ChildProcesses, ScriptsGetOnlyStdioAndBackgroundOnesRunNiced) {
    TempDir dir;
    boost::asio::io_context io;
    ChildProcesses procs(io);
    // A descriptor without FD_CLOEXEC, like Asio's listening socket: no script may inherit it.
    int leaked = open("/dev/null", O_RDONLY);
    ASSERT_GE(leaked, 3);
    ASSERT_LT(leaked, 10) << "the check below only looks at descriptors under 10";
    auto body = [&](const std::string& lane) {
        // The shell's own descriptors (ls is its child), then its nice value (field 19).
        return "exec > " + dir.path + "/" + lane + ".out; ls /proc/$$/fd; echo nice $(cut -d' ' -f19 /proc/$$/stat)";
    };
    int done = 0;
    procs.run({dir.script("bg", body("bg"))}, 2s, [&](auto&) { ++done; });
    procs.run({dir.script("chk", body("chk"))}, 2s, [&](auto&) { ++done; }, ChildProcesses::Lane::Check);
    run_until(io, [&] { return done == 2; }, 5s);
    close(leaked);
    ASSERT_EQ(done, 2);
    for (std::string lane : {"bg", "chk"}) {
        std::istringstream out(slurp(dir.path + "/" + lane + ".out"));
        std::vector<std::string> fds;
        std::string word, nice_value;
        // dash keeps the script it reads open at fd 10 and up: its own, not inherited.
        while (out >> word && word != "nice")
            if (std::stoi(word) < 10) fds.push_back(word);
        out >> nice_value;
        EXPECT_EQ(fds, (std::vector<std::string>{"0", "1", "2"}))
            << lane << ": a script inherited the daemon's descriptors";
        EXPECT_EQ(nice_value, lane == "bg" ? "10" : "0") << lane;
    }
}

TEST(HealthCheck, ScriptPassFailHangAndNotExecutable) {
    TempDir dir;
    boost::asio::io_context io;
    ChildProcesses procs(io);
    std::string flag = dir.path + "/fail";
    Check c;
    c.kind = CheckKind::Script;
    c.interval = 1s;
    c.command = {dir.script("chk", "[ ! -e " + flag + " ]")};
    HealthCheck hc(io, procs, c, 300ms);
    std::vector<CheckResult> results;
    hc.start([&](const CheckResult& r) { results.push_back(r); });
    run_until(io, [&] { return results.size() >= 1; }, 3s);
    ASSERT_EQ(results.size(), 1u);
    EXPECT_TRUE(results[0].passed);
    test::sh("touch " + flag);
    run_until(io, [&] { return results.size() >= 2; }, 3s);
    ASSERT_EQ(results.size(), 2u);
    EXPECT_FALSE(results[1].passed);
    EXPECT_EQ(results[1].detail, "exit 1");

    Check hang = c;
    hang.command = {dir.script("hang", "sleep 10")};
    HealthCheck hh(io, procs, hang, 200ms);
    std::vector<CheckResult> hr;
    hh.start([&](const CheckResult& r) { hr.push_back(r); });
    run_until(io, [&] { return !hr.empty(); }, 2s);
    ASSERT_FALSE(hr.empty());
    EXPECT_FALSE(hr[0].passed);
    EXPECT_EQ(hh.stats().timeouts, 1u);

    Check noexec = c;
    noexec.command = {dir.script("noexec", "exit 0", 0600)};
    HealthCheck hn(io, procs, noexec);
    std::vector<CheckResult> nr;
    hn.start([&](const CheckResult& r) { nr.push_back(r); });
    run_until(io, [&] { return !nr.empty(); }, 2s);
    ASSERT_FALSE(nr.empty());
    EXPECT_FALSE(nr[0].passed);
    EXPECT_NE(nr[0].detail.find("Permission denied"), std::string::npos) << nr[0].detail;
}

TEST(HealthCheck, TcpConnectWithListenerPresentAndAbsent) {
    test::Netns ns{"tcp"};
    ns.run("ip link add ta type veth peer name tb && ip link set ta up && ip link set tb up && ip addr add 192.0.2.1/24 dev ta");
    boost::asio::io_context io;
    ChildProcesses procs(io);
    Check c;
    c.kind = CheckKind::TcpPort;
    c.address = *IpAddress::parse("192.0.2.1");
    c.port = 8080;
    c.interval = 1s;
    std::vector<CheckResult> results;
    {
        boost::asio::ip::tcp::acceptor listener(io, {boost::asio::ip::make_address("192.0.2.1"), 8080});
        HealthCheck hc(io, procs, c);
        hc.start([&](const CheckResult& r) { results.push_back(r); });
        run_until(io, [&] { return !results.empty(); }, 2s);
        ASSERT_EQ(results.size(), 1u);
        EXPECT_TRUE(results[0].passed) << results[0].detail;
        EXPECT_EQ(results[0].detail, "connected to 192.0.2.1:8080");
    }
    results.clear();
    HealthCheck hc(io, procs, c);
    hc.start([&](const CheckResult& r) { results.push_back(r); });
    run_until(io, [&] { return !results.empty(); }, 2s);
    ASSERT_EQ(results.size(), 1u);
    EXPECT_FALSE(results[0].passed);
    EXPECT_NE(results[0].detail.find("refused"), std::string::npos) << results[0].detail;
}

TEST(HealthCheck, PortZeroAlwaysPassesAndRunsNothing) {
    boost::asio::io_context io;
    ChildProcesses procs(io);
    Check c;  // CheckKind::None
    HealthCheck hc(io, procs, c);
    int calls = 0;
    hc.start([&](const CheckResult&) { ++calls; });
    io.run_for(100ms);
    EXPECT_EQ(calls, 0);
    EXPECT_TRUE(hc.last().passed);
    EXPECT_EQ(hc.stats().runs, 0u);
}

TEST(Notifier, InOrderPerInstanceNeverTwoAtOnce) {
    TempDir dir;
    boost::asio::io_context io;
    ChildProcesses procs(io);
    std::string log = dir.path + "/calls";
    // Records its arguments, and whether another call of the same instance was running.
    std::string script = dir.script("notify",
        "lock=" + dir.path + "/running-$2\n"
        "[ -e $lock ] && echo OVERLAP >> " + log + "\n"
        "touch $lock; echo \"$@\" >> " + log + "; sleep 0.1; rm -f $lock");
    Notifier n(procs, {script}, 2s);
    n.notify("OpenShift_IPFailover_VIP_1", "BACKUP", 150);
    n.notify("OpenShift_IPFailover_VIP_1", "MASTER", 150);
    n.notify("OpenShift_IPFailover_VIP_1", "FAULT", 150);
    n.notify("OpenShift_IPFailover_VIP_2", "MASTER", 254);
    run_until(io, [&] { return n.idle(); }, 5s);
    ASSERT_TRUE(n.idle());
    std::string calls = slurp(log);
    EXPECT_EQ(calls.find("OVERLAP"), std::string::npos) << calls;
    std::vector<std::string> vip1;
    std::istringstream in(calls);
    for (std::string line; std::getline(in, line);)
        if (line.find("VIP_1") != std::string::npos) vip1.push_back(line);
    EXPECT_EQ(vip1, (std::vector<std::string>{"INSTANCE OpenShift_IPFailover_VIP_1 BACKUP 150",
                                              "INSTANCE OpenShift_IPFailover_VIP_1 MASTER 150",
                                              "INSTANCE OpenShift_IPFailover_VIP_1 FAULT 150"}));
    EXPECT_NE(calls.find("INSTANCE OpenShift_IPFailover_VIP_2 MASTER 254"), std::string::npos);
    EXPECT_EQ(n.stats().runs, 4u);
    EXPECT_EQ(n.stats().failures, 0u);
}

TEST(Notifier, AHangingScriptIsKilledAndTheNextCallRuns) {
    TempDir dir;
    boost::asio::io_context io;
    ChildProcesses procs(io);
    std::string log = dir.path + "/calls";
    std::string script = dir.script("notify", "echo \"$3\" >> " + log + "; [ \"$3\" = MASTER ] && sleep 30; exit 0");
    Notifier n(procs, {script}, 300ms);
    auto start = std::chrono::steady_clock::now();
    n.notify("G", "MASTER", 100);
    n.notify("G", "BACKUP", 100);
    run_until(io, [&] { return n.idle(); }, 5s);
    EXPECT_TRUE(n.idle());
    EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
    EXPECT_EQ(slurp(log), "MASTER\nBACKUP\n");
    EXPECT_EQ(n.stats().timeouts, 1u);
}

TEST(EventLog, OneJsonLinePerChangeRotatingAtTheLimit) {
    TempDir dir;
    std::string path = dir.path + "/events.jsonl";
    EventLog log(path, 400);
    std::vector<std::string> followed;
    int id = log.follow([&](const std::string& l) { followed.push_back(l); });
    StateChange c;
    c.time = std::chrono::system_clock::time_point(std::chrono::milliseconds(1796000000123));
    c.instance = "X_VIP_1";
    c.vrid = 11;
    c.from = "BACKUP";
    c.to = "MASTER";
    c.priority = 200;
    c.cause = "master down timer";
    log.append(c);
    auto j = nlohmann::json::parse(slurp(path));
    EXPECT_EQ(j["instance"], "X_VIP_1");
    EXPECT_EQ(j["vrid"], 11);
    EXPECT_EQ(j["to"], "MASTER");
    EXPECT_EQ(j["time"], "2026-11-30T00:53:20.123Z");
    ASSERT_EQ(followed.size(), 1u);
    EXPECT_EQ(nlohmann::json::parse(followed[0]), j);
    log.unfollow(id);
    for (int i = 0; i < 5; ++i) log.append(c);
    EXPECT_EQ(followed.size(), 1u);
    struct stat st{};
    ASSERT_EQ(stat((path + ".1").c_str(), &st), 0) << "no rotation at 400 bytes";
    ASSERT_EQ(stat(path.c_str(), &st), 0);
    EXPECT_LE(st.st_size, 400);
    std::istringstream in(slurp(path));
    for (std::string line; std::getline(in, line);) EXPECT_NO_THROW(nlohmann::json::parse(line));
}
