// The running daemon: every adapter, the election driver, and the counters the status pages
// read. daemon.cpp builds and stops it and executes the driver's actions; status_pages.cpp
// renders /status, /metrics and the control socket's answers from it.
#pragma once

#include "adapters/address_set.hpp"
#include "adapters/child_process.hpp"
#include "adapters/control_socket.hpp"
#include "adapters/dataplane.hpp"
#include "adapters/event_log.hpp"
#include "adapters/firewall.hpp"
#include "adapters/garp.hpp"
#include "adapters/health_check.hpp"
#include "adapters/http_server.hpp"
#include "adapters/local_routes.hpp"
#include "adapters/link_monitor.hpp"
#include "adapters/notify.hpp"
#include "adapters/process_guard.hpp"
#include "adapters/vrrp_socket.hpp"
#include "core/plan.hpp"
#include "core/vrrp_packet.hpp"
#include "daemon/daemon.hpp"
#include "daemon/election_driver.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace xvrrp {

// The last report of another MAC claiming one of a group's VIPs (issue 10), for /status.
struct VipConflictSeen {
    IpAddress vip;
    dataplane::Mac mac{};
    std::chrono::steady_clock::time_point when;
};

inline std::string mac_text(const dataplane::Mac& m) { return fmt::format("{:02x}", fmt::join(m, ":")); }

// Group index by (family, VRID). Looked up for every advert received, so a flat table of
// 2 x 256 slots: the std::map it replaces was 3.9 % of a backup's profile at 25,400 adverts/s.
class GroupIndex {
public:
    std::optional<std::size_t> find(Family f, std::uint8_t vrid) const {
        const std::size_t g = slots_[slot(f, vrid)];
        return g == kNone ? std::nullopt : std::optional<std::size_t>(g);
    }
    void set(Family f, std::uint8_t vrid, std::size_t group) { slots_[slot(f, vrid)] = group; }
    void erase(Family f, std::uint8_t vrid) { slots_[slot(f, vrid)] = kNone; }

private:
    static constexpr std::size_t kNone = static_cast<std::size_t>(-1);
    static std::size_t slot(Family f, std::uint8_t vrid) { return (f == Family::V6 ? 256u : 0u) + vrid; }
    std::array<std::size_t, 512> slots_ = [] {
        std::array<std::size_t, 512> a;
        a.fill(kNone);
        return a;
    }();
};

struct GroupCounters {
    std::uint64_t adverts_sent = 0;
    std::uint64_t adverts_received = 0;
    std::uint64_t map_write_errors = 0;
    std::uint64_t address_errors = 0;
    bool add_in_flight = false;
    bool announce_waiting = false;
    std::optional<std::uint8_t> master_notify_waiting;  // the MASTER notify, until the VIPs are in
    std::uint64_t delivery_restored = 0;  // addresses and routes put back while MASTER
    // Takeovers (BACKUP -> MASTER after a master was heard): the last advert heard to the change.
    std::array<std::uint64_t, 11> takeover_buckets{};  // kTakeoverBuckets, then +Inf
    double takeover_seconds_sum = 0;
    std::uint64_t takeovers = 0;
    // VIP conflicts reported by XDP (every report, MASTER or not) and the re-announcements of
    // claimed VIPs they caused, or that the rate limits held back (daemon.cpp on_conflict).
    std::uint64_t vip_conflicts = 0;
    std::uint64_t conflict_reannounces = 0;
    std::uint64_t conflict_reannounces_held = 0;
    std::optional<VipConflictSeen> last_conflict;
    std::optional<std::chrono::steady_clock::time_point> last_advert_reassert;  // the group's advert
    std::set<IpAddress> vip_reasserted;                        // re-announced in this window
    std::chrono::steady_clock::time_point reassert_window;                       // its start
    std::vector<IpAddress> reassert_pending;  // claimed VIPs whose GARP/NA waits one interval
    std::optional<std::chrono::steady_clock::time_point> last_conflict_log;
    std::uint64_t conflict_logs_suppressed = 0;
    std::shared_ptr<boost::asio::steady_timer> reannounce_timer;  // the deferred GARP/NA
};

