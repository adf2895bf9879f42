// XDP fuzz harness: mutated frames through the REAL build/bpf/xvrrp.bpf.o (loaded from its
// skeleton, run with bpf_prog_test_run_opts) and through the reference model (model.cpp); every
// verdict, output frame and conflict report must agree, and at the end every counter.
//   xdp_fuzz [--seconds S] [--max-frames N] [--seed S] [--frame I] [--counters-each-frame]
// Counters are compared once at the end (reading them per frame costs ~40 syscalls); a counter
// mismatch names the counter, and --counters-each-frame then finds the frame (slowly).
// A mismatch prints the seed, the frame index (replay: --seed S --frame I), the frame in hex
// and both outcomes. Needs root (BPF_PROG_TEST_RUN) and fails saying so otherwise.
#include <bpf/libbpf.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "corpus.hpp"
#include "model.hpp"
#include "mutator.hpp"
#include "program.hpp"
#include "xvrrp/abi.h"

namespace {

using namespace xvrrp;
using xdp_fuzz::Mutant;
using xdp_model::Bytes;
using xdp_model::Verdict;

std::string hex(const Bytes& b) {
    static const char* digits = "0123456789abcdef";
    std::string s;
    for (auto c : b) {
        s += digits[c >> 4];
        s += digits[c & 15];
    }
    return s;
}

std::optional<std::size_t> first_difference(const Bytes& a, const Bytes& b) {
    for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i)
        if (a[i] != b[i]) return i;
    if (a.size() != b.size()) return std::min(a.size(), b.size());
    return std::nullopt;
}

// One loaded program, its maps written from the same World the model reads, and its conflict
// ring drained after every frame.
class Instance {
public:
    explicit Instance(const xdp_model::World& world) : world_(world), program_() {
        for (const auto& [vip, vrid] : world.vips) program_.add_vip(vip, vrid);
        for (const auto& [vrid, g] : world.groups)
            // Stale: a 1 ns Master_Down_Interval is over before any frame runs. Fresh: ~11 days.
            program_.set_group(vrid, g.owned, g.mac, g.stale ? 1 : 1'000'000'000'000'000ull, g.config);
        for (const auto& [vrid, cfg] : world.vrids) program_.set_vrid(vrid, cfg.versions, cfg.unicast, cfg.config);
        for (const auto& [config, peer] : world.peers) program_.add_peer(peer, config);
        for (std::uint8_t c = 0; c < XVRRP_MAX_CONFIGS; ++c) program_.set_heartbeat_ns(testing::ProgramUnderTest::monotonic_ns(), c);
        // Every config's ring, each event tagged with the ring it came from.
        for (std::uint8_t c = 0; c < XVRRP_MAX_CONFIGS; ++c) {
            rings_[c] = {this, c};
            if (c == 0)
                ring_ = ring_buffer__new(program_.conflicts_fd(0), &Instance::on_conflict, &rings_[0], nullptr);
            else if (ring_ && ring_buffer__add(ring_, program_.conflicts_fd(c), &Instance::on_conflict, &rings_[c]) < 0)
                throw std::runtime_error(std::string("ring_buffer__add: ") + std::strerror(errno));
            if (!ring_) throw std::runtime_error(std::string("ring_buffer__new: ") + std::strerror(errno));
        }
    }
    ~Instance() { ring_buffer__free(ring_); }

    const xdp_model::World& world() const { return world_; }
    testing::RunResult run(const Bytes& frame) { return program_.run(frame); }
    std::vector<xdp_model::Conflict> drain() {
        conflicts_.clear();
        if (ring_buffer__consume(ring_) < 0) throw std::runtime_error("ring_buffer__consume failed");
        return conflicts_;
    }
    std::vector<std::uint64_t> counters() const { return program_.counters(); }

private:
    struct Ring {
        Instance* self = nullptr;
        std::uint8_t config = 0;
    };
    static int on_conflict(void* ctx, void* data, std::size_t size) {
        auto* ring = static_cast<Ring*>(ctx);
        auto* self = ring->self;
        if (size < sizeof(xvrrp_conflict)) return 0;
        xvrrp_conflict ev;
        std::memcpy(&ev, data, sizeof(ev));
        xdp_model::Conflict c;
        c.family = ev.family;
        c.vrid = ev.vrid;
        c.config = ring->config;
        std::memcpy(c.mac.data(), ev.mac, 6);
        if (ev.family == 4) {
            c.address = IpAddress::v4_bytes(ev.addr);
        } else {
            std::array<std::uint8_t, 16> a;
            std::memcpy(a.data(), ev.addr, 16);
            c.address = IpAddress::v6(a);
        }
        self->conflicts_.push_back(c);
        return 0;
    }

    xdp_model::World world_;
    testing::ProgramUnderTest program_;
    std::array<Ring, XVRRP_MAX_CONFIGS> rings_{};
    ring_buffer* ring_ = nullptr;
    std::vector<xdp_model::Conflict> conflicts_;
};

std::string describe(const std::optional<xdp_model::Conflict>& c) {
    if (!c) return "none";
    return "vrid " + std::to_string(c->vrid) + " " + c->address.to_string() + " by " +
           hex(Bytes(c->mac.begin(), c->mac.end())) + " in config " + std::to_string(c->config) + "'s ring";
}

struct Options {
    double seconds = 15;
    std::uint64_t max_frames = 0;  // 0: until the time is up
    std::uint64_t seed = 0;
    bool seed_given = false;
    std::optional<std::uint64_t> only_frame;
    bool counters_each_frame = false;
};

Options parse(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "xdp_fuzz: %s needs a value\n", a.c_str());
                std::exit(2);
            }
            return argv[++i];
        };
        if (a == "--seconds") o.seconds = std::stod(value());
        else if (a == "--max-frames") o.max_frames = std::stoull(value());
        else if (a == "--seed") o.seed = std::stoull(value()), o.seed_given = true;
        else if (a == "--frame") o.only_frame = std::stoull(value());
        else if (a == "--counters-each-frame") o.counters_each_frame = true;
        else {
            std::fprintf(stderr, "xdp_fuzz: unknown argument '%s'\n", a.c_str());
            std::exit(2);
        }
    }
    if (!o.seed_given) o.seed = std::random_device{}() | (std::uint64_t{std::random_device{}()} << 32);
    return o;
}

}  // namespace

