"""Findings for the reviewer: codes, code fit, drugs and doses. They inform; criteria decide.

Case findings (code validity, code fit, drug knowledge, dose limits) are the same under every policy
and are computed once per case; policy findings compare the case with one policy's own lists and
checks (`codes`, `checks` in the policy file).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from priorauth.case.model import Case, Drug
from priorauth.knowledge.codes import CodeSets
from priorauth.knowledge.drugs import DrugInfo
from priorauth.knowledge.tables import Knowledge
from priorauth.policy.model import Policy

KINDS = ("procedure_code", "diagnosis_code", "code_fit", "dose", "concentration", "fda_status", "drug",
         "evidence_conflict",  # sources of one fact that disagree (the evidence stage's, from notes)
         "policy_version",  # no version of a policy on file covers the date of service
         "date")  # dates that contradict each other (a year typo is the usual cause)
SEVERITIES = ("info", "warning", "safety")


@dataclass(frozen=True)
class Finding:
    kind: str
    severity: str
    message: str
    code: str | None = None
    drug: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "severity": self.severity, "message": self.message}
        if self.code is not None:
            out["code"] = self.code
        if self.drug is not None:
            out["drug"] = self.drug
        return out


def _fmt(value: float) -> str:
    return f"{value:g}"


def _near(code: str, codes: CodeSets) -> str:
    """`; codes under G89: G89.0, G89.1, ...` when the code's category exists (a typo in the last characters)."""
    category = codes.diagnosis(code[:3]) if len(code) > 3 else None
    if category is None or not category.valid or not category.children:
        return ""
    kids = ", ".join(category.children[:8]) + (" …" if len(category.children) > 8 else "")
    return f"; codes under {code[:3]} ({category.description}): {kids}"


def code_findings(case: Case, codes: CodeSets) -> list[Finding]:
    out = []
    for code in case.request.diagnosis_codes:
        info = codes.diagnosis(code)
        if not info.valid:
            out.append(Finding("diagnosis_code", "warning",
                               f"{code} is not a valid ICD-10-CM code{_near(code, codes)}.", code=code))
        elif not info.billable:
            kids = ", ".join(info.children[:8]) + (" …" if len(info.children) > 8 else "")
            out.append(Finding("diagnosis_code", "warning",
                               f"{code} ({info.description}) is a category, not a billable code; "
                               f"use one of its codes: {kids}.", code=code))
    for code in case.request.procedure_codes:
        if not codes.procedure(code).valid:
            out.append(Finding("procedure_code", "info",
                               f"{code} is not in the reviewed table of procedure codes for intrathecal and "
                               "epidural drug delivery; check the code.", code=code))
    return out


def fit_findings(case: Case, codes: CodeSets) -> list[Finding]:
    fit = codes.fit
    r = case.request
    procs = set(r.procedure_codes)
    out = []
    implant = sorted(procs & set(fit["implant_codes"]))
    if r.kind == "trial" and implant:
        out.append(Finding("code_fit", "warning",
                           f"A trial request is billed with implantation code(s) {', '.join(implant)}.",
                           code=implant[0]))
    if r.kind == "implant" and procs and not implant:
        out.append(Finding("code_fit", "warning", "A permanent implantation request has no implantation "
                           "code (e.g. 62350, 62362)."))
    if r.kind == "refill" and implant:
        out.append(Finding("code_fit", "warning",
                           f"A refill request is billed with implantation code(s) {', '.join(implant)}.",
                           code=implant[0]))
    for indication in ("cancer_pain", "spasticity"):
        if r.indication == indication and r.diagnosis_codes and not any(
                code.startswith(tuple(fit[indication])) for code in r.diagnosis_codes):
            wanted = "a neoplasm code or G89.3" if indication == "cancer_pain" else \
                "a spasticity, cerebral palsy or movement-disorder code"
            out.append(Finding("code_fit", "warning",
                               f"A {indication.replace('_', ' ')} request has no diagnosis code for it ({wanted})."))
    return out


def drug_findings(case: Case, knowledge: Knowledge) -> list[Finding]:
    table = knowledge.drugs
    r = case.request
    out = []
    for d in r.drugs:
        info = table.drugs.get(d.name)
        if info is None:
            out.append(Finding("drug", "warning", f"{d.name} is not in the intrathecal drug table: check the name "
                               "and review the prescription by hand.", drug=d.name))
            continue
        route = r.route or "intrathecal"
        if not info.fda_approved_for(route, r.indication):
            out.append(Finding("fda_status", "warning",
                               f"{d.name} is not FDA-approved for {route} use for {r.indication.replace('_', ' ')} "
                               "(FDA safety communication, 2018-11-14).", drug=d.name))
        if not info.suited_for(r.indication):
            agent = "antispasmodic" if r.indication == "spasticity" else "analgesic"
            out.append(Finding("drug", "warning", f"{d.name} is not an intrathecal {agent}.", drug=d.name))
        out.extend(_limit_findings(d, info, table.source_limits))
    return out


