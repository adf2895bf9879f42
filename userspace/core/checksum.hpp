// The Internet checksum (RFC 1071) and the IPv4/IPv6 pseudo-header sums that VRRPv3 folds in
// (RFC 5798 section 5.2.8, RFC 8200 section 8.1). Pure arithmetic on byte spans.
#pragma once

#include <cstdint>
#include <span>

#include "core/ip_address.hpp"

namespace xvrrp {

// One's complement sum of `data` taken as big-endian 16-bit words (an odd trailing byte is padded
// with zero, RFC 1071 section 4.1), added to `sum`. Not folded: chain calls, then checksum_fold().
// Each span is padded on its own, so only the LAST span of a chain may have an odd length.
std::uint32_t checksum_add(std::span<const std::uint8_t> data, std::uint32_t sum = 0);

// Folds the carries of a partial sum into 16 bits and complements it: the value to put in a
// checksum field (host order; store it big-endian).
std::uint16_t checksum_fold(std::uint32_t sum);

// checksum_fold(checksum_add(data)): the RFC 1071 checksum of one buffer. Over a buffer whose
// checksum field is already filled in, this is 0 when the checksum is correct.
std::uint16_t internet_checksum(std::span<const std::uint8_t> data);

// Partial sum of the pseudo-header for an upper-layer message of `length` bytes carried with
// protocol / next header `protocol` from `src` to `dst`. IPv4 (RFC 768 layout): src, dst, zero,
// protocol, 16-bit length. IPv6 (RFC 8200 section 8.1): src, dst, 32-bit length, 3 zero bytes,
// next header. Both addresses must have the same family (the caller's contract).
std::uint32_t pseudo_header_sum(const IpAddress& src, const IpAddress& dst, std::uint8_t protocol,
                                std::uint32_t length);

}  // namespace xvrrp
