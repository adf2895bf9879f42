#include "daemon/daemon.hpp"

#include "adapters/logging.hpp"
#include "core/plan_format.hpp"
#include "daemon/check_config.hpp"
#include "daemon/runtime.hpp"

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include <fcntl.h>
#include <net/if.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace xvrrp {
namespace {

// Claimed VIPs of one group re-announced per max(advert interval, 1 s) at most (on_conflict).
constexpr std::size_t kConflictVipsPerWindow = 16;

std::string join(const std::vector<std::string>& v, const char* sep) {
    std::string out;
    for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
    return out;
}

bool is_link_local(const IpAddress& a) { return a.is_v6() && a.bytes()[0] == 0xfe && (a.bytes()[1] & 0xc0) == 0x80; }

// Everything the election compares, so a SIGHUP leaves a group alone exactly when it is unchanged.
bool same_group(const Group& a, const Group& b) {
    return a.name == b.name && a.vrid == b.vrid && a.vips == b.vips && a.priority == b.priority &&
           a.initial_master == b.initial_master && a.preemption == b.preemption;
}

// What a SIGHUP cannot change without a restart (sockets, data plane, check and notify set-up).
std::vector<std::string> global_differences(const Plan& a, const Plan& b) {
    std::vector<std::string> d;
    if (a.interface != b.interface) d.push_back("interface");
    if (a.node_address != b.node_address || a.advert_source != b.advert_source) d.push_back("node/source address");
    if (a.unicast != b.unicast || a.unicast_peers != b.unicast_peers) d.push_back("unicast peers");
    if (a.vrrp_version != b.vrrp_version || a.advert_interval != b.advert_interval) d.push_back("VRRP version/interval");
    if (a.auth_key != b.auth_key || a.v2_auth_pass != b.v2_auth_pass || a.v3_checksum != b.v3_checksum)
        d.push_back("authentication/checksum");
    if (a.check.kind != b.check.kind || a.check.port != b.check.port || a.check.command != b.check.command ||
        a.check.interval != b.check.interval)
        d.push_back("check");
    if (a.notify_command != b.notify_command) d.push_back("notify script");
    if (a.firewall_rule != b.firewall_rule) d.push_back("firewall rule");
    if (a.dataplane != b.dataplane) d.push_back("data plane");
    if (a.runtime_dir != b.runtime_dir || a.http.port != b.http.port || a.http.host != b.http.host ||
        a.http.enabled != b.http.enabled)
        d.push_back("runtime dir/HTTP address");
    return d;
}

}  // namespace

Runtime::Runtime(boost::asio::io_context& io, Plan plan, DaemonOptions options)
    : io_(io), plan_(std::move(plan)), options_(std::move(options)), signals_(io), heartbeat_timer_(io),
      stop_timer_(io), repair_timer_(io) {}

Runtime::~Runtime() = default;

std::vector<IpAddress> Runtime::all_vips() const {
    std::vector<IpAddress> v;
    for (const auto& g : plan_.groups) v.insert(v.end(), g.vips.begin(), g.vips.end());
    return v;
}

IpAddress Runtime::advert_source(Family f) const {
    // RFC 5798 5.1.2.1: an IPv6 advert's source is the interface's link-local address.
    if (f == Family::V6) return link_local_ ? *link_local_ : plan_.advert_source;
    return plan_.advert_source;
}

std::vector<InstanceSpec> Runtime::specs_of(const std::vector<Group>& groups) const {
    std::vector<InstanceSpec> specs;
    for (const auto& g : groups) {
        InstanceSpec s;
        s.name = g.name;
        s.vrid = g.vrid;
        s.priority = g.priority;
        s.advert_interval = plan_.advert_interval;
        s.version = plan_.vrrp_version;
        s.initial_master = g.initial_master;
        s.primary = advert_source(g.family());
        if (g.preemption.mode == PreemptMode::NoPreempt) {
            s.preempt = InstanceSpec::Preempt::NoPreempt;
        } else if (g.preemption.delay.count() > 0) {
            s.preempt = InstanceSpec::Preempt::Delay;
            s.preempt_delay = g.preemption.delay;
        } else {
            s.preempt = InstanceSpec::Preempt::Preempt;
        }
        specs.push_back(std::move(s));
    }
    return specs;
}

InstanceExpectations Runtime::expectations(const Group& g) const {
    InstanceExpectations e;
    e.vrid = g.vrid;
    e.family = g.family();
    e.version = static_cast<std::uint8_t>(plan_.vrrp_version);
    if (plan_.vrrp_version == 2 && plan_.v2_auth_pass) {
        e.auth_type = AuthType::Password;
        std::copy_n(plan_.auth_key.begin(), std::min<std::size_t>(8, plan_.auth_key.size()), e.auth_key.begin());
    }
    e.advert_interval = plan_.advert_interval;
    e.checksum_mode = plan_.v3_checksum == V3Checksum::NoPseudoHeader ? ChecksumMode::WithoutPseudoHeader
                                                                      : ChecksumMode::WithPseudoHeader;
    if (plan_.unicast) e.unicast_peers = plan_.unicast_peers;
    e.own_addresses.push_back(plan_.advert_source);
    if (link_local_) e.own_addresses.push_back(*link_local_);
    return e;
}

