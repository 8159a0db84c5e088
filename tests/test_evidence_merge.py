"""Facts from notes merged into the case: structured facts win, notes fill what is absent, conflicts stay unknown
with both sources named, and a criterion met only on notes says so."""

from __future__ import annotations

import json

from conftest import run_cli
from priorauth.case.model import Case
from priorauth.case.provenance import NoteSpan
from priorauth.engine.evaluate import evaluate_case
from priorauth.evidence.merge import apply_notes

BASE = {"format": "priorauth-case/1", "id": "merge-1", "submitted": "2025-03-14",
        "member": {"birth_date": "1967-04-02", "payer": "uhc", "line_of_business": "commercial"},
        "request": {"kind": "trial", "route": "intrathecal", "indication": "noncancer_pain",
                    "service_date": "2025-04-01", "procedure_codes": ["62324"], "diagnosis_codes": ["G89.4"]}}
PAIN = "Chronic low back pain, failed back surgery syndrome. "


def case(notes, clinical=None) -> Case:
    return Case.model_validate_json(json.dumps({**BASE, "clinical": clinical or {},
                                                "notes": [{"date": "2025-03-14", "text": t} for t in notes]}))


def test_a_note_fills_what_the_case_leaves_out_with_its_span():
    text = PAIN + "Neurosurgery consult: not a surgical candidate."
    out = apply_notes(case([text]))
    assert out.case.clinical.surgery_indicated is False
    [src] = out.evidence.sources["clinical.surgery_indicated"]
    assert isinstance(src, NoteSpan) and src.note == 0 and text[src.start:src.end] == src.text


def test_a_criterion_met_only_on_notes_says_so(policies):
    out = apply_notes(case([PAIN + "Neurosurgery consult: not a surgical candidate."]))
    [d] = evaluate_case(out.case, policies, evidence=out.evidence, only=["uhc-2022t0626c"])
    leaves = []

    def walk(node):
        leaves.append(node)
        for k in node.get("children", []):
            walk(k)

    walk(d.to_dict()["criteria"])
    [leaf] = [n for n in leaves if n["id"] == "surgery-not-indicated"]
    assert leaf["verdict"] == "met" and leaf["confirmation"] == "from notes, unconfirmed"
    assert leaf["sources"]["clinical.surgery_indicated"][0]["kind"] == "note"


def test_the_case_document_against_a_note_is_a_conflict_left_unknown():
    out = apply_notes(case([PAIN + "She denies suicidal ideation."], {"psychiatric": {"suicidality": True}}))
    assert out.case.clinical.psychiatric.suicidality is None
    [c] = out.conflicts
    assert c.path == "clinical.psychiatric.suicidality" and [v for v, _ in c.values] == [True, False]
    assert "the case document" in c.to_dict()["finding"] and "note 1" in c.to_dict()["finding"]


def test_a_conflict_is_a_finding_of_every_determination(tmp_path):
    path = tmp_path / "case.json"
    path.write_text(json.dumps({**BASE, "clinical": {"psychiatric": {"suicidality": True}},
                                "notes": [{"text": PAIN + "She denies suicidal ideation."}]}))
    out = json.loads(run_cli("check", str(path), "--format", "json").stdout)
    for d in out["determinations"]:
        [f] = [f for f in d["findings"] if f["kind"] == "evidence_conflict"]
        assert f["severity"] == "warning" and "the case document" in f["message"] and "note 1" in f["message"]


def test_agreeing_sources_keep_the_documents_value():
    out = apply_notes(case([PAIN + "She denies suicidal ideation."], {"psychiatric": {"suicidality": False}}))
    assert out.case.clinical.psychiatric.suicidality is False and out.conflicts == ()
    assert out.corroborated == ("clinical.psychiatric.suicidality",)


def test_a_copied_forward_problem_list_against_todays_assessment_stays_unknown():
    note = ("Problem list: Cellulitis over the planned pump site - active.\n"
            "Assessment: " + PAIN + "Cellulitis at the site resolved; site clean, dry and intact.")
    out = apply_notes(case([note]))
    assert out.case.clinical.findings.local_infection is None
    assert [c.path for c in out.conflicts] == ["clinical.findings.local_infection"]


def test_two_notes_that_disagree_are_a_conflict():
    out = apply_notes(case([PAIN + "Life expectancy of 6 months.", PAIN + "Life expectancy of 24 months."]))
    assert out.case.clinical.life_expectancy_months is None
    assert {w.split(",")[0] for _, w in out.conflicts[0].values} == {"note 1", "note 2"}


def test_the_documents_own_list_stands():
    out = apply_notes(case([PAIN + "PT x12 wks ending 01/2025 without relief."],
                           {"treatments": [{"type": "nsaids", "outcome": "failed"}]}))
    assert [t.type for t in out.case.clinical.treatments] == ["nsaids"]
    out = apply_notes(case([PAIN + "PT x12 wks ending 01/2025 without relief."]))
    assert [(t.type, t.outcome) for t in out.case.clinical.treatments] == [("physical_therapy", "failed")]


def test_notes_about_something_else_say_so():
    out = apply_notes(case(["Insulin pump settings reviewed."]))
    assert out.filled == () and out.summary() == "no pump-relevant evidence was found in the notes"


def test_check_reads_notes_unless_told_not_to(tmp_path):
    path = tmp_path / "case.json"
    path.write_text(json.dumps({**BASE, "notes": [{"text": PAIN + "Neurosurgery: not a surgical candidate."}]}))
    read = json.loads(run_cli("check", str(path), "--format", "json").stdout)
    assert "clinical.surgery_indicated" in read["notes"]["filled"]
    skipped = json.loads(run_cli("check", str(path), "--format", "json", "--no-notes").stdout)
    assert skipped["notes"] == {"summary": "notes not read (--no-notes)"}
