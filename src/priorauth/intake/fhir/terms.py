"""The terminology the FHIR mapping reads (systems.yaml) and the payer directory (payers.yaml)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from priorauth.yamlio import load_yaml

HERE = Path(__file__).parent
_SUFFIXES = ("inc", "llc", "co", "company", "incorporated", "ltd")


@dataclass(frozen=True)
class Systems:
    procedure: frozenset[str]
    diagnosis: frozenset[str]
    rxnorm: frozenset[str]
    routes: dict[str, dict[str, str]]
    sopt: frozenset[str]
    sopt_prefixes: tuple[tuple[str, str], ...]  # longest prefix first
    kinds: tuple[tuple[str, str], ...]  # (kind, name of its code list), in order of precedence
    replacement_codes: tuple[str, ...]
    pain_scores: dict[str, frozenset[str]]

    def route_of(self, coding: Mapping[str, Any]) -> str | None:
        return self.routes.get(str(coding.get("system")), {}).get(str(coding.get("code")))

    def pain_score(self, coding: Mapping[str, Any]) -> bool:
        return str(coding.get("code")) in self.pain_scores.get(str(coding.get("system")), ())

    def line_of_business(self, code: str) -> str | None:
        return next((lob for prefix, lob in self.sopt_prefixes if code.startswith(prefix)), None)


@cache
def systems() -> Systems:
    raw = load_yaml((HERE / "systems.yaml").read_text(encoding="utf-8"))
    prefixes = sorted(raw["sopt_prefixes"].items(), key=lambda kv: -len(kv[0]))
    return Systems(
        procedure=frozenset(raw["procedure_systems"]), diagnosis=frozenset(raw["diagnosis_systems"]),
        rxnorm=frozenset(raw["rxnorm_systems"]), routes={k: dict(v) for k, v in raw["routes"].items()},
        sopt=frozenset(raw["sopt_systems"]), sopt_prefixes=tuple(prefixes),
        kinds=tuple((k["kind"], k["codes"]) for k in raw["kinds"]),
        replacement_codes=tuple(raw["replacement_codes"]),
        pain_scores={k: frozenset(v) for k, v in raw["pain_scores"].items()})


def normal_name(name: str) -> str:
    """`United HealthCare Services, Inc.` -> `united healthcare services`: case, punctuation, "and"/"&" and a
    trailing company suffix do not tell payers apart."""
    words = re.sub(r"[^a-z0-9]+", " ", name.casefold().replace("&", " and ")).split()
    words = [w for w in words if w != "and"]
    while words and words[-1] in _SUFFIXES:
        words.pop()
    return " ".join(words)


@dataclass(frozen=True)
class PayerDirectory:
    """Payer ids by normalized Organization name and by (identifier system, value)."""

    by_name: dict[str, str]
    by_identifier: dict[tuple[str, str], str]

    def find(self, names: Iterable[str], identifiers: Iterable[tuple[str, str]]) -> str | None:
        for ident in identifiers:
            if ident in self.by_identifier:
                return self.by_identifier[ident]
        return next((self.by_name[n] for n in map(normal_name, names) if n in self.by_name), None)


def payer_directory(policy_payers: Mapping[str, str]) -> PayerDirectory:
    """The directory for a loaded policy set: payers.yaml, plus each loaded payer's own `payer_name`. Payers the
    policy set does not hold are left out, so a name of theirs maps to no payer."""
    raw = _payers_file()
    by_name: dict[str, str] = {}
    by_identifier: dict[tuple[str, str], str] = {}
    for payer, name in policy_payers.items():
        by_name.setdefault(normal_name(name), payer)
        by_name.setdefault(normal_name(payer), payer)
        entry = raw.get(payer) or {}
        for alias in entry.get("names", []):
            by_name.setdefault(normal_name(alias), payer)
        for ident in entry.get("identifiers", []):
            by_identifier[(ident["system"], ident["value"])] = payer
    return PayerDirectory(by_name, by_identifier)


@cache
def _payers_file() -> dict[str, Any]:
    return load_yaml((HERE / "payers.yaml").read_text(encoding="utf-8"))
