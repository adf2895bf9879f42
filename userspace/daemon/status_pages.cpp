// /status, /metrics, the probes and the control socket's answers, all read from the Runtime on the
// loop (no locks: the pages are rendered by the loop that owns the state).
//
// Two audiences (docs/operations.md, "HTTP endpoints"): the control socket, for an operator on
// the node, gets the whole document (status_json: config name, peers, every VIP, script and pin
// paths, MACs); the network gets bounded summaries rendered at most once per short interval and
// cached, so no request rate or VIP count can keep the loop that sends adverts and writes the
// liveness heartbeat from doing so. Per-VIP detail is paged (/status/vips).
#include "core/fnv.hpp"
#include "core/prometheus_text.hpp"
#include "xvrrp/abi.h"
#include "core/vip_page.hpp"
#include "daemon/runtime.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <deque>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <string_view>

namespace xvrrp {
namespace {

const char* kStates[] = {"INIT", "BACKUP", "MASTER", "FAULT"};

// The version of /status's and the control socket's document: raised when a field changes
// meaning or goes away (new fields do not raise it).
constexpr int kStatusSchemaVersion = 2;

struct ProcessSample {
    std::uint64_t rss_bytes = 0;
    std::size_t open_fds = 0;
    double cpu_seconds = 0;
};

// The daemon's own resource use, as Prometheus' process_* metrics name it.
ProcessSample process_sample() {
    ProcessSample p;
    std::ifstream statm("/proc/self/statm");
    std::uint64_t size = 0, resident = 0;
    if (statm >> size >> resident) p.rss_bytes = resident * static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
    std::error_code ec;
    for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec); !ec && it != std::filesystem::directory_iterator();
         it.increment(ec))
        ++p.open_fds;
    rusage ru{};
    if (getrusage(RUSAGE_SELF, &ru) == 0)
        p.cpu_seconds = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                        static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
    return p;
}

nlohmann::json addresses(const std::vector<IpAddress>& v) {
    auto a = nlohmann::json::array();
    for (const auto& x : v) a.push_back(x.to_string());
    return a;
}

}  // namespace

// How many of the group's VIPs are on the interface: a walk of the group only when addresses
// are held at all (route delivery holds none).
std::size_t Runtime::addresses_held(std::size_t gi) const {
    if (!addresses_ || addresses_->held().empty()) return 0;
    const auto& held = addresses_->held();
    return static_cast<std::size_t>(
        std::count_if(plan_.groups[gi].vips.begin(), plan_.groups[gi].vips.end(), [&](const IpAddress& v) { return held.count(v) != 0; }));
}

std::size_t Runtime::routes_held(std::size_t gi) const {
    if (!routes_ || gi >= prefixes_.size()) return 0;
    return static_cast<std::size_t>(
        std::count_if(prefixes_[gi].begin(), prefixes_[gi].end(), [&](const Prefix& p) { return routes_->held().count(p) != 0; }));
}

// The group's local routes this node holds.
std::vector<std::string> Runtime::routes_of(std::size_t gi) const {
    std::vector<std::string> out;
    if (!routes_ || gi >= prefixes_.size()) return out;
    for (const auto& p : prefixes_[gi])
        if (routes_->held().count(p)) out.push_back(p.to_string());
    return out;
}

