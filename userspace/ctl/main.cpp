// xvrrpctl: command-line client of xvrrpd's control socket (<runtime dir>/<config>.sock).
//   xvrrpctl status [--json] [--group G]... [--vip ADDR]... [--watch [S]]
//                                groups, states and addresses (text table or the daemon's JSON),
//                                optionally only some groups, redrawn every S seconds
//   xvrrpctl plan [--json]       the plan the daemon runs (as --check-config prints it)
//   xvrrpctl counters            every counter, as JSON
//   xvrrpctl events --follow     state changes as JSON lines, as they happen (Ctrl-C to stop)
//   xvrrpctl --version
#include "core/config.hpp"
#include "core/ip_address.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <set>
#include <string>
#include <vector>

namespace {

std::string env_or(const char* name, const std::string& fallback) {
    const char* v = std::getenv(name);
    return v && *v ? v : fallback;
}


// The socket to talk to: the named config's, or the only one in the runtime directory.
std::string find_socket(const std::string& dir, const std::string& config, std::string& error) {
    if (!config.empty()) return dir + "/" + xvrrp::scrub_name(config) + ".sock";  // as the daemon names it
    std::vector<std::string> found;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec))
        if (e.path().extension() == ".sock") found.push_back(e.path().string());
    if (ec) {
        error = "cannot read runtime directory " + dir + ": " + ec.message() + " (is xvrrpd running? see --runtime-dir)";
        return {};
    }
    if (found.empty()) {
        error = "no xvrrpd control socket in " + dir + " (is xvrrpd running? see --runtime-dir)";
        return {};
    }
    if (found.size() > 1) {
        error = "several xvrrpd configs run here; name one with --config (OPENSHIFT_HA_CONFIG_NAME)";
        return {};
    }
    return found.front();
}

int connect_to(const std::string& path, std::string& error) {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    if (path.size() >= sizeof sa.sun_path) {
        error = "socket path too long: " + path;
        return -1;
    }
    std::memcpy(sa.sun_path, path.c_str(), path.size() + 1);
    if (connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
        error = "cannot connect to " + path + ": " + std::strerror(errno) + " (is xvrrpd running?)";
        close(fd);
        return -1;
    }
    return fd;
}

// Sends one command; calls `line` for every line of the answer until the daemon closes.
bool exchange(const std::string& path, const std::string& command, const std::function<void(const std::string&)>& line,
              std::string& error) {
    int fd = connect_to(path, error);
    if (fd < 0) return false;
    std::string cmd = command + "\n";
    if (write(fd, cmd.data(), cmd.size()) != static_cast<ssize_t>(cmd.size())) {
        error = std::string("write: ") + std::strerror(errno);
        close(fd);
        return false;
    }
    std::string buf;
    char chunk[4096];
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n <= 0) break;
        buf.append(chunk, static_cast<std::size_t>(n));
        for (auto nl = buf.find('\n'); nl != std::string::npos; nl = buf.find('\n')) {
            line(buf.substr(0, nl));
            buf.erase(0, nl + 1);
        }
    }
    if (!buf.empty()) line(buf);
    close(fd);
    return true;
}

