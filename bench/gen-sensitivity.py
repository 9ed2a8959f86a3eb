#!/usr/bin/env python3
"""Writes the sensitivity benchmark workspace: filler tests plus planted order dependence.

    bench/gen-sensitivity.py DIR [--fixed-base PATH] [--fillers N] [--copies K] [--seed N]

DIR gets a cargo workspace (no dependencies, builds offline) with four test binaries:

    sens-a::lib         unit tests of crate sens-a (src/lib.rs)
    sens-a::test/alpha  tests/alpha.rs of sens-a
    sens-b::test/beta   tests/beta.rs of sens-b   (sens-b's lib has `test = false`)
    sens-b::test/gamma  tests/gamma.rs of sens-b

and DIR/planted.json, which lists every planted case with the full test ids cargo-shuffle gives
them (`BINARY_ID TEST_NAME`, binary ids `PKG::lib` / `PKG::test/NAME`, see src/discover.rs).

Planted cases (each with its own state key, so that cases never interact):
  cross-process, each within one binary and across binaries:
    tmp-file     a file under std::env::temp_dir() (cargo-shuffle's per-sequence TMPDIR)
    fixed-file   a file under a fixed base path outside TMPDIR (--fixed-base; delete it before
                 every run: nothing in cargo-shuffle resets it, except --reset-cmd)
    tmp-dir      a directory left behind under TMPDIR (the victim's create_dir fails)
    conjunction  the victim fails only if both of two polluters ran before it (TMPDIR files)
    cleaner      polluter, victim, and a cleaner that removes the state (TMPDIR file)
    brittle      fails unless its state-setter ran before it (TMPDIR file); within one binary
                 the state-setter sorts before it (the reference order triage tries)
  NOD: fails ~30 % of the time from /dev/urandom, whatever the order (never OD)
  in-process (one binary, only matter when tests share a process, --isolation shared):
    env-var, once-lock, atomic-counter, mutex-cache, current-dir, logger-registry

Only the Python standard library is used.
"""

import argparse
import json
import os
import secrets
import shutil
import sys

PKGS = {
    "sens-a": {"lib_tests": True, "tests": ["alpha"]},
    "sens-b": {"lib_tests": False, "tests": ["beta", "gamma"]},
}
# Binary id -> (package, file relative to the package root).
BINARIES = {
    "sens-a::lib": ("sens-a", "src/lib.rs"),
    "sens-a::test/alpha": ("sens-a", "tests/alpha.rs"),
    "sens-b::test/beta": ("sens-b", "tests/beta.rs"),
    "sens-b::test/gamma": ("sens-b", "tests/gamma.rs"),
}
BIN_IDS = list(BINARIES)

# Helpers compiled into every binary (each file carries its own copy: no shared crate).
HELPERS = r'''
#[allow(dead_code)]
mod sens {
    use std::path::PathBuf;

    /// Base directory of the fixed-path cases (outside TMPDIR), fixed at generation.
    pub const FIXED_BASE: &str = @FIXED_BASE@;

    pub fn tmp(key: &str) -> PathBuf {
        std::env::temp_dir().join(format!("sens-{key}"))
    }
    pub fn fixed(key: &str) -> PathBuf {
        PathBuf::from(FIXED_BASE).join(format!("sens-{key}"))
    }
    pub fn set(p: PathBuf) {
        if let Some(d) = p.parent() {
            std::fs::create_dir_all(d).unwrap();
        }
        std::fs::write(&p, b"polluted").unwrap();
    }
    pub fn clear(p: PathBuf) {
        let _ = std::fs::remove_file(p);
    }
    pub fn absent(p: PathBuf, case: &str) {
        assert!(!p.exists(), "{case}: state {} left behind", p.display());
    }
    pub fn present(p: PathBuf, case: &str) {
        assert!(p.exists(), "{case}: state {} missing (state-setter did not run)", p.display());
    }
    /// A uniform roll in 0..100 from the OS's randomness (not the clock nor the pid, which
    /// would correlate with the order).
    pub fn roll() -> u32 {
        use std::io::Read;
        let mut b = [0u8; 4];
        std::fs::File::open("/dev/urandom").unwrap().read_exact(&mut b).unwrap();
        u32::from_le_bytes(b) % 100
    }
    /// Work that takes about nothing but is not optimised away.
    pub fn busy(n: u64) -> u64 {
        (0..n).fold(0u64, |a, x| a.wrapping_mul(31).wrapping_add(std::hint::black_box(x)))
    }
}
'''


