"""The compiled policy set owns its state (reloads never mix policies), pickles to a worker process, and
evaluates without I/O; the determination is an immutable record that matches its published schema."""

from __future__ import annotations

import builtins
import concurrent.futures
import dataclasses
import gc
import hashlib
import io
import json
import multiprocessing
import os
import pathlib
import pickle
import socket
import sqlite3
import subprocess
from pathlib import Path

import jsonschema_rs
import pytest

from conftest import CASES
from priorauth.case.provenance import CaseField, Evidence, FhirElement, NoteSpan
from priorauth.engine import CompiledPolicies, evaluate_case
from priorauth.engine.schema import determination_schema
from priorauth.intake import load_case
from priorauth.policy.loader import default_policy_dir, load_policies

POLICY_CASES = sorted(f for f in default_policy_dir().glob("*/*/cases/*.yaml") if f.name != "expected.yaml")


@pytest.fixture(scope="module")
def cases():
    found = [load_case(f) for f in POLICY_CASES]
    # Without a payer every policy evaluates every case: the widest mix of policies per case.
    return [c.model_copy(update={"member": c.member.model_copy(update={"payer": None})}) for c in found]


def _version_matches(d, ps) -> None:
    """A determination's version info names its own policy, a version of it that exists, and that file's hash."""
    info = d.to_dict("summary")["policy_version"]
    if info is None:
        assert d.decision == "not_applicable"
        return
    assert info["id"] == d.policy
    [policy] = [p for p in ps.policies.versions[d.policy] if p.version == info["version"]]
    digest = hashlib.sha256(ps.policies.file_of(policy).read_bytes()).hexdigest()
    assert info["content_sha256"] == digest
    if d.governed_by is not None:  # referred: the tree is the governing policy's
        governing = d.governed_by.policy
        [policy] = [p for p in ps.policies.versions[governing.id] if p.version == governing.version]
        assert governing.content_sha256 == hashlib.sha256(ps.policies.file_of(policy).read_bytes()).hexdigest()
    if d.criteria is not None:
        assert d.criteria.id == policy.criteria.id  # the tree is this policy's


def test_fifty_reloads_never_mix_policies(knowledge, cases):
    """Reload the policies 50 times in one process (dropping the old sets, so ids can be reused) and check the
    version info of every determination. Module-level caches keyed by id() once made 1 in 150 name another
    policy."""
    sample = cases[::5]
    first = CompiledPolicies(load_policies(), knowledge)
    expected = 50 * sum(len(first.for_payer(case.member.payer)) for case in sample)
    del first
    checked = 0
    for _ in range(50):
        ps = CompiledPolicies(load_policies(), knowledge)
        for case in sample:
            for d in evaluate_case(case, ps):
                _version_matches(d, ps)
                checked += 1
        del ps
        gc.collect()
    assert checked == expected and expected >= 50 * len(sample)


def test_reload_gives_identical_records(knowledge, cases):
    first = CompiledPolicies(load_policies(), knowledge)
    second = CompiledPolicies(load_policies(), knowledge)
    for case in cases:
        assert [d.to_dict() for d in evaluate_case(case, first)] == [d.to_dict() for d in evaluate_case(case, second)]


def _evaluate_in_worker(payload: bytes) -> list[list[dict]]:
    policies, cases = pickle.loads(payload)
    return [[d.to_dict() for d in evaluate_case(c, policies)] for c in cases]


def test_a_pickled_policy_set_evaluates_in_a_worker_process(policies, cases):
    payload = pickle.dumps((policies, cases[:20]))
    spawn = multiprocessing.get_context("spawn")  # a fresh interpreter: nothing inherited from this one
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=spawn) as pool:
        remote = pool.submit(_evaluate_in_worker, payload).result(timeout=120)
    local = [[d.to_dict() for d in evaluate_case(c, policies)] for c in cases[:20]]
    assert remote == local


def test_evaluation_does_no_file_or_process_io(policies, cases, monkeypatch):
    """Knowledge and policies are opened beforehand; then every way to open a file, a process, a socket or a
    database fails, and evaluating and rendering every policy case still works."""
    shared = [load_case(f) for f in sorted(CASES.glob("*.json")) if f.name != "expected.json"] if CASES.is_dir() else []
    everything = cases + shared

    def refuse(*args, **kwargs):
        raise AssertionError(f"I/O during evaluation: {args[:1]!r}")

    for target, name in ((builtins, "open"), (io, "open"), (os, "open"), (os, "listdir"), (os, "scandir"),
                         (pathlib.Path, "open"), (pathlib.Path, "read_text"), (pathlib.Path, "read_bytes"),
                         (pathlib.Path, "exists"), (pathlib.Path, "is_file"), (subprocess, "Popen"),
                         (subprocess, "run"), (os, "system"), (socket, "socket"), (sqlite3, "connect")):
        monkeypatch.setattr(target, name, refuse)
    rendered = 0
    for case in everything:
        for d in evaluate_case(case, policies):
            json.dumps(d.to_dict("full"))
            rendered += 1
    assert rendered == sum(len(policies.for_payer(case.member.payer)) for case in everything)


def test_the_patches_above_do_catch_io(monkeypatch):
    """The I/O test can fail: the same patch stops a knowledge lookup that would open the index."""
    from priorauth.knowledge import open_knowledge

    monkeypatch.setattr(pathlib.Path, "read_bytes", lambda *a: (_ for _ in ()).throw(AssertionError("I/O")))
    with pytest.raises(AssertionError, match="I/O"):
        open_knowledge()


