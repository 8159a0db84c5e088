"""YAML reading that keeps dates as text, so a bad date is a validation error, not a crash."""

from __future__ import annotations

from typing import Any

import yaml

# libyaml's parser when PyYAML was built with it (twenty times faster on the policy files), else PyYAML's own;
# both construct with the safe constructor and resolve with the rules below.
_BASE = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BASE):  # type: ignore[misc, valid-type]
    pass


# Drop the implicit timestamp resolver: "2024-13-01" stays a string and the models validate it.
_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_yaml(text: str | bytes) -> Any:
    return yaml.load(text, Loader=_Loader)  # noqa: S506 - a (C)SafeLoader subclass


def compose_yaml(text: str | bytes) -> Any:
    """The node tree, with line marks (for an error's line); parsed again only when there is an error to place."""
    return yaml.compose(text, Loader=_Loader)  # noqa: S506 - a (C)SafeLoader subclass
