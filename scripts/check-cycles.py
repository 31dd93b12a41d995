#!/usr/bin/env python3
"""Fails when a crate's modules import each other in a cycle.

For each crate under crates/, every module (a file, or a directory's mod.rs) is a node; an edge
A -> B is any `crate::B` path in A's source (use lines and inline paths alike), B being a
top-level module or one of its descendants, taken at the deepest module that exists. A module
may use its own descendants and its ancestors' items freely (a parent re-exports its children,
a child uses what its parent shares): what must not happen is two modules of the same parent —
or their descendants — using each other, at any depth. The crate root (lib.rs / main.rs)
declares modules and re-exports; edges into it are ignored.

Usage: scripts/check-cycles.py [CRATE_DIR ...]   (default: every crates/*/src)
Exit 0 and one line per crate when there is no cycle; exit 1 naming each cycle otherwise.
"""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CRATE_PATH = re.compile(r"\bcrate((?:::[a-z_][a-z0-9_]*)+)")
MOD_DECL = re.compile(r"^\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+([a-z_][a-z0-9_]*)\s*;", re.M)


def strip_comments(text):
    """Source without comments, string and char literals (doc examples and messages name
    `crate::` paths that are not imports), read left to right as the lexer does."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            i = n if j < 0 else j + 2
        elif c == "r" and re.match(r'r#*"', text[i:]) and not (i and (text[i - 1].isalnum() or text[i - 1] == "_")):
            hashes = re.match(r'r(#*)"', text[i:]).group(1)
            end = text.find('"' + hashes, i + 2 + len(hashes))
            i = n if end < 0 else end + 1 + len(hashes)
            out.append('""')
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            i = j + 1
            out.append('""')
        elif c == "'" and re.match(r"'(?:\\.|[^'\\])'", text[i:]):
            i += len(re.match(r"'(?:\\.|[^'\\])'", text[i:]).group(0))
            out.append("' '")
        else:
            out.append(c)
            i += 1
    return "".join(out)


def modules(src):
    """Module path (tuple) -> file, following `mod x;` declarations from the crate root."""
    found = {}
    roots = [p for p in (src / "lib.rs", src / "main.rs") if p.exists()]

    def visit(path, file, directory):
        found[path] = file
        for name in MOD_DECL.findall(strip_comments(file.read_text())):
            for candidate, subdir in (
                (directory / f"{name}.rs", directory / name),
                (directory / name / "mod.rs", directory / name),
            ):
                if candidate.exists():
                    visit(path + (name,), candidate, subdir)
                    break

    for root in roots:
        visit((), root, src)
    return found


def root_reexports(mods):
    """`crate::Name` of a root `pub use module::...::Name` (or `{A, B as C}`) -> the module it
    comes from: a path through the root's re-exports is a path into that module."""
    names = {}
    root = mods.get(())
    if root is None:
        return names
    text = strip_comments(root.read_text())
    for match in re.finditer(r"\bpub(?:\([^)]*\))?\s+use\s+([a-z_][a-z0-9_:]*)::(\{[^}]*\}|[A-Za-z_][A-Za-z0-9_]*(?:\s+as\s+[A-Za-z_][A-Za-z0-9_]*)?)\s*;", text):
        path = tuple(match.group(1).split("::"))
        module = ()
        for i in range(1, len(path) + 1):
            if path[:i] in mods:
                module = path[:i]
        if not module:
            continue  # an external crate
        items = match.group(2).strip("{}").split(",")
        for item in items:
            item = item.strip()
            if not item:
                continue
            exported = item.split(" as ")[-1].strip()
            names[exported] = module
    return names


def edges(mods):
    graph = {m: set() for m in mods if m}
    reexports = root_reexports(mods)
    for module, file in mods.items():
        if not module:
            continue
        for match in CRATE_PATH.finditer(strip_comments(file.read_text())):
            segments = tuple(match.group(1).strip(":").split("::"))
            # The deepest module the path names.
            target = ()
            for i in range(1, len(segments) + 1):
                if segments[:i] in mods:
                    target = segments[:i]
            if not target and segments[0] in reexports:
                target = reexports[segments[0]]
            if not target or target == module or target[: len(module)] == module:
                continue  # the crate root, itself, or its own descendants
            graph[module].add(target)
    # A module depends on what its descendants depend on (they are part of it), so that a
    # child's import of its parent's sibling counts at the parent's level too.
    return graph


def collapse(graph, depth):
    """The graph between modules cut at `depth` segments (a module and its descendants are
    one node)."""
    cut = {}
    for module, targets in graph.items():
        node = module[:depth]
        cut.setdefault(node, set())
        for target in targets:
            other = target[:depth]
            if other != node and not (node[: len(other)] == other and len(other) < depth):
                cut[node].add(other)
            # A module using its own ancestor's items (the `super::` idiom) is not a cycle
            # between siblings.
    return cut


def cycles(graph):
    """Each elementary cycle found by a depth-first search, once."""
    found, seen = [], set()
    state = {}

    def dfs(node, stack):
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt and nxt[0] == "^":
                key = (node, nxt)
                if key not in seen:
                    seen.add(key)
                    found.append([node, nxt[1:], node])
                continue
            if state.get(nxt) == 1:
                cycle = stack[stack.index(nxt):] + [nxt]
                key = frozenset(cycle)
                if key not in seen:
                    seen.add(key)
                    found.append(cycle)
            elif state.get(nxt) is None:
                dfs(nxt, stack)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if state.get(node) is None:
            dfs(node, [])
    return found


def name(module):
    return "::".join(module) or "crate"


def main(args):
    crates = [Path(a) for a in args] or sorted(p for p in (ROOT / "crates").glob("*/src"))
    bad = 0
    for src in crates:
        mods = modules(src)
        graph = edges(mods)
        depth = max((len(m) for m in mods), default=1)
        found = []
        for level in range(1, depth + 1):
            for cycle in cycles(collapse(graph, level)):
                if cycle not in found:
                    found.append(cycle)
        crate = src.parent.name
        if found:
            bad += 1
            for cycle in found:
                print(f"{crate}: import cycle: {' -> '.join(name(m) for m in cycle)}")
        else:
            print(f"{crate}: {len(mods)} modules, no import cycle")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
