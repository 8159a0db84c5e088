"""A case file to fill in: every fact the loaded policies read for one kind of request and indication, as YAML with
null for "not documented" and each closed field's allowed values beside it.

What is included is read from the policies themselves (each criterion's test, under the `when` of the criteria
above it), so a seventh payer's facts appear without code here. A condition on anything but the kind and the
indication (route, line of business, drugs) is taken as holding: the template shows what a request of this kind
may need, and a fact the member's policy does not read is harmless left null.
"""

from __future__ import annotations

import datetime as dt
import typing
from typing import Any

from priorauth.case.model import Drug, DrugScreen, Evaluation, Treatment
from priorauth.case.paths import DERIVED_FROM, fact_values
from priorauth.policy.leaf_tests import (
    DrugTestSpec,
    DurationSpec,
    ElapsedSpec,
    EvaluationSpec,
    FactSpec,
    NonePresentSpec,
    TreatmentSpec,
)
from priorauth.policy.model import Node, Policy, When

# Lists the policies read through their items: left empty (a valid case as it stands), with a comment that
# shows an item's fields and their values.
_ITEM_MODELS = {"clinical.treatments": Treatment, "clinical.evaluations": Evaluation,
                "clinical.drug_screens": DrugScreen, "request.drugs": Drug}


def _holds(when: When | None, kind: str, indication: str) -> bool:
    if when is None:
        return True
    return (when.kind is None or kind in when.kind) and (when.indication is None or indication in when.indication)


def read_paths(policies: list[Policy], kind: str, indication: str) -> set[str]:
    """Fact paths (and list paths) the criteria that can apply to this kind and indication read."""
    paths: set[str] = set()

    def visit(node: Node) -> None:
        if not _holds(node.when, kind, indication):
            return
        if node.test is not None:
            _, spec = node.spec
            if isinstance(spec, FactSpec | ElapsedSpec):
                paths.update(DERIVED_FROM.get(spec.fact, (spec.fact,)))
            elif isinstance(spec, NonePresentSpec):
                paths.update(spec.none_present)
            elif isinstance(spec, TreatmentSpec | DurationSpec):
                paths.add("clinical.treatments")
            elif isinstance(spec, EvaluationSpec):
                paths.add("clinical.evaluations")
            elif isinstance(spec, DrugTestSpec):
                paths.add("clinical.drug_screens")
        for child in node.children:
            visit(child)

    for policy in policies:
        if kind in policy.covered_kinds and _holds(policy.applies_to, kind, indication):
            visit(policy.criteria)
    paths -= {"request.drugs", "request.service_date", "request.kind", "request.indication", "submitted"}
    return paths


def template(policies: list[Policy], kind: str, indication: str, route: str, today: dt.date) -> str:
    doc: dict[str, Any] = {
        "format": "priorauth-case/1", "id": "CHANGE-ME", "submitted": today.isoformat(),
        "member": {"birth_date": None, "payer": None, "line_of_business": None, "state": None},
        "request": {"kind": kind, "route": route, "indication": indication, "service_date": today.isoformat(),
                    "procedure_codes": [], "diagnosis_codes": [], "drugs": []},
        "clinical": {},
    }
    for path in sorted(read_paths(policies, kind, indication)):
        parts = path.split(".")
        node = doc
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node.setdefault(parts[-1], [] if path in _ITEM_MODELS else None)
    payers = sorted({p.payer for p in policies})
    article = "An" if kind[0] in "aeiou" else "A"
    head = [f"# {article} {kind} request for {indication.replace('_', ' ')}: every fact the loaded policies read "
            "for it.",
            "# null (or an empty list) is \"not documented\": fill in what the record documents, leave the rest.",
            "# Check it with `priorauth case validate FILE`; every field: `priorauth schema case`.",
            f"# member.payer, when known, is one of: {', '.join(payers)} (then only that payer's policies apply)."]
    return "\n".join(head) + "\n" + _yaml(doc, "", 0) + "\n"


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and (value[:1].isdigit() or ":" in value or value in ("yes", "no", "on", "off")):
        return f'"{value}"'
    return str(value)


def _literal_values(annotation: Any) -> tuple[Any, ...]:
    """The values of a Literal field (optional or not); () for an open one."""
    for arg in (annotation, *typing.get_args(annotation)):
        if typing.get_origin(arg) is typing.Literal:
            return typing.get_args(arg)
    return ()


def _item(path: str) -> str:
    """`# each: {type: a | b, start: YYYY-MM-DD, ...}` for a list of objects."""
    if path == "request.drugs":
        return ("  # each: {name: morphine (a generic, brand or salt name), concentration: {value: 10, unit: "
                "mg/mL | mcg/mL | %}, daily_dose: {value: 2.5, unit: mg | mcg}, compounded: true | false}")
    fields = []
    for name, field in _ITEM_MODELS[path].model_fields.items():
        values = _literal_values(field.annotation)
        shown = " | ".join(map(str, values)) if values else "YYYY-MM-DD" if "date" in str(field.annotation).lower() \
            else "..."
        fields.append(f"{name}: {shown}")
    return "  # each: {" + ", ".join(fields) + "}"


def _choices(path: str) -> str:
    """`  # a | b | c` for a field whose values the case format closes (booleans need no list)."""
    values = fact_values(path)
    if not values or set(values) == {True, False}:
        return ""
    return "  # " + " | ".join(str(v) for v in values)


def _yaml(value: Any, path: str, depth: int) -> str:
    pad = "  " * depth
    lines = []
    for key, item in value.items():
        here = f"{path}.{key}" if path else key
        if isinstance(item, dict):
            lines.append(f"{pad}{key}:")
            lines.append(_yaml(item, here, depth + 1))
        elif isinstance(item, list):
            lines.append(f"{pad}{key}: []{_item(here) if here in _ITEM_MODELS else ''}")
        else:
            lines.append(f"{pad}{key}: {_scalar(item)}{_choices(here) if item is None else ''}")
    return "\n".join(lines)
