// The XDP program loaded from its skeleton, without any interface, for BPF_PROG_TEST_RUN:
// the map writes a test or benchmark needs and one call per frame.
#pragma once

#include "frames.hpp"
#include "xvrrp/abi.h"

#include <cstdint>
#include <string>
#include <vector>

struct xvrrp_bpf;  // the bpftool skeleton

namespace xvrrp::testing {

struct RunResult {
    int verdict = -1;
    frames::Bytes out;
    std::uint32_t duration_ns = 0;  // kernel-reported average per repeat
};

class ProgramUnderTest {
public:
    // Opens and loads the skeleton; throws std::runtime_error with libbpf's reason (and a hint
    // when not root) so a test fails with a message rather than skipping.
    ProgramUnderTest();
    ~ProgramUnderTest();
    ProgramUnderTest(const ProgramUnderTest&) = delete;
    ProgramUnderTest& operator=(const ProgramUnderTest&) = delete;

    void add_vip(const IpAddress& vip, std::uint8_t vrid);
    // `config`: the config slot (abi.h) the entry belongs to; one program serves several.
    void set_group(std::uint8_t vrid, bool owned, const frames::Mac& mac,
                   std::uint64_t master_down_ns, std::uint8_t config = 0);
    void set_vrid(std::uint8_t vrid, std::uint8_t versions, bool unicast, std::uint8_t config = 0);
    void add_peer(const IpAddress& peer, std::uint8_t config = 0);
    void set_heartbeat_ns(std::uint64_t ns, std::uint8_t config = 0);
    // Repeat absorption: arm the group's filter with a VRRP message as sent by `source`, or
    // disarm it; read what the program stamped.
    void arm_filter(const IpAddress& source, const frames::Bytes& vrrp_message);
    void disarm_filter(bool v6, std::uint8_t vrid);
    struct xvrrp_advert_seen seen(bool v6, std::uint8_t vrid) const;
    static std::uint64_t monotonic_ns();

    // One run (repeat 1) on a private copy of the frame.
    RunResult run(const frames::Bytes& in) const;
    // `repeat` runs in the kernel on one buffer; flags e.g. BPF_F_TEST_XDP_LIVE_FRAMES.
    RunResult run_repeat(const frames::Bytes& in, std::uint32_t repeat, std::uint32_t flags) const;

    // Sum over CPUs of every counter in xvrrp_stats.
    std::vector<std::uint64_t> counters() const;

    int prog_fd() const;
    int conflicts_fd(std::uint8_t config = 0) const;  // that config's conflict ring
    struct xvrrp_bpf* skeleton() const { return skel_; }

private:
    struct xvrrp_bpf* skel_ = nullptr;
};

// Name of a counter index for messages (the metric name, e.g. "arp_replied").
std::string counter_name(int index);

}  // namespace xvrrp::testing
