#include "adapters/logging.hpp"

#include <spdlog/spdlog.h>

#include <string>

namespace xvrrp {

bool set_log_level(std::string_view name) {
    auto level = spdlog::level::from_str(std::string(name));
    if (level == spdlog::level::off && name != "off") return false;
    spdlog::set_level(level);
    return true;
}

}  // namespace xvrrp
