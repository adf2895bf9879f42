#include "core/config.hpp"

#include "core/vrrp_packet.hpp"
#include <xvrrp/abi.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <limits>

namespace xvrrp {
namespace {

constexpr std::string_view kVips = "OPENSHIFT_HA_VIRTUAL_IPS";
constexpr std::string_view kVipHelp =
    "comma- or space-separated IPv4/IPv6 addresses or ranges on the last IPv4 octet "
    "(1.2.3.4-6 or 1.2.3.4-1.2.3.6) or the last IPv6 group (2001:db8::1f39-1f3b)";

constexpr auto kVariables = std::to_array<std::string_view>({
    "OPENSHIFT_HA_CONFIG_NAME",
    "OPENSHIFT_HA_VIRTUAL_IPS",
    "OPENSHIFT_HA_VIP_GROUPS",
    "OPENSHIFT_HA_VRRP_ID_OFFSET",
    "HA_EXCLUDED_VRRP_IDS",
    "OPENSHIFT_HA_EXCLUDED_VRRP_IDS",
    "OPENSHIFT_HA_NETWORK_INTERFACE",
    "OPENSHIFT_HA_MONITOR_PORT",
    "OPENSHIFT_HA_CHECK_SCRIPT",
    "OPENSHIFT_HA_CHECK_INTERVAL",
    "OPENSHIFT_HA_NOTIFY_SCRIPT",
    "OPENSHIFT_HA_PREEMPTION",
    "OPENSHIFT_HA_REPLICA_COUNT",
    "OPENSHIFT_HA_USE_UNICAST",
    "OPENSHIFT_HA_UNICAST_PEERS",
    "UNICAST_SOURCE_IPADDRESS",
    "MULTICAST_SOURCE_IPADDRESS",
    "OPENSHIFT_HA_IPTABLES_CHAIN",
    "OPENSHIFT_HA_NFTABLES_RULE",
    "OPENSHIFT_HA_SELECTOR",
    "OPENSHIFT_HA_ADMIN_EMAILS",
    "OPENSHIFT_HA_SMTP_SERVER",
    "XVRRP_VRRP_VERSION",
    "XVRRP_ADVERT_INTERVAL",
    "XVRRP_V3_CHECKSUM",
    "XVRRP_PRIORITY_SCHEME",
    "XVRRP_RUNTIME_DIR",
    "XVRRP_HTTP_ADDR",
    "XVRRP_LOG_LEVEL",
    "XVRRP_LOG_FORMAT",
    "XVRRP_DATAPLANE",
    "XVRRP_VIP_ADDRESSES",
    "XVRRP_V2_AUTH",
});

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return s;
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>((c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c);
    return out;
}

// Splits on whitespace only; never yields empty pieces.
std::vector<std::string_view> split_words(std::string_view s) {
    std::vector<std::string_view> out;
    std::size_t i = 0;
    while (i < s.size()) {
        while (i < s.size() && is_space(s[i])) ++i;
        std::size_t j = i;
        while (j < s.size() && !is_space(s[j])) ++j;
        if (j > i) out.push_back(s.substr(i, j - i));
        i = j;
    }
    return out;
}

// Splits a list separated by commas and/or whitespace. A comma with nothing before or after it
// (",,", a leading or trailing comma) is an empty entry: returns nullopt.
std::optional<std::vector<std::string_view>> split_list(std::string_view s) {
    std::vector<std::string_view> out;
    std::size_t start = 0;
    while (true) {
        std::size_t comma = s.find(',', start);
        std::string_view piece = s.substr(start, comma == std::string_view::npos ? s.npos : comma - start);
        auto words = split_words(piece);
        if (words.empty()) return std::nullopt;
        out.insert(out.end(), words.begin(), words.end());
        if (comma == std::string_view::npos) break;
        start = comma + 1;
    }
    return out;
}

std::optional<unsigned long> parse_uint(std::string_view s, unsigned long min, unsigned long max,
                                        int base = 10) {
    if (s.empty()) return std::nullopt;
    unsigned long v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
    if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
    if (v < min || v > max) return std::nullopt;
    return v;
}

bool all_hex(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    });
}

