"""Case files: read a case from JSON or YAML and turn every validation problem into `file: field.path: problem`.

A case file is its own evidence: the source of every value is its JSON path (`priorauth.case.CASE_FILE`).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from priorauth.case.model import Case
from priorauth.errors import CaseError, field_path
from priorauth.intake.duplicate_keys import REPEATED, repeated_key
from priorauth.intake.normalise import normalised, unknown_drug_names
from priorauth.yamlio import load_yaml

# A case file holds one case (its notes included); a bigger file is a mistake, not a case to read into memory.
MAX_CASE_BYTES = 16 * 1024 * 1024


def load_case(path: str | Path) -> Case:
    path = Path(path)
    try:
        if path.stat().st_size > MAX_CASE_BYTES:
            raise CaseError(str(path), f"larger than {MAX_CASE_BYTES // 2**20} MB: a case file holds one case")
        data = path.read_bytes()
    except OSError as exc:
        raise CaseError(str(path), f"cannot read: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8-sig")  # a byte-order mark, as some Windows editors write, is not content
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise CaseError(f"{path}:{line}", f"not UTF-8 text: byte 0x{data[exc.start]:02x} at line {line} column "
                                          f"{column} (save the file as UTF-8)") from None
    return parse_case(text, name=str(path), yaml_syntax=path.suffix.lower() in (".yaml", ".yml"))


def parse_case(text: str | bytes, name: str = "case", yaml_syntax: bool = False) -> Case:
    """Parse a case document. YAML is converted to JSON first so both go through the same strict path."""
    if yaml_syntax:
        try:
            data = load_yaml(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"{name}:{mark.line + 1}" if mark else name
            raise CaseError(where, f"not valid YAML: {getattr(exc, 'problem', exc)}") from None
        text = json.dumps(data, default=_json_default)
    else:
        repeated = repeated_key(text)
        if repeated:
            raise CaseError(name, f"{repeated}: {REPEATED}")
    try:
        case = Case.model_validate_json(text)
    except ValidationError as exc:
        raise CaseError(name, _describe(exc)) from None
    problems = unknown_drug_names(case)
    if problems:
        raise CaseError(name, "\n  ".join(f"{where}: {what}" for where, what in problems))
    return normalised(case)


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"unsupported value {value!r}")


_MESSAGES = {
    "missing": "required field is missing",
    "extra_forbidden": "unknown field",
    "date_from_datetime_parsing": "not a date",
    "date_parsing": "not a date",
    "date_type": "not a date",
    "bool_type": "not true or false",
    "float_type": "not a number",
    "int_type": "not a whole number",
    "string_type": "not a string",
    "list_type": "not a list",
    "model_type": "not an object",
    "json_invalid": "not valid JSON",
}


def _describe_one(err: Any) -> str:
    path = field_path(tuple(err["loc"]))
    kind = err["type"]
    msg = _MESSAGES.get(kind)
    if kind == "json_invalid":
        return f"not valid JSON: {err.get('ctx', {}).get('error', '')}".rstrip(": ")
    if msg is None:
        msg = err["msg"]
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, "):]
        msg = msg[0].lower() + msg[1:] if msg else kind
    if kind not in ("missing", "model_type") and "input" in err:
        shown = json.dumps(err["input"], default=str)
        if len(shown) > 60:
            shown = shown[:57] + "..."
        if kind in ("extra_forbidden",):
            return f"{path}: {msg}{_near_field(tuple(err['loc']))}"
        if kind == "string_type" and isinstance(err["input"], int | float) and not isinstance(err["input"], bool):
            return f"{path}: {msg}: {shown} (write it in quotes: \"{shown}\"; a code is text, not a number)"
        return f"{path}: {msg}: {shown}"
    return f"{path}: {msg}"


def _near_field(loc: tuple) -> str:
    """` (did you mean clinical.pain_onset?)` for an unknown key close to a field of the object it is in."""
    import difflib
    import typing

    from pydantic import BaseModel

    model: Any = Case
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part) if isinstance(model, type) else None
        if field is None:
            return ""
        inner = [a for a in (field.annotation, *typing.get_args(field.annotation))
                 for a in (a, *typing.get_args(a)) if isinstance(a, type) and issubclass(a, BaseModel)]
        if not inner:
            return ""
        model = inner[0]
    near = difflib.get_close_matches(str(loc[-1]), list(model.model_fields), n=1)
    prefix = field_path(tuple(loc[:-1]))
    return f" (did you mean {prefix + '.' if prefix else ''}{near[0]}?)" if near else ""


def _describe(exc: ValidationError) -> str:
    errors = exc.errors(include_url=False)
    lines = [_describe_one(e) for e in errors[:10]]
    if len(errors) > 10:
        lines.append(f"... and {len(errors) - 10} more problems")
    return "\n  ".join(lines) if len(lines) > 1 else lines[0]
