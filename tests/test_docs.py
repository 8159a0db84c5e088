"""Docs that run: the README's usage commands, the CLI's help texts, and the reference pages' vocabulary.

`PRIORAUTH_UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/test_docs.py` rewrites the help snapshots
under tests/snapshots/help/ (and removes those of commands that no longer exist).
"""

from __future__ import annotations

import difflib
import itertools
import json
import os
import re
import shlex
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import CASES, REPO, needs_shared, run_cli

README = REPO / "README.md"
POLICY_FORMAT = REPO / "docs" / "policy-format.md"
ERRORS = REPO / "docs" / "errors.md"
HELP_DIR = REPO / "tests" / "snapshots" / "help"
UPDATE = os.environ.get("PRIORAUTH_UPDATE_SNAPSHOTS") == "1"

CASE = "noncancer-trial-complete.json"
POLICY_ID = "hcsc-sur707-008"
PRIORAUTH = ".venv/bin/priorauth"


def section(doc: str, heading: str) -> str:
    """The text under a `## ` heading, up to the next one."""
    start = doc.index(f"\n{heading}\n")
    end = doc.find("\n## ", start + 1)
    return doc[start:end if end != -1 else len(doc)]


# --- The README's usage commands ---------------------------------------------------------------------

def usage_lines() -> list[str]:
    block = re.search(r"^```sh\n(.*?)^```", section(README.read_text(), "## Using it"), re.S | re.M)
    assert block, "README.md: no ```sh block under ## Using it"
    return [line for line in block.group(1).splitlines() if line.strip()]


def expand(line: str) -> list[tuple[list[str], int]]:
    """The commands one README line stands for, each with the exit status the README promises.

    `policies list | show ID | test [--strict]` is four subcommands of `policies`, `[x]` is optional
    (both with and without), and CASE.json and ID are placeholders for a real case and policy."""
    command, _, comment = line.partition(" # ")
    words = shlex.split(command)
    if not words or words[0] != PRIORAUTH:
        return []
    expected = 1 if re.search(r"\bexits? (status )?1\b", comment) else 0
    head, *rest = [list(group) for is_bar, group in itertools.groupby(words[1:], lambda w: w == "|") if not is_bar]
    prefix, variants = (head[:-1], [head[-1:], *rest]) if rest else ([], [head])
    real = {"CASE.json": str(CASES / CASE), "ID": POLICY_ID}
    out = []
    for variant in variants:
        choices = [["", w[1:-1]] if w.startswith("[") and w.endswith("]") else [w] for w in prefix + variant]
        for chosen in itertools.product(*choices):
            out.append(([real.get(w, w) for w in chosen if w], expected))
    return out


USAGE_COMMANDS = [cmd for line in usage_lines() for cmd in expand(line)]


def test_expand_reads_alternatives_options_and_placeholders():
    got = expand(f"{PRIORAUTH} policies list | show ID | test [--strict]   # what it does")
    assert got == [(["policies", "list"], 0), (["policies", "show", POLICY_ID], 0), (["policies", "test"], 0),
                   (["policies", "test", "--strict"], 0)]
    assert expand(f"{PRIORAUTH} check CASE.json   # exit 1 when ...") == [(["check", str(CASES / CASE)], 1)]
    assert expand("make demo") == []


def test_every_usage_line_is_a_command():
    """A line the parser cannot read would be skipped silently: each one must give a command."""
    lines = usage_lines()
    unread = [line for line in lines if not expand(line)]
    assert not unread, f"README usage lines that yield no command: {unread}"
    assert len(USAGE_COMMANDS) >= len(lines)


@needs_shared
@pytest.mark.parametrize(("args", "expected"), USAGE_COMMANDS, ids=[" ".join(a) for a, _ in USAGE_COMMANDS])
def test_readme_usage_command_runs(args, expected):
    proc = run_cli(*args)
    assert proc.returncode == expected, f"priorauth {' '.join(args)} exited {proc.returncode}: {proc.stderr}"
    assert proc.stdout.strip()


# --- --help snapshots ---------------------------------------------------------------------------------

def command_paths() -> list[tuple[str, ...]]:
    from typer.main import get_command

    from priorauth.cli.main import app

    def walk(cmd, path):
        yield path
        for name, sub in sorted(getattr(cmd, "commands", {}).items()):
            yield from walk(sub, (*path, name))

    return list(walk(get_command(app), ()))


# A fixed terminal: rich reads COLUMNS, TERM, NO_COLOR, FORCE_COLOR and more, so nothing else is inherited.
HELP_ENV = {"PATH": os.environ.get("PATH", ""), "COLUMNS": "100", "TERM": "dumb", "NO_COLOR": "1",
            "PYTHONIOENCODING": "utf-8"}
if "PYTHONPATH" in os.environ:
    HELP_ENV["PYTHONPATH"] = os.environ["PYTHONPATH"]
