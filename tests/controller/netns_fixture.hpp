// A network namespace per test, entered by the test process itself (setns) so the adapters under
// test open their sockets inside it. Created with a unique per-run name (xv<pid>-ctl-<n>) and
// removed on every exit path by the destructor, also when an assertion fails.
#pragma once

#include <gtest/gtest.h>

#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>

namespace xvrrp::test {

// Runs a shell command; returns its exit status and captures stdout.
inline int sh(const std::string& cmd, std::string* out = nullptr) {
    FILE* p = popen((cmd + " 2>&1").c_str(), "r");
    if (!p) return -1;
    std::array<char, 4096> buf{};
    std::string text;
    while (auto n = fread(buf.data(), 1, buf.size(), p)) text.append(buf.data(), n);
    int st = pclose(p);
    if (out) *out = text;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

class Netns {
public:
    // Creates the namespace and moves this thread into it.
    explicit Netns(const std::string& tag) {
        if (geteuid() != 0) throw std::runtime_error("netns tests need root (ip netns add)");
        static int counter = 0;
        name_ = "xv" + std::to_string(getpid()) + "-ctl-" + tag + std::to_string(counter++);
        std::string out;
        if (sh("ip netns add " + name_, &out) != 0) throw std::runtime_error("ip netns add failed: " + out);
        original_ = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
        int fd = open(("/run/netns/" + name_).c_str(), O_RDONLY | O_CLOEXEC);
        self_ = fd;
        if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) {
            if (fd >= 0) close(fd);
            sh("ip netns del " + name_);
            throw std::runtime_error("cannot enter namespace " + name_);
        }
        sh("ip link set lo up");
    }
    ~Netns() {
        if (self_ >= 0) close(self_);
        if (original_ >= 0) {
            setns(original_, CLONE_NEWNET);
            close(original_);
        }
        sh("ip netns del " + name_);
    }
    Netns(const Netns&) = delete;
    Netns& operator=(const Netns&) = delete;
    const std::string& name() const { return name_; }
    // Moves this thread (back) into the namespace: sockets opened afterwards live in it.
    void enter() {
        if (setns(self_, CLONE_NEWNET) != 0) throw std::runtime_error("cannot re-enter " + name_);
    }

    // Runs a command inside the namespace (this thread is already in it; children inherit it).
    void run(const std::string& cmd) {
        std::string out;
        if (sh(cmd, &out) != 0) throw std::runtime_error("command failed: " + cmd + ": " + out);
    }

private:
    std::string name_;
    int original_ = -1;
    int self_ = -1;
};

inline int ifindex_of(const std::string& dev) {
    unsigned idx = if_nametoindex(dev.c_str());
    if (idx == 0) throw std::runtime_error("no interface " + dev);
    return static_cast<int>(idx);
}

}  // namespace xvrrp::test