void Runtime::start() {
    // From the first step on: a signal that arrives while the data plane is being set up waits
    // for start() to finish instead of killing the daemon half-way (SIGUSR1's default action is
    // to terminate), and is then served as always.
    for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2}) signals_.add(sig);
    set_log_level(plan_.log_level);
    for (const auto& w : plan_.warnings) spdlog::warn("{}", w);

    std::vector<std::string> needed{"CAP_NET_ADMIN", "CAP_NET_RAW"};
    // CAP_PERFMON: without it the verifier refuses our program (its ND option walk); tests/packaging
    // least_privilege_test.py checks that each of the four is needed.
    if (plan_.dataplane != Dataplane::Kernel) needed.insert(needed.end(), {"CAP_BPF", "CAP_PERFMON"});
    if (auto missing = missing_capabilities(needed); !missing.empty())
        throw std::runtime_error("missing capability " + join(missing, ", ") +
                                 (plan_.dataplane != Dataplane::Kernel ? " (CAP_BPF and CAP_PERFMON are not needed with XVRRP_DATAPLANE=kernel)" : ""));

    if (auto err = make_directories(plan_.runtime_dir); !err.empty()) throw std::runtime_error("XVRRP_RUNTIME_DIR: " + err);
    std::string error;
    auto lock = InstanceLock::acquire(plan_.runtime_dir + "/" + plan_.instance_base + ".lock", error);
    if (!lock) throw std::runtime_error(error);
    lock_.emplace(std::move(*lock));

    ifindex_ = static_cast<int>(if_nametoindex(plan_.interface.c_str()));
    if (ifindex_ == 0) throw std::runtime_error("interface " + plan_.interface + " does not exist");
    mac_ = interface_mac(ifindex_);

    processes_ = std::make_unique<ChildProcesses>(io_);
    addresses_ = std::make_unique<AddressSet>(io_, ifindex_);
    routes_ = std::make_unique<LocalRoutes>(ifindex_, LocalRoutes::route_metric(plan_.instance_base));
    for (const auto& g : plan_.groups) prefixes_.push_back(prefix_cover(g.vips));
    for (const auto& ia : addresses_->list())
        if (is_link_local(ia.address)) link_local_ = ia.address;
    bool any_v4 = false, any_v6 = false;
    for (const auto& g : plan_.groups) (g.family() == Family::V4 ? any_v4 : any_v6) = true;
    if (any_v6 && !link_local_)
        throw std::runtime_error("interface " + plan_.interface + " has no IPv6 link-local address for IPv6 VIP groups");

    setup_dataplane();
    remove_stale_vips();
    if (plan_.firewall_rule) install_firewall();

    auto on_rx = [this](std::span<const VrrpDatagram> b) { on_datagrams(b); };
    // Each socket reads only this config's VRIDs (issue 21): the kernel drops other configs'
    // adverts, and a foreign-VRID flood, before they are queued. A filter the kernel refuses
    // fails the start (VrrpSocket throws naming SO_ATTACH_FILTER).
    if (any_v4) {
        sock4_ = std::make_unique<VrrpSocket>(io_, Family::V4, ifindex_, !plan_.unicast);
        sock4_->accept_only(served_vrids(Family::V4));
        sock4_->start(on_rx);
    }
    if (any_v6) {
        sock6_ = std::make_unique<VrrpSocket>(io_, Family::V6, ifindex_, !plan_.unicast);
        sock6_->accept_only(served_vrids(Family::V6));
        sock6_->start(on_rx);
    }
    announcer_ = std::make_unique<Announcer>(io_, ifindex_, mac_, AnnounceSettings{});
    events_ = std::make_unique<EventLog>(plan_.runtime_dir + "/" + plan_.instance_base + ".events.jsonl");
    notifier_ = std::make_unique<Notifier>(*processes_, plan_.notify_command, std::chrono::seconds(30));
    check_ = std::make_unique<HealthCheck>(io_, *processes_, plan_.check);
    LinkMonitor::Watch watch;
    watch.name = plan_.interface;
    watch.route_metric = LocalRoutes::route_metric(plan_.instance_base);
    watch.address_removed = [this](const IpAddress& a) { lost_address(a); };
    watch.route_removed = [this](const Prefix& p) { lost_route(p); };
    watch.recreated = [this](int ifindex) {
        if (stopping_) return;
        // Every socket, the XDP attachment, addresses and routes belong to the old ifindex: a
        // fresh start (same process, run_daemon) binds them to the new one.
        restart_ = true;
        stop(fmt::format("interface {} re-created (ifindex {} -> {})", plan_.interface, ifindex_, ifindex));
    };
    link_ = std::make_unique<LinkMonitor>(io_, ifindex_, plan_.node_address, std::move(watch));

    group_counters_.assign(plan_.groups.size(), {});
    for (const auto& g : plan_.groups) expectations_.push_back(expectations(g));
    for (std::size_t g = 0; g < plan_.groups.size(); ++g) group_by_vrid_.set(plan_.groups[g].family(), plan_.groups[g].vrid, g);
    auto specs = specs_of(plan_.groups);
    for (std::size_t g = 0; g < specs.size(); ++g) specs[g].resume_master = dataplane_->still_served(plan_.groups[g].vrid);
    driver_ = std::make_unique<ElectionDriver>(io_, specs, *this);
    driver_->before_timers([this] {
        if (sock4_) sock4_->drain();
        if (sock6_) sock6_->drain();
    });

    if (plan_.http.enabled) {
        // The node's own address by default (HttpListen), bound with IP_FREEBIND: an IPv6
        // address still in DAD, or one removed since it was looked up (the link monitor reports
        // that), must not stop the start.
        http_ = std::make_unique<HttpServer>(io_, plan_.http.host, plan_.http.port,
                                             [this](std::string_view target) { return http(target); }, HttpLimits{},
                                             !plan_.http.host_set);
        spdlog::info("HTTP pages on {}", format_http(plan_.http));
    }
    ControlSocket::Handlers h;
    h.status = [this] { return status_json().dump(); };
    h.counters = [this] { return counters_json().dump(); };
    h.plan = [this] {
        return nlohmann::json{{"text", format_plan_text(plan_)}, {"json", plan_to_json(plan_)}}.dump(
            -1, ' ', false, nlohmann::json::error_handler_t::replace);
    };
    h.follow = [this](std::function<void(const std::string&)> f) { return events_->follow(std::move(f)); };
    h.unfollow = [this](int id) {
        if (events_) events_->unfollow(id);
    };
    control_ = std::make_unique<ControlSocket>(io_, plan_.runtime_dir + "/" + plan_.instance_base + ".sock", h);

    wait_signal();

    spdlog::info("xvrrpd: config {} on {} ({}), node {}, {} group(s), VRRPv{} every {} ms, {}{}, data plane {}",
                 plan_.config_name, plan_.interface, plan_.unicast ? "unicast" : "multicast", plan_.node_address.to_string(),
                 plan_.groups.size(), plan_.vrrp_version, plan_.advert_interval.count(), "check ", check_->describe(),
                 dataplane_->describe());

    driver_->startup();
    if (!link_->status().healthy()) {
        spdlog::warn("{}", link_->status().cause);
        driver_->link(false);
    }
    link_->start([this](const LinkStatus& s) {
        spdlog::info("link: {}", s.cause);
        if (!stopping_) driver_->link(s.healthy());
    });
    check_->start([this](const CheckResult& r) {
        if (r.passed != check_passing_) {
            spdlog::info("check {}: {}", r.passed ? "passed" : "failed", r.detail);
            check_passing_ = r.passed;
            if (!stopping_) driver_->check(r.passed);
        }
        check_detail_ = r.detail;
    });
    heartbeat();
    watch_conflicts();
}

