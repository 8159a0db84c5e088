"""Where each fact of a case came from: an evidence index keyed by the same fact paths the policies read.

The case model keeps plain values; intake records, beside it, the source of each value: a field of the
case file (its JSON path), a FHIR resource element, or a span of a clinical note. The engine carries the
sources into the criteria tree, so every leaf shows its facts and where they were documented.

Paths are the case's own: `clinical.findings.csf_obstruction`, or an element of a list,
`clinical.treatments[2]`. A source recorded for a list element also stands for its fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, NamedTuple

from priorauth.case.paths import DERIVED_FROM


class CaseField(NamedTuple):
    """The value was written in the case document, at this JSON path."""

    path: str

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "case", "path": self.path}


class FhirElement(NamedTuple):
    """The value was mapped from a FHIR resource element."""

    resource_type: str
    id: str | None
    fhirpath: str

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "fhir", "resource_type": self.resource_type, "id": self.id, "fhirpath": self.fhirpath}


class NoteSpan(NamedTuple):
    """The value was read from a clinical note: characters [start, end) of `notes[note]`."""

    note: int
    start: int
    end: int
    text: str
    rule: str
    modifiers: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "note", "note": self.note, "start": self.start, "end": self.end, "text": self.text,
                "rule": self.rule, "modifiers": list(self.modifiers)}


Source = CaseField | FhirElement | NoteSpan


def _parent(path: str) -> str | None:
    """`clinical.treatments[2].outcome` -> `clinical.treatments[2]` -> `clinical.treatments` -> ... -> None."""
    cut = max(path.rfind("."), path.rfind("["))
    return path[:cut] if cut > 0 else None


@dataclass(frozen=True)
class Evidence:
    """Sources by fact path. With `from_document`, a documented value without a recorded source came from
    the case document itself (a case file: the source of every value is its JSON path)."""

    sources: Mapping[str, tuple[Source, ...]] = field(default_factory=lambda: MappingProxyType({}))
    from_document: bool = True
    # path -> (CaseField(path),): one tuple per path rather than one per read
    _own: dict[str, tuple[Source, ...]] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "sources", MappingProxyType({k: tuple(v) for k, v in self.sources.items()}))

    def of(self, path: str, value: Any) -> tuple[Source, ...]:
        """The sources of the value read at `path` (none for an undocumented value)."""
        if value is None:
            return ()
        found = self._recorded(path) if self.sources else ()
        return found or (self._document(path) if self.from_document else ())

    def _document(self, path: str) -> tuple[Source, ...]:
        own = self._own.get(path)
        if own is None:
            own = (CaseField(path),)
            if len(self._own) < 4096:
                self._own[path] = own
        return own

    def recorded(self, path: str, value: Any) -> tuple[Source, ...]:
        """Only the sources intake recorded for `path` (or a list element above it), not the document default."""
        return self._recorded(path) if value is not None and self.sources else ()

    def _recorded(self, path: str) -> tuple[Source, ...]:
        if path in DERIVED_FROM and path not in self.sources:
            # a computed fact (age on the date of service) cites the facts it is computed from
            return tuple(s for p in DERIVED_FROM[path] for s in self._recorded(p) or self._records(p))
        probe: str | None = path
        while probe is not None:
            found = self.sources.get(probe)
            if found:
                return found
            probe = _parent(probe)
        return ()

    def _records(self, path: str) -> tuple[Source, ...]:
        """The sources of a list's records (`request.drugs` -> those of `request.drugs[0]`, `[1]` ...)."""
        return tuple(s for key, found in self.sources.items()
                     if key.startswith(path + "[") and key.endswith("]") for s in found)

    def __reduce__(self):  # MappingProxyType does not pickle; the plain mapping does
        return (Evidence, (dict(self.sources), self.from_document))


CASE_FILE = Evidence()  # a case file: every value's source is its own JSON path