int main(int argc, char** argv) {
    const Options opt = parse(argc, argv);
    if (geteuid() != 0) {
        std::fprintf(stderr, "xdp_fuzz: FAIL: needs root for BPF_PROG_TEST_RUN (run as root or via sudo)\n");
        return 1;
    }
    std::vector<std::unique_ptr<Instance>> instances;
    try {
        instances.push_back(std::make_unique<Instance>(xdp_fuzz::make_world()));
    } catch (const std::exception& e) {
        std::fprintf(stderr, "xdp_fuzz: FAIL: %s\n", e.what());
        return 1;
    }
    const auto corpus = xdp_fuzz::make_corpus();
    std::printf("xdp_fuzz: seed %llu, %zu corpus frames, %s\n", static_cast<unsigned long long>(opt.seed),
                corpus.size(),
                opt.only_frame ? ("frame " + std::to_string(*opt.only_frame) + " only").c_str()
                               : (std::to_string(opt.seconds) + " s").c_str());
    std::fflush(stdout);

    std::vector<std::vector<std::uint64_t>> expected(instances.size(), std::vector<std::uint64_t>(XVRRP_C_COUNT, 0));
    std::map<std::string, std::uint64_t> verdicts, mismatch_kinds;
    std::vector<std::vector<std::uint64_t>> last_counters(instances.size(), std::vector<std::uint64_t>(XVRRP_C_COUNT, 0));
    std::uint64_t frames = 0, mismatches = 0;
    const auto start = std::chrono::steady_clock::now();
    const auto deadline = start + std::chrono::duration<double>(opt.seconds);
    for (std::uint64_t index = opt.only_frame.value_or(0);; ++index) {
        if (opt.only_frame ? index != *opt.only_frame
                           : (opt.max_frames && frames >= opt.max_frames) ||
                                 ((frames & 255) == 0 && std::chrono::steady_clock::now() >= deadline))
            break;
        const Mutant m = xdp_fuzz::mutate(corpus, opt.seed, index);
        ++frames;
        for (std::size_t k = 0; k < instances.size(); ++k) {
            Instance& inst = *instances[k];
            const auto want = xdp_model::decide(inst.world(), m.frame);
            testing::RunResult got;
            try {
                got = inst.run(m.frame);
            } catch (const std::exception& e) {
                std::fprintf(stderr, "xdp_fuzz: FAIL: frame %llu (%zu bytes): %s\n",
                             static_cast<unsigned long long>(index), m.frame.size(), e.what());
                return 1;
            }
            const auto conflicts = inst.drain();
            auto& e = expected[k];
            const auto before = e;
            ++e[XVRRP_C_PACKETS];
            ++e[static_cast<std::size_t>(want.counter)];
            if (want.tagged) ++e[XVRRP_C_VLAN];
            if (want.conflict && want.conflict_counter) ++e[static_cast<std::size_t>(*want.conflict_counter)];
            ++verdicts[xdp_model::to_string(want.verdict) + " " + testing::counter_name(want.counter)];

            std::string problem;
            if (got.verdict != static_cast<int>(want.verdict))
                problem = "verdict " + xdp_model::to_string(static_cast<Verdict>(got.verdict)) + ", model " +
                          xdp_model::to_string(want.verdict);
            else if (got.out != want.out)
                problem = "output differs from the model's at byte " +
                          std::to_string(first_difference(got.out, want.out).value_or(0));
            else if (conflicts.size() > 1 || (conflicts.size() == 1) != want.conflict.has_value() ||
                     (want.conflict && !(conflicts[0] == *want.conflict)))
                problem = "conflict report " + describe(conflicts.empty() ? std::nullopt
                                                                          : std::optional(conflicts[0])) +
                          ", model " + describe(want.conflict);
            if (opt.counters_each_frame) {
                const auto now = inst.counters();
                for (int c = 0; c < XVRRP_C_COUNT && problem.empty(); ++c) {
                    const auto i = static_cast<std::size_t>(c);
                    if (now[i] - last_counters[k][i] != e[i] - before[i])
                        problem = "counter " + testing::counter_name(c) + " moved by " +
                                  std::to_string(now[i] - last_counters[k][i]) + ", model " +
                                  std::to_string(e[i] - before[i]);
                }
                last_counters[k] = now;
            }
            if (problem.empty()) continue;
            ++mismatches;
            const std::string kind = problem.rfind("verdict", 0) == 0
                                         ? "program " + xdp_model::to_string(static_cast<Verdict>(got.verdict))
                                         : problem.substr(0, problem.find(' ', problem.find(' ') + 1));
            ++mismatch_kinds[kind + " where the model says: " + want.rule];
            if (mismatches <= 10) {
                std::printf("MISMATCH seed %llu frame %llu: %s\n"
                            "  model rule: %s\n  from corpus \"%s\" via: %s\n  in : %s\n  out: %s\n  want: %s\n"
                            "  replay: %s --seed %llu --frame %llu\n",
                            static_cast<unsigned long long>(opt.seed), static_cast<unsigned long long>(index),
                            problem.c_str(), want.rule.c_str(),
                            corpus[m.seed_index].name.c_str(), m.steps.c_str(), hex(m.frame).c_str(),
                            hex(got.out).c_str(), hex(want.out).c_str(), argv[0],
                            static_cast<unsigned long long>(opt.seed), static_cast<unsigned long long>(index));
            }
        }
    }
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    // Every counter the model predicted, summed over the run (ring-full must stay 0: drained).
    for (std::size_t k = 0; k < instances.size(); ++k) {
        const auto got = instances[k]->counters();
        for (int c = 0; c < XVRRP_C_COUNT; ++c) {
            if (got[static_cast<std::size_t>(c)] == expected[k][static_cast<std::size_t>(c)]) continue;
            ++mismatches;
            std::printf("MISMATCH counter %s: %llu, model %llu\n", testing::counter_name(c).c_str(),
                        static_cast<unsigned long long>(got[static_cast<std::size_t>(c)]),
                        static_cast<unsigned long long>(expected[k][static_cast<std::size_t>(c)]));
        }
    }

    std::printf("xdp_fuzz: %llu frames x %zu programs in %.1f s = %.0f runs/s, %llu mismatches\n",
                static_cast<unsigned long long>(frames), instances.size(), elapsed,
                static_cast<double>(frames * instances.size()) / elapsed, static_cast<unsigned long long>(mismatches));
    for (const auto& [what, n] : verdicts) std::printf("  %8llu  %s\n", static_cast<unsigned long long>(n), what.c_str());
    if (!mismatch_kinds.empty()) std::printf("mismatching frames by kind:\n");
    for (const auto& [what, n] : mismatch_kinds)
        std::printf("  %8llu  %s\n", static_cast<unsigned long long>(n), what.c_str());

    // A mutator that stopped reaching the answering and filtering paths would test nothing there.
    if (!opt.only_frame) {
        const std::pair<Verdict, int> needed_paths[] = {
            {Verdict::Tx, XVRRP_C_ARP_REPLIED},          {Verdict::Tx, XVRRP_C_NS_REPLIED},
            {Verdict::Pass, XVRRP_C_VRRP_PASS},          {Verdict::Drop, XVRRP_C_ARP_DROP_NOT_OWNED},
            {Verdict::Drop, XVRRP_C_NS_DROP_NOT_OWNED},  {Verdict::Drop, XVRRP_C_ARP_DROP_STALE},
            {Verdict::Pass, XVRRP_C_NS_PASS_MALFORMED},  {Verdict::Pass, XVRRP_C_ARP_PASS_GRATUITOUS},
            {Verdict::Drop, int{XVRRP_C_VRRP_DROP_BASE} + int{XVRRP_REASON_BAD_CHECKSUM}},
            {Verdict::Pass, XVRRP_C_ARP_PASS_OTHER_DEST}, {Verdict::Pass, XVRRP_C_NS_PASS_OTHER_DEST},
            {Verdict::Drop, XVRRP_C_ARP_SENDER_CONFLICT}, {Verdict::Drop, XVRRP_C_NS_SENDER_CONFLICT}};
        for (auto [verdict, counter] : needed_paths) {
            const std::string needed = xdp_model::to_string(verdict) + " " + testing::counter_name(counter);
            if (!verdicts.count(needed)) {
                std::printf("FAIL: no frame took the path \"%s\": the corpus or mutator lost it\n", needed.c_str());
                ++mismatches;
            }
        }
    }
    if (mismatches) std::printf("xdp_fuzz: FAIL (seed %llu)\n", static_cast<unsigned long long>(opt.seed));
    return mismatches ? 1 : 0;
}
