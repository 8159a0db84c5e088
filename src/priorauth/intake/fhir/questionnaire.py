"""QuestionnaireResponse answers that name case fields: until the DTR questionnaire is defined, an item whose
linkId is a case field path (`clinical.life_expectancy_months`, `request.kind`) answers that field.

A list of records is one group per record, its linkId the list's path (`clinical.treatments`) and its children
named by field (`type`, `start`, or the full `clinical.treatments.type`); a record object (`clinical.trial_result`)
is a group too. Any other item is listed as not mapped, with its linkId and text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from priorauth.case.model import Case

ROOTS = ("request", "member", "clinical")
LISTS = {"clinical.treatments", "clinical.evaluations", "clinical.drug_screens", "request.drugs"}


@dataclass(frozen=True)
class Answer:
    path: str  # the case path it fills: clinical.treatments[1].start
    value: Any  # JSON value
    fhirpath: str


def _fields() -> set[str]:
    """Every dotted case path (lists without their index) the questionnaire may answer."""
    out: set[str] = set()

    def walk(model: Any, prefix: str) -> None:
        for name, info in model.model_fields.items():
            path = f"{prefix}.{name}" if prefix else name
            out.add(path)
            for arg in _model_args(info.annotation):
                walk(arg, path)

    walk(Case, "")
    return {p for p in out if p.split(".")[0] in ROOTS}


def _model_args(annotation: Any) -> list[Any]:
    from typing import get_args

    from pydantic import BaseModel

    found = []
    stack = [annotation]
    while stack:
        a = stack.pop()
        if isinstance(a, type) and issubclass(a, BaseModel):
            found.append(a)
        else:
            stack.extend(get_args(a))
    return found


FIELDS = frozenset(_fields())


def read_answers(qr: dict[str, Any], root: str) -> tuple[list[Answer], list[tuple[str, str]], list[tuple[str, str]]]:
    """(answers, not mapped (fhirpath, why), problems (fhirpath, message)) of one QuestionnaireResponse."""
    answers: list[Answer] = []
    skipped: list[tuple[str, str]] = []
    problems: list[tuple[str, str]] = []
    counts: dict[str, int] = {}
    for i, item in enumerate(_items(qr)):
        _item(item, f"{root}.item[{i}]", "", "", answers, skipped, problems, counts)
    return answers, skipped, problems


def _items(node: Any) -> list[Any]:
    items = node.get("item") if isinstance(node, dict) else None
    return items if isinstance(items, list) else []


def _item(item: Any, where: str, parent: str, parent_case: str, answers: list[Answer],
          skipped: list[tuple[str, str]], problems: list[tuple[str, str]], counts: dict[str, int]) -> None:
    link = item.get("linkId") if isinstance(item, dict) else None
    if not isinstance(link, str):
        return
    field = link[len(parent) + 1:] if parent and link.startswith(parent + ".") else link
    path = f"{parent}.{field}" if parent else field
    if path not in FIELDS:
        text = item.get("text")
        skipped.append((where, f"linkId {link!r}" + (f" ({text})" if isinstance(text, str) else "")
                        + " is not a case field"))
        return
    case_path = f"{parent_case}.{field}" if parent_case else path
    if path in LISTS:
        index = counts.get(case_path, 0)
        counts[case_path] = index + 1
        case_path = f"{case_path}[{index}]"
    children = _items(item)
    if children:
        for j, child in enumerate(children):
            _item(child, f"{where}.item[{j}]", path, case_path, answers, skipped, problems, counts)
        return
    found = item.get("answer")
    if not isinstance(found, list) or not found:
        return  # asked, not answered: undocumented
    value, problem = _value(found[0])
    if problem:
        problems.append((f"{where}.answer[0]", problem))
    else:
        answers.append(Answer(case_path, value, f"{where}.answer[0]"))


def _value(answer: Any) -> tuple[Any, str | None]:
    """The answer's JSON value, checked by its own type: the models coerce "true" and "7.50", we do not."""
    if not isinstance(answer, dict):
        return None, "not an answer"
    for key, value in answer.items():
        if not key.startswith("value"):
            continue
        kind = key[len("value"):]
        if kind == "Boolean":
            return (value, None) if isinstance(value, bool) else (None, f"valueBoolean is not true or false: {value!r}")
        if kind in ("Decimal", "Integer"):
            ok = isinstance(value, int | float) and not isinstance(value, bool)
            return (value, None) if ok else (None, f"value{kind} is not a number: {value!r}")
        if kind in ("Date", "String", "DateTime"):
            if not isinstance(value, str):
                return None, f"value{kind} is not a string: {value!r}"
            return (value[:10] if kind == "DateTime" else value), None
        if kind == "Coding":
            code = value.get("code") if isinstance(value, dict) else None
            return (code, None) if isinstance(code, str) else (None, "valueCoding has no code")
        if kind == "Quantity":
            number = value.get("value") if isinstance(value, dict) else None
            ok = isinstance(number, int | float) and not isinstance(number, bool)
            return (number, None) if ok else (None, "valueQuantity has no numeric value")
        return None, f"value{kind} answers no case field"
    return None, "an answer without a value"
