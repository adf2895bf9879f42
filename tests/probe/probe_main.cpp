// xvrrp-probe: run from a client on the VIPs' LAN; asks "who has VIP?" (ARP) for every VIP every
// interval, optionally pings each VIP at the MAC that last answered, and records who answered
// when. Prints a JSON summary (per VIP: first answer, longest unanswered gap, every gap longer than
// the run tolerance, MACs, answering runs, split brain = two MACs' runs overlapping) and optionally
// a timeline CSV. With --tcp PORT it also connects to a sample of the VIPs every --tcp-interval-ms
// (a new non-blocking connection each time) and records which node's listener answered, the
// client's TCP view beside the ARP view (tcp_probe.hpp). --serve PORT --name NAME is that listener.
// Stops on SIGINT/SIGTERM or after --duration. Exit: 0 done, 2 bad arguments, 1 runtime error.
#include <net/ethernet.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
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
#include "tcp_probe.hpp"
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
  int tcp_port = 0;
  std::size_t tcp_sample = 0;
  std::vector<std::string> tcp_vip_args;
  std::vector<std::string> tcp_exclude_args;
  double tcp_interval_ms = 5.0;
  double tcp_timeout_ms = 100.0;
  double tcp_tolerance_ms = 0;
  int serve_port = 0;
  std::string serve_name;
};

