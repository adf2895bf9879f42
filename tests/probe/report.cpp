#include "report.hpp"

#include <cmath>

#include "vip_list.hpp"

namespace xvrrp::probe {
namespace {

double ms3(double v) { return std::round(v * 1000.0) / 1000.0; }

std::string name_of(const Mac& mac, const MacNames& names) {
  auto it = names.find(mac);
  return it == names.end() ? format_mac(mac) : it->second;
}

nlohmann::json gap_json(const Gap& g) {
  return {{"start_ms", ms3(g.start_ms)}, {"end_ms", ms3(g.end_ms)}, {"ms", ms3(g.ms())},
          {"open", g.open}};
}

// by_mac false (TCP): answers are known by node name only, listed as "nodes", not "macs".
nlohmann::json log_json(const AnswerLog& log, const MacNames& names, bool by_mac = true) {
  nlohmann::json j;
  j["replies"] = log.replies();
  j["first_answer_ms"] = log.first_answer_ms() ? nlohmann::json(ms3(*log.first_answer_ms()))
                                               : nlohmann::json(nullptr);
  auto longest = log.longest_gap();
  j["longest_gap_ms"] = longest ? nlohmann::json(ms3(longest->ms())) : nlohmann::json(nullptr);
  j["longest_gap"] = longest ? gap_json(*longest) : nlohmann::json(nullptr);
  j["answered_at_end"] = log.replies() > 0 && !(longest && longest->open);
  j["gaps"] = nlohmann::json::array();
  for (const Gap& g : log.gaps()) j["gaps"].push_back(gap_json(g));
  const char* who = by_mac ? "macs" : "nodes";
  j[who] = nlohmann::json::array();
  for (const auto& [mac, count] : log.replies_by_mac()) {
    nlohmann::json m{{"name", name_of(mac, names)}, {"replies", count}};
    if (by_mac) m["mac"] = format_mac(mac);
    j[who].push_back(std::move(m));
  }
  j["runs"] = nlohmann::json::array();
  for (const Run& r : log.runs()) {
    nlohmann::json run{{"name", name_of(r.mac, names)}, {"start_ms", ms3(r.start_ms)},
                       {"end_ms", ms3(r.end_ms)}, {"replies", r.replies}};
    if (by_mac) run["mac"] = format_mac(r.mac);
    j["runs"].push_back(std::move(run));
  }
  j["splits"] = nlohmann::json::array();
  for (const Split& s : log.splits())
    j["splits"].push_back({{"start_ms", ms3(s.start_ms)}, {"end_ms", ms3(s.end_ms)},
                           {"ms", ms3(s.end_ms - s.start_ms)},
                           {"names", {name_of(s.first, names), name_of(s.second, names)}}});
  return j;
}

nlohmann::json tcp_json(const AnswerLog& log, const TcpCounts& c, const MacNames& tcp_names) {
  nlohmann::json j = log_json(log, tcp_names, false);
  j["connects"] = c.connects;
  j["timeouts"] = c.timeouts;
  j["refused"] = c.refused;
  j["failed"] = c.failed;
  j["skipped"] = c.skipped;
  return j;
}

}  // namespace

nlohmann::json make_summary(const RunInfo& run, const std::vector<VipResult>& vips,
                            const MacNames& names, const MacNames& tcp_names) {
  nlohmann::json j;
  j["probe"] = "xvrrp-probe";
  j["iface"] = run.iface;
  j["src_ip"] = run.src_ip;
  j["src_mac"] = run.src_mac;
  j["interval_ms"] = run.interval_ms;
  j["run_tolerance_ms"] = run.run_tolerance_ms;
  j["start_realtime_ns"] = run.start_realtime_ns;
  j["duration_ms"] = ms3(run.duration_ms);
  j["arp_sent"] = run.arp_sent;
  j["icmp_sent"] = run.icmp_sent;
  j["send_shortfall"] = run.send_shortfall;
  j["receive_dropped"] = run.receive_dropped;
  if (run.tcp_port != 0)
    j["tcp"] = {{"port", run.tcp_port}, {"interval_ms", run.tcp_interval_ms},
                {"timeout_ms", run.tcp_timeout_ms}, {"run_tolerance_ms", run.tcp_tolerance_ms}};

  double worst_gap = 0;
  std::string worst_vip;
  std::uint64_t splits = 0;
  nlohmann::json never = nlohmann::json::array(), split_vips = nlohmann::json::array();
  double tcp_worst = 0;
  std::string tcp_worst_vip;
  std::size_t tcp_vips = 0;
  nlohmann::json tcp_never = nlohmann::json::array();
  j["vips"] = nlohmann::json::array();
  for (const VipResult& v : vips) {
    nlohmann::json entry{{"vip", format_ip(v.vip)}, {"arp", log_json(v.arp, names)}};
    if (v.icmp) entry["icmp"] = log_json(*v.icmp, names);
    if (v.tcp) {
      entry["tcp"] = tcp_json(*v.tcp, v.tcp_counts, tcp_names);
      ++tcp_vips;
      if (v.tcp->replies() == 0) tcp_never.push_back(format_ip(v.vip));
      if (auto g = v.tcp->longest_gap(); g && g->ms() > tcp_worst) {
        tcp_worst = g->ms();
        tcp_worst_vip = format_ip(v.vip);
      }
    }
    if (v.arp.replies() == 0) never.push_back(format_ip(v.vip));
    if (auto g = v.arp.longest_gap(); g && g->ms() > worst_gap) {
      worst_gap = g->ms();
      worst_vip = format_ip(v.vip);
    }
    if (!entry["arp"]["splits"].empty()) {
      splits += entry["arp"]["splits"].size();
      split_vips.push_back(format_ip(v.vip));
    }
    j["vips"].push_back(std::move(entry));
  }
  j["summary"] = {{"vips", vips.size()},
                  {"never_answered", never},
                  {"worst_gap_ms", ms3(worst_gap)},
                  {"worst_gap_vip", worst_vip},
                  {"split_count", splits},
                  {"split_vips", split_vips}};
  if (run.tcp_port != 0) {
    j["summary"]["tcp_vips"] = tcp_vips;
    j["summary"]["tcp_never_answered"] = tcp_never;
    j["summary"]["tcp_worst_gap_ms"] = ms3(tcp_worst);
    j["summary"]["tcp_worst_gap_vip"] = tcp_worst_vip;
  }
  return j;
}

void write_timeline_csv(std::ostream& out, const std::vector<VipResult>& vips,
                        const MacNames& names, const MacNames& tcp_names) {
  out << "vip,kind,mac,name,start_ms,end_ms,replies\n";
  // TCP rows have no MAC (answers are known by node name).
  auto rows = [&](const std::string& vip, const char* kind, const AnswerLog& log, const MacNames& n, bool mac) {
    for (const Run& r : log.runs())
      out << vip << ',' << kind << ',' << (mac ? format_mac(r.mac) : std::string("-")) << ','
          << name_of(r.mac, n) << ',' << ms3(r.start_ms) << ',' << ms3(r.end_ms) << ',' << r.replies << '\n';
  };
  for (const VipResult& v : vips) {
    rows(format_ip(v.vip), "arp", v.arp, names, true);
    if (v.icmp) rows(format_ip(v.vip), "icmp", *v.icmp, names, true);
    if (v.tcp) rows(format_ip(v.vip), "tcp", *v.tcp, tcp_names, false);
  }
}

}  // namespace xvrrp::probe
