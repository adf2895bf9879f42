// FNV-1a over bytes: the one stable, dependency-free hash the project uses where a value must be
// the same on every node and every run (a config's route metric, its data plane slot tag, the
// seed of its plan's random part). Not for hash tables under attack.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace xvrrp {

constexpr std::uint32_t fnv1a_32(std::span<const unsigned char> bytes, std::uint32_t h = 2166136261u) {
    for (unsigned char c : bytes) h = (h ^ c) * 16777619u;
    return h;
}
inline std::uint32_t fnv1a_32(std::string_view s, std::uint32_t h = 2166136261u) {
    return fnv1a_32(std::span(reinterpret_cast<const unsigned char*>(s.data()), s.size()), h);
}

constexpr std::uint64_t fnv1a_64(std::span<const unsigned char> bytes, std::uint64_t h = 14695981039346656037ull) {
    for (unsigned char c : bytes) h = (h ^ c) * 1099511628211ull;
    return h;
}
inline std::uint64_t fnv1a_64(std::string_view s, std::uint64_t h = 14695981039346656037ull) {
    return fnv1a_64(std::span(reinterpret_cast<const unsigned char*>(s.data()), s.size()), h);
}

}  // namespace xvrrp
