"""`priorauth check`: evaluate case files against the payer policies."""

from __future__ import annotations

import datetime as dt
import difflib
import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from priorauth.cli.inputs import error_object, load_inputs, mapped, report_errors, warn_far_dates, warn_repeated_ids
from priorauth.cli.options import Format, PoliciesDir, parse_date
from priorauth.errors import USAGE, PriorAuthError
from priorauth.vocab import Explain


def results_for(cases: list, policy_dir: Path | None, only: list[str] | None,
                as_of: dt.date | None, explain: Explain, notes: bool = True,
                errors: list[tuple[str, PriorAuthError]] | None = None, header: bool = False) -> list[dict]:
    """Every case's determinations as JSON, after checking every case's payer and every policy id. `cases`: (name,
    case) pairs, or (name, case, FHIR mapping) for FHIR inputs (the case None when no policy here governs it).
    With `errors`, a case whose payer or FHIR mapping is wrong is added there as (name, error) and the others go
    on; without, it stops the run."""
    from priorauth.cli.options import compiled_policies
    from priorauth.engine.evaluate import evaluate_case

    policies = compiled_policies(policy_dir)
    only = [policies.resolve(pid) for pid in only] if only else only  # an unknown id stops before evaluating
    loaded = []
    for item in cases:
        try:
            name, case, mapping = mapped(item, policies)
            if case is not None:
                try:
                    policies.for_payer(case.member.payer)
                except PriorAuthError as exc:
                    raise PriorAuthError(exc.code, f"{name}: {exc.location}", exc.message) from None
        except PriorAuthError as exc:
            if errors is None:
                raise
            errors.append((item[0], exc))
            continue
        loaded.append((name, case, mapping))
    results = []
    for name, case, mapping in loaded:
        if case is None:
            results.append({"case": name, "source": name, "not_applicable": mapping.not_applicable,
                            "determinations": [], "fhir": mapping.to_dict()})
            continue
        evidence = mapping.evidence if mapping else None
        read = None
        if notes and case.notes:  # the evidence stage: what the notes document fills what the case leaves out
            from priorauth.case.provenance import CASE_FILE
            from priorauth.evidence.merge import apply_notes

            read = apply_notes(case, evidence or CASE_FILE)
            case, evidence = read.case, read.evidence
        found = evaluate_case(case, policies, as_of, only, **({"evidence": evidence} if evidence else {}),
                              findings=read.findings if read else ())
        result = {"case": case.id, "source": name, "determinations": [d.to_dict(explain) for d in found]}
        if mapping is not None:
            result["fhir"] = mapping.to_dict()
        if header:
            result["header"] = request_header(case, as_of)
        if read is not None:
            result["notes"] = read.to_dict()
        elif case.notes:
            result["notes"] = {"summary": "notes not read (--no-notes)"}
        results.append(result)
    return results


def request_header(case, as_of: dt.date | None) -> list[str]:
    """`label: value` lines for the top of the text view: what is requested, for whom, when, with which codes."""
    from priorauth.case.paths import age_on_service_date

    r, m = case.request, case.member

    def quantity(q) -> str:
        return f"{q.value:g} {q.unit}" if q is not None else "?"

    drugs = "; ".join(f"{d.name} {quantity(d.concentration)}, {quantity(d.daily_dose)}/day"
                      + (" (compounded)" if d.compounded else "") for d in r.drugs) or "none documented"
    age = age_on_service_date(case)
    lines = [f"Request: {r.kind} · {r.route or 'route not documented'} · {r.indication.replace('_', ' ')}",
             f"Drugs: {drugs}",
             f"Dates: submitted {case.submitted} · service {r.service_date}"
             + (f" · look-backs from {as_of}" if as_of else ""),
             f"Member: {f'{age} years on the date of service' if age is not None else 'age not documented'} · "
             f"payer {m.payer or 'not documented'} · {m.line_of_business or 'line of business not documented'}",
             f"Codes: {', '.join(r.procedure_codes) or 'no procedure code'} · "
             f"{', '.join(r.diagnosis_codes) or 'no diagnosis code'}"]
    return lines


