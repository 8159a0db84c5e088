"""The leaf tests of the policy file format: each criterion's `test` is one of these, validated at load.

A test is data (kind and typed parameters); the engine compiles it into a predicate. The vocabulary
(documented in docs/policy-format.md, which a test keeps in step with SPEC_KINDS):

- `fact`: compare one fact (`eq`, `ne`, `in`, `not_in`, `gte`, `gt`, `lte`, `lt`, `between`,
  `present`); `undocumented` says what an absent fact means (default `unknown`).
- `none_present`: findings that must be absent; `undocumented: absent` for a list that only excludes
  ("patients with an active infection"), `unknown` where they must be documented as eliminated.
- `treatment`: a documented treatment of given types with a qualifying outcome (and schedule, minimum
  length, recency).
- `therapy_duration`: days covered by qualifying treatments, optionally within a look-back window.
- `evaluation`: a specialist or mental-health evaluation with a qualifying result.
- `elapsed_since`: a documented date at least N months before the as-of date.
- `drug_test`: a negative drug screen within the window, and no positive one.
- `drugs`: every requested drug is in an allowed list (or compounded, when that is allowed).
"""

from __future__ import annotations

import difflib
import typing
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from priorauth.case.model import Evaluation, TreatmentType
from priorauth.case.model import Outcome as TreatmentOutcome
from priorauth.case.paths import fact_paths, fact_values

FAILURE_OUTCOMES: list[TreatmentOutcome] = ["failed", "intolerable_side_effects", "unable_to_complete"]


class Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_path(path: str) -> str:
    if path not in fact_paths():
        near = difflib.get_close_matches(path, sorted(fact_paths()), n=1)
        hint = f" (did you mean {near[0]}?)" if near else ""
        raise ValueError(f"unknown fact {path!r}{hint}")
    return path


def _check_values(what: str, values: list[Any], allowed: tuple[Any, ...]) -> None:
    """Every value is one the case format allows (a typo like `favourable` is an error, not a dead rule)."""
    for value in values:
        if value not in allowed or isinstance(value, bool) != isinstance(allowed[0], bool):
            near = difflib.get_close_matches(str(value), [str(a) for a in allowed], n=1)
            hint = f" (did you mean {near[0]}?)" if near else ""
            shown = ", ".join("true" if a is True else "false" if a is False else str(a) for a in allowed)
            raise ValueError(f"{what}: {value!r} is not a value the case format allows{hint}; allowed: {shown}")


class FactSpec(Spec):
    fact: str
    eq: Any = None
    ne: Any = None
    in_: list[Any] | None = Field(default=None, alias="in")
    not_in: list[Any] | None = None
    gte: float | None = None
    gt: float | None = None
    lte: float | None = None
    lt: float | None = None
    between: tuple[float, float] | None = None
    present: Literal[True] | None = None
    undocumented: Literal["unknown", "met", "not_met"] = "unknown"

    @model_validator(mode="after")
    def _one_op(self) -> FactSpec:
        _check_path(self.fact)
        ops = [k for k in ("eq", "ne", "in_", "not_in", "gte", "gt", "lte", "lt", "between", "present")
               if getattr(self, k) is not None]
        if len(ops) != 1:
            raise ValueError("a fact test needs exactly one of eq, ne, in, not_in, gte, gt, lte, lt, "
                             f"between, present (got {', '.join(ops) or 'none'})")
        allowed = fact_values(self.fact)
        if allowed is not None:
            op = ops[0]
            if op in ("gte", "gt", "lte", "lt", "between"):
                raise ValueError(f"{self.fact} is not a number: compare it with eq, ne, in or not_in")
            if op != "present":
                value = getattr(self, op)
                _check_values(self.fact, value if isinstance(value, list) else [value], allowed)
        return self


class NonePresentSpec(Spec):
    none_present: list[str] = Field(min_length=1)
    undocumented: Literal["absent", "unknown"]

    @model_validator(mode="after")
    def _paths(self) -> NonePresentSpec:
        for p in self.none_present:
            _check_path(p)
            if fact_values(p) != (True, False):
                raise ValueError(f"none_present lists findings that are true or false; {p} is not")
        return self


class TreatmentSpec(Spec):
    types: list[TreatmentType] = Field(min_length=1)
    outcomes: list[TreatmentOutcome] = Field(default_factory=lambda: list(FAILURE_OUTCOMES))
    schedule: Literal["fixed", "prn"] | None = None
    min_days: int | None = None
    min_months: float | None = None
    within_months: int | None = None
    # Outcomes that qualify without schedule or length, e.g. a documented contraindication.
    qualify_without_trial: list[TreatmentOutcome] = []
    contradicted_by: list[TreatmentOutcome] = ["effective"]