// Addresses that can never be a virtual address (RFC 1122 §3.2.1.3, RFC 4291 §2.5).
std::optional<std::string_view> unusable_reason(const IpAddress& a) {
    const auto& b = a.bytes();
    if (a.is_v4()) {
        std::uint32_t v = a.v4_host_order();
        if (v == 0) return "the unspecified address";
        if (v == 0xffffffffu) return "the broadcast address";
        if (b[0] == 127) return "a loopback address";
        if ((b[0] & 0xf0) == 0xe0) return "a multicast address";
        return std::nullopt;
    }
    if (b[0] == 0xff) return "a multicast address";
    bool zero15 = std::all_of(b.begin(), b.begin() + 15, [](std::uint8_t x) { return x == 0; });
    if (zero15 && b[15] == 0) return "the unspecified address";
    if (zero15 && b[15] == 1) return "the loopback address";
    return std::nullopt;
}

ConfigError vip_error(std::string_view text, std::string what) {
    return ConfigError{std::string(kVips), std::string(text), fmt::format("{}; accepted: {}", what, kVipHelp)};
}

// The data plane's VIP maps hold XVRRP_MAX_VIPS addresses (include/xvrrp/abi.h).
constexpr std::size_t kMaxVips = XVRRP_MAX_VIPS;

// Expands one entry (address or range) onto `out`; returns an error text or empty.
std::string expand_entry(std::string_view entry, std::vector<IpAddress>& out) {
    if (entry.find('/') != std::string_view::npos)
        return fmt::format("entry \"{}\" has a prefix length; give bare addresses", entry);
    auto dash = entry.find('-');
    if (dash == std::string_view::npos) {
        auto a = IpAddress::parse(entry);
        if (!a) return fmt::format("entry \"{}\" is not an IP address", entry);
        if (auto why = unusable_reason(*a)) return fmt::format("entry \"{}\" is {}", entry, *why);
        out.push_back(*a);
        return {};
    }
    std::string_view first = entry.substr(0, dash);
    std::string_view last = entry.substr(dash + 1);
    if (last.find('-') != std::string_view::npos || first.empty() || last.empty())
        return fmt::format("entry \"{}\" is not a range of the form START-END", entry);
    auto start = IpAddress::parse(first);
    if (!start) return fmt::format("entry \"{}\": \"{}\" is not an IP address", entry, first);
    unsigned lo = 0, hi = 0;
    if (start->is_v4()) {
        lo = start->bytes()[3];
        if (last.find('.') != std::string_view::npos) {
            // The generator's second form: the full end address; only its last octet may differ.
            auto end = IpAddress::parse(last);
            if (!end || !end->is_v4())
                return fmt::format("entry \"{}\": \"{}\" is not an IPv4 address", entry, last);
            if (!std::equal(end->bytes().begin(), end->bytes().begin() + 3, start->bytes().begin()))
                return fmt::format("entry \"{}\" crosses an octet boundary; a range may only vary the last octet", entry);
            hi = end->bytes()[3];
        } else {
            auto v = parse_uint(last, 0, 255);
            if (!v) return fmt::format("entry \"{}\": range end \"{}\" is not an octet 0..255", entry, last);
            hi = static_cast<unsigned>(*v);
        }
    } else {
        // The range varies the last 16-bit group. The generator feeds it to `bc`, which only reads
        // upper-case hex, so it silently drops lower-case ranges; we accept either case.
        if (first.find('.') != std::string_view::npos)
            return fmt::format("entry \"{}\": an IPv6 range must end in a hex group, not a dotted IPv4 tail", entry);
        if (!all_hex(last) || last.size() > 4)
            return fmt::format("entry \"{}\": range end \"{}\" is not a hex group of 1 to 4 digits", entry, last);
        lo = (unsigned{start->bytes()[14]} << 8) | start->bytes()[15];
        hi = static_cast<unsigned>(*parse_uint(last, 0, 0xffff, 16));
    }
    if (hi < lo) return fmt::format("entry \"{}\" is a reversed range (end below start)", entry);
    for (unsigned v = lo; v <= hi; ++v) {
        IpAddress a;
        if (start->is_v4()) {
            a = IpAddress::v4((start->v4_host_order() & 0xffffff00u) | v);
        } else {
            auto bytes = start->bytes();
            bytes[14] = static_cast<std::uint8_t>(v >> 8);
            bytes[15] = static_cast<std::uint8_t>(v);
            a = IpAddress::v6(bytes);
        }
        if (auto why = unusable_reason(a))
            return fmt::format("entry \"{}\" includes {} ({})", entry, a.to_string(), *why);
        out.push_back(a);
    }
    return {};
}

