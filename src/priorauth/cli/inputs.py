"""What `check` and `validate` read: case files and FHIR requests (one file, or a folder), and how an input
that cannot be read is reported (one line per error on stderr, or an error object in JSON output)."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

from priorauth.errors import USAGE, PriorAuthError


def mapped(item: tuple, policies) -> tuple:
    """(name, case or None, FHIR mapping or None): a FHIR input is mapped against the loaded policies' payers."""
    if len(item) == 2:
        return item[0], item[1], None
    name, data = item[0], item[2]
    from priorauth.errors import FhirError
    from priorauth.intake.fhir import map_request

    try:
        mapping = map_request(data, policies)
    except FhirError as exc:
        raise FhirError([(f"{name}: {where}", message) for where, message in exc.issues]) from None
    return name, mapping.case, mapping


def load_inputs(paths: list[Path], errors: list[tuple[str, PriorAuthError]] | None = None) -> list[tuple]:
    """Case files as (name, case); FHIR JSON files (a PAS Bundle, a Claim: told by `resourceType`) as
    (name, None, parsed JSON), mapped once the policies are loaded. With `errors`, a file that cannot be read as
    a case is added there as (name, error) and the others are read; without, the first stops the run."""
    from priorauth.intake.files import load_case
    from priorauth.intake.sniff import is_fhir

    out: list[tuple] = []
    for p in case_files(paths):
        if p.suffix.lower() == ".json":
            try:
                data = json.loads(p.read_bytes())
            except (OSError, ValueError):
                data = None  # load_case reports it
            if is_fhir(data):
                out.append((str(p), None, data))
                continue
        try:
            out.append((str(p), load_case(p)))
        except PriorAuthError as exc:
            if errors is None:
                raise
            errors.append((str(p), exc))
    return out


def case_files(paths: list[Path]) -> list[Path]:
    """Files as given; a folder stands for its case files (*.json except expected.json, *.yaml, *.yml)."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            found = sorted(f for f in p.iterdir()
                           if f.suffix in (".json", ".yaml", ".yml") and not f.name.startswith("expected."))
            if not found:
                raise PriorAuthError(USAGE, str(p), "no case files (*.json, *.yaml) in this folder")
            out.extend(found)
        else:
            out.append(p)
    return out


def warn_far_dates(loaded: list[tuple]) -> None:
    """A date more than a year after today is almost always a typo (2031 for 2021): say so on stderr, naming the
    file and field (a past date is not: cases are reviewed again and re-run). Only the command line reads the
    clock; the engine's determinations never depend on it."""
    today = dt.date.today()
    for item in loaded:
        case = item[1]
        if case is None:
            continue
        for field, day in (("submitted", case.submitted), ("request.service_date", case.request.service_date)):
            if (day - today).days > 366:
                sys.stderr.write(f"warning: {item[0]}: {field} {day} is more than a year after today ({today}); "
                                 "check the year\n")


def warn_repeated_ids(loaded: list[tuple]) -> None:
    """Two files with one case id (a copy edited and not renamed): both are evaluated, and each result names its
    file (`source`), but a reader going by id would take one for the other, so say which files share it."""
    first: dict[str, str] = {}
    for item in loaded:
        if item[1] is None:
            continue
        earlier = first.setdefault(item[1].id, item[0])
        if earlier != item[0]:
            sys.stderr.write(f"warning: {item[0]}: case id {item[1].id!r} is also the id of {earlier}; "
                             "give each case its own id\n")


def error_object(name: str, exc: PriorAuthError) -> dict:
    return {"source": name, "error": {"code": exc.code, "location": exc.location, "message": exc.message,
                                      "issues": [{"location": w, "message": m} for w, m in getattr(exc, "issues", [])]}}


def report_errors(bad: list[tuple[str, PriorAuthError]]) -> None:
    """Every input that failed, as the entry point reports one error (`error [code]: location: message`)."""
    for _, exc in bad:
        sys.stderr.write(f"error [{exc.code}]: {exc}\n")
        for where, message in getattr(exc, "issues", [])[1:]:
            sys.stderr.write(f"  {where}: {message}\n")
    if len(bad) > 1:
        sys.stderr.write(f"{len(bad)} inputs could not be evaluated\n")
