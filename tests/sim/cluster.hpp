// Deterministic cluster simulator: N routers, each running the REAL xvrrp::Election per group,
// driven by one real xvrrp::TimerQueue per router, over a simulated shared wire (per-receiver
// loss and delay, partitions) on a virtual clock. Everything derives from the scenario's seed,
// and ties between simultaneous events break in a fixed order, so a seed replays exactly.
#pragma once

#include "monitor.hpp"
#include "scenario.hpp"

#include <cstdint>
#include <iosfwd>
#include <optional>

namespace xvrrp::sim {

struct RunResult {
    std::optional<Violation> violation;
    std::uint64_t events = 0;
    std::uint64_t transitions = 0;
    std::uint64_t adverts_sent = 0;
};

// Runs the scenario to its end (or to the first violation). With a trace stream, logs every
// scenario step, transition (with the machine's cause) and, when verbose, every advert.
RunResult run(const Scenario& scenario, std::ostream* trace = nullptr, bool verbose = false);

}  // namespace xvrrp::sim