def _in_mg(unit: str, mg: float) -> str:
    """` (2 mg)` beside a dose written in mcg, so that it reads in the maximum's unit."""
    return "" if unit == "mg" else f" ({_fmt(mg)} mg)"


def _limit_findings(d: Drug, info: DrugInfo, source: str) -> list[Finding]:
    """Doses and concentrations above the table's maxima (the same limits the `drugs` test applies)."""
    out = []
    conc = info.over_concentration(d)
    if conc is not None:
        out.append(Finding("concentration", "safety",
                           f"{d.name} {_fmt(d.concentration.value)} {d.concentration.unit} = {_fmt(conc)} mg/mL "
                           f"exceeds the maximum recommended concentration "
                           f"{_fmt(info.max_concentration_mg_per_ml)} mg/mL ({source}).", drug=d.name))
    dose = info.over_daily_dose(d)
    if dose is not None:
        out.append(Finding("dose", "safety",
                           f"{d.name} {_fmt(d.daily_dose.value)} {d.daily_dose.unit}/day"
                           f"{_in_mg(d.daily_dose.unit, dose)} exceeds the maximum recommended daily dose "
                           f"{_fmt(info.max_daily_dose_mg)} mg ({source}).", drug=d.name))
    elif d.daily_dose is None:
        out.append(Finding("dose", "info", f"No daily dose is documented for {d.name}.", drug=d.name))
    return out


def date_findings(case: Case) -> list[Finding]:
    """Dates that cannot all be right: a typo in a year silently moves a look-back window or the policy version
    in force, so it is named, by field, beside the decision."""
    r, m = case.request, case.member
    out = []

    def warn(message: str) -> None:
        out.append(Finding("date", "warning", message))

    if r.service_date < case.submitted:
        warn(f"request.service_date {r.service_date} is before submitted {case.submitted}: a prior authorization "
             "precedes the service; check both dates.")
    if m.birth_date is not None and m.birth_date > r.service_date:
        warn(f"member.birth_date {m.birth_date} is after request.service_date {r.service_date}.")
    if m.birth_date is not None and m.birth_date > case.submitted:
        warn(f"member.birth_date {m.birth_date} is after submitted {case.submitted}.")
    for i, t in enumerate(case.clinical.treatments):
        if t.start is not None and t.start > case.submitted:
            warn(f"clinical.treatments[{i}].start {t.start} is after submitted {case.submitted}: a treatment "
                 "counted toward a criterion must have been tried before the request.")
    onset = case.clinical.pain_onset
    if onset is not None and onset > case.submitted:
        warn(f"clinical.pain_onset {onset} is after submitted {case.submitted}.")
    return out


def case_findings(case: Case, knowledge: Knowledge) -> list[Finding]:
    """Findings that do not depend on the policy."""
    return (code_findings(case, knowledge.codes) + fit_findings(case, knowledge.codes) + drug_findings(case, knowledge)
            + date_findings(case))


def listed_systems(policy: Policy, codes: CodeSets) -> frozenset[str]:
    """The code systems a policy's procedure list covers: a HCPCS-only list says nothing about CPT codes."""
    return frozenset(codes.procedure(c).system for c in policy.codes.procedure)


def policy_findings(case: Case, policy: Policy, knowledge: Knowledge, systems: frozenset[str]) -> list[Finding]:
    """The case against one policy's code lists and its own checks (`systems`: from `listed_systems`)."""
    r = case.request
    name = f"{policy.payer_name} {policy.number}"
    out = []
    if policy.codes.procedure:
        for code in r.procedure_codes:
            if code not in policy.codes.procedure and knowledge.codes.procedure(code).system in systems:
                out.append(Finding("procedure_code", "warning", f"{code} is not in {name}'s procedure code list "
                                   "(the list may not be all-inclusive).", code=code))
    if policy.codes.diagnosis:
        listed = [c for c in r.diagnosis_codes if c in policy.codes.diagnosis]
        for code in r.diagnosis_codes:
            if code not in policy.codes.diagnosis:
                severity = "info" if listed else "warning"
                out.append(Finding("diagnosis_code", severity,
                                   f"{code} is not in {name}'s list of diagnosis codes"
                                   + (f"; {', '.join(listed)} is." if listed else "; no submitted code is."),
                                   code=code))
    lines = policy.lines_of_therapy
    if lines is not None and r.indication != "spasticity" and r.drugs:
        names = sorted({d.name for d in r.drugs})
        line = lines.line_of(names)
        if line is None:
            out.append(Finding("drug", "warning", f"The combination {' + '.join(names)} is not among {name}'s first, "
                               f"second or third line intrathecal therapies ({lines.section})."))
        elif line != "first":
            out.append(Finding("drug", "info", f"{' + '.join(names)} is a {line}-line therapy in {name}."))
    for rule in policy.code_rules:
        if rule.compounded and any(d.compounded for d in r.drugs) and rule.code not in r.procedure_codes:
            out.append(Finding("procedure_code", "warning", f"{name}: compounded prescriptions must be submitted with "
                               f"HCPCS {rule.code} ({rule.section}).", code=rule.code))
    return out
