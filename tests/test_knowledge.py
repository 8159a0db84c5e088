"""Clinical knowledge: code sets, drug table, unit conversion, and the findings on each determination."""

from __future__ import annotations

import json

import pytest

from priorauth.case.model import Case, Quantity
from priorauth.engine.evaluate import evaluate_case
from priorauth.knowledge.drugs import concentration_mg_per_ml, dose_mg

BASE = {
    "format": "priorauth-case/1", "id": "k1", "submitted": "2025-06-02",
    "member": {"birth_date": "1970-01-01"},
    "request": {"kind": "trial", "route": "intrathecal", "indication": "noncancer_pain",
                "service_date": "2025-06-20", "procedure_codes": ["62324"], "diagnosis_codes": ["G89.21"],
                "drugs": [{"name": "morphine", "concentration": {"value": 1, "unit": "mg/mL"},
                           "daily_dose": {"value": 0.5, "unit": "mg"}}]},
}


def findings(policies, policy: str | None = None, **request) -> list[dict]:
    doc = json.loads(json.dumps(BASE))
    doc["request"].update(request)
    out = []
    for d in evaluate_case(Case.model_validate_json(json.dumps(doc)), policies, only=[policy] if policy else None):
        out.extend(f.to_dict() | {"policy": d.policy} for f in d.findings)
    return out


def test_units_convert_with_care():
    assert concentration_mg_per_ml(Quantity(value=0.75, unit="%")) == pytest.approx(7.5)
    assert concentration_mg_per_ml(Quantity(value=50, unit="mcg/mL")) == pytest.approx(0.05)
    assert concentration_mg_per_ml(Quantity(value=2, unit="mg/mL")) == 2
    assert dose_mg(Quantity(value=1500, unit="mcg")) == pytest.approx(1.5)
    with pytest.raises(ValueError):
        dose_mg(Quantity(value=1, unit="%"))


def test_drug_table_knows_fda_status(knowledge):
    table = knowledge.drugs
    approved = {n for n, d in table.drugs.items() if d.fda_intrathecal}
    assert approved == {"morphine", "ziconotide", "baclofen"}
    assert table.drugs["morphine"].max_daily_dose_mg == 15
    assert table.drugs["fentanyl"].max_concentration_mg_per_ml == pytest.approx(0.05)


def test_florida_blue_brings_its_own_lines_of_therapy(policies):
    lines = policies.policies.latest("floridablue-09-j1000-31").lines_of_therapy
    assert lines.line_of(["bupivacaine", "morphine"]) == "second"
    assert lines.line_of(["morphine"]) == "first" and lines.line_of(["fentanyl", "clonidine"]) == "third"
    assert lines.line_of(["clonidine"]) is None
    # no other policy has a table, so no other policy judges the combination
    others = [p for p in policies.ids if p != "floridablue-09-j1000-31"]
    assert all(policies.policies.latest(p).lines_of_therapy is None for p in others)
    odd = findings(policies, None, drugs=[{"name": "clonidine", "daily_dose": {"value": 0.1, "unit": "mg"}}])
    assert {f["policy"] for f in odd if "not among" in f["message"]} == {"floridablue-09-j1000-31"}


def test_codes_from_the_official_set(knowledge):
    lookup = knowledge.codes.lookup
    assert lookup("G89.4").description == "Chronic pain syndrome"
    assert not lookup("G89.99").valid
    category = lookup("G89.2")
    assert category.valid and not category.billable and "G89.29" in category.children
    assert lookup("J2274").system == "HCPCS" and lookup("62362").system == "CPT"


def test_g89_4_is_a_finding_at_florida_blue_not_at_moda(policies):
    fb = findings(policies, "floridablue-09-j1000-31", diagnosis_codes=["G89.4"])
    assert any(f["kind"] == "diagnosis_code" and f["code"] == "G89.4" for f in fb)
    moda = findings(policies, "moda-hcs-0044a", diagnosis_codes=["G89.4"])
    assert not any(f.get("code") == "G89.4" for f in moda)


