// What one VIP's answers looked like over a probe run, for one kind of request (ARP or ICMP echo):
// who answered when, the unanswered gaps, and every moment two MACs answered at once.
// Pure bookkeeping (times are passed in) so the rules are unit-tested without a network.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace xvrrp::probe {

using Mac = std::array<std::uint8_t, 6>;
std::string format_mac(const Mac& mac);
std::optional<Mac> parse_mac(const std::string& text);
// Names to report instead of MACs (--label; TCP answers' node names, tcp_probe.hpp).
using MacNames = std::map<Mac, std::string>;

// A stretch of time during which one MAC kept answering: consecutive replies no further apart
// than the run tolerance.
struct Run {
  Mac mac{};
  double start_ms = 0;
  double end_ms = 0;
  std::uint64_t replies = 0;
};

// Time without any answer between two replies (or from the last reply to the end of the run:
// open == true).
struct Gap {
  double start_ms = 0;
  double end_ms = 0;
  bool open = false;
  double ms() const { return end_ms - start_ms; }
};

// Two MACs answering the same VIP at overlapping times: their runs intersect on [start, end]
// (a single stray reply inside the other MAC's run gives start == end). A clean handover never
// overlaps however short its gap, so this flags split brain only.
struct Split {
  Mac first{};
  Mac second{};
  double start_ms = 0;
  double end_ms = 0;
};

class AnswerLog {
public:
  // run_tolerance_ms: the longest silence still counted as "answering continuously"; silences
  // longer than it are reported as gaps.
  explicit AnswerLog(double run_tolerance_ms) : tolerance_ms_(run_tolerance_ms) {}

  // Replies must be recorded in non-decreasing time order.
  void record(double t_ms, const Mac& mac);
  // Closes the log at the end of the probe run (a trailing silence becomes an open gap).
  void finish(double end_ms);

  std::uint64_t replies() const { return replies_; }
  std::optional<double> first_answer_ms() const { return first_ms_; }
  std::optional<double> last_answer_ms() const { return last_ms_; }
  // Silences longer than the run tolerance, in time order; the time before the first answer is
  // not a gap (it is first_answer_ms).
  const std::vector<Gap>& gaps() const { return gaps_; }
  // The longest silence between answers (or the trailing open one), nullopt if never answered.
  // Silences within the tolerance count too, so a steadily answered VIP shows its reply spacing.
  std::optional<Gap> longest_gap() const { return longest_; }
  const std::vector<Run>& runs() const { return runs_; }
  std::vector<Split> splits() const;
  std::map<Mac, std::uint64_t> replies_by_mac() const;

private:
  double tolerance_ms_;
  std::uint64_t replies_ = 0;
  std::optional<double> first_ms_;
  std::optional<double> last_ms_;
  std::vector<Gap> gaps_;
  std::optional<Gap> longest_;
  std::vector<Run> runs_;
  std::map<Mac, std::size_t> open_run_;  // MAC -> index of its latest run in runs_

  void consider_gap(const Gap& gap);
};

}  // namespace xvrrp::probe