// Keeps the groups a --group (number, name or VRID) or --vip selects; all of them without either.
// An unknown selector is an error naming it.
bool select_groups(nlohmann::json& s, const std::vector<std::string>& groups, const std::vector<std::string>& vips,
                   std::string& error) {
    if (groups.empty() && vips.empty()) return true;
    // The daemon writes addresses in their canonical text: compare with that, parsed once.
    std::vector<std::string> want_vips;
    for (const auto& v : vips) {
        auto a = xvrrp::IpAddress::parse(v);
        if (!a) {
            error = "--vip " + v + ": not an IP address";
            return false;
        }
        want_vips.push_back(a->to_string());
    }
    std::set<std::string> matched;
    auto kept = nlohmann::json::array();
    for (const auto& g : s["groups"]) {
        bool keep = false;
        for (const auto& sel : groups) {
            const bool hit = sel == g.value("name", "") || sel == std::to_string(g.value("group", 0)) ||
                             sel == "vrid:" + std::to_string(g.value("vrid", 0));
            if (hit) matched.insert("--group " + sel);
            keep = keep || hit;
        }
        for (std::size_t i = 0; i < want_vips.size(); ++i)
            for (const auto& v : g["vips"])
                if (v.get<std::string>() == want_vips[i]) {
                    matched.insert("--vip " + vips[i]);
                    keep = true;
                }
        if (keep) kept.push_back(g);
    }
    for (const auto& sel : groups)
        if (!matched.contains("--group " + sel)) {
            error = "--group " + sel + ": no such group (a number as in the GROUP column of the plan, a name, or vrid:N)";
            return false;
        }
    for (const auto& v : vips)
        if (!matched.contains("--vip " + v)) {
            error = "--vip " + v + ": no group of this config has it";
            return false;
        }
    s["groups"] = std::move(kept);
    return true;
}

