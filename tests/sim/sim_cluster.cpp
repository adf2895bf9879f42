// sim_cluster: run the election simulator over many seeds, or replay one seed with a trace.
//
//   sim_cluster --seeds 3000               # seeds 1..3000, stop after 10 failures
//   sim_cluster --seed 1234 --trace        # replay one seed, log every transition
//   sim_cluster --seeds 50 --mutation drop-resignations --expect-failures
#include "cluster.hpp"
#include "scenario.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdint>
#include <ctime>
#include <iostream>
#include <optional>
#include <string>

using namespace xvrrp::sim;

int main(int argc, char** argv) {
    CLI::App app{"Deterministic VRRP election cluster simulator"};
    std::uint64_t seeds = 1000;
    std::uint64_t first_seed = 1;
    std::optional<std::uint64_t> one_seed;
    std::string mutation_name = "none";
    bool trace = false;
    bool verbose = false;
    bool expect_failures = false;
    std::uint64_t max_failures = 10;
    app.add_option("--seeds", seeds, "number of seeds to run");
    app.add_option("--first-seed", first_seed, "first seed of the range");
    app.add_option("--seed", one_seed, "run only this seed (implies --trace)");
    app.add_option("--mutation", mutation_name,
                   "deliberate breakage: none, deaf-router, mismatched-vrid, drop-resignations");
    app.add_flag("--trace", trace, "print the scenario and every transition");
    app.add_flag("--verbose", verbose, "with --trace, also every advert sent");
    app.add_flag("--expect-failures", expect_failures,
                 "succeed only if at least one seed fails (mutation check)");
    app.add_option("--max-failures", max_failures, "stop after this many failing seeds");
    CLI11_PARSE(app, argc, argv);

    const auto mutation = parse_mutation(mutation_name);
    if (!mutation) {
        std::cerr << "sim_cluster: unknown --mutation '" << mutation_name << "'\n";
        return 2;
    }
    if (one_seed) {
        first_seed = *one_seed;
        seeds = 1;
        trace = true;
    }

    const std::clock_t cpu_start = std::clock();
    std::uint64_t failures = 0;
    std::uint64_t events = 0;
    std::uint64_t transitions = 0;
    std::uint64_t ran = 0;
    for (std::uint64_t seed = first_seed; seed < first_seed + seeds; ++seed) {
        const Scenario scenario = make_scenario(seed, ScenarioOptions{.mutation = *mutation});
        const RunResult result = run(scenario, trace ? &std::cout : nullptr, verbose);
        ++ran;
        events += result.events;
        transitions += result.transitions;
        if (result.violation) {
            ++failures;
            std::cout << fmt::format(
                "FAIL seed {}: at {:.3f} ms: {}\n  replay: {} --seed {}{}\n", seed,
                std::chrono::duration<double, std::milli>(result.violation->at - Time{}).count(),
                result.violation->what, argv[0], seed,
                *mutation == Mutation::None ? std::string()
                                            : fmt::format(" --mutation {}", mutation_name));
            if (failures >= max_failures) break;
        }
    }
    const double cpu = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
    std::cout << fmt::format(
        "sim_cluster: {} seeds from {} (mutation {}), {} failing, {} events, {} transitions, "
        "{:.2f} s CPU ({:.2f} ms per seed)\n",
        ran, first_seed, mutation_name, failures, events, transitions, cpu,
        ran ? 1000.0 * cpu / static_cast<double>(ran) : 0.0);
    if (expect_failures) {
        if (failures == 0) {
            std::cout << "sim_cluster: expected the mutation to be caught, but every seed passed\n";
            return 1;
        }
        return 0;
    }
    return failures == 0 ? 0 : 1;
}
