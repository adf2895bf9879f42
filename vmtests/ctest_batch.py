#!/usr/bin/env python3
"""Runs one ctest label inside the vmtests guest, batching GoogleTest cases per binary.

gtest_discover_tests makes every case its own ctest test, i.e. one process per case. Under qemu TCG
a process start costs about a second (dynamic linking over 9p, emulated), which would double the
run time of a 110-case suite. So every plain discovered case (command "BINARY --gtest_filter=NAME
[--gtest_also_run_disabled_tests]", no property ctest would have to interpret) runs in ONE process
per binary with the joined filter, and its cases are counted from gtest's XML report. Any other test
runs through ctest itself (`ctest -I`), so its properties keep their meaning.

Skipped or unreported cases count as failed: in a VM a skip means the kernel lacked something.

  ctest_batch.py BUILD_DIR LABEL[@BINARY]
LABEL@BINARY keeps only the label's tests whose command runs BINARY (e.g. netns@xdp_netns_test: the
kernel-sensitive XDP part of a label that also holds minutes-long controller tests).
Prints one line per case ("PASS name" / "FAIL name: why"), the output of failing runs, and last
"RESULT <passed> <failed> <note>".
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

# Properties a batched gtest case may carry: ctest needs to do nothing for them that the batch
# does not do too (the skip expression is gtest's own "[  SKIPPED ]", read from the XML instead).
BATCHABLE_PROPS = {"LABELS", "WORKING_DIRECTORY", "SKIP_REGULAR_EXPRESSION", "TIMEOUT", "ENVIRONMENT",
                   "RUN_SERIAL"}
FILTER = re.compile(r"^--gtest_filter=(.+)$")
BATCH_TIMEOUT = 900


def ctest_tests(build):
    out = subprocess.run(["ctest", "--show-only=json-v1"], cwd=build, check=True,
                         capture_output=True, text=True).stdout
    # Test numbers for `ctest -I` are positions in the full list, 1-based.
    return [dict(t, number=i + 1) for i, t in enumerate(json.loads(out)["tests"])]


def props(test):
    return {p["name"]: p["value"] for p in test.get("properties", [])}


def batch_key(test):
    """(binary, extra args, workdir, env) when the test is a plain gtest case, else None."""
    p = props(test)
    cmd = test.get("command") or []
    if set(p) - BATCHABLE_PROPS or len(cmd) < 2:
        return None
    filters = [a for a in cmd[1:] if FILTER.match(a)]
    if len(filters) != 1 or ":" in filters[0] or "-" in FILTER.match(filters[0]).group(1)[:1]:
        return None
    rest = tuple(a for a in cmd[1:] if a != filters[0])
    if rest not in ((), ("--gtest_also_run_disabled_tests",)):
        return None
    return (cmd[0], rest, p.get("WORKING_DIRECTORY", ""), tuple(p.get("ENVIRONMENT", [])))


def run_batch(key, tests, results):
    binary, rest, workdir, env_list = key
    names = {FILTER.match(next(a for a in t["command"] if FILTER.match(a))).group(1): t["name"]
             for t in tests}
    env = dict(os.environ)
    for kv in env_list:
        k, _, v = kv.partition("=")
        env[k] = v
    with tempfile.TemporaryDirectory() as tmp:
        xml_path = os.path.join(tmp, "report.xml")
        cmd = [binary, "--gtest_filter=" + ":".join(names), *rest, "--gtest_output=xml:" + xml_path]
        # The binary writes straight into the suite log, so a guest stopped by the watchdog still
        # shows how far it got.
        print(f"---- {os.path.basename(binary)}: {len(names)} case(s) in one process ----", flush=True)
        try:
            rc = subprocess.run(cmd, cwd=workdir or None, env=env, stderr=subprocess.STDOUT,
                                timeout=BATCH_TIMEOUT).returncode
        except subprocess.TimeoutExpired:
            print(f"timed out after {BATCH_TIMEOUT}s", flush=True)
            rc = -1
        seen = {}
        if os.path.exists(xml_path):
            for case in ET.parse(xml_path).getroot().iter("testcase"):
                full = f"{case.get('classname')}.{case.get('name')}"
                if case.find("failure") is not None:
                    seen[full] = "failed"
                elif case.get("result") == "skipped" or case.find("skipped") is not None:
                    seen[full] = "skipped"
                elif case.get("status") == "run":
                    seen[full] = None
                else:
                    seen[full] = case.get("status") or "not run"
    failed_any = False
    for gtest_name, ctest_name in names.items():
        why = seen.get(gtest_name, f"no result (binary exited {rc})")
        results.append((ctest_name, why))
        failed_any |= why is not None
    if failed_any or rc != 0:
        print(f"---- {os.path.basename(binary)} exited {rc} ----", flush=True)


def run_through_ctest(build, tests, results):
    with tempfile.TemporaryDirectory() as tmp:
        junit = os.path.join(tmp, "junit.xml")
        ids = ",".join(str(t["number"]) for t in tests)
        proc = subprocess.run(["ctest", "-I", f"0,0,0,{ids}", "--output-on-failure",
                               "--output-junit", junit], cwd=build, capture_output=True, text=True)
        seen = {}
        if os.path.exists(junit):
            for case in ET.parse(junit).getroot().iter("testcase"):
                st = case.get("status")
                seen[case.get("name")] = None if st == "run" else (st or "unknown")
    for t in tests:
        results.append((t["name"], seen.get(t["name"], "no result from ctest")))
    if any(why for _, why in results[-len(tests):]) or proc.returncode != 0:
        print("---- ctest output ----")
        print((proc.stdout + proc.stderr)[-20000:])


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: ctest_batch.py BUILD_DIR LABEL")
    build, suite = sys.argv[1:]
    label, _, binary = suite.partition("@")
    tests = [t for t in ctest_tests(build) if label in props(t).get("LABELS", [])
             and (not binary or os.path.basename((t.get("command") or [""])[0]) == binary)]
    if not tests:
        print(f"RESULT 0 1 no tests for {suite} in {build}")
        return 1
    batches, single = {}, []
    for t in tests:
        key = batch_key(t)
        if key is None:
            single.append(t)
        else:
            batches.setdefault(key, []).append(t)
    results = []
    for key, group in batches.items():
        run_batch(key, group, results)
    if single:
        run_through_ctest(build, single, results)
    for name, why in results:
        print(f"PASS {name}" if why is None else f"FAIL {name}: {why}")
    failed = sum(1 for _, why in results if why is not None)
    print(f"INFO {len(batches)} gtest batch(es), {len(single)} test(s) through ctest")
    print(f"RESULT {len(results) - failed} {failed}")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
