"""The policy set's checks and identity, in-process (the CLI tests reach them only through a subprocess): unknown
policy ids and drug names are errors that name what is wrong and what was meant, wherever a policy writes a drug,
and a determination's id and record carry the engine and knowledge versions."""

from __future__ import annotations

import dataclasses
import json
import shutil

import pytest

from priorauth.case.model import Case
from priorauth.engine.evaluate import evaluate_case
from priorauth.engine.policyset import CompiledPolicies
from priorauth.errors import NOT_FOUND, PolicyError, PriorAuthError
from priorauth.policy.loader import default_policy_dir, load_policies


def test_an_unknown_policy_id_names_the_nearest(policies):
    with pytest.raises(PriorAuthError) as exc:
        policies.versions("uhc-2022t0626")
    assert (exc.value.code, exc.value.location) == (NOT_FOUND, "policy")
    assert exc.value.message == "no policy 'uhc-2022t0626' (did you mean uhc-2022t0626c?)"


def test_an_id_like_none_lists_the_known_ones(policies):
    with pytest.raises(PriorAuthError) as exc:
        policies.versions("zzz")
    assert exc.value.message == f"no policy 'zzz'; known: {', '.join(policies.ids)}"


SCOPE_DRUGS = "drugs_any: [morphine, hydromorphone, fentanyl, sufentanil, methadone, ziconotide, clonidine]"


def _edited(tmp_path, knowledge, path: str, old: str, new: str):
    folder = tmp_path / "policies"
    shutil.copytree(default_policy_dir(), folder)
    target = folder / path
    text = target.read_text()
    assert old in text
    target.write_text(text.replace(old, new, 1))
    with pytest.raises(PolicyError) as exc:
        CompiledPolicies(load_policies(folder), knowledge)
    return str(exc.value), str(target)


def test_a_drug_in_a_scope_rule_is_checked_and_named_by_its_place(tmp_path, knowledge):
    message, target = _edited(tmp_path, knowledge, "caresource/ar-mm-1502/policy.yaml", SCOPE_DRUGS,
                              SCOPE_DRUGS.replace("clonidine", "xqzv"))
    assert message.startswith(target) and "scope.scope-investigational: drug 'xqzv' is not in the drug table; known: "\
        + ", ".join(sorted(knowledge.drugs.drugs)) in message


@pytest.mark.parametrize(("path", "old", "new", "expected"), [
    ("caresource/ar-mm-1502/policy.yaml", "      " + SCOPE_DRUGS, "      not: {drugs_any: [morphin]}",
     "scope.scope-investigational: drug 'morphin' is not in the drug table (did you mean morphine?)"),  # under a not
    ("caresource/ar-mm-1502/policy.yaml", "applies_to: {state: [AR, undocumented]}",
     "applies_to: {state: [AR, undocumented], drugs_any: [baclofn]}",
     "applies_to: drug 'baclofn' is not in the drug table (did you mean baclofen?)"),
    ("moda/hcs-0044a/policy.yaml", "test: {drugs: {includes_class: opioid}}", "test: {drugs: {includes_class: opiod}}",
     "drug class 'opiod' is not in the drug table (did you mean opioid?)"),  # a drugs test's class
    ("moda/hcs-0044a/policy.yaml", "test: {drugs: {includes_class: opioid}}",
     "test: {drugs: {allowed: [morphine, zicnotide]}}",
     ": drug 'zicnotide' is not in the drug table (did you mean ziconotide?)"),  # a drugs test's allowed names
])
def test_every_place_a_policy_names_a_drug_is_checked(tmp_path, knowledge, path, old, new, expected):
    message, _ = _edited(tmp_path, knowledge, path, old, new)
    assert expected in message


def test_a_policy_without_a_file_is_named_by_its_id(tmp_path, knowledge):
    folder = tmp_path / "policies"
    shutil.copytree(default_policy_dir(), folder)
    target = folder / "caresource" / "ar-mm-1502" / "policy.yaml"
    target.write_text(target.read_text().replace("applies_to: {state: [AR, undocumented]}",
                                                 "applies_to: {state: [AR, undocumented], drugs_any: [morphin]}", 1))
    ps = load_policies(folder)
    with pytest.raises(PolicyError) as exc:
        CompiledPolicies(dataclasses.replace(ps, files={}), knowledge)
    assert exc.value.location == "caresource-ar-mm-1502"


def _case():
    return Case.model_validate_json(json.dumps({
        "format": "priorauth-case/1", "id": "ps-1", "submitted": "2025-03-14",
        "member": {"birth_date": "1967-04-02", "payer": "moda"},
        "request": {"kind": "trial", "route": "intrathecal", "indication": "noncancer_pain",
                    "service_date": "2025-04-01", "procedure_codes": ["62324"], "diagnosis_codes": ["G89.4"]}}))


def test_the_record_carries_the_engine_and_knowledge_versions(policies, knowledge):
    from priorauth import __version__

    [d] = evaluate_case(_case(), policies, only=["moda-hcs-0044a"])
    assert d.engine_version == __version__ and d.to_dict()["engine_version"] == __version__
    other = CompiledPolicies(policies.policies, dataclasses.replace(knowledge, versions={**knowledge.versions,
                                                                                         "drugs": "changed"}))
    [e] = evaluate_case(_case(), other, only=["moda-hcs-0044a"])
    assert e.id != d.id  # the same case under other tables is another determination
