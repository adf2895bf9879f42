// Start-up guards of the daemon process: the capabilities it needs, and one daemon per config.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace xvrrp {

// Names the capabilities among `needed` ("CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_BPF", "CAP_PERFMON") missing from
// this process's effective set (/proc/self/status CapEff). Empty: all present.
std::vector<std::string> missing_capabilities(const std::vector<std::string>& needed);

// An exclusive flock on <runtime dir>/<name>.lock holding our pid. A second daemon for the same
// config fails to take it; the kernel drops the lock when the process dies, so a crash never
// leaves it held. RAII: released and removed on destruction.
class InstanceLock {
public:
    // Returns the lock, or nullopt with `error` naming the path and the pid holding it.
    static std::optional<InstanceLock> acquire(const std::string& path, std::string& error);
    InstanceLock(InstanceLock&& o) noexcept : path_(std::move(o.path_)), fd_(o.fd_) { o.fd_ = -1; }
    InstanceLock& operator=(InstanceLock&&) = delete;
    ~InstanceLock();
    const std::string& path() const { return path_; }

private:
    InstanceLock(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
    std::string path_;
    int fd_ = -1;
};

// mkdir -p with mode 0755; returns an error message or empty.
std::string make_directories(const std::string& path);

}  // namespace xvrrp
