#include "vip_list.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <sstream>
#include <stdexcept>
#include <unordered_set>

namespace xvrrp::probe {
namespace {

std::uint32_t parse_ip(const std::string& text, const std::string& entry) {
  in_addr a{};
  if (inet_pton(AF_INET, text.c_str(), &a) != 1)
    throw std::invalid_argument("'" + entry + "' is not an IPv4 address or range");
  return a.s_addr;
}

}  // namespace

std::string format_ip(std::uint32_t net_order) {
  char text[INET_ADDRSTRLEN];
  in_addr a{net_order};
  inet_ntop(AF_INET, &a, text, sizeof text);
  return text;
}

void parse_vip_list(const std::string& text, std::vector<std::uint32_t>& out) {
  std::string spaced = text;
  std::replace(spaced.begin(), spaced.end(), ',', ' ');
  std::istringstream words(spaced);
  std::unordered_set<std::uint32_t> seen(out.begin(), out.end());
  std::string entry;
  while (words >> entry) {
    const auto dash = entry.find('-');
    const std::uint32_t first = ntohl(parse_ip(entry.substr(0, dash), entry));
    std::uint32_t last = first;
    if (dash != std::string::npos) {
      const std::string end = entry.substr(dash + 1);
      if (end.find('.') != std::string::npos) {
        last = ntohl(parse_ip(end, entry));
      } else {
        if (end.empty() || end.size() > 3 || !std::all_of(end.begin(), end.end(), ::isdigit))
          throw std::invalid_argument("'" + entry + "': range end must be the last octet");
        const unsigned octet = static_cast<unsigned>(std::stoul(end));
        if (octet > 255) throw std::invalid_argument("'" + entry + "': last octet above 255");
        last = (first & 0xffffff00u) | octet;
      }
      if ((last & 0xffffff00u) != (first & 0xffffff00u))
        throw std::invalid_argument("'" + entry + "': a range stays within one /24");
      if (last < first) throw std::invalid_argument("'" + entry + "': range is reversed");
    }
    for (std::uint32_t ip = first;; ++ip) {
      const std::uint32_t net = htonl(ip);
      if (!seen.insert(net).second)
        throw std::invalid_argument("'" + entry + "': " + format_ip(net) + " listed twice");
      out.push_back(net);
      if (ip == last) break;
    }
  }
}

}  // namespace xvrrp::probe
