#include "tcp_probe.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "report.hpp"

using namespace xvrrp::probe;

namespace {

double now_ms() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

const std::uint32_t kLoopback = htonl(INADDR_LOOPBACK);

// Runs prober (and server, when given) in this thread for ms milliseconds.
std::vector<std::string> drive(TcpProber& prober, TcpNameServer* server, double ms) {
  std::vector<std::string> names;
  const double end = now_ms() + ms;
  while (now_ms() < end) {
    prober.tick(now_ms());
    if (server) server->serve_pending();
    prober.handle_ready([&](std::size_t vip, const std::string& name) {
      EXPECT_EQ(vip, 0u);
      names.push_back(name);
    });
    usleep(200);
  }
  return names;
}

}  // namespace

TEST(SpreadSample, FirstAndLastAndEvenlyBetween) {
  auto s = spread_sample(254, 8);
  ASSERT_EQ(s.size(), 8u);
  EXPECT_EQ(s.front(), 0u);
  EXPECT_EQ(s.back(), 253u);
  for (std::size_t k = 1; k < s.size(); ++k) {
    EXPECT_GT(s[k], s[k - 1]);
    EXPECT_NEAR(static_cast<double>(s[k] - s[k - 1]), 253.0 / 7, 1.0);
  }
}

TEST(SpreadSample, AllWhenZeroOrMoreThanThereAre) {
  EXPECT_EQ(spread_sample(5, 0), (std::vector<std::size_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(spread_sample(5, 9), (std::vector<std::size_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(spread_sample(5, 1), (std::vector<std::size_t>{0}));
  EXPECT_EQ(spread_sample(5, 2), (std::vector<std::size_t>{0, 4}));
  EXPECT_TRUE(spread_sample(0, 3).empty());
}

TEST(Greeting, ANameIsOneLineOfPrintableCharacters) {
  EXPECT_EQ(parse_greeting("n1\n"), "n1");
  EXPECT_EQ(parse_greeting("node-2\nrest"), "node-2");
  EXPECT_FALSE(parse_greeting("n1"));  // not complete yet
  EXPECT_FALSE(greeting_invalid("n1"));
  EXPECT_TRUE(greeting_invalid("\n"));
  EXPECT_TRUE(greeting_invalid("a b\n"));
  EXPECT_TRUE(greeting_invalid("n1\r\n"));
  EXPECT_TRUE(greeting_invalid(std::string(kMaxName + 1, 'x')));
  EXPECT_FALSE(parse_greeting(std::string(kMaxName + 1, 'x') + "\n"));
}

TEST(NameIds, OneStandInPerName) {
  NameIds ids;
  const Mac a = ids.id("n1"), b = ids.id("n2");
  EXPECT_NE(a, b);
  EXPECT_EQ(ids.id("n1"), a);
  EXPECT_EQ(ids.names().at(a), "n1");
  EXPECT_EQ(ids.names().at(b), "n2");
}

TEST(Report, TcpEntryBesideArpKnownByNodeName) {
  NameIds ids;
  MacNames names{{Mac{2, 0x58, 0x56, 0, 0, 1}, "n1"}};
  std::vector<VipResult> vips;
  vips.push_back(VipResult{htonl(0xc6336401), AnswerLog(3), std::nullopt, AnswerLog(15), {}});
  vips.push_back(VipResult{htonl(0xc6336402), AnswerLog(3), std::nullopt, std::nullopt, {}});
  for (double t = 0; t <= 100; t += 1) vips[0].arp.record(t, Mac{2, 0x58, 0x56, 0, 0, 1});
  for (double t = 0; t <= 40; t += 5) vips[0].tcp->record(t, ids.id("n1"));
  for (double t = 90; t <= 100; t += 5) vips[0].tcp->record(t, ids.id("n2"));
  vips[0].tcp->finish(100);
  vips[0].tcp_counts.connects = 21;
  vips[0].tcp_counts.timeouts = 9;
  RunInfo run;
  run.tcp_port = 8080;
  run.tcp_interval_ms = 5;
  auto j = make_summary(run, vips, names, ids.names());
  const auto& tcp = j["vips"][0]["tcp"];
  EXPECT_EQ(tcp["replies"], 12);
  EXPECT_EQ(tcp["longest_gap_ms"], 50.0);
  ASSERT_EQ(tcp["gaps"].size(), 1u);
  EXPECT_EQ(tcp["runs"][1]["name"], "n2");
  EXPECT_FALSE(tcp["runs"][1].contains("mac"));
  EXPECT_EQ(tcp["nodes"].size(), 2u);
  EXPECT_EQ(tcp["connects"], 21);
  EXPECT_EQ(tcp["timeouts"], 9);
  EXPECT_FALSE(j["vips"][1].contains("tcp"));
  EXPECT_EQ(j["vips"][0]["arp"]["runs"][0]["mac"], "02:58:56:00:00:01");
  EXPECT_EQ(j["summary"]["tcp_worst_gap_ms"], 50.0);
  EXPECT_EQ(j["summary"]["tcp_vips"], 1);
  EXPECT_EQ(j["tcp"]["port"], 8080);

  RunInfo no_tcp;
  auto plain = make_summary(no_tcp, vips, names);
  EXPECT_FALSE(plain.contains("tcp"));
  EXPECT_FALSE(plain["summary"].contains("tcp_worst_gap_ms"));
}

// The real sockets on loopback: every connection brings the listener's name back; once it is
// gone the connections are refused (a VIP local on a node without a listener); a listener that
// never accepts lets them time out.
TEST(TcpProber, AnswersByNameThenRefusedWithoutListener) {
  auto server = std::make_unique<TcpNameServer>(kLoopback, 0, "n7");
  const std::uint16_t port = server->port();
  TcpProber prober({kLoopback}, port, 2.0, 50.0, 0, 512);
  auto names = drive(prober, server.get(), 100);
  ASSERT_GE(names.size(), 20u) << "one connection every 2 ms for 100 ms";
  for (const auto& n : names) EXPECT_EQ(n, "n7");
  EXPECT_EQ(prober.counts(0).answered, names.size());
  EXPECT_EQ(prober.counts(0).failed, 0u);
  server.reset();
  names = drive(prober, nullptr, 60);
  EXPECT_TRUE(names.empty());
  EXPECT_GE(prober.counts(0).refused, 10u);
  EXPECT_LE(prober.in_flight(), 30u);
}

TEST(TcpProber, SilentListenerTimesOut) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = kLoopback;
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  ASSERT_EQ(listen(fd, 64), 0);
  socklen_t len = sizeof sa;
  getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
  TcpProber prober({kLoopback}, ntohs(sa.sin_port), 5.0, 20.0, 0, 512);
  auto names = drive(prober, nullptr, 80);
  close(fd);
  EXPECT_TRUE(names.empty());
  EXPECT_GE(prober.counts(0).timeouts, 8u);
  EXPECT_LE(prober.in_flight(), 5u) << "abandoned connections are closed";
}
