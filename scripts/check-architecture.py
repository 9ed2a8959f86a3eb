#!/usr/bin/env python3
"""Checks the layout rules of docs/architecture.md on the source tree and prints what breaks them.

Rules (each one a section of docs/architecture.md):
  1. at most 8 loose .rs files directly in src/ besides main.rs and lib.rs;
  2. no source file over 600 lines unless its module doc says why ("longer than 600 lines");
  3. no import cycle between source files (file-level graph of `crate::`/`super::`/child paths),
     nor between the stage folders of src/ (two folders importing each other);
  4. src/app/cli.rs imports no other module of the crate; src/exit.rs imports nothing at all;
  5. nothing outside src/app/ imports crate::app;
  6. no untyped JSON: no serde_json::Value, json! literal or string-key lookup outside tests
     (inline `#[cfg(test)] mod` blocks and `*_tests.rs` files).
Exit status 0 when every rule holds, 1 otherwise. Run: python3 scripts/check-architecture.py
"""
import os
import re
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")
ROOT = os.path.normpath(ROOT)


def rs_files():
    for d, _, fs in os.walk(ROOT):
        for f in fs:
            if f.endswith(".rs"):
                yield os.path.relpath(os.path.join(d, f), ROOT)


def module_path(rel):
    """src-relative file -> module path list, e.g. runner/shared/mod.rs -> [runner, shared]."""
    parts = rel[:-3].split(os.sep)
    if parts[-1] in ("mod", "lib", "main"):
        parts = parts[:-1]
    return parts


def file_of(mod):
    """Longest prefix of a module path that is a file."""
    for n in range(len(mod), 0, -1):
        base = os.path.join(*mod[:n])
        for cand in (base + ".rs", os.path.join(base, "mod.rs")):
            if os.path.exists(os.path.join(ROOT, cand)):
                return cand
    return None


def strip_tests(text):
    """Drops every `#[cfg(test)] mod NAME { … }` block (test code may use what it likes), by
    brace matching, so code after a test block is still checked."""
    out, pos = [], 0
    for m in re.finditer(r"#\[cfg\(test\)\]\s*mod\s+\w+\s*\{", text):
        if m.start() < pos:
            continue
        out.append(text[pos : m.start()])
        depth, i = 1, m.end()
        while i < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        pos = i
    out.append(text[pos:])
    return "".join(out)


def expand_use(body):
    """`a::{b, c::{d, e}}` -> [a::b, a::c::d, a::c::e] (enough for this crate's use trees)."""
    body = re.sub(r"\s+", "", body)
    m = re.match(r"^(.*?)\{(.*)\}$", body)
    if not m:
        return [body]
    prefix, inner = m.groups()
    items, depth, cur = [], 0, ""
    for ch in inner:
        if ch == "," and depth == 0:
            items.append(cur)
            cur = ""
            continue
        depth += ch == "{"
        depth -= ch == "}"
        cur += ch
    if cur:
        items.append(cur)
    out = []
    for it in items:
        for e in expand_use(it):
            out.append(prefix + e)
    return out


def deps(rel, text):
    me = module_path(rel)
    # Comments (doc links included) name modules without importing them.
    text = re.sub(r"//[^\n]*", "", text)
    children = set(re.findall(r"^\s*(?:pub(?:\(crate\))?\s+)?mod\s+(\w+)\s*;", text, re.M))
    paths = []
    for m in re.finditer(r"\buse\s+([^;]+);", text):
        paths += expand_use(m.group(1))
    paths += re.findall(r"\b(crate(?:::\w+)+)", text)
    paths += re.findall(r"\b(super(?:::\w+)+)", text)
    out = set()
    for p in paths:
        p = p.replace("::self", "")
        segs = [s for s in p.split("::") if s]
        if not segs:
            continue
        if segs[0] == "crate":
            mod = segs[1:]
        elif segs[0] == "super":
            base = me[:]
            while segs and segs[0] == "super":
                base = base[:-1]
                segs = segs[1:]
            mod = base + segs
        elif segs[0] in children:
            mod = me + segs
        else:
            continue
        f = file_of(mod) if mod else None
        if f and f != rel:
            out.add(f)
    return out


