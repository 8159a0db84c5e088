"""Reading a FHIR input: what it is (a PAS request Bundle, a lone Claim, a CDS Hooks request, a response), every
resource checked against the R4B models, and references resolved inside the Bundle.

The models check structure (unknown elements, malformed dates, cardinality); values are then read from the JSON
itself, because the models coerce (`"false"`, `"yes"` and `0` become booleans, `"7.50"` a decimal) and the
mapping must see what the sender wrote. Every problem names its element as a FHIRPath.

A Claim that does not conform is an error: it is the request. Any other resource that does not conform (real
traffic carries STU3 leftovers such as `Coverage.grouping`) is set aside: it is not mapped, and its problems are
listed with what was not mapped, so the answer says why a fact it held was not used.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from priorauth.errors import FhirError

# Resource types that answer rather than ask: a request is expected, so these are reported, not mapped.
RESPONSE_TYPES = ("ClaimResponse", "OperationOutcome")


@dataclass(frozen=True)
class Resource:
    """One resource of the input and the FHIRPath of its root (`Bundle.entry[3].resource`, or its type alone)."""

    data: dict[str, Any]
    root: str
    full_url: str | None = None

    @property
    def type(self) -> str:
        return self.data["resourceType"]

    @property
    def id(self) -> str | None:
        value = self.data.get("id")
        return value if isinstance(value, str) else None

    @property
    def label(self) -> str:
        return f"{self.type}/{self.id}" if self.id else self.root


@dataclass(frozen=True)
class FhirInput:
    """The input's kind (`request`, `response`, `other`), its resources, and for a request its Claim."""

    kind: str
    shape: str  # what arrived, for messages: "PAS request Bundle", "Claim", "CDS Hooks order-sign request", ...
    resources: tuple[Resource, ...]
    claim: Resource | None = None
    invalid: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # resource root -> its problems
    _by_ref: dict[str, Resource] = field(default_factory=dict, repr=False, compare=False)

    def resolve(self, reference: Any) -> Resource | None:
        """A Reference's target inside the input: by fullUrl, by `Type/id`, or by the tail of an absolute URL."""
        if not isinstance(reference, dict) or not isinstance(reference.get("reference"), str):
            return None
        ref = reference["reference"]
        found = self._by_ref.get(ref)
        if found is None and "/" in ref:
            tail = "/".join(ref.rstrip("/").split("/")[-2:])  # http://x/fhir/Patient/1 -> Patient/1
            found = self._by_ref.get(tail)
        return found

    def of_type(self, resource_type: str) -> list[Resource]:
        """The conformant resources of a type, in input order."""
        return [r for r in self.resources if r.type == resource_type and r.root not in self.invalid]


def parse_json(raw: str | bytes, name: str = "input") -> Any:
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise FhirError([(name, f"not valid JSON: {exc}")]) from None


def read_fhir(data: Any) -> FhirInput:
    """Recognise and check a FHIR input; raises FhirError with every structural problem found."""
    if not isinstance(data, dict):
        raise FhirError([("(document)", "not a FHIR resource: a JSON object with `resourceType` is expected")])
    if "resourceType" not in data and isinstance(data.get("hook"), str):
        return _hooks_request(data)
    rtype = data.get("resourceType")
    if not isinstance(rtype, str):
        raise FhirError([("(document)", "no `resourceType`: not a FHIR resource")])
    if rtype == "Bundle":
        return _bundle(data)
    resource = Resource(data, rtype)
    if rtype == "Claim":
        _check([resource])
        return _request(rtype, (resource,), resource)
    kind = "response" if rtype in RESPONSE_TYPES else "other"
    return FhirInput(kind, rtype, (resource,), invalid=_invalid([resource]))


def _bundle(data: dict[str, Any]) -> FhirInput:
    entries = data.get("entry", [])
    if not isinstance(entries, list):
        raise FhirError([("Bundle.entry", "not a list")])
    problems: list[tuple[str, str]] = []
    resources = []
    for i, entry in enumerate(entries):
        where = f"Bundle.entry[{i}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("resource"), dict):
            problems.append((where, "an entry without a resource"))
            continue
        if not isinstance(entry["resource"].get("resourceType"), str):
            problems.append((f"{where}.resource", "no `resourceType`"))
            continue
        url = entry.get("fullUrl")
        resources.append(Resource(entry["resource"], f"{where}.resource", url if isinstance(url, str) else None))
    shell = {k: v for k, v in data.items() if k != "entry"}
    problems += _problems(Resource(shell, "Bundle"))
    claims = [r for r in resources if r.type == "Claim"]
    invalid = _invalid(resources)
    if resources and resources[0].type in RESPONSE_TYPES:
        return FhirInput("response", f"Bundle of {resources[0].type}", tuple(resources), invalid=invalid)
    if not claims:
        if problems:
            raise FhirError(problems)
        return FhirInput("other", "Bundle without a Claim", tuple(resources), invalid=invalid)
    if resources[0].type != "Claim":
        problems.append(("Bundle.entry[0].resource", f"a PAS request Bundle starts with its Claim (found "
                         f"{resources[0].type})"))
    if len(claims) > 2 or (len(claims) == 2 and not _updates(claims[0], claims[1])):
        problems.append((claims[1].root, "a second Claim: a PAS request Bundle carries one Claim, or a Claim Update "
                         "and the Claim it updates (Claim.related.claim)"))
    broken = invalid.pop(claims[0].root, [])
    if broken:  # the models stop at their first error: name every required element that is missing too
        problems += merge(broken, claim_required(claims[0]))
    if problems:
        raise FhirError(problems)
    return _request("PAS request Bundle", tuple(resources), claims[0], invalid)


