// xvrrp-probe: run from a client on the VIPs' LAN; asks "who has VIP?" (ARP) for every VIP every
// interval, optionally pings each VIP at the MAC that last answered, and records who answered
// when. Prints a JSON summary (per VIP: first answer, longest unanswered gap, every gap longer than
// the run tolerance, MACs, answering runs, split brain = two MACs' runs overlapping) and optionally
// a timeline CSV. Stops on SIGINT/SIGTERM or after --duration. Exit: 0 done, 2 bad arguments,
// 1 runtime error.
#include <net/ethernet.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cmath>
#include <csignal>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <unordered_map>

#include "frames.hpp"
#include "packet_socket.hpp"
#include "report.hpp"
#include "vip_list.hpp"

using namespace xvrrp::probe;

namespace {

constexpr std::size_t kSendSlice = 1024;  // requests sent between two reads of the replies

volatile std::sig_atomic_t g_stop = 0;
void on_stop_signal(int) { g_stop = 1; }

double monotonic_ms() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

std::int64_t realtime_ns() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// Written to a temporary name first so a reader never sees half a file.
void write_file_atomically(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp);
    if (!out) throw std::runtime_error("cannot write " + tmp);
    out << text;
  }
  std::filesystem::rename(tmp, path);
}

struct Options {
  std::string iface = "eth0";
  std::vector<std::string> vip_args;
  std::string vips_file;
  double interval_ms = 1.0;
  double duration_s = 0;
  bool icmp = false;
  std::string json_path;
  std::string timeline_path;
  std::string ready_file;
  std::string src_ip;
  std::vector<std::string> labels;
  double tolerance_ms = 0;
  double min_tick_ms = 0.25;
  int rt_priority = 10;
};

// A 1 ms prober on a loaded 2-core machine is descheduled for whole milliseconds, which would
// show up as gaps that are the probe's, not the cluster's: run it SCHED_FIFO when allowed.
void raise_priority(int priority) {
  if (priority <= 0) return;
  sched_param param{};
  param.sched_priority = priority;
  if (sched_setscheduler(0, SCHED_FIFO, &param) != 0)
    std::fprintf(stderr, "xvrrp-probe: warning: SCHED_FIFO %d refused (%s); timings may be noisier\n",
                 priority, std::strerror(errno));
}

