#include "answer_log.hpp"

#include <algorithm>
#include <cstdio>

namespace xvrrp::probe {

std::string format_mac(const Mac& mac) {
  char text[18];
  std::snprintf(text, sizeof text, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
                mac[4], mac[5]);
  return text;
}

std::optional<Mac> parse_mac(const std::string& text) {
  Mac mac{};
  unsigned b[6];
  char tail;
  if (std::sscanf(text.c_str(), "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4],
                  &b[5], &tail) != 6)
    return std::nullopt;
  for (int i = 0; i < 6; ++i) mac[i] = static_cast<std::uint8_t>(b[i]);
  return mac;
}

void AnswerLog::consider_gap(const Gap& gap) {
  if (gap.ms() > tolerance_ms_) gaps_.push_back(gap);
  if (!longest_ || gap.ms() > longest_->ms()) longest_ = gap;
}

void AnswerLog::record(double t_ms, const Mac& mac) {
  if (last_ms_) consider_gap(Gap{*last_ms_, t_ms, false});
  if (!first_ms_) first_ms_ = t_ms;
  last_ms_ = t_ms;
  ++replies_;

  auto open = open_run_.find(mac);
  if (open != open_run_.end() && t_ms - runs_[open->second].end_ms <= tolerance_ms_) {
    Run& run = runs_[open->second];
    run.end_ms = t_ms;
    ++run.replies;
    return;
  }
  runs_.push_back(Run{mac, t_ms, t_ms, 1});
  open_run_[mac] = runs_.size() - 1;
}

void AnswerLog::finish(double end_ms) {
  if (last_ms_ && end_ms - *last_ms_ > tolerance_ms_) consider_gap(Gap{*last_ms_, end_ms, true});
}

std::vector<Split> AnswerLog::splits() const {
  std::vector<Run> sorted = runs_;
  std::sort(sorted.begin(), sorted.end(),
            [](const Run& a, const Run& b) { return a.start_ms < b.start_ms; });
  std::vector<Split> out;
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    for (std::size_t j = i + 1; j < sorted.size() && sorted[j].start_ms <= sorted[i].end_ms; ++j) {
      if (sorted[j].mac == sorted[i].mac) continue;
      out.push_back(Split{sorted[i].mac, sorted[j].mac, sorted[j].start_ms,
                          std::min(sorted[i].end_ms, sorted[j].end_ms)});
    }
  }
  return out;
}

std::map<Mac, std::uint64_t> AnswerLog::replies_by_mac() const {
  std::map<Mac, std::uint64_t> out;
  for (const Run& run : runs_) out[run.mac] += run.replies;
  return out;
}

}  // namespace xvrrp::probe