nlohmann::json Runtime::status_json() const {
    using namespace std::chrono;
    auto now = steady_clock::now();
    nlohmann::json j;
    j["config_name"] = plan_.config_name;
    j["interface"] = plan_.interface;
    j["node_address"] = plan_.node_address.to_string();
    j["schema_version"] = kStatusSchemaVersion;
    j["transport"] = plan_.unicast ? "unicast" : "multicast";
    j["unicast_peers"] = addresses(plan_.unicast_peers);
    j["vrrp_version"] = plan_.vrrp_version;
    j["advert_interval_ms"] = plan_.advert_interval.count();
    j["uptime_s"] = duration_cast<seconds>(now - started_).count();
    j["stopping"] = stopping_;
    j["dataplane"] = {{"mode", dataplane_ ? std::string(dataplane::to_string(dataplane_->mode())) : "none"},
                      {"adopted", dataplane_ && dataplane_->adopted()},
                      {"joined", dataplane_ && dataplane_->joined()},
                      {"other_configs", dataplane_ ? dataplane_->other_configs() : std::vector<std::string>{}},
                      {"describe", dataplane_ ? dataplane_->describe() : ""}};
    j["check"] = {{"describe", check_ ? check_->describe() : ""}, {"passing", check_passing_}, {"last", check_detail_}};
    if (link_)
        j["link"] = {{"up", link_->status().link_up}, {"address_present", link_->status().address_present},
                     {"cause", link_->status().cause}};
    static const std::set<IpAddress> none;
    const std::set<IpAddress>& held = addresses_ ? addresses_->held() : none;
    auto groups = nlohmann::json::array();
    for (std::size_t gi = 0; gi < plan_.groups.size(); ++gi) {
        if (!driver_ || !driver_->active(gi)) continue;
        const Group& g = plan_.groups[gi];
        GroupRuntime r = driver_->runtime(gi);
        std::vector<IpAddress> on_interface;
        for (const auto& v : g.vips)
            if (held.count(v)) on_interface.push_back(v);
        nlohmann::json gj{{"name", g.name},
                          {"group", g.index},
                          {"vrid", g.vrid},
                          {"state", r.state},
                          {"priority", g.priority},
                          {"vips", addresses(g.vips)},
                          {"addresses_held", addresses(on_interface)},
                          {"routes", routes_of(gi)},
                          {"transitions", r.transitions},
                          {"adverts_sent", group_counters_[gi].adverts_sent},
                          {"adverts_received", group_counters_[gi].adverts_received},
                          {"adverts_absorbed", absorbed_count(gi)},
                          {"master_down_interval_ms", duration_cast<milliseconds>(r.master_down_interval).count()}};
        gj["master"] = r.master_address ? nlohmann::json(r.master_address->to_string()) : nlohmann::json(nullptr);
        gj["master_priority"] = r.master_priority;
        // Repeats absorbed by XDP reach the state machine only when its timer falls due.
        auto last_advert = r.last_advert;
        if (auto absorbed = last_absorbed(gi); absorbed && (!last_advert || *absorbed > *last_advert)) last_advert = absorbed;
        gj["last_advert_ms_ago"] =
            last_advert ? nlohmann::json(duration_cast<milliseconds>(now - *last_advert).count()) : nlohmann::json(nullptr);
        const GroupCounters& gc = group_counters_[gi];
        gj["vip_conflicts"] = gc.vip_conflicts;
        gj["conflict_reannounces"] = gc.conflict_reannounces;
        gj["conflict_reannounces_held"] = gc.conflict_reannounces_held;
        gj["delivery_restored"] = gc.delivery_restored;
        gj["last_conflict"] = gc.last_conflict
                                  ? nlohmann::json{{"vip", gc.last_conflict->vip.to_string()},
                                                   {"mac", mac_text(gc.last_conflict->mac)},
                                                   {"ms_ago", duration_cast<milliseconds>(now - gc.last_conflict->when).count()}}
                                  : nlohmann::json(nullptr);
        groups.push_back(std::move(gj));
    }
    j["groups"] = std::move(groups);
    return j;
}