// Reads variables, treating an empty (or blank) value as unset, as the generator's ${VAR:-default}.
class Reader {
public:
    explicit Reader(const EnvLookup& env) : env_(env) {}
    std::optional<std::string> get(std::string_view name) const {
        auto v = env_(name);
        if (!v || trim(*v).empty()) return std::nullopt;
        return std::string(trim(*v));
    }

private:
    const EnvLookup& env_;
};

ConfigError error(std::string_view var, std::string_view value, std::string accepted) {
    return ConfigError{std::string(var), std::string(value), std::move(accepted)};
}

// Parses a whole-number variable in [min, max]; `out` keeps its default when unset.
template <class T>
std::optional<ConfigError> read_uint(const Reader& r, std::string_view var, unsigned long min,
                                     unsigned long max, std::string_view meaning, T& out) {
    auto v = r.get(var);
    if (!v) return std::nullopt;
    auto n = parse_uint(*v, min, max);
    if (!n) return error(var, *v, fmt::format("expected a whole number {}..{} ({})", min, max, meaning));
    out = static_cast<T>(*n);
    return std::nullopt;
}

// A script command line: keepalived splits `script "..."` on blanks, so arguments are allowed;
// the first word must be an absolute path to an executable file.
std::optional<ConfigError> read_script(const Reader& r, std::string_view var, const ExecutableProbe& probe,
                                       std::vector<std::string>& out) {
    auto v = r.get(var);
    if (!v) return std::nullopt;
    auto words = split_words(*v);
    std::string path(words.front());
    if (path.front() != '/')
        return error(var, *v, "expected the full path of an executable script (optionally followed by arguments)");
    if (probe) {
        if (auto why = probe(path))
            return error(var, *v, fmt::format("{} {}; expected an existing executable script", path, *why));
    }
    out.assign(words.begin(), words.end());
    return std::nullopt;
}

