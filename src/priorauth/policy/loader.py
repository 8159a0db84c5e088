"""Find and load policy files; errors name the file, the line and the field."""

from __future__ import annotations

import difflib
import hashlib
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from priorauth.errors import PolicyError, field_path
from priorauth.policy.model import Policy, PolicySet
from priorauth.yamlio import compose_yaml, load_yaml

POLICY_GLOB = "policy*.yaml"


def default_policy_dir() -> Path:
    """The policies shipped with the package (src/priorauth/policies)."""
    return Path(__file__).resolve().parent.parent / "policies"


def _line_of(node: yaml.Node, loc: tuple[Any, ...]) -> int:
    """The 1-based line of the YAML node at `loc` (or of the nearest parent that exists)."""
    line = node.start_mark.line + 1
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            match = next((v for k, v in node.value if getattr(k, "value", None) == part), None)
            if match is None:
                key = next((k for k, _ in node.value if getattr(k, "value", None) == part), None)
                return key.start_mark.line + 1 if key is not None else line
            node = match
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            break
        line = node.start_mark.line + 1
    return line


def load_policy_file(path: Path) -> Policy:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyError(str(path), f"cannot read: {exc.strerror or exc}") from None
    try:
        data = load_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise PolicyError(where, f"not valid YAML: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(data, dict):
        raise PolicyError(str(path), "a policy file must be a YAML mapping")
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        loc = tuple(err["loc"])
        # Validators on a node report the node; a missing key is reported at its parent. Only an invalid file
        # is parsed a second time, for the line numbers.
        line = _line_of(compose_yaml(text), loc)
        msg = err["msg"].removeprefix("Value error, ")
        more = len(exc.errors()) - 1
        suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
        raise PolicyError(f"{path}:{line}", f"{field_path(loc)}: {msg}{suffix}") from None


def policy_files(directory: Path) -> list[Path]:
    return sorted(directory.rglob(POLICY_GLOB))


def load_policies(directory: Path | None = None) -> PolicySet:
    directory = directory or default_policy_dir()
    if not directory.is_dir():
        raise PolicyError(str(directory), "no such policy directory")
    versions: dict[str, list[Policy]] = {}
    files: dict[tuple[str, str], Path] = {}
    hashes: dict[tuple[str, str], str] = {}
    for path in policy_files(directory):
        policy = load_policy_file(path)
        key = (policy.id, policy.version)
        if key in files:
            raise PolicyError(str(path), f"policy {policy.id} version {policy.version} also in {files[key]}")
        files[key] = path
        hashes[key] = hashlib.sha256(path.read_bytes()).hexdigest()
        versions.setdefault(policy.id, []).append(policy)
    if not versions:
        raise PolicyError(str(directory), f"no policy files ({POLICY_GLOB}) found")
    for vs in versions.values():
        vs.sort(key=lambda p: p.effective)
    _check_referrals(versions, files)
    return PolicySet(versions=versions, files=files, hashes=hashes)


def _check_referrals(versions: dict[str, list[Policy]], files: dict[tuple[str, str], Path]) -> None:
    """Every `refer_to` names a loaded policy, and following them never comes back to where it started."""
    targets: dict[str, set[str]] = {}
    for pid, vs in versions.items():
        for policy in vs:
            for rule in policy.scope:
                if rule.refer_to is None:
                    continue
                where = str(files[(policy.id, policy.version)])
                if rule.refer_to not in versions:
                    near = difflib.get_close_matches(rule.refer_to, list(versions), n=1)
                    hint = f" (did you mean {near[0]}?)" if near else ""
                    raise PolicyError(where, f"scope.{rule.id}.refer_to: no policy {rule.refer_to!r} is loaded{hint}")
                targets.setdefault(pid, set()).add(rule.refer_to)

    def reach(start: str, pid: str, path: list[str]) -> None:
        for target in sorted(targets.get(pid, ())):
            if target == start:
                cycle = " -> ".join([*path, target])
                policy = versions[start][-1]
                raise PolicyError(str(files[(policy.id, policy.version)]), f"refer_to goes round in a circle: {cycle}")
            if target not in path:
                reach(start, target, [*path, target])

    for pid in targets:
        reach(pid, pid, [pid])
