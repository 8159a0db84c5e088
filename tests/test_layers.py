"""The floor plan holds: packages in pipeline order, every import pointing down it, no package-level cycle.

case -> policy | knowledge -> engine -> intake | evidence -> tester -> service -> cli, over the shared words
(vocab, errors, yamlio). Every import counts, including the lazy ones inside functions.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "priorauth"

# Package (or top-level module) -> rank. Equal ranks are peers that must not import each other.
RANK = {
    "priorauth": 0, "vocab": 0, "errors": 0, "yamlio": 0,
    "case": 1,
    "policy": 2, "knowledge": 2,
    "engine": 3,
    "intake": 4, "evidence": 4,  # peers: a FHIR request and a note each become facts of a case
    "tester": 5, "batch": 5,  # peers: each runs many cases through the engine
    "service": 6,
    "cli": 7,
    "__main__": 8,  # python -m priorauth: the entry point runs the CLI
}


def unit_of(module: str) -> str:
    """`priorauth.engine.record` -> `engine`; `priorauth` -> `priorauth`."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def module_name(path: Path) -> str:
    rel = path.relative_to(SRC.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> list[tuple[int, str]]:
    """(line, imported priorauth module) for every import in the file, at any depth."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names if a.name.split(".")[0] == "priorauth"]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0 \
                and node.module.split(".")[0] == "priorauth":
            out.append((node.lineno, node.module))
    return out


def violations(edges: list[tuple[str, int, str]]) -> list[str]:
    """Each import (importer, line, imported) that points up the plan, sideways to a peer, or off it."""
    bad = []
    for importer, line, imported in edges:
        a, b = unit_of(importer), unit_of(imported)
        if a == b:
            continue
        if a not in RANK or b not in RANK:
            unit = a if a not in RANK else b
            bad.append(f"{importer}:{line}: {unit} is not on the floor plan (RANK in tests/test_layers.py)")
        elif RANK[b] >= RANK[a]:
            how = "a peer" if RANK[b] == RANK[a] else "a later stage"
            bad.append(f"{importer}:{line} imports {imported}: {b} is {how} of {a}")
    return bad


def package_edges() -> list[tuple[str, int, str]]:
    return [(module_name(path), line, imported)
            for path in sorted(SRC.rglob("*.py"))
            for line, imported in imports_of(path)]


def test_every_import_points_down_the_pipeline():
    edges = package_edges()
    assert len(edges) > 100  # the walk found the code
    assert violations(edges) == []


def test_every_package_is_on_the_plan():
    units = {unit_of(module_name(p)) for p in SRC.rglob("*.py")}
    assert units <= set(RANK), units - set(RANK)


def test_no_package_level_cycle():
    graph: dict[str, set[str]] = {}
    for importer, _, imported in package_edges():
        a, b = unit_of(importer), unit_of(imported)
        if a != b:
            graph.setdefault(a, set()).add(b)

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for nxt in graph.get(start, ()):
            if nxt == goal or (nxt not in seen and reaches(nxt, goal, seen | {nxt})):
                return True
        return False

    assert [u for u in graph if reaches(u, u, {u})] == []


def test_the_checker_catches_upward_peer_and_unknown_imports():
    edges = [("priorauth.engine.evaluate", 3, "priorauth.policy.loader"),  # down: fine
             ("priorauth.case.model", 5, "priorauth.engine.facts"),  # up
             ("priorauth.knowledge.codes", 7, "priorauth.policy.model"),  # peer
             ("priorauth.web.page", 9, "priorauth.engine")]  # a package the plan does not name
    found = violations(edges)
    assert len(found) == 3
    assert "later stage" in found[0] and "peer" in found[1] and "not on the floor plan" in found[2]
