"""Pain scores from Observations: the trial's before and after scores (`clinical.trial_result.pain_before`,
`pain_after`), placed by their dates against the trial's date.

Which Observations: the LOINC pain-severity codes in systems.yaml (`pain_scores`), status final, amended or
corrected, a number from 0 to 10 (`valueQuantity.value` or `valueInteger`), an effective date. Our reading of where
a score belongs, since no FHIR element says it: the latest score dated before the trial (`trial_result.date`) is
the baseline; the latest dated from the trial's date to the end of its observation period (`observation_days`,
else 7 days, a catheter trial's usual length) is the trial's result. A score after that period, an earlier
baseline, a score when the trial has no date, or a score the questionnaire already gave, is listed as not mapped.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from priorauth.intake.fhir.document import Resource
from priorauth.intake.fhir.mapping import DATE, Builder

FINAL = ("final", "amended", "corrected")
DEFAULT_TRIAL_DAYS = 7


def read_pain_scores(b: Builder) -> None:
    scores: list[tuple[dt.date, float, Resource, str]] = []
    for obs in b.inp.of_type("Observation"):
        if not any(b.terms.pain_score(c) for c in (obs.data.get("code") or {}).get("coding") or []
                   if isinstance(c, dict)):
            continue  # not a pain score: listed by the catch-all as a resource not read
        b.used.add(obs.root)
        read = _score(obs)
        if isinstance(read, str):
            b.skip(obs, "", read)
        else:
            scores.append((read[0], read[1], obs, read[2]))
    if not scores:
        return
    trial = (b.doc.get("clinical") or {}).get("trial_result") or {}
    start = _date(trial.get("date"))
    if start is None:
        for _, _, obs, _ in scores:
            b.skip(obs, "", "a pain score, but the trial has no date (trial_result.date) to place it before or after")
        return
    days = trial.get("observation_days")
    days = math.ceil(days) if isinstance(days, int | float) and not isinstance(days, bool) else DEFAULT_TRIAL_DAYS
    end = start + dt.timedelta(days=days)
    before = sorted((s for s in scores if s[0] < start), key=lambda s: s[0])
    during = sorted((s for s in scores if start <= s[0] <= end), key=lambda s: s[0])
    for s in scores:
        if s[0] > end:
            b.skip(s[2], "", f"a pain score of {s[0]}, after the trial's observation period ({start} to {end})")
    _place(b, "pain_before", before, "baseline before the trial")
    _place(b, "pain_after", during, "score during the trial")


def _place(b: Builder, field: str, scores: list[tuple[dt.date, float, Resource, str]], what: str) -> None:
    if not scores:
        return
    *earlier, (day, value, obs, path) = scores
    for e in earlier:
        b.skip(e[2], "", f"an earlier {what} ({e[0]}); the latest, of {day}, is used")
    target = f"clinical.trial_result.{field}"
    if b.has(target):
        b.skip(obs, "", f"{target} is already answered by the questionnaire, which wins")
        return
    b.put(target, value, obs, path)


def _score(obs: Resource) -> tuple[dt.date, float, str] | str:
    data = obs.data
    if data.get("status") not in FINAL:
        return f"a pain score with status {data.get('status')!r}: only final results are read"
    if isinstance(data.get("valueQuantity"), dict):
        value, path = data["valueQuantity"].get("value"), "Observation.valueQuantity.value"
    else:
        value, path = data.get("valueInteger"), "Observation.valueInteger"
    if not isinstance(value, int | float) or isinstance(value, bool) or not 0 <= value <= 10:
        return "a pain score without a number from 0 to 10 (valueQuantity.value or valueInteger)"
    day = _date(data.get("effectiveDateTime")) or _date((data.get("effectivePeriod") or {}).get("start"))
    if day is None:
        return "a pain score without an effective date (effectiveDateTime or effectivePeriod.start)"
    return day, float(value), path


def _date(value: Any) -> dt.date | None:
    if not isinstance(value, str) or not DATE.match(value):
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None
