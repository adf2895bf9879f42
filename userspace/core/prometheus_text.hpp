// Prometheus text exposition format (version 0.0.4) for /metrics. Pure formatting: the daemon
// gathers the values, this writes them with the escaping the format requires.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace xvrrp {

struct MetricSample {
    std::vector<std::pair<std::string, std::string>> labels;
    double value = 0;
    std::string suffix;  // appended to the family name: "_sum", "_count", "_bucket" (histograms)
};

struct MetricFamily {
    std::string name;
    std::string help;
    std::string type;  // counter, gauge, histogram, untyped
    std::vector<MetricSample> samples;
};

// `# HELP` and `# TYPE` once per family, then one line per sample. Label values escape \, " and
// newline; HELP escapes \ and newline; values print as the shortest exact decimal ("1", "0.25"),
// NaN and infinities as Prometheus spells them.
std::string prometheus_text(const std::vector<MetricFamily>& families);

}  // namespace xvrrp
