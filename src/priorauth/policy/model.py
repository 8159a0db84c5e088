"""The policy file format: one YAML file per payer policy version, validated and compiled at load.

See docs/policy-format.md. Every criterion node carries `id`, `section` and a verbatim `quote` from the
source document; leaves carry a `test` from the leaf-test vocabulary (leaf_tests.py) and a `request`
(what to ask the provider for when the fact is undocumented). The models are plain validated data: the
engine compiles them.
"""

from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from priorauth.errors import NOT_FOUND, PriorAuthError
from priorauth.policy.leaf_tests import Spec, parse_test
from priorauth.policy.library import library
from priorauth.vocab import PAYER_PATTERN, Decision, Indication, LineOfBusiness, RequestKind, Route


class Closed(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


UNDOCUMENTED = "undocumented"  # in a `when` list: the field is not documented in the case


class When(Closed):
    """A condition on the request itself (never three-valued): every key given must hold.

    `route`, `line_of_business` and `state` may list `undocumented`; `not` holds when its condition does not.
    Evaluated by `engine.program.Condition`."""

    kind: list[RequestKind] | None = None
    indication: list[Indication] | None = None
    route: list[Route | Literal["undocumented"]] | None = None
    line_of_business: list[LineOfBusiness | Literal["undocumented"]] | None = None
    state: list[Annotated[str, Field(pattern=r"^([A-Z]{2}|undocumented)$")]] | None = None  # member.state
    age_under: int | None = None
    drugs_any: list[str] | None = None
    drug_classes_any: list[str] | None = None  # any requested drug of one of these classes (drug table)
    drugs_none: list[str] | None = None  # no requested drug in the list
    not_: When | None = Field(default=None, alias="not")


class Cited(Closed):
    section: str = Field(min_length=1)
    quote: str = Field(min_length=1)
    source: str | None = None  # the id of one of the policy's `sources` the quote is from (default: `source`)


class Rule(Cited):
    """A scope rule, tried in order before the criteria: the first that holds decides."""

    id: str
    when: When
    decision: Decision
    reason: str
    # The policy that governs instead: the determination is that policy's, naming this rule (decision: refer).
    refer_to: str | None = None

    @model_validator(mode="after")
    def _refer_to(self) -> Rule:
        if self.refer_to is not None and self.decision != "refer":
            raise ValueError(f"scope rule {self.id}: refer_to needs decision: refer")
        return self


class DocumentRequest(Cited):
    id: str
    when: When | None = None
    text: str


class Node(Cited):
    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
    title: str | None = None
    when: When | None = None
    request: str | None = None
    interpretation: str | None = None
    all: list[Node] | None = None
    any: list[Node] | None = None
    # An exclusive choice: the first branch whose `when` holds governs, the others do not apply (so a deny
    # cites only the governing branch); the last branch has no `when` (otherwise).
    first: list[Node] | None = None
    not_: Node | None = Field(default=None, alias="not")
    at_least: int | None = None
    of: list[Node] | None = None
    test: dict[str, Any] | None = None
    # A criterion the policy leaves to a reviewer or to criteria it does not hold (e.g. InterQual): always
    # unknown; when the decision hangs on it, the request is referred (not pended), with this reason.
    refer: str | None = Field(default=None, min_length=1)
    # A concept of the shared library (policy/library.yaml) this leaf applies; with its own `test`, an
    # `override` says why the text reads the concept differently.
    uses: str | None = None
    override: str | None = Field(default=None, min_length=1)
    contraindication: bool = False

    _spec: tuple[str, Spec] | None = PrivateAttr(default=None)

    @model_validator(mode="before")
    @classmethod
    def _from_library(cls, data: Any) -> Any:
        """`uses: NAME` without a `test` takes the library's test; with one, it must say why (`override`)."""
        if not isinstance(data, dict) or data.get("uses") is None:
            if isinstance(data, dict) and data.get("override") is not None:
                raise ValueError(f"criterion {data.get('id')}: `override` goes with `uses` (the concept overridden)")
            return data
        name, ident = data["uses"], data.get("id")
        known = library()
        if name not in known:
            near = difflib.get_close_matches(str(name), list(known), n=1)
            hint = f" (did you mean {near[0]}?)" if near else f"; the library has {', '.join(known)}"
            raise ValueError(f"criterion {ident}: uses {name!r}, which is not in the concept library{hint}")
        if data.get("test") is None:
            if data.get("override") is not None:
                raise ValueError(f"criterion {ident}: `override` needs the criterion's own `test`")
            return {**data, "test": known[name]["test"]}
        if data.get("override") is None:
            raise ValueError(f"criterion {ident}: writes its own test for concept {name}: say why in `override`")
        return data

    @model_validator(mode="after")
    def _shape(self) -> Node:
        shapes = [k for k, v in (("all", self.all), ("any", self.any), ("first", self.first), ("not", self.not_),
                                 ("at_least", self.at_least), ("test", self.test), ("refer", self.refer))
                  if v is not None]
        if len(shapes) != 1:
            raise ValueError(f"criterion {self.id}: needs exactly one of all, any, first, not, at_least, test, "
                             f"refer (got {', '.join(shapes) or 'none'})")
        if self.first is not None:
            if not self.first or self.first[-1].when is not None:
                raise ValueError(f"criterion {self.id}: the last branch of `first` is the otherwise branch: "
                                 "it has no `when`")
        if (self.at_least is None) != (self.of is None):
            raise ValueError(f"criterion {self.id}: at_least and of go together")
        if self.test is not None:
            try:
                self._spec = parse_test(self.test)
            except ValueError as exc:
                raise ValueError(f"criterion {self.id}: test: {exc}") from None
            if not self.request:
                raise ValueError(f"criterion {self.id}: a leaf needs `request` (the documentation to ask for)")
        return self

    @property
    def children(self) -> list[Node]:
        if self.all is not None:
            return self.all
        if self.any is not None:
            return self.any
        if self.first is not None:
            return self.first
        if self.of is not None:
            return self.of
        if self.not_ is not None:
            return [self.not_]
        return []

    @property
    def operator(self) -> str:
        if self.test is not None:
            return "test"
        if self.refer is not None:
            return "refer"
        if self.all is not None:
            return "all"
        if self.any is not None:
            return "any"
        if self.first is not None:
            return "first"
        if self.not_ is not None:
            return "not"
        return "at_least"

    @property
    def spec(self) -> tuple[str, Spec]:
        """(kind, validated parameters) of a leaf's test."""
        assert self._spec is not None, f"criterion {self.id} is not a leaf"
        return self._spec

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()


class Span(Closed):
    """Where in a source file the quotes must be: from the first line containing `from` to the next line
    containing `to` (not included; the end of the file when absent)."""

    from_: str = Field(alias="from", min_length=1)
    to: str | None = Field(default=None, min_length=1)


class Section(Span):
    """A section of the source: the quotes of elements citing it (`section: <label>` starting with `section`)
    must lie within its span."""

    section: str = Field(min_length=1)


class Source(Closed):
    file: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    received_as: str | None = None
    id: str | None = None  # names an extra source (`sources:`) for the quotes that cite it
    within: Span | None = None  # the part of the file the policy quotes (e.g. one section of another payer's)
    sections: list[Section] = []  # when given, every quote of this source is checked within its section's span

    def section_for(self, label: str) -> Section | None:
        """The most specific section a cited label falls under: `CareSource D.IV.H.1` is under `CareSource D.IV`
        (the label continues with ".", ",", ";", " " or "(") but not under `CareSource D.I`."""
        under = [s for s in self.sections
                 if label == s.section or (label.startswith(s.section) and label[len(s.section)] in ".,; (")]
        return max(under, key=lambda s: len(s.section), default=None)


class LinesOfTherapy(Cited):
    """A policy's own table of drug combinations by line of therapy (each entry a set of drugs given together)."""

    first: list[list[str]] = []
    second: list[list[str]] = []
    third: list[list[str]] = []

    def line_of(self, names: list[str]) -> str | None:
        combo = frozenset(names)
        return next((line for line in ("first", "second", "third")
                     if any(frozenset(c) == combo for c in getattr(self, line))), None)


class CodeRule(Cited):
    """A billing rule of the policy: prescriptions of this kind must be submitted with this code."""

    id: str
    compounded: bool  # the rule applies to requests with a compounded prescription
    code: str


class Codes(Closed):
    procedure: dict[str, str] = {}
    diagnosis: dict[str, str] = {}


class Policy(Closed):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9\-]*$")
    payer: str = Field(pattern=PAYER_PATTERN)
    payer_name: str
    number: str
    title: str
    version: str
    effective: dt.date
    end: dt.date | None = None
    # How precisely the source dates the policy: `effective: 2004` (a year: in force from 1 January) or
    # `2004-06` (a month: from the 1st); `effective_precision` is derived, never written.
    effective_precision: Literal["day", "month", "year"] = "day"
    lines_of_business: list[str] = []
    # Whom the policy governs, beyond its payer and dates: a case it does not hold for is not_applicable
    # (e.g. NCD 280.14: line_of_business [medicare, medicare-advantage]; an undocumented one does not hold).
    applies_to: When | None = None
    source: Source
    sources: list[Source] = []  # further documents quoted, each with an `id` the quotes name
    scope: list[Rule] = []
    covered_kinds: list[RequestKind]
    criteria: Node
    approval_duration: dict[RequestKind, str] = {}
    documentation: list[DocumentRequest] = []
    codes: Codes = Codes()
    # The policy's own tables and billing rules, read by the reviewer findings (engine/findings.py): the
    # combination is one of its lines of therapy; compounded prescriptions carry its code.
    lines_of_therapy: LinesOfTherapy | None = None
    code_rules: list[CodeRule] = []

    @model_validator(mode="before")
    @classmethod
    def _coarse_effective(cls, data: Any) -> Any:
        value = data.get("effective") if isinstance(data, dict) else None
        if isinstance(value, int) and not isinstance(value, bool) and 1900 <= value <= 2199:
            return {**data, "effective": dt.date(value, 1, 1), "effective_precision": "year"}
        if isinstance(value, str) and len(value) == 7 and value[4] == "-":
            try:
                day = dt.date(int(value[:4]), int(value[5:]), 1)
            except ValueError:
                return data
            return {**data, "effective": day, "effective_precision": "month"}
        return data

    @field_validator("covered_kinds")
    @classmethod
    def _nonempty(cls, v: list[str]) -> list[str]:
        if not v:
            raise ValueError("at least one request kind must be covered")
        return v

    @model_validator(mode="after")
    def _unique_ids(self) -> Policy:
        seen: set[str] = set()
        ids = [n.id for n in self.criteria.walk()] + [r.id for r in self.scope] + [d.id for d in self.documentation]
        for i in ids:
            if i in seen:
                raise ValueError(f"duplicate id {i!r}")
            seen.add(i)
        if self.end and self.end < self.effective:
            raise ValueError(f"end {self.end} is before effective {self.effective}")
        extra = [s.id for s in self.sources]
        if None in extra or len(set(extra)) != len(extra):
            raise ValueError("every entry of `sources` needs an `id` of its own")
        for element in self.cited():
            if element.source is not None and element.source not in extra:
                near = difflib.get_close_matches(element.source, extra, n=1)
                hint = f" (did you mean {near[0]}?)" if near else f"; sources: {', '.join(extra) or 'none'}"
                raise ValueError(f"{getattr(element, 'id', '?')}: source {element.source!r} is not in `sources`{hint}")
        return self

    def source_of(self, element: Cited) -> Source:
        """The document an element quotes."""
        return next(s for s in self.sources if s.id == element.source) if element.source else self.source

    def in_force(self, day: dt.date) -> bool:
        return self.effective <= day and (self.end is None or day <= self.end)

    @property
    def effective_text(self) -> str:
        """The effective date as precisely as the source gives it: 2004, 2004-06 or 2004-06-15."""
        return self.effective.isoformat()[:{"year": 4, "month": 7, "day": 10}[self.effective_precision]]

    def cited(self):
        """Every element that quotes the source: scope rules, criteria, documentation requests."""
        yield from self.scope
        yield from self.criteria.walk()
        yield from self.documentation
        if self.lines_of_therapy is not None:
            yield self.lines_of_therapy
        yield from self.code_rules


@dataclass(frozen=True)
class PolicySet:
    """All versions of all policies found under a directory, by policy id."""

    versions: dict[str, list[Policy]]
    files: dict[tuple[str, str], Path]
    hashes: dict[tuple[str, str], str]

    @property
    def ids(self) -> list[str]:
        return list(self.versions)

    def latest(self, policy_id: str) -> Policy:
        return self.versions[policy_id][-1]

    def in_force(self, policy_id: str, day: dt.date) -> Policy | None:
        for policy in reversed(self.versions[policy_id]):
            if policy.in_force(day):
                return policy
        return None

    def file_of(self, policy: Policy) -> Path:
        return self.files[(policy.id, policy.version)]

    def get(self, policy_id: str) -> list[Policy]:
        if policy_id not in self.versions:
            near = difflib.get_close_matches(policy_id, self.ids, n=1)
            hint = f" (did you mean {near[0]}?)" if near else f"; known: {', '.join(self.ids)}"
            raise PriorAuthError(NOT_FOUND, "policy", f"no policy {policy_id!r}{hint}")
        return self.versions[policy_id]
