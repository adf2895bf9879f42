// The C++ side of the BPF ABI layout checks: abi.h's _Static_asserts compiled by the C++ compiler,
// plus what only C++ can say (the structs are copied byte-wise through bpf_map_* calls).
#include "xvrrp/abi.h"

#include <type_traits>

static_assert(int{XVRRP_C_COUNT} == int{XVRRP_C_VRRP_DROP_BASE} + int{XVRRP_REASON_COUNT});
static_assert(int{XVRRP_REASON_OK} == 0, "reason 0 means accepted on both sides");

template <class T>
constexpr bool kMapValue = std::is_trivially_copyable_v<T> && std::is_standard_layout_v<T>;
static_assert(kMapValue<xvrrp_vip> && kMapValue<xvrrp_vip6_key> && kMapValue<xvrrp_group> &&
              kMapValue<xvrrp_vrid_config> && kMapValue<xvrrp_peer_key> &&
              kMapValue<xvrrp_config_slot> && kMapValue<xvrrp_conflict> && kMapValue<xvrrp_meta>);
