"""Facts from a case's notes merged into the case: structured facts win, extracted facts fill what is absent, and a
conflict is never resolved silently.

- A value the case document gives stays, when every note agrees with it. A note that says otherwise is a conflict:
  the fact becomes unknown (its criterion pends and asks for it) and the conflict names both sources.
- An absent value is filled from the notes when they agree. Two notes (or a copied-forward problem list and today's
  assessment) that disagree are a conflict too: the fact stays unknown. Our readings where several values are not
  a disagreement: the pain onset is the latest the notes state (a duration is never overstated), the etiology the
  first named, an Ashworth or Penn score the highest (the most affected limb).
- A list (treatments, evaluations, drug screens) the document leaves empty is filled with the notes' records, each
  once; a list the document gives is kept as it is.
- Every filled value records its note span (`NoteSpan`), so the determination cites the note and the sentence, and
  a criterion met only on such facts says so ("from notes, unconfirmed").
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from priorauth.case.model import Case, DrugScreen, Evaluation, Treatment
from priorauth.case.provenance import CASE_FILE, Evidence, NoteSpan, Source
from priorauth.engine.findings import Finding
from priorauth.evidence.extractor import Extractor, extract_note
from priorauth.evidence.model import Fact, NoteEvidence

LATEST = {"clinical.pain_onset"}
FIRST = {"clinical.pain_etiology"}
HIGHEST = {"clinical.spasticity.ashworth", "clinical.spasticity.penn"}


@dataclass(frozen=True)
class Conflict:
    path: str
    values: tuple[tuple[Any, str], ...]  # (value, where: "case document" or "note 2, 812-838: '...'")

    @property
    def message(self) -> str:
        return (f"{self.path}: the sources disagree (" + "; ".join(f"{json.dumps(v)} in {w}" for v, w in self.values)
                + "): left unknown until clarified")

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "values": [{"value": v, "source": w} for v, w in self.values],
                "finding": self.message}


@dataclass(frozen=True)
class NotesOutcome:
    case: Case
    evidence: Evidence
    notes: tuple[NoteEvidence, ...]
    filled: tuple[str, ...] = ()
    conflicts: tuple[Conflict, ...] = ()
    corroborated: tuple[str, ...] = ()
    problems: tuple[str, ...] = field(default=())  # facts left out because the case model rejected them

    @property
    def findings(self) -> tuple[Finding, ...]:
        """The conflicts as findings every determination of the case carries."""
        return tuple(Finding("evidence_conflict", "warning", c.message) for c in self.conflicts)

    @property
    def relevant(self) -> bool:
        return any(n.relevant and n.facts for n in self.notes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "notes": [{"note": i, **n.to_dict()} for i, n in enumerate(self.notes)],
            "filled": list(self.filled), "corroborated": list(self.corroborated),
            "conflicts": [c.to_dict() for c in self.conflicts], "left_out": list(self.problems),
            "summary": self.summary(),
        }

    def summary(self) -> str:
        if not self.notes:
            return "no notes"
        if not self.relevant:
            return "no pump-relevant evidence was found in the notes"
        parts = [f"{len(self.filled)} facts filled from the notes"]
        if self.conflicts:
            parts.append(f"{len(self.conflicts)} conflicts left unknown")
        if self.corroborated:
            parts.append(f"{len(self.corroborated)} case facts corroborated")
        return ", ".join(parts)


def _where(note: int, f: Fact) -> str:
    return f"note {note + 1}, {f.start}-{f.end}: {f.text!r}"


def _span(note: int, f: Fact) -> NoteSpan:
    return NoteSpan(note, f.start, f.end, f.text, f.rule, tuple(f.modifier_names))


def _get(doc: dict[str, Any], path: str) -> Any:
    node: Any = doc
    for part in path.split("."):
        if not isinstance(node, dict) or node.get(part) is None:
            return None
        node = node[part]
    return node


def _set(doc: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    node = doc
    for part in parents:
        node = node.setdefault(part, {})
    if value is None:
        node.pop(last, None)
    else:
        node[last] = value


def apply_notes(case: Case, evidence: Evidence = CASE_FILE,
                extractors: list[Extractor] | None = None) -> NotesOutcome:
    """The case with what its notes document (see the module's rules), and what each note yielded."""
    found = tuple(extract_note(n.text, n.date or case.submitted, extractors) for n in case.notes)
    doc = case.model_dump(mode="json", exclude_none=True)
    by_path: dict[str, list[tuple[int, Fact]]] = {}
    for i, ev in enumerate(found):
        for f in ev.facts:
            by_path.setdefault(f.path, []).append((i, f))
    sources: dict[str, list[Source]] = {k: list(v) for k, v in evidence.sources.items()}
    filled, corroborated, conflicts, problems = [], [], [], []
    for path, facts in by_path.items():
        if path.endswith("[]"):
            _fill_list(doc, path[:-2], facts, sources, filled, problems)
            continue
        structured = _get(doc, path)
        values = _distinct(f.value for _, f in facts)
        if structured is not None:
            if path in FIRST or all(_agrees(v, structured) for v in values):
                corroborated.append(path)  # the etiology is the document's own words: a note's term never conflicts
                continue
            conflicts.append(Conflict(path, ((structured, "the case document"),
                                             *((f.value, _where(i, f)) for i, f in facts
                                               if not _agrees(f.value, structured)))))
            _set(doc, path, None)
            continue
        if len(values) > 1 and path not in LATEST | FIRST | HIGHEST:
            conflicts.append(Conflict(path, tuple((f.value, _where(i, f)) for i, f in facts)))
            continue
        chosen = (max(facts, key=lambda x: x[1].value) if path in LATEST | HIGHEST else facts[0])
        _set(doc, path, chosen[1].value)
        sources[path] = [_span(*chosen)]
        filled.append(path)
    case_out = _validated(doc, filled, sources, problems)
    return NotesOutcome(case_out, Evidence({k: tuple(v) for k, v in sources.items()}, evidence.from_document),
                        found, tuple(filled), tuple(conflicts), tuple(corroborated), tuple(problems))


ITEMS = {"clinical.treatments": Treatment, "clinical.evaluations": Evaluation, "clinical.drug_screens": DrugScreen}


def _fill_list(doc: dict[str, Any], path: str, facts: list[tuple[int, Fact]], sources: dict[str, list[Source]],
               filled: list[str], problems: list[str]) -> None:
    *parents, last = path.split(".")
    node = doc
    for part in parents:
        node = node.setdefault(part, {})
    if node.get(last):
        return  # the document's own list stands
    items: list[dict[str, Any]] = []
    for i, f in facts:
        if any(_same(f.value, x) for x in items):
            continue
        try:
            ITEMS[path].model_validate_json(json.dumps(f.value))
        except ValidationError as exc:
            problems.append(f"{_where(i, f)}: {exc.errors()[0]['msg']}")
            continue
        sources[f"{path}[{len(items)}]"] = [_span(i, f)]
        filled.append(f"{path}[{len(items)}]")
        items.append(dict(f.value))
    if items:
        node[last] = items


def _agrees(note: Any, document: Any) -> bool:
    """A note's value agrees with the document's when equal, or when the note's is an imprecise date (a month or a
    year, read as its last day) that the document's date lies in: "since 03/2021" and 2021-03-01."""
    if _same(note, document):
        return True
    if isinstance(note, str) and isinstance(document, str) and len(note) == len(document) == 10:
        try:
            n, d = dt.date.fromisoformat(note), dt.date.fromisoformat(document)
        except ValueError:
            return False
        if (n.month, n.day) == (12, 31) and n.year == d.year:
            return True
        return (n + dt.timedelta(days=1)).day == 1 and (n.year, n.month) == (d.year, d.month)
    return False


def _distinct(values) -> list[Any]:
    out: list[Any] = []
    for v in values:
        if not any(_same(v, x) for x in out):
            out.append(v)
    return out


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return abs(a - b) < 1e-9
    return a == b


def _validated(doc: dict[str, Any], filled: list[str], sources: dict[str, list[Source]],
               problems: list[str]) -> Case:
    """The case model checks the merged document; a note-filled value it rejects (trial scores that disagree with
    the percentage) is left out and named, never the document's own."""
    while True:
        try:
            return Case.model_validate_json(json.dumps(doc))
        except ValidationError as exc:
            bad = set()
            for err in exc.errors():
                loc = ".".join(str(x) for x in err["loc"] if not isinstance(x, int))
                for p in filled:
                    if not p.endswith("]") and (p == loc or p.startswith(loc + ".") or loc.startswith(p + ".")):
                        bad.add(p)
                        problems.append(f"{p}: {err['msg']}")
            if not bad:
                raise
            for p in bad:
                _set(doc, p, None)
                sources.pop(p, None)
                filled.remove(p)
