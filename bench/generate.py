"""Deterministic generator of synthetic prior-authorization cases for the benchmarks.

Every case is valid under the case format (shared/design/case-format.md) and is parsed with
`Case.model_validate_json`, exactly as the CLI would read a file. The mix is meant to look like a
utilization-review queue, not like a test suite:

- indication: noncancer pain (most), cancer pain, spasticity;
- request kind: trial, implant, refill, revision, replacement, removal;
- date of service anywhere in 2025 or 2026 (so policy versions that end in 2025 drop out in 2026);
- member payer mostly absent (evaluate against every policy), sometimes one payer;
- each case has a documentation *profile*: ``complete`` (every fact documented and supportive),
  ``gaps`` (some facts undocumented or falling short) or ``mixed`` (gaps plus facts that contradict a
  criterion). Each fact group is then drawn as ``good``, ``weak`` (documented but falls short:
  PRN-only opioids, a drug screen older than 3 months, 3 months of therapy where 6 are needed),
  ``absent`` (key missing) or ``bad`` (contradicts: positive drug screen, 30% trial relief, a
  documented contraindication, surgery indicated...).

With that mix every decision (approve, deny, pend, refer, not_applicable) occurs. The same seed
always gives the same cases.

    python bench/generate.py --cases 20            # print the mix
    python bench/generate.py --cases 20 --dump DIR # also write the cases as JSON files
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
from collections import Counter
from pathlib import Path
from typing import Any

from priorauth.case.model import Case

DEFAULT_SEED = 20250601

INDICATIONS = (("noncancer_pain", 0.55), ("cancer_pain", 0.25), ("spasticity", 0.20))
KINDS = (("trial", 0.40), ("implant", 0.30), ("refill", 0.12), ("revision", 0.06), ("replacement", 0.06),
         ("removal", 0.06))
PROFILES = {
    # probabilities of good / weak / absent / bad for each fact group
    "complete": (1.0, 0.0, 0.0, 0.0),
    "gaps": (0.74, 0.11, 0.15, 0.0),
    "mixed": (0.72, 0.08, 0.12, 0.08),
}
PROFILE_WEIGHTS = (("complete", 0.35), ("gaps", 0.30), ("mixed", 0.35))
PAYERS = ("moda", "florida-blue", "caresource", "uhc", "hcsc")

PROCEDURES = {
    "trial": (["62324"], ["62322"], ["62327"], ["62326"]),
    "implant": (["62350", "62362", "C1772"], ["62351", "62362"], ["62350", "62361", "E0782"]),
    "refill": (["95990"], ["62370"], ["95991", "A4220"]),
    "revision": (["62350"], ["36576"]),
    "replacement": (["62362", "E0786"], ["62360"]),
    "removal": (["62365"], ["62355"]),
}
DIAGNOSES = {
    "noncancer_pain": (["G89.4", "M96.1"], ["G89.21", "M96.1"], ["G89.29", "M54.16"], ["G89.28", "M47.816"],
                       ["G89.4", "M51.36"], ["G90.522"]),
    "cancer_pain": (["G89.3", "C25.0"], ["G89.3", "C50.911"], ["G89.3", "C61"], ["G89.3", "C34.90"],
                    ["G89.3", "C18.9"]),
    "spasticity": (["G80.1"], ["G80.2", "R25.2"], ["G35", "R25.2"], ["G82.21"], ["G81.11"]),
}
ETIOLOGY = {
    "noncancer_pain": ("failed back surgery syndrome after L4-S1 fusion", "lumbar spinal stenosis",
                       "complex regional pain syndrome, right lower limb", "degenerative disc disease",
                       "post-herpetic neuralgia", "chronic pancreatitis"),
    "cancer_pain": ("pancreatic adenocarcinoma with celiac plexus invasion",
                    "metastatic breast cancer to bone", "prostate cancer with vertebral metastases",
                    "non-small cell lung cancer, chest wall",
                    "colorectal cancer with pelvic recurrence"),
    "spasticity": ("spastic diplegic cerebral palsy", "multiple sclerosis", "spinal cord injury, C6",
                   "traumatic brain injury", "hereditary spastic paraplegia"),
}
ACTIVITY = ("walks one block; needs help with dressing", "bed to chair", "housebound, independent in ADLs",
            "wheelchair for distances", "works part time with restrictions")
FINDINGS_PAIN = ("active_infection", "local_infection", "sepsis", "coagulopathy", "csf_obstruction",
                 "insufficient_body_size", "drug_allergy", "device_component_allergy",
                 "prior_implant_intolerance", "other_programmable_implant")
FINDINGS_SPASTICITY = ("active_infection", "coagulopathy", "increased_intracranial_pressure",
                       "insufficient_body_size", "device_component_allergy")
PSYCHIATRIC = ("active_psychosis", "suicidality", "untreated_major_depression", "compromised_cognition",
               "untreated_psychosocial_issues")
NOTE_TEXTS = (
    "Patient reports persistent pain 8/10 despite current regimen; function limited.",
    "Discussed risks and benefits of intrathecal therapy; patient wishes to proceed.",
    "Imaging reviewed; no new surgical target identified.",
    "Pump interrogated; reservoir volume as expected, no alarms.",
    "Caregiver reports increased tone and painful spasms at night.",
)


def _pick(rng: random.Random, weighted: tuple[tuple[str, float], ...]) -> str:
    values, weights = zip(*weighted, strict=True)
    return rng.choices(values, weights)[0]


class _Plan:
    """Draws the documentation state of one fact group for one case."""

    def __init__(self, rng: random.Random, profile: str):
        self.rng = rng
        self.weights = PROFILES[profile]

    def state(self, weak: bool = True, bad: bool = True) -> str:
        good, w, absent, b = self.weights
        options = [("good", good), ("absent", absent)]
        if weak:
            options.append(("weak", w))
        else:
            options[0] = ("good", good + w)
        if bad:
            options.append(("bad", b))
        else:
            options[0] = (options[0][0], options[0][1] + b)
        return _pick(self.rng, tuple(options))


def _iso(day: dt.date) -> str:
    return day.isoformat()


def _ago(day: dt.date, days: int) -> dt.date:
    return day - dt.timedelta(days=days)


def _treatment(kind: str, start: dt.date, end: dt.date | None, outcome: str | None,
               schedule: str | None = None) -> dict[str, Any]:
    t: dict[str, Any] = {"type": kind, "start": _iso(start)}
    if end is not None:
        t["end"] = _iso(end)
    if schedule:
        t["schedule"] = schedule
    if outcome:
        t["outcome"] = outcome
    return t


def _drugs(rng: random.Random, indication: str, state: str) -> list[dict[str, Any]]:
    def drug(name: str, conc: float, cunit: str, dose: float, dunit: str, compounded: bool = False):
        return {"name": name, "concentration": {"value": conc, "unit": cunit},
                "daily_dose": {"value": dose, "unit": dunit}, "compounded": compounded}

    if state == "absent":
        return []
    if indication == "spasticity":
        baclofen = drug("baclofen", rng.choice([50, 500, 2000]), "mcg/mL", rng.choice([50, 100, 300]), "mcg")
        if state == "bad":  # an opioid or clonidine added: investigational for spasticity at some payers
            return [baclofen, drug(rng.choice(["clonidine", "morphine"]), 1, "mg/mL", 0.1, "mg")]
        return [baclofen]
    morphine = drug("morphine", rng.choice([1, 2, 10, 25]), "mg/mL", round(rng.uniform(0.2, 8), 1), "mg")
    ziconotide = drug("ziconotide", 25, "mcg/mL", round(rng.uniform(1.2, 19.2), 1), "mcg")
    if state == "weak":  # a compounded admixture with bupivacaine
        return [drug("morphine", 10, "mg/mL", 2, "mg", True), drug("bupivacaine", 0.5, "%", 4, "mg", True)]
    if state == "bad":
        return [rng.choice([drug("hydromorphone", 2, "mg/mL", 1, "mg"),
                            drug("fentanyl", 50, "mcg/mL", 100, "mcg"),
                            drug("clonidine", 1, "mg/mL", 0.2, "mg")])]
    return rng.choice([[morphine], [morphine], [ziconotide], [morphine, ziconotide]])


def _treatments(rng: random.Random, plan: _Plan, indication: str, submitted: dt.date) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    failed = ("failed", "failed", "intolerable_side_effects", "unable_to_complete")
    if indication == "spasticity":
        s = plan.state()
        if s != "absent":
            outcome = {"good": rng.choice(["intolerable_side_effects", "failed"]), "weak": None,
                       "bad": "effective"}[s]
            out.append(_treatment("oral_baclofen", _ago(submitted, rng.randint(120, 700)),
                                  _ago(submitted, rng.randint(10, 90)), outcome, "fixed"))
        if rng.random() < 0.7:
            out.append(_treatment("physical_therapy", _ago(submitted, rng.randint(200, 900)),
                                  _ago(submitted, rng.randint(5, 60)), "failed"))
        rng.shuffle(out)
        return out

    # Active conservative therapy (physical / occupational therapy, home exercise, chiropractic).
    s = plan.state()
    if s == "good":
        start = _ago(submitted, rng.randint(215, 360))
        mid = start + dt.timedelta(days=rng.randint(60, 120))
        out.append(_treatment("physical_therapy", start, mid, rng.choice(failed)))
        out.append(_treatment(rng.choice(["home_exercise_program", "chiropractic", "occupational_therapy"]),
                              mid, _ago(submitted, rng.randint(3, 25)), rng.choice(failed + ("ongoing",))))
    elif s == "weak":  # about 3 months, or long ago
        if rng.random() < 0.5:
            out.append(_treatment("physical_therapy", _ago(submitted, 120), _ago(submitted, 30), "failed"))
        else:
            out.append(_treatment("physical_therapy", _ago(submitted, 900), _ago(submitted, 500), "failed"))
    elif s == "bad":
        out.append(_treatment("physical_therapy", _ago(submitted, 300), _ago(submitted, 100), "effective"))

    # Inactive conservative therapy: rest, ice/heat, TENS.
    s = plan.state()
    if s == "good":
        for kind in rng.sample(["rest", "ice_heat", "tens"], rng.randint(1, 3)):
            out.append(_treatment(kind, _ago(submitted, rng.randint(220, 800)),
                                  _ago(submitted, rng.randint(1, 30)), "failed"))
    elif s == "weak":
        out.append(_treatment("tens", _ago(submitted, 100), _ago(submitted, 20), "failed"))
    elif s == "bad":
        out.append(_treatment("rest", _ago(submitted, 400), _ago(submitted, 10), "effective"))

    s = plan.state(weak=False)
    if s != "absent":
        out.append(_treatment("relaxation", _ago(submitted, rng.randint(90, 400)),
                              _ago(submitted, rng.randint(5, 60)), "failed" if s == "good" else "effective"))

    # Systemic opioids.
    s = plan.state()
    if s == "good":
        if rng.random() < 0.1:
            out.append(_treatment("systemic_opioids", _ago(submitted, 200), None, "contraindicated"))
        else:
            out.append(_treatment("systemic_opioids", _ago(submitted, rng.randint(120, 600)),
                                  _ago(submitted, rng.randint(5, 40)),
                                  rng.choice(["failed", "intolerable_side_effects"]), "fixed"))
    elif s == "weak":  # PRN only, or a short fixed trial, or outcome not documented
        days, outcome, schedule = rng.choice([(200, "failed", "prn"), (40, "failed", "fixed"),
                                              (300, None, "fixed")])
        out.append(_treatment("systemic_opioids", _ago(submitted, days), _ago(submitted, 10), outcome,
                              schedule))
    elif s == "bad":
        out.append(_treatment("systemic_opioids", _ago(submitted, 300), None, "effective", "fixed"))

    # Non-prescription / NSAIDs, injectables, nerve blocks.
    for group in (("nsaids", "otc_analgesics"), ("injectable_analgesics", "subcutaneous_medication"),
                  ("nerve_block", "epidural_steroid_injection")):
        s = plan.state(weak=False)
        if s == "absent":
            continue
        kind = rng.choice(group)
        start = _ago(submitted, rng.randint(60, 700))
        end = start if group[0] == "nerve_block" else min(_ago(submitted, 1),
                                                          start + dt.timedelta(days=rng.randint(1, 400)))
        schedule = rng.choice(["fixed", "prn"]) if group[0] == "nsaids" else None
        out.append(_treatment(kind, start, end, "failed" if s == "good" else "effective", schedule))

    if rng.random() < 0.3:
        out.append(_treatment("behavioral_therapy", _ago(submitted, 300), _ago(submitted, 120), "failed"))
    rng.shuffle(out)
    return out


def _evaluations(rng: random.Random, plan: _Plan, indication: str,
                 submitted: dt.date) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    specialty = {"noncancer_pain": ["neurosurgery", "orthopedic_surgery", "pain_management", "physiatry"],
                 "cancer_pain": ["oncology", "pain_management"],
                 "spasticity": ["neurology", "physiatry", "neurosurgery"]}[indication]
    s = plan.state()
    if s != "absent":
        result = {"good": "other_treatments_failed", "weak": None, "bad": "other_options_remain"}[s]
        e = {"type": "specialist", "specialty": rng.choice(specialty),
             "date": _iso(_ago(submitted, rng.randint(5, 200)))}
        if result:
            e["result"] = result
        out.append(e)
    if indication != "spasticity":
        s = plan.state()
        if s != "absent":
            result = {"good": "cleared", "weak": None, "bad": "not_cleared"}[s]
            e = {"type": "mental_health", "date": _iso(_ago(submitted, rng.randint(5, 200)))}
            if result:
                e["result"] = result
            out.append(e)
    return out


def _drug_screens(rng: random.Random, plan: _Plan, submitted: dt.date) -> list[dict[str, Any]]:
    s = plan.state()
    if s == "absent":
        return []
    if s == "weak":  # older than the 3-month window
        return [{"date": _iso(_ago(submitted, rng.randint(120, 400))), "result": "negative"}]
    if s == "bad":
        return [{"date": _iso(_ago(submitted, rng.randint(3, 60))), "result": "positive"}]
    screens = [{"date": _iso(_ago(submitted, rng.randint(2, 80))), "result": "negative"}]
    if rng.random() < 0.3:
        screens.insert(0, {"date": _iso(_ago(submitted, rng.randint(200, 500))), "result": "negative"})
    return screens


def _flags(rng: random.Random, plan: _Plan, keys: tuple[str, ...]) -> dict[str, bool]:
    s = plan.state()
    if s == "absent":
        return {}
    flags = {k: False for k in keys}
    if s == "weak":  # only some documented absent
        return {k: v for k, v in flags.items() if rng.random() < 0.5}
    if s == "bad":
        flags[rng.choice(keys)] = True
    return flags


def case_dict(rng: random.Random, index: int) -> dict[str, Any]:
    """One synthetic case as the JSON-ready mapping of the case format."""
    indication = _pick(rng, INDICATIONS)
    kind = _pick(rng, KINDS)
    profile = _pick(rng, PROFILE_WEIGHTS)
    plan = _Plan(rng, profile)
    service = dt.date(2025, 1, 1) + dt.timedelta(days=rng.randrange(730))
    submitted = _ago(service, rng.randint(5, 45))

    # Member
    member: dict[str, Any] = {"sex": rng.choice(["female", "male", "female", "male", "unknown"])}
    s = plan.state(weak=False)
    if s != "absent":
        if indication == "spasticity":
            age = rng.randint(4, 65)
        else:
            age = rng.randint(16, 17) if s == "bad" else rng.randint(25, 88)
        member["birth_date"] = _iso(_ago(service, age * 365 + rng.randint(10, 350)))
    if rng.random() < 0.2:
        payer = rng.choice(PAYERS)
        member["payer"] = payer
        member["line_of_business"] = "medicaid" if payer == "caresource" else _pick(
            rng, (("commercial", 0.7), ("medicare-advantage", 0.2), ("fep", 0.1)))
    elif rng.random() < 0.85:
        member["line_of_business"] = _pick(rng, (("commercial", 0.55), ("medicaid", 0.25),
                                                 ("medicare-advantage", 0.15), ("fep", 0.05)))

    # Request
    request: dict[str, Any] = {"kind": kind, "indication": indication, "service_date": _iso(service),
                               "procedure_codes": rng.choice(PROCEDURES[kind]),
                               "diagnosis_codes": rng.choice(DIAGNOSES[indication])}
    s = plan.state(weak=False)
    if s != "absent":
        request["route"] = "intrathecal" if s == "good" else "epidural"
    request["drugs"] = _drugs(rng, indication, plan.state())
    s = plan.state(weak=False)
    if s != "absent":
        request["pump"] = {"type": rng.choice(["programmable", "programmable", "fixed_rate"]),
                           "fda_approved_for_drug": s == "good"}
    if kind == "trial":
        s = plan.state(weak=False)
        if s != "absent":
            request["trial_observation_days"] = rng.choice([1, 2, 2] if s == "good" else [0, 3, 5])
    s = plan.state(weak=False)
    if s != "absent":
        request["facility_experienced"] = s == "good"

    # Clinical
    clinical: dict[str, Any] = {}
    s = plan.state(weak=False)
    if s != "absent":
        months = rng.randint(7, 120) if s == "good" else rng.randint(1, 5)
        clinical["pain_onset"] = _iso(_ago(submitted, int(months * 30.5) + rng.randint(0, 20)))
    if plan.state(weak=False, bad=False) == "good":
        clinical["pain_etiology"] = rng.choice(ETIOLOGY[indication])
    s = plan.state(weak=False)
    if s != "absent":
        clinical["pathology_confirmed"] = s == "good"
    s = plan.state(weak=False)
    if s != "absent":
        if indication == "cancer_pain":
            clinical["life_expectancy_months"] = rng.randint(4, 36) if s == "good" else rng.choice([1, 2])
        else:
            clinical["life_expectancy_months"] = rng.randint(120, 360) if s == "good" else 2
    if indication == "cancer_pain":
        s = plan.state(weak=False)
        if s != "absent":
            clinical["advanced_disease_high_risk"] = s == "good"
    s = plan.state(weak=False)
    if s != "absent":
        clinical["surgery_indicated"] = s == "bad"
        if s == "bad" and rng.random() < 0.4:
            clinical["surgery_refused"] = True
    clinical["treatments"] = _treatments(rng, plan, indication, submitted)
    clinical["evaluations"] = _evaluations(rng, plan, indication, submitted)
    if indication != "spasticity":
        clinical["drug_screens"] = _drug_screens(rng, plan, submitted)
    s = plan.state()
    if s != "absent":
        clinical["substance_use"] = {"good": "none", "weak": "history", "bad": "active"}[s]
    clinical["psychiatric"] = _flags(rng, plan, PSYCHIATRIC)
    findings = FINDINGS_SPASTICITY if indication == "spasticity" else FINDINGS_PAIN
    if indication == "cancer_pain":
        findings = findings + ("tumor_thecal_encroachment",)
    clinical["findings"] = _flags(rng, plan, findings)
    s = plan.state(weak=False)
    if s != "absent":
        clinical["behavioral_factors_addressed"] = s == "good"
    if rng.random() < 0.6:
        clinical["activity_level"] = rng.choice(ACTIVITY)

    # A completed trial, for requests that follow one.
    if kind in ("implant", "replacement", "revision") and indication != "spasticity":
        s = plan.state()
        if s != "absent":
            before = rng.choice([7, 8, 9, 10])
            after = rng.randint(1, before // 2) if s != "bad" else rng.randint(before - 3, before)
            trial: dict[str, Any] = {"date": _iso(_ago(submitted, rng.randint(10, 90))),
                                     "pain_before": before, "pain_after": after,
                                     "observation_days": rng.choice([1, 2])}
            if s == "good":
                trial |= {"function_improved": True, "adl_improved": True,
                          "side_effects": rng.choice(["none", "minimal"])}
            elif s == "weak":  # scores only, functional outcome not documented
                trial["side_effects"] = "tolerable"
            else:
                trial |= {"function_improved": False, "adl_improved": False,
                          "side_effects": rng.choice(["tolerable", "intolerable"])}
            clinical["trial_result"] = trial
    if indication == "spasticity":
        s = plan.state()
        if s != "absent":
            sp: dict[str, Any] = {"origin": rng.choice(["cerebral", "spinal"]),
                                  "ashworth": rng.choice([3, 4]), "penn": rng.choice([2, 3, 4]),
                                  "oral_baclofen_weeks": rng.randint(6, 52)}
            if s == "good":
                sp["oral_response"] = rng.choice(["unresponsive", "intolerant"])
                sp["test_dose_response"] = "favorable"
            elif s == "bad":
                sp["oral_response"] = "responsive"
                sp["test_dose_response"] = "unfavorable"
            clinical["spasticity"] = sp

    notes = [{"date": _iso(_ago(submitted, rng.randint(0, 60))), "author": "treating physician",
              "kind": "progress", "text": rng.choice(NOTE_TEXTS)} for _ in range(rng.randint(0, 2))]
    case: dict[str, Any] = {"format": "priorauth-case/1", "id": f"bench-{index:06d}-{profile}",
                            "submitted": _iso(submitted), "member": member, "request": request,
                            "clinical": clinical}
    if notes:
        case["notes"] = notes
    return case


def iter_json(n: int, seed: int = DEFAULT_SEED):
    """`n` cases as JSON texts, one at a time (deterministic for a given seed)."""
    rng = random.Random(seed)
    for i in range(n):
        yield json.dumps(case_dict(rng, i))


def generate_json(n: int, seed: int = DEFAULT_SEED) -> list[str]:
    """`n` cases as JSON texts (deterministic for a given seed)."""
    return list(iter_json(n, seed))


def generate_cases(n: int, seed: int = DEFAULT_SEED) -> list[Case]:
    """`n` parsed cases; parsing is the same as for a case file (strict JSON validation)."""
    return [Case.model_validate_json(text) for text in generate_json(n, seed)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=20)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--dump", type=Path, help="write each case as DIR/ID.json")
    args = parser.parse_args()
    texts = generate_json(args.cases, args.seed)
    cases = [Case.model_validate_json(t) for t in texts]
    if args.dump:
        args.dump.mkdir(parents=True, exist_ok=True)
        for case, text in zip(cases, texts, strict=True):
            (args.dump / f"{case.id}.json").write_text(json.dumps(json.loads(text), indent=2) + "\n")
    mix = Counter((c.request.indication, c.request.kind) for c in cases)
    for (indication, kind), count in sorted(mix.items()):
        print(f"{indication:15} {kind:12} {count}")
    print(f"{len(cases)} cases")


if __name__ == "__main__":
    main()
