#include "lab.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <stdexcept>

#ifndef XVRRP_XDP_PASS_OBJECT
#error "XVRRP_XDP_PASS_OBJECT (path of xdp_pass.bpf.o) must be defined by the build"
#endif

namespace xvrrp::testing {

Cmd run(const std::string& command) {
    Cmd r;
    FILE* p = popen((command + " 2>&1").c_str(), "r");
    if (!p) return r;
    std::array<char, 4096> buf;
    std::size_t n;
    while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
    int st = pclose(p);
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return r;
}

std::string must(const std::string& command) {
    Cmd r = run(command);
    if (r.status != 0)
        throw std::runtime_error("'" + command + "' failed (" + std::to_string(r.status) +
                                 "): " + r.out);
    return r.out;
}

void enter_private_mounts_with_bpffs() {
    static bool done = false;
    if (done) return;
    if (geteuid() != 0) throw std::runtime_error("netns tests need root (namespaces, XDP)");
    if (unshare(CLONE_NEWNS) != 0)
        throw std::runtime_error(std::string("unshare(CLONE_NEWNS): ") + std::strerror(errno));
    if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
        throw std::runtime_error(std::string("making / private: ") + std::strerror(errno));
    if (mount("bpf", "/sys/fs/bpf", "bpf", 0, nullptr) != 0)
        throw std::runtime_error(std::string("mounting bpffs on /sys/fs/bpf: ") +
                                 std::strerror(errno));
    done = true;
}

Lab::Lab() {
    static std::atomic<int> serial{0};
    // XVRRP_NETNS_PREFIX (default "xv") lets runs sharing a machine keep their namespaces apart.
    const char* mine = std::getenv("XVRRP_NETNS_PREFIX");
    for (const char* c = mine; c && *c; ++c)
        if (!std::isalnum(static_cast<unsigned char>(*c)))
            throw std::runtime_error(std::string("XVRRP_NETNS_PREFIX=\"") + mine + "\": letters and digits only");
    std::string prefix = std::string(mine && *mine ? mine : "xv") + std::to_string(getpid()) + "-xdp" +
                         std::to_string(serial++) + "-";
    a_ = prefix + "a";
    b_ = prefix + "b";
    try {
        must("ip netns add " + a_);
        must("ip netns add " + b_);
        must("ip -n " + a_ + " link add vA type veth peer name vB netns " + b_);
        must("ip -n " + a_ + " addr add 192.0.2.1/24 dev vA");
        must("ip -n " + b_ + " addr add 192.0.2.2/24 dev vB");
        must("ip -n " + a_ + " link set lo up");
        must("ip -n " + b_ + " link set lo up");
        must("ip -n " + a_ + " link set vA up");
        must("ip -n " + b_ + " link set vB up");
        must("ip -n " + b_ + " link set dev vB xdpdrv obj " XVRRP_XDP_PASS_OBJECT " sec xdp");
    } catch (...) {
        run("ip netns del " + a_);
        run("ip netns del " + b_);
        throw;
    }
}

Lab::~Lab() {
    run("ip netns del " + a_);
    run("ip netns del " + b_);
}

std::string Lab::mac_of(const std::string& ns, const std::string& dev) const {
    std::istringstream in(must("ip -n " + ns + " -br link show dev " + dev));
    std::string name, state, mac;
    in >> name >> state >> mac;
    return mac;
}

bool Lab::has_xdp(const std::string& ns, const std::string& dev) const {
    return must("ip -n " + ns + " link show dev " + dev).find(" xdp") != std::string::npos;
}

InNetns::InNetns(const std::string& name) {
    saved_ = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    int fd = open(("/run/netns/" + name).c_str(), O_RDONLY | O_CLOEXEC);
    if (saved_ < 0 || fd < 0 || setns(fd, CLONE_NEWNET) != 0) {
        int e = errno;
        if (fd >= 0) close(fd);
        if (saved_ >= 0) close(saved_);
        throw std::runtime_error("entering netns " + name + ": " + std::strerror(e));
    }
    close(fd);
}

InNetns::~InNetns() {
    if (setns(saved_, CLONE_NEWNET) != 0) std::perror("returning to the test's netns");
    close(saved_);
}

}  // namespace xvrrp::testing