nlohmann::json Runtime::counters_json() const {
    nlohmann::json j;
    std::uint64_t sent = 0, received = 0;
    for (const auto& c : group_counters_) {
        sent += c.adverts_sent;
        received += c.adverts_received;
    }
    std::uint64_t absorbed = 0;
    for (std::size_t gi = 0; gi < group_counters_.size(); ++gi) absorbed += absorbed_count(gi);
    j["adverts_sent"] = sent;
    j["adverts_received"] = received;
    j["adverts_absorbed"] = absorbed;
    j["group_slots"] = plan_.groups.size();  // active and stopped groups' table entries
    nlohmann::json drops = nlohmann::json::object();
    for (std::size_t r = 1; r < kReasonCount; ++r)
        if (drops_[r]) drops[std::string(reason_name(static_cast<Reason>(r)))] = drops_[r];
    j["adverts_dropped"] = drops;
    std::uint64_t conflicts = 0, reannounces = 0, held = 0;
    for (const auto& c : group_counters_) {
        conflicts += c.vip_conflicts;
        reannounces += c.conflict_reannounces;
        held += c.conflict_reannounces_held;
    }
    j["vip_conflicts"] = {{"reported", conflicts}, {"reannounces", reannounces}, {"reannounces_held", held},
                          {"unmatched", conflicts_unmatched_}};
    nlohmann::json xdp = nlohmann::json::object();
    if (dataplane_ && dataplane_->mode() != dataplane::Mode::Kernel) {
        auto c = dataplane_->read_counters();
        for (int i = 0; i < XVRRP_C_COUNT; ++i) xdp[std::string(dataplane::counter_name(i))] = c.values[static_cast<std::size_t>(i)];
    }
    j["xdp"] = xdp;
    if (announcer_)
        j["announcements"] = {{"garp", announcer_->stats().garp_sent}, {"na", announcer_->stats().na_sent},
                              {"errors", announcer_->stats().send_errors}};
    if (check_) j["check"] = {{"runs", check_->stats().runs}, {"failures", check_->stats().failures}, {"timeouts", check_->stats().timeouts}};
    if (notifier_)
        j["notify"] = {{"runs", notifier_->stats().runs}, {"failures", notifier_->stats().failures},
                       {"timeouts", notifier_->stats().timeouts}, {"dropped", notifier_->stats().dropped}};
    j["netlink"] = {{"batches", netlink_.batches}, {"seconds_sum", netlink_.seconds_sum}, {"seconds_max", netlink_.seconds_max}};
    j["heartbeat_errors"] = heartbeat_errors_;
    if (http_) {
        const HttpStats h = http_->stats();
        j["http"] = {{"accepted", h.accepted},           {"refused", h.refused},
                     {"timed_out", h.timed_out},         {"accept_errors", h.accept_errors},
                     {"responses", h.responses},         {"open", h.open},
                     {"status_renders", status_page_.renders}, {"metrics_renders", metrics_page_.renders}};
    }
    return j;
}