void install_stop_handlers() {
  struct sigaction sa{};
  sa.sa_handler = on_stop_signal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

// --serve: the lab node's listener (tcp_probe.hpp). Ready once it listens.
int serve(const Options& opt) {
  if (opt.serve_name.empty()) throw std::invalid_argument("--serve needs --name");
  TcpNameServer server(0, static_cast<std::uint16_t>(opt.serve_port), opt.serve_name);
  install_stop_handlers();
  if (!opt.ready_file.empty()) write_file_atomically(opt.ready_file, std::to_string(getpid()) + "\n");
  std::fprintf(stderr, "xvrrp-probe: serving '%s' on 0.0.0.0:%u\n", opt.serve_name.c_str(), server.port());
  const std::uint64_t served = server.serve(g_stop);
  std::fprintf(stderr, "xvrrp-probe: served %llu connections\n", static_cast<unsigned long long>(served));
  return 0;
}

// Thousands of connections in flight need descriptors: the soft limit up to the hard one.
std::size_t raise_fd_limit() {
  rlimit r{};
  if (getrlimit(RLIMIT_NOFILE, &r) != 0) return 1024;
  r.rlim_cur = r.rlim_max;
  setrlimit(RLIMIT_NOFILE, &r);
  getrlimit(RLIMIT_NOFILE, &r);
  return static_cast<std::size_t>(r.rlim_cur);
}

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
  const double tcp_tolerance =
      opt.tcp_tolerance_ms > 0 ? opt.tcp_tolerance_ms : std::max(3 * opt.tcp_interval_ms, 2.0);
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

  // TCP: the sampled VIPs (explicit ones, or --tcp-sample spread over the list, the VIPs of
  // --tcp-exclude left out: the lab's witness, the bridge's own address, runs no listener).
  std::vector<std::size_t> tcp_index;  // prober's VIP k is results[tcp_index[k]]
  if (opt.tcp_port != 0) {
    if (!opt.tcp_vip_args.empty()) {
      std::vector<std::uint32_t> chosen;
      for (const auto& a : opt.tcp_vip_args) parse_vip_list(a, chosen);
      for (auto ip : chosen) {
        auto it = index.find(ip);
        if (it == index.end())
          throw std::invalid_argument("--tcp-vips: " + format_ip(ip) + " is not one of the probed VIPs");
        tcp_index.push_back(it->second);
      }
    } else {
      std::vector<std::uint32_t> skip;
      for (const auto& a : opt.tcp_exclude_args) parse_vip_list(a, skip);
      std::vector<std::size_t> candidates;
      for (std::size_t i = 0; i < vips.size(); ++i)
        if (std::find(skip.begin(), skip.end(), vips[i]) == skip.end()) candidates.push_back(i);
      for (auto k : spread_sample(candidates.size(), opt.tcp_sample)) tcp_index.push_back(candidates[k]);
    }
    for (auto i : tcp_index) results[i].tcp.emplace(tcp_tolerance);
  }
  std::vector<std::optional<Mac>> last_arp_mac(vips.size());
  std::vector<std::uint16_t> echo_seq(vips.size(), 0);
  const auto echo_id = static_cast<std::uint16_t>(getpid());

  PacketSocket arp_socket(info.index, ETHERTYPE_ARP, arp_reply_filter());
  std::optional<PacketSocket> icmp_socket;
  if (opt.icmp) icmp_socket.emplace(info.index, ETHERTYPE_IP, icmp_echo_reply_filter());

  std::optional<TcpProber> tcp;
  NameIds tcp_names;
  if (!tcp_index.empty()) {
    std::vector<std::uint32_t> targets;
    for (auto i : tcp_index) targets.push_back(vips[i]);
    const std::size_t fds = raise_fd_limit();
    tcp.emplace(std::move(targets), static_cast<std::uint16_t>(opt.tcp_port), opt.tcp_interval_ms,
                opt.tcp_timeout_ms, opt.src_ip.empty() ? 0 : me.ip, fds > 128 ? fds - 64 : 64);
  }

  raise_priority(opt.rt_priority);
  install_stop_handlers();

  RunInfo runinfo;
  runinfo.iface = opt.iface;
  runinfo.src_ip = format_ip(me.ip);
  runinfo.src_mac = format_mac(me.mac);
  runinfo.interval_ms = opt.interval_ms;
  runinfo.run_tolerance_ms = tolerance;
  if (tcp) {
    runinfo.tcp_port = static_cast<std::uint16_t>(opt.tcp_port);
    runinfo.tcp_interval_ms = opt.tcp_interval_ms;
    runinfo.tcp_timeout_ms = opt.tcp_timeout_ms;
    runinfo.tcp_tolerance_ms = tcp_tolerance;
  }
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

  // A TCP answer counts when the name has been read (realtime, as the ARP stamps).
  double last_tcp_ms = 0;
  auto tcp_ready = [&] {
    tcp->handle_ready([&](std::size_t k, const std::string& name) {
      const double t = std::max(last_tcp_ms, static_cast<double>(realtime_ns() - runinfo.start_realtime_ns) / 1e6);
      last_tcp_ms = t;
      results[tcp_index[k]].tcp->record(t, tcp_names.id(name));
    });
  };

  std::uint64_t scheduled = 0;  // requests due so far: VIP k % n is request k
  std::vector<const std::vector<std::uint8_t>*> batch;
  std::vector<std::vector<std::uint8_t>> echo_frames;
  bool ready_written = false;
  // A negative descriptor is ignored by ppoll.
  pollfd fds[3] = {{arp_socket.fd(), POLLIN, 0},
                   {icmp_socket ? icmp_socket->fd() : -1, POLLIN, 0},
                   {tcp ? tcp->fd() : -1, POLLIN, 0}};
  std::fprintf(stderr, "xvrrp-probe: %zu VIPs every %.3f ms from %s (%s, %s)%s\n", vips.size(),
               opt.interval_ms, opt.iface.c_str(), runinfo.src_ip.c_str(), runinfo.src_mac.c_str(),
               opt.icmp ? ", with ICMP echo" : "");
  if (tcp)
    std::fprintf(stderr, "xvrrp-probe: TCP to port %d of %zu VIPs every %.3f ms (timeout %.0f ms)\n",
                 opt.tcp_port, tcp_index.size(), opt.tcp_interval_ms, opt.tcp_timeout_ms);

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
    if (tcp) {
      tcp->tick(now);
      tcp_ready();
    }
    if (!ready_written && !opt.ready_file.empty()) {
      write_file_atomically(opt.ready_file, std::to_string(getpid()) + "\n");
      ready_written = true;
    }

    const double next_due = static_cast<double>(scheduled) * opt.interval_ms / static_cast<double>(n);
    double wake = std::max(next_due, now + opt.min_tick_ms);
    if (tcp) wake = std::min(wake, std::max(tcp->next_due_ms(), now + opt.min_tick_ms));
    if (duration_ms > 0) wake = std::min(wake, duration_ms);
    for (;;) {
      now = monotonic_ms() - t0;
      if (now >= wake || g_stop) break;
      const double wait_ms = wake - now;
      timespec ts{static_cast<time_t>(wait_ms / 1000),
                  static_cast<long>(std::fmod(wait_ms, 1000.0) * 1e6)};
      const int rc = ppoll(fds, 3, &ts, nullptr);
      if (rc > 0) {
        drain();
        if (tcp && (fds[2].revents & POLLIN)) tcp_ready();
      }
    }
  }
  drain();
  if (tcp) {
    tcp_ready();
    for (std::size_t k = 0; k < tcp_index.size(); ++k) results[tcp_index[k]].tcp_counts = tcp->counts(k);
  }
  runinfo.receive_dropped = arp_socket.dropped() + (icmp_socket ? icmp_socket->dropped() : 0);
  const double end = monotonic_ms() - t0;
  runinfo.duration_ms = end;
  for (auto& r : results) {
    r.arp.finish(end);
    if (r.icmp) r.icmp->finish(end);
    if (r.tcp) r.tcp->finish(end);
  }

  const std::string json = make_summary(runinfo, results, names, tcp_names.names()).dump(1) + "\n";
  if (opt.json_path.empty()) std::cout << json;
  else write_file_atomically(opt.json_path, json);
  if (!opt.timeline_path.empty()) {
    std::ofstream csv(opt.timeline_path);
    if (!csv) throw std::runtime_error("cannot write " + opt.timeline_path);
    write_timeline_csv(csv, results, names, tcp_names.names());
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
  app.add_option("--tcp", opt.tcp_port, "also connect to this TCP port of sampled VIPs (lab listeners send their name)")
      ->check(CLI::Range(1, 65535));
  app.add_option("--tcp-sample", opt.tcp_sample,
                 "connect to this many VIPs spread over the list, first and last included (0: all)")
      ->capture_default_str();
  app.add_option("--tcp-vips", opt.tcp_vip_args, "connect to exactly these of the probed VIPs (repeatable)");
  app.add_option("--tcp-exclude", opt.tcp_exclude_args, "never connect to these (repeatable; the lab's witness)");
  app.add_option("--tcp-interval-ms", opt.tcp_interval_ms, "a new connection to each sampled VIP this often")
      ->capture_default_str()->check(CLI::Range(0.1, 60000.0));
  app.add_option("--tcp-timeout-ms", opt.tcp_timeout_ms, "a connection without a name by then is abandoned")
      ->capture_default_str()->check(CLI::Range(1.0, 60000.0));
  app.add_option("--tcp-run-tolerance-ms", opt.tcp_tolerance_ms,
                 "longest time without a TCP answer still counted as continuous (default max(3 x TCP interval, 2))")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--serve", opt.serve_port, "instead of probing: listen on 0.0.0.0:PORT, send --name to every client")
      ->check(CLI::Range(0, 65535));
  app.add_option("--name", opt.serve_name, "what --serve sends (a node name, one line)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  try {
    if (app.count("--serve") > 0) return serve(opt);
    return run(opt);
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "xvrrp-probe: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "xvrrp-probe: %s\n", e.what());
    return 1;
  }
}
