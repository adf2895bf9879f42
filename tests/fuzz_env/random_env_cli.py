#!/usr/bin/env python3
"""Runs the REAL `xvrrpd --check-config --node-ip 192.0.2.10` with seeded random environments.

Every variable `xvrrpd --list-env` prints gets, per run, one of: unset, a value from its accepted
vocabulary, such a value mutated (bytes flipped, inserted, cut, spliced from another variable's
vocabulary), or random bytes (anything but NUL, which no environment value can hold).

Contract checked on every run (docs/configuration.md, issue 10):
  - the exit status is 0 or 2, nothing else (no crash, no abort, no signal);
  - exit 2: stdout is empty and stderr is exactly ONE line `xvrrpd: VARIABLE="...` naming an
    accepted variable;
  - exit 0: a plan on stdout.
A failure prints the run's seed and a shell line that replays it; `--seed S --runs 1` replays too.
"""
import argparse
import os
import random
import re
import shlex
import subprocess
import sys
import tempfile

NODE_IP = "192.0.2.10"
MAX_VALUE = 8192

# Per variable: (values it accepts, values it rejects). Variables added later get the generic pool.
# Good values alone can still be rejected in combination (too many groups for the VRID offset,
# mixed families in one group, unicast without peers): that is part of what is exercised.
VOCABULARY = {
    "OPENSHIFT_HA_CONFIG_NAME": (["ipf-ha-router", "OpenShift-IPFailover", "a", "x_y-z"],
                                 ["ab\"c", "name with blank", "***"]),
    "OPENSHIFT_HA_VIRTUAL_IPS": (["192.0.2.100", "192.0.2.100-104", "192.0.2.10-192.0.2.12", "2001:db8::1f39-1f3b",
                                  "198.51.100.1,198.51.100.2 198.51.100.3", "203.0.113.0-255", "2001:db8::a-f",
                                  "::ffff:192.0.2.1"],
                                 ["224.0.0.1", "192.0.2.5/24", "192.0.2.9-1", ",192.0.2.1", "192.0.2.1-192.0.3.1"]),
    "OPENSHIFT_HA_VIP_GROUPS": (["0", "1", "2", "255"], ["256", "-1", "x"]),
    "OPENSHIFT_HA_VRRP_ID_OFFSET": (["0", "10", "250", "255"], ["256", "ten"]),
    "HA_EXCLUDED_VRRP_IDS": (["1", "1,2,3", "11 12", "255"], ["0", ",1"]),
    "OPENSHIFT_HA_EXCLUDED_VRRP_IDS": (["1", "11,12", "5 6,7"], ["256"]),
    "OPENSHIFT_HA_NETWORK_INTERFACE": (["eth0", "ens3", "br-ex.100"], ["a/b", "abcdefghijklmnop", ".", "br:0"]),
    "OPENSHIFT_HA_MONITOR_PORT": (["0", "80", "65535"], ["65536", "http"]),
    "OPENSHIFT_HA_CHECK_SCRIPT": (["/bin/true", "/usr/bin/env true"], ["/nonexistent/check", "check.sh", "/etc"]),
    "OPENSHIFT_HA_CHECK_INTERVAL": (["1", "2", "3600"], ["3601", "0"]),
    "OPENSHIFT_HA_NOTIFY_SCRIPT": (["/bin/true"], ["/nonexistent/notify", "notify.sh", "/etc/hostname"]),
    "OPENSHIFT_HA_PREEMPTION": (["nopreempt", "preempt_delay 300", "preempt_delay 0"],
                                ["preempt_delay 1001", "preempt_delay", "preempt"]),
    "OPENSHIFT_HA_REPLICA_COUNT": (["1", "2", "3", "255"], ["0", "256"]),
    "OPENSHIFT_HA_USE_UNICAST": (["false", "TRUE"], ["yes"]),
    "OPENSHIFT_HA_UNICAST_PEERS": (["192.0.2.10,192.0.2.11", "192.0.2.11 192.0.2.12", "2001:db8::10,2001:db8::11"],
                                   ["192.0.2.11,192.0.2.11", "192.0.2.11,,192.0.2.12", "224.0.0.18"]),
    "UNICAST_SOURCE_IPADDRESS": (["192.0.2.10", "2001:db8::10"], ["0.0.0.0", "host"]),
    "MULTICAST_SOURCE_IPADDRESS": (["192.0.2.10", "198.51.100.10"], ["255.255.255.255"]),
    "OPENSHIFT_HA_IPTABLES_CHAIN": (["INPUT"], []),
    "OPENSHIFT_HA_NFTABLES_RULE": (["1", "true"], []),
    "OPENSHIFT_HA_SELECTOR": (["ipfailover=hello"], []),
    "OPENSHIFT_HA_ADMIN_EMAILS": (["root@example.com"], []),
    "OPENSHIFT_HA_SMTP_SERVER": (["192.0.2.25"], []),
    "XVRRP_VRRP_VERSION": (["2", "3"], ["4", "v3"]),
    "XVRRP_ADVERT_INTERVAL": (["1", "3", "255"], ["256", "0.001", "1.", "0", "40.96"]),
    "XVRRP_V3_CHECKSUM": (["pseudo-header", "no-pseudo-header"], ["none"]),
    "XVRRP_PRIORITY_SCHEME": (["generator", "spread"], ["random"]),
    "XVRRP_RUNTIME_DIR": (["/run/xvrrp", "/run/xvrrp-b"], ["/tmp/x y", "run/xvrrp"]),
    "XVRRP_HTTP_ADDR": ([":63000", "127.0.0.1:63000", "[::1]:63000", "off", "OFF"],
                        ["localhost:80", "[::1]", ":0"]),
    "XVRRP_LOG_LEVEL": (["trace", "debug", "info", "warn", "error", "critical", "off"], ["verbose"]),
    "XVRRP_DATAPLANE": (["xdp", "xdp-generic", "kernel"], ["dpdk"]),
}
GENERIC = ["", " ", "0", "1", "-1", "18446744073709551616", "true", "192.0.2.1", "2001:db8::1", ",", "\t", "\n",
           "x" * 300, "\u00e9", "\"", "'", "$(true)", "%s%n", "\\", "\x7f", "\x01"]