std::string Runtime::metrics_text() const {
    // add() hands out references that later add() calls must not move: a deque keeps them.
    std::deque<MetricFamily> f;
    auto add = [&](std::string name, std::string help, std::string type) -> MetricFamily& {
        f.push_back({std::move(name), std::move(help), std::move(type), {}});
        return f.back();
    };
    auto& up = add("xvrrp_up", "1 while the daemon's loop runs.", "gauge");
    up.samples.push_back({{}, stopping_ ? 0.0 : 1.0, ""});
    auto& build = add("xvrrp_build_info", "Always 1; the labels say which build runs.", "gauge");
    build.samples.push_back({{{"version", XVRRP_VERSION}, {"abi", std::to_string(XVRRP_ABI_VERSION)}}, 1, ""});
    const ProcessSample ps = process_sample();
    auto& rss = add("process_resident_memory_bytes", "Resident memory of the daemon.", "gauge");
    rss.samples.push_back({{}, static_cast<double>(ps.rss_bytes), ""});
    auto& fds = add("process_open_fds", "Open file descriptors of the daemon.", "gauge");
    fds.samples.push_back({{}, static_cast<double>(ps.open_fds), ""});
    auto& cpu = add("process_cpu_seconds_total", "User and system CPU time of the daemon.", "counter");
    cpu.samples.push_back({{}, ps.cpu_seconds, ""});
    auto& state = add("xvrrp_group_state", "1 for the state each group is in, 0 for the others.", "gauge");
    auto& prio = add("xvrrp_group_priority", "This node's priority in each group.", "gauge");
    auto& trans = add("xvrrp_group_transitions_total", "State changes per group.", "counter");
    auto& sent = add("xvrrp_adverts_sent_total", "VRRP adverts sent per group.", "counter");
    auto& recv = add("xvrrp_adverts_received_total", "Valid VRRP adverts received per group.", "counter");
    auto& absorbed = add("xvrrp_adverts_absorbed_total",
                         "Repeats of the followed master's advert absorbed by XDP per group (not read one by one).",
                         "counter");
    auto& held = add("xvrrp_group_addresses_held", "VIPs of the group on the interface.", "gauge");
    auto& routed = add("xvrrp_group_routes_held",
                       "Local routes delivering the group's VIPs to this node (its prefix cover, when MASTER).", "gauge");
    auto& conflicts = add("xvrrp_vip_conflicts_total",
                          "ARP replies, gratuitous ARPs and NAs from another MAC claiming a VIP of the group (XDP modes only).",
                          "counter");
    auto& takeover = add("xvrrp_group_takeover_seconds",
                         "Takeovers (BACKUP to MASTER after a master was heard): from the last advert heard to the "
                         "change.",
                         "histogram");
    auto& reannounced = add("xvrrp_vip_conflict_reannounces_total",
                            "Re-announcements (advert and gratuitous ARP/NA) a VIP conflict caused, rate-limited per group.",
                            "counter");
    for (std::size_t gi = 0; gi < plan_.groups.size(); ++gi) {
        if (!driver_ || !driver_->active(gi)) continue;
        const Group& g = plan_.groups[gi];
        GroupRuntime r = driver_->runtime(gi);
        // The group's number, not its name: the name starts with the config name, whose first
        // 8 bytes are the VRRPv2 password, and this page goes to the network.
        std::vector<std::pair<std::string, std::string>> l{{"group", std::to_string(g.index)}, {"vrid", std::to_string(g.vrid)}};
        for (const char* s : kStates) {
            auto ls = l;
            ls.emplace_back("state", s);
            state.samples.push_back({ls, r.state == s ? 1.0 : 0.0, ""});
        }
        prio.samples.push_back({l, static_cast<double>(g.priority), ""});
        trans.samples.push_back({l, static_cast<double>(r.transitions), ""});
        sent.samples.push_back({l, static_cast<double>(group_counters_[gi].adverts_sent), ""});
        recv.samples.push_back({l, static_cast<double>(group_counters_[gi].adverts_received), ""});
        absorbed.samples.push_back({l, static_cast<double>(absorbed_count(gi)), ""});
        held.samples.push_back({l, static_cast<double>(addresses_held(gi)), ""});
        routed.samples.push_back({l, static_cast<double>(routes_held(gi)), ""});
        conflicts.samples.push_back({l, static_cast<double>(group_counters_[gi].vip_conflicts), ""});
        reannounced.samples.push_back({l, static_cast<double>(group_counters_[gi].conflict_reannounces), ""});
        const GroupCounters& gc = group_counters_[gi];
        std::uint64_t cumulative = 0;
        for (std::size_t b = 0; b <= kTakeoverBuckets.size(); ++b) {
            cumulative += gc.takeover_buckets[b];
            auto lb = l;
            lb.emplace_back("le", b < kTakeoverBuckets.size() ? fmt::format("{}", kTakeoverBuckets[b]) : "+Inf");
            takeover.samples.push_back({lb, static_cast<double>(cumulative), "_bucket"});
        }
        takeover.samples.push_back({l, gc.takeover_seconds_sum, "_sum"});
        takeover.samples.push_back({l, static_cast<double>(gc.takeovers), "_count"});
    }
    if (driver_) {
        // The election driver's one timer (election_driver.cpp): how often the loop wakes for
        // VRRP timers and how much each wake-up serves; the S2 benchmark's CPU story in numbers.
        const DriverStats d = driver_->stats();
        auto& wake = add("xvrrp_timer_wakeups_total",
                         "Wake-ups of the election timer; stale: nothing was due (a deadline had moved later).", "counter");
        wake.samples.push_back({{{"outcome", "served"}}, static_cast<double>(d.wakeups - d.stale_wakeups), ""});
        wake.samples.push_back({{{"outcome", "stale"}}, static_cast<double>(d.stale_wakeups), ""});
        auto& fired = add("xvrrp_group_timers_fired_total",
                          "Group timers handed to the state machines; early: advert timers served up to 500 us "
                          "ahead to share a wake-up.",
                          "counter");
        fired.samples.push_back({{{"when", "due"}}, static_cast<double>(d.timers_fired - d.fired_early), ""});
        fired.samples.push_back({{{"when", "early"}}, static_cast<double>(d.fired_early), ""});
        auto& arms = add("xvrrp_timer_arms_total", "Times the election timer was set (one timerfd_settime each).", "counter");
        arms.samples.push_back({{}, static_cast<double>(d.timer_arms), ""});
        auto& taken = add("xvrrp_absorbed_repeats_taken_total",
                          "Absorbed repeats handed to a state machine when its master-down timer fell due.", "counter");
        taken.samples.push_back({{}, static_cast<double>(d.absorbed_taken), ""});
    }
    auto& dropped = add("xvrrp_adverts_dropped_total", "Adverts the controller rejected, by reason.", "counter");
    for (std::size_t r = 1; r < kReasonCount; ++r)
        dropped.samples.push_back({{{"reason", std::string(reason_name(static_cast<Reason>(r)))}}, static_cast<double>(drops_[r]), ""});
    if (dataplane_ && dataplane_->mode() != dataplane::Mode::Kernel) {
        auto c = dataplane_->read_counters();
        auto& x = add("xvrrp_xdp_packets_total", "XDP program verdicts and drop reasons (per-CPU counters summed).", "counter");
        for (int i = 0; i < XVRRP_C_COUNT; ++i)
            x.samples.push_back({{{"outcome", std::string(dataplane::counter_name(i))}}, static_cast<double>(c.values[static_cast<std::size_t>(i)]), ""});
        auto& arp = add("xvrrp_arp_answered_total", "ARP requests for owned VIPs answered by XDP.", "counter");
        arp.samples.push_back({{}, static_cast<double>(c[XVRRP_C_ARP_REPLIED]), ""});
        auto& na = add("xvrrp_na_answered_total", "Neighbour Solicitations for owned VIPs answered by XDP.", "counter");
        na.samples.push_back({{}, static_cast<double>(c[XVRRP_C_NS_REPLIED]), ""});
    }
    auto& dp = add("xvrrp_dataplane_info", "The active data plane mode.", "gauge");
    dp.samples.push_back({{{"mode", dataplane_ ? std::string(dataplane::to_string(dataplane_->mode())) : "none"}}, 1, ""});
    if (announcer_) {
        auto& g = add("xvrrp_announcements_sent_total", "Gratuitous ARP and unsolicited NA frames sent.", "counter");
        g.samples.push_back({{{"kind", "garp"}}, static_cast<double>(announcer_->stats().garp_sent), ""});
        g.samples.push_back({{{"kind", "na"}}, static_cast<double>(announcer_->stats().na_sent), ""});
    }
    auto& runs = add("xvrrp_script_runs_total", "Check and notify runs.", "counter");
    auto& fails = add("xvrrp_script_failures_total", "Check and notify runs that failed (including timeouts).", "counter");
    auto& touts = add("xvrrp_script_timeouts_total", "Check and notify runs killed at their timeout.", "counter");
    if (check_) {
        runs.samples.push_back({{{"script", "check"}}, static_cast<double>(check_->stats().runs), ""});
        fails.samples.push_back({{{"script", "check"}}, static_cast<double>(check_->stats().failures), ""});
        touts.samples.push_back({{{"script", "check"}}, static_cast<double>(check_->stats().timeouts), ""});
    }
    if (notifier_) {
        runs.samples.push_back({{{"script", "notify"}}, static_cast<double>(notifier_->stats().runs), ""});
        fails.samples.push_back({{{"script", "notify"}}, static_cast<double>(notifier_->stats().failures), ""});
        touts.samples.push_back({{{"script", "notify"}}, static_cast<double>(notifier_->stats().timeouts), ""});
    }
    auto& chk = add("xvrrp_check_passing", "1 while the health check passes.", "gauge");
    chk.samples.push_back({{}, check_passing_ ? 1.0 : 0.0, ""});
    auto& lk = add("xvrrp_link_up", "1 while the VRRP interface is up with its address.", "gauge");
    lk.samples.push_back({{}, link_ && link_->status().healthy() ? 1.0 : 0.0, ""});
    auto& nl = add("xvrrp_netlink_batch_seconds", "Time from the first request to the last ack of address batches.", "summary");
    nl.samples.push_back({{}, netlink_.seconds_sum, "_sum"});
    nl.samples.push_back({{}, static_cast<double>(netlink_.batches), "_count"});
    auto& nlmax = add("xvrrp_netlink_batch_seconds_max", "Slowest address batch so far.", "gauge");
    nlmax.samples.push_back({{}, netlink_.seconds_max, ""});
    if (http_) {
        const HttpStats h = http_->stats();
        auto& conns = add("xvrrp_http_connections_total",
                          "HTTP connections: served, refused at a cap (503), closed at the request deadline.", "counter");
        conns.samples.push_back({{{"outcome", "served"}}, static_cast<double>(h.accepted), ""});
        conns.samples.push_back({{{"outcome", "refused"}}, static_cast<double>(h.refused), ""});
        conns.samples.push_back({{{"outcome", "timed_out"}}, static_cast<double>(h.timed_out), ""});
        auto& errs = add("xvrrp_http_accept_errors_total", "accept() failures (EMFILE and the like back off).", "counter");
        errs.samples.push_back({{}, static_cast<double>(h.accept_errors), ""});
        auto& renders = add("xvrrp_http_page_renders_total",
                            "Renders of the cached network pages (every other request got the cached one).", "counter");
        renders.samples.push_back({{{"page", "status"}}, static_cast<double>(status_page_.renders), ""});
        renders.samples.push_back({{{"page", "metrics"}}, static_cast<double>(metrics_page_.renders + 1), ""});
    }
    return prometheus_text({f.begin(), f.end()});
}


