#include "core/vip_page.hpp"

#include <fmt/format.h>

#include <charconv>

namespace xvrrp {
namespace {

// "a=1&b=2" -> the value of the first `name`, if present.
std::optional<std::string_view> query_value(std::string_view query, std::string_view name) {
    while (!query.empty()) {
        auto amp = query.find('&');
        std::string_view kv = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        auto eq = kv.find('=');
        if (kv.substr(0, eq) == name) return eq == std::string_view::npos ? std::string_view{} : kv.substr(eq + 1);
    }
    return std::nullopt;
}

// A decimal number in [lo, hi] (no sign, no spaces), or `fallback` when absent and not required.
std::optional<std::size_t> number(std::string_view query, std::string_view name, std::size_t fallback, std::size_t lo,
                                  std::size_t hi, bool required, std::string& error) {
    auto v = query_value(query, name);
    if (!v) {
        if (!required) return fallback;
        error = fmt::format("{}: required (a number {}..{})", name, lo, hi);
        return std::nullopt;
    }
    std::size_t n = 0;
    auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
    if (v->empty() || ec != std::errc{} || end != v->data() + v->size() || n < lo || n > hi) {
        // At most 32 bytes of what was sent, with anything unprintable replaced.
        std::string shown;
        for (char c : v->substr(0, 32)) shown += (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') ? c : '?';
        error = fmt::format("{}: expected a number {}..{}, got \"{}\"", name, lo, hi, shown);
        return std::nullopt;
    }
    return n;
}

}  // namespace

std::optional<VipPage> parse_vip_page(std::string_view query, std::size_t groups, std::string& error) {
    if (groups == 0) {
        error = "group: this plan has no groups";
        return std::nullopt;
    }
    auto group = number(query, "group", 0, 1, groups, true, error);
    if (!group) return std::nullopt;
    // Offsets past the end give an empty page; the bound only keeps offset + limit from wrapping.
    auto offset = number(query, "offset", 0, 0, std::size_t{1} << 32, false, error);
    if (!offset) return std::nullopt;
    auto limit = number(query, "limit", kVipPageDefault, 1, kVipPageMax, false, error);
    if (!limit) return std::nullopt;
    return VipPage{*group, *offset, *limit};
}

}  // namespace xvrrp