void Runtime::wait_signal() {
    signals_.async_wait([this](const boost::system::error_code& ec, int sig) {
        if (ec || stopping_) return;
        if (sig == SIGHUP && options_.source.env_file) {
            reload();
            wait_signal();
            return;
        }
        // keepalived's dumps, which operators send out of habit: never a reason to stop.
        if (sig == SIGUSR1) {
            write_dump("SIGUSR1", ".data", {{"status", status_json()}, {"plan", plan_to_json(plan_)}, {"counters", counters_json()}});
            wait_signal();
            return;
        }
        if (sig == SIGUSR2) {
            write_dump("SIGUSR2", ".stats", counters_json());
            wait_signal();
            return;
        }
        // OpenShift's image treats SIGHUP like SIGTERM (keepalived cannot reload there); without
        // an --env-file to re-read we do the same.
        stop(sig == SIGHUP ? "SIGHUP without --env-file" : strsignal(sig));
    });
}

// <runtime dir>/<config><suffix>, mode 0600, replaced whole (written beside it, then renamed).
void Runtime::write_dump(const char* signal, const std::string& suffix, const nlohmann::json& doc) const {
    const std::string path = plan_.runtime_dir + "/" + plan_.instance_base + suffix;
    const std::string tmp = path + ".tmp";
    const std::string text = doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    bool ok = fd >= 0;
    for (std::size_t off = 0; ok && off < text.size();) {
        ssize_t n = ::write(fd, text.data() + off, text.size() - off);
        if (n < 0 && errno == EINTR) continue;
        ok = n > 0;
        if (ok) off += static_cast<std::size_t>(n);
    }
    const int err = ok ? 0 : errno;
    if (fd >= 0 && ::close(fd) != 0 && ok) ok = false;
    if (ok && std::rename(tmp.c_str(), path.c_str()) != 0) ok = false;
    if (ok) {
        spdlog::info("{}: wrote {}", signal, path);
    } else {
        spdlog::error("{}: cannot write {}: {}", signal, path, std::strerror(err ? err : errno));
        ::unlink(tmp.c_str());
    }
}

void Runtime::setup_dataplane() {
    dataplane::Options o;
    o.interface = plan_.interface;
    o.config_name = plan_.instance_base;
    o.requested = plan_.dataplane;
    auto dp = dataplane::Dataplane::attach(o);
    if (!dp) throw std::runtime_error("data plane: " + dp.error().message);
    dataplane_.emplace(std::move(dp.value()));
    const std::uint8_t versions = plan_.vrrp_version == 2 ? XVRRP_VERSION_2 : XVRRP_VERSION_3;
    dataplane::Claim claim;
    for (const auto& g : plan_.groups) claim.groups.push_back({g.vrid, versions, plan_.unicast, g.vips});
    if (plan_.unicast) claim.peers = plan_.unicast_peers;
    // Refused with nothing written when another config on the interface has one of our VRIDs or
    // VIPs; clears what a previous run of ours left that this plan no longer has.
    if (auto s = dataplane_->claim(claim); !s) throw std::runtime_error("data plane: " + s.error);
    std::vector<std::string> resumed;
    for (const auto& g : plan_.groups) {
        if (dataplane_->still_served(g.vrid)) {
            resumed.push_back(g.name);
            continue;
        }
        // Adopted maps may say "owned" from a previous run whose gate has closed: nothing is
        // ours until won.
        if (auto s = dataplane_->disown_group(g.vrid); !s)
            throw std::runtime_error("data plane: VRID " + std::to_string(g.vrid) + ": " + s.error);
    }
    if (!resumed.empty()) {
        // The previous run's heartbeat is still inside the gate: keep it so, from now on.
        dataplane_->heartbeat();
        spdlog::info("resuming {} group(s) the previous run left served: {}", resumed.size(), join(resumed, " "));
    }
    // The liveness gate must be fed at least every Master_Down_Interval; a fraction of the
    // advert interval keeps it fresh with margin, bounded so 10 ms intervals do not spin.
    heartbeat_every_ = std::clamp(plan_.advert_interval / 2, std::chrono::milliseconds(5), std::chrono::milliseconds(500));
}

// A previous run that crashed may have left VIPs behind. Only after the instance lock and the
// data plane are ours (another config's VIPs were refused by the claim), and never the VIPs of a
// group the previous run left served: those stay local for the resumed master.
void Runtime::remove_stale_vips() {
    std::vector<IpAddress> candidates;
    std::set<Prefix> resumed;
    for (std::size_t gi = 0; gi < plan_.groups.size(); ++gi) {
        const Group& g = plan_.groups[gi];
        if (dataplane_->still_served(g.vrid))
            resumed.insert(prefixes_[gi].begin(), prefixes_[gi].end());
        else
            candidates.insert(candidates.end(), g.vips.begin(), g.vips.end());
    }
    // And the addresses of VIPs the previous run served that this plan dropped (the claim took
    // them out of our entries: XDP now passes their ARP, so a leftover address would answer).
    const auto& released = dataplane_->released_vips();
    candidates.insert(candidates.end(), released.begin(), released.end());
    // Our routes carry our protocol and this config's metric: nothing else is touched.
    if (auto stale = routes_->adopt(resumed); !stale.empty()) {
        std::vector<std::string> names;
        for (const auto& p : stale) names.push_back(p.to_string());
        spdlog::warn("removed {} stale VIP route(s) left by a previous run: {}", stale.size(), join(names, " "));
    }
    if (auto stale = addresses_->remove_stale(candidates); !stale.empty()) {
        std::vector<std::string> names;
        for (const auto& a : stale) names.push_back(a.to_string());
        spdlog::warn("removed {} stale VIP(s) left by a previous run: {}", stale.size(), join(names, " "));
    }
}

// The VRIDs the socket filters accept: every group of the family the runtime serves. Before the
// driver exists that is every group of the plan; after a reload, plan_.groups also holds the
// groups it stopped, which the driver no longer runs.
std::vector<std::uint8_t> Runtime::served_vrids(Family f) const {
    std::vector<std::uint8_t> v;
    for (std::size_t gi = 0; gi < plan_.groups.size(); ++gi) {
        const Group& g = plan_.groups[gi];
        if (g.family() == f && (!driver_ || driver_->active(gi))) v.push_back(g.vrid);
    }
    return v;
}