def check(
    cases: Annotated[list[Path], typer.Argument(
        help="Case files (JSON or YAML, format priorauth-case/1), FHIR PAS request Bundles (JSON, told by "
        "`resourceType`), or folders of them.", show_default=False)],
    policy: Annotated[list[str] | None, typer.Option(
        "--policy", "-p", help="Evaluate only this policy (repeatable): its id, or its payer's id when the "
        "payer has one policy (hcsc). Default: every policy, or only the member's payer's when member.payer is "
        "given.")] = None,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="Date look-back windows count from (YYYY-MM-DD). Default: the case's submitted "
        "date. The policy version is chosen by the date of service.")] = None,
    format: Annotated[Format, typer.Option("--format", "-f", help="text for people, json for programs.")]
    = Format.text,
    explain: Annotated[Explain | None, typer.Option(
        "--explain", help="Criteria detail: summary (the table of decisions), fails (not met and unknown "
        "branches), full (every criterion). Default: for text, each policy's decision, the criteria that "
        "decide it, what to request and its safety findings, under the request; for json, full.",
        show_default=False)] = None,
    policies: PoliciesDir = None,
    no_notes: Annotated[bool, typer.Option(
        "--no-notes", help="Do not read the cases' clinical notes (the evidence stage).")] = False,
    fail_on: Annotated[str | None, typer.Option(
        "--fail-on", metavar="DECISIONS", help="Exit with status 1 when any determination is one of these "
        "decisions, comma-separated (e.g. deny,pend,refer), for scripts. Default: exit 0 whatever is decided.",
        show_default=False)] = None,
) -> None:
    """Evaluate case files against the payer policies and show each decision with its reasons.

    Decisions: approve, deny (a recommendation for a clinical reviewer), pend (with the documentation
    to request), refer (manual review) or not_applicable. A bad input is reported with a message naming
    the file and field, the others are evaluated, and the exit status is 2. With --format json, one case is
    one object; several are JSON Lines, an input that failed as {"source", "error"}. A PAS
    Bundle is mapped to a case first; the mapping (each fact with its FHIR element, and what was not
    mapped) is shown beside the determinations. A case's clinical notes are read first: their facts
    fill what the case leaves out (each with its note span; a criterion met only on them says "from
    notes, unconfirmed"), and sources that disagree leave the fact unknown, with both named.
    """
    day = parse_date(as_of, "--as-of")
    failing = _decisions(fail_on)
    bad: list[tuple[str, PriorAuthError]] = []
    loaded = load_inputs(cases, bad)
    brief = explain is None and format is Format.text
    level = explain or (Explain.fails if brief else Explain.full)
    results = results_for(loaded, policies, policy, day, level, notes=not no_notes, errors=bad,
                          header=format is Format.text) if loaded else []
    warn_far_dates(loaded)
    warn_repeated_ids(loaded)
    if format is Format.json:
        rows = [*results, *(error_object(name, exc) for name, exc in bad)]
        if len(rows) == 1 and not bad:
            sys.stdout.write(_dumps(rows[0]) + "\n")
        else:  # several inputs: one object per line (JSON Lines), an input that failed as its error
            sys.stdout.write("".join(_dumps(row, indent=False) + "\n" for row in rows))
    elif results:
        from rich.console import Console

        from priorauth.cli.render import print_brief, print_text

        if brief:
            print_brief(Console(), results)
        else:
            print_text(Console(), results, details=level is not Explain.summary)
    if bad:
        report_errors(bad)
        raise typer.Exit(2)
    if failing and any(d["decision"] in failing for r in results for d in r["determinations"]):
        raise typer.Exit(1)


def _dumps(payload: object, indent: bool = True) -> str:
    """JSON, indented or on one line: orjson (a thirtieth of the stdlib's time on a determination's trace), the
    stdlib for what orjson refuses (a lone surrogate, a key that is not a string)."""
    import orjson

    try:
        return orjson.dumps(payload, option=orjson.OPT_INDENT_2 if indent else 0).decode()
    except TypeError:
        return json.dumps(payload, indent=2 if indent else None, ensure_ascii=False)


def _decisions(text: str | None) -> frozenset[str]:
    """`deny,pend` as a set of decisions; an unknown one is a usage error with the known ones."""
    from priorauth.vocab import DECISION_TEXT

    if text is None:
        return frozenset()
    wanted = [w.strip() for w in text.split(",") if w.strip()]
    for w in wanted:
        if w not in DECISION_TEXT:
            near = difflib.get_close_matches(w, list(DECISION_TEXT), n=1)
            hint = f" (did you mean {near[0]}?)" if near else ""
            raise PriorAuthError(USAGE, "--fail-on", f"not a decision: {w!r}{hint}; known: {', '.join(DECISION_TEXT)}")
    if not wanted:
        raise PriorAuthError(USAGE, "--fail-on", f"no decision given; known: {', '.join(DECISION_TEXT)}")
    return frozenset(wanted)
