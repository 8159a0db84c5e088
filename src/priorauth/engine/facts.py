"""A case as the engine sees it: the parsed case, the as-of date for look-backs, the request-level values
that `when` conditions read, the evidence of where each fact came from, and each treatment as the record
shows it (described once per case, though many criteria read the treatments)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from priorauth.case.model import Case, Treatment
from priorauth.case.paths import accessor, age_on_service_date
from priorauth.case.provenance import CASE_FILE, Evidence


@dataclass(frozen=True, slots=True)
class Facts:
    case: Case
    as_of: dt.date
    kind: str
    indication: str
    route: str | None
    line_of_business: str | None
    state: str | None
    age: int | None
    drugs: tuple[str, ...]
    evidence: Evidence = CASE_FILE
    _memo: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)  # per case, never shared

    def get(self, path: str) -> Any:
        return accessor(path)(self.case)

    @property
    def shown_treatments(self) -> tuple[tuple[str, str], ...]:
        """(path, description) of each treatment, in order: described once per case, when first explained."""
        shown = self._memo.get("treatments")
        if shown is None:
            treatments = self.case.clinical.treatments
            shown = self._memo["treatments"] = tuple(
                (f"clinical.treatments[{i}]", describe_treatment(t)) for i, t in enumerate(treatments))
        return shown


def facts_for(case: Case, as_of: dt.date | None = None, evidence: Evidence = CASE_FILE) -> Facts:
    r = case.request
    return Facts(case=case, as_of=as_of or case.submitted, kind=r.kind, indication=r.indication, route=r.route,
                 line_of_business=case.member.line_of_business, state=case.member.state,
                 age=age_on_service_date(case),
                 drugs=tuple(d.name for d in r.drugs), evidence=evidence)


def describe_treatment(t: Treatment) -> str:
    """`physical_therapy fixed 2024-01-02..2024-03-01 failed`, as the trace shows a treatment."""
    text = t.type + " " + t.schedule if t.schedule else t.type
    if t.start:
        end = t.end.isoformat() if t.end else "ongoing" if t.outcome == "ongoing" else "?"
        text += " " + t.start.isoformat() + ".." + end
    return text + " " + (t.outcome or "outcome not documented")
