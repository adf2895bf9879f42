// The query of /status/vips (group=N&offset=O&limit=L): which page of a group's VIPs a client
// asks for, held to limits so that one request costs the daemon's loop one bounded page.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace xvrrp {

struct VipPage {
    std::size_t group = 0;   // 1-based, as --check-config's GROUP column and /metrics' group label
    std::size_t offset = 0;  // first VIP of the page (0-based, in the group's order)
    std::size_t limit = 0;   // at most this many VIPs
};

inline constexpr std::size_t kVipPageDefault = 256;
inline constexpr std::size_t kVipPageMax = 1024;

// `groups`: how many groups the plan has. group is required (1..groups); offset defaults to 0;
// limit to kVipPageDefault and may not exceed kVipPageMax. Unknown parameters are ignored. On a
// bad or missing value: nullopt, and `error` names the parameter and what it takes.
std::optional<VipPage> parse_vip_page(std::string_view query, std::size_t groups, std::string& error);

}  // namespace xvrrp