// After a reload changed the groups. Should the kernel refuse the new filter, the socket reads
// every VRID rather than miss a new group's adverts (a backup that hears no master takes over).
void Runtime::refilter_sockets() {
    for (VrrpSocket* sock : {sock4_.get(), sock6_.get()}) {
        if (!sock) continue;
        try {
            sock->accept_only(served_vrids(sock->family()));
        } catch (const std::exception& e) {
            spdlog::error("SIGHUP: {}; the socket reads every VRID until the next restart", e.what());
            try {
                sock->accept_all();
            } catch (const std::exception& e2) {
                spdlog::critical("SIGHUP: {}: the new groups' adverts may not be read", e2.what());
            }
        }
    }
}

void Runtime::install_firewall() {
    firewall_ = std::make_unique<Firewall>(*processes_, nft_table_name(plan_.instance_base), plan_.unicast_peers, plan_.runtime_dir);
    // Start-up: nothing else runs on the loop yet, so waiting here for nft holds nothing up.
    bool done = false, ok = false;
    std::string detail;
    firewall_->install([&](bool k, const std::string& d) {
        done = true;
        ok = k;
        detail = d;
    });
    while (!done && io_.run_one()) {}
    io_.restart();
    if (!ok) throw std::runtime_error("firewall: " + detail);
    spdlog::info("firewall: {}", detail);
}

void Runtime::heartbeat() {
    if (stopping_) return;
    if (dataplane_ && !dataplane_->heartbeat()) ++heartbeat_errors_;
    else heartbeat_at_ = std::chrono::steady_clock::now();
    heartbeat_timer_.expires_after(heartbeat_every_);
    heartbeat_timer_.async_wait([this](const boost::system::error_code& ec) {
        if (!ec) heartbeat();
    });
}

// --- VIP conflicts (issue 10) ---------------------------------------------------------------
//
// bpf/xvrrp.bpf.c queues one ring record per ARP reply, gratuitous ARP or NA that claims a VIP of
// a group the map says we own, for a MAC that is not ours. It has no rate limit of its own (the
// 64 KiB ring holds about 2,000 records; beyond that reports are only counted in
// conflict_ring_full), so every limit that keeps a flood from making us flood is here.

void Runtime::watch_conflicts() {
    if (!dataplane_) return;
    const int fd = dataplane_->conflict_fd();
    if (fd < 0) return;  // kernel mode: no XDP, nothing detects conflicts
    const int own = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (own < 0) throw std::runtime_error(std::string("conflict ring: dup of its epoll fd: ") + std::strerror(errno));
    conflict_watch_.emplace(io_, own);
    drain_conflicts();  // what was queued before the watch existed raises no new edge
    arm_conflict_watch();
}

void Runtime::arm_conflict_watch() {
    // Drain and re-arm in the same handler: Asio's reactor is edge-triggered, but it only reads
    // epoll after this handler returns, so a record queued in between still wakes the new wait.
    conflict_watch_->async_wait(boost::asio::posix::stream_descriptor::wait_read, [this](const boost::system::error_code& ec) {
        if (ec || stopping_ || !conflict_watch_) return;
        drain_conflicts();
        arm_conflict_watch();
    });
}

void Runtime::drain_conflicts() {
    const auto now = std::chrono::steady_clock::now();
    for (const auto& c : dataplane_->poll_conflicts()) on_conflict(c, now);
}

void Runtime::on_conflict(const dataplane::Conflict& c, std::chrono::steady_clock::time_point now) {
    using namespace std::chrono_literals;
    const auto found = group_by_vrid_.find(c.vip.family(), c.vrid);
    if (!found || !driver_->active(*found) ||
        std::find(plan_.groups[*found].vips.begin(), plan_.groups[*found].vips.end(), c.vip) ==
            plan_.groups[*found].vips.end()) {
        // A record queued just before a SIGHUP removed the group.
        ++conflicts_unmatched_;
        spdlog::debug("VIP conflict for {} (VRID {}) from MAC {}: no active group has it", c.vip.to_string(), c.vrid,
                      mac_text(c.mac));
        return;
    }
    const std::size_t gi = *found;
    const Group& g = plan_.groups[gi];
    GroupCounters& gc = group_counters_[gi];
    ++gc.vip_conflicts;
    gc.last_conflict = VipConflictSeen{c.vip, c.mac, now};
    const GroupRuntime r = driver_->runtime(gi);
    if (!r.master) {
        // XDP reports only for groups the map marks owned; a record still queued from the moment
        // before we resigned lands here. Counted, nothing to defend.
        spdlog::debug("{}: VIP {} claimed by MAC {} while {}: counted only", g.name, c.vip.to_string(), mac_text(c.mac), r.state);
        return;
    }
    // Re-assert, as keepalived's MASTER does on a lower-priority advert (an advert plus
    // garp_lower_prio_repeat gratuitous ARPs, vrrp.c vrrp_state_master_rx), but only the VIP that
    // was claimed: re-announcing the whole group per forged frame would let anyone on the link
    // multiply their traffic by the group's size (16 frames a second at 16 x 4,096 VIPs would ask
    // for ~330,000). Limits, each per `every` = max(advert interval, 1 s): the group's advert
    // once, each VIP once, and at most kConflictVipsPerWindow VIPs of a group; the rest is counted
    // as held back. The next claim after the window corrects the caches a held-back one poisoned.
    const auto every = std::max<std::chrono::steady_clock::duration>(plan_.advert_interval, 1s);
    if (!gc.last_advert_reassert || now - *gc.last_advert_reassert >= every) {
        gc.last_advert_reassert = now;
        send_advert(gi, r.priority);
        tick_done();
    }
    if (now - gc.reassert_window >= every) {
        gc.reassert_window = now;
        gc.vip_reasserted.clear();
    }
    const bool reannounce = gc.vip_reasserted.size() < kConflictVipsPerWindow && !gc.vip_reasserted.contains(c.vip);
    if (reannounce) {
        gc.vip_reasserted.insert(c.vip);
        ++gc.conflict_reannounces;
        gc.reassert_pending.push_back(c.vip);
        // The gratuitous ARP/NA waits one advert interval and goes out only if we are still
        // MASTER. During a takeover two nodes are briefly both MASTER and each sees the other's
        // GARPs as a conflict; the one that loses steps down on the advert just sent, and must not
        // have pointed every client's cache at itself on the way out.
        if (gc.reassert_pending.size() == 1) {
            if (!gc.reannounce_timer) gc.reannounce_timer = std::make_shared<boost::asio::steady_timer>(io_);
            gc.reannounce_timer->expires_after(plan_.advert_interval);
            gc.reannounce_timer->async_wait([this, gi, vrid = g.vrid, family = g.family()](const boost::system::error_code& ec) {
                if (ec || stopping_) return;
                if (gi >= plan_.groups.size() || plan_.groups[gi].vrid != vrid || plan_.groups[gi].family() != family) return;
                auto pending = std::exchange(group_counters_[gi].reassert_pending, {});
                if (!driver_->active(gi) || !driver_->runtime(gi).master) {
                    spdlog::debug("{}: no longer MASTER, conflict re-announcement dropped", plan_.groups[gi].name);
                    return;
                }
                for (const auto& vip : pending) announcer_->reassert(vip);
            });
        }
    } else {
        ++gc.conflict_reannounces_held;
    }
    // One warning per group per second; the count says how many the log left out.
    if (!gc.last_conflict_log || now - *gc.last_conflict_log >= 1s) {
        spdlog::warn("{}: VIP conflict: {} claimed by MAC {} while we are MASTER (conflict {} of this group{}); {}", g.name,
                     c.vip.to_string(), mac_text(c.mac), gc.vip_conflicts,
                     gc.conflict_logs_suppressed ? fmt::format(", {} not logged in the last second", gc.conflict_logs_suppressed) : "",
                     reannounce ? "re-announcing it (gratuitous ARP/NA one advert interval later if still MASTER)"
                                : "its re-announcement held back by the rate limit");
        gc.last_conflict_log = now;
        gc.conflict_logs_suppressed = 0;
    } else {
        ++gc.conflict_logs_suppressed;
    }
}

