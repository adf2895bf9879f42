#include "core/checksum.hpp"

namespace xvrrp {

std::uint32_t checksum_add(std::span<const std::uint8_t> data, std::uint32_t sum) {
    // A 64-bit accumulator cannot overflow for any buffer that fits in memory; fold at the end.
    std::uint64_t acc = sum;
    std::size_t i = 0;
    for (; i + 1 < data.size(); i += 2) {
        acc += (std::uint32_t{data[i]} << 8) | data[i + 1];
    }
    if (i < data.size()) acc += std::uint32_t{data[i]} << 8;
    while (acc >> 32) acc = (acc & 0xffffffffu) + (acc >> 32);
    return static_cast<std::uint32_t>(acc);
}

std::uint16_t checksum_fold(std::uint32_t sum) {
    while (sum >> 16) sum = (sum & 0xffffu) + (sum >> 16);
    return static_cast<std::uint16_t>(~sum & 0xffffu);
}

std::uint16_t internet_checksum(std::span<const std::uint8_t> data) {
    return checksum_fold(checksum_add(data));
}

std::uint32_t pseudo_header_sum(const IpAddress& src, const IpAddress& dst, std::uint8_t protocol,
                                std::uint32_t length) {
    std::uint32_t sum = checksum_add(std::span(src.bytes().data(), src.size()));
    sum = checksum_add(std::span(dst.bytes().data(), dst.size()), sum);
    // Both layouts reduce to the same 16-bit words apart from the width of the length field:
    // IPv4 carries a 16-bit length, IPv6 a 32-bit one whose high word adds to the sum.
    std::uint64_t acc = sum;
    acc += protocol;
    acc += length & 0xffffu;
    if (src.is_v6()) acc += length >> 16;
    while (acc >> 32) acc = (acc & 0xffffffffu) + (acc >> 32);
    return static_cast<std::uint32_t>(acc);
}

}  // namespace xvrrp
