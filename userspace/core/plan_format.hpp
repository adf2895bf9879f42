// The plan as people read it (`xvrrpd --check-config`); the JSON form is built in the daemon,
// which may use nlohmann_json (the core links only fmt).
#pragma once

#include "core/plan.hpp"

#include <string>

namespace xvrrp {

// Node-wide settings first, then one table row per group.
std::string format_plan_text(const Plan& plan);

// Words used by both the text and the JSON form, so they cannot drift apart.
std::string format_preemption(const Preemption& p);  // "nopreempt" | "preempt_delay 300"
std::string format_check(const Check& c);           // "none" | "tcp 192.0.2.10:80 every 2s" | ...
std::string format_interval(std::chrono::milliseconds ms);  // keepalived's advert_int: "1", "0.05"
std::string format_http(const HttpListen& h);                // ":63000" | "[::1]:63000" | "off"

}  // namespace xvrrp
