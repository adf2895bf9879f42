// One logger for the whole process: spdlog, with libbpf/libxdp routed into it one level down.
// Lines below `error` go to stdout, `error` and `critical` to stderr, in either format:
//   text  "[2026-12-06 21:13:20.900] [info] message" (local time, spdlog's pattern)
//   json  {"time":"2026-12-06T21:13:20.900Z","level":"info","msg":"message"} one object per line,
//         RFC 3339 UTC, plus the fields a LogFields scope sets (a state change: group, vrid,
//         from, to, cause).
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace xvrrp {

enum class LogFormat { Text, Json };

// "text" or "json"; nullopt for anything else.
std::optional<LogFormat> parse_log_format(std::string_view name);

// Installs the process's default logger in `format`. Safe to call again (a SIGHUP).
void configure_logging(LogFormat format);

// Sets the global spdlog level from a name (trace, debug, info, warn, error, critical, off).
// Returns false for an unknown name.
bool set_log_level(std::string_view name);

// While alive, every line logged on this thread carries `fields` as extra JSON members (the json
// format only; text lines are unchanged).
class LogFields {
public:
    explicit LogFields(nlohmann::json fields);
    ~LogFields();
    LogFields(const LogFields&) = delete;
    LogFields& operator=(const LogFields&) = delete;

private:
    const nlohmann::json* previous_;
    nlohmann::json fields_;
};

}  // namespace xvrrp
