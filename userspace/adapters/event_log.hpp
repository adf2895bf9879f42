// The events file: one JSON line per state change, appended to <runtime dir>/events.jsonl and
// rotated to events.jsonl.1 at a size limit (one old file kept), so a node that flaps for weeks
// cannot fill /run. Followers (xvrrpctl events --follow) get each line as it is written.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>

namespace xvrrp {

struct StateChange {
    std::chrono::system_clock::time_point time;
    std::string instance;
    unsigned vrid = 0;
    std::string from;    // INIT, BACKUP, MASTER, FAULT
    std::string to;
    std::string cause;
    int priority = 0;
};

// The JSON object of one state change (the line without its newline).
nlohmann::json to_json(const StateChange& change);
// RFC 3339 UTC with milliseconds: 2026-11-28T22:43:48.123Z
std::string rfc3339(std::chrono::system_clock::time_point t);

class EventLog {
public:
    using Follower = std::function<void(const std::string& line)>;

    // Opens (creates) `path` for appending. Throws std::runtime_error naming the path.
    EventLog(std::string path, std::uint64_t max_bytes = 4u << 20);
    ~EventLog();
    EventLog(const EventLog&) = delete;
    EventLog& operator=(const EventLog&) = delete;

    void append(const StateChange& change);
    void append(const nlohmann::json& line);

    int follow(Follower f);
    void unfollow(int id);
    const std::string& path() const { return path_; }
    std::uint64_t write_errors() const { return write_errors_; }

private:
    void open_file();
    void rotate();

    std::string path_;
    std::uint64_t max_bytes_;
    int fd_ = -1;
    std::uint64_t size_ = 0;
    std::uint64_t write_errors_ = 0;
    std::map<int, Follower> followers_;
    int next_id_ = 1;
};

}  // namespace xvrrp
