#include "mutator.hpp"

#include <algorithm>

namespace xvrrp::xdp_fuzz {
namespace {

using xdp_model::Bytes;

// BPF_PROG_TEST_RUN refuses XDP input shorter than an Ethernet header; the page holding the
// frame bounds the other end.
constexpr std::size_t kMinFrame = 14, kMaxFrame = 1600;

std::uint64_t splitmix(std::uint64_t x) {
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

std::uint16_t be16(const Bytes& b, std::size_t at) { return static_cast<std::uint16_t>(b[at] << 8 | b[at + 1]); }
void put16(Bytes& b, std::size_t at, std::uint16_t v) {
    b[at] = static_cast<std::uint8_t>(v >> 8);
    b[at + 1] = static_cast<std::uint8_t>(v);
}

std::uint32_t sum16(const Bytes& b, std::size_t at, std::size_t len, std::uint32_t sum = 0) {
    for (std::size_t i = 0; i < len; i += 2)
        sum += static_cast<std::uint32_t>(b[at + i] << 8 | (i + 1 < len ? b[at + i + 1] : 0));
    return sum;
}
std::uint16_t finish(std::uint32_t sum) {
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<std::uint16_t>(~sum);
}

// Where the L3 header starts and which EtherType it has, after at most one tag.
std::pair<std::size_t, std::uint16_t> l3_of(const Bytes& f) {
    std::size_t at = 14;
    std::uint16_t type = be16(f, 12);
    if ((type == 0x8100 || type == 0x88a8) && f.size() >= 18) {
        type = be16(f, 16);
        at = 18;
    }
    return {at, type};
}

// IPv4 total length / IPv6 payload length set to what the frame holds.
void fix_lengths(Bytes& f) {
    auto [at, type] = l3_of(f);
    if (type == 0x0800 && f.size() >= at + 20) put16(f, at + 2, static_cast<std::uint16_t>(f.size() - at));
    if (type == 0x86dd && f.size() >= at + 40) put16(f, at + 4, static_cast<std::uint16_t>(f.size() - at - 40));
}

// Recomputes the IPv4 header, VRRP (either variant) and ICMPv6 checksums where they fit.
void fix_checksums(Bytes& f, std::mt19937_64& rng) {
    auto [at, type] = l3_of(f);
    const bool pseudo = rng() % 2;
    if (type == 0x0800 && f.size() >= at + 20) {
        std::size_t ihl = (f[at] & 0x0f) * 4u;
        if (ihl < 20 || f.size() < at + ihl) return;
        put16(f, at + 10, 0);
        put16(f, at + 10, finish(sum16(f, at, ihl)));
        std::size_t tot = be16(f, at + 2);
        if (f[at + 9] != 112 || tot < ihl + 8 || f.size() < at + tot) return;
        std::size_t plen = tot - ihl, v = at + ihl;
        put16(f, v + 6, 0);
        std::uint32_t s = pseudo ? sum16(f, at + 12, 8) + 112 + static_cast<std::uint32_t>(plen) : 0;
        put16(f, v + 6, finish(sum16(f, v, plen, s)));
    } else if (type == 0x86dd && f.size() >= at + 40) {
        std::size_t plen = be16(f, at + 4), m = at + 40;
        if (f.size() < m + plen || plen < 8) return;
        std::uint8_t nh = f[at + 6];
        if (nh != 58 && nh != 112) return;
        if (nh == 112 && !pseudo) {
            put16(f, m + 6, 0);
            put16(f, m + 6, finish(sum16(f, m, plen)));
            return;
        }
        std::size_t csum_at = m + (nh == 58 ? 2 : 6);
        put16(f, csum_at, 0);
        std::uint32_t s = sum16(f, at + 8, 32) + nh + (static_cast<std::uint32_t>(plen) >> 16) + (plen & 0xffff);
        put16(f, csum_at, finish(sum16(f, m, plen, s)));
    }
}

constexpr std::uint8_t kBytes[] = {0, 1, 2, 3, 4, 6, 8, 0x0f, 0x10, 0x21, 0x31, 0x45, 0x46, 0x60, 0x7f, 0x80,
                                   0x81, 0x86, 0x88, 0xdd, 0xe0, 0xfe, 0xff, 17, 58, 64, 112, 135, 136, 254, 255};
constexpr std::uint16_t kWords[] = {0, 1, 2, 0x00ff, 0x0100, 0x0800, 0x0806, 0x86dd, 0x8100, 0x88a8, 0x0064,
                                    0x2000, 0x3fff, 0x4000, 0x7fff, 0x8000, 0xfffe, 0xffff, 24, 28, 32, 40};

}  // namespace

Mutant mutate(const std::vector<Seed>& corpus, std::uint64_t seed, std::uint64_t index) {
    std::mt19937_64 rng(splitmix(seed ^ splitmix(index)));
    Mutant m;
    m.seed_index = rng() % corpus.size();
    m.frame = corpus[m.seed_index].frame;
    Bytes& f = m.frame;
    auto pos = [&] { return static_cast<std::size_t>(rng() % f.size()); };
    // One frame in ten runs unchanged: the corpus itself must agree with the model.
    const int rounds = rng() % 10 == 0 ? 0 : 1 + static_cast<int>(rng() % 4);
    for (int r = 0; r < rounds; ++r) {
        switch (rng() % 9) {
            case 0: {
                std::size_t p = pos();
                f[p] ^= static_cast<std::uint8_t>(1u << (rng() % 8));
                m.steps += "flip@" + std::to_string(p) + " ";
                break;
            }
            case 1: {
                std::size_t p = pos();
                f[p] = kBytes[rng() % std::size(kBytes)];
                m.steps += "byte@" + std::to_string(p) + " ";
                break;
            }
            case 2: {
                if (f.size() < 2) break;
                std::size_t p = rng() % (f.size() - 1);
                put16(f, p, kWords[rng() % std::size(kWords)]);
                m.steps += "word@" + std::to_string(p) + " ";
                break;
            }
            case 3: {
                std::size_t n = kMinFrame + rng() % (f.size() - kMinFrame + 1);
                f.resize(n);
                m.steps += "cut@" + std::to_string(n) + " ";
                break;
            }
            case 4: {
                std::size_t n = 1 + rng() % 64;
                for (std::size_t i = 0; i < n; ++i) f.push_back(static_cast<std::uint8_t>(rng() % 4 ? 0 : rng()));
                m.steps += "grow+" + std::to_string(n) + " ";
                break;
            }
            case 5: {  // field splicing: the same offset of another valid frame
                const Seed& other = corpus[rng() % corpus.size()];
                std::size_t common = std::min(f.size(), other.frame.size());
                std::size_t p = rng() % common, n = std::min<std::size_t>(1 + rng() % 20, common - p);
                std::copy_n(other.frame.begin() + static_cast<long>(p), n, f.begin() + static_cast<long>(p));
                m.steps += "splice@" + std::to_string(p) + "+" + std::to_string(n) + " ";
                break;
            }
            case 6: {
                std::size_t p = pos();
                if (rng() % 2 && f.size() > kMinFrame) {
                    f.erase(f.begin() + static_cast<long>(p));
                    m.steps += "del@" + std::to_string(p) + " ";
                } else {
                    f.insert(f.begin() + static_cast<long>(p), static_cast<std::uint8_t>(rng()));
                    m.steps += "ins@" + std::to_string(p) + " ";
                }
                break;
            }
            case 7:
                fix_lengths(f);
                m.steps += "lengths ";
                break;
            case 8: {  // the tail of another frame: an unrelated payload behind these headers
                const Seed& other = corpus[rng() % corpus.size()];
                std::size_t p = rng() % f.size(), q = rng() % other.frame.size();
                f.resize(p);
                f.insert(f.end(), other.frame.begin() + static_cast<long>(q), other.frame.end());
                if (f.size() < kMinFrame) f.resize(kMinFrame, 0);
                m.steps += "tail@" + std::to_string(p) + " ";
                break;
            }
        }
        if (f.size() > kMaxFrame) f.resize(kMaxFrame);
    }
    if (rounds && rng() % 2) {
        fix_checksums(f, rng);
        m.steps += "checksums";
    }
    return m;
}

}  // namespace xvrrp::xdp_fuzz
