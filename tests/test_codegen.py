"""Generated policy code (engine/codegen.py) against the reference evaluator (engine/program.py): every node's
verdict and every applied leaf's outcome (verdict, facts read, detail), on generated cases, for every version of
every policy."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from priorauth.case.dates import add_months
from priorauth.case.model import Case
from priorauth.case.paths import DERIVED_FROM, fact_values
from priorauth.engine.codegen import _CODE, generate
from priorauth.engine.facts import facts_for
from priorauth.policy.leaf_tests import DurationSpec, ElapsedSpec, FactSpec, NonePresentSpec, TreatmentSpec

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from generate import generate_cases  # noqa: E402  (the benchmark's deterministic case generator)

BASE = generate_cases(200, seed=7)
TREATMENT_OUTCOMES = ["failed", "effective", "ongoing", "intolerable_side_effects", "unable_to_complete",
                      "contraindicated", None]


def compiled_versions(policies):
    return [c for pid in policies.ids for c in policies.versions(pid)]


def read_by_policies(policies):
    """(fact path, numbers the tests compare it with) for every fact a leaf reads, and the treatment types."""
    paths: dict[str, set[float]] = {}
    types: set[str] = set()
    for c in compiled_versions(policies):
        for node in c.policy.criteria.walk():
            if node.test is None:
                continue
            _, spec = node.spec
            if isinstance(spec, FactSpec):
                bounds = paths.setdefault(spec.fact, set())
                for op in ("gte", "gt", "lte", "lt"):
                    if getattr(spec, op) is not None:
                        bounds.add(float(getattr(spec, op)))
                if spec.between:
                    bounds.update(float(b) for b in spec.between)
            elif isinstance(spec, ElapsedSpec):
                paths.setdefault(spec.fact, set())
            elif isinstance(spec, NonePresentSpec):
                for p in spec.none_present:
                    paths.setdefault(p, set())
            elif isinstance(spec, TreatmentSpec | DurationSpec):
                types.update(spec.types)
    # a derived fact is set through the facts it is computed from
    for path, sources in DERIVED_FROM.items():
        if path in paths and path != "request.drug_names":
            for source in sources:
                paths.setdefault(source, set()).update(paths[path])
            del paths[path]
    paths.pop("request.drug_names", None)
    paths.pop("member.age_years", None)
    return paths, sorted(types)


EVALUATION_SPECIALTIES = [None, "pain_management", "neurosurgery", "oncology", "physiatry", "other"]
EVALUATION_RESULTS = [None, "other_treatments_failed", "other_options_remain", "cleared", "not_cleared"]


def edges(day: dt.date) -> set[dt.date]:
    """Days on and beside each look-back a policy counts back from `day` (1 to 24 months), and `day` itself."""
    out = {day, day + dt.timedelta(days=1)}
    for months in (1, 3, 6, 12, 24):
        edge = add_months(day, -months)
        out |= {edge - dt.timedelta(days=1), edge, edge + dt.timedelta(days=1)}
    return out


def value_for(path: str, bounds: set[float], day: dt.date):
    closed = fact_values(path)
    if closed is not None:
        return st.sampled_from([*closed, None])
    leaf = path.rsplit(".", 1)[-1]
    if leaf in ("date", "pain_onset") or leaf.endswith(("_date", "_since", "_onset")):
        return st.one_of(st.none(), st.dates(dt.date(2015, 1, 1), dt.date(2027, 12, 31)),
                         st.sampled_from(sorted(edges(day))))
    if leaf == "pain_etiology":  # free text
        return st.sampled_from([None, "", "lumbar radiculopathy after L4-5 fusion"])
    if leaf in ("pain_before", "pain_after"):
        return st.one_of(st.none(), st.integers(0, 10), st.floats(0, 10, allow_nan=False))
    near = sorted({b + d for b in bounds for d in (-1, -0.5, 0, 0.5, 1)} | {0.0, 5.0, 50.0})
    return st.one_of(st.none(), st.sampled_from(near), st.floats(0, 100, allow_nan=False))


def put(data: dict, path: str, value) -> None:
    *parents, leaf = path.split(".")
    obj = data
    for part in parents:
        if obj.get(part) is None:
            obj[part] = {}
        obj = obj[part]
    obj[leaf] = value.isoformat() if isinstance(value, dt.date) else value


@st.composite
def mutated_cases(draw, paths, types):
    case = draw(st.sampled_from(BASE))
    data = case.model_dump(mode="json", exclude_none=True)
    for path in draw(st.lists(st.sampled_from(sorted(paths)), max_size=8, unique=True)):
        put(data, path, draw(value_for(path, paths[path], case.submitted)))
    if draw(st.booleans()):  # a new treatment history, around the look-backs
        submitted = case.submitted
        treatments = []
        for _ in range(draw(st.integers(0, 6))):
            start = submitted - dt.timedelta(days=draw(st.integers(-30, 800)))
            item = {"type": draw(st.sampled_from(types)), "outcome": draw(st.sampled_from(TREATMENT_OUTCOMES))}
            if draw(st.integers(0, 4)):
                item["start"] = start.isoformat()
                if draw(st.booleans()):
                    item["end"] = (start + dt.timedelta(days=draw(st.integers(0, 400)))).isoformat()
            if draw(st.booleans()):
                item["schedule"] = draw(st.sampled_from(["fixed", "prn"]))
            treatments.append({k: v for k, v in item.items() if v is not None})
        data.setdefault("clinical", {})["treatments"] = treatments
    if draw(st.booleans()):  # evaluations and drug screens on and around the look-back windows' edges, some tied
        days = st.sampled_from(sorted(edges(case.submitted)))
        evaluations = []
        for _ in range(draw(st.integers(0, 4))):
            item = {"type": draw(st.sampled_from(["specialist", "mental_health"])),
                    "specialty": draw(st.sampled_from(EVALUATION_SPECIALTIES)),
                    "date": draw(st.one_of(st.none(), days)),
                    "result": draw(st.sampled_from(EVALUATION_RESULTS))}
            evaluations.append({k: v.isoformat() if isinstance(v, dt.date) else v for k, v in item.items() if v})
        screens = [{"date": draw(days).isoformat(), "result": draw(st.sampled_from(["negative", "positive"]))}
                   for _ in range(draw(st.integers(0, 3)))]
        data.setdefault("clinical", {}).update(evaluations=evaluations, drug_screens=screens)
    try:
        return Case.model_validate_json(json.dumps(data))  # the strict model reads dates from JSON
    except ValidationError:
        reject()


def same(compiled, facts) -> None:
    program, generated = compiled.program, compiled.code.get()
    want: dict = {}
    statuses = program.run(facts, want)
    got_statuses, got = generated.explained(facts)
    where = f"{compiled.policy.id}@{compiled.policy.version}, case {facts.case.id}"
    assert got_statuses == statuses, where
    assert got == want, where  # every applied leaf: verdict, facts read and detail
    assert generated.verdicts(facts) == statuses, where


@pytest.fixture(scope="module")
def fact_space(policies):
    return read_by_policies(policies)


def test_generated_code_matches_the_evaluator_on_the_generator_cases(policies):
    for case in BASE:
        facts = facts_for(case)
        for compiled in compiled_versions(policies):
            same(compiled, facts)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                                                   HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_generated_code_matches_the_evaluator_on_mutated_cases(policies, fact_space, data):
    paths, types = fact_space
    case = data.draw(mutated_cases(paths, types))
    as_of = data.draw(st.one_of(st.none(), st.dates(dt.date(2023, 1, 1), dt.date(2027, 12, 31))))
    facts = facts_for(case, as_of)
    for compiled in compiled_versions(policies):
        same(compiled, facts)


def test_the_comparison_bites(policies):
    """Generated comparisons changed by one character (>= to >) are caught on these cases."""
    compiled = next(c for c in compiled_versions(policies) if c.policy.id == "uhc-2022t0626c")
    good = compiled.code.get()
    assert ") >= " in good.source
    broken_source = good.source.replace(") >= ", ") > ")
    namespace = dict(good_namespace(compiled))
    exec(compile(broken_source, "<broken>", "exec"), namespace)
    differs = 0
    for case in BASE:
        facts = facts_for(case)
        if namespace["verdicts"](facts) != compiled.program.run(facts):
            differs += 1
    assert differs > 0


def good_namespace(compiled):
    """The names generated code is executed with, recovered by generating it again."""
    from priorauth.engine.codegen import _Writer

    writer = _Writer(compiled.program)
    writer.module("again")
    return writer.env


def test_source_is_stable_and_cached_by_its_digest(policies):
    compiled = compiled_versions(policies)[0]
    first = generate(compiled.program, "x")
    second = generate(compiled.program, "x")
    assert first.source == second.source and first.digest == second.digest
    assert first.digest in _CODE
    assert first.verdicts is not second.verdicts  # each policy set executes its own namespace
    assert "def verdicts(facts):" in first.source and "def explained(facts):" in first.source


def test_compiled_code_is_kept_on_disk_and_a_bad_copy_is_compiled_again(policies, tmp_path, monkeypatch):
    monkeypatch.setenv("PRIORAUTH_CACHE_DIR", str(tmp_path))
    compiled = compiled_versions(policies)[0]
    _CODE.clear()  # as in a new process
    first = generate(compiled.program, "x")
    _CODE.pop(first.digest)
    (kept,) = (tmp_path / "codegen").glob(f"{first.digest}.*.marshal")
    again = generate(compiled.program, "x")  # read back from the disk copy
    facts = facts_for(BASE[0])
    assert again.verdicts(facts) == first.verdicts(facts) == compiled.program.run(facts)
    _CODE.pop(first.digest)
    kept.write_bytes(b"not a code object")
    rebuilt = generate(compiled.program, "x")
    assert rebuilt.verdicts(facts) == compiled.program.run(facts)
    assert kept.read_bytes() != b"not a code object"  # written again


def test_a_summary_explains_lazily_and_gives_the_same_record(policies):
    """evaluate_case(explain=summary) runs only the verdicts and explains a leaf when the record reads it; every
    rendering of that record equals the eagerly explained one's, and a summary explains fewer leaves."""
    from priorauth.engine.evaluate import evaluate_case

    explained = total = 0
    for case in BASE:
        eager = evaluate_case(case, policies)
        lazy = evaluate_case(case, policies, explain="summary")
        assert [d.to_dict("summary") for d in lazy] == [d.to_dict("summary") for d in eager], case.id
        explained += sum(len(d.tree.explained._done) for d in lazy if d.tree is not None)
        total += sum(sum(o is not None for o in d.tree.explained) for d in eager if d.tree is not None)
        for level in ("fails", "full"):  # the lazy record still renders its whole trace, leaf by leaf
            assert [d.to_dict(level) for d in lazy] == [d.to_dict(level) for d in eager], (case.id, level)
        assert [d.criteria for d in lazy] == [d.criteria for d in eager], case.id
    assert 0 < explained < total


def test_generated_code_matches_the_evaluator_on_every_look_back_edge(policies):
    """Dated facts on each look-back's first day, the day before and the day after (and tied evaluations): where
    a generated `<=` written as `<` would differ from the evaluator."""
    checked = 0
    for case in BASE[:12]:
        data = case.model_dump(mode="json", exclude_none=True)
        clinical = data.setdefault("clinical", {})
        for day in sorted(edges(case.submitted)):
            clinical["pain_onset"] = day.isoformat()
            clinical["drug_screens"] = [{"date": day.isoformat(), "result": "negative"}]
            tied = ("cleared", "not_cleared") if checked % 2 else ("not_cleared", "cleared")  # the later one decides
            clinical["evaluations"] = [
                {"type": kind, "specialty": "pain_management", "date": day.isoformat(), "result": result}
                for kind in ("specialist", "mental_health") for result in tied]
            edged = Case.model_validate_json(json.dumps(data))
            for compiled in compiled_versions(policies):
                same(compiled, facts_for(edged))
            checked += 1
    assert checked == 12 * len(edges(BASE[0].submitted))
