"""Values as prescriptions and claims write them, in the case format's spelling.

- Drugs under the drug table's generic names: `Infumorph`, `morphine sulfate` and `Morphine` are morphine. A name
  the table does not know is an invalid case, with "did you mean" (the case format lists the generic names, and
  an unknown one would only be read as "not in the drug table").
- ICD-10-CM codes in capitals with their dot: `g89.4` is G89.4, and the dotless `G8921` of an X12 837 claim is
  G89.21 (the dot always follows the third character).
"""

from __future__ import annotations

import re

from priorauth.case.model import Case
from priorauth.knowledge.drugs import DrugTable, default_drug_table


def unknown_drug_names(case: Case, table: DrugTable | None = None) -> list[tuple[str, str]]:
    """(field path, problem) for every requested drug whose name the table does not know."""
    table = table or default_drug_table()
    problems = []
    for i, drug in enumerate(case.request.drugs):
        if table.generic(drug.name) is None:
            near = table.suggest(drug.name)
            hint = f" (did you mean {' or '.join(near)}?)" if near else \
                f"; known generic names: {', '.join(sorted(table.drugs))}"
            problems.append((f"request.drugs[{i}].name", f"unknown drug {drug.name!r}{hint}"))
    return problems


_ICD10 = re.compile(r"[A-Z][0-9][0-9A-Z](?:\.?[0-9A-Z]{1,4})?")


def icd10_code(code: str) -> str:
    """`g89.4` -> G89.4, `G8921` -> G89.21; anything not shaped like an ICD-10-CM code is left as written."""
    written = code.strip().upper()
    if not _ICD10.fullmatch(written):
        return code
    return written if len(written) <= 3 or "." in written else f"{written[:3]}.{written[3:]}"


def normalised(case: Case, table: DrugTable | None = None) -> Case:
    """The case with each known drug name as its generic name and each diagnosis code in ICD-10-CM spelling (the
    same case when nothing changes)."""
    table = table or default_drug_table()
    r = case.request
    drugs = [d if table.generic(d.name) in (None, d.name) else d.model_copy(update={"name": table.generic(d.name)})
             for d in r.drugs]
    codes = [icd10_code(c) for c in r.diagnosis_codes]
    if drugs == list(r.drugs) and codes == list(r.diagnosis_codes):
        return case
    return case.model_copy(update={"request": r.model_copy(update={"drugs": drugs, "diagnosis_codes": codes})})
