#include "adapters/process_guard.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>

namespace xvrrp {

std::vector<std::string> missing_capabilities(const std::vector<std::string>& needed) {
    // Bit numbers from linux/capability.h.
    static const std::map<std::string, int> bits{{"CAP_NET_ADMIN", 12}, {"CAP_NET_RAW", 13}, {"CAP_SYS_ADMIN", 21}, {"CAP_PERFMON", 38}, {"CAP_BPF", 39}};
    std::uint64_t eff = 0;
    std::ifstream status("/proc/self/status");
    for (std::string line; std::getline(status, line);) {
        if (line.rfind("CapEff:", 0) == 0) {
            eff = std::stoull(line.substr(7), nullptr, 16);
            break;
        }
    }
    std::vector<std::string> missing;
    for (const auto& name : needed) {
        auto it = bits.find(name);
        if (it == bits.end() || !(eff & (std::uint64_t{1} << it->second))) missing.push_back(name);
    }
    return missing;
}

std::optional<InstanceLock> InstanceLock::acquire(const std::string& path, std::string& error) {
    int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        error = "cannot open lock file " + path + ": " + std::strerror(errno);
        return std::nullopt;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        char buf[32] = {};
        ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
        std::string pid = n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "?";
        while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
        error = "another xvrrpd (pid " + pid + ") already runs this config: " + path + " is locked";
        close(fd);
        return std::nullopt;
    }
    std::string pid = std::to_string(getpid()) + "\n";
    if (ftruncate(fd, 0) != 0 || pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
        error = "cannot write lock file " + path + ": " + std::strerror(errno);
        close(fd);
        return std::nullopt;
    }
    return InstanceLock(path, fd);
}

InstanceLock::~InstanceLock() {
    if (fd_ < 0) return;
    unlink(path_.c_str());  // while still holding it: a new daemon then creates a fresh file
    close(fd_);
}

std::string make_directories(const std::string& path) {
    std::error_code ec;
    std::filesystem::create_directories(path, ec);
    if (ec) return "cannot create " + path + ": " + ec.message();
    return {};
}

}  // namespace xvrrp