def test_invalid_and_category_codes(policies):
    out = findings(policies, "uhc-2022t0626c", diagnosis_codes=["G89.99", "G89.2"])
    messages = {f["code"]: f["message"] for f in out if f["kind"] == "diagnosis_code"}
    assert messages["G89.99"] == ("G89.99 is not a valid ICD-10-CM code; codes under G89 (Pain, not elsewhere "
                                  "classified): G89.0, G89.1, G89.2, G89.3, G89.4.")  # a typo: its category's codes
    assert "not a billable code" in messages["G89.2"] and "G89.21" in messages["G89.2"]


def test_morphine_20_mg_a_day_is_a_safety_finding(policies):
    drugs = [{"name": "morphine", "concentration": {"value": 10, "unit": "mg/mL"},
              "daily_dose": {"value": 20, "unit": "mg"}}]
    out = findings(policies, "floridablue-09-j1000-31", drugs=drugs)
    [dose] = [f for f in out if f["kind"] == "dose"]
    assert dose["severity"] == "safety" and "15 mg" in dose["message"] and dose["drug"] == "morphine"


def test_concentration_above_maximum_after_conversion(policies):
    drugs = [{"name": "bupivacaine", "concentration": {"value": 4, "unit": "%"},  # 40 mg/mL > 38
              "daily_dose": {"value": 10, "unit": "mg"}}]
    out = findings(policies, "moda-hcs-0044a", drugs=drugs)
    conc = [f for f in out if f["kind"] == "concentration"]
    assert conc and "40 mg/mL" in conc[0]["message"]
    assert any(f["kind"] == "fda_status" and f["drug"] == "bupivacaine" for f in out)


def test_unknown_drug_is_a_finding_not_a_crash(policies):
    out = findings(policies, drugs=[{"name": "snake oil", "daily_dose": {"value": 1, "unit": "mg"}}])
    assert any(f["kind"] == "drug" and f["drug"] == "snake oil" for f in out)


def test_code_fit(policies):
    out = findings(policies, "uhc-2022t0626c", procedure_codes=["62362"])
    assert any(f["kind"] == "code_fit" and f["code"] == "62362" for f in out)
    cancer = findings(policies, "uhc-2022t0626c", indication="cancer_pain", diagnosis_codes=["G89.21"])
    assert any(f["kind"] == "code_fit" and "neoplasm" in f["message"] for f in cancer)
    spastic = findings(policies, "uhc-2022t0626c", indication="spasticity", diagnosis_codes=["G89.21"],
                       drugs=[{"name": "baclofen", "daily_dose": {"value": 50, "unit": "mcg"}}])
    assert any(f["kind"] == "code_fit" and "spasticity" in f["message"] for f in spastic)
    fits = findings(policies, "uhc-2022t0626c", indication="cancer_pain", diagnosis_codes=["G89.3", "C25.0"])
    assert not any(f["kind"] == "code_fit" for f in fits)


def test_florida_blue_compounding_and_lines(policies):
    compounded = [{"name": "hydromorphone", "compounded": True, "daily_dose": {"value": 2, "unit": "mg"}},
                  {"name": "clonidine", "compounded": True, "daily_dose": {"value": 0.1, "unit": "mg"}}]
    fb = findings(policies, "floridablue-09-j1000-31", drugs=compounded, procedure_codes=["62324", "J2274"])
    assert any(f["kind"] == "procedure_code" and f["code"] == "J3490" for f in fb)
    assert any(f["kind"] == "drug" and "second-line" in f["message"] for f in fb)
    ok = findings(policies, "floridablue-09-j1000-31", drugs=compounded, procedure_codes=["62324", "J3490"])
    assert not any(f.get("code") == "J3490" for f in ok)
    odd = findings(policies, "floridablue-09-j1000-31",
                   drugs=[{"name": "ziconotide", "daily_dose": {"value": 2, "unit": "mcg"}},
                          {"name": "bupivacaine", "daily_dose": {"value": 2, "unit": "mg"}}])
    assert any(f["kind"] == "drug" and "not among" in f["message"] for f in odd)
    # Other payers have no such checks.
    assert not any(f.get("code") == "J3490" for f in findings(policies, "uhc-2022t0626c", drugs=compounded))


