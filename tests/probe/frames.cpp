#include "frames.hpp"

#include <arpa/inet.h>
#include <net/ethernet.h>

#include <algorithm>
#include <cstring>

namespace xvrrp::probe {
namespace {

void put16(std::uint8_t* at, std::uint16_t host_value) {
  at[0] = static_cast<std::uint8_t>(host_value >> 8);
  at[1] = static_cast<std::uint8_t>(host_value);
}
std::uint16_t get16(const std::uint8_t* at) {
  return static_cast<std::uint16_t>((at[0] << 8) | at[1]);
}
void put_ip(std::uint8_t* at, std::uint32_t net_value) { std::memcpy(at, &net_value, 4); }
std::uint32_t get_ip(const std::uint8_t* at) {
  std::uint32_t v;
  std::memcpy(&v, at, 4);
  return v;
}
void put_mac(std::uint8_t* at, const Mac& mac) { std::copy(mac.begin(), mac.end(), at); }
Mac get_mac(const std::uint8_t* at) {
  Mac m;
  std::copy(at, at + 6, m.begin());
  return m;
}

}  // namespace

std::uint16_t internet_checksum(std::span<const std::uint8_t> bytes) {
  std::uint32_t sum = 0;
  std::size_t i = 0;
  for (; i + 1 < bytes.size(); i += 2) sum += get16(&bytes[i]);
  if (i < bytes.size()) sum += static_cast<std::uint32_t>(bytes[i]) << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum);
}

std::vector<std::uint8_t> arp_request(const Host& me, std::uint32_t target_ip) {
  std::vector<std::uint8_t> f(kArpFrameSize, 0);
  std::fill(f.begin(), f.begin() + 6, 0xff);  // broadcast
  put_mac(&f[6], me.mac);
  put16(&f[12], ETHERTYPE_ARP);
  put16(&f[14], 1);               // hardware type: Ethernet
  put16(&f[16], ETHERTYPE_IP);    // protocol type
  f[18] = 6;                      // hardware address length
  f[19] = 4;                      // protocol address length
  put16(&f[20], 1);               // op: request
  put_mac(&f[22], me.mac);        // sender hardware address
  put_ip(&f[28], me.ip);          // sender protocol address
  /* target hardware address stays zero */
  put_ip(&f[38], target_ip);
  return f;
}

std::optional<ArpAnswer> parse_arp_reply(std::span<const std::uint8_t> f, const Host& me) {
  if (f.size() < kArpFrameSize) return std::nullopt;
  if (get16(&f[12]) != ETHERTYPE_ARP || get16(&f[14]) != 1 || get16(&f[16]) != ETHERTYPE_IP ||
      f[18] != 6 || f[19] != 4 || get16(&f[20]) != 2)
    return std::nullopt;
  // Only answers to our own requests count; gratuitous replies (target = the VIP itself) do not.
  if (get_ip(&f[38]) != me.ip || get_mac(&f[32]) != me.mac) return std::nullopt;
  return ArpAnswer{get_ip(&f[28]), get_mac(&f[22])};
}

std::vector<std::uint8_t> echo_request(const Host& me, const Mac& next_hop, std::uint32_t target_ip,
                                       std::uint16_t id, std::uint16_t seq) {
  std::vector<std::uint8_t> f(kEchoFrameSize, 0);
  put_mac(&f[0], next_hop);
  put_mac(&f[6], me.mac);
  put16(&f[12], ETHERTYPE_IP);
  std::uint8_t* ip = &f[14];
  ip[0] = 0x45;                   // IPv4, 20-byte header
  put16(&ip[2], 28);              // total length
  put16(&ip[4], seq);             // identification
  ip[8] = 64;                     // TTL
  ip[9] = 1;                      // ICMP
  put_ip(&ip[12], me.ip);
  put_ip(&ip[16], target_ip);
  put16(&ip[10], internet_checksum({ip, 20}));
  std::uint8_t* icmp = &f[34];
  icmp[0] = 8;                    // echo request
  put16(&icmp[4], id);
  put16(&icmp[6], seq);
  put16(&icmp[2], internet_checksum({icmp, 8}));
  return f;
}

std::optional<EchoAnswer> parse_echo_reply(std::span<const std::uint8_t> f, const Host& me,
                                           std::uint16_t id) {
  if (f.size() < 14 + 20 + 8 || get16(&f[12]) != ETHERTYPE_IP) return std::nullopt;
  const std::uint8_t* ip = &f[14];
  const std::size_t ihl = static_cast<std::size_t>(ip[0] & 0x0f) * 4;
  if ((ip[0] >> 4) != 4 || ihl < 20 || f.size() < 14 + ihl + 8 || ip[9] != 1) return std::nullopt;
  if (get_ip(&ip[16]) != me.ip) return std::nullopt;
  const std::uint8_t* icmp = ip + ihl;
  if (icmp[0] != 0 || icmp[1] != 0 || get16(&icmp[4]) != id) return std::nullopt;
  return EchoAnswer{get_ip(&ip[12]), get_mac(&f[6]), get16(&icmp[6])};
}

}  // namespace xvrrp::probe
