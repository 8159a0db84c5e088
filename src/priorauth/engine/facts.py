"""The case's facts by dotted path, read through accessors compiled once (no per-case flattening).

Policies name facts by these paths (`clinical.findings.csf_obstruction`); the policy loader checks
every path against `fact_paths()`, so a typo is caught at load time, not silently read as undocumented.
"""

from __future__ import annotations

import datetime as dt
import operator
import typing
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from pydantic import BaseModel

from priorauth.case.model import Case, Clinical, Member, Request
from priorauth.engine.dates import age_years

Accessor = Callable[[Case], Any]


def _age(case: Case) -> int | None:
    birth = case.member.birth_date
    return age_years(birth, case.request.service_date) if birth else None


def _pain_reduction(case: Case) -> float | None:
    trial = case.clinical.trial_result
    return trial.reduction_percent() if trial else None


def _drug_names(case: Case) -> tuple[str, ...] | None:
    return tuple(d.name for d in case.request.drugs) or None


# Facts computed from others (documented in docs/policy-format.md).
DERIVED: dict[str, tuple[str, Accessor]] = {
    "member.age_years": ("whole years of age on the date of service", _age),
    "clinical.trial_result.pain_reduction": (
        "percent pain reduction in the trial: from pain_before and pain_after when both are given, "
        "else pain_reduction_percent", _pain_reduction),
    "request.drug_names": ("generic names of the drugs requested", _drug_names),
}


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
    return None


def _scalar_paths(model: type[BaseModel], prefix: tuple[str, ...],
                  optional: bool = False) -> list[tuple[tuple[str, ...], bool]]:
    """(path, whether an object on the way may be None) for every scalar field."""
    paths = []
    for name, field in model.model_fields.items():
        sub = _model_in(field.annotation)
        if sub is not None:
            may_be_none = optional or type(None) in typing.get_args(field.annotation)
            paths.extend(_scalar_paths(sub, (*prefix, name), may_be_none))
        elif typing.get_origin(field.annotation) is not list:
            paths.append(((*prefix, name), optional))
    return paths


def _getter(parts: tuple[str, ...], optional: bool) -> Accessor:
    if not optional:  # no optional object on the way: C-speed attribute access
        return operator.attrgetter(".".join(parts))

    def get(case: Case) -> Any:
        obj: Any = case
        for part in parts:
            obj = getattr(obj, part)
            if obj is None:
                return None
        return obj

    return get


@cache
def _accessors() -> dict[str, Accessor]:
    table: dict[str, Accessor] = {"submitted": _getter(("submitted",), False)}
    for model, prefix in ((Member, "member"), (Request, "request"), (Clinical, "clinical")):
        for parts, optional in _scalar_paths(model, (prefix,)):
            table[".".join(parts)] = _getter(parts, optional)
    table.update({path: fn for path, (_, fn) in DERIVED.items()})
    return table


def fact_paths() -> frozenset[str]:
    return frozenset(_accessors())


def accessor(path: str) -> Accessor:
    """The compiled reader of one fact path; KeyError for a path that does not exist."""
    return _accessors()[path]


@dataclass(frozen=True, slots=True)
class Facts:
    """A case seen by the engine: the parsed case, the as-of date for look-backs, request-level values."""

    case: Case
    as_of: dt.date
    kind: str
    indication: str
    route: str | None
    line_of_business: str | None
    age: int | None
    drugs: tuple[str, ...]

    def get(self, path: str) -> Any:
        return accessor(path)(self.case)


def facts_for(case: Case, as_of: dt.date | None = None) -> Facts:
    r = case.request
    return Facts(case=case, as_of=as_of or case.submitted, kind=r.kind, indication=r.indication, route=r.route,
                 line_of_business=case.member.line_of_business, age=_age(case),
                 drugs=tuple(d.name for d in r.drugs))