// keepalived's advert_int, in centiseconds: "1", "0.5", "0.01"; returns nullopt when malformed or
// finer than 10 ms.
std::optional<unsigned long> parse_centiseconds(std::string_view s) {
    auto dot = s.find('.');
    std::string_view whole = s.substr(0, dot);
    std::string_view frac = dot == s.npos ? std::string_view{} : s.substr(dot + 1);
    if (whole.empty() && frac.empty()) return std::nullopt;
    unsigned long w = 0;
    if (!whole.empty()) {
        auto v = parse_uint(whole, 0, 100000);
        if (!v) return std::nullopt;
        w = *v;
    }
    if (dot != s.npos && frac.empty()) return std::nullopt;
    if (!frac.empty() && !std::all_of(frac.begin(), frac.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return std::nullopt;
    if (frac.size() > 2 && frac.substr(2).find_first_not_of('0') != std::string_view::npos) return std::nullopt;
    std::string f(frac.substr(0, 2));
    while (f.size() < 2) f.push_back('0');
    return w * 100 + (f[0] - '0') * 10 + (f[1] - '0');
}

bool valid_interface_name(std::string_view n) {
    // Linux dev_valid_name(): 1..15 bytes, not "." or "..", no '/', ':' or whitespace.
    if (n.empty() || n.size() > 15 || n == "." || n == "..") return false;
    return std::none_of(n.begin(), n.end(), [](char c) { return c == '/' || c == ':' || is_space(c); });
}

std::optional<ConfigError> read_http(const Reader& r, HttpListen& out) {
    constexpr std::string_view var = "XVRRP_HTTP_ADDR";
    auto v = r.get(var);
    if (!v) return std::nullopt;
    auto bad = [&] {
        return error(var, *v, "expected [HOST]:PORT with an IP literal host (\":63000\", \"127.0.0.1:63000\", "
                              "\"[::1]:63000\") and port 1..65535, or \"off\"");
    };
    if (lower(*v) == "off") {
        out.enabled = false;
        return std::nullopt;
    }
    auto colon = v->rfind(':');
    if (colon == std::string::npos) return bad();
    std::string_view host = std::string_view(*v).substr(0, colon);
    auto port = parse_uint(std::string_view(*v).substr(colon + 1), 1, 65535);
    if (!port) return bad();
    if (!host.empty() && host.front() == '[') {
        if (host.size() < 2 || host.back() != ']') return bad();
        host = host.substr(1, host.size() - 2);
        auto a = IpAddress::parse(host);
        if (!a || !a->is_v6()) return bad();
    } else if (!host.empty()) {
        auto a = IpAddress::parse(host);
        if (!a || !a->is_v4()) return bad();
    }
    out.enabled = true;
    out.host = std::string(host);
    out.host_set = true;
    out.port = static_cast<std::uint16_t>(*port);
    return std::nullopt;
}

std::optional<ConfigError> read_address(const Reader& r, std::string_view var, std::optional<IpAddress>& out) {
    auto v = r.get(var);
    if (!v) return std::nullopt;
    auto a = IpAddress::parse(*v);
    if (!a || unusable_reason(*a)) return error(var, *v, "expected one unicast IPv4 or IPv6 address");
    out = *a;
    return std::nullopt;
}

std::string format_vrids(const std::vector<unsigned>& ids) {
    std::string s;
    for (unsigned id : ids) s += (s.empty() ? "" : ", ") + std::to_string(id);
    return s;
}

// The body of parse_config, split so each step can return its first error.
std::optional<ConfigError> fill(const Reader& r, const ExecutableProbe& probe, Config& c) {
    // --- Identity ---
    if (auto v = r.get("OPENSHIFT_HA_CONFIG_NAME")) {
        bool blank_or_control = std::any_of(v->begin(), v->end(), [](char ch) {
            return is_space(ch) || static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f || ch == '"';
        });
        if (blank_or_control || scrub_name(*v).empty())
            return error("OPENSHIFT_HA_CONFIG_NAME", *v,
                         "expected a name with at least one of [A-Za-z0-9_-] and no blanks, quotes or control characters");
        c.config_name = *v;
    }
    c.instance_base = scrub_name(c.config_name);
    // keepalived truncates auth_pass to the 8 bytes of the VRRPv2 authentication data (RFC 2338 §5.3.10).
    c.auth_key = c.config_name.substr(0, 8);

    // --- Virtual addresses and groups ---
    {
        auto v = r.get(kVips);
        if (!v) return error(kVips, r.get(kVips).value_or(""), fmt::format("required; {}", kVipHelp));
        auto vips = parse_vip_list(*v);
        if (!vips) return vips.error();
        c.vips = vips.value();
    }
    std::size_t groups = 0;
    if (auto e = read_uint(r, "OPENSHIFT_HA_VIP_GROUPS", 0, 255, "number of VRRP groups; 0 = one per address", groups))
        return e;
    if (groups > c.vips.size())
        c.warnings.push_back(fmt::format(
            "OPENSHIFT_HA_VIP_GROUPS={} is more than the {} virtual addresses: using one group per address", groups,
            c.vips.size()));
    c.group_sizes = split_vip_groups(c.vips.size(), groups);
    {
        std::size_t at = 0;
        std::vector<std::size_t> oversized;
        for (std::size_t g = 0; g < c.group_sizes.size(); ++g) {
            std::size_t n = c.group_sizes[g];
            for (std::size_t i = at + 1; i < at + n; ++i) {
                if (c.vips[i].family() != c.vips[at].family())
                    return vip_error(r.get(kVips).value_or(""),
                                     fmt::format("group {} mixes IPv4 and IPv6 ({} and {}); a VRRP group carries one "
                                                 "family (RFC 5798 §5.2.9), so adjust OPENSHIFT_HA_VIP_GROUPS",
                                                 g + 1, c.vips[at].to_string(), c.vips[i].to_string()));
            }
            // RFC 5798 §5.2.5: an advert lists at most 255 addresses (90 IPv6 ones in a 1500-byte
            // frame). A larger group still moves as one unit; its adverts list the first ones.
            if (n > advert_address_capacity(c.vips[at].family())) oversized.push_back(g + 1);
            at += n;
        }
        if (!oversized.empty()) {
            std::string which;
            for (std::size_t g : oversized) which += (which.empty() ? "" : ",") + std::to_string(g);
            c.warnings.push_back(fmt::format(
                "group(s) {} hold more addresses than one advert lists (255; 90 for IPv6): their adverts list "
                "the first ones, and every address of a group moves with it",
                which));
        }
    }

    // --- VRIDs ---
    auto offset_text = r.get("OPENSHIFT_HA_VRRP_ID_OFFSET");
    if (auto e = read_uint(r, "OPENSHIFT_HA_VRRP_ID_OFFSET", 0, 255, "first VRID minus one", c.vrid_offset)) return e;
    c.vrid_offset_set = offset_text.has_value();
    if (!c.vrid_offset_set)
        c.warnings.push_back(
            "OPENSHIFT_HA_VRRP_ID_OFFSET is unset: using 0 as the reference page says, but OpenShift's image has "
            "defaulted to 10 since 2025; set it explicitly on every node of a mixed cluster");
    for (std::string_view var : {"HA_EXCLUDED_VRRP_IDS", "OPENSHIFT_HA_EXCLUDED_VRRP_IDS"}) {
        auto v = r.get(var);
        if (!v) continue;
        auto items = split_list(*v);
        if (!items) return error(var, *v, "expected VRIDs 1..255 separated by spaces or commas (empty entry found)");
        for (auto item : *items) {
            auto n = parse_uint(item, 1, 255);
            if (!n)
                return error(var, *v, fmt::format("\"{}\" is not a VRID; expected VRIDs 1..255 separated by spaces "
                                                  "or commas", item));
            c.excluded_vrids.insert(static_cast<unsigned>(*n));
        }
    }
    auto vrids = assign_vrids(c.vrid_offset, c.excluded_vrids, c.group_sizes.size());
    std::vector<unsigned> too_big;
    std::vector<std::size_t> too_big_groups;
    for (std::size_t i = 0; i < vrids.size(); ++i) {
        if (vrids[i] > 255) {
            too_big.push_back(vrids[i]);
            too_big_groups.push_back(i + 1);
        }
    }
    if (!too_big.empty())
        return error("OPENSHIFT_HA_VRRP_ID_OFFSET", offset_text.value_or("0"),
                     fmt::format("groups {}..{} would get VRIDs {}; VRIDs must stay within 1..255 (offset + groups, "
                                 "plus excluded IDs skipped): lower the offset, exclude fewer IDs or use fewer groups",
                                 too_big_groups.front(), too_big_groups.back(),
                                 too_big.size() > 8 ? fmt::format("{}..{}", too_big.front(), too_big.back())
                                                    : format_vrids(too_big)));
    for (unsigned id : vrids) c.vrids.push_back(static_cast<std::uint8_t>(id));

    // --- Interface ---
    if (auto v = r.get("OPENSHIFT_HA_NETWORK_INTERFACE")) {
        if (!valid_interface_name(*v))
            return error("OPENSHIFT_HA_NETWORK_INTERFACE", *v,
                         "expected a network interface name (1 to 15 characters, no '/', ':' or blanks)");
        c.interface = *v;
    }

    // --- Checks and scripts ---
    if (auto e = read_uint(r, "OPENSHIFT_HA_MONITOR_PORT", 0, 65535, "TCP port checked on this node; 0 = no check",
                           c.monitor_port))
        return e;
    if (auto e = read_script(r, "OPENSHIFT_HA_CHECK_SCRIPT", probe, c.check_script)) return e;
    {
        unsigned long secs = 2;
        if (auto e = read_uint(r, "OPENSHIFT_HA_CHECK_INTERVAL", 1, 3600, "seconds between checks", secs)) return e;
        c.check_interval = std::chrono::seconds(secs);
    }
    if (auto e = read_script(r, "OPENSHIFT_HA_NOTIFY_SCRIPT", probe, c.notify_script)) return e;

    // --- Preemption ---
    if (auto v = r.get("OPENSHIFT_HA_PREEMPTION")) {
        auto words = split_words(*v);
        // keepalived bounds preempt_delay to 0..1000 s (TIMER_MAX_SEC).
        if (words.size() == 1 && words[0] == "nopreempt") {
            c.preemption = {PreemptMode::NoPreempt, std::chrono::seconds(0)};
        } else if (words.size() == 2 && words[0] == "preempt_delay" && parse_uint(words[1], 0, 1000)) {
            c.preemption = {PreemptMode::Delay, std::chrono::seconds(*parse_uint(words[1], 0, 1000))};
        } else {
            return error("OPENSHIFT_HA_PREEMPTION", *v,
                         "expected \"nopreempt\" or \"preempt_delay N\" with N whole seconds 0..1000");
        }
    }

    // --- Replicas, unicast, firewall ---
    if (auto e = read_uint(r, "OPENSHIFT_HA_REPLICA_COUNT", 1, 255, "nodes running this configuration",
                           c.replica_count))
        return e;
    if (auto v = r.get("OPENSHIFT_HA_UNICAST_PEERS")) {
        auto items = split_list(*v);
        if (!items)
            return error("OPENSHIFT_HA_UNICAST_PEERS", *v,
                         "empty entry; expected the nodes' addresses separated by commas or spaces");
        for (auto item : *items) {
            auto a = IpAddress::parse(item);
            if (!a || unusable_reason(*a))
                return error("OPENSHIFT_HA_UNICAST_PEERS", *v,
                             fmt::format("\"{}\" is not a unicast IP address; expected the nodes' addresses separated "
                                         "by commas or spaces",
                                         item));
            if (std::find(c.unicast_peers.begin(), c.unicast_peers.end(), *a) != c.unicast_peers.end())
                return error("OPENSHIFT_HA_UNICAST_PEERS", *v,
                             fmt::format("{} is listed twice; expected each node's address once", item));
            c.unicast_peers.push_back(*a);
        }
    }
    if (auto v = r.get("OPENSHIFT_HA_USE_UNICAST")) {
        auto l = lower(*v);
        if (l != "true" && l != "false")
            return error("OPENSHIFT_HA_USE_UNICAST", *v, "expected true or false");
        c.use_unicast = (l == "true");
        if (*c.use_unicast && c.unicast_peers.empty())
            return error("OPENSHIFT_HA_USE_UNICAST", *v,
                         "unicast needs OPENSHIFT_HA_UNICAST_PEERS, the nodes' addresses separated by commas");
        if (!*c.use_unicast && !c.unicast_peers.empty())
            c.warnings.push_back(
                "OPENSHIFT_HA_USE_UNICAST=false but OPENSHIFT_HA_UNICAST_PEERS is set: using unicast to the peers, as "
                "OpenShift's generator does (it never reads OPENSHIFT_HA_USE_UNICAST)");
    }
    c.firewall_rule = r.get("OPENSHIFT_HA_NFTABLES_RULE").has_value() || r.get("OPENSHIFT_HA_IPTABLES_CHAIN").has_value();
    // The generator writes mcast_src_ip then unicast_src_ip; keepalived treats both as the same
    // setting, so the unicast one wins when both are given.
    if (auto e = read_address(r, "MULTICAST_SOURCE_IPADDRESS", c.advert_source)) return e;
    if (auto e = read_address(r, "UNICAST_SOURCE_IPADDRESS", c.advert_source)) return e;

    // --- XVRRP_ extensions ---
    if (auto v = r.get("XVRRP_VRRP_VERSION")) {
        if (*v != "2" && *v != "3") return error("XVRRP_VRRP_VERSION", *v, "expected 2 or 3");
        c.vrrp_version = (*v == "3") ? 3 : 2;
    }
    if (auto v = r.get("XVRRP_ADVERT_INTERVAL")) {
        auto cs = parse_centiseconds(*v);
        if (c.vrrp_version == 2) {
            // RFC 3768 §5.3.7: an 8-bit count of whole seconds.
            if (!cs || *cs % 100 != 0 || *cs < 100 || *cs > 25500)
                return error("XVRRP_ADVERT_INTERVAL", *v, "expected whole seconds 1..255 with VRRPv2");
        } else {
            // RFC 5798 §5.2.7: 12 bits of centiseconds.
            if (!cs || *cs < 1 || *cs > 4095)
                return error("XVRRP_ADVERT_INTERVAL", *v,
                             "expected seconds 0.01..40.95 in steps of 0.01 with VRRPv3");
        }
        c.advert_interval = std::chrono::milliseconds(*cs * 10);
    }
    if (auto v = r.get("XVRRP_V3_CHECKSUM")) {
        if (*v == "pseudo-header") c.v3_checksum = V3Checksum::PseudoHeader;
        else if (*v == "no-pseudo-header") c.v3_checksum = V3Checksum::NoPseudoHeader;
        else
            return error("XVRRP_V3_CHECKSUM", *v, "expected pseudo-header or no-pseudo-header");
        if (c.vrrp_version == 2)
            c.warnings.push_back("XVRRP_V3_CHECKSUM has no effect with VRRPv2 (XVRRP_VRRP_VERSION=2)");
    }
    if (auto v = r.get("XVRRP_PRIORITY_SCHEME")) {
        if (*v == "generator") c.priority_scheme = PriorityScheme::Generator;
        else if (*v == "spread") c.priority_scheme = PriorityScheme::Spread;
        else return error("XVRRP_PRIORITY_SCHEME", *v, "expected generator or spread");
    }
    if (auto v = r.get("XVRRP_RUNTIME_DIR")) {
        if (v->front() != '/' || std::any_of(v->begin(), v->end(), is_space))
            return error("XVRRP_RUNTIME_DIR", *v, "expected an absolute directory path without blanks");
        c.runtime_dir = *v;
    }
    if (auto e = read_http(r, c.http)) return e;
    if (auto v = r.get("XVRRP_LOG_LEVEL")) {
        static constexpr std::array<std::string_view, 7> levels = {"trace", "debug", "info", "warn",
                                                                   "error", "critical", "off"};
        if (std::find(levels.begin(), levels.end(), *v) == levels.end())
            return error("XVRRP_LOG_LEVEL", *v, "expected trace, debug, info, warn, error, critical or off");
        c.log_level = *v;
    }
    if (auto v = r.get("XVRRP_DATAPLANE")) {
        if (*v == "xdp") c.dataplane = Dataplane::Xdp;
        else if (*v == "xdp-generic") c.dataplane = Dataplane::XdpGeneric;
        else if (*v == "kernel") c.dataplane = Dataplane::Kernel;
        else return error("XVRRP_DATAPLANE", *v, "expected xdp, xdp-generic or kernel");
    }
    if (auto v = r.get("XVRRP_VIP_ADDRESSES")) {
        if (*v == "on") c.vip_addresses = true;
        else if (*v == "off") c.vip_addresses = false;
        else return error("XVRRP_VIP_ADDRESSES", *v, "expected on or off");
    }
    // Applied by the entry point before anything is logged; checked here so --check-config and
    // --list-env know it.
    if (auto v = r.get("XVRRP_LOG_FORMAT"); v && *v != "text" && *v != "json")
        return error("XVRRP_LOG_FORMAT", *v, "expected text or json");
    if (auto v = r.get("XVRRP_V2_AUTH")) {
        if (*v == "pass") c.v2_auth_pass = true;
        else if (*v == "none") c.v2_auth_pass = false;
        else return error("XVRRP_V2_AUTH", *v, "expected pass or none");
    }
    return std::nullopt;
}

}  // namespace

EnvLookup env_from_map(std::map<std::string, std::string> vars) {
    return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
        auto it = vars.find(std::string(name));
        if (it == vars.end()) return std::nullopt;
        return it->second;
    };
}

