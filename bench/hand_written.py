"""CareSource AR PASSE-MM-1502's non-malignant TRIAL criteria written by hand in plain Python: the baseline of figure
b of bench_engine.py (and the reference of zen_model.py)."""

from __future__ import annotations

import calendar
import datetime as dt

from priorauth.case.model import Case

# --- b. CareSource AR PASSE-MM-1502, non-malignant TRIAL, written by hand ---------------------------------
#
# Sections I.A-F, VI (contraindications) and IV.A-H, read as the policy file reads them: an absent fact is
# undocumented (unknown), never false; ALL: any not met -> deny, else any unknown -> pend, else approve;
# the contraindication list of VI only excludes (undocumented = absent); "no evidence of current abuse"
# (IV.D.1) fails only on documented active use. Look-backs count back from the submission date.

_EFFECTIVE = dt.date(2024, 6, 1)
_ACTIVE = frozenset({"physical_therapy", "occupational_therapy", "home_exercise_program", "chiropractic"})
_INACTIVE = frozenset({"rest", "ice_heat", "tens", "systemic_opioids", "transdermal_opioids",
                       "oral_nonopioid_analgesics", "nsaids", "otc_analgesics"})
_FAILED = frozenset({"failed", "intolerable_side_effects", "unable_to_complete"})
_COUNTS_FOR_DURATION = _FAILED | {"ongoing"}
_COULD_NOT_COMPLETE = frozenset({"unable_to_complete", "contraindicated", "intolerable_side_effects"})
_FDA_INTRATHECAL_PAIN = frozenset({"morphine", "ziconotide"})
_SIX_MONTHS_DAYS = 183  # 6 x 365.2425 / 12, rounded up


def _months_back(day: dt.date, months: int) -> dt.date:
    y, m = divmod(day.year * 12 + day.month - 1 - months, 12)
    return dt.date(y, m + 1, min(day.day, calendar.monthrange(y, m + 1)[1]))


def _six_months_within_year(treatments, types: frozenset[str], submitted: dt.date) -> bool | None:
    """True: >= 6 months covered in the past 12; False: only courses documented effective; None: unknown."""
    window = _months_back(submitted, 12)
    spans = []
    seen = effective = 0
    for t in treatments:
        if t.type not in types:
            continue
        seen += 1
        if t.outcome == "effective":
            effective += 1
            continue
        if t.outcome not in _COUNTS_FOR_DURATION or t.start is None or t.start > submitted:
            continue
        end = min(t.end or (submitted if t.outcome == "ongoing" else t.start), submitted)
        if end < window:
            continue
        spans.append((max(t.start, window), end))
    days = 0
    last = None
    for start, end in sorted(spans):
        if last is not None and start <= last:
            start = last + dt.timedelta(days=1)
        if end >= start:
            days += (end - start).days + 1
            last = end
    if days >= _SIX_MONTHS_DAYS:
        return True
    return False if seen and effective == seen else None


_OPIOIDS = frozenset({"morphine", "hydromorphone", "fentanyl", "sufentanil", "methadone"})


def caresource_noncancer_trial(case: Case) -> str:
    """The decision of CareSource AR PASSE-MM-1502 for a non-malignant pain trial request."""
    req, cl = case.request, case.clinical
    if req.service_date < _EFFECTIVE:
        return "not_applicable"
    unknown = False

    def check(ok: bool | None) -> bool:
        """Record an unknown; return True when the criterion is documented as not met."""
        nonlocal unknown
        if ok is None:
            unknown = True
            return False
        return not ok

    def eq(value, want) -> bool | None:
        return None if value is None else value == want

    # I.A behavioral factors addressed and failed
    if check(eq(cl.behavioral_factors_addressed, True)):
        return "deny"
    # I.B intrathecal route, and every drug FDA-approved for intrathecal pain management
    route = eq(req.route, "intrathecal")
    drugs = None if not req.drugs else all(d.name in _FDA_INTRATHECAL_PAIN for d in req.drugs)
    if route is False or drugs is False:
        return "deny"
    check(route)
    check(drugs)
    # I.C pump FDA-approved for the drug
    if check(eq(req.pump.fda_approved_for_drug if req.pump else None, True)):
        return "deny"
    # I.D type and dosage: the prescription is documented
    check(True if req.drugs else None)
    # I.E experienced physician and facility
    if check(eq(req.facility_experienced, True)):
        return "deny"
    # I.F specialist validates that other treatments failed
    specialist = [e.result for e in cl.evaluations if e.type == "specialist"]
    if "other_treatments_failed" in specialist:
        pass
    elif specialist and all(r == "other_options_remain" for r in specialist):
        return "deny"
    else:
        unknown = True
    # VI contraindications (a list that only excludes)
    f = cl.findings
    if (f.active_infection or f.insufficient_body_size or f.prior_implant_intolerance or f.csf_obstruction
            or f.drug_allergy or f.device_component_allergy or f.other_programmable_implant):
        return "deny"
    # IV.A pain for at least 6 months
    if cl.pain_onset is None:
        unknown = True
    elif cl.pain_onset > _months_back(case.submitted, 6):
        return "deny"
    # IV.B planned observation stay of 1 to 2 days, for a trial of a spinal opioid
    days = req.trial_observation_days
    if any(d.name in _OPIOIDS for d in req.drugs) and check(None if days is None else 1 <= days <= 2):
        return "deny"
    # IV.C pain pathology identified
    if check(eq(cl.pathology_confirmed, True)):
        return "deny"
    # IV.D.1 no current drug or alcohol abuse
    if cl.substance_use == "active":
        return "deny"
    # IV.D.2 a negative drug test within the last 3 months, and no positive one
    since = _months_back(case.submitted, 3)
    recent = [s.result for s in cl.drug_screens if since <= s.date <= case.submitted]
    if "positive" in recent:
        return "deny"
    if not recent:
        unknown = True
    # IV.E psychological evaluation: pain not due to mental-health causes
    mental = [e.result for e in cl.evaluations if e.type == "mental_health"]
    if "cleared" in mental:
        pass
    elif mental and all(r == "not_cleared" for r in mental):
        return "deny"
    else:
        unknown = True
    # IV.F surgical intervention not indicated
    if check(eq(cl.surgery_indicated, False)):
        return "deny"
    # IV.G systemic opioids ineffective or complicated by side effects
    opioids = [t.outcome for t in cl.treatments if t.type == "systemic_opioids"]
    if any(o in _FAILED for o in opioids):
        pass
    elif opioids and all(o == "effective" for o in opioids):
        return "deny"
    else:
        unknown = True
    # IV.H.1 six months of active conservative therapy in the past 12, OR unable to complete it
    active = _six_months_within_year(cl.treatments, _ACTIVE, case.submitted)
    if active is not True and not any(t.type in _ACTIVE and t.outcome in _COULD_NOT_COMPLETE
                                      for t in cl.treatments):
        unknown = True  # the "unable to complete" branch is never contradicted, so at worst unknown
    # IV.H.2 six months of inactive conservative therapy in the past 12
    if check(_six_months_within_year(cl.treatments, _INACTIVE, case.submitted)):
        return "deny"
    return "pend" if unknown else "approve"
