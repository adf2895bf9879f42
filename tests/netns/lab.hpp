// Two network namespaces joined by a veth pair, for data plane tests through a real wire.
// Host A (vA, 192.0.2.1) runs the data plane under test; host B (vB, 192.0.2.2) is the client,
// with a plain XDP_PASS program on vB so native XDP_TX from vA arrives (docs/dataplane.md: veth lab
// detail). Everything is created inside the namespaces, never in the root namespace, and
// removed by the destructor on every exit path.
#pragma once

#include <string>

namespace xvrrp::testing {

struct Cmd {
    int status = -1;  // exit status, or -1 if it did not run
    std::string out;  // stdout and stderr
};
Cmd run(const std::string& command);
// Runs or throws std::runtime_error with the command and its output.
std::string must(const std::string& command);

// Once per process: a private mount namespace with bpffs on /sys/fs/bpf, so pins and libxdp
// work and nothing leaks into the host's mounts. Throws with the reason when it cannot.
void enter_private_mounts_with_bpffs();

class Lab {
public:
    Lab();
    ~Lab();
    Lab(const Lab&) = delete;
    Lab& operator=(const Lab&) = delete;

    const std::string& a() const { return a_; }
    const std::string& b() const { return b_; }
    std::string mac_of(const std::string& ns, const std::string& dev) const;
    bool has_xdp(const std::string& ns, const std::string& dev) const;

private:
    std::string a_, b_;
};

// Moves this thread into a named namespace until destroyed.
class InNetns {
public:
    explicit InNetns(const std::string& name);
    ~InNetns();
    InNetns(const InNetns&) = delete;
    InNetns& operator=(const InNetns&) = delete;

private:
    int saved_ = -1;
};

}  // namespace xvrrp::testing