namespace {

HttpResponse json_response(unsigned status, const nlohmann::json& j) {
    return HttpResponse::shared(status, "application/json", std::make_shared<const std::string>(j.dump(1) + "\n"));
}

}  // namespace

// What the cached pages depend on beyond their counters: a change re-renders them at once
// (within kPageMinGap), so a state change shows without waiting for kPageMaxAge.
std::uint64_t Runtime::page_fingerprint() const {
    std::uint64_t h = fnv1a_64(std::string_view{});
    auto mix = [&](std::uint64_t v) { h = fnv1a_64(std::span(reinterpret_cast<const unsigned char*>(&v), sizeof v), h); };
    mix(stopping_);
    mix(check_passing_);
    mix(link_ && link_->status().healthy());
    if (driver_)
        for (std::size_t gi = 0; gi < plan_.groups.size(); ++gi)
            if (driver_->active(gi)) {
                GroupRuntime r = driver_->runtime(gi);
                mix(gi);
                mix(r.transitions);
                mix(r.master);
            }
    return h;
}

std::shared_ptr<const std::string> Runtime::cached_page(PageCache& c, std::string (Runtime::*render)() const) {
    using namespace std::chrono;
    const auto now = steady_clock::now();
    if (c.body) {
        const auto age = now - c.rendered;
        // Never more often than kPageMinGap, nor than 20 times the last render's cost: rendering
        // takes at most 1/20 of the loop whatever the request rate.
        const auto gap = std::max<steady_clock::duration>(kPageMinGap, c.cost * 20);
        if (age < gap) return c.body;
        if (age < kPageMaxAge && c.fingerprint == page_fingerprint()) return c.body;
    }
    c.fingerprint = page_fingerprint();
    c.body = std::make_shared<const std::string>((this->*render)());
    c.rendered = steady_clock::now();
    c.cost = c.rendered - now;
    ++c.renders;
    return c.body;
}

