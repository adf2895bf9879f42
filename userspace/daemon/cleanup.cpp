#include "daemon/cleanup.hpp"

#include "adapters/address_set.hpp"
#include "adapters/dataplane.hpp"
#include "adapters/firewall.hpp"
#include "adapters/local_routes.hpp"
#include "adapters/logging.hpp"
#include "adapters/process_guard.hpp"

#include <boost/asio/io_context.hpp>

#include <net/if.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <ostream>
#include <stdexcept>

namespace xvrrp {
namespace {

std::string host_text(const IpAddress& a) { return a.to_string() + (a.is_v4() ? "/32" : "/128"); }

}  // namespace

int run_cleanup(const PlanSource& source, std::ostream& out, std::ostream& err) {
    // Scripts are not run here: a check script that is no longer mounted must not block a rollback.
    PlanSource src = source;
    src.probe_scripts = false;
    auto resolved = resolve_plan(src);
    if (!resolved) {
        err << "xvrrpd --cleanup: " << resolved.error().message() << '\n';
        return 2;
    }
    const Plan& plan = resolved.value();
    set_log_level(plan.log_level);
    const std::string what = "config " + plan.config_name + " on " + plan.interface;
    auto fail = [&](const std::string& culprit) {
        err << "xvrrpd --cleanup: " << what << ": " << culprit << '\n';
        return 1;
    };

    // The daemon's own lock: while it is held a live daemon owns all of this, and removing its
    // addresses or its slot under it would leave it serving groups it no longer has.
    if (auto e = make_directories(plan.runtime_dir); !e.empty()) return fail("XVRRP_RUNTIME_DIR: " + e);
    std::string lock_error;
    auto lock = InstanceLock::acquire(plan.runtime_dir + "/" + plan.instance_base + ".lock", lock_error);
    if (!lock) return fail(lock_error + "; stop it first (--cleanup removes what a stopped or dead daemon left)");

    const int ifindex = static_cast<int>(if_nametoindex(plan.interface.c_str()));
    if (ifindex == 0) return fail("interface " + plan.interface + " does not exist");
    dataplane::Options o;
    o.interface = plan.interface;
    o.config_name = plan.instance_base;
    // Whatever XVRRP_DATAPLANE says now, an earlier run may have used XDP: look wherever a bpffs
    // is mounted. Only in kernel mode without one there is nothing of BPF to look at.
    const bool bpffs = dataplane::on_bpffs(std::filesystem::path(o.pin_root).parent_path().string());
    o.requested = plan.dataplane == Dataplane::Kernel && bpffs ? Dataplane::Xdp : plan.dataplane;
    // The lock only sees daemons sharing this runtime directory; a pod's /run/xvrrp is its own.
    // The heartbeat in the data plane is seen by every pod mounting the host's bpffs.
    auto alive = dataplane::Dataplane::alive_controller(o);
    if (!alive) return fail("data plane: " + alive.error().message);
    if (alive.value())
        return fail("a controller of this config (pid " + std::to_string(*alive.value()) +
                    ", as its own pid namespace numbers it) fed the data plane's heartbeat less than 5 s ago; stop it first "
                    "(after a SIGKILL, wait 5 s)");

    out << "cleanup: " << what << '\n';
    std::size_t removed = 0;

    // Addresses and routes before the data plane: while the dead config's entries are in the maps, XDP keeps
    // dropping ARP/NS for its VIPs (their gate is closed), so at no moment can a leftover address
    // make the kernel answer for a VIP another node now serves.
    std::vector<IpAddress> vips;
    for (const auto& g : plan.groups) vips.insert(vips.end(), g.vips.begin(), g.vips.end());
    try {
        boost::asio::io_context io;
        AddressSet set(io, ifindex);
        const auto found = set.held_as_hosts(vips);
        const auto outcome = set.remove_now(found);
        std::string failed;
        for (const auto& a : found) {
            auto f = std::find_if(outcome.failed.begin(), outcome.failed.end(), [&](const AddressResult& r) { return r.address == a; });
            if (f != outcome.failed.end()) {
                failed += (failed.empty() ? "" : ", ") + host_text(a) + ": " + std::strerror(f->error);
                continue;
            }
            out << "cleanup: removed VIP " << host_text(a) << " from " << plan.interface << '\n';
            ++removed;
        }
        if (!failed.empty()) return fail("could not remove VIP " + failed);
        if (auto left = set.held_as_hosts(vips); !left.empty()) {
            std::string names;
            for (const auto& a : left) names += (names.empty() ? "" : " ") + host_text(a);
            return fail("VIP(s) " + names + " still on the interface after their removal");
        }
    } catch (const std::exception& e) {
        return fail(std::string("addresses: ") + e.what());
    }
    // The local routes delivering the VIPs: exactly this config's (protocol 77, its metric).
    try {
        LocalRoutes routes(ifindex, LocalRoutes::route_metric(plan.instance_base));
        const auto found = routes.list_ours();
        const auto gone = routes.adopt({});
        for (const auto& p : gone) {
            out << "cleanup: removed local route " << p.to_string() << " from " << plan.interface << '\n';
            ++removed;
        }
        if (gone.size() != found.size()) {
            std::string names;
            for (const auto& p : routes.list_ours()) names += (names.empty() ? "" : " ") + p.to_string();
            return fail("local route(s) " + names + " still there after their removal");
        }
    } catch (const std::exception& e) {
        return fail(std::string("routes: ") + e.what());
    }

    if (o.requested == Dataplane::Kernel) {
        out << "cleanup: data plane: XVRRP_DATAPLANE=kernel and no bpffs mounted, no BPF program or pins to look for\n";
    } else {
        std::error_code ec;
        const std::string pins = dataplane::interface_pin_dir(o);
        const bool pinned_before = std::filesystem::exists(pins + "/meta", ec);
        if (auto s = dataplane::Dataplane::cleanup(o); !s) return fail("data plane: " + s.error);
        const bool pinned_after = std::filesystem::exists(pins + "/meta", ec);
        if (pinned_before && !pinned_after) {
            out << "cleanup: data plane: XDP program detached from " << plan.interface << ", pins " << pins << " removed\n";
            ++removed;
        } else if (pinned_before) {
            // Other configs hold slots in the shared program: it stays. Dataplane::cleanup logged
            // whether this config had a slot to release.
            out << "cleanup: data plane: this config's slot released if it had one; the program pinned at " << pins
                << " stays for the other configs on " << plan.interface << '\n';
        }
    }

    const std::string table = nft_table_name(plan.instance_base);
    auto t = remove_table_if_present(table);
    if (!t.error.empty()) {
        // Without nft no table of ours can have been installed by an xvrrpd of this image unless
        // the config asked for one.
        if (!plan.firewall_rule && t.error.find("not installed") != std::string::npos)
            out << "cleanup: firewall: nft is not installed, no table inet " << table << " to look for\n";
        else
            return fail("firewall: " + t.error);
    } else if (t.existed) {
        out << "cleanup: removed nft table inet " << table << '\n';
        ++removed;
    }

    if (removed == 0) out << "cleanup: nothing of " << what << " was left on this node\n";
    else out << "cleanup: done, " << removed << " item(s) removed\n";
    return 0;
}

}  // namespace xvrrp