class Gen:
    def __init__(self, fixed_base):
        self.fixed_base = fixed_base
        self.code = {b: [] for b in BIN_IDS}  # Rust items per binary
        self.cases = []
        self.filler = []
        self.cwd_markers = []  # (package, file name)

    def add(self, binary, module, items):
        """Adds `mod module { items }` to a binary; returns the test ids by function name."""
        body = "\n".join(items)
        self.code[binary].append(
            f"#[cfg(test)]\nmod {module} {{\n    #[allow(unused_imports)]\n    use super::sens;\n{body}\n}}\n")

    def tid(self, binary, module, fn):
        return f"{binary} {module}::{fn}"


def test_fn(name, body, doc=None):
    d = f"    /// {doc}\n" if doc else ""
    return f"{d}    #[test]\n    fn {name}() {{\n        {body}\n    }}\n"


def plant(g, copies):
    n_bins = len(BIN_IDS)
    # Binary choice rotates so that cases spread over all four binaries.
    rot = [0]

    def nxt():
        b = BIN_IDS[rot[0] % n_bins]
        rot[0] += 1
        return b

    def other(b, k=1):
        i = BIN_IDS.index(b)
        return BIN_IDS[(i + k) % n_bins]

    def case(**kw):
        base = dict(polluters=[], state_setters=[], cleaners=[], in_process_only=False)
        base.update(kw)
        g.cases.append(base)

    for c in range(1, copies + 1):
        sfx = "" if copies == 1 else f"_{c}"
        csfx = "" if copies == 1 else f"-{c}"
        # --- single polluter, cross-process mechanisms
        for mech, scope, path_fn in [("tmp-file", "sequence", "tmp"),
                                     ("fixed-file", "machine", "fixed"),
                                     ("tmp-dir", "sequence", "tmpdir")]:
            for placement in ["same-binary", "cross-binary"]:
                cid = f"{mech}-{'same' if placement == 'same-binary' else 'cross'}{csfx}"
                mod = cid.replace("-", "_")
                key = cid
                pb = nxt()
                vb = pb if placement == "same-binary" else other(pb)
                if path_fn == "tmpdir":
                    pol = (f'std::fs::create_dir_all(sens::tmp("{key}")).unwrap(); '
                           f'std::fs::write(sens::tmp("{key}").join("left-over"), b"x").unwrap();')
                    vic = (f'let d = sens::tmp("{key}");\n'
                           f'        std::fs::create_dir(&d).unwrap_or_else(|e| panic!("{cid}: create_dir {{}}: {{e}}", d.display()));\n'
                           f'        std::fs::remove_dir(&d).unwrap();')
                else:
                    pol = f'sens::set(sens::{path_fn}("{key}"));'
                    vic = f'sens::absent(sens::{path_fn}("{key}"), "{cid}");'
                if pb == vb:
                    g.add(pb, mod, [test_fn("polluter", pol), test_fn("victim", vic)])
                else:
                    g.add(pb, mod, [test_fn("polluter", pol)])
                    g.add(vb, mod, [test_fn("victim", vic)])
                case(id=cid, mechanism=mech, scope=scope, placement=placement, kind="od-victim",
                     test=g.tid(vb, mod, "victim"), polluters=[g.tid(pb, mod, "polluter")])
        # --- conjunction (TMPDIR files)
        for placement in ["same-binary", "cross-binary"]:
            cid = f"conjunction-{'same' if placement == 'same-binary' else 'cross'}{csfx}"
            mod = cid.replace("-", "_")
            b1 = nxt()
            b2 = b1 if placement == "same-binary" else other(b1)
            vb = b1 if placement == "same-binary" else other(b1, 2)
            p1 = test_fn("first", f'sens::set(sens::tmp("{cid}-1"));')
            p2 = test_fn("second", f'sens::set(sens::tmp("{cid}-2"));')
            vic = test_fn("victim", f'assert!(!(sens::tmp("{cid}-1").exists() && sens::tmp("{cid}-2").exists()), "{cid}: both polluters ran");')
            if placement == "same-binary":
                g.add(b1, mod, [p1, p2, vic])
            else:
                g.add(b1, mod, [p1])
                g.add(b2, mod, [p2])
                g.add(vb, mod, [vic])
            case(id=cid, mechanism="conjunction", scope="sequence", placement=placement,
                 kind="od-victim", test=g.tid(vb, mod, "victim"),
                 polluters=[g.tid(b1, mod, "first"), g.tid(b2, mod, "second")])
        # --- cleaner (TMPDIR file)
        for placement in ["same-binary", "cross-binary"]:
            cid = f"cleaner-{'same' if placement == 'same-binary' else 'cross'}{csfx}"
            mod = cid.replace("-", "_")
            pb = nxt()
            cb = pb if placement == "same-binary" else other(pb)
            vb = pb if placement == "same-binary" else other(pb, 2)
            pol = test_fn("polluter", f'sens::set(sens::tmp("{cid}"));')
            cln = test_fn("cleaner", f'sens::clear(sens::tmp("{cid}"));')
            vic = test_fn("victim", f'sens::absent(sens::tmp("{cid}"), "{cid}");')
            if placement == "same-binary":
                g.add(pb, mod, [pol, cln, vic])
            else:
                g.add(pb, mod, [pol])
                g.add(cb, mod, [cln])
                g.add(vb, mod, [vic])
            case(id=cid, mechanism="cleaner", scope="sequence", placement=placement,
                 kind="od-victim", test=g.tid(vb, mod, "victim"),
                 polluters=[g.tid(pb, mod, "polluter")], cleaners=[g.tid(cb, mod, "cleaner")])
        # --- brittle + state-setter (TMPDIR file); in one binary the setter sorts first
        for placement in ["same-binary", "cross-binary"]:
            cid = f"brittle-{'same' if placement == 'same-binary' else 'cross'}{csfx}"
            mod = cid.replace("-", "_")
            sb = nxt()
            tb = sb if placement == "same-binary" else other(sb)
            st = test_fn("a_set_state", f'sens::set(sens::tmp("{cid}"));')
            br = test_fn("b_needs_state", f'sens::present(sens::tmp("{cid}"), "{cid}");')
            if sb == tb:
                g.add(sb, mod, [st, br])
            else:
                g.add(sb, mod, [st])
                g.add(tb, mod, [br])
            case(id=cid, mechanism="brittle", scope="sequence", placement=placement,
                 kind="brittle", test=g.tid(tb, mod, "b_needs_state"),
                 state_setters=[g.tid(sb, mod, "a_set_state")])
        # --- NOD: two, in different binaries
        for k in (1, 2):
            cid = f"nod-{k}{csfx}"
            mod = cid.replace("-", "_")
            b = nxt()
            g.add(b, mod, [test_fn("flaky", f'let r = sens::roll(); assert!(r >= 30, "{cid}: unlucky roll {{r}}");')])
            case(id=cid, mechanism="nod", scope="none", placement="none", kind="nod",
                 test=g.tid(b, mod, "flaky"))
        # --- in-process mechanisms (one binary each)
        inproc = []
        key = f"SENS_BENCH_ENV_VAR_{c}"
        inproc.append(("env-var", [
            test_fn("polluter", f'std::env::set_var("{key}", "1");'),
            test_fn("victim", f'assert!(std::env::var_os("{key}").is_none(), "env-var: {key} is set");'),
        ], []))
        inproc.append(("once-lock", [
            "    static MODE: std::sync::OnceLock<&'static str> = std::sync::OnceLock::new();\n",
            test_fn("polluter", 'let m = MODE.get_or_init(|| "lenient"); assert!(!m.is_empty());'),
            test_fn("victim", 'let m = *MODE.get_or_init(|| "strict"); assert_eq!(m, "strict", "once-lock: initialised by someone else");'),
        ], []))
        inproc.append(("atomic-counter", [
            "    static NEXT_ID: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);\n"
            "    fn next_id() -> u32 { NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::SeqCst) }\n",
            test_fn("polluter", 'let _ = next_id();'),
            test_fn("victim", 'assert_eq!(next_id(), 0, "atomic-counter: not the first id");'),
        ], []))
        inproc.append(("mutex-cache", [
            "    static CACHE: std::sync::Mutex<Option<std::collections::HashMap<&'static str, u32>>> = std::sync::Mutex::new(None);\n"
            "    fn cached(k: &'static str, compute: impl FnOnce() -> u32) -> u32 {\n"
            "        let mut g = CACHE.lock().unwrap();\n"
            "        *g.get_or_insert_with(Default::default).entry(k).or_insert_with(compute)\n"
            "    }\n",
            test_fn("polluter", 'let _ = cached("answer", || 41); // leaves a stale entry'),
            test_fn("victim", 'assert_eq!(cached("answer", || 42), 42, "mutex-cache: stale cache entry");'),
        ], []))
        marker = f"cwd-marker-{c}.txt"
        inproc.append(("current-dir", [
            test_fn("polluter", 'std::env::set_current_dir(std::env::temp_dir()).unwrap();'),
            test_fn("victim", f'assert!(std::path::Path::new("{marker}").exists(), "current-dir: {marker} not in the current directory (package root)");'),
        ], [marker]))
        inproc.append(("logger-registry", [
            "    static LOGGER: std::sync::OnceLock<&'static str> = std::sync::OnceLock::new();\n"
            "    fn set_logger(name: &'static str) -> Result<(), String> {\n"
            "        LOGGER.set(name).map_err(|_| format!(\"a logger is already set ({})\", LOGGER.get().unwrap()))\n"
            "    }\n",
            test_fn("polluter", 'let _ = set_logger("polluter"); // try_init: tolerates a set logger'),
            test_fn("victim", 'set_logger("victim").expect("logger-registry: init"); // init: panics when set'),
        ], []))
        for mech, items, markers in inproc:
            cid = f"{mech}{csfx}"
            mod = cid.replace("-", "_")
            b = nxt()
            g.add(b, mod, items)
            for m in markers:
                g.cwd_markers.append((BINARIES[b][0], m))
            case(id=cid, mechanism=mech, scope="process", placement="same-binary",
                 kind="od-victim", test=g.tid(b, mod, "victim"),
                 polluters=[g.tid(b, mod, "polluter")], in_process_only=True)


