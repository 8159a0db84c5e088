"""The service's layers import downwards only: store, then audit, auth, workflow, http.

Every module under src/priorauth/service lives in one layer; the package's own `__init__` (the lazy
public API) sits above them all. A module may import its own layer and the ones below, never one above.
"""

from __future__ import annotations

import ast
from pathlib import Path

SERVICE = Path(__file__).resolve().parents[2] / "src" / "priorauth" / "service"
PACKAGE = "priorauth.service"
LAYERS = ("store", "audit", "auth", "workflow", "http")
TOP = len(LAYERS)  # the package itself, above every layer


def rank(module: str) -> int | None:
    """The layer (index in LAYERS, TOP for the package root) a dotted module name belongs to; None outside."""
    if module == PACKAGE:
        return TOP
    if not module.startswith(PACKAGE + "."):
        return None
    first = module[len(PACKAGE) + 1:].split(".")[0]
    return LAYERS.index(first) if first in LAYERS else TOP


def dotted(path: Path) -> str:
    parts = path.relative_to(SERVICE).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join((PACKAGE, *parts))


def imported(path: Path, tree: ast.AST) -> list[str]:
    """Every module an import names, function-level ones included, relative ones resolved."""
    package = dotted(path) if path.name == "__init__.py" else dotted(path).rpartition(".")[0]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            if base == PACKAGE:  # `from priorauth.service import http` names a layer
                out.extend(f"{base}.{alias.name}" for alias in node.names)
            else:
                out.append(base)
    return out


def upward(path: Path, source: str) -> list[str]:
    """The imports of one module that reach a higher layer, as `module imports target (layer -> layer)`."""
    own = rank(dotted(path))
    assert own is not None
    found = []
    for target in imported(path, ast.parse(source, str(path))):
        other = rank(target)
        if other is not None and other > own:
            found.append(f"{dotted(path)} imports {target} ({_name(own)} -> {_name(other)})")
    return found


def _name(layer: int) -> str:
    return LAYERS[layer] if layer < TOP else PACKAGE


def modules() -> list[Path]:
    return sorted(SERVICE.rglob("*.py"))


def test_every_module_is_in_a_layer():
    stray = [str(p.relative_to(SERVICE)) for p in modules()
             if p != SERVICE / "__init__.py" and p.relative_to(SERVICE).parts[0] not in LAYERS]
    assert len(modules()) > 20 and not stray, f"modules outside the layers {LAYERS}: {stray}"


def test_no_layer_imports_a_higher_one():
    found = [line for path in modules() for line in upward(path, path.read_text())]
    assert not found, "a lower service layer imports a higher one:\n" + "\n".join(found)


def test_the_check_sees_absolute_relative_and_deferred_imports():
    source = ("from priorauth.service.http.problems import Problem\n"
              "from ..workflow import cases\n"
              "from priorauth.service import auth\n"
              "def later():\n    import priorauth.service.audit.chain\n"
              "from priorauth.service.store import models\n"
              "from . import db\n")
    found = upward(SERVICE / "store" / "example.py", source)
    assert [line.split(" (")[0] for line in found] == [
        "priorauth.service.store.example imports priorauth.service.http.problems",
        "priorauth.service.store.example imports priorauth.service.workflow",
        "priorauth.service.store.example imports priorauth.service.auth",
        "priorauth.service.store.example imports priorauth.service.audit.chain",
    ]