def main():
    problems = []
    files = sorted(rs_files())
    texts = {f: open(os.path.join(ROOT, f), encoding="utf-8").read() for f in files}

    loose = [f for f in files if os.sep not in f and f not in ("main.rs", "lib.rs")]
    print(f"loose files in src/: {len(loose)} ({', '.join(loose)})")
    if len(loose) > 8:
        problems.append(f"{len(loose)} loose files in src/ (at most 8)")

    for f in files:
        n = texts[f].count("\n")
        if n > 600 and "longer than 600 lines" not in texts[f].split("\n\n")[0].lower():
            problems.append(f"src/{f}: {n} lines, and its module doc does not say why")

    graph = {f: deps(f, strip_tests(texts[f])) for f in files}
    # Tarjan's strongly connected components: any component of 2+ files is a cycle.
    index, low, stack, on, sccs = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                sccs.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for f in files:
        if f not in index:
            visit(f)
    for c in sccs:
        problems.append("import cycle: " + " <-> ".join("src/" + x for x in c))
    edges = sum(len(v) for v in graph.values())
    print(f"import graph: {len(files)} files, {edges} edges, {len(sccs)} cycles")

    # The same at the level of the stage folders (a file directly in src/ is its own stage).
    stage = lambda f: f.split(os.sep)[0].removesuffix(".rs")
    folder_edges = {}
    for f, ds in graph.items():
        for d in ds:
            if stage(f) != stage(d):
                folder_edges.setdefault(stage(f), set()).add(stage(d))
    for a, bs in sorted(folder_edges.items()):
        for b in sorted(bs):
            if a in folder_edges.get(b, set()) and a < b:
                problems.append(f"stage cycle: src/{a} <-> src/{b}")
    print("stage imports: " + "; ".join(f"{a} -> {', '.join(sorted(b))}" for a, b in sorted(folder_edges.items())))

    cli = os.path.join("app", "cli.rs")
    if cli in graph and graph[cli]:
        problems.append("src/app/cli.rs imports " + ", ".join(sorted(graph[cli])))
    if graph.get("exit.rs"):
        problems.append("src/exit.rs imports " + ", ".join(sorted(graph["exit.rs"])))
    if re.search(r"^\s*use\s", texts.get("exit.rs", ""), re.M):
        problems.append("src/exit.rs has a `use` (it must import nothing, not even std)")
    for f, ds in graph.items():
        if f.startswith("app" + os.sep) or f in ("lib.rs", "main.rs"):
            continue
        up = sorted(d for d in ds if d.startswith("app" + os.sep))
        if up:
            problems.append(f"src/{f} (below the application layer) imports {', '.join(up)}")

    untyped = 0
    for f in files:
        # A `#[cfg(test)] #[path = "NAME_tests.rs"] mod tests;` file is test code as a whole.
        body = "" if f.endswith("_tests.rs") else strip_tests(texts[f])
        pats = (
            r"serde_json::(?:value::)?(?:Value|Map)\b",
            r"\buse\s+serde_json::\{[^}]*\b(?:Value|Map)\b",
            r"\bjson!\s*[\(\{\[]",
            r"\[\s*\"[^\"\n]+\"\s*\]",
            r"\.get\(\s*\"[^\"\n]+\"\s*\)\s*\.and_then\(\s*(?:serde_json::)?Value::",
        )
        for pat in pats:
            for m in re.finditer(pat, body):
                line = body[: m.start()].count("\n") + 1
                problems.append(f"src/{f}:{line}: untyped JSON ({m.group(0)})")
                untyped += 1
    print(f"untyped JSON uses outside tests: {untyped}")

    for p in problems:
        print("FAIL", p)
    print("architecture check:", "ok" if not problems else f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
