"""A loaded policy set compiled against the knowledge: one object that owns every program and code set.

Compiled state lives here and nowhere else (no module-level caches keyed by identity), so a reloaded
policy set never shares state with an older one, and dropping the object frees it. It pickles as its
validated policies and knowledge (no YAML is parsed again): a worker process rebuilds the programs.
Reading the policy files and opening the knowledge is the caller's (policy.loader, knowledge.tables).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from priorauth import __version__
from priorauth.engine.codegen import Code
from priorauth.engine.findings import listed_systems
from priorauth.engine.program import Condition, Program, condition
from priorauth.engine.record import ChecklistItem, PolicyVersion
from priorauth.errors import NOT_FOUND, CaseError, PolicyError, PriorAuthError
from priorauth.knowledge.tables import Knowledge
from priorauth.policy.model import Policy, PolicySet, Rule


@dataclass(frozen=True, slots=True)
class CompiledPolicy:
    """One policy version ready to evaluate."""

    policy: Policy
    program: Program  # the reference evaluator, and the structure the record and explanations read
    code: Code  # the same criteria as generated Python (engine/codegen.py), which evaluation runs
    scope: tuple[tuple[Rule, Condition | None], ...]  # (rule, its condition), in order
    documentation: tuple[tuple[ChecklistItem, Condition | None], ...]  # (the record's item, when it is asked)
    applies_to: Condition | None
    version: PolicyVersion
    code_systems: frozenset[str]
    key: str  # version and content hash, as the determination id reads them


def _names(policy: Policy):
    """(where, what, name) for every drug name and drug class the policy writes."""
    whens = [("applies_to", policy.applies_to)] + [(f"scope.{r.id}", r.when) for r in policy.scope] + \
        [(f"documentation.{d.id}", d.when) for d in policy.documentation] + \
        [(f"criterion {n.id}", n.when) for n in policy.criteria.walk()]
    for where, when in whens:
        while when is not None:
            yield from ((where, "drug", n) for n in (when.drugs_any or []) + (when.drugs_none or []))
            yield from ((where, "drug class", c) for c in when.drug_classes_any or [])
            when = when.not_
    if policy.lines_of_therapy is not None:
        for line in ("first", "second", "third"):
            for combo in getattr(policy.lines_of_therapy, line):
                yield from ((f"lines_of_therapy.{line}", "drug", n) for n in combo)
    for node in policy.criteria.walk():
        if node.test is not None and node.spec[0] == "drugs":
            spec = node.spec[1]
            yield from ((f"criterion {node.id}", "drug", n) for n in spec.allowed or [])
            if spec.includes_class is not None:
                yield f"criterion {node.id}", "drug class", spec.includes_class


def check_drug_names(policy: Policy, knowledge: Knowledge, where: str) -> None:
    """Every drug and drug class a policy names is one the drug table knows (`morphin` is an error at load,
    not a condition that never holds)."""
    known = {"drug": sorted(knowledge.drugs.drugs),
             "drug class": sorted({d.drug_class for d in knowledge.drugs.drugs.values()})}
    for place, what, name in _names(policy):
        if name not in known[what]:
            near = difflib.get_close_matches(name, known[what], n=1)
            hint = f" (did you mean {near[0]}?)" if near else f"; known: {', '.join(known[what])}"
            raise PolicyError(where, f"{place}: {what} {name!r} is not in the drug table{hint}")


def compile_policy(policy: Policy, content_hash: str | None, knowledge: Knowledge) -> CompiledPolicy:
    version = PolicyVersion(policy.id, policy.version, policy.payer, policy.payer_name, policy.number, policy.title,
                            policy.effective, policy.end, content_hash)
    program = Program(policy.criteria, knowledge)
    return CompiledPolicy(
        policy=policy,
        program=program,
        code=Code(program, f"{policy.id}@{policy.version}"),
        scope=tuple((rule, condition(rule.when, knowledge)) for rule in policy.scope),
        documentation=tuple((ChecklistItem(d.id, d.section, d.text), condition(d.when, knowledge))
                            for d in policy.documentation),
        applies_to=condition(policy.applies_to, knowledge),
        version=version,
        code_systems=listed_systems(policy, knowledge.codes),
        key=f"{policy.version}|{content_hash or '-'}",
    )


class CompiledPolicies:
    """Every version of every policy of a `PolicySet`, compiled, with the knowledge they read."""

    def __init__(self, policies: PolicySet, knowledge: Knowledge):
        self.policies = policies
        self.knowledge = knowledge
        self.engine_version = __version__
        self.knowledge_versions = tuple(sorted(knowledge.versions.items()))
        self.salt = f"{self.engine_version}|{self.knowledge_versions!r}"  # the ids' part common to every record
        for versions in policies.versions.values():
            for p in versions:
                check_drug_names(p, knowledge, str(policies.files.get((p.id, p.version), p.id)))
        self._versions: dict[str, tuple[CompiledPolicy, ...]] = {
            pid: tuple(compile_policy(p, policies.hashes.get((p.id, p.version)), knowledge) for p in versions)
            for pid, versions in policies.versions.items()
        }
        self.payers = frozenset(p.payer for vs in policies.versions.values() for p in vs)

    def __reduce__(self):
        return (CompiledPolicies, (self.policies, self.knowledge))

    @property
    def ids(self) -> list[str]:
        return list(self._versions)

    @property
    def payer_names(self) -> dict[str, str]:
        """Payer id -> the payer's name, as its policies' latest versions give it."""
        return {vs[-1].policy.payer: vs[-1].policy.payer_name for vs in self._versions.values()}

    def versions(self, policy_id: str) -> tuple[CompiledPolicy, ...]:
        found = self._versions.get(policy_id)
        if found is None:
            near = difflib.get_close_matches(policy_id, self.ids, n=1)
            hint = f" (did you mean {near[0]}?)" if near else f"; known: {', '.join(self.ids)}"
            raise PriorAuthError(NOT_FOUND, "policy", f"no policy {policy_id!r}{hint}")
        return found

    def resolve(self, text: str) -> str:
        """A policy id as a user may give it: the id, or a payer's id when that payer has one policy here
        (`hcsc` -> hcsc-sur707-008). Anything else is an error naming the candidates."""
        if text in self._versions:
            return text
        mine = [pid for pid, vs in self._versions.items() if vs[-1].policy.payer == text]
        if len(mine) == 1:
            return mine[0]
        if mine:
            raise PriorAuthError(NOT_FOUND, "policy", f"payer {text!r} has {len(mine)} policies: "
                                                      f"{', '.join(mine)}; give the policy id")
        near = difflib.get_close_matches(text, [*self.ids, *sorted(self.payers)], n=1, cutoff=0.5)
        hint = f" (did you mean {near[0]}?)" if near else f"; known: {', '.join(self.ids)}"
        raise PriorAuthError(NOT_FOUND, "policy", f"no policy {text!r}{hint}")

    def for_payer(self, payer: str | None) -> list[str]:
        """The policy ids that govern a member of `payer` (every policy when the payer is not documented)."""
        if payer is None:
            return self.ids
        if payer not in self.payers:
            near = difflib.get_close_matches(payer, sorted(self.payers), n=1)
            hint = f" (did you mean {near[0]}?)" if near else f"; known: {', '.join(sorted(self.payers))}"
            raise CaseError("member.payer", f"no policy of payer {payer!r} is loaded{hint}")
        return [pid for pid, vs in self._versions.items() if vs[-1].policy.payer == payer]