// Upper bounds (seconds) of xvrrp_group_takeover_seconds' buckets: 10 ms adverts to 1 s ones.
inline constexpr std::array<double, 10> kTakeoverBuckets{0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

struct NetlinkLatency {
    std::uint64_t batches = 0;
    double seconds_sum = 0;
    double seconds_max = 0;
    void record(std::chrono::nanoseconds d) {
        ++batches;
        double s = std::chrono::duration<double>(d).count();
        seconds_sum += s;
        if (s > seconds_max) seconds_max = s;
    }
};

class Runtime : public ActionSink {
public:
    Runtime(boost::asio::io_context& io, Plan plan, DaemonOptions options);
    ~Runtime() override;

    // Opens everything; throws std::runtime_error with one line naming what failed.
    void start();
    // Graceful stop (SIGTERM): resign, disown, remove, detach; then io.stop().
    void stop(const std::string& why);
    // The interface was re-created: the stop that ended io.run() asks for a fresh start.
    bool restart_requested() const { return restart_; }
    // SIGHUP with --env-file: re-read it and apply the group differences.
    void reload();

    // ActionSink
    void send_advert(std::size_t g, std::uint8_t priority) override;
    void own_group(std::size_t g) override;
    void disown_group(std::size_t g) override;
    void add_addresses(std::size_t g) override;
    void remove_addresses(std::size_t g) override;
    void announce(std::size_t g) override;
    void notify(std::size_t g, std::string_view state, std::uint8_t priority) override;
    void transition(std::size_t g, std::string_view from, std::string_view to, const std::string& cause,
                    std::chrono::system_clock::time_point at) override;
    void tick_done() override;
    void absorb_repeats(std::size_t g, bool on) override;
    std::optional<std::chrono::steady_clock::time_point> last_absorbed(std::size_t g) const override;
    std::uint64_t absorbed_count(std::size_t g) const;

    // status_pages.cpp. status_json: the whole document, for the control socket only.
    nlohmann::json status_json() const;
    nlohmann::json counters_json() const;
    std::string metrics_text() const;
    // The HTTP pages (GET; the server does HEAD and refuses other methods).
    HttpResponse http(std::string_view target);
    // Network pages are re-rendered at most this often, and at least this often while asked for.
    static constexpr std::chrono::milliseconds kPageMinGap{20};
    static constexpr std::chrono::milliseconds kPageMaxAge{1000};

private:
    void wait_signal();
    void write_dump(const char* signal, const std::string& suffix, const nlohmann::json& doc) const;
    void on_datagrams(std::span<const VrrpDatagram> batch);
    bool absorption_readable(std::size_t g) const;
    void heartbeat();
    void setup_dataplane();
    void remove_stale_vips();
    std::vector<std::uint8_t> served_vrids(Family f) const;
    void refilter_sockets();
    bool needs_addresses(const Group& g) const;
    std::vector<std::string> routes_of(std::size_t g) const;
    std::size_t addresses_held(std::size_t g) const;
    std::size_t routes_held(std::size_t g) const;
    // The cached network pages (status_pages.cpp).
    struct PageCache {
        std::shared_ptr<const std::string> body;
        std::chrono::steady_clock::time_point rendered;
        std::chrono::steady_clock::duration cost{};
        std::uint64_t fingerprint = 0;
        std::uint64_t renders = 0;
    };
    std::shared_ptr<const std::string> cached_page(PageCache& c, std::string (Runtime::*render)() const);
    std::uint64_t page_fingerprint() const;
    nlohmann::json network_status_json() const;
    std::string network_status_text() const;
    HttpResponse vips_page(std::string_view query) const;
    std::string readiness() const;
    // VIP conflicts (issue 10): the XDP ring buffer's epoll fd on the loop, drained when readable.
    void watch_conflicts();
    void arm_conflict_watch();
    void drain_conflicts();
    void on_conflict(const dataplane::Conflict& c, std::chrono::steady_clock::time_point now);
    void install_firewall();
    // Self-healing (issue 16): delivery a MASTER group lost (removed by someone else, or a
    // request that failed) is put back by one timer, coalesced.
    std::optional<std::size_t> group_delivering(const IpAddress& a) const;
    void lost_address(const IpAddress& a);
    void lost_route(const Prefix& p);
    void schedule_repair(std::chrono::milliseconds after);
    void repair();
    void finish_stop();
    void wait_for_notify(std::chrono::steady_clock::time_point limit);
    std::vector<InstanceSpec> specs_of(const std::vector<Group>& groups) const;
    IpAddress advert_source(Family f) const;
    InstanceExpectations expectations(const Group& g) const;
    std::vector<IpAddress> all_vips() const;

    boost::asio::io_context& io_;
    Plan plan_;
    DaemonOptions options_;
    std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
    int ifindex_ = 0;
    MacAddress mac_{};
    std::optional<IpAddress> link_local_;
    std::optional<InstanceLock> lock_;
    std::unique_ptr<ChildProcesses> processes_;
    std::unique_ptr<AddressSet> addresses_;
    // VIP delivery (issue 15): each group's VIPs are local through the local routes of its
    // prefix cover; interface addresses only follow when plan_.vip_addresses (or where the kernel
    // needs them: IPv6 NS in kernel mode).
    std::unique_ptr<LocalRoutes> routes_;
    std::vector<std::vector<Prefix>> prefixes_;  // by group index, as group_counters_
    std::optional<dataplane::Dataplane> dataplane_;
    std::unique_ptr<Firewall> firewall_;
    std::unique_ptr<VrrpSocket> sock4_, sock6_;
    std::unique_ptr<Announcer> announcer_;
    std::unique_ptr<LinkMonitor> link_;
    std::unique_ptr<HealthCheck> check_;
    std::unique_ptr<Notifier> notifier_;
    std::unique_ptr<EventLog> events_;
    std::unique_ptr<ElectionDriver> driver_;
    std::unique_ptr<HttpServer> http_;
    std::unique_ptr<ControlSocket> control_;
    boost::asio::signal_set signals_;
    boost::asio::steady_timer heartbeat_timer_;
    boost::asio::steady_timer stop_timer_;
    std::chrono::milliseconds heartbeat_every_{100};
    // A dup of Dataplane::conflict_fd(): the descriptor closes its own copy, never libbpf's.
    std::optional<boost::asio::posix::stream_descriptor> conflict_watch_;
    std::uint64_t conflicts_unmatched_ = 0;  // reports for a VRID/VIP no active group has

    std::vector<GroupCounters> group_counters_;
    // Per group, built once: the advert path must not allocate for every packet.
    std::vector<InstanceExpectations> expectations_;
    GroupIndex group_by_vrid_;
    std::array<std::uint64_t, kReasonCount> drops_{};
    const VrrpDatagram* datagram_ = nullptr;  // the advert being handed to the driver
    std::uint64_t absorb_errors_ = 0;
    std::uint64_t heartbeat_errors_ = 0;
    NetlinkLatency netlink_;
    bool check_passing_ = true;
    std::string check_detail_;
    bool stopping_ = false;
    bool restart_ = false;
    boost::asio::steady_timer repair_timer_;
    std::optional<std::chrono::steady_clock::time_point> repair_due_;
    std::map<std::size_t, std::set<IpAddress>> lost_addresses_;  // by group
    std::map<std::size_t, std::set<Prefix>> lost_routes_;
    PageCache status_page_, metrics_page_;
    std::chrono::steady_clock::time_point heartbeat_at_{};  // last heartbeat written (for /livez)
};

}  // namespace xvrrp