def _updates(update: Resource, original: Resource) -> bool:
    """Whether `update` is a PAS Claim Update of `original` (its Claim.related.claim refers to it)."""
    refs = {f"{original.type}/{original.id}", original.full_url}
    for related in update.data.get("related") or []:
        ref = (related.get("claim") or {}).get("reference") if isinstance(related, dict) else None
        if isinstance(ref, str) and (ref in refs or "/".join(ref.split("/")[-2:]) in refs):
            return True
    return False


def _hooks_request(data: dict[str, Any]) -> FhirInput:
    """A CDS Hooks request (order-sign, order-select ...): its prefetch and draft orders are the resources."""
    found: list[Resource] = []
    prefetch = data.get("prefetch")
    for key, value in (prefetch.items() if isinstance(prefetch, dict) else []):
        found += _unpack(value, f"prefetch.{key}")
    context = data.get("context")
    if isinstance(context, dict) and "draftOrders" in context:
        found += _unpack(context["draftOrders"], "context.draftOrders")
    return FhirInput("other", f"CDS Hooks {data['hook']} request", tuple(found), invalid=_invalid(found))


def _unpack(value: Any, root: str) -> list[Resource]:
    if not isinstance(value, dict) or not isinstance(value.get("resourceType"), str):
        return []
    if value["resourceType"] != "Bundle":
        return [Resource(value, root)]
    out = []
    for i, entry in enumerate(value.get("entry") or []):
        if isinstance(entry, dict) and isinstance(entry.get("resource"), dict) \
                and isinstance(entry["resource"].get("resourceType"), str):
            out.append(Resource(entry["resource"], f"{root}.entry[{i}].resource", entry.get("fullUrl")))
    return out


def _request(shape: str, resources: tuple[Resource, ...], claim: Resource,
             invalid: dict[str, list[tuple[str, str]]] | None = None) -> FhirInput:
    index: dict[str, Resource] = {}
    for r in resources:
        if r.full_url:
            index[r.full_url] = r
        if r.id:
            index.setdefault(f"{r.type}/{r.id}", r)
    return FhirInput("request", shape, resources, claim, invalid or {}, index)


# The PAS Claim's required elements (R4 Claim and the PAS profile): the models stop at their first error, so these
# are checked here, to name every one that is missing. They are enforced on requests for the services the policies
# govern; any other Claim is answered as needing no review, its gaps listed.
CLAIM_REQUIRED = ("identifier", "status", "type", "use", "patient", "created", "insurer", "provider", "priority",
                  "insurance", "item")


def _check(resources: list[Resource]) -> None:
    problems = [p for r in resources for p in _problems(r)]
    if problems:
        raise FhirError(problems)


def claim_required(claim: Resource) -> list[tuple[str, str]]:
    out = [(f"{claim.root}.{name}", "required element is missing") for name in CLAIM_REQUIRED
           if claim.data.get(name) in (None, [], "")]
    if claim.data.get("use") not in (None, "preauthorization"):
        out.append((f"{claim.root}.use", f"a PAS Claim's use is preauthorization, not {claim.data['use']!r}"))
    return out


def merge(*lists: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Problems of several checks, each element once (the first message for it wins)."""
    seen: dict[str, tuple[str, str]] = {}
    for problems in lists:
        for where, message in problems:
            seen.setdefault(where, (where, message))
    return list(seen.values())


def _invalid(resources: list[Resource]) -> dict[str, list[tuple[str, str]]]:
    out = {}
    for r in resources:
        found = _problems(r)
        if found:
            out[r.root] = found
    return out


def _problems(resource: Resource) -> list[tuple[str, str]]:
    """The resource against its R4B model: each problem as (FHIRPath, message)."""
    from fhir.resources.R4B import get_fhir_model_class  # imported on first use: the models take 0.3 s to load

    try:
        model = get_fhir_model_class(resource.type)
    except (KeyError, ValueError):
        return [(f"{resource.root}.resourceType", f"{resource.type!r} is not an R4 resource type")]
    try:
        model.model_validate(resource.data)
    except ValidationError as exc:
        return [(_fhirpath(resource.root, err["loc"]), _message(err)) for err in exc.errors()]
    except (TypeError, ValueError) as exc:  # the models raise these for some malformed primitives
        return [(resource.root, f"not a valid {resource.type}: {exc}")]
    return []


def _fhirpath(root: str, loc: tuple[Any, ...]) -> str:
    out = root
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif not str(part).startswith(("function-", "json-or-python", "list[", "str", "int")):
            out += f".{part}"
    return out


def _message(err: dict[str, Any]) -> str:
    kind = err["type"]
    if kind in ("json_invalid", "model_type", "model_attributes_type", "dict_type"):
        return f"expected a FHIR object here, found {str(err.get('input'))[:40]!r}"
    if kind == "missing":
        return "required element is missing"
    if kind == "extra_forbidden":
        return "not an element of this resource"
    msg = str(err.get("msg", kind))
    return msg[len("Value error, "):] if msg.startswith("Value error, ") else msg