def mutate(rng, value, all_values):
    data = bytearray(value.encode())
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(6)
        if op == 0 and data:  # flip a bit
            i = rng.randrange(len(data))
            data[i] ^= 1 << rng.randrange(8)
        elif op == 1:  # insert a random byte
            data.insert(rng.randint(0, len(data)), rng.randint(1, 255))
        elif op == 2 and data:  # cut a slice
            i = rng.randrange(len(data))
            del data[i:i + rng.randint(1, 8)]
        elif op == 3:  # splice another variable's value in
            other = rng.choice(all_values).encode()
            i = rng.randint(0, len(data))
            data[i:i] = other
        elif op == 4:  # separators and blanks at either end
            data = bytearray(rng.choice([b" ", b",", b"\t", b"\n", b""])) + data + rng.choice([b" ", b",", b"\n", b""])
        elif op == 5 and data:  # repeat (long lists, long names)
            data = data * rng.randint(2, 40)
    # The kernel caps one environment string at 128 KiB (MAX_ARG_STRLEN); stay well below.
    return bytes(b for b in data[:MAX_VALUE] if b != 0)


def random_bytes(rng):
    return bytes(rng.randint(1, 255) for _ in range(rng.randint(0, 64)))


def environment(rng, variables):
    all_values = [v for good, bad in VOCABULARY.values() for v in good + bad] + GENERIC
    env = {b"PATH": b"/usr/bin:/bin"}
    # Each run has its own share of hostile values, from none (mostly plans) to most (rejections).
    hostile = rng.choice([0.0, 0.02, 0.1, 0.3, 0.7])
    for var in variables:
        good, bad = VOCABULARY.get(var, (GENERIC, []))
        # The addresses are required: leave them unset rarely, or almost every run stops there.
        if rng.random() < (0.03 if var == "OPENSHIFT_HA_VIRTUAL_IPS" else 0.45):
            continue
        if rng.random() >= hostile:
            value = rng.choice(good).encode()
        else:
            kind = rng.random()
            if kind < 0.3 and bad:
                value = rng.choice(bad).encode()
            elif kind < 0.85:
                value = mutate(rng, rng.choice(good + bad), all_values)
            else:
                value = random_bytes(rng)
        env[var.encode()] = value
    return env