std::string Runtime::network_status_text() const { return network_status_json().dump(1) + "\n"; }

// /status for the network: per-group summaries, counts instead of lists; nothing only an operator
// on the node needs (the control socket has it: status_json).
nlohmann::json Runtime::network_status_json() const {
    using namespace std::chrono;
    const auto now = steady_clock::now();
    nlohmann::json j;
    j["generated_unix_ms"] = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
    j["schema_version"] = kStatusSchemaVersion;
    j["transport"] = plan_.unicast ? "unicast" : "multicast";
    j["vrrp_version"] = plan_.vrrp_version;
    j["advert_interval_ms"] = plan_.advert_interval.count();
    j["uptime_s"] = duration_cast<seconds>(now - started_).count();
    j["stopping"] = stopping_;
    j["ready"] = readiness().empty();
    j["dataplane"] = {{"mode", dataplane_ ? std::string(dataplane::to_string(dataplane_->mode())) : "none"}};
    j["check_passing"] = check_passing_;
    if (link_) j["link"] = {{"up", link_->status().link_up}, {"address_present", link_->status().address_present}};
    std::size_t vips = 0;
    auto groups = nlohmann::json::array();
    for (std::size_t gi = 0; gi < plan_.groups.size(); ++gi) {
        if (!driver_ || !driver_->active(gi)) continue;
        const Group& g = plan_.groups[gi];
        GroupRuntime r = driver_->runtime(gi);
        vips += g.vips.size();
        const GroupCounters& gc = group_counters_[gi];
        auto last_advert = r.last_advert;
        if (auto absorbed = last_absorbed(gi); absorbed && (!last_advert || *absorbed > *last_advert)) last_advert = absorbed;
        nlohmann::json gj{{"group", g.index},
                          {"vrid", g.vrid},
                          {"state", r.state},
                          {"priority", g.priority},
                          {"vip_count", g.vips.size()},
                          {"addresses_held_count", addresses_held(gi)},
                          {"routes_held_count", routes_held(gi)},
                          {"vips_page", fmt::format("/status/vips?group={}", g.index)},
                          {"transitions", r.transitions},
                          {"adverts_sent", gc.adverts_sent},
                          {"adverts_received", gc.adverts_received},
                          {"adverts_absorbed", absorbed_count(gi)},
                          {"master_down_interval_ms", duration_cast<milliseconds>(r.master_down_interval).count()},
                          {"master_priority", r.master_priority},
                          {"vip_conflicts", gc.vip_conflicts},
                          {"conflict_reannounces", gc.conflict_reannounces},
                          {"conflict_reannounces_held", gc.conflict_reannounces_held},
                          {"delivery_restored", gc.delivery_restored}};
        gj["master"] = r.master_address ? nlohmann::json(r.master_address->to_string()) : nlohmann::json(nullptr);
        gj["last_advert_ms_ago"] =
            last_advert ? nlohmann::json(duration_cast<milliseconds>(now - *last_advert).count()) : nlohmann::json(nullptr);
        gj["last_conflict"] = gc.last_conflict ? nlohmann::json{{"vip", gc.last_conflict->vip.to_string()},
                                                                {"ms_ago", duration_cast<milliseconds>(now - gc.last_conflict->when).count()}}
                                               : nlohmann::json(nullptr);
        groups.push_back(std::move(gj));
    }
    j["vip_count"] = vips;
    j["groups"] = std::move(groups);
    return j;
}

