#include "vip_list.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

using namespace xvrrp::probe;

namespace {
std::vector<std::string> expand(const std::string& text) {
  std::vector<std::uint32_t> out;
  parse_vip_list(text, out);
  std::vector<std::string> s;
  for (auto v : out) s.push_back(format_ip(v));
  return s;
}
}  // namespace

TEST(VipList, AddressesAndBothRangeForms) {
  EXPECT_EQ(expand("198.51.100.1-3, 198.18.0.9 198.18.1.1-198.18.1.2"),
            (std::vector<std::string>{"198.51.100.1", "198.51.100.2", "198.51.100.3", "198.18.0.9",
                                      "198.18.1.1", "198.18.1.2"}));
}

TEST(VipList, RejectsBadEntriesNamingThem) {
  for (const char* bad : {"198.51.100.300", "198.51.100.5-3", "198.51.100.1-198.51.101.2",
                          "198.51.100.1-", "198.51.100.1,198.51.100.1", "2001:db8::1", "x"}) {
    try {
      expand(bad);
      ADD_FAILURE() << bad << " accepted";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find('\''), std::string::npos) << e.what();
    }
  }
}
