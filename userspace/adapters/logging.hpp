// One logger for the whole process: spdlog, with libbpf/libxdp routed into it one level down.
#pragma once

#include <string_view>

namespace xvrrp {

// Sets the global spdlog level from a name (trace, debug, info, warn, error, critical, off).
// Returns false for an unknown name.
bool set_log_level(std::string_view name);

}  // namespace xvrrp
