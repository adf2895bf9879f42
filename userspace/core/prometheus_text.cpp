#include "core/prometheus_text.hpp"

#include <fmt/format.h>

#include <cmath>

namespace xvrrp {
namespace {

std::string escape(const std::string& s, bool quote) {
    std::string out;
    out.reserve(s.size());
    for (char c : s) {
        if (c == '\\') out += "\\\\";
        else if (c == '\n') out += "\\n";
        else if (quote && c == '"') out += "\\\"";
        else out += c;
    }
    return out;
}

std::string number(double v) {
    if (std::isnan(v)) return "NaN";
    if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
    return fmt::format("{}", v);
}

}  // namespace

std::string prometheus_text(const std::vector<MetricFamily>& families) {
    std::string out;
    for (const auto& f : families) {
        out += "# HELP " + f.name + " " + escape(f.help, false) + "\n";
        out += "# TYPE " + f.name + " " + f.type + "\n";
        for (const auto& s : f.samples) {
            out += f.name + s.suffix;
            if (!s.labels.empty()) {
                out += '{';
                bool first = true;
                for (const auto& [k, v] : s.labels) {
                    if (!first) out += ',';
                    first = false;
                    out += k + "=\"" + escape(v, true) + "\"";
                }
                out += '}';
            }
            out += ' ' + number(s.value) + '\n';
        }
    }
    return out;
}

}  // namespace xvrrp
