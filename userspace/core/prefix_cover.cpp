#include "core/prefix_cover.hpp"

#include <algorithm>

namespace xvrrp {
namespace {

using U128 = unsigned __int128;

U128 to_int(const IpAddress& a) {
    U128 v = 0;
    for (std::size_t i = 0; i < a.size(); ++i) v = (v << 8) | a.bytes()[i];
    return v;
}

IpAddress from_int(U128 v, Family f) {
    if (f == Family::V4) return IpAddress::v4(static_cast<std::uint32_t>(v));
    std::array<std::uint8_t, 16> b{};
    for (int i = 15; i >= 0; --i, v >>= 8) b[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(v);
    return IpAddress::v6(b);
}

int bits_of(Family f) { return f == Family::V4 ? 32 : 128; }

// 2^n - 1, for n up to 128 (a shift by 128 would be undefined).
U128 low_mask(int n) { return n >= 128 ? ~U128{0} : (U128{1} << n) - 1; }

// [lo, hi] as aligned blocks, each the largest that starts at the next uncovered address and
// ends inside the range: the classic decomposition, minimal for one range.
void cover_range(U128 lo, U128 hi, Family f, std::vector<Prefix>& out) {
    const int bits = bits_of(f);
    while (true) {
        int size = 0;  // log2 of the block
        while (size < bits && (lo & low_mask(size + 1)) == 0 && hi - lo >= low_mask(size + 1)) ++size;
        out.push_back({from_int(lo, f), bits - size});
        const U128 last = lo + low_mask(size);
        if (last >= hi) return;
        lo = last + 1;
    }
}

void cover_family(std::vector<U128> v, Family f, std::vector<Prefix>& out) {
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
    for (std::size_t i = 0; i < v.size();) {
        std::size_t j = i;
        while (j + 1 < v.size() && v[j + 1] == v[j] + 1) ++j;  // maximal run of adjacent addresses
        cover_range(v[i], v[j], f, out);
        i = j + 1;
    }
}

}  // namespace

bool Prefix::contains(const IpAddress& a) const {
    if (a.family() != address.family()) return false;
    const int host_bits = bits_of(a.family()) - length;
    if (host_bits >= 128) return true;
    return (to_int(a) >> host_bits) == (to_int(address) >> host_bits);
}

std::string Prefix::to_string() const { return address.to_string() + "/" + std::to_string(length); }

std::vector<Prefix> prefix_cover(std::span<const IpAddress> addresses) {
    std::vector<U128> v4, v6;
    for (const auto& a : addresses) (a.is_v4() ? v4 : v6).push_back(to_int(a));
    std::vector<Prefix> out;
    cover_family(std::move(v4), Family::V4, out);
    cover_family(std::move(v6), Family::V6, out);
    return out;
}

}  // namespace xvrrp
