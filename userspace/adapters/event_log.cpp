#include "adapters/event_log.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <stdexcept>

namespace xvrrp {

std::string rfc3339(std::chrono::system_clock::time_point t) {
    using namespace std::chrono;
    auto secs = time_point_cast<seconds>(t);
    auto ms = duration_cast<milliseconds>(t - secs).count();
    std::time_t tt = system_clock::to_time_t(secs);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[80];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                  tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
    return buf;
}

nlohmann::json to_json(const StateChange& c) {
    return nlohmann::json{{"time", rfc3339(c.time)}, {"instance", c.instance}, {"vrid", c.vrid}, {"from", c.from},
                          {"to", c.to},           {"priority", c.priority},  {"cause", c.cause}};
}

EventLog::EventLog(std::string path, std::uint64_t max_bytes) : path_(std::move(path)), max_bytes_(max_bytes) { open_file(); }

EventLog::~EventLog() {
    if (fd_ >= 0) close(fd_);
}

void EventLog::open_file() {
    fd_ = open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd_ < 0) throw std::runtime_error("events file " + path_ + ": " + std::strerror(errno));
    struct stat st{};
    size_ = fstat(fd_, &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
}

void EventLog::rotate() {
    close(fd_);
    std::string old = path_ + ".1";
    std::rename(path_.c_str(), old.c_str());
    open_file();
}

void EventLog::append(const StateChange& change) { append(to_json(change)); }

void EventLog::append(const nlohmann::json& j) {
    std::string line = j.dump() + "\n";
    if (size_ + line.size() > max_bytes_ && size_ > 0) rotate();
    // One write() of a whole line with O_APPEND: a reader never sees half a line from us.
    ssize_t n = write(fd_, line.data(), line.size());
    if (n == static_cast<ssize_t>(line.size()))
        size_ += line.size();
    else
        ++write_errors_;
    line.pop_back();
    for (auto it = followers_.begin(); it != followers_.end();) {
        auto cur = it++;
        cur->second(line);  // a follower may unfollow itself
    }
}

int EventLog::follow(Follower f) {
    int id = next_id_++;
    followers_[id] = std::move(f);
    return id;
}

void EventLog::unfollow(int id) { followers_.erase(id); }

}  // namespace xvrrp