# argv[0] named as installed, so the usage line reads `priorauth ...`, not `python -m priorauth ...`.
MAIN = "import sys; sys.argv[0] = 'priorauth'; from priorauth.cli.main import main; main()"


def render_help(path: tuple[str, ...]) -> str:
    proc = subprocess.run([sys.executable, "-c", MAIN, *path, "--help"], env=HELP_ENV, cwd=REPO,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, f"priorauth {' '.join(path)} --help exited {proc.returncode}: {proc.stderr}"
    return proc.stdout


def snapshot_name(path: tuple[str, ...]) -> str:
    return "-".join(("priorauth", *path))


def normalized(text: str) -> str:
    # Rich pads every line to the width; trailing blanks carry no meaning and editors strip them.
    return "\n".join(line.rstrip() for line in text.splitlines()) + "\n"


@pytest.fixture(scope="module")
def help_runs() -> tuple[dict[str, str], dict[str, str]]:
    """Every command's --help, rendered twice (in parallel: one subprocess each)."""
    paths = command_paths()
    with ThreadPoolExecutor(max_workers=8) as pool:
        outputs = list(pool.map(render_help, paths * 2))
    names = [snapshot_name(p) for p in paths]
    return dict(zip(names, outputs[:len(paths)], strict=True)), dict(zip(names, outputs[len(paths):], strict=True))


def snapshot_problems(texts: dict[str, str], snapshots: dict[str, str]) -> list[str]:
    problems = []
    for name, text in texts.items():
        if name not in snapshots:
            problems.append(f"{name}: no snapshot")
        elif snapshots[name] != text:
            diff = difflib.unified_diff(snapshots[name].splitlines(), text.splitlines(), "snapshot", "now",
                                        lineterm="")
            problems.append(f"{name}: help text changed\n" + "\n".join(diff))
    problems += [f"{name}: snapshot of a command that no longer exists" for name in sorted(snapshots.keys() - texts)]
    return problems


def test_help_is_deterministic(help_runs):
    first, second = help_runs
    assert [n for n in first if first[n] != second[n]] == []


def test_help_matches_snapshots(help_runs):
    texts = {name: normalized(text) for name, text in help_runs[0].items()}
    if UPDATE:
        HELP_DIR.mkdir(parents=True, exist_ok=True)
        for stale in HELP_DIR.glob("*.txt"):
            if stale.stem not in texts:
                stale.unlink()
        for name, text in texts.items():
            (HELP_DIR / f"{name}.txt").write_text(text)
    snapshots = {f.stem: f.read_text() for f in HELP_DIR.glob("*.txt")}
    problems = snapshot_problems(texts, snapshots)
    assert not problems, "\n".join(problems) + "\n(PRIORAUTH_UPDATE_SNAPSHOTS=1 rewrites the snapshots)"


def test_snapshot_check_catches_changed_missing_and_stale():
    texts = {"priorauth": "a\n", "priorauth-check": "b\n"}
    assert snapshot_problems(texts, dict(texts)) == []
    changed = snapshot_problems(texts, {"priorauth": "a\n", "priorauth-check": "c\n"})
    assert len(changed) == 1 and "priorauth-check: help text changed" in changed[0]
    assert snapshot_problems(texts, {"priorauth": "a\n"}) == ["priorauth-check: no snapshot"]
    stale = snapshot_problems(texts, {**texts, "priorauth-gone": "x\n"})
    assert stale == ["priorauth-gone: snapshot of a command that no longer exists"]


# --- docs/policy-format.md --------------------------------------------------------------------------

def policy_format_problems(doc: str) -> list[str]:
    """What the policy-format page fails to say about the vocabulary the loader accepts."""
    from priorauth.case.paths import DERIVED
    from priorauth.policy.leaf_tests import SPEC_KINDS
    from priorauth.policy.model import When

    leaf = section(doc, "## Leaf tests")
    # Table rows `| `kind` | `{test...}` | ...`: the identifiers of each kind's test cells.
    keys: dict[str, set[str]] = {}
    for kind, test in re.findall(r"^\| `(\w+)` \| `([^`]*)`", leaf, re.M):
        keys.setdefault(kind, set()).update(re.findall(r"\w+", test))
    problems = [f"leaf-test kind `{kind}` is not in the table" for kind in SPEC_KINDS if kind not in keys]
    problems += [f"the table has a leaf-test kind `{kind}` that does not exist"
                 for kind in keys if kind not in SPEC_KINDS]
    for kind, spec in SPEC_KINDS.items():
        fields = {field.alias or name for name, field in spec.model_fields.items()}
        shown = keys.get(kind, fields)  # a kind without a row is reported once, above
        problems += [f"`{kind}` takes `{f}`, which its row does not show" for f in sorted(fields - shown)]
    problems += [f"derived fact `{path}` is not named" for path in DERIVED if f"`{path}`" not in leaf]
    when = section(doc, "## `when`: conditions on the request")
    keys = [f.alias or n for n, f in When.model_fields.items()]  # `not`, as the file writes it
    problems += [f"`when` key `{name}` is not named" for name in keys if f"`{name}`" not in when]
    return problems


def test_policy_format_documents_the_vocabulary():
    assert policy_format_problems(POLICY_FORMAT.read_text()) == []


def test_policy_format_check_catches_a_missing_kind_or_key():
    doc = POLICY_FORMAT.read_text()
    without_kind = "\n".join(line for line in doc.splitlines() if not line.startswith("| `drug_test` |"))
    assert policy_format_problems(without_kind) == ["leaf-test kind `drug_test` is not in the table"]
    without_key = "\n".join(line.replace("within_months", "N") if line.startswith("| `drug_test` |") else line
                            for line in doc.splitlines())
    assert policy_format_problems(without_key) == ["`drug_test` takes `within_months`, which its row does not show"]


# --- docs/errors.md ---------------------------------------------------------------------------------

ROW = re.compile(r"^\| `([a-z-]+)` \| (\d{3}) \|(.*)$", re.M)


def test_errors_page_lists_every_code_with_its_status():
    from priorauth.errors import HTTP_STATUS

    rows = ROW.findall(ERRORS.read_text())
    codes = [code for code, _, _ in rows]
    assert len(codes) == len(set(codes)), "a code is listed twice"
    documented = {code: int(status) for code, status, _ in rows}
    assert sorted(HTTP_STATUS.keys() - documented) == [], "codes missing from docs/errors.md"
    assert sorted(documented.keys() - HTTP_STATUS) == [], "docs/errors.md lists codes priorauth does not have"
    assert {c: s for c, s in documented.items() if HTTP_STATUS[c] != s} == {}, "statuses that differ"


def test_errors_page_service_table_has_the_service_codes_and_titles():
    from priorauth.errors import SERVICE_CODES
    from priorauth.service.http.problems import TITLES

    service = section(ERRORS.read_text(), "## The service's own codes")
    titles = {code: rest.split("|")[0].strip() for code, _, rest in ROW.findall(service)}
    assert sorted(titles) == sorted(SERVICE_CODES)
    assert {code: title for code, title in titles.items() if TITLES.get(code) != title} == {}


@needs_shared
def test_errors_page_examples_are_what_the_cli_prints(tmp_path):
    """The example lines are real: each is the first line of stderr (up to a trailing `...`), with exit 2."""
    block = re.search(r"^```\n(error .*?)^```", section(ERRORS.read_text(), "## On the command line"), re.S | re.M)
    assert block
    case = json.loads((CASES / CASE).read_text())
    case["clinical"]["treatments"][2]["start"] = "2024-13-01"
    bad = tmp_path / "case.json"
    bad.write_text(json.dumps(case))
    runs = {"invalid-case": (["check", str(bad)], "case.json", str(bad)),
            "usage": (["check", str(CASES / CASE), "--as-of", "2024-13-01"], "", ""),
            "not-found": (["check", str(CASES / CASE), "--policy", "nope"], "", "")}
    examples = block.group(1).splitlines()
    assert sorted(re.match(r"error \[([a-z-]+)\]", line)[1] for line in examples) == sorted(runs)
    for line in examples:
        args, placeholder, real = runs[re.match(r"error \[([a-z-]+)\]", line)[1]]
        proc = run_cli(*args)
        want = line.replace(placeholder, real) if placeholder else line
        got = proc.stderr.splitlines()[0] if proc.stderr else ""
        assert proc.returncode == 2, proc.stderr
        assert got.startswith(want.removesuffix("...")) if want.endswith("...") else got == want


def test_determination_doc_names_every_key_of_the_schema():
    from priorauth.engine.schema import determination_schema

    doc = (REPO / "docs" / "determination.md").read_text()
    missing = [key for key in determination_schema()["properties"] if f"`{key}`" not in doc]
    assert missing == []


# --- docs/security.md ---------------------------------------------------------------------------------------

def test_the_security_page_names_only_tests_and_code_that_exist():
    """Each safeguard's row names its code and tests: a rename must not leave the page pointing at nothing."""
    page = (REPO / "docs" / "security.md").read_text(encoding="utf-8")
    tests_dir = REPO / "tests"
    sources = {p.name: p.read_text(encoding="utf-8") for p in tests_dir.rglob("test_*.py")}
    for file, name in re.findall(r"(test_[a-z_]+\.py)(?:::(test_[a-z_0-9]+?)(?:\.\.\.)?)?`", page):
        assert file in sources, f"docs/security.md names {file}, which does not exist"
        if name:
            assert f"def {name}" in sources[file], f"docs/security.md names {file}::{name}, not found"
    for module in re.findall(r"`((?:service/)?(?:audit|auth|http|store|workflow)/[a-z_]+\.py)`", page):
        assert (REPO / "src" / "priorauth" / "service" / module.removeprefix("service/")).is_file(), module
