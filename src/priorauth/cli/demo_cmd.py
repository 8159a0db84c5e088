"""`priorauth demo`: run the example cases and compare with their expected decisions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from priorauth.cli.options import default_shared
from priorauth.errors import USAGE, PriorAuthError
from priorauth.vocab import Explain


def demo(
    cases_dir: Annotated[Path | None, typer.Argument(
        help="Folder of example cases (default: ../shared/cases beside the checkout).", show_default=False)] = None,
) -> None:
    """Run the example cases and show the table of policies by decision (with expected.json, if present)."""
    from rich.console import Console

    from priorauth.cli.check_cmd import results_for
    from priorauth.cli.render import print_text
    from priorauth.intake.files import load_case

    folder = cases_dir or default_shared("cases")
    if folder is None or not folder.is_dir():
        raise PriorAuthError(USAGE, str(folder or "../shared/cases"), "no example cases folder found")
    files = sorted(p for p in folder.glob("*.json") if p.name != "expected.json")
    files += sorted(folder.glob("*.yaml"))
    if not files:
        raise PriorAuthError(USAGE, str(folder), "no case files (*.json, *.yaml)")
    results = results_for([(str(p), load_case(p)) for p in files], None, None, None, Explain.summary)
    console = Console()
    print_text(console, results, details=False)
    expected_file = folder / "expected.json"
    if expected_file.is_file():
        expected = json.loads(expected_file.read_text())
        agree = total = 0
        differ = []
        for r in results:
            want = expected.get(r["case"], {})
            for d in r["determinations"]:
                if d["policy"] in want:
                    total += 1
                    ok = want[d["policy"]]
                    allowed = ok if isinstance(ok, list) else [ok]
                    if d["decision"] in allowed:
                        agree += 1
                    else:
                        differ.append(f"  {r['case']} · {d['policy']}: {d['decision']}, expected "
                                      f"{' or '.join(allowed)}")
        console.print(f"{agree} of {total} decisions agree with {expected_file.name}")
        for line in differ:
            console.print(line, style="red", highlight=False)
        if agree != total:
            raise typer.Exit(1)
    console.print("Details for one case: priorauth check CASE.json")
