"""The case, version 1 of the format in shared/design/case-format.md, as strict pydantic models.

Strict and closed: `false` is not `0`, `"3"` is not a number, unknown keys are errors. A key that is
absent or `null` means "not documented", so every clinical field is optional.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from priorauth.case.descriptions import describe
from priorauth.vocab import PAYER_PATTERN, Indication, LineOfBusiness, RequestKind, Route

FORMAT = "priorauth-case/1"

# Clinical and administrative dates outside this range are typing errors, not history.
DATE_RANGE = (dt.date(1900, 1, 1), dt.date(2199, 12, 31))


def _plausible(day: dt.date) -> dt.date:
    low, high = DATE_RANGE
    if not low <= day <= high:
        raise ValueError(f"date {day} is outside {low}..{high}")
    return day


Date = Annotated[dt.date, AfterValidator(_plausible)]


def amount(low: float, high: float) -> Any:
    """A finite number within what the field can mean: `1e400` parses to infinity, and neither it nor a typing
    slip of a few orders of magnitude is a clinical value."""
    return Field(default=None, ge=low, le=high, allow_inf_nan=False)

TreatmentType = Literal[
    "physical_therapy", "occupational_therapy", "home_exercise_program", "chiropractic",
    "exercise_program", "rest", "relaxation", "ice_heat", "tens", "systemic_opioids",
    "transdermal_opioids", "oral_nonopioid_analgesics", "nsaids", "otc_analgesics",
    "injectable_analgesics", "subcutaneous_medication", "nerve_block", "epidural_steroid_injection",
    "behavioral_therapy", "oral_baclofen", "oral_antispasmodic", "spine_surgery", "other",
]
Outcome = Literal[
    "failed", "intolerable_side_effects", "contraindicated", "refused", "unable_to_complete",
    "effective", "ongoing",
]
# A generic name in lower case. Intake (intake/normalise.py) maps brand, salt and case variants to it and rejects
# a name the drug table does not know; a case built in code with such a name reads as "not in the drug table".
DrugName = str


class Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True, json_schema_extra=describe)


class Quantity(Strict):
    value: float = Field(ge=0, le=1_000_000, allow_inf_nan=False)  # a dose or strength, not a typo
    unit: Literal["mg/mL", "mcg/mL", "%", "mg", "mcg"]


class Drug(Strict):
    name: DrugName = Field(min_length=1)
    concentration: Quantity | None = None
    daily_dose: Quantity | None = None
    compounded: bool | None = None


class Pump(Strict):
    type: Literal["programmable", "fixed_rate"] | None = None
    fda_approved_for_drug: bool | None = None
    # NCD 280.14: the pump's FDA-approved labeling names the drug *and* the purpose it is given for.
    labeled_for_drug_and_purpose: bool | None = None


class Member(Strict):
    birth_date: Date | None = None
    sex: Literal["female", "male", "other", "unknown"] | None = None
    # The slug of a payer in the loaded policy set (checked there, not here: a sixth payer is a folder).
    payer: str | None = Field(default=None, pattern=PAYER_PATTERN)
    line_of_business: LineOfBusiness | None = None
    # The member's state of residence (USPS code): a state program's policy governs only its own members.
    state: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")


class Request(Strict):
    kind: RequestKind
    route: Route | None = None
    indication: Indication
    service_date: Date
    procedure_codes: list[str] = []
    diagnosis_codes: list[str] = []
    drugs: list[Drug] = []
    pump: Pump | None = None
    trial_observation_days: float | None = amount(0, 365)
    facility_experienced: bool | None = None


class Treatment(Strict):
    type: TreatmentType
    start: Date | None = None
    end: Date | None = None
    schedule: Literal["fixed", "prn"] | None = None
    outcome: Outcome | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Treatment:
        if self.start and self.end and self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        return self


class Evaluation(Strict):
    type: Literal["specialist", "mental_health"]
    specialty: Literal[
        "orthopedic_surgery", "neurology", "neurosurgery", "oncology", "pain_management",
        "physiatry", "other",
    ] | None = None
    date: Date | None = None
    result: Literal["other_treatments_failed", "other_options_remain", "cleared", "not_cleared"] | None = None


class DrugScreen(Strict):
    date: Date
    result: Literal["negative", "positive"]


class Psychiatric(Strict):
    active_psychosis: bool | None = None
    suicidality: bool | None = None
    untreated_major_depression: bool | None = None
    compromised_cognition: bool | None = None
    untreated_psychosocial_issues: bool | None = None


class Findings(Strict):
    active_infection: bool | None = None
    local_infection: bool | None = None
    sepsis: bool | None = None
    coagulopathy: bool | None = None
    csf_obstruction: bool | None = None
    tumor_thecal_encroachment: bool | None = None
    increased_intracranial_pressure: bool | None = None
    insufficient_body_size: bool | None = None
    drug_allergy: bool | None = None
    device_component_allergy: bool | None = None
    prior_implant_intolerance: bool | None = None
    other_programmable_implant: bool | None = None


class TrialResult(Strict):
    date: Date | None = None
    pain_before: float | None = amount(0, 10)
    pain_after: float | None = amount(0, 10)
    pain_reduction_percent: float | None = amount(-10_000, 100)  # negative: the pain grew (2 -> 6 is -200%)
    function_improved: bool | None = None
    side_effects: Literal["none", "minimal", "tolerable", "intolerable"] | None = None
    adl_improved: bool | None = None
    # The effect on activities of daily living, when more than improved or not is documented.
    adl_effect: Literal["improved", "unchanged", "worse"] | None = None
    observation_days: float | None = amount(0, 365)
    # How the trial drug was given: a temporary intrathecal/epidural catheter, a single injection (bolus,
    # single shot) or another way.
    method: Literal["temporary_catheter", "single_injection", "other"] | None = None
    patient_accepts: bool | None = None  # the member accepts the therapy after the trial (NCD 280.14)

    @model_validator(mode="after")
    def _scores_agree(self) -> TrialResult:
        computed = self.computed_reduction()
        if computed is not None and self.pain_reduction_percent is not None:
            if abs(computed - self.pain_reduction_percent) > 1.0:
                raise ValueError(
                    f"pain_reduction_percent {self.pain_reduction_percent:g} disagrees with "
                    f"pain_before {self.pain_before:g} and pain_after {self.pain_after:g} "
                    f"({computed:.1f}%)"
                )
        return self

    def computed_reduction(self) -> float | None:
        if self.pain_before is None or self.pain_after is None or self.pain_before == 0:
            return None
        # Floored where a documented percentage is (-10 000%: pain 100 times worse): a score barely above 0 before
        # would otherwise overflow to -infinity, which no comparison or JSON output handles.
        return max((self.pain_before - self.pain_after) / self.pain_before * 100, -10_000.0)

    def reduction_percent(self) -> float | None:
        """The documented reduction; the exact score ratio wins over a rounded percentage."""
        computed = self.computed_reduction()
        return computed if computed is not None else self.pain_reduction_percent


class Spasticity(Strict):
    origin: Literal["cerebral", "spinal"] | None = None
    oral_baclofen_weeks: float | None = amount(0, 5_200)
    oral_response: Literal["unresponsive", "intolerant", "responsive"] | None = None
    ashworth: float | None = amount(0, 5)
    penn: float | None = amount(0, 4)
    test_dose_response: Literal["favorable", "unfavorable"] | None = None


class Clinical(Strict):
    pain_onset: Date | None = None
    pain_etiology: str | None = None
    pathology_confirmed: bool | None = None
    life_expectancy_months: float | None = amount(0, 1_500)
    advanced_disease_high_risk: bool | None = None
    surgery_indicated: bool | None = None
    surgery_refused: bool | None = None
    treatments: list[Treatment] = []
    evaluations: list[Evaluation] = []
    drug_screens: list[DrugScreen] = []
    substance_use: Literal["none", "history", "active"] | None = None
    psychiatric: Psychiatric = Psychiatric()
    findings: Findings = Findings()
    trial_result: TrialResult | None = None
    spasticity: Spasticity | None = None
    behavioral_factors_addressed: bool | None = None
    activity_level: str | None = None
    # NCD 280.14's "other uses": the drug is reasonable and necessary for this member, and giving it by an
    # implanted pump is medically necessary (the treating physician's documentation).
    drug_reasonable_and_necessary: bool | None = None
    implanted_pump_necessary: bool | None = None


class Note(Strict):
    date: Date | None = None
    author: str | None = None
    kind: str | None = None
    text: str


class Case(Strict):
    format: Literal["priorauth-case/1"]
    id: str = Field(min_length=1)
    submitted: Date
    member: Member = Member()
    request: Request
    clinical: Clinical = Clinical()
    notes: list[Note] = []