void Runtime::on_datagrams(std::span<const VrrpDatagram> batch) {
    if (stopping_) return;
    for (const auto& d : batch) {
        IpAddress dst = d.destination;
        if (dst == IpAddress{}) dst = vrrp_group(d.source.family());
        auto decoded = decode_advert(d.vrrp, d.source, dst, static_cast<std::uint8_t>(std::clamp(d.ttl, 0, 255)));
        if (!decoded) {
            ++drops_[static_cast<std::size_t>(decoded.reason)];
            spdlog::debug("advert from {} dropped: {}", d.source.to_string(), reason_name(decoded.reason));
            continue;
        }
        const Advert& a = decoded.advert;
        const auto found = group_by_vrid_.find(a.family, a.vrid);
        if (!found || !driver_->active(*found)) {
            ++drops_[static_cast<std::size_t>(Reason::UnknownVrid)];
            continue;
        }
        const Group& g = plan_.groups[*found];
        if (Reason r = validate_for_instance(a, d.source, expectations_[*found]); r != Reason::Ok) {
            ++drops_[static_cast<std::size_t>(r)];
            spdlog::debug("{}: advert from {} dropped: {}", g.name, d.source.to_string(), reason_name(r));
            continue;
        }
        ++group_counters_[*found].adverts_received;
        datagram_ = &d;
        driver_->advert(*found, a.priority, d.source, a.max_advert_interval);
        datagram_ = nullptr;
    }
}

void Runtime::absorb_repeats(std::size_t gi, bool on) {
    if (!dataplane_) return;
    const Group& g = plan_.groups[gi];
    dataplane::Status s = on ? (datagram_ ? dataplane_->absorb_repeats(datagram_->source, datagram_->vrrp)
                                          : dataplane::Status{})
                             : dataplane_->stop_absorbing(g.family(), g.vrid);
    // Not fatal: an unabsorbed advert simply reaches the socket. Logged once per 1,000 errors.
    if (!s && absorb_errors_++ % 1000 == 0)
        spdlog::warn("{}: repeat absorption: {} ({} error(s) so far)", g.name, s.error, absorb_errors_);
}

// Absorption is read only for running groups: a group stopped by a reload keeps its index, and
// its VRID's slot may serve a new group now.
bool Runtime::absorption_readable(std::size_t gi) const { return dataplane_ && driver_ && driver_->active(gi); }

std::uint64_t Runtime::absorbed_count(std::size_t gi) const {
    if (!absorption_readable(gi)) return 0;
    const Group& g = plan_.groups[gi];
    return dataplane_->absorbed_count(g.family(), g.vrid);
}

std::optional<std::chrono::steady_clock::time_point> Runtime::last_absorbed(std::size_t gi) const {
    if (!absorption_readable(gi)) return std::nullopt;
    const Group& g = plan_.groups[gi];
    const std::uint64_t ns = dataplane_->last_absorbed_ns(g.family(), g.vrid);
    if (ns == 0) return std::nullopt;
    // bpf_ktime_get_ns() and steady_clock are both CLOCK_MONOTONIC.
    return std::chrono::steady_clock::time_point(std::chrono::nanoseconds(ns));
}

// --- actions -------------------------------------------------------------------------------

void Runtime::send_advert(std::size_t gi, std::uint8_t priority) {
    const Group& g = plan_.groups[gi];
    Advert a;
    a.version = static_cast<std::uint8_t>(plan_.vrrp_version);
    a.vrid = g.vrid;
    a.priority = priority;
    a.max_advert_interval = plan_.advert_interval;
    a.family = g.family();
    const auto listed = g.advertised();
    a.addresses.assign(listed.begin(), listed.end());
    if (plan_.vrrp_version == 2 && plan_.v2_auth_pass) {
        a.auth_type = AuthType::Password;
        std::copy_n(plan_.auth_key.begin(), std::min<std::size_t>(8, plan_.auth_key.size()), a.auth_key.begin());
    }
    const IpAddress src = advert_source(g.family());
    const IpAddress group = vrrp_group(g.family());
    const ChecksumMode mode = plan_.v3_checksum == V3Checksum::NoPseudoHeader ? ChecksumMode::WithoutPseudoHeader
                                                                              : ChecksumMode::WithPseudoHeader;
    VrrpSocket* sock = g.family() == Family::V4 ? sock4_.get() : sock6_.get();
    if (!sock) return;
    std::vector<IpAddress> dsts;
    if (plan_.unicast) {
        for (const auto& p : plan_.unicast_peers)
            if (p.family() == g.family()) dsts.push_back(p);
    } else {
        dsts.push_back(group);
    }
    for (const auto& dst : dsts) {
        auto bytes = encode_advert(a, src, dst, mode);
        if (bytes.empty()) continue;
        sock->queue(src, dst, bytes);
        ++group_counters_[gi].adverts_sent;
    }
}

