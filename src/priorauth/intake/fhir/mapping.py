"""The FHIR mapping's data: what one input became (FhirMapping), what was not mapped, and the Builder the mapping
steps (claim.py, member.py, to_case.py) fill: the case document, each value's source, the problems found."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from priorauth.case.model import Case
from priorauth.case.provenance import Evidence, FhirElement
from priorauth.intake.fhir.document import FhirInput, Resource
from priorauth.intake.fhir.terms import Systems
from priorauth.knowledge.tables import Knowledge

DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
FULLDATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Unmapped:
    element: str  # `Observation/pain1` or a FHIRPath within a resource
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"element": self.element, "reason": self.reason}


@dataclass(frozen=True)
class ClaimItem:
    sequence: int | None
    codes: tuple[str, ...]
    governed: bool = False  # an intrathecal or epidural drug-delivery service: the policies decide it
    cancelled: bool = False  # a Claim Update removed it (infoCancelled): nothing to decide


@dataclass(frozen=True)
class FhirMapping:
    """The outcome of mapping one FHIR input. `case` is None when no policy here governs it (`not_applicable`
    says why: not a request, no pump service, a payer without policies)."""

    shape: str
    case: Case | None
    evidence: Evidence
    unmapped: tuple[Unmapped, ...]
    not_applicable: str | None = None
    claim: dict[str, Any] | None = None  # the Claim as received (the response points at it)
    items: tuple[ClaimItem, ...] = ()
    related: tuple[tuple[str, dict[str, Any]], ...] = ()  # (fullUrl, resource): the Claim's patient, insurer, provider

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"input": self.shape}
        if self.not_applicable:
            out["not_applicable"] = self.not_applicable
        if self.case is not None:
            out["case"] = self.case.model_dump(mode="json", exclude_defaults=True)
            records = {p[:m.start()] for p in self.evidence.sources for m in re.finditer(r"\.", p)}
            out["sources"] = {path: [s.to_dict() for s in found] for path, found in self.evidence.sources.items()
                              if path not in records}  # fields, not whole records
        out["unmapped"] = [u.to_dict() for u in self.unmapped]
        return out


@dataclass
class Builder:
    inp: FhirInput
    knowledge: Knowledge
    terms: Systems
    doc: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, list[FhirElement]] = field(default_factory=dict)
    unmapped: list[Unmapped] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)
    used: set[str] = field(default_factory=set)  # roots of the resources facts were read from
    at: dict[str, str] = field(default_factory=dict)  # case path -> FHIRPath from the input's root
    payer_names: list[str] = field(default_factory=list)

    def put(self, path: str, value: Any, res: Resource, fhirpath: str, overwrite: bool = False) -> None:
        """Set a case field (`request.drugs[1].name`) and record its source."""
        node: Any = self.doc
        parts = re.findall(r"[^.\[\]]+|\[\d+\]", path)
        for k, part in enumerate(parts):
            if part.startswith("["):
                continue
            nxt = parts[k + 1] if k + 1 < len(parts) else None
            if nxt is None:
                if part in node and not overwrite:
                    return  # the first source of a value wins
                node[part] = value
            elif nxt.startswith("["):
                items, index = node.setdefault(part, []), int(nxt[1:-1])
                last = k + 2 == len(parts)
                while len(items) <= index:
                    items.append(None if last else {})
                if last:
                    items[index] = value
                else:
                    node = items[index]
            else:
                node = node.setdefault(part, {})
        self.sources.setdefault(path, []).append(FhirElement(res.type, res.id, fhirpath))
        self.at.setdefault(path, res.root + fhirpath[len(res.type):] if fhirpath.startswith(res.type) else res.root)
        self.used.add(res.root)

    def has(self, path: str) -> bool:
        node: Any = self.doc
        for part in path.split("."):
            if not isinstance(node, dict) or part not in node:
                return False
            node = node[part]
        return True

    def skip(self, res: Resource, where: str, reason: str) -> None:
        self.unmapped.append(Unmapped(f"{res.label} {where}".rstrip(), reason))

    def resolve(self, ref: Any, wanted: str, res: Resource, where: str) -> Resource | None:
        """A Reference's target: inside the referring resource (`#id`, a contained resource) or in the Bundle."""
        local = ref.get("reference") if isinstance(ref, dict) else None
        if isinstance(local, str) and local.startswith("#"):
            for k, inner in enumerate(res.data.get("contained") or []):
                if isinstance(inner, dict) and inner.get("id") == local[1:] and inner.get("resourceType") == wanted:
                    return Resource(inner, f"{res.root}.contained[{k}]")
            self.skip(res, where, f"contained resource {local!r} is not a {wanted} of this {res.type}")
            return None
        target = self.inp.resolve(ref)
        if target is None:
            if isinstance(ref, dict) and ref.get("reference"):
                self.skip(res, where, f"reference {ref['reference']!r} is not in the Bundle")
            return None
        if target.type != wanted:
            self.skip(res, where, f"refers to a {target.type}, not a {wanted}")
            return None
        if target.root in self.inp.invalid:
            return None  # listed with its problems
        return target



def mapping_of_case(case: Case, knowledge: Knowledge) -> FhirMapping:
    """A case file as if it had come as a Claim: one item per procedure code, the case id as the identifier (for a
    response to a request that was not sent as FHIR)."""
    items = tuple(ClaimItem(i + 1, (code,), knowledge.codes.procedure(code).valid)
                  for i, code in enumerate(case.request.procedure_codes)) or (ClaimItem(1, (), True),)
    claim = {"identifier": [{"system": "urn:priorauth:case", "value": case.id}]}
    return FhirMapping("priorauth case", case, Evidence(), (), None, claim, items)