class DurationSpec(Spec):
    types: list[TreatmentType] = Field(min_length=1)
    outcomes: list[TreatmentOutcome] = Field(default_factory=lambda: list(FAILURE_OUTCOMES))
    min_months: float
    within_months: int | None = None
    contradicted_by: list[TreatmentOutcome] = ["effective"]


class EvaluationSpec(Spec):
    type: Literal["specialist", "mental_health"]
    specialties: list[str] | None = None
    met: list[str] = Field(min_length=1)
    not_met: list[str] = []
    within_months: int | None = None

    @model_validator(mode="after")
    def _values(self) -> EvaluationSpec:
        _check_values("evaluation result", [*self.met, *self.not_met], fact_choices(Evaluation, "result"))
        if self.specialties is not None:
            _check_values("evaluation specialty", self.specialties, fact_choices(Evaluation, "specialty"))
        return self


class ElapsedSpec(Spec):
    fact: str
    min_months: float

    @model_validator(mode="after")
    def _path(self) -> ElapsedSpec:
        _check_path(self.fact)
        return self


class DrugTestSpec(Spec):
    within_months: int


class DrugsSpec(Spec):
    """Every requested drug passes the checks given (drug knowledge from knowledge/drugs.yaml)."""

    allowed: list[str] | None = None  # the name is in this list
    fda_approved: bool = False  # FDA-approved for the request's route and indication
    or_compounded: bool = False  # ...or compounded from FDA-approved drug substances (a known drug)
    suited: bool = False  # an intrathecal agent for the request's indication (analgesic, antispasmodic)
    within_limits: bool = False  # concentration and daily dose within the table's maxima
    dose_documented: bool = False  # every drug's daily dose is documented (judged by a reviewer, not a table)
    includes_class: str | None = None  # at least one drug of this class (e.g. opioid), the others anything

    @model_validator(mode="after")
    def _some_check(self) -> DrugsSpec:
        if self.includes_class is not None:
            if self.allowed or self.fda_approved or self.suited or self.within_limits or self.dose_documented:
                raise ValueError("includes_class is a test of its own: combine it with nothing else")
        elif not (self.allowed or self.fda_approved or self.suited or self.within_limits or self.dose_documented):
            raise ValueError("a drugs test needs allowed, fda_approved, suited, within_limits, dose_documented "
                             "or includes_class")
        return self


def fact_choices(model: type[BaseModel], name: str) -> tuple[Any, ...]:
    """The Literal choices of one field of a case model (for lists inside the case, which have no fact path)."""
    args = [a for a in typing.get_args(model.model_fields[name].annotation) if a is not type(None)]
    return typing.get_args(args[0])


SPEC_KINDS: dict[str, type[Spec]] = {
    "fact": FactSpec,
    "none_present": NonePresentSpec,
    "treatment": TreatmentSpec,
    "therapy_duration": DurationSpec,
    "evaluation": EvaluationSpec,
    "elapsed_since": ElapsedSpec,
    "drug_test": DrugTestSpec,
    "drugs": DrugsSpec,
}
# For these the spec is the whole mapping; for the others it is the value under the key.
_FLAT = {"fact", "none_present"}


def parse_test(raw: Any) -> tuple[str, Spec]:
    """Validate a `test:` mapping; raises ValueError naming the problem."""
    if not isinstance(raw, dict):
        raise ValueError("a test must be a mapping")
    kinds = [k for k in raw if k in SPEC_KINDS]
    if len(kinds) != 1:
        unknown = [k for k in raw if k not in SPEC_KINDS]
        near = [m for k in unknown for m in difflib.get_close_matches(str(k), SPEC_KINDS, n=1)]
        hint = f" (did you mean {near[0]}?)" if near and not kinds else ""
        raise ValueError(f"a test needs exactly one predicate of {', '.join(SPEC_KINDS)}; "
                         f"got {', '.join(map(str, raw)) or 'nothing'}{hint}")
    kind = kinds[0]
    if kind not in _FLAT:
        extra = [k for k in raw if k != kind]
        if extra:
            raise ValueError(f"unexpected keys beside {kind}: {', '.join(extra)}")
    try:
        return kind, SPEC_KINDS[kind].model_validate(raw if kind in _FLAT else raw[kind])
    except ValidationError as exc:  # one plain sentence: the first problem, where it is
        err = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in err["loc"])
        raise ValueError(f"{kind}{'.' + where if where else ''}: {err['msg'].removeprefix('Value error, ')}") from None