def fillers(g, n):
    per = [n // len(BIN_IDS) + (1 if i < n % len(BIN_IDS) else 0) for i in range(len(BIN_IDS))]
    k = 0
    for b, cnt in zip(BIN_IDS, per):
        items = []
        for i in range(cnt):
            if k % 60 == 7:  # a few sleep a few ms
                body = f"std::thread::sleep(std::time::Duration::from_millis({2 + k % 4}));"
            else:
                body = f"assert_ne!(sens::busy({50 + k % 50}), u64::MAX);"
            items.append(test_fn(f"t{k:04}", body))
            g.filler.append(g.tid(b, "filler", f"t{k:04}"))
            k += 1
        g.add(b, "filler", items)


def write(dir_, g):
    if os.path.exists(dir_):
        # Refuse to clobber something that is not ours.
        if not os.path.exists(os.path.join(dir_, "planted.json")) and os.listdir(dir_):
            sys.exit(f"{dir_} exists and is not a generated sensitivity workspace; pick another DIR")
        shutil.rmtree(dir_)
    os.makedirs(dir_)
    with open(os.path.join(dir_, "Cargo.toml"), "w") as f:
        f.write("# Generated by bench/gen-sensitivity.py: planted order dependence.\n"
                "[workspace]\nresolver = \"2\"\nmembers = [\"sens-a\", \"sens-b\"]\n")
    helpers = HELPERS.replace("@FIXED_BASE@", json.dumps(g.fixed_base))
    for pkg, spec in PKGS.items():
        root = os.path.join(dir_, pkg)
        os.makedirs(os.path.join(root, "src"))
        os.makedirs(os.path.join(root, "tests"))
        lib = "" if spec["lib_tests"] else "\n[lib]\ntest = false\n"
        with open(os.path.join(root, "Cargo.toml"), "w") as f:
            f.write(f"[package]\nname = \"{pkg}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n"
                    f"publish = false\n{lib}")
        if not spec["lib_tests"]:
            with open(os.path.join(root, "src", "lib.rs"), "w") as f:
                f.write("//! Nothing: this package's tests are its integration tests.\n")
    for b, (pkg, rel) in BINARIES.items():
        with open(os.path.join(dir_, pkg, rel), "w") as f:
            f.write(f"//! Generated by bench/gen-sensitivity.py: binary `{b}`.\n")
            f.write("#![allow(clippy::all)]\n")
            f.write(helpers)
            f.write("\n".join(g.code[b]))
    for pkg, m in g.cwd_markers:
        with open(os.path.join(dir_, pkg, m), "w") as f:
            f.write("the current-dir victim looks for this file in its package root\n")
    planted = {
        "schema": "cargo-shuffle-bench/planted/v1",
        "fixed_base": g.fixed_base,
        "binaries": BIN_IDS,
        "cases": g.cases,
        "filler": g.filler,
    }
    with open(os.path.join(dir_, "planted.json"), "w") as f:
        json.dump(planted, f, indent=1)
        f.write("\n")
    return planted


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dir")
    ap.add_argument("--fixed-base", default=None,
                    help="base path of the fixed-path cases (default /tmp/cargo-shuffle-sens-fixed-RANDOM)")
    ap.add_argument("--fillers", type=int, default=300, help="passing filler tests (default 300)")
    ap.add_argument("--copies", type=int, default=1, help="copies of every planted case (default 1)")
    a = ap.parse_args()
    base = a.fixed_base or f"/tmp/cargo-shuffle-sens-fixed-{secrets.token_hex(4)}"
    base = os.path.abspath(base)
    g = Gen(base)
    plant(g, a.copies)
    fillers(g, a.fillers)
    p = write(a.dir, g)
    n_tests = len(p["filler"]) + len({t for c in p["cases"] for t in [c["test"], *c["polluters"], *c["state_setters"], *c["cleaners"]]})
    print(f"{a.dir}: {len(p['cases'])} planted cases, {len(p['filler'])} fillers, {n_tests} tests; "
          f"fixed base {base}")


if __name__ == "__main__":
    main()
