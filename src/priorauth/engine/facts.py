"""A case as the engine sees it: the parsed case, the as-of date for look-backs, the request-level values
that `when` conditions read, and the evidence of where each fact came from."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from priorauth.case.model import Case
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
    age: int | None
    drugs: tuple[str, ...]
    evidence: Evidence = CASE_FILE

    def get(self, path: str) -> Any:
        return accessor(path)(self.case)


def facts_for(case: Case, as_of: dt.date | None = None, evidence: Evidence = CASE_FILE) -> Facts:
    r = case.request
    return Facts(case=case, as_of=as_of or case.submitted, kind=r.kind, indication=r.indication, route=r.route,
                 line_of_business=case.member.line_of_business, age=age_on_service_date(case),
                 drugs=tuple(d.name for d in r.drugs), evidence=evidence)