int run(const Options& opt) {
  std::vector<std::uint32_t> vips;
  for (const auto& a : opt.vip_args) parse_vip_list(a, vips);
  if (!opt.vips_file.empty()) {
    std::ifstream in(opt.vips_file);
    if (!in) throw std::invalid_argument("--vips-file: cannot read '" + opt.vips_file + "'");
    std::string line;
    while (std::getline(in, line)) parse_vip_list(line, vips);
  }
  if (vips.empty()) throw std::invalid_argument("no VIPs given (--vips)");

  MacNames names;
  for (const auto& l : opt.labels) {
    const auto eq = l.find('=');
    auto mac = parse_mac(l.substr(0, eq));
    if (eq == std::string::npos || !mac)
      throw std::invalid_argument("--label '" + l + "': expected MAC=NAME");
    names[*mac] = l.substr(eq + 1);
  }

  const InterfaceInfo info = lookup_interface(opt.iface);
  Host me{info.mac, info.ip};
  if (!opt.src_ip.empty()) {
    std::vector<std::uint32_t> one;
    parse_vip_list(opt.src_ip, one);
    me.ip = one.at(0);
  }
  if (me.ip == 0)
    throw std::invalid_argument("interface '" + opt.iface + "' has no IPv4 address (use --src-ip)");

  const double tolerance = opt.tolerance_ms > 0 ? opt.tolerance_ms : std::max(3 * opt.interval_ms, 2.0);
  std::vector<VipResult> results;
  std::unordered_map<std::uint32_t, std::size_t> index;
  std::vector<std::vector<std::uint8_t>> arp_frames;
  results.reserve(vips.size());
  for (std::size_t i = 0; i < vips.size(); ++i) {
    results.push_back(VipResult{vips[i], AnswerLog(tolerance),
                                opt.icmp ? std::optional<AnswerLog>(AnswerLog(tolerance)) : std::nullopt});
    index[vips[i]] = i;
    arp_frames.push_back(arp_request(me, vips[i]));
  }
  std::vector<std::optional<Mac>> last_arp_mac(vips.size());
  std::vector<std::uint16_t> echo_seq(vips.size(), 0);
  const auto echo_id = static_cast<std::uint16_t>(getpid());

  PacketSocket arp_socket(info.index, ETHERTYPE_ARP, arp_reply_filter());
  std::optional<PacketSocket> icmp_socket;
  if (opt.icmp) icmp_socket.emplace(info.index, ETHERTYPE_IP, icmp_echo_reply_filter());

  raise_priority(opt.rt_priority);
  struct sigaction sa{};
  sa.sa_handler = on_stop_signal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);

  RunInfo runinfo;
  runinfo.iface = opt.iface;
  runinfo.src_ip = format_ip(me.ip);
  runinfo.src_mac = format_mac(me.mac);
  runinfo.interval_ms = opt.interval_ms;
  runinfo.run_tolerance_ms = tolerance;
  runinfo.start_realtime_ns = realtime_ns();
  const double t0 = monotonic_ms();
  const double duration_ms = opt.duration_s * 1000.0;
  const auto n = static_cast<std::uint64_t>(vips.size());

  // A reply counts from the kernel's arrival stamp (realtime, like start_realtime_ns and the
  // lab's marks), not from when the probe got round to reading it; never earlier than the
  // socket's previous reply, so a clock step cannot reorder a VIP's log.
  double last_arp_ms = 0, last_icmp_ms = 0;
  auto arrival_ms = [&](std::int64_t rx_ns, double& last) {
    const double t = rx_ns > 0 ? static_cast<double>(rx_ns - runinfo.start_realtime_ns) / 1e6
                               : monotonic_ms() - t0;
    last = std::max(last, t);
    return last;
  };
  auto drain = [&] {
    arp_socket.drain([&](std::span<const std::uint8_t> frame, std::int64_t rx_ns) {
      auto answer = parse_arp_reply(frame, me);
      if (!answer) return;
      auto it = index.find(answer->ip);
      if (it == index.end()) return;
      results[it->second].arp.record(arrival_ms(rx_ns, last_arp_ms), answer->mac);
      last_arp_mac[it->second] = answer->mac;
    });
    if (icmp_socket) {
      icmp_socket->drain([&](std::span<const std::uint8_t> frame, std::int64_t rx_ns) {
        auto answer = parse_echo_reply(frame, me, echo_id);
        if (!answer) return;
        auto it = index.find(answer->ip);
        if (it == index.end()) return;
        results[it->second].icmp->record(arrival_ms(rx_ns, last_icmp_ms), answer->mac);
      });
    }
  };

  std::uint64_t scheduled = 0;  // requests due so far: VIP k % n is request k
  std::vector<const std::vector<std::uint8_t>*> batch;
  std::vector<std::vector<std::uint8_t>> echo_frames;
  bool ready_written = false;
  pollfd fds[2] = {{arp_socket.fd(), POLLIN, 0}, {icmp_socket ? icmp_socket->fd() : -1, POLLIN, 0}};
  std::fprintf(stderr, "xvrrp-probe: %zu VIPs every %.3f ms from %s (%s, %s)%s\n", vips.size(),
               opt.interval_ms, opt.iface.c_str(), runinfo.src_ip.c_str(), runinfo.src_mac.c_str(),
               opt.icmp ? ", with ICMP echo" : "");

  while (!g_stop) {
    double now = monotonic_ms() - t0;
    if (duration_ms > 0 && now >= duration_ms) break;
    // Requests are spread evenly over the interval, not sent in one burst per round.
    auto due = static_cast<std::uint64_t>(std::floor(now * static_cast<double>(n) / opt.interval_ms)) + 1;
    if (due > scheduled + n) scheduled = due - n;  // after a stall, at most one round of catch-up
    batch.clear();
    echo_frames.clear();
    for (std::uint64_t k = scheduled; k < due; ++k) {
      const std::size_t v = static_cast<std::size_t>(k % n);
      batch.push_back(&arp_frames[v]);
      if (opt.icmp && last_arp_mac[v])
        echo_frames.push_back(echo_request(me, *last_arp_mac[v], vips[v], echo_id, ++echo_seq[v]));
    }
    // In slices, reading the replies in between: a probe behind schedule sends up to a whole
    // round at once, and the replies to 65,536 requests do not fit the receive queue.
    for (std::size_t at = 0; at < batch.size(); at += kSendSlice) {
      const std::size_t len = std::min(kSendSlice, batch.size() - at);
      const std::size_t sent = arp_socket.send(std::span(batch).subspan(at, len));
      runinfo.arp_sent += sent;
      runinfo.send_shortfall += len - sent;
      drain();
    }
    if (!echo_frames.empty()) {
      batch.clear();
      for (const auto& f : echo_frames) batch.push_back(&f);
      const std::size_t sent = icmp_socket->send(batch);
      runinfo.icmp_sent += sent;
      runinfo.send_shortfall += batch.size() - sent;
    }
    scheduled = due;
    if (!ready_written && !opt.ready_file.empty()) {
      write_file_atomically(opt.ready_file, std::to_string(getpid()) + "\n");
      ready_written = true;
    }

    const double next_due = static_cast<double>(scheduled) * opt.interval_ms / static_cast<double>(n);
    double wake = std::max(next_due, now + opt.min_tick_ms);
    if (duration_ms > 0) wake = std::min(wake, duration_ms);
    for (;;) {
      now = monotonic_ms() - t0;
      if (now >= wake || g_stop) break;
      const double wait_ms = wake - now;
      timespec ts{static_cast<time_t>(wait_ms / 1000),
                  static_cast<long>(std::fmod(wait_ms, 1000.0) * 1e6)};
      const int rc = ppoll(fds, icmp_socket ? 2 : 1, &ts, nullptr);
      if (rc > 0) drain();
    }
  }
  drain();
  runinfo.receive_dropped = arp_socket.dropped() + (icmp_socket ? icmp_socket->dropped() : 0);
  const double end = monotonic_ms() - t0;
  runinfo.duration_ms = end;
  for (auto& r : results) {
    r.arp.finish(end);
    if (r.icmp) r.icmp->finish(end);
  }

  const std::string json = make_summary(runinfo, results, names).dump(1) + "\n";
  if (opt.json_path.empty()) std::cout << json;
  else write_file_atomically(opt.json_path, json);
  if (!opt.timeline_path.empty()) {
    std::ofstream csv(opt.timeline_path);
    if (!csv) throw std::runtime_error("cannot write " + opt.timeline_path);
    write_timeline_csv(csv, results, names);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  CLI::App app{"xvrrp-probe: measures who answers ARP (and ICMP echo) for a set of VIPs, how long "
               "each goes unanswered, and whether two MACs ever answer one VIP at once"};
  app.add_option("--iface,-i", opt.iface, "interface on the VIPs' LAN")->capture_default_str();
  app.add_option("--vips,--vip", opt.vip_args,
                 "VIPs: addresses and ranges as in OPENSHIFT_HA_VIRTUAL_IPS (repeatable)");
  app.add_option("--vips-file", opt.vips_file, "file with VIP lists, one or more per line");
  app.add_option("--interval-ms", opt.interval_ms, "per-VIP request interval")
      ->capture_default_str()->check(CLI::Range(0.01, 60000.0));
  app.add_option("--duration", opt.duration_s, "stop after this many seconds (0: at SIGINT/SIGTERM)")
      ->check(CLI::NonNegativeNumber);
  app.add_flag("--icmp", opt.icmp, "also send ICMP echo to each VIP at the MAC that answered ARP");
  app.add_option("--json", opt.json_path, "write the JSON summary here (default stdout)");
  app.add_option("--timeline", opt.timeline_path, "write answering runs as CSV here");
  app.add_option("--ready-file", opt.ready_file, "created once the first requests are out");
  app.add_option("--src-ip", opt.src_ip, "sender address of the requests (default: the interface's)");
  app.add_option("--label", opt.labels, "MAC=NAME: report NAME for this MAC (repeatable)");
  app.add_option("--run-tolerance-ms", opt.tolerance_ms,
                 "longest silence still counted as continuous answering (default max(3 x interval, 2))")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--min-tick-ms", opt.min_tick_ms, "shortest sleep between send batches")
      ->capture_default_str()->check(CLI::Range(0.01, 1000.0));
  app.add_option("--rt-priority", opt.rt_priority, "SCHED_FIFO priority of the probe (0: normal scheduling)")
      ->capture_default_str()->check(CLI::Range(0, 99));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  try {
    return run(opt);
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "xvrrp-probe: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "xvrrp-probe: %s\n", e.what());
    return 1;
  }
}
