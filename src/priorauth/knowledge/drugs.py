"""Intrathecal drug knowledge (drugs.yaml): FDA status, dose limits, unit conversion. (A policy's own lines of
therapy live in its policy file.)"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from priorauth.case.model import Drug, Quantity
from priorauth.yamlio import load_yaml

# Concentrations are compared in mg/mL and daily doses in mg.
_TO_MG_PER_ML = {"mg/mL": 1.0, "mcg/mL": 0.001, "%": 10.0}  # 1% = 1 g/100 mL = 10 mg/mL
_TO_MG = {"mg": 1.0, "mcg": 0.001}


def concentration_mg_per_ml(q: Quantity) -> float:
    if q.unit not in _TO_MG_PER_ML:
        raise ValueError(f"{q.unit} is not a concentration unit")
    return q.value * _TO_MG_PER_ML[q.unit]


def dose_mg(q: Quantity) -> float:
    if q.unit not in _TO_MG:
        raise ValueError(f"{q.unit} is not a dose unit")
    return q.value * _TO_MG[q.unit]


@dataclass(frozen=True)
class DrugInfo:
    name: str
    drug_class: str
    used_for: frozenset[str]
    fda_approved: dict[str, frozenset[str]]  # route -> indications
    max_concentration_mg_per_ml: float | None
    max_daily_dose_mg: float | None
    names: tuple[str, ...] = ()  # brand and salt names (Infumorph, morphine sulfate)
    rxnorm: frozenset[str] = frozenset()  # ingredient RxCUIs

    def fda_approved_for(self, route: str | None, indication: str) -> bool:
        """Approved for this route and indication; `pain` labeling covers cancer and non-cancer pain."""
        approved = self.fda_approved.get(route or "intrathecal")
        if approved is None:
            return False
        return indication in approved or (indication.endswith("_pain") and "pain" in approved)

    @property
    def fda_intrathecal(self) -> bool:
        return bool(self.fda_approved.get("intrathecal"))

    def suited_for(self, indication: str) -> bool:
        """An intrathecal agent for the indication: an analgesic for either pain, an antispasmodic for spasticity."""
        wanted = "pain" if indication.endswith("_pain") else indication
        return wanted in self.used_for or indication in self.used_for

    def over_concentration(self, d: Drug) -> float | None:
        """The prescribed concentration in mg/mL when it exceeds the maximum, else None."""
        if d.concentration is None or self.max_concentration_mg_per_ml is None:
            return None
        conc = concentration_mg_per_ml(d.concentration)
        return conc if conc > self.max_concentration_mg_per_ml else None

    def over_daily_dose(self, d: Drug) -> float | None:
        """The prescribed daily dose in mg when it exceeds the maximum, else None."""
        if d.daily_dose is None or self.max_daily_dose_mg is None:
            return None
        dose = dose_mg(d.daily_dose)
        return dose if dose > self.max_daily_dose_mg else None


@dataclass(frozen=True)
class DrugTable:
    drugs: dict[str, DrugInfo]
    source_limits: str
    aliases: dict[str, str] = field(init=False, repr=False, compare=False)  # normalised name -> generic

    def __post_init__(self) -> None:
        aliases: dict[str, str] = {}
        for generic, d in self.drugs.items():
            for n in (generic, *d.names):
                aliases.setdefault(_normal(n), generic)
        object.__setattr__(self, "aliases", aliases)  # the frozen dataclass's way to set a derived field

    def by_rxnorm(self, code: str) -> str | None:
        return next((name for name, d in self.drugs.items() if code in d.rxnorm), None)

    def generic(self, name: str) -> str | None:
        """The table's generic name for a name as a prescription writes it: any case, a brand or salt name
        (`Infumorph`, `morphine sulfate`, `MORPHINE` -> morphine); None for a name the table does not know."""
        return self.aliases.get(_normal(name))

    def suggest(self, name: str) -> list[str]:
        """Generic names whose generic, brand or salt names are close to `name` (for "did you mean")."""
        import difflib

        aliases = self.aliases
        near = difflib.get_close_matches(_normal(name), list(aliases), n=3, cutoff=0.75)
        return list(dict.fromkeys(aliases[n] for n in near))

    def named_in(self, text: str) -> list[str]:
        """The generic names of the table's drugs that a text names, by generic, brand or salt name as whole
        words, case-insensitively ("Infumorph 25 MG/ML Injectable Solution" -> ["morphine"])."""
        words = " " + re.sub(r"[^a-z0-9]+", " ", text.casefold()) + " "
        found = []
        for name, d in self.drugs.items():
            if any(f" {re.sub(r'[^a-z0-9]+', ' ', n.casefold()).strip()} " in words for n in (name, *d.names)):
                found.append(name)
        return found


def _normal(name: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", name.casefold()).split())


def _quantity(raw: dict | None, convert) -> float | None:
    return None if raw is None else convert(Quantity(**raw))


DRUGS_FILE = Path(__file__).with_name("drugs.yaml")


@cache
def default_drug_table() -> DrugTable:
    """The shipped table, read once: what case files' drug names are checked against."""
    return load_drug_table()


def load_drug_table(path: Path = DRUGS_FILE) -> DrugTable:
    data = load_yaml(path.read_text(encoding="utf-8"))
    drugs = {
        name: DrugInfo(
            name=name,
            drug_class=d["class"],
            used_for=frozenset(d.get("used_for", [])),
            fda_approved={r: frozenset(i) for r, i in (d.get("fda_approved") or {}).items()},
            max_concentration_mg_per_ml=_quantity(d.get("max_concentration"), concentration_mg_per_ml),
            max_daily_dose_mg=_quantity(d.get("max_daily_dose"), dose_mg),
            names=tuple(d.get("names", [])),
            rxnorm=frozenset(d.get("rxnorm", [])),
        )
        for name, d in data["drugs"].items()
    }
    return DrugTable(drugs=drugs, source_limits=data["source_limits"])