def test_the_determination_is_immutable(policies, cases):
    d = evaluate_case(cases[0], policies)[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        d.decision = "approve"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        d.criteria.status = "met"  # type: ignore[union-attr,misc]
    assert isinstance(d.reasons, tuple) and isinstance(d.findings, tuple) and isinstance(d.criteria.children, tuple)
    before = json.dumps(d.to_dict())
    d.to_dict()["reasons"].append({"criterion": "x"})  # a rendering is a copy: the record does not change
    assert json.dumps(d.to_dict()) == before


def test_every_determination_matches_the_published_schema(policies, cases):
    validator = jsonschema_rs.validator_for(determination_schema())
    decisions = set()
    for case in cases:
        for d in evaluate_case(case, policies):
            decisions.add(d.decision)
            for level in ("summary", "fails", "full"):
                doc = json.loads(json.dumps(d.to_dict(level)))
                errors = [e.message for e in validator.iter_errors(doc)]
                assert not errors, (case.id, d.policy, level, errors[:3])
    assert decisions == {"approve", "deny", "pend", "refer", "not_applicable"}


def test_the_schema_rejects_what_is_not_a_determination(policies, cases):
    validator = jsonschema_rs.validator_for(determination_schema())
    doc = json.loads(json.dumps(evaluate_case(cases[0], policies)[0].to_dict()))
    assert validator.is_valid(doc)
    assert not validator.is_valid({**doc, "decision": "maybe"})
    assert not validator.is_valid({**doc, "surprise": 1})
    assert not validator.is_valid({k: v for k, v in doc.items() if k != "input_sha256"})


def test_records_carry_what_they_were_decided_with(policies, cases):
    d = evaluate_case(cases[0], policies)[0]
    out = d.to_dict()
    assert out["format"] == "priorauth-determination/1"
    assert out["engine_version"] and out["knowledge"]["icd10cm"].startswith("simple-icd-10-cm")
    assert len(out["knowledge"]["codes_sha256"]) == 64 and len(out["knowledge"]["drugs_sha256"]) == 64
    assert out["input_sha256"] == hashlib.sha256(cases[0].model_dump_json().encode()).hexdigest()
    assert out["as_of"] == cases[0].submitted.isoformat()
    # The id is a content address: the same inputs give the same id, another as-of date another one.
    import datetime as dt

    again = evaluate_case(cases[0], policies)[0]
    later = evaluate_case(cases[0], policies, as_of=cases[0].submitted + dt.timedelta(days=1))[0]
    assert again.id == d.id and later.id != d.id


def _leaf_facts(d) -> dict[str, dict]:
    out = {}
    stack = [d.to_dict("full")["criteria"]]
    while stack:
        node = stack.pop()
        for path in node.get("facts", {}):
            out[path] = node.get("sources", {}).get(path, [])
        stack.extend(node.get("children", []))
    return out


def test_case_file_facts_name_their_json_path(policies):
    """In the record every leaf fact of a case file carries its JSON path; the JSON says so once
    (`default_source`) instead of repeating each path."""
    case = load_case(next(f for f in POLICY_CASES if f.stem == "noncancer-trial-approve"))
    [d] = evaluate_case(case, policies, only=["caresource-ar-mm-1502"])
    read = {f.path: f for node in d.criteria.walk() for f in node.facts}
    infection = "clinical.findings.active_infection"
    assert read[infection].sources == (CaseField(infection),)
    treatments = [p for p in read if p.startswith("clinical.treatments[")]
    assert treatments and all(read[p].sources == (CaseField(p),) for p in treatments)
    assert all(f.sources == () for f in read.values() if f.value is None)  # undocumented: no source
    out = d.to_dict("full")
    assert out["default_source"] == {"kind": "case"}
    assert _leaf_facts(d) and all(sources == [] for sources in _leaf_facts(d).values())


def test_recorded_sources_reach_the_leaves(policies):
    """Evidence from intake (a FHIR element, a note span) is carried to the leaf that read the fact; a source
    recorded for a list element stands for its fields."""
    case = load_case(next(f for f in POLICY_CASES if f.stem == "noncancer-trial-approve"))
    span = NoteSpan(note=0, start=10, end=38, text="no signs of active infection", rule="infection",
                    modifiers=("negated",))
    fhir = FhirElement("Procedure", "pt-1", "Procedure.where(code='PT')")
    evidence = Evidence({"clinical.findings.active_infection": (span,), "clinical.treatments[0]": (fhir,)},
                        from_document=False)
    [d] = evaluate_case(case, policies, only=["caresource-ar-mm-1502"], evidence=evidence)
    facts = _leaf_facts(d)
    assert facts["clinical.findings.active_infection"] == [span.to_dict()]
    assert facts["clinical.treatments[0]"] == [fhir.to_dict()]
    assert facts.get("clinical.findings.coagulopathy", []) == []  # no source recorded, not from the document
    assert d.to_dict()["default_source"] is None
    assert pickle.loads(pickle.dumps(evidence)) == evidence


def test_the_record_is_the_same_for_one_case_read_twice(policies, tmp_path):
    """The input hash covers the validated case, not its file: YAML and JSON of the same case agree."""
    src = next(f for f in POLICY_CASES if f.stem == "noncancer-trial-approve")
    case = load_case(src)
    as_json = Path(tmp_path / "case.json")
    as_json.write_text(case.model_dump_json())
    assert evaluate_case(load_case(as_json), policies)[0].id == evaluate_case(case, policies)[0].id
