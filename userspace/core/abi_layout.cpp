// The C++ side of the BPF ABI layout checks: abi.h's _Static_asserts compiled by the C++ compiler.
#include "xvrrp/abi.h"

static_assert(int{XVRRP_C_COUNT} == int{XVRRP_C_VRRP_DROP_BASE} + int{XVRRP_REASON_COUNT});