def test_findings_have_the_documented_shape(policies):
    out = findings(policies, diagnosis_codes=["G89.99"], procedure_codes=["62362", "99999"],
                   drugs=[{"name": "morphine", "daily_dose": {"value": 30, "unit": "mg"}}, {"name": "x"}])
    assert out
    for f in out:
        assert f["kind"] in {"procedure_code", "diagnosis_code", "code_fit", "dose", "concentration",
                             "fda_status", "drug"}
        assert f["severity"] in {"info", "warning", "safety"} and f["message"]
        if f["kind"] in ("procedure_code", "diagnosis_code"):
            assert f["code"]
        if f["kind"] in ("dose", "concentration", "fda_status"):
            assert f["drug"]


def test_icd_index_on_first_use_comes_from_the_shipped_file_within_150_mb(tmp_path):
    """A fresh cache directory: the CLI writes the index from the shipped file (the package's classification is
    not parsed, so the run stays within the 150 MB budget), then answers from it."""
    import os
    import subprocess
    import sys

    env = dict(os.environ, PRIORAUTH_CACHE_DIR=str(tmp_path))
    # the peak is this process's own VmHWM (its memory since exec): ru_maxrss would also count the memory of the
    # process that started it (the test runner)
    code = ("import resource, sys; from priorauth.cli.main import main; sys.argv = ['priorauth'] + sys.argv[1:]\n"
            "try: main()\nfinally:\n"
            "  hwm = next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM:'))\n"
            "  sys.stderr.write('PEAK %d %d\\n' % (hwm, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))")
    proc = subprocess.run([sys.executable, "-c", code, "codes", "lookup", "G89.29", "G89.2", "--format", "json"],
                          capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr
    rows = {r["code"]: r for r in json.loads(proc.stdout)}
    assert rows["G89.29"]["description"] == "Other chronic pain" and rows["G89.29"]["billable"]
    assert rows["G89.2"]["billable_codes"] == ["G89.21", "G89.22", "G89.28", "G89.29"]
    [index] = list(tmp_path.glob("icd10cm-*.sqlite"))
    import sqlite3

    with sqlite3.connect(index) as db:
        count = db.execute("SELECT count(*) FROM code").fetchone()[0]
    assert count > 90_000  # the whole classification, not a hand-typed list
    own, children = map(int, proc.stderr.rsplit("PEAK ", 1)[1].split())
    assert children == 0, "the index was built from the package instead of the shipped file"
    assert own / 1024 < 150, f"first run peaked at {own / 1024:.0f} MB"


def test_the_shipped_index_is_what_the_package_gives(tmp_path):
    """Every code, description, billable flag and child list of the shipped file, against the installed package
    (a changed package version needs `python -m priorauth.knowledge.icd10 ship`)."""
    from priorauth.knowledge import icd10

    shipped = icd10.shipped_file()
    assert shipped.is_file(), f"no shipped index for {icd10.PACKAGE} {icd10.package_version()}: run the ship command"
    assert list(icd10.shipped_rows(shipped)) == sorted(icd10.package_rows())


def test_another_package_version_builds_the_index_from_the_package(tmp_path, monkeypatch):
    """Without a shipped file for the installed version, the index is built from the package itself."""
    from priorauth.knowledge import icd10

    monkeypatch.setattr(icd10, "SHIPPED_DIR", tmp_path / "none")
    index = icd10.Icd10Index.open(tmp_path / "built.sqlite")
    assert index("G89.29")[0] == "Other chronic pain" and index("G89.2")[2] == ("G89.21", "G89.22", "G89.28", "G89.29")
