"""The case's scalar facts by dotted path, plus a few derived ones, computed once per case.

Policies name facts by these paths (`clinical.findings.csf_obstruction`); the policy loader checks
every path against `FACT_PATHS`, so a typo is caught at load time, not silently read as undocumented.
"""

from __future__ import annotations

import datetime as dt
import typing
from dataclasses import dataclass
from functools import cache
from typing import Any

from pydantic import BaseModel

from priorauth.case.model import Case, Clinical, Member, Request
from priorauth.engine.dates import age_years

# Facts computed from others; documented in docs/predicates.md.
DERIVED = {
    "member.age_years": "whole years of age on the date of service (from member.birth_date)",
    "clinical.trial_result.pain_reduction": "percent pain reduction in the trial, from pain_before and "
    "pain_after when both are given, else pain_reduction_percent",
    "request.drug_names": "generic names of the drugs requested",
}


def _scalar_paths(model: type[BaseModel], prefix: str) -> list[str]:
    paths = []
    for name, field in model.model_fields.items():
        path = f"{prefix}.{name}"
        annotation = field.annotation
        sub = _model_in(annotation)
        if sub is not None:
            paths.extend(_scalar_paths(sub, path))
        elif typing.get_origin(annotation) is not list:
            paths.append(path)
    return paths


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
    return None


@cache
def fact_paths() -> frozenset[str]:
    paths = ["submitted"]
    for model, prefix in ((Member, "member"), (Request, "request"), (Clinical, "clinical")):
        paths.extend(_scalar_paths(model, prefix))
    return frozenset(paths) | frozenset(DERIVED)


def _flatten(model: BaseModel | None, prefix: str, out: dict[str, Any]) -> None:
    if model is None:
        return
    for name in type(model).model_fields:
        value = getattr(model, name)
        path = f"{prefix}.{name}"
        if isinstance(value, BaseModel):
            _flatten(value, path, out)
        elif not isinstance(value, list):
            out[path] = value


@dataclass(frozen=True, slots=True)
class Facts:
    """A case seen by the engine: the parsed case, the scalar facts and the as-of date for look-backs."""

    case: Case
    values: dict[str, Any]
    as_of: dt.date

    def get(self, path: str) -> Any:
        return self.values.get(path)


def facts_for(case: Case, as_of: dt.date | None = None) -> Facts:
    values: dict[str, Any] = {"submitted": case.submitted}
    _flatten(case.member, "member", values)
    _flatten(case.request, "request", values)
    _flatten(case.clinical, "clinical", values)
    birth = case.member.birth_date
    values["member.age_years"] = age_years(birth, case.request.service_date) if birth else None
    trial = case.clinical.trial_result
    values["clinical.trial_result.pain_reduction"] = trial.reduction_percent() if trial else None
    values["request.drug_names"] = tuple(d.name for d in case.request.drugs) or None
    return Facts(case=case, values=values, as_of=as_of or case.submitted)
