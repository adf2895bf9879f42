#include "adapters/firewall.hpp"

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <stdexcept>

namespace xvrrp {
namespace {

std::string find_nft() {
    for (const char* p : {"/usr/sbin/nft", "/sbin/nft", "/usr/bin/nft", "/bin/nft"})
        if (access(p, X_OK) == 0) return p;
    return {};
}

std::string join(const std::vector<IpAddress>& v, bool v4) {
    std::string out;
    for (const auto& a : v) {
        if (a.is_v4() != v4) continue;
        if (!out.empty()) out += ", ";
        out += a.to_string();
    }
    return out;
}

// Runs nft with `args` (no shell), stdout and stderr captured together; returns the exit status
// (-1 when it could not run or was killed).
int run_nft(const std::string& nft, const std::vector<std::string>& args, std::string& output) {
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) != 0) return -1;
    pid_t pid = fork();
    if (pid < 0) {
        close(pipefd[0]);
        close(pipefd[1]);
        return -1;
    }
    if (pid == 0) {
        dup2(pipefd[1], STDOUT_FILENO);
        dup2(pipefd[1], STDERR_FILENO);
        std::vector<char*> argv{const_cast<char*>(nft.c_str())};
        for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        execv(nft.c_str(), argv.data());
        _exit(127);
    }
    close(pipefd[1]);
    char buf[4096];
    for (ssize_t n; (n = read(pipefd[0], buf, sizeof buf)) != 0;) {
        if (n < 0) {
            if (errno == EINTR) continue;
            break;
        }
        output.append(buf, static_cast<std::size_t>(n));
    }
    close(pipefd[0]);
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
    while (!output.empty() && output.back() == '\n') output.pop_back();
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

}  // namespace

TableRemoval remove_table_if_present(const std::string& table) {
    TableRemoval r;
    const std::string nft = find_nft();
    if (nft.empty()) {
        r.error = "the nft command is not installed (Debian package nftables)";
        return r;
    }
    // Listed as JSON rather than probed with "list table": nft's exit status does not tell a
    // missing table from a refused request.
    std::string out;
    if (int st = run_nft(nft, {"-j", "list", "tables"}, out); st != 0) {
        r.error = "nft -j list tables: exit " + std::to_string(st) + (out.empty() ? "" : ": " + out);
        return r;
    }
    auto j = nlohmann::json::parse(out, nullptr, false);
    if (j.is_discarded() || !j.contains("nftables") || !j["nftables"].is_array()) {
        r.error = "nft -j list tables: unexpected output: " + out.substr(0, 200);
        return r;
    }
    for (const auto& e : j["nftables"]) {
        if (!e.contains("table")) continue;
        const auto& t = e["table"];
        if (t.value("family", "") == "inet" && t.value("name", "") == table) r.existed = true;
    }
    if (!r.existed) return r;
    out.clear();
    if (int st = run_nft(nft, {"delete", "table", "inet", table}, out); st != 0)
        r.error = "nft delete table inet " + table + ": exit " + std::to_string(st) + (out.empty() ? "" : ": " + out);
    return r;
}


std::string nft_ruleset(const std::string& table, const std::vector<IpAddress>& peers) {
    // "add table" then "delete table" makes the delete safe when no table exists, and the whole
    // file is one transaction: there is never a moment without the accept rule on a restart.
    std::string s = "add table inet " + table + "\ndelete table inet " + table + "\n";
    s += "table inet " + table + " {\n  chain input {\n    type filter hook input priority filter; policy accept;\n";
    s += "    ip daddr 224.0.0.18 accept\n    ip6 daddr ff02::12 accept\n";
    if (auto v4 = join(peers, true); !v4.empty()) s += "    ip saddr { " + v4 + " } ip protocol 112 accept\n";
    if (auto v6 = join(peers, false); !v6.empty()) s += "    ip6 saddr { " + v6 + " } meta l4proto 112 accept\n";
    s += "  }\n}\n";
    return s;
}

Firewall::Firewall(ChildProcesses& processes, std::string table, std::vector<IpAddress> peers, std::string script_dir)
    : processes_(processes), table_(std::move(table)), peers_(std::move(peers)),
      script_path_(script_dir + "/" + table_ + ".nft"), nft_(find_nft()) {
    if (nft_.empty())
        throw std::runtime_error("OPENSHIFT_HA_NFTABLES_RULE/OPENSHIFT_HA_IPTABLES_CHAIN is set but the nft command is "
                                 "not installed (Debian package nftables)");
}

Firewall::~Firewall() {
    if (installed_) remove_now();
    unlink(script_path_.c_str());
}

void Firewall::install(Done done) {
    std::ofstream(script_path_) << nft_ruleset(table_, peers_);
    processes_.run({nft_, "-f", script_path_}, std::chrono::seconds(10), [this, done](const ProcessOutcome& o) {
        installed_ = o.success();
        done(o.success(), o.success() ? "table inet " + table_ + " installed" : "nft -f " + script_path_ + ": " + o.describe());
    });
}

void Firewall::remove(Done done) {
    processes_.run({nft_, "delete", "table", "inet", table_}, std::chrono::seconds(10), [this, done](const ProcessOutcome& o) {
        if (o.success()) installed_ = false;
        done(o.success(), "nft delete table inet " + table_ + ": " + o.describe());
    });
}

bool Firewall::remove_now() {
    pid_t pid = fork();
    if (pid == 0) {
        execl(nft_.c_str(), nft_.c_str(), "delete", "table", "inet", table_.c_str(), static_cast<char*>(nullptr));
        _exit(127);
    }
    if (pid < 0) return false;
    int st = 0;
    waitpid(pid, &st, 0);
    bool ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;
    if (ok) installed_ = false;
    return ok;
}

}  // namespace xvrrp
