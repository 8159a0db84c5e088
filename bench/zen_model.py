"""CareSource AR PASSE-MM-1502's non-malignant TRIAL criteria as a GoRules JSON Decision Model, for figure b of
bench_engine.py: the same readings as `caresource_noncancer_trial` there, evaluated by zen-engine (Rust).

Each criterion is one ZEN expression giving met / not_met / unknown (null is undocumented); a last expression
combines them (any not met -> deny, else any unknown -> pend, else approve). Dates go in as day numbers
(ZEN compares numbers, not ISO strings). The two "six months of therapy in the past 12" sums (IV.H) are a union
of date intervals, which ZEN's expression language has no way to write: they are computed in Python while the
input is built, and that input building is timed as part of zen's pass. zen-engine is optional (not a priorauth
dependency): `pip install zen-engine`; without it the figure is left out.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from hand_written import (  # the hand-written rule's own helpers and readings
    _ACTIVE,
    _COULD_NOT_COMPLETE,
    _EFFECTIVE,
    _FAILED,
    _INACTIVE,
    _OPIOIDS,
    _months_back,
    _six_months_within_year,
    caresource_noncancer_trial,
)


def _flag(name: str) -> str:
    return f"{name} == true ? 'met' : {name} == null ? 'unknown' : 'not_met'"


def _evaluation(kind: str, good: str, bad: str) -> str:
    mine = f"filter(evaluations, #.type == '{kind}')"
    return (f"some(evaluations, #.type == '{kind}' and #.result == '{good}') ? 'met' : "
            f"(len({mine}) > 0 and all({mine}, #.result == '{bad}')) ? 'not_met' : 'unknown'")


def _names(values) -> str:
    return "[" + ", ".join(f"'{v}'" for v in sorted(values)) + "]"


CRITERIA = {
    "IA": _flag("behavioral_factors_addressed"),
    "IB_route": "route == null ? 'unknown' : route == 'intrathecal' ? 'met' : 'not_met'",
    "IB_drugs": "len(drugs) == 0 ? 'unknown' : all(drugs, # in ['morphine', 'ziconotide']) ? 'met' : 'not_met'",
    "IC": _flag("pump_fda_approved"),
    "ID": "len(drugs) > 0 ? 'met' : 'unknown'",
    "IE": _flag("facility_experienced"),
    "IF": _evaluation("specialist", "other_treatments_failed", "other_options_remain"),
    "VI": "some(contraindications, # == true) ? 'not_met' : 'met'",
    "IVA": "pain_onset == null ? 'unknown' : pain_onset > six_months_ago ? 'not_met' : 'met'",
    "IVB": f"some(drugs, # in {_names(_OPIOIDS)}) ? (observation_days == null ? 'unknown' : "
           "(observation_days >= 1 and observation_days <= 2) ? 'met' : 'not_met') : 'met'",
    "IVC": _flag("pathology_confirmed"),
    "IVD1": "substance_use == 'active' ? 'not_met' : 'met'",
    "IVD2": "some(screens, #.day >= three_months_ago and #.day <= submitted and #.result == 'positive') ? "
            "'not_met' : some(screens, #.day >= three_months_ago and #.day <= submitted) ? 'met' : 'unknown'",
    "IVE": _evaluation("mental_health", "cleared", "not_cleared"),
    "IVF": "surgery_indicated == false ? 'met' : surgery_indicated == null ? 'unknown' : 'not_met'",
    "IVG": f"some(treatments, #.type == 'systemic_opioids' and #.outcome in {_names(_FAILED)}) ? 'met' : "
           "(len(filter(treatments, #.type == 'systemic_opioids')) > 0 and "
           "all(filter(treatments, #.type == 'systemic_opioids'), #.outcome == 'effective')) ? 'not_met' : 'unknown'",
    "IVH1": f"(active_six_months == true or some(treatments, #.type in {_names(_ACTIVE)} and "
            f"#.outcome in {_names(_COULD_NOT_COMPLETE)})) ? 'met' : 'unknown'",
    "IVH2": "inactive_six_months == true ? 'met' : inactive_six_months == false ? 'not_met' : 'unknown'",
}
_ALL = "[" + ", ".join(f"$.{k}" for k in CRITERIA) + "]"
DECISION = (f"service_date < effective ? 'not_applicable' : some({_ALL}, # == 'not_met') ? 'deny' : "
            f"some({_ALL}, # == 'unknown') ? 'pend' : 'approve'")


def model() -> dict:
    expressions = [{"id": k, "key": k, "value": v} for k, v in (*CRITERIA.items(), ("decision", DECISION))]
    at = {"x": 0, "y": 0}
    return {"nodes": [{"id": "in", "type": "inputNode", "name": "request", "position": at},
                      {"id": "criteria", "type": "expressionNode", "name": "criteria", "position": at,
                       "content": {"expressions": expressions}},
                      {"id": "out", "type": "outputNode", "name": "decision", "position": at}],
            "edges": [{"id": "e1", "type": "edge", "sourceId": "in", "targetId": "criteria"},
                      {"id": "e2", "type": "edge", "sourceId": "criteria", "targetId": "out"}]}


def inputs(case) -> dict:
    req, cl, f = case.request, case.clinical, case.clinical.findings
    return {
        "service_date": req.service_date.toordinal(), "effective": _EFFECTIVE.toordinal(),
        "submitted": case.submitted.toordinal(),
        "six_months_ago": _months_back(case.submitted, 6).toordinal(),
        "three_months_ago": _months_back(case.submitted, 3).toordinal(),
        "behavioral_factors_addressed": cl.behavioral_factors_addressed, "route": req.route,
        "drugs": [d.name for d in req.drugs],
        "pump_fda_approved": req.pump.fda_approved_for_drug if req.pump else None,
        "facility_experienced": req.facility_experienced,
        "evaluations": [{"type": e.type, "result": e.result} for e in cl.evaluations],
        "contraindications": [f.active_infection, f.insufficient_body_size, f.prior_implant_intolerance,
                              f.csf_obstruction, f.drug_allergy, f.device_component_allergy,
                              f.other_programmable_implant],
        "pain_onset": cl.pain_onset.toordinal() if cl.pain_onset else None,
        "observation_days": req.trial_observation_days,
        "pathology_confirmed": cl.pathology_confirmed, "substance_use": cl.substance_use,
        "screens": [{"day": s.date.toordinal(), "result": s.result} for s in cl.drug_screens],
        "surgery_indicated": cl.surgery_indicated,
        "treatments": [{"type": t.type, "outcome": t.outcome} for t in cl.treatments],
        "active_six_months": _six_months_within_year(cl.treatments, _ACTIVE, case.submitted),
        "inactive_six_months": _six_months_within_year(cl.treatments, _INACTIVE, case.submitted),
    }


def zen_variant(subset) -> Callable[[], object] | None:
    """A pass over the subset through zen-engine, or None when it is not installed. Prints its agreement with the
    hand-written rule once."""
    try:
        import zen
    except ImportError:
        print("   (zen-engine not installed: `pip install zen-engine` for its figure)")
        return None
    decision = zen.ZenEngine().create_decision(json.dumps(model()))
    agree = sum(decision.evaluate(inputs(c))["result"]["decision"] == caresource_noncancer_trial(c) for c in subset)
    print(f"   zen-engine {getattr(zen, '__version__', '')} model: decisions agree with the hand-written rule on "
          f"{agree} of {len(subset)} cases")

    def run():
        for case in subset:
            decision.evaluate(inputs(case))

    return run
