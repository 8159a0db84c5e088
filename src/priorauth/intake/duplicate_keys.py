"""JSON reading that refuses what JSON parsers forgive: a key given twice in one object (every parser we use keeps
the last value silently, so a case saying two things about one fact would be read as saying one)."""

from __future__ import annotations

import json
from typing import Any

from priorauth.errors import field_path


class _Twice:
    """Returned in place of an object with a repeated key; carries the key's path up to the document."""

    __slots__ = ("path",)

    def __init__(self, path: tuple[Any, ...]) -> None:
        self.path = path


def _pairs(pairs: list[tuple[str, Any]]) -> Any:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if type(value) is _Twice:
            return _Twice((key, *value.path))
        if type(value) is list:
            for i, item in enumerate(value):
                if type(item) is _Twice:
                    return _Twice((key, i, *item.path))
        if key in out:
            return _Twice((key,))
        out[key] = value
    return out


def repeated_key(text: str | bytes) -> str | None:
    """The field path of the first key given twice in one object (`clinical.pain_onset`), or None. Text that is
    not JSON is None here: the case model reports it, with its position."""
    repeats: list[bool] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out = dict(items)
        if len(out) != len(items):
            repeats.append(True)
        return out

    try:
        json.loads(text, object_pairs_hook=pairs)  # the fast pass: is any key repeated?
        if not repeats:
            return None
        data = json.loads(text, object_pairs_hook=_pairs)  # the slow one, only then: where?
    except (ValueError, RecursionError):
        return None
    if type(data) is list:
        data = next((item for item in data if type(item) is _Twice), None)
    return field_path(data.path) if type(data) is _Twice else None


REPEATED = "given twice in one object (the later value would silently replace the earlier: keep one)"