// Control characters in the value are escaped (\xNN), so the error stays ONE line whatever was set.
static std::string escape_value(std::string_view value) {
    std::string out;
    for (unsigned char c : value) {
        if (c < 0x20 || c == 0x7f) {
            out += fmt::format("\\x{:02x}", c);
        } else {
            out.push_back(static_cast<char>(c));
        }
    }
    return out;
}

std::string ConfigError::message() const {
    return fmt::format("{}=\"{}\": {}", variable, escape_value(value), accepted);
}

Result<Config> parse_config(const EnvLookup& env, const ExecutableProbe& probe) {
    Reader r(env);
    Config c;
    if (auto e = fill(r, probe, c)) return *e;
    return c;
}

std::span<const std::string_view> accepted_variables() {
    return std::span<const std::string_view>(kVariables.data(), kVariables.size());
}

Result<std::vector<IpAddress>> parse_vip_list(std::string_view text) {
    auto t = trim(text);
    if (t.empty()) return vip_error(text, "required");
    auto entries = split_list(t);
    if (!entries) return vip_error(text, "empty entry (two commas in a row, or a leading or trailing comma)");
    std::vector<IpAddress> out;
    // A set, not a pairwise scan: 65,536 VIPs (256 full ranges) must parse in milliseconds.
    std::set<IpAddress> seen;
    for (auto entry : *entries) {
        std::size_t before = out.size();
        if (auto why = expand_entry(entry, out); !why.empty()) return vip_error(text, why);
        if (out.size() > kMaxVips)
            return vip_error(text, fmt::format("entry \"{}\" brings the list to more than {} addresses, what the data "
                                               "plane's VIP maps hold",
                                               entry, kMaxVips));
        for (std::size_t i = before; i < out.size(); ++i) {
            if (!seen.insert(out[i]).second)
                return vip_error(text, fmt::format("{} appears twice (entry \"{}\")", out[i].to_string(), entry));
        }
    }
    return out;
}

