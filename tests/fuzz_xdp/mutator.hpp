// Seeded frame mutations for the XDP fuzz harness: bit flips, interesting bytes and 16-bit
// fields, truncation, extension, insertion/deletion, and field splicing from another corpus
// frame at the same offset; then, half the time, lengths and checksums made consistent again so
// mutations reach past the checksum checks into the decisions behind them.
#pragma once

#include "corpus.hpp"

#include <random>
#include <string>

namespace xvrrp::xdp_fuzz {

struct Mutant {
    std::size_t seed_index = 0;  // which corpus frame it started from
    std::string steps;           // the mutations applied, for failure messages
    xdp_model::Bytes frame;
};

// Frame `index` of the run seeded with `seed`: independent of every other frame, so a failure
// replays alone (`--seed S --frame I`).
Mutant mutate(const std::vector<Seed>& corpus, std::uint64_t seed, std::uint64_t index);

}  // namespace xvrrp::xdp_fuzz
