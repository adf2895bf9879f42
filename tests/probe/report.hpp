// The probe's outputs: a JSON summary (per VIP: who answered, longest gap, gaps, split brain)
// and a timeline CSV of answering runs (one row per MAC per stretch, for the benchmark plots).
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "answer_log.hpp"
#include "tcp_probe.hpp"

namespace xvrrp::probe {

struct VipResult {
  std::uint32_t vip = 0;  // network order
  AnswerLog arp;
  std::optional<AnswerLog> icmp;
  std::optional<AnswerLog> tcp;  // sampled VIPs of a --tcp run: successful connections, by node name
  TcpCounts tcp_counts;
};

struct RunInfo {
  std::string iface;
  std::string src_ip;
  std::string src_mac;
  double interval_ms = 0;
  double run_tolerance_ms = 0;
  std::int64_t start_realtime_ns = 0;
  double duration_ms = 0;
  std::uint64_t arp_sent = 0;
  std::uint64_t icmp_sent = 0;
  std::uint64_t send_shortfall = 0;  // frames the kernel refused (full queue)
  std::uint64_t receive_dropped = 0;  // replies the kernel dropped on a full receive queue
  // TCP mode (port 0: off).
  std::uint16_t tcp_port = 0;
  double tcp_interval_ms = 0;
  double tcp_timeout_ms = 0;
  double tcp_tolerance_ms = 0;
};

// tcp_names: the node names behind the TCP logs' stand-in MACs (NameIds::names).
nlohmann::json make_summary(const RunInfo& run, const std::vector<VipResult>& vips,
                            const MacNames& names, const MacNames& tcp_names = {});
void write_timeline_csv(std::ostream& out, const std::vector<VipResult>& vips,
                        const MacNames& names, const MacNames& tcp_names = {});

}  // namespace xvrrp::probe
