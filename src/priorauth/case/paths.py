"""The fact-path vocabulary: every fact of a case by dotted path, read through accessors built once.

Policies name facts by these paths (`clinical.findings.csf_obstruction`); the policy loader checks
every path against `fact_paths()`, so a typo is caught at load time, not silently read as undocumented.
"""

from __future__ import annotations

import operator
import typing
from collections.abc import Callable
from functools import cache
from typing import Any

from pydantic import BaseModel

from priorauth.case.dates import age_years
from priorauth.case.model import Case, Clinical, Member, Request

Accessor = Callable[[Case], Any]


def age_on_service_date(case: Case) -> int | None:
    birth = case.member.birth_date
    return age_years(birth, case.request.service_date) if birth else None


def _pain_reduction(case: Case) -> float | None:
    trial = case.clinical.trial_result
    return trial.reduction_percent() if trial else None


def _drug_names(case: Case) -> tuple[str, ...] | None:
    return tuple(d.name for d in case.request.drugs) or None


# Facts computed from others (documented in docs/policy-format.md).
# The documented facts each derived one is computed from (its sources are theirs).
DERIVED_FROM: dict[str, tuple[str, ...]] = {
    "member.age_years": ("member.birth_date", "request.service_date"),
    "clinical.trial_result.pain_reduction": ("clinical.trial_result.pain_before", "clinical.trial_result.pain_after",
                                             "clinical.trial_result.pain_reduction_percent"),
    "request.drug_names": ("request.drugs",),
}

DERIVED: dict[str, tuple[str, Accessor]] = {
    "member.age_years": ("whole years of age on the date of service", age_on_service_date),
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
                  optional: bool = False) -> list[tuple[tuple[str, ...], bool, Any]]:
    """(path, whether an object on the way may be None, the field's annotation) for every scalar field."""
    paths = []
    for name, field in model.model_fields.items():
        sub = _model_in(field.annotation)
        if sub is not None:
            may_be_none = optional or type(None) in typing.get_args(field.annotation)
            paths.extend(_scalar_paths(sub, (*prefix, name), may_be_none))
        elif typing.get_origin(field.annotation) is not list:
            paths.append(((*prefix, name), optional, field.annotation))
    return paths


def _choices(annotation: Any) -> tuple[Any, ...] | None:
    """The values a field can take when they are a closed set (a Literal, a bool), else None."""
    args = [a for a in typing.get_args(annotation) if a is not type(None)] or [annotation]
    if len(args) == 1 and typing.get_origin(args[0]) is typing.Literal:
        return typing.get_args(args[0])
    if args == [bool]:
        return (True, False)
    return None


@cache
def _closed_values() -> dict[str, tuple[Any, ...]]:
    table = {}
    for model, prefix in ((Member, "member"), (Request, "request"), (Clinical, "clinical")):
        for parts, _, annotation in _scalar_paths(model, (prefix,)):
            choices = _choices(annotation)
            if choices is not None:
                table[".".join(parts)] = choices
    return table


def fact_values(path: str) -> tuple[Any, ...] | None:
    """The values a case can give the fact at `path`, when the case format closes them (an enumeration or a
    boolean); None for open facts (numbers, dates, text). The policy loader checks test values against it."""
    return _closed_values().get(path)


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
        for parts, optional, _ in _scalar_paths(model, (prefix,)):
            table[".".join(parts)] = _getter(parts, optional)
    table.update({path: fn for path, (_, fn) in DERIVED.items()})
    return table


@cache
def _chains() -> dict[str, tuple[tuple[str, ...], bool]]:
    table = {"submitted": (("submitted",), False)}
    for model, prefix in ((Member, "member"), (Request, "request"), (Clinical, "clinical")):
        for parts, optional, _ in _scalar_paths(model, (prefix,)):
            table[".".join(parts)] = (parts, optional)
    return table


def attribute_chain(path: str) -> tuple[tuple[str, ...], bool] | None:
    """The attributes a documented fact is read through, and whether an object on the way may be None; None for
    a derived fact (read by its function). Generated code (engine/codegen.py) inlines the reads."""
    return _chains().get(path)


def fact_paths() -> frozenset[str]:
    return frozenset(_accessors())


def accessor(path: str) -> Accessor:
    """The compiled reader of one fact path; KeyError for a path that does not exist."""
    return _accessors()[path]