void print_status_table(const nlohmann::json& s) {
    std::cout << fmt::format("config {}  interface {}  node {}  {}  VRRPv{} every {} ms\n", s.value("config_name", "?"),
                             s.value("interface", "?"), s.value("node_address", "?"), s.value("transport", "?"),
                             s.value("vrrp_version", 0), s.value("advert_interval_ms", 0));
    if (s.contains("dataplane")) std::cout << "data plane: " << s["dataplane"].value("describe", "") << "\n";
    if (s.contains("check"))
        std::cout << "check: " << s["check"].value("describe", "") << (s["check"].value("passing", true) ? " (passing)" : " (FAILING)")
                  << "\n";
    std::cout << fmt::format("{:<32} {:>4} {:<7} {:>4} {:<16} {:>9} {}\n", "GROUP", "VRID", "STATE", "PRIO", "MASTER", "CONFLICTS",
                             "VIPS (held)");
    for (const auto& g : s["groups"]) {
        // A large group (up to 4,096 VIPs and more) shows its first few and a count; --json has all.
        constexpr std::size_t kShown = 8;
        std::set<std::string> held;
        for (const auto& h : g["addresses_held"]) held.insert(h.get<std::string>());
        std::string vips;
        std::size_t n = 0;
        for (const auto& v : g["vips"]) {
            if (n++ == kShown) break;
            const std::string a = v.get<std::string>();
            vips += (vips.empty() ? "" : " ") + a + (held.count(a) ? "*" : "");
        }
        if (g["vips"].size() > kShown)
            vips += fmt::format(" ... {} VIPs, {} held", g["vips"].size(), g["addresses_held"].size());
        std::string master = g["master"].is_null() ? "-" : g["master"].get<std::string>();
        // CONFLICTS: another MAC claimed one of the group's VIPs (XDP modes; /status has the last one).
        std::cout << fmt::format("{:<32} {:>4} {:<7} {:>4} {:<16} {:>9} {}\n", g.value("name", "?"), g.value("vrid", 0),
                                 g.value("state", "?"), g.value("priority", 0), master, g.value("vip_conflicts", 0), vips);
    }
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"xvrrpctl: query a running xvrrpd", "xvrrpctl"};
    std::string runtime_dir = env_or("XVRRP_RUNTIME_DIR", "/run/xvrrp");
    std::string config = env_or("OPENSHIFT_HA_CONFIG_NAME", "");
    app.add_option("--runtime-dir", runtime_dir, "xvrrpd's runtime directory (XVRRP_RUNTIME_DIR)");
    app.add_option("--config", config, "The config name (OPENSHIFT_HA_CONFIG_NAME) when several run");
    bool json = false, follow = false, version = false;
    std::vector<std::string> groups, vips;
    double watch = 0;
    app.add_flag("--version", version, "Print the version");
    auto* status = app.add_subcommand("status", "Groups, states and addresses");
    status->add_flag("--json", json, "The daemon's JSON document");
    status->add_option("--group,-g", groups, "Only this group: its number, its name, or vrid:N (repeatable)");
    status->add_option("--vip", vips, "Only the group holding this VIP (repeatable)");
    status->add_option("--watch,-w", watch, "Redraw every this many seconds until Ctrl-C")
        ->expected(0, 1)
        ->default_str("1")
        ->check(CLI::Range(0.1, 3600.0));
    auto* plan = app.add_subcommand("plan", "The plan the daemon runs (as --check-config prints it)");
    plan->add_flag("--json", json, "As JSON");
    app.add_subcommand("counters", "Every counter, as JSON");
    auto* events = app.add_subcommand("events", "State changes as JSON lines");
    events->add_flag("--follow,-f", follow, "Keep printing new state changes as they happen");
    app.require_subcommand(0, 1);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        int rc = app.exit(e);
        return rc == 0 ? 0 : 2;
    }
    if (version) {
        std::cout << "xvrrpctl " << XVRRP_VERSION << "\n";
        return 0;
    }
    if (app.get_subcommands().empty()) {
        std::cerr << app.help() << "xvrrpctl: a subcommand is required\n";
        return 2;
    }
    const bool watching = status->count("--watch") > 0;
    if (watching && watch <= 0) watch = 1;
    std::string error;
    std::string path = find_socket(runtime_dir, config, error);
    if (path.empty()) {
        std::cerr << "xvrrpctl: " << error << "\n";
        return 1;
    }
    bool ok = true;
    if (*status) {
        for (;;) {
            std::string doc;
            ok = exchange(path, "status", [&](const std::string& l) { doc += l; }, error);
            if (!ok) break;
            nlohmann::json j;
            try {
                j = nlohmann::json::parse(doc);
            } catch (const std::exception& e) {
                std::cerr << "xvrrpctl: unreadable answer from " << path << ": " << e.what() << "\n";
                return 1;
            }
            if (!select_groups(j, groups, vips, error)) {
                std::cerr << "xvrrpctl: " << error << "\n";
                return 2;
            }
            if (watching) std::cout << "\033[H\033[2J";  // home, clear: one screen per refresh
            if (json)
                std::cout << j.dump(2) << "\n";
            else
                print_status_table(j);
            std::cout.flush();
            if (!watching) break;
            usleep(static_cast<useconds_t>(watch * 1e6));
        }
    } else if (*plan) {
        std::string doc;
        ok = exchange(path, "plan", [&](const std::string& l) { doc += l; }, error);
        if (ok) {
            try {
                auto j = nlohmann::json::parse(doc);
                if (json)
                    std::cout << j.at("json").dump(2) << "\n";
                else
                    std::cout << j.at("text").get<std::string>();
            } catch (const std::exception& e) {
                std::cerr << "xvrrpctl: unreadable answer from " << path << ": " << e.what() << "\n";
                return 1;
            }
        }
    } else if (app.got_subcommand("counters")) {
        ok = exchange(path, "counters", [](const std::string& l) { std::cout << nlohmann::json::parse(l).dump(2) << "\n"; }, error);
    } else if (*events) {
        if (!follow) {
            // Without --follow: the events file itself, which holds the history.
            std::string file = path.substr(0, path.size() - 5) + ".events.jsonl";
            std::string cmd;
            FILE* f = std::fopen(file.c_str(), "r");
            if (!f) {
                std::cerr << "xvrrpctl: cannot read " << file << ": " << std::strerror(errno) << "\n";
                return 1;
            }
            char b[4096];
            while (std::size_t n = std::fread(b, 1, sizeof b, f)) std::cout.write(b, static_cast<std::streamsize>(n));
            std::fclose(f);
            return 0;
        }
        ok = exchange(path, "events", [](const std::string& l) { std::cout << l << std::endl; }, error);
    }
    if (!ok) {
        std::cerr << "xvrrpctl: " << error << "\n";
        return 1;
    }
    return 0;
}