void Runtime::own_group(std::size_t gi) {
    const Group& g = plan_.groups[gi];
    auto down = ElectionDriver::master_down(plan_.vrrp_version, g.priority, plan_.advert_interval);
    // Delivery first: the moment XDP answers ARP for the group (the map write below) its traffic
    // must already be local. One request per prefix, whatever the number of VIPs.
    auto routed = routes_->add(prefixes_[gi]);
    netlink_.record(routed.latency);
    for (const auto& f : routed.failed) {
        ++group_counters_[gi].address_errors;
        spdlog::error("{}: adding local route {}: {}; retrying in 1 s while MASTER", g.name, f.prefix.to_string(),
                      std::strerror(f.error));
        lost_routes_[gi].insert(f.prefix);
    }
    if (!routed.failed.empty()) schedule_repair(std::chrono::seconds(1));
    // Write the heartbeat first: the gate must not see an old one the instant we own the group.
    if (dataplane_) {
        dataplane_->heartbeat();
        if (auto s = dataplane_->own_group(g.vrid, mac_, down); !s) {
            ++group_counters_[gi].map_write_errors;
            spdlog::error("{}: own group in the data plane: {}", g.name, s.error);
        }
    }
}

// The active MASTER group whose delivery covers `a`, if any.
std::optional<std::size_t> Runtime::group_delivering(const IpAddress& a) const {
    for (std::size_t gi = 0; gi < prefixes_.size(); ++gi) {
        if (!driver_->active(gi)) continue;
        for (const auto& p : prefixes_[gi])
            if (p.contains(a)) return driver_->runtime(gi).master ? std::optional<std::size_t>(gi) : std::nullopt;
    }
    return std::nullopt;
}

// A host address left the interface. Ours as we remove them are gone from the group by then
// (not MASTER any more); one of a MASTER group's was removed by someone else.
void Runtime::lost_address(const IpAddress& a) {
    if (stopping_ || !driver_ || !addresses_->held().contains(a)) return;
    auto gi = group_delivering(a);
    if (!gi || !needs_addresses(plan_.groups[*gi])) return;
    lost_addresses_[*gi].insert(a);
    schedule_repair(std::chrono::milliseconds(100));
}

// One of our local routes left table local; LocalRoutes forgets ours as it removes them.
void Runtime::lost_route(const Prefix& p) {
    if (stopping_ || !driver_ || !routes_->held().contains(p)) return;
    auto gi = group_delivering(p.address);
    if (!gi) return;
    lost_routes_[*gi].insert(p);
    schedule_repair(std::chrono::milliseconds(100));
}

void Runtime::schedule_repair(std::chrono::milliseconds after) {
    const auto due = std::chrono::steady_clock::now() + after;
    if (repair_due_ && *repair_due_ <= due) return;  // an earlier repair takes these too
    repair_due_ = due;
    repair_timer_.expires_at(due);
    repair_timer_.async_wait([this](const boost::system::error_code& ec) {
        if (ec) return;
        repair_due_.reset();
        repair();
    });
}

void Runtime::repair() {
    if (stopping_) return;
    auto routes = std::exchange(lost_routes_, {});
    auto addresses = std::exchange(lost_addresses_, {});
    for (auto& [gi, lost] : routes) {
        if (!driver_->active(gi) || !driver_->runtime(gi).master) continue;
        const std::vector<Prefix> list(lost.begin(), lost.end());
        auto out = routes_->add(list);
        netlink_.record(out.latency);
        group_counters_[gi].delivery_restored += list.size() - out.failed.size();
        spdlog::warn("{}: {} local route(s) missing while MASTER (first {}): {}", plan_.groups[gi].name, list.size(),
                     list.front().to_string(), out.failed.empty() ? "restored" : "some failed again, retrying in 1 s");
        for (const auto& f : out.failed) lost_routes_[gi].insert(f.prefix);
    }
    for (auto& [gi, lost] : addresses) {
        if (!driver_->active(gi) || !driver_->runtime(gi).master) continue;
        const std::vector<IpAddress> list(lost.begin(), lost.end());
        spdlog::warn("{}: {} VIP address(es) missing from {} while MASTER (first {}): adding again", plan_.groups[gi].name,
                     list.size(), plan_.interface, list.front().to_string());
        group_counters_[gi].add_in_flight = true;
        // A copy, not the structured binding: clang (C++20) cannot capture those.
        addresses_->add(list, [this, g = gi, n = list.size()](const AddressBatchOutcome& o) {
            netlink_.record(o.latency);
            auto& c = group_counters_[g];
            c.add_in_flight = false;
            c.delivery_restored += n - o.failed.size();
            for (const auto& f : o.failed) lost_addresses_[g].insert(f.address);
            if (!o.failed.empty()) schedule_repair(std::chrono::seconds(1));
        });
    }
    if (!lost_routes_.empty()) schedule_repair(std::chrono::seconds(1));
}

void Runtime::disown_group(std::size_t gi) {
    const Group& g = plan_.groups[gi];
    if (dataplane_) {
        if (auto s = dataplane_->disown_group(g.vrid); !s) {
            ++group_counters_[gi].map_write_errors;
            spdlog::error("{}: disown group in the data plane: {}", g.name, s.error);
        }
    }
    // No longer answered (above), then no longer delivered.
    auto unrouted = routes_->remove(prefixes_[gi]);
    netlink_.record(unrouted.latency);
    for (const auto& f : unrouted.failed) {
        ++group_counters_[gi].address_errors;
        spdlog::error("{}: removing local route {}: {}", g.name, f.prefix.to_string(), std::strerror(f.error));
    }
}

// The kernel answers IPv6 NS only for interface addresses: in kernel mode an IPv6 group needs
// them whatever XVRRP_VIP_ADDRESSES says (local routes are enough for ARP and for delivery).
bool Runtime::needs_addresses(const Group& g) const {
    return plan_.vip_addresses || (plan_.dataplane == Dataplane::Kernel && g.family() == Family::V6);
}

