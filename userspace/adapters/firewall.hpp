// The VRRP accept rule (OPENSHIFT_HA_NFTABLES_RULE / OPENSHIFT_HA_IPTABLES_CHAIN non-empty).
// OpenShift's image creates table `inet keepalived` with an input-hook chain accepting
// 224.0.0.18; ours is one table per config, `inet xvrrp_<instance base>`, so two configs on one
// node never remove each other's rule, accepting 224.0.0.18, ff02::12 and, in unicast mode,
// protocol 112 from the peers. Applied with `nft -f` as a child process (asynchronous); the
// table is replaced atomically (a stale one from a crash goes in the same transaction) and
// deleted on removal. RAII: the destructor deletes the table if still installed.
#pragma once

#include "adapters/child_process.hpp"
#include "core/ip_address.hpp"

#include <functional>
#include <string>
#include <vector>

namespace xvrrp {

// The nft script that (re)creates the table. Pure text, exposed for tests.
std::string nft_ruleset(const std::string& table, const std::vector<IpAddress>& peers);

// `xvrrpd --cleanup`: deletes table inet `table` when it exists (blocking, nft run directly).
// `existed` says whether there was one; a non-empty `error` names the nft command that failed.
struct TableRemoval {
    bool existed = false;
    std::string error;
};
TableRemoval remove_table_if_present(const std::string& table);

class Firewall {
public:
    using Done = std::function<void(bool ok, const std::string& detail)>;

    // `script_dir` receives the ruleset file nft reads. Throws std::runtime_error when nft is not
    // installed (naming the package).
    Firewall(ChildProcesses& processes, std::string table, std::vector<IpAddress> peers, std::string script_dir);
    ~Firewall();

    void install(Done done);
    void remove(Done done);
    // Blocking removal for the destructor/shutdown path.
    bool remove_now();
    bool installed() const { return installed_; }
    const std::string& table() const { return table_; }

private:
    ChildProcesses& processes_;
    std::string table_;
    std::vector<IpAddress> peers_;
    std::string script_path_;
    std::string nft_;
    bool installed_ = false;
};

}  // namespace xvrrp
