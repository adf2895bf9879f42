// An IPv4 or IPv6 address as a plain value: the core's one address type.
// Parsing and formatting use inet_pton/inet_ntop, which are pure functions (no I/O).
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace xvrrp {

enum class Family : std::uint8_t { V4 = 4, V6 = 6 };

class IpAddress {
public:
    IpAddress() = default;
    static IpAddress v4(std::uint32_t host_order);
    static IpAddress v4_bytes(const std::uint8_t* network_order4);
    static IpAddress v6(const std::array<std::uint8_t, 16>& bytes);
    // Strict: a bare address, no prefix, no zone, no surrounding blanks.
    static std::optional<IpAddress> parse(std::string_view text);

    Family family() const { return family_; }
    bool is_v4() const { return family_ == Family::V4; }
    bool is_v6() const { return family_ == Family::V6; }
    // Network-order bytes: 4 used for IPv4, 16 for IPv6.
    const std::array<std::uint8_t, 16>& bytes() const { return bytes_; }
    std::size_t size() const { return is_v4() ? 4 : 16; }
    std::uint32_t v4_host_order() const;
    std::string to_string() const;

    auto operator<=>(const IpAddress&) const = default;
    bool operator==(const IpAddress&) const = default;

private:
    Family family_ = Family::V4;
    std::array<std::uint8_t, 16> bytes_{};
};

}  // namespace xvrrp