void Runtime::add_addresses(std::size_t gi) {
    const Group& g = plan_.groups[gi];
    if (!needs_addresses(g)) return;
    group_counters_[gi].add_in_flight = true;
    addresses_->add(g.vips, [this, gi](const AddressBatchOutcome& o) {
        netlink_.record(o.latency);
        auto& c = group_counters_[gi];
        c.add_in_flight = false;
        const Group& g = plan_.groups[gi];
        for (const auto& f : o.failed) {
            ++c.address_errors;
            spdlog::error("{}: adding {}: {}; retrying in 1 s while MASTER", g.name, f.address.to_string(), std::strerror(f.error));
            lost_addresses_[gi].insert(f.address);
        }
        if (!o.failed.empty()) schedule_repair(std::chrono::seconds(1));
        spdlog::debug("{}: {} address(es) added in {} us", g.name, g.vips.size(),
                      std::chrono::duration_cast<std::chrono::microseconds>(o.latency).count());
        if (c.announce_waiting) {
            c.announce_waiting = false;
            if (driver_ && driver_->runtime(gi).master) announcer_->announce(static_cast<unsigned>(gi), g.vips);
        }
        if (c.master_notify_waiting && notifier_)
            notifier_->notify(g.name, "MASTER", *std::exchange(c.master_notify_waiting, {}));
    });
}

void Runtime::remove_addresses(std::size_t gi) {
    const Group& g = plan_.groups[gi];
    announcer_->stop(static_cast<unsigned>(gi));
    group_counters_[gi].announce_waiting = false;
    if (!needs_addresses(g)) return;
    addresses_->remove(g.vips, [this, gi](const AddressBatchOutcome& o) {
        netlink_.record(o.latency);
        for (const auto& f : o.failed) {
            ++group_counters_[gi].address_errors;
            spdlog::error("{}: removing {}: {}", plan_.groups[gi].name, f.address.to_string(), std::strerror(f.error));
        }
    });
}

void Runtime::announce(std::size_t gi) {
    // Order of RFC 5798 6.4.1 as the architecture sets it: delivery, map, then GARP/NA. The local
    // routes are in (own_group); only where the kernel answers NS from interface addresses does
    // the announcement wait for the asynchronous address batch.
    if (group_counters_[gi].add_in_flight && plan_.dataplane == Dataplane::Kernel &&
        plan_.groups[gi].family() == Family::V6) {
        group_counters_[gi].announce_waiting = true;
        return;
    }
    announcer_->announce(static_cast<unsigned>(gi), plan_.groups[gi].vips);
}

void Runtime::notify(std::size_t gi, std::string_view state, std::uint8_t priority) {
    if (!notifier_) return;
    auto& c = group_counters_[gi];
    // MASTER is reported once the group's VIPs are served: a script that binds to a VIP or
    // checks `ip addr` must find it. Local delivery is in before the transition (own_group); the
    // interface addresses, when we add them, come in an asynchronous batch (add_addresses).
    if (c.master_notify_waiting) notifier_->notify(plan_.groups[gi].name, "MASTER", *std::exchange(c.master_notify_waiting, {}));
    if (state == "MASTER" && c.add_in_flight) {
        c.master_notify_waiting = priority;
        return;
    }
    notifier_->notify(plan_.groups[gi].name, std::string(state), priority);
}

void Runtime::transition(std::size_t gi, std::string_view from, std::string_view to, const std::string& cause,
                         std::chrono::system_clock::time_point at) {
    const Group& g = plan_.groups[gi];
    LogFields fields{{{"event", "state_change"}, {"group", g.name}, {"vrid", g.vrid}, {"from", from}, {"to", to}, {"cause", cause}}};
    spdlog::info("{} {}->{}: {}", g.name, from, to, cause);
    if (from == "BACKUP" && to == "MASTER" && driver_) {
        // The change's moment on the steady clock (the record waited behind urgent work).
        const auto changed = std::chrono::steady_clock::now() - (std::chrono::system_clock::now() - at);
        auto heard = driver_->runtime(gi).last_advert;
        if (auto absorbed = last_absorbed(gi); absorbed && (!heard || *absorbed > *heard)) heard = absorbed;
        if (heard && *heard <= changed) {
            const double s = std::chrono::duration<double>(changed - *heard).count();
            auto& c = group_counters_[gi];
            std::size_t b = 0;
            while (b < kTakeoverBuckets.size() && s > kTakeoverBuckets[b]) ++b;
            ++c.takeover_buckets[b];
            c.takeover_seconds_sum += s;
            ++c.takeovers;
        }
    }
    if (events_) {
        StateChange c;
        c.time = at;
        c.instance = g.name;
        c.vrid = g.vrid;
        c.from = std::string(from);
        c.to = std::string(to);
        c.cause = cause;
        c.priority = g.priority;
        events_->append(c);
    }
}

void Runtime::tick_done() {
    if (sock4_) sock4_->flush();
    if (sock6_) sock6_->flush();
}

// --- stop and reload -------------------------------------------------------------------------

void Runtime::stop(const std::string& why) {
    if (stopping_) return;
    if (options_.keep_dataplane) {
        // An upgrade or restart: no resignation, no disown, VIPs and firewall rule stay. The
        // groups stay served until the heartbeat ages past their gate; the next run adopts them
        // within it and carries on as MASTER, so no node sees a transition.
        spdlog::info("stopping ({}) with --keep-dataplane: every group left as it is for the next run", why);
        stopping_ = true;
        heartbeat_timer_.cancel();
        finish_stop();
        return;
    }
    spdlog::info("stopping ({}): resigning mastered groups", why);
    // Resign (priority-0 adverts, RFC 5798 6.4.3), disown in the map, remove addresses.
    driver_->shutdown();
    stopping_ = true;
    tick_done();
    heartbeat_timer_.cancel();
    // Notify scripts (STOP) get as long as a check may take (the check interval, 2 s by
    // default), looked at every 10 ms so a quick script does not delay the exit.
    wait_for_notify(std::chrono::steady_clock::now() + plan_.check.interval);
}