// /status/vips?group=N&offset=O&limit=L: one page of a group's VIPs, each with whether this node
// delivers it now (a held local route covers it, or the address is on the interface). The cost is
// that of one page, at most kVipPageMax VIPs (core/vip_page.hpp).
HttpResponse Runtime::vips_page(std::string_view query) const {
    std::string error;
    auto page = parse_vip_page(query, plan_.groups.size(), error);
    if (!page) return HttpResponse::text(400, "bad request: " + error + "\n");
    const std::size_t gi = page->group - 1;
    if (!driver_ || !driver_->active(gi)) return HttpResponse::text(404, fmt::format("group {} is not running\n", page->group));
    const Group& g = plan_.groups[gi];
    static const std::set<IpAddress> none;
    const std::set<IpAddress>& held = addresses_ ? addresses_->held() : none;
    const std::size_t from = std::min(page->offset, g.vips.size());
    const std::size_t to = std::min(g.vips.size(), from + page->limit);
    auto vips = nlohmann::json::array();
    for (std::size_t i = from; i < to; ++i) {
        const IpAddress& v = g.vips[i];
        vips.push_back({{"address", v.to_string()}, {"local", held.count(v) != 0 || (routes_ && routes_->delivers(v))}});
    }
    nlohmann::json j{{"group", g.index}, {"vrid", g.vrid},         {"state", driver_->runtime(gi).state},
                     {"total", g.vips.size()}, {"offset", from}, {"limit", page->limit},
                     {"vips", std::move(vips)}};
    j["next_offset"] = to < g.vips.size() ? nlohmann::json(to) : nlohmann::json(nullptr);
    return json_response(200, j);
}