def replay_line(env, xvrrpd):
    words = ["env", "-i"] + [shlex.quote(os.fsdecode(k) + "=" + os.fsdecode(v)) for k, v in env.items()]
    return " ".join(words + [shlex.quote(xvrrpd), "--check-config", "--node-ip", NODE_IP])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--xvrrpd", required=True)
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--seed", type=int, help="first run's seed (default: random, printed)")
    args = ap.parse_args()
    args.xvrrpd = os.path.abspath(args.xvrrpd)  # the runs use a scratch working directory
    if not os.access(args.xvrrpd, os.X_OK):
        print(f"FAIL: {args.xvrrpd} is not an executable (build the xvrrpd target)")
        return 1
    listed = subprocess.run([args.xvrrpd, "--list-env"], capture_output=True, text=True)
    variables = listed.stdout.split()
    if listed.returncode != 0 or not variables:
        print(f"FAIL: xvrrpd --list-env exited {listed.returncode} with no variables: {listed.stderr.strip()}")
        return 1
    first = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 32)
    print(f"fuzz_env_cli: {args.runs} runs from seed {first} over {len(variables)} variables")
    line_re = re.compile(r'^xvrrpd: (' + "|".join(map(re.escape, variables)) + r')="')

    failures, outcomes, named = 0, {0: 0, 2: 0}, set()
    with tempfile.TemporaryDirectory() as cwd:  # scripts given by relative path resolve nowhere useful
        for n in range(args.runs):
            seed = first + n
            rng = random.Random(seed)
            env = environment(rng, variables)
            proc = subprocess.run([args.xvrrpd, "--check-config", "--node-ip", NODE_IP], env=env, cwd=cwd,
                                  capture_output=True, timeout=30)
            problem = None
            if proc.returncode not in (0, 2):
                problem = f"exit status {proc.returncode}, want 0 or 2"
            elif proc.returncode == 2:
                err_lines = proc.stderr.split(b"\n")
                if err_lines and err_lines[-1] == b"":
                    err_lines.pop()
                if proc.stdout:
                    problem = "exit 2 but a plan on stdout"
                elif len(err_lines) != 1:
                    problem = f"exit 2 with {len(err_lines)} stderr lines, want 1"
                elif not line_re.match(err_lines[0].decode(errors="replace")):
                    problem = "the error line does not start with xvrrpd: VARIABLE=\" for an accepted variable"
                else:
                    named.add(line_re.match(err_lines[0].decode(errors="replace")).group(1))
            elif not proc.stdout:
                problem = "exit 0 without a plan on stdout"
            if problem:
                failures += 1
                print(f"FAIL seed {seed}: {problem}")
                print(f"  stderr: {proc.stderr[:2000]!r}")
                line = replay_line(env, args.xvrrpd)
                if len(line) <= 1500:
                    print(f"  replay: {line}")
                print(f"  replay: {sys.argv[0]} --xvrrpd {args.xvrrpd} --seed {seed} --runs 1")
            else:
                outcomes[proc.returncode] += 1
    print(f"fuzz_env_cli: {outcomes[0]} plans, {outcomes[2]} rejections naming {len(named)} distinct variables, "
          f"{failures} failures")
    # A generator that only ever produced plans, or only rejections, would test half the contract.
    if args.runs >= 100 and (outcomes[0] == 0 or outcomes[2] == 0):
        print("FAIL: the random environments did not produce both plans and rejections")
        return 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
