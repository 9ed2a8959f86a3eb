#!/usr/bin/env python3
"""sensitivity.py - how much planted order dependence does cargo-shuffle expose and find?

Usage: bench/sensitivity.py            (settings from the environment, see below)

Generates (or reuses) the workspace of bench/gen-sensitivity.py, builds it once, then for
every configuration and every seed 1..SEEDS:
  (a) one default run:  cargo-shuffle run --seed S --no-triage --report r.json ARGS
      -> for each planted case, did its victim fail ("exposed")? Compared with what the order
         predicts (the state's scope: the shard's sequence, the machine, the process);
         failures of tests that are not planted victims count as false failures;
  (b) for each R of HUNT_RUNS:  cargo-shuffle hunt --seed S --runs R --report h.json ARGS
      -> each case found with exact culprits / wrong culprits / wrong kind / missed; NOD tests
         called order-dependent and findings for unplanted tests are false positives;
  (c) the wall time of every invocation.
The fixed-path state (planted.json "fixed_base") is deleted before every invocation. The runs
inside each hunt are checked against their orders too. One benchmark per workspace at a time:
SENS_DIR.lock is held while it runs.

Environment:
  CARGO_SHUFFLE=PATH   binary under test (default REPO/target/release/cargo-shuffle)
  SEEDS=10             seeds 1..SEEDS (or a list: SEEDS="3 7 11")
  HUNT_RUNS="2"        hunt --runs values, e.g. "2 4 8"; empty: no hunt
  CONFIGS="name=ARGS;..."  replaces the default list:
                       process=;process-s1=--shards 1;shared=--isolation shared;
                       shared-s1=--isolation shared --shards 1
  EXTRA_CONFIGS="..."  appended to it (same form). In ARGS, {fixed_base} is replaced by the
                       fixed base path, e.g. EXTRA_CONFIGS="process-reset=--reset-cmd 'rm -rf {fixed_base}'"
  RUN_ARGS / HUNT_ARGS extra arguments for every run / every hunt (e.g. HUNT_ARGS=--find-cleaners)
  SENS_DIR=DIR         the generated workspace (default /tmp/cargo-shuffle-sens-ws); generated
                       when it has no planted.json, or always with REGEN=1
  GEN_ARGS="..."       arguments for gen-sensitivity.py (e.g. "--copies 2 --fillers 400")
  KEEP_RUST_BACKTRACE=1  keep an inherited RUST_BACKTRACE (default: unset for every run)
  OUT=DIR              default /tmp/cargo-shuffle-sens/DATE: tries.tsv (one row per case and
                       invocation), invocations.tsv (one row per invocation), summary.md,
                       raw/ (every report and log)
"""

import datetime
import fcntl
import json
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
FAIL = {"failed", "crashed", "timed-out", "error"}
# Exit codes of a run or hunt that completed (see README "Exit codes").
COMPLETED = {0, 100, 102, 105}

DEFAULT_CONFIGS = ("process=;process-s1=--shards 1;shared=--isolation shared;"
                   "shared-s1=--isolation shared --shards 1")


def env(name, default):
    v = os.environ.get(name)
    return default if v is None else v


