"""The shared concept library (library.yaml): named leaf tests that policies reference (`uses:`) or override
with a written reason. Validated once, at first use: a bad entry is a packaging error, named."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from priorauth.yamlio import load_yaml

LIBRARY_FILE = Path(__file__).with_name("library.yaml")


@cache
def library() -> dict[str, dict[str, Any]]:
    """name -> {description, test}."""
    from priorauth.policy.leaf_tests import parse_test

    data = load_yaml(LIBRARY_FILE.read_text(encoding="utf-8"))
    for name, entry in data.items():
        if set(entry) != {"description", "test"}:
            raise ValueError(f"{LIBRARY_FILE}: {name}: needs exactly `description` and `test`")
        parse_test(entry["test"])  # raises naming the problem
    return data
