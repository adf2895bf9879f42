#include "adapters/dataplane_log.hpp"

#include <bpf/libbpf.h>
#include <spdlog/spdlog.h>
#include <xdp/libxdp.h>

#include <cstdarg>
#include <cstdio>
#include <mutex>

namespace xvrrp::dataplane {

namespace {

thread_local BpfLogCapture* active_capture = nullptr;

std::string format(const char* fmt, va_list args) {
    char buf[1024];
    va_list copy;
    va_copy(copy, args);
    int n = std::vsnprintf(buf, sizeof buf, fmt, copy);
    va_end(copy);
    std::string s;
    if (n < 0) return s;
    if (static_cast<std::size_t>(n) < sizeof buf) {
        s.assign(buf, static_cast<std::size_t>(n));
    } else {
        s.resize(static_cast<std::size_t>(n) + 1);
        std::vsnprintf(s.data(), s.size(), fmt, args);
        s.resize(static_cast<std::size_t>(n));
    }
    return s;
}

// Level 0 = the library's warning, 1 = info, 2 = debug (both libraries order them alike).
void emit(const char* library, int level, const char* fmt, va_list args) {
    std::string text = format(fmt, args);
    if (active_capture) active_capture->append(text);
    while (!text.empty() && text.back() == '\n') text.pop_back();
    if (text.empty()) return;
    static constexpr spdlog::level::level_enum one_down[] = {
        spdlog::level::info, spdlog::level::debug, spdlog::level::trace};
    // libbpf prefixes most messages with "libbpf: " already.
    std::string prefix = std::string(library) + ": ";
    if (text.compare(0, prefix.size(), prefix) == 0) prefix.clear();
    spdlog::log(one_down[level < 0 ? 0 : level > 2 ? 2 : level], "{}{}", prefix, text);
}

int libbpf_print(enum libbpf_print_level level, const char* fmt, va_list args) {
    int l = level == LIBBPF_WARN ? 0 : level == LIBBPF_INFO ? 1 : 2;
    emit("libbpf", l, fmt, args);
    return 0;
}

int libxdp_print(enum libxdp_print_level level, const char* fmt, va_list args) {
    int l = level == LIBXDP_WARN ? 0 : level == LIBXDP_INFO ? 1 : 2;
    emit("libxdp", l, fmt, args);
    return 0;
}

}  // namespace

void route_bpf_logs_to_spdlog() {
    static std::once_flag once;
    std::call_once(once, [] {
        libbpf_set_print(libbpf_print);
        libxdp_set_print(libxdp_print);
    });
}

BpfLogCapture::BpfLogCapture() : previous_(active_capture) { active_capture = this; }
BpfLogCapture::~BpfLogCapture() { active_capture = previous_; }

}  // namespace xvrrp::dataplane
