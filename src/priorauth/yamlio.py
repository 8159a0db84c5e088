"""YAML reading that keeps dates as text, so a bad date is a validation error, not a crash; that refuses a key
given twice in one mapping (YAML says keys are unique; PyYAML keeps the last silently); and that bounds what
aliases expand to, so a "billion laughs" file is an error in milliseconds, not a hang."""

from __future__ import annotations

from typing import Any

import yaml

# libyaml's parser when PyYAML was built with it (twenty times faster on the policy files), else PyYAML's own;
# both construct with the safe constructor and resolve with the rules below.
_BASE = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


# Nodes a document may expand to once its aliases are followed: a large policy file is about 10,000, a case a
# few hundred.
MAX_NODES = 200_000


class _Loader(_BASE):  # type: ignore[misc, valid-type]
    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: set[tuple[str, str]] = set()
        for key, _ in node.value:  # its own keys: what a merge key (<<) brings in may be overridden, as YAML says
            if isinstance(key, yaml.ScalarNode) and key.tag != "tag:yaml.org,2002:merge":
                if (key.tag, key.value) in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"the key {key.value!r} is given twice in one mapping (the later value would "
                        "silently replace the earlier: keep one)", key.start_mark)
                seen.add((key.tag, key.value))
        return super().construct_mapping(node, deep=deep)


# Drop the implicit timestamp resolver: "2024-13-01" stays a string and the models validate it.
_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_yaml(text: str | bytes) -> Any:
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - a (C)SafeLoader subclass
    except RecursionError:
        raise yaml.YAMLError("nested too deeply") from None
    if ("&" in text if isinstance(text, str) else b"&" in text) and _expanded_size(data) > MAX_NODES:
        raise yaml.YAMLError(f"its aliases (*name) expand to more than {MAX_NODES:,} values: refused")
    return data


def _expanded_size(data: Any) -> int:
    """Values the document would hold with every alias copied out; each shared container is counted once per
    use but walked once, so this costs what the file's own size does."""
    sizes: dict[int, int] = {}

    def size(value: Any) -> int:
        if not isinstance(value, dict | list):
            return 1
        known = sizes.get(id(value))
        if known is None:
            items = value.values() if isinstance(value, dict) else value
            known = sizes[id(value)] = 1 + sum(size(v) for v in items)
            if known > MAX_NODES:
                raise _TooLarge
        return known

    try:
        return size(data)
    except _TooLarge:
        return MAX_NODES + 1


class _TooLarge(Exception):
    pass


def compose_yaml(text: str | bytes) -> Any:
    """The node tree, with line marks (for an error's line); parsed again only when there is an error to place."""
    return yaml.compose(text, Loader=_Loader)  # noqa: S506 - a (C)SafeLoader subclass
