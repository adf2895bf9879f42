#include "adapters/logging.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <fmt/chrono.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>

namespace xvrrp {
namespace {

thread_local const nlohmann::json* current_fields = nullptr;

// One JSON object per line; fields of the thread's LogFields scope after the three fixed ones.
class JsonFormatter final : public spdlog::formatter {
public:
    void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
        const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(msg.time.time_since_epoch());
        const auto secs = std::chrono::floor<std::chrono::seconds>(msg.time);
        nlohmann::ordered_json j;  // time, level, msg first, as people read them
        j["time"] = fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03}Z", secs, ms.count() % 1000);
        j["level"] = std::string(spdlog::level::to_string_view(msg.level).data(),
                                 spdlog::level::to_string_view(msg.level).size());
        j["msg"] = std::string(msg.payload.data(), msg.payload.size());
        if (current_fields)
            for (const auto& [k, v] : current_fields->items())
                if (!j.contains(k)) j[k] = v;
        const std::string line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        dest.append(line.data(), line.data() + line.size());
        dest.push_back('\n');
    }
    std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<JsonFormatter>(); }
};

// Passes only the lines below `error` to `inner` (stdout); the stderr sink takes the rest.
class BelowErrorSink final : public spdlog::sinks::base_sink<std::mutex> {
public:
    explicit BelowErrorSink(spdlog::sink_ptr inner) : inner_(std::move(inner)) {}

protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
        if (msg.level < spdlog::level::err) inner_->log(msg);
    }
    void flush_() override { inner_->flush(); }
    void set_formatter_(std::unique_ptr<spdlog::formatter> f) override { inner_->set_formatter(std::move(f)); }
    void set_pattern_(const std::string& p) override { inner_->set_pattern(p); }

private:
    spdlog::sink_ptr inner_;
};

}  // namespace

std::optional<LogFormat> parse_log_format(std::string_view name) {
    if (name == "text") return LogFormat::Text;
    if (name == "json") return LogFormat::Json;
    return std::nullopt;
}

void configure_logging(LogFormat format) {
    auto out = std::make_shared<BelowErrorSink>(std::make_shared<spdlog::sinks::stdout_sink_mt>());
    auto err = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    err->set_level(spdlog::level::err);
    auto logger = std::make_shared<spdlog::logger>("xvrrpd", spdlog::sinks_init_list{out, err});
    if (format == LogFormat::Json)
        logger->set_formatter(std::make_unique<JsonFormatter>());
    else
        logger->set_pattern("[%Y-%m-%d %H:%M:%S.%e] [%l] %v");
    // Every line reaches the terminal or the pod log at once: a crash must not eat the last ones.
    logger->flush_on(spdlog::level::trace);
    const auto level = spdlog::default_logger() ? spdlog::default_logger()->level() : spdlog::level::info;
    logger->set_level(level);
    spdlog::set_default_logger(std::move(logger));
}

bool set_log_level(std::string_view name) {
    auto level = spdlog::level::from_str(std::string(name));
    if (level == spdlog::level::off && name != "off") return false;
    spdlog::set_level(level);
    return true;
}

LogFields::LogFields(nlohmann::json fields) : previous_(current_fields), fields_(std::move(fields)) {
    current_fields = &fields_;
}
LogFields::~LogFields() { current_fields = previous_; }

}  // namespace xvrrp
