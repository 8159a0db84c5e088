"""Requested drugs under the drug table's generic names: `Infumorph`, `morphine sulfate` and `Morphine` are
morphine, as the case format writes it; a name the table does not know is an invalid case, with "did you mean"
(the case format lists the generic names, and an unknown one would only be read as "not in the drug table")."""

from __future__ import annotations

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


def with_generic_drug_names(case: Case, table: DrugTable | None = None) -> Case:
    """The case with each known drug name replaced by its generic name (the same case when nothing changes)."""
    table = table or default_drug_table()
    drugs = case.request.drugs
    fixed = [d if table.generic(d.name) in (None, d.name) else d.model_copy(update={"name": table.generic(d.name)})
             for d in drugs]
    if all(a is b for a, b in zip(fixed, drugs, strict=True)):
        return case
    return case.model_copy(update={"request": case.request.model_copy(update={"drugs": fixed})})
