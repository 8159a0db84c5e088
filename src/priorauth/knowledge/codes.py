"""Code sets: ICD-10-CM from the official release (simple-icd-10-cm), HCPCS and CPT from codes.yaml."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from priorauth.knowledge.icd10 import Icd10Index
from priorauth.yamlio import load_yaml

# simple-icd-10-cm 1.5.0 ships the April 2026 ICD-10-CM release (the package's own statement).
ICD10_SOURCE = "ICD-10-CM as shipped by simple-icd-10-cm"
CODES_FILE = Path(__file__).with_name("codes.yaml")


@dataclass(frozen=True)
class CodeInfo:
    code: str
    system: str  # ICD-10-CM, HCPCS, CPT or unknown
    valid: bool
    billable: bool
    description: str | None
    children: tuple[str, ...] = ()


def load_code_tables(path: Path = CODES_FILE) -> dict[str, Any]:
    return load_yaml(path.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class CodeSets:
    """Procedure tables (codes.yaml) and the ICD-10-CM index; lookups read memory only."""

    tables: dict[str, Any]
    icd10: Icd10Index
    _procedures: dict[str, CodeInfo] = field(default_factory=dict, compare=False, repr=False)
    _diagnoses: dict[str, CodeInfo] = field(default_factory=dict, compare=False, repr=False)

    @property
    def fit(self) -> dict[str, Any]:
        """Which codes fit which request (implantation codes, diagnosis prefixes per indication)."""
        return self.tables["fit"]

    def diagnosis(self, code: str) -> CodeInfo:
        hit = self._diagnoses.get(code)
        if hit is None:
            found = self.icd10(code)
            if found is None:
                hit = CodeInfo(code, "ICD-10-CM", False, False, None)
            else:
                description, billable, children = found
                hit = CodeInfo(code, "ICD-10-CM", True, billable, description, children)
            if len(self._diagnoses) < 4096:  # a batch names few distinct codes, again and again
                self._diagnoses[code] = hit
        return hit

    def procedure(self, code: str) -> CodeInfo:
        hit = self._procedures.get(code)
        if hit is None:
            hit = self._procedure(code)
            if len(self._procedures) < 4096:
                self._procedures[code] = hit
        return hit

    def _procedure(self, code: str) -> CodeInfo:
        tables = self.tables
        if code in tables["cpt"]:
            return CodeInfo(code, "CPT", True, True, tables["cpt"][code])
        if code in tables["hcpcs"]:
            return CodeInfo(code, "HCPCS", True, True, tables["hcpcs"][code])
        system = "CPT" if code.isdigit() and len(code) == 5 else "HCPCS" if code[:1].isalpha() else "unknown"
        return CodeInfo(code, system, False, False, None)

    def lookup(self, code: str) -> CodeInfo:
        """Any code: procedure tables first (CPT numbers, HCPCS letters+4 digits), else ICD-10-CM."""
        code = code.strip().upper()
        info = self.procedure(code)
        if info.valid:
            return info
        if len(code) == 5 and (code.isdigit() or (code[0].isalpha() and code[1:].isdigit())):
            return info  # shaped like CPT/HCPCS, not in our reviewed table
        return self.diagnosis(code)
