// libbpf and libxdp print through spdlog one level down (their warnings at info, info at debug,
// debug at trace), so the verifier's chatter stays out of a normal log. While a load is being
// attempted the messages are also captured, so a failed load can show them in full.
#pragma once

#include <string>

namespace xvrrp::dataplane {

// Installs the print callbacks once per process.
void route_bpf_logs_to_spdlog();

// Captures every libbpf/libxdp message printed during its lifetime (one thread at a time).
class BpfLogCapture {
public:
    BpfLogCapture();
    ~BpfLogCapture();
    BpfLogCapture(const BpfLogCapture&) = delete;
    BpfLogCapture& operator=(const BpfLogCapture&) = delete;
    const std::string& text() const { return text_; }
    void append(const std::string& more) { text_ += more; }

private:
    std::string text_;
    BpfLogCapture* previous_;
};

}  // namespace xvrrp::dataplane
