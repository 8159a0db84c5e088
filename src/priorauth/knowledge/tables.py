"""The clinical knowledge an evaluation reads, opened once by the caller and passed in.

Opening reads every table into memory (and builds the ICD-10-CM index on a machine's first run), so an
evaluation that is handed a `Knowledge` does no file or process I/O. Its versions go into every
determination: the ICD-10-CM release and the SHA-256 of the code and drug tables.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from priorauth.knowledge.codes import CODES_FILE, CodeSets, load_code_tables
from priorauth.knowledge.drugs import DRUGS_FILE, DrugTable, load_drug_table
from priorauth.knowledge.icd10 import Icd10Index, package_version


@dataclass(frozen=True)
class Knowledge:
    codes: CodeSets
    drugs: DrugTable
    versions: dict[str, str]  # what each determination records about the tables it read


def open_knowledge(icd10_index: Path | None = None, codes_file: Path = CODES_FILE,
                   drugs_file: Path = DRUGS_FILE) -> Knowledge:
    """Read the code and drug tables and open the ICD-10-CM index (building it once per machine)."""
    versions = {
        "icd10cm": f"simple-icd-10-cm {package_version()}",
        "codes_sha256": hashlib.sha256(codes_file.read_bytes()).hexdigest(),
        "drugs_sha256": hashlib.sha256(drugs_file.read_bytes()).hexdigest(),
    }
    codes = CodeSets(load_code_tables(codes_file), Icd10Index.open(icd10_index))
    return Knowledge(codes=codes, drugs=load_drug_table(drugs_file), versions=versions)
