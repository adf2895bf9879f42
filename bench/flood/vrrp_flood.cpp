// xvrrp-flood: sends a steady rate of VRRP packets that a correct router must ignore, from a host
// on the VRRP LAN (the S5 benchmark): adverts for a VRID nobody configured, adverts with
// TTL != 255 (RFC 5798 section 7.1 / RFC 3768 section 7.1 say discard), and malformed ones (bad
// checksum, truncated, wrong version, wrong type, address count not matching the length). All
// but the foreign-VRID ones claim priority 255 for a configured VRID, so a receiver that accepted
// one would visibly give up mastership. Frames are built once and sent in batches every
// millisecond; the achieved rate is reported, since on a loaded machine it can fall short.
#include <linux/filter.h>
#include <net/ethernet.h>
#include <time.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstring>
#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "frames.hpp"
#include "packet_socket.hpp"

namespace f = xvrrp::frames;
using xvrrp::IpAddress;

namespace {

volatile std::sig_atomic_t g_stop = 0;
void on_stop(int) { g_stop = 1; }

double now_s() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

struct Kind {
  std::string name;
  std::vector<f::Bytes> frames;
};

struct Options {
  std::string iface = "eth0";
  double rate = 100000;
  double duration_s = 10;
  int vrids = 254;
  int foreign_vrid = 255;
  int version = 3;
  int interval = 1;  // v3 centiseconds / v2 seconds, as the cluster's
  std::string json_path;
};

std::vector<Kind> build(const Options& o, const f::Mac& src_mac, const IpAddress& src) {
  const IpAddress group = f::ip("224.0.0.18");
  const f::Mac dst_mac = f::multicast_mac(group);
  const IpAddress vip = f::ip("203.0.113.1");
  auto frame = [&](f::Vrrp v, std::uint8_t ttl, std::size_t cut = 0) {
    f::Ipv4Options ip;
    ip.ttl = ttl;
    f::Bytes payload = f::vrrp(v, src, group);
    if (cut > 0 && cut < payload.size()) payload.resize(cut);
    return f::ethernet(dst_mac, src_mac, f::kEthIpv4, f::ipv4(src, group, f::kProtoVrrp, payload, ip));
  };
  auto base = [&](int vrid) {
    f::Vrrp v;
    v.version = o.version;
    v.vrid = static_cast<std::uint8_t>(vrid);
    v.priority = 255;
    v.addresses = {vip};
    v.interval = static_cast<std::uint16_t>(o.interval);
    v.checksum = o.version == 3 ? f::VrrpChecksum::Pseudo : f::VrrpChecksum::V2Style;
    return v;
  };
  Kind foreign{"foreign_vrid", {}}, ttl{"bad_ttl", {}}, malformed{"malformed", {}};
  foreign.frames.push_back(frame(base(o.foreign_vrid), 255));
  for (int vrid = 1; vrid <= o.vrids; ++vrid) {
    ttl.frames.push_back(frame(base(vrid), 64));
    f::Vrrp bad = base(vrid);
    bad.checksum = f::VrrpChecksum::Bad;
    malformed.frames.push_back(frame(bad, 255));
    malformed.frames.push_back(frame(base(vrid), 255, 6));  // truncated inside the header
    f::Vrrp ver = base(vrid);
    ver.version = 4;
    malformed.frames.push_back(frame(ver, 255));
    f::Vrrp type = base(vrid);
    type.type = 2;
    malformed.frames.push_back(frame(type, 255));
    f::Vrrp count = base(vrid);
    count.count_override = 7;  // says 7 addresses, carries 1
    malformed.frames.push_back(frame(count, 255));
  }
  return {foreign, ttl, malformed};
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"xvrrp-flood: a steady rate of VRRP packets a router must discard (benchmark S5)"};
  app.add_option("--iface,-i", o.iface)->capture_default_str();
  app.add_option("--rate", o.rate, "packets per second, all kinds together")->capture_default_str()
      ->check(CLI::Range(1.0, 5e6));
  app.add_option("--duration", o.duration_s, "seconds (0: until SIGINT/SIGTERM)")->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--vrids", o.vrids, "configured VRIDs 1..N (targets of bad-TTL and malformed packets)")
      ->capture_default_str()->check(CLI::Range(1, 255));
  app.add_option("--foreign-vrid", o.foreign_vrid, "a VRID nobody configured")->capture_default_str()
      ->check(CLI::Range(1, 255));
  app.add_option("--version", o.version, "VRRP version of the packets")->capture_default_str()
      ->check(CLI::IsMember({2, 3}));
  app.add_option("--interval", o.interval, "advert interval field (v3 centiseconds, v2 seconds)")
      ->capture_default_str()->check(CLI::Range(1, 4095));
  app.add_option("--json", o.json_path, "write the counts sent per kind here");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  try {
    const auto info = xvrrp::probe::lookup_interface(o.iface);
    if (info.ip == 0) throw std::invalid_argument("interface '" + o.iface + "' has no IPv4 address");
    std::array<std::uint8_t, 4> ipb;
    std::memcpy(ipb.data(), &info.ip, 4);
    const IpAddress src = f::ip(std::to_string(ipb[0]) + "." + std::to_string(ipb[1]) + "." +
                                std::to_string(ipb[2]) + "." + std::to_string(ipb[3]));
    auto kinds = build(o, info.mac, src);
    // Receive nothing: the socket only sends.
    xvrrp::probe::PacketSocket sock(info.index, ETHERTYPE_IP, {BPF_STMT(BPF_RET | BPF_K, 0)});
    std::signal(SIGINT, on_stop);
    std::signal(SIGTERM, on_stop);

    std::map<std::string, std::uint64_t> sent;
    std::vector<std::size_t> next(kinds.size(), 0);
    std::uint64_t total = 0, due = 0, shortfall = 0;
    std::vector<const f::Bytes*> batch;
    std::vector<std::size_t> batch_kind;
    const double t0 = now_s();
    while (!g_stop) {
      const double t = now_s() - t0;
      if (o.duration_s > 0 && t >= o.duration_s) break;
      const auto want = static_cast<std::uint64_t>(t * o.rate);
      // After a stall, at most 10 ms of catch-up: the rate is a ceiling, not a debt.
      if (want > due + static_cast<std::uint64_t>(o.rate / 100)) due = want - static_cast<std::uint64_t>(o.rate / 100);
      batch.clear();
      batch_kind.clear();
      for (; due < want; ++due) {
        const std::size_t k = due % kinds.size();  // the kinds in turn: one third each
        batch.push_back(&kinds[k].frames[next[k]++ % kinds[k].frames.size()]);
        batch_kind.push_back(k);
      }
      std::size_t done = 0;
      while (done < batch.size()) {
        const std::size_t n = sock.send(std::span(batch).subspan(done, std::min<std::size_t>(batch.size() - done, 64)));
        if (n == 0) break;
        for (std::size_t i = done; i < done + n; ++i) ++sent[kinds[batch_kind[i]].name];
        done += n;
      }
      shortfall += batch.size() - done;
      total += done;
      timespec ts{0, 1000000};  // 1 ms
      nanosleep(&ts, nullptr);
    }
    const double elapsed = now_s() - t0;
    nlohmann::json j{{"rate_asked", o.rate}, {"seconds", elapsed}, {"sent", total},
                     {"rate_sent", elapsed > 0 ? static_cast<double>(total) / elapsed : 0.0},
                     {"shortfall", shortfall}, {"by_kind", sent}};
    std::fprintf(stderr, "xvrrp-flood: %llu packets in %.1f s (%.0f/s, asked %.0f/s)\n",
                 static_cast<unsigned long long>(total), elapsed, j["rate_sent"].get<double>(), o.rate);
    if (!o.json_path.empty()) {
      std::ofstream out(o.json_path);
      out << j.dump(1) << "\n";
    } else {
      std::printf("%s\n", j.dump(1).c_str());
    }
    return 0;
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "xvrrp-flood: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "xvrrp-flood: %s\n", e.what());
    return 1;
  }
}