void Runtime::wait_for_notify(std::chrono::steady_clock::time_point limit) {
    if ((!notifier_ || notifier_->idle()) || std::chrono::steady_clock::now() >= limit) {
        finish_stop();
        return;
    }
    stop_timer_.expires_after(std::chrono::milliseconds(10));
    stop_timer_.async_wait([this, limit](const boost::system::error_code& ec) {
        if (!ec) wait_for_notify(limit);
    });
}

void Runtime::finish_stop() {
    conflict_watch_.reset();  // before detach frees the ring it watches
    if (options_.keep_dataplane) {
        if (dataplane_) dataplane_->detach(true);
        if (addresses_) addresses_->release();  // the next run keeps serving them
        if (processes_) processes_->kill_all();
        signals_.cancel();
        io_.stop();
        return;
    }
    if (addresses_ && !addresses_->held().empty()) {
        std::vector<IpAddress> held(addresses_->held().begin(), addresses_->held().end());
        addresses_->remove_now(held);
    }
    // Belt and braces: whatever is still on the interface from our list goes too.
    if (addresses_) addresses_->remove_stale(all_vips());
    if (routes_) {
        routes_->remove_all();
        routes_->adopt({});  // and any of ours a previous run left that this one did not hold
    }
    if (firewall_) {
        if (firewall_->remove_now())
            spdlog::info("firewall: table inet {} removed", firewall_->table());
        else
            spdlog::error("firewall: could not remove table inet {}", firewall_->table());
    }
    if (dataplane_) dataplane_->detach(false);
    if (processes_) processes_->kill_all();
    signals_.cancel();
    io_.stop();
}

void Runtime::reload() {
    spdlog::info("SIGHUP: re-reading {}", *options_.source.env_file);
    auto next = resolve_plan(options_.source);
    if (!next) {
        spdlog::error("SIGHUP: {}; keeping the running configuration", next.error().message());
        return;
    }
    const Plan& np = next.value();
    if (auto d = global_differences(plan_, np); !d.empty()) {
        spdlog::error("SIGHUP: {} changed, which needs a restart; keeping the running configuration", join(d, ", "));
        return;
    }
    if (np.log_level != plan_.log_level) {
        set_log_level(np.log_level);
        spdlog::info("SIGHUP: log level {} -> {}", plan_.log_level.empty() ? "info" : plan_.log_level, np.log_level);
        plan_.log_level = np.log_level;
    }
    // Groups are matched by VRID. Unchanged ones are not touched at all; a removed or changed
    // group is stopped as on shutdown (resign, disown, remove its addresses) and its VIP lists
    // are released; a group started later on the same family and VRID takes the stopped one's
    // slot, so the tables never hold more than one slot per VRID however many reloads run.
    std::size_t stopped = 0, unchanged = 0, added = 0;
    std::vector<const Group*> to_add;
    for (std::size_t gi = 0; gi < plan_.groups.size(); ++gi) {
        if (!driver_->active(gi)) continue;
        auto match = std::find_if(np.groups.begin(), np.groups.end(), [&](const Group& n) { return n.vrid == plan_.groups[gi].vrid; });
        if (match != np.groups.end() && same_group(*match, plan_.groups[gi])) {
            ++unchanged;
            continue;
        }
        driver_->stop_group(gi);
        ++stopped;
        for (const auto& vip : plan_.groups[gi].vips) dataplane_->remove_vip(vip);
        dataplane_->clear_vrid_config(plan_.groups[gi].vrid);
        group_by_vrid_.erase(plan_.groups[gi].family(), plan_.groups[gi].vrid);
        std::vector<IpAddress>().swap(plan_.groups[gi].vips);
        std::vector<Prefix>().swap(prefixes_[gi]);
    }
    for (const auto& n : np.groups) {
        if (!group_by_vrid_.find(n.family(), n.vrid)) to_add.push_back(&n), ++added;
    }
    const std::uint8_t versions = plan_.vrrp_version == 2 ? XVRRP_VERSION_2 : XVRRP_VERSION_3;
    for (const Group* n : to_add) {
        dataplane_->set_vrid_config(n->vrid, versions, plan_.unicast);
        dataplane_->disown_group(n->vrid);
        if (auto st = dataplane_->add_vips(n->vips, n->vrid); !st) spdlog::error("SIGHUP: {}: {}", n->name, st.error);
        // The runtime tables first: the group's start-up actions index them.
        std::optional<std::size_t> slot;
        for (std::size_t gi = 0; gi < plan_.groups.size() && !slot; ++gi)
            if (!driver_->active(gi) && plan_.groups[gi].vrid == n->vrid && plan_.groups[gi].family() == n->family()) slot = gi;
        if (slot) {
            plan_.groups[*slot] = *n;
            group_counters_[*slot] = {};
            expectations_[*slot] = expectations(*n);
            prefixes_[*slot] = prefix_cover(n->vips);
        } else {
            plan_.groups.push_back(*n);
            group_counters_.push_back({});
            expectations_.push_back(expectations(*n));
            prefixes_.push_back(prefix_cover(n->vips));
        }
        std::size_t gi = slot ? *slot : plan_.groups.size() - 1;
        group_by_vrid_.set(n->family(), n->vrid, gi);
        std::size_t di = driver_->add_group(specs_of({*n}).front(), slot);
        if (di != gi) spdlog::critical("SIGHUP: group table out of step ({} != {})", di, gi);
    }
    refilter_sockets();
    spdlog::info("SIGHUP applied: {} group(s) unchanged, {} stopped, {} started", unchanged, stopped, added);
}

// --- entry -------------------------------------------------------------------------------------

int run_daemon(const DaemonOptions& options) {
    // A peer that closes early (an HTTP or control client, a script's pipe) is an error code on
    // that write, never the end of the daemon. Children get the default back (ChildProcesses).
    std::signal(SIGPIPE, SIG_IGN);
    for (;;) {
        auto plan = resolve_plan(options.source);
        if (!plan) {
            spdlog::error("{}", plan.error().message());
            return 2;
        }
        boost::asio::io_context io;
        bool again = false;
        try {
            Runtime rt(io, plan.value(), options);
            rt.start();
            io.run();
            again = rt.restart_requested();
        } catch (const std::exception& e) {
            spdlog::error("xvrrpd: {}", e.what());
            return 1;
        }
        if (!again) break;
        spdlog::info("xvrrpd: starting again on the re-created interface");
    }
    spdlog::info("xvrrpd stopped");
    return 0;
}

}  // namespace xvrrp