// Why this node is not ready (empty: ready): every running group out of FAULT and INIT, the
// interface up with the node's address, not stopping.
std::string Runtime::readiness() const {
    if (stopping_) return "stopping";
    if (!link_) return "starting";
    if (!link_->status().healthy()) return link_->status().cause.empty() ? "link not healthy" : link_->status().cause;
    std::size_t fault = 0, init = 0, running = 0;
    if (driver_)
        for (std::size_t gi = 0; gi < plan_.groups.size(); ++gi) {
            if (!driver_->active(gi)) continue;
            ++running;
            GroupRuntime r = driver_->runtime(gi);
            fault += r.state == "FAULT";
            init += r.state == "INIT";
        }
    if (fault || init) return fmt::format("{} of {} groups in FAULT, {} in INIT", fault, running, init);
    return {};
}

HttpResponse Runtime::http(std::string_view target) {
    using namespace std::chrono;
    const auto q = target.find('?');
    const std::string_view path = target.substr(0, q);
    const std::string_view query = q == std::string_view::npos ? std::string_view{} : target.substr(q + 1);
    if (path == "/healthz") {
        // Answering at all proves the loop runs; the data plane must be attached (or kernel mode).
        bool ok = !stopping_ && dataplane_.has_value();
        return HttpResponse::text(ok ? 200u : 503u, ok ? "ok\n" : "stopping or no data plane\n");
    }
    if (path == "/livez") {
        // The loop answers this, and its heartbeat (what keeps XDP answering for owned groups)
        // was written lately: a loop that stopped writing it, or stalled past it, is not alive.
        const auto age = steady_clock::now() - heartbeat_at_;
        const auto limit = std::max<steady_clock::duration>(seconds(1), heartbeat_every_ * 3);
        if (!dataplane_) return HttpResponse::text(503, "no data plane\n");
        if (heartbeat_at_ == steady_clock::time_point{} || age > limit)
            return HttpResponse::text(
                503, fmt::format("heartbeat {} ms old (limit {} ms)\n",
                                 heartbeat_at_ == steady_clock::time_point{} ? -1 : duration_cast<milliseconds>(age).count(),
                                 duration_cast<milliseconds>(limit).count()));
        return HttpResponse::text(200, "ok\n");
    }
    if (path == "/readyz") {
        std::string why = readiness();
        return why.empty() ? HttpResponse::text(200, "ready\n") : HttpResponse::text(503, "not ready: " + why + "\n");
    }
    if (path == "/metrics")
        return HttpResponse::shared(200, "text/plain; version=0.0.4; charset=utf-8", cached_page(metrics_page_, &Runtime::metrics_text));
    if (path == "/status") return HttpResponse::shared(200, "application/json", cached_page(status_page_, &Runtime::network_status_text));
    if (path == "/status/vips") return vips_page(query);
    return HttpResponse::text(404, "not found: try /healthz, /livez, /readyz, /metrics, /status, /status/vips?group=N\n");
}

}  // namespace xvrrp