std::vector<std::size_t> split_vip_groups(std::size_t vips, std::size_t groups) {
    if (groups == 0 || groups > vips) groups = vips;
    std::vector<std::size_t> sizes;
    if (groups == 0) return sizes;
    for (std::size_t g = 0; g < groups; ++g) sizes.push_back(vips / groups + (g < vips % groups ? 1 : 0));
    return sizes;
}

std::vector<unsigned> assign_vrids(unsigned offset, const std::set<unsigned>& excluded, std::size_t count) {
    std::vector<unsigned> ids;
    for (std::size_t n = 1; n <= count; ++n) {
        unsigned id = offset + static_cast<unsigned>(n);
        // The generator raises the offset itself, so the bump carries over to later groups.
        while (excluded.count(id)) {
            ++offset;
            id = offset + static_cast<unsigned>(n);
        }
        ids.push_back(id);
    }
    return ids;
}

std::string nft_table_name(const std::string& base) {
    std::string out = "xvrrp_";
    for (char c : base) out += (std::isalnum(static_cast<unsigned char>(c)) || c == '_') ? c : '_';
    return out;
}

std::string scrub_name(std::string_view name) {
    std::string out;
    for (char c : name) {
        bool keep = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
        if (keep) out.push_back(c == '-' ? '_' : c);
    }
    return out;
}

std::string_view to_string(PriorityScheme s) { return s == PriorityScheme::Generator ? "generator" : "spread"; }

std::string_view to_string(Dataplane d) {
    switch (d) {
        case Dataplane::Xdp: return "xdp";
        case Dataplane::XdpGeneric: return "xdp-generic";
        case Dataplane::Kernel: return "kernel";
    }
    return "?";
}

std::string_view to_string(V3Checksum c) {
    switch (c) {
        case V3Checksum::PseudoHeader: return "pseudo-header";
        case V3Checksum::NoPseudoHeader: return "no-pseudo-header";
    }
    return "?";
}

}  // namespace xvrrp