def say(msg):
    print(f"[sensitivity] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# Reading cargo-shuffle's reports. All knowledge of the JSON field names is here (schemas
# cargo-shuffle/run-record/v1 and cargo-shuffle/hunt/v1, README "Reports"), so a renamed field
# is one edit.

def read_run(doc):
    """A run record -> {"tests": {id: {outcome, shard, position, start_ms, end_ms}},
    "elapsed_ms", "findings": [...] or None, "shard_count"}."""
    tests = {}
    for t in doc["tests"]:
        tests[t["id"]] = {
            "outcome": t["outcome"],
            "shard": t["shard"],
            "position": t["position"],
            "start_ms": t["start_ms"],
            "end_ms": t["end_ms"],
        }
    findings = [read_finding(f) for f in doc.get("findings") or []] if doc.get("triaged") else None
    return {"tests": tests, "elapsed_ms": doc.get("elapsed_ms"), "findings": findings,
            "shard_count": doc["shard_count"]}


def read_finding(f):
    return {
        "test": f["test"],
        "kind": f["kind"],  # od-victim | brittle | nod-flaky | failure | unfinished
        "polluters": list(f.get("polluters") or []),
        "state_setters": list(f.get("state_setters") or []),
        "cleaners": list(f.get("cleaners") or []),
        "in_process_state": bool(f.get("in_process_state")),
        "reruns": f.get("reruns"),
        # {passed_in_run, failed_in_run, candidate_polluters, reset_example} or None: a hunt's
        # plain failure whose state outlives the run (score_hunt counts it as "p").
        "persistent_state": f.get("persistent_state"),
    }


def read_hunt(doc):
    """A hunt report -> {"runs": [read_run...], "failing": set of ids, "findings": {test: finding}}."""
    return {
        "runs": [read_run(r) for r in doc["runs"]],
        "failing": set(doc.get("failing_tests") or []),
        "findings": {f["test"]: read_finding(f) for f in doc.get("findings") or []},
    }


# ---------------------------------------------------------------------------------------------
# What the order predicts for a case in one run.

def reach(ta, tb, mode):
    """Did state that test ta left reach test tb, for state that lives as long as `mode` says:
    "sequence" (one shard's sequence), "time" (the whole run, all shards: ta must have ended
    before tb started), None (not modelled). True / False / None (cannot tell)."""
    if mode is None:
        return None
    if ta["shard"] == tb["shard"]:
        return ta["position"] < tb["position"]
    if mode == "sequence":
        return False
    if ta["end_ms"] < tb["start_ms"]:
        return True
    if ta["start_ms"] > tb["end_ms"]:
        return False
    return None  # overlapping or the same millisecond


def before(tests, a, b, scope, modes):
    """Did test a's state reach test b? True / False / None (cannot tell). `modes` (see
    `modes_for`) says how long each kind of state lives; scope "process" needs
    modes["shared"]."""
    ta, tb = tests.get(a), tests.get(b)
    if ta is None or tb is None or ta["shard"] == 0 or tb["shard"] == 0:
        return False
    if scope == "process":
        # One process per shard and binary in shared mode; one per test otherwise.
        return (modes["shared"] and ta["shard"] == tb["shard"]
                and a.split(" ", 1)[0] == b.split(" ", 1)[0] and ta["position"] < tb["position"])
    return reach(ta, tb, modes[scope])


def predict(case, tests, modes):
    """Predicted failure of the case's test: True / False / None (undecidable)."""
    t = case["test"]
    scope = case["scope"]
    if case["kind"] == "nod":
        return None
    if case["kind"] == "brittle":
        bs = [before(tests, s, t, scope, modes) for s in case["state_setters"]]
        if None in bs:
            return None
        return not all(bs)
    bs = [before(tests, p, t, scope, modes) for p in case["polluters"]]
    if None in bs:
        return None
    if not all(bs):
        return False
    # A cleaner after the (last) polluter and before the victim undoes it.
    for c in case["cleaners"]:
        if c not in tests:
            continue
        for p in case["polluters"]:
            cb = before(tests, c, t, scope, modes)
            pc = before(tests, p, c, scope, modes)
            if cb is None or pc is None:
                return None
            if cb and pc:
                return False
    return True


def modes_for(shared, sandbox, reset, shard_count, plain_run):
    """How long each scope's state lives in one run record, as far as it can be modelled.
    TMPDIR ("sequence" scope): a shard's sequence with a sandbox per shard, the whole run with a
    sandbox per run (`--sandbox run`). The fixed path ("machine"): absent at the start of a
    plain run and never reset, so the whole run ("time"); with --reset-cmd, reset whenever a
    sandbox is first used: modelled when that is once per run (a sandbox per run, or one
    shard). In a hunt, earlier runs and their triage (or runs side by side) may have left it:
    modelled only with a reset and a single sequence."""
    tmp = "time" if sandbox == "run" else "sequence"
    if plain_run:
        if not reset:
            machine = "time"
        elif sandbox == "run":
            machine = "time"
        else:
            machine = "sequence" if shard_count == 1 else None
    else:
        machine = "sequence" if reset and shard_count == 1 and sandbox == "shard" else None
    return {"shared": shared, "sequence": tmp, "machine": machine}


def sandbox_scope(cs, args, run_env):
    """`shard` or `run`: who shares a TMPDIR. From `--sandbox` in the arguments, else the
    binary's default as its `run --help` states it; binaries without the flag give every shard
    its own."""
    for i, a in enumerate(args):
        if a == "--sandbox" and i + 1 < len(args):
            return args[i + 1]
        if a.startswith("--sandbox="):
            return a.split("=", 1)[1]
    text = subprocess.run([cs, "run", "--help"], capture_output=True, text=True, env=run_env).stdout
    if "--sandbox" not in text:
        return "shard"
    m = re.search(r"--sandbox\b.*?`(\w+)` \(default\)", text, re.S)
    return m.group(1) if m else "run"


def unexplained_in(run, cases, modes):
    """Cases whose outcome in `run` contradicts what its order predicts: [(case, failed, pred)]."""
    out = []
    for c in cases:
        obs = run["tests"].get(c["test"], {}).get("outcome")
        pred = predict(c, run["tests"], modes)
        if obs is not None and pred is not None and pred != (obs in FAIL):
            out.append((c, obs in FAIL, pred))
    return out


def case_tests(case):
    return {case["test"], *case["polluters"], *case["state_setters"], *case["cleaners"]}


# ---------------------------------------------------------------------------------------------
# Scoring a hunt against planted.json.

def score_hunt(case, h, shared):
    """Verdict for one case: exact | wrong-culprits | wrong-kind:K | missed | ok (NOD) | nod-called-od."""
    f = h["findings"].get(case["test"])
    if case["kind"] == "nod":
        if f and f["kind"] in ("od-victim", "brittle"):
            return "nod-called-od", f
        return "ok", f
    if f is None:
        # Never failed in any of the hunt's runs, or failed and has no finding (a bug).
        return ("unreported" if case["test"] in h["failing"] else "missed"), None
    want_kind = case["kind"]
    if f["kind"] != want_kind:
        ps = f.get("persistent_state")
        if (ps and f["kind"] == "failure" and want_kind == "od-victim"
                and set(case["polluters"]) <= set(ps["candidate_polluters"])):
            # A failure that says its state outlives the run and names the polluter among its
            # candidates (no --reset-cmd): still the wrong kind, but pointed at the culprit.
            return "wrong-kind:failure-persistent", f
        return f"wrong-kind:{f['kind']}", f
    got = set(f["polluters"] if want_kind == "od-victim" else f["state_setters"])
    want = set(case["polluters"] if want_kind == "od-victim" else case["state_setters"])
    return ("exact" if got == want else "wrong-culprits"), f


# ---------------------------------------------------------------------------------------------

def parse_configs(text, fixed_base):
    out = []
    for part in text.split(";"):
        part = part.strip()
        if not part:
            continue
        name, _, args = part.partition("=")
        out.append((name.strip(), shlex.split(args.replace("{fixed_base}", fixed_base))))
    return out


def run_cs(cs, args, cwd, log, fixed_base, run_env):
    shutil.rmtree(fixed_base, ignore_errors=True)
    t0 = time.monotonic()
    with open(log, "w") as lf:
        lf.write("$ " + shlex.join([cs, *args]) + "\n")
        lf.flush()
        p = subprocess.run([cs, *args], cwd=cwd, stdout=lf, stderr=subprocess.STDOUT, env=run_env)
    wall = time.monotonic() - t0
    shutil.rmtree(fixed_base, ignore_errors=True)
    return p.returncode, wall


def pct(n, d):
    return "—" if d == 0 else f"{n}/{d} ({100.0 * n / d:.0f} %)"


def group_of(case):
    if case["kind"] == "nod":
        return "nod"
    if case["kind"] == "brittle":
        return "brittle"
    if case["in_process_only"]:
        return "in-process"
    if case["mechanism"] == "conjunction":
        return "conjunction"
    return "cross-process"


def main():
    if len(sys.argv) > 1 and sys.argv[1] in ("-h", "--help"):
        print(__doc__)
        return 0
    cs = env("CARGO_SHUFFLE", os.path.join(REPO, "target/release/cargo-shuffle"))
    if not os.access(cs, os.X_OK):
        sys.exit(f"sensitivity.py: cargo-shuffle binary not found or not executable: {cs} "
                 "(cargo build --release, or set CARGO_SHUFFLE)")
    cs = os.path.abspath(cs)
    seeds_s = env("SEEDS", "10").split()
    seeds = list(range(1, int(seeds_s[0]) + 1)) if len(seeds_s) == 1 else [int(s) for s in seeds_s]
    hunt_runs = [int(x) for x in env("HUNT_RUNS", "2").split()]
    sens_dir = os.path.abspath(env("SENS_DIR", "/tmp/cargo-shuffle-sens-ws"))
    out = os.path.abspath(env("OUT", "/tmp/cargo-shuffle-sens/" +
                              datetime.datetime.now().strftime("%Y%m%d-%H%M%S")))
    run_args = shlex.split(env("RUN_ARGS", ""))
    hunt_args = shlex.split(env("HUNT_ARGS", ""))
    run_env = dict(os.environ)
    run_env["CARGO_NET_OFFLINE"] = "true"
    inherited_rb = os.environ.get("RUST_BACKTRACE", "<unset>")
    if env("KEEP_RUST_BACKTRACE", "0") != "1":
        run_env.pop("RUST_BACKTRACE", None)
    rb = run_env.get("RUST_BACKTRACE", "<unset>")

    # --- the workspace. Two benchmarks on one workspace share its fixed path and disturb each
    # other's results: the second one stops here.
    lock = open(sens_dir.rstrip("/") + ".lock", "a+")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.seek(0)
        sys.exit(f"sensitivity.py: another benchmark ({lock.read().strip() or 'pid unknown'}) is "
                 f"using {sens_dir}; wait for it, or give this one its own workspace with SENS_DIR=…")
    lock.seek(0)
    lock.truncate()
    lock.write(f"pid {os.getpid()}, OUT {out}\n")
    lock.flush()
    if env("REGEN", "0") == "1" or not os.path.exists(os.path.join(sens_dir, "planted.json")):
        say(f"generating {sens_dir}")
        subprocess.run([sys.executable, os.path.join(HERE, "gen-sensitivity.py"), sens_dir,
                        *shlex.split(env("GEN_ARGS", ""))], check=True)
    planted = json.load(open(os.path.join(sens_dir, "planted.json")))
    cases = planted["cases"]
    fixed_base = planted["fixed_base"]
    configs = parse_configs(env("CONFIGS", DEFAULT_CONFIGS) + ";" + env("EXTRA_CONFIGS", ""), fixed_base)
    os.makedirs(os.path.join(out, "raw"), exist_ok=True)
    say(f"building {sens_dir} (cargo test --no-run)")
    subprocess.run(["cargo", "test", "--no-run", "--offline", "-q"], cwd=sens_dir, check=True,
                   env=run_env, stdout=subprocess.DEVNULL)
    # Check that planted.json names the tests as cargo-shuffle does.
    lst = subprocess.run([cs, "list", "--message-format", "json", "--seed", "1"], cwd=sens_dir,
                         env=run_env, capture_output=True, text=True, check=True)
    ldoc = json.loads(lst.stdout)
    listed = {f"{t['binary_id']} {t['name']}" for s in ldoc["shards"] for t in s["tests"]}
    want = set(planted["filler"]).union(*(case_tests(c) for c in cases))
    if listed != want:
        sys.exit(f"sensitivity.py: planted.json and `cargo-shuffle list` disagree: only planted "
                 f"{sorted(want - listed)[:5]}, only listed {sorted(listed - want)[:5]}")
    victims = {c["test"] for c in cases}
    version = subprocess.run([cs, "--version"], capture_output=True, text=True).stdout.strip()
    commit = ""
    if cs.startswith(REPO + "/"):
        commit = subprocess.run(["git", "-C", REPO, "log", "-1", "--format=%h %s"],
                                capture_output=True, text=True).stdout.strip()
    say(f"{len(listed)} tests, {len(cases)} planted cases; {len(configs)} configurations × "
        f"{len(seeds)} seeds; hunt --runs {hunt_runs}; RUST_BACKTRACE={rb}")

    tries = open(os.path.join(out, "tries.tsv"), "w")
    tries.write("config\tseed\tphase\tcase\tmechanism\tplacement\tin_process_only\texpected\t"
                "observed\tpredicted\tverdict\tfinding_kind\tculprits\tcleaners\tin_process_state\n")
    invs = open(os.path.join(out, "invocations.tsv"), "w")
    invs.write("config\tseed\tphase\texit\twall_s\telapsed_ms\tfalse_failures\tunexplained\t"
               "unplanted_findings\tnod_called_od\tlog\n")
    problems = []  # (config, seed, phase, text, command)
    results = {}  # config -> aggregated numbers
    for cname, cargs in configs:
        shared = "shared" in " ".join(cargs + run_args)
        reset = "--reset-cmd" in cargs + run_args
        sandbox = sandbox_scope(cs, cargs + run_args, run_env)
        R = results.setdefault(cname, {"args": cargs, "run": [], "hunt": {r: [] for r in hunt_runs},
                                       "sandbox": sandbox})
        for seed in seeds:
            # (a) one default run
            tag = f"{cname}-s{seed}"
            rep = os.path.join(out, "raw", f"{tag}-run.json")
            log = os.path.join(out, "raw", f"{tag}-run.log")
            args = ["run", "--seed", str(seed), "--no-triage", "--no-progress", "--report", rep,
                    *cargs, *run_args]
            code, wall = run_cs(cs, args, sens_dir, log, fixed_base, run_env)
            cmd = f"cd {sens_dir} && rm -rf {fixed_base} && {shlex.join(['cargo-shuffle', *args])}"
            if code not in COMPLETED or not os.path.exists(rep):
                problems.append((cname, seed, "run", f"exit {code}", cmd))
                invs.write(f"{cname}\t{seed}\trun\t{code}\t{wall:.3f}\t\t\t\t\t\t{log}\n")
                continue
            run = read_run(json.load(open(rep)))
            tests = run["tests"]
            false_fail = sorted(t for t, r in tests.items() if r["outcome"] in FAIL and t not in victims)
            per = []
            unexplained = 0
            for c in cases:
                obs = tests.get(c["test"], {}).get("outcome")
                failed = obs in FAIL
                pred = predict(c, tests, modes_for(shared, sandbox, reset, run["shard_count"], True))
                if pred is not None and pred != failed:
                    unexplained += 1
                    problems.append((cname, seed, "run", f"{c['id']}: {c['test']} "
                                     f"{'failed' if failed else 'passed'}, the order predicts "
                                     f"{'a failure' if pred else 'a pass'}", cmd))
                per.append((c, failed, pred))
                tries.write(f"{cname}\t{seed}\trun\t{c['id']}\t{c['mechanism']}\t{c['placement']}\t"
                            f"{int(c['in_process_only'])}\t{c['kind']}\t{obs}\t"
                            f"{'' if pred is None else int(pred)}\t{'exposed' if failed else 'hidden'}"
                            f"\t\t\t\t\n")
            for t in false_fail:
                problems.append((cname, seed, "run", f"false failure: {t}", cmd))
            R["run"].append({"seed": seed, "wall": wall, "per": per, "false": false_fail,
                             "unexplained": unexplained})
            invs.write(f"{cname}\t{seed}\trun\t{code}\t{wall:.3f}\t{run['elapsed_ms']}\t"
                       f"{len(false_fail)}\t{unexplained}\t\t\t{log}\n")
            # (b) hunts
            for hr in hunt_runs:
                htag = f"{tag}-hunt{hr}"
                rep = os.path.join(out, "raw", f"{htag}.json")
                log = os.path.join(out, "raw", f"{htag}.log")
                args = ["hunt", "--seed", str(seed), "--runs", str(hr), "--no-progress", "--report",
                        rep, *cargs, *hunt_args]
                code, wall = run_cs(cs, args, sens_dir, log, fixed_base, run_env)
                cmd = f"cd {sens_dir} && rm -rf {fixed_base} && {shlex.join(['cargo-shuffle', *args])}"
                if code not in COMPLETED or not os.path.exists(rep):
                    problems.append((cname, seed, f"hunt{hr}", f"exit {code}", cmd))
                    invs.write(f"{cname}\t{seed}\thunt{hr}\t{code}\t{wall:.3f}\t\t\t\t\t\t{log}\n")
                    continue
                h = read_hunt(json.load(open(rep)))
                h_unexpl = 0
                for k, hrun in enumerate(h["runs"]):
                    for c, failed, pred in unexplained_in(
                            hrun, cases, modes_for(shared, sandbox, reset, hrun["shard_count"], False)):
                        h_unexpl += 1
                        problems.append((cname, seed, f"hunt{hr}", f"run {k + 1}: {c['id']}: {c['test']} "
                                         f"{'failed' if failed else 'passed'}, the order predicts "
                                         f"{'a failure' if pred else 'a pass'}", cmd))
                planted_tests = victims
                unplanted = sorted(t for t in h["findings"] if t not in planted_tests)
                for t in unplanted:
                    f = h["findings"][t]
                    problems.append((cname, seed, f"hunt{hr}", f"finding for an unplanted test: {t} "
                                     f"({f['kind']}, polluters {f['polluters']})", cmd))
                per = []
                nod_od = 0
                for c in cases:
                    verdict, f = score_hunt(c, h, shared)
                    exposed_any = c["test"] in h["failing"]
                    if verdict == "nod-called-od":
                        nod_od += 1
                    ips_want = c["in_process_only"]
                    ips_bad = bool(f and shared and c["kind"] != "nod" and f["kind"] in ("od-victim", "brittle")
                                   and f["in_process_state"] != ips_want)
                    if verdict == "unreported":
                        problems.append((cname, seed, f"hunt{hr}", f"{c['id']}: {c['test']} failed "
                                         "in a hunt run but has no finding", cmd))
                    if verdict in ("wrong-culprits", "nod-called-od") or ips_bad:
                        culprits = f["polluters"] or f["state_setters"]
                        problems.append((cname, seed, f"hunt{hr}", f"{c['id']}: {verdict}"
                                         f"{' (in_process_state wrong)' if ips_bad else ''}; "
                                         f"reported {f['kind']} with {culprits}, planted "
                                         f"{c['polluters'] or c['state_setters']}", cmd))
                    per.append((c, verdict, exposed_any, ips_bad, f))
                    tries.write(
                        f"{cname}\t{seed}\thunt{hr}\t{c['id']}\t{c['mechanism']}\t{c['placement']}\t"
                        f"{int(c['in_process_only'])}\t{c['kind']}\t"
                        f"{'failed' if exposed_any else 'passed'}\t\t{verdict}\t"
                        f"{f['kind'] if f else ''}\t"
                        f"{','.join((f['polluters'] or f['state_setters'])) if f else ''}\t"
                        f"{','.join(f['cleaners']) if f else ''}\t"
                        f"{int(f['in_process_state']) if f else ''}\n")
                # Each failure of a NOD test in one of the hunt's runs is triaged once.
                nod_ids = {c["test"] for c in cases if c["kind"] == "nod"}
                nod_triaged = sum(r["tests"].get(t, {}).get("outcome") in FAIL
                                  for r in h["runs"] for t in nod_ids)
                R["hunt"][hr].append({"seed": seed, "wall": wall, "per": per, "unplanted": unplanted,
                                      "nod_od": nod_od, "nod_triaged": nod_triaged, "code": code,
                                      "unexplained": h_unexpl})
                invs.write(f"{cname}\t{seed}\thunt{hr}\t{code}\t{wall:.3f}\t\t\t{h_unexpl}\t"
                           f"{len(unplanted)}\t{nod_od}\t{log}\n")
            say(f"{cname} seed {seed}: done")
        print(render_config(cname, R, cases, hunt_runs), flush=True)
    tries.close()
    invs.close()

    md = []
    md.append("# cargo-shuffle sensitivity benchmark\n")
    md.append(f"- date: {datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}")
    md.append(f"- machine: {os.cpu_count()} cores, `{' '.join(platform.uname())}`, load "
              f"{' '.join(f'{x:.2f}' for x in os.getloadavg())} at the end")
    md.append(f"- binary: `{cs}` ({version}{'; ' + commit if commit else ''})")
    md.append(f"- workspace: `{sens_dir}`: {len(listed)} tests in {len(planted['binaries'])} "
              f"binaries, {len(cases)} planted cases, fixed base `{fixed_base}`")
    md.append(f"- seeds: {seeds[0]}..{seeds[-1]} ({len(seeds)}); hunt --runs: {hunt_runs}; "
              f"RUST_BACKTRACE for the runs: {rb} (inherited: {inherited_rb}); RUN_ARGS "
              f"`{shlex.join(run_args)}`, HUNT_ARGS `{shlex.join(hunt_args)}`")
    md.append("")
    md.append(render_overview(results, hunt_runs))
    md.append(render_cases(results, cases, hunt_runs))
    for cname in results:
        md.append(render_config(cname, results[cname], cases, hunt_runs))
    md.append("## Problems\n")
    if not problems:
        md.append("none: no crash, no false failure, no outcome the order does not explain, no "
                  "wrong culprit, no NOD called OD, no finding for an unplanted test.\n")
    else:
        for cname, seed, phase, text, cmd in problems:
            md.append(f"- {cname} seed {seed} {phase}: {text}\n  `{cmd}`")
        md.append("")
    with open(os.path.join(out, "summary.md"), "w") as f:
        f.write("\n".join(md) + "\n")
    print(render_overview(results, hunt_runs), flush=True)
    print(f"{len(problems)} problem(s), listed in summary.md", flush=True)
    say(f"results in {out} (summary.md, tries.tsv, invocations.tsv, raw/)")
    return 0


def med(xs):
    return f"{statistics.median(xs):.2f}" if xs else "—"


def exposure(runs, group):
    n = d = 0
    for r in runs:
        for c, failed, _pred in r["per"]:
            if group_of(c) == group:
                d += 1
                n += failed
    return n, d


def hunt_counts(hruns, groups, args=None):
    """Verdict counts over the cases of `groups`; with `args`, only those the configuration can
    find (see `findable`)."""
    counts = {"exact": 0, "wrong-culprits": 0, "wrong-kind": 0, "missed": 0, "unreported": 0,
              "tries": 0, "exposed": 0}
    for h in hruns:
        for c, verdict, exposed, _i, _f in h["per"]:
            if group_of(c) not in groups or (args is not None and not findable(c, args)):
                continue
            counts["tries"] += 1
            counts["exposed"] += exposed
            counts[verdict.split(":")[0]] += 1
    return counts


def findable(c, cname_args):
    """Cases a configuration can be expected to find: not in-process ones under process isolation."""
    shared = "shared" in " ".join(cname_args)
    return c["kind"] != "nod" and (shared or not c["in_process_only"])


def render_overview(results, hunt_runs):
    L = ["## Overview\n",
         "Exposure = share of (seed, case) tries of one `run --no-triage` in which the victim failed. "
         "Hunt: cases found with the exact planted culprits, summed over seeds; \"all\" = seeds in "
         "which every case the configuration can find (in-process cases need `--isolation shared`) "
         "was found exactly; \"all but fixed/brittle-cross\" leaves out the fixed-path and "
         "cross-binary brittle cases, which triage cannot classify without `--reset-cmd` / outside "
         "the victim's binary. The counts after the four \"exact\" columns are over the findable "
         "cases (no in-process case under process isolation).\n"]
    head = ("| config | args | exposed: cross-process single | in-process single | conjunction | "
            "brittle failed | NOD failed | false failures | unexplained | run wall (median s) |")
    L.append(head)
    L.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for cname, R in results.items():
        cells = [pct(*exposure(R["run"], g)) for g in ("cross-process", "in-process", "conjunction",
                                                       "brittle", "nod")]
        ff = sum(len(r["false"]) for r in R["run"])
        un = sum(r["unexplained"] for r in R["run"])
        L.append(f"| {cname} | `{shlex.join(R['args'])}` | " + " | ".join(cells) +
                 f" | {ff} | {un} | {med([r['wall'] for r in R['run']])} |")
    L.append("")
    if hunt_runs:
        L.append("| config | hunt --runs | exact: cross-process | in-process | conjunction | brittle | "
                 "findable: exposed in some run | wrong culprits | wrong kind | missed | NOD called OD | "
                 "unplanted findings | seeds with all found | all but fixed/brittle-cross | "
                 "hunt wall (median s) |")
        L.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for cname, R in results.items():
            for hr in hunt_runs:
                hs = R["hunt"][hr]
                if not hs:
                    continue
                cells = []
                for g in ("cross-process", "in-process", "conjunction", "brittle"):
                    k = hunt_counts(hs, {g})
                    cells.append(pct(k["exact"], k["tries"]))
                k = hunt_counts(hs, {"cross-process", "in-process", "conjunction", "brittle"}, R["args"])
                nod = sum(h["nod_od"] for h in hs)
                unp = sum(len(h["unplanted"]) for h in hs)
                allf = sum(all(v == "exact" for c, v, *_ in h["per"] if findable(c, R["args"]))
                           for h in hs)
                allb = sum(all(v == "exact" for c, v, *_ in h["per"] if findable(c, R["args"])
                               and c["mechanism"] != "fixed-file" and c["id"] != "brittle-cross"
                               and not c["id"].startswith("brittle-cross-"))
                           for h in hs)
                unrep = f" + {k['unreported']} unreported" if k["unreported"] else ""
                L.append(f"| {cname} | {hr} | " + " | ".join(cells) +
                         f" | {pct(k['exposed'], k['tries'])} | {k['wrong-culprits']} | {k['wrong-kind']} | "
                         f"{k['missed']}{unrep} | {nod} | {unp} | "
                         f"{allf}/{len(hs)} | {allb}/{len(hs)} | {med([h['wall'] for h in hs])} |")
        L.append("")
    return "\n".join(L)


def render_cases(results, cases, hunt_runs):
    cols = [(cn, None) for cn in results] + [(cn, hr) for cn in results for hr in hunt_runs]
    L = ["## Per case\n",
         "`run`: seeds in which the default run exposed it (victim or brittle test failed; NOD: "
         "failed). `hN`: seeds in which `hunt --runs N` found it with the exact culprits (NOD: "
         "never called order-dependent); letters: w = wrong culprits, k = wrong kind, p = wrong kind (failure) "
         "but its `persistent_state` names the planted polluter among the candidates, m = missed (never failed in the hunt), "
         "u = failed but no finding, od = NOD called order-dependent.\n"]
    head = "| case | mechanism | placement | " + " | ".join(
        f"{cn} {'run' if hr is None else 'h' + str(hr)}" for cn, hr in cols) + " |"
    L.append(head)
    L.append("|---|---|---|" + "---:|" * len(cols))
    for i, c in enumerate(cases):
        cells = []
        for cn, hr in cols:
            R = results[cn]
            if hr is None:
                n = sum(r["per"][i][1] for r in R["run"])
                cells.append(f"{n}/{len(R['run'])}")
            else:
                hs = R["hunt"][hr]
                vs = [h["per"][i][1] for h in hs]
                good = sum(v in ("exact", "ok") for v in vs)
                persistent = "wrong-kind:failure-persistent"
                tests = (("w", lambda v: v.startswith("wrong-c")),
                         ("k", lambda v: v.startswith("wrong-k") and v != persistent),
                         ("p", lambda v: v == persistent),
                         ("m", lambda v: v == "missed"), ("u", lambda v: v == "unreported"),
                         ("od", lambda v: v.startswith("nod-called")))
                extra = "".join(f" {sum(map(t, vs))}{l}" for l, t in tests if any(map(t, vs)))
                cells.append(f"{good}/{len(hs)}{extra}")
        L.append(f"| {c['id']} | {c['mechanism']} | {c['placement']} | " + " | ".join(cells) + " |")
    L.append("")
    return "\n".join(L)


def render_config(cname, R, cases, hunt_runs):
    L = [f"## {cname} (`{shlex.join(R['args'])}`; TMPDIR sandbox per {R['sandbox']})\n"]
    runs = R["run"]
    L.append("| phase | exposed / found exact | details | wall median s (min–max) |")
    L.append("|---|---|---|---|")
    if runs:
        walls = [r["wall"] for r in runs]
        det = "; ".join(f"{g} {pct(*exposure(runs, g))}" for g in
                        ("cross-process", "in-process", "conjunction", "brittle", "nod"))
        ff = sum(len(r["false"]) for r in runs)
        un = sum(r["unexplained"] for r in runs)
        L.append(f"| run --no-triage ({len(runs)} seeds) | {pct(*exposure(runs, 'cross-process'))} "
                 f"cross-process | {det}; false failures {ff}; unexplained {un} | {med(walls)} "
                 f"({min(walls):.2f}–{max(walls):.2f}) |")
    for hr in hunt_runs:
        hs = R["hunt"].get(hr) or []
        if not hs:
            continue
        walls = [h["wall"] for h in hs]
        k = hunt_counts(hs, {"cross-process", "in-process", "conjunction", "brittle"}, R["args"])
        nod = sum(h["nod_od"] for h in hs)
        nod = f"{nod} (of {sum(h['nod_triaged'] for h in hs)} NOD failures triaged)"
        unp = sum(len(h["unplanted"]) for h in hs)
        L.append(f"| hunt --runs {hr} ({len(hs)} seeds) | {pct(k['exact'], k['tries'])} | exposed in "
                 f"some run {pct(k['exposed'], k['tries'])}; wrong culprits "
                 f"{k['wrong-culprits']}, wrong kind {k['wrong-kind']}, missed {k['missed']}, "
                 f"unreported {k['unreported']}, unexplained outcomes in its runs "
                 f"{sum(h['unexplained'] for h in hs)}, NOD "
                 f"called OD {nod}, unplanted findings {unp} | {med(walls)} "
                 f"({min(walls):.2f}–{max(walls):.2f}) |")
    L.append("")
    return "\n".join(L)


if __name__ == "__main__":
    sys.exit(main())
