"""`priorauth policies list|show|compile|lint|test|concepts`."""

from __future__ import annotations

import difflib
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from priorauth.cli.options import Format, PoliciesDir
from priorauth.errors import NOT_FOUND, USAGE, PriorAuthError

if TYPE_CHECKING:
    from rich.tree import Tree

    from priorauth.policy.model import Node

app = typer.Typer(help="List, show, lint and test the payer policies.", no_args_is_help=True)


@app.command("list")
def list_(policies: PoliciesDir = None) -> None:
    """One line per policy version: id, payer, number, dates in force, criteria count."""
    from rich.console import Console
    from rich.table import Table

    from priorauth.policy.loader import load_policies

    ps = load_policies(policies)
    table = Table(title="Policies")
    table.add_column("id", no_wrap=True)
    for col in ("payer", "number", "in force", "criteria"):
        table.add_column(col)
    for pid in ps.ids:
        for p in ps.versions[pid]:
            table.add_row(p.id, p.payer_name, p.number, f"{p.effective_text} – {p.end or 'open'}",
                          str(sum(1 for _ in p.criteria.walk())))
    Console().print(table)


def _tree(node: Node, into: Tree) -> None:
    label = f"[bold]{node.title or node.id}[/] [dim]{node.id} · {node.section}[/]"
    if node.when:
        conds = ", ".join(f"{k}={v}" for k, v in node.when.model_dump(exclude_none=True).items())
        label += f" [cyan](only when {conds})[/]"
    branch = into.add(label)
    if node.operator != "test":
        branch.label += f" [magenta]{node.operator}{' ' + str(node.at_least) if node.at_least else ''}[/]"
    else:
        branch.add(f"[italic dim]“{node.quote}”[/]")
        branch.add(f"[dim]test: {json.dumps(node.test, default=str)}[/]")
    if node.interpretation:
        branch.add(f"[dim]reading: {node.interpretation}[/]")
    for child in node.children:
        _tree(child, branch)


@app.command()
def show(policy_id: Annotated[str, typer.Argument(help="Policy id, e.g. hcsc-sur707-008.")],
         format: Annotated[Format, typer.Option("--format", "-f", help="text for people, json for programs.")]
         = Format.text,
         policies: PoliciesDir = None) -> None:
    """Show a policy: identity, scope rules and the criteria tree with citations."""
    from rich.console import Console
    from rich.tree import Tree

    from priorauth.policy.loader import load_policies

    ps = load_policies(policies)
    p = ps.get(policy_id)[-1]
    if format is Format.json:
        sys.stdout.write(p.model_dump_json(indent=2, by_alias=True, exclude_none=True) + "\n")
        return
    console = Console()
    console.print(f"[bold]{p.payer_name} {p.number}[/]: {p.title}\nversion {p.version}, in force "
                  f"{p.effective_text} – {p.end or 'open'}; source {p.source.file}")
    console.print(f"Covered request kinds: {', '.join(p.covered_kinds)}")
    for r in p.scope:
        console.print(f"Scope rule [cyan]{r.id}[/] → {r.decision}: {r.reason} [dim]({r.section})[/]")
    tree = Tree(f"[bold]{p.criteria.id}[/] [dim]{p.criteria.section}[/]")
    for c in p.criteria.children:
        _tree(c, tree)
    console.print(tree)


@app.command("compile")
def compile_(policy_id: Annotated[str, typer.Argument(help="Policy id, e.g. hcsc-sur707-008.")],
             version: Annotated[str | None, typer.Option(
                 "--version", help="This version (default: every version of the policy).", show_default=False)] = None,
             show: Annotated[bool, typer.Option("--show", help="Print the generated Python source.")] = False,
             policies: PoliciesDir = None) -> None:
    """Generate a policy's Python code, as evaluation does at load: per version, the SHA-256 of the source
    (its cache key), its size, the leaf tests inlined and those called as predicates, and the time taken.
    With --show, the source itself."""
    import time

    from priorauth.cli.options import compiled_policies
    from priorauth.engine.codegen import generate

    ps = compiled_policies(policies)
    versions = ps.versions(policy_id)
    chosen = [c for c in versions if version is None or c.policy.version == version]
    if not chosen:
        known = ", ".join(c.policy.version for c in versions)
        raise PriorAuthError(NOT_FOUND, "--version", f"{policy_id} has no version {version!r}; known: {known}")
    for c in chosen:
        start = time.perf_counter()
        generated = generate(c.program, f"{c.policy.id}@{c.policy.version}")
        ms = (time.perf_counter() - start) * 1000
        lines = generated.source.count("\n")
        typer.echo(f"{c.policy.id}@{c.policy.version}: sha256 {generated.digest[:16]}, {lines} lines, "
                   f"{len(c.program.nodes)} criteria, {generated.inlined} leaf tests inlined, {generated.called} "
                   f"called as predicates; generated and compiled in {ms:.1f} ms", err=show)
        if show:
            sys.stdout.write(generated.source)


@app.command()
def lint(
    paths: Annotated[list[Path] | None, typer.Argument(help="Policy files or folders (default: all).",
                                                       show_default=False)] = None,
    sources: Annotated[Path | None, typer.Option(
        "--sources", help="Folder of the payers' source documents (default: $PRIORAUTH_SOURCES or "
        "../shared/seeds, where found). Given explicitly, a missing document is an error.",
        show_default=False)] = None,
) -> None:
    """Check policy files: schema (with line numbers), facts, values and predicates, drug names against the
    drug table, unique ids, NOTES.md, the source's SHA-256 and that every quote appears verbatim (up to
    whitespace) in the source."""
    from priorauth.engine.policyset import check_drug_names
    from priorauth.knowledge.tables import open_knowledge
    from priorauth.policy.lint import default_sources_dir, lint_paths
    from priorauth.policy.loader import default_policy_dir

    if sources is not None and not sources.is_dir():
        raise PriorAuthError(NOT_FOUND, str(sources), "no such folder of source documents")
    src = sources or default_sources_dir()
    reports = lint_paths(paths or [default_policy_dir()], src, required=sources is not None)
    knowledge = open_knowledge()
    for r in reports:
        if not r.errors and r.policy is not None:  # the file was loaded by the linter; check its drug names
            try:
                check_drug_names(r.policy, knowledge, str(r.path))
            except PriorAuthError as exc:
                r.errors.append(str(exc))
    errors = 0
    for r in reports:
        for e in r.errors:
            typer.echo(f"error: {e}", err=True)
        for n in r.notes:
            typer.echo(f"note: {n}", err=True)
        errors += len(r.errors)
        if not r.errors:
            typer.echo(f"ok: {r.path} ({r.quotes_checked} quotes checked)")
    typer.echo(f"{len(reports)} policy file(s), {errors} error(s)")
    if errors:
        raise typer.Exit(1)


@app.command()
def test(
    policy: Annotated[list[str] | None, typer.Option("--policy", "-p", help="Only this policy (repeatable).")]
    = None,
    strict: Annotated[bool, typer.Option(help="Fail when a criterion is not covered both ways, a policy "
                                         "lacks an approve, pend or deny case, a pend (deny) case does not "
                                         "state what it requests (cites), or a scope rule decides no case.")] = False,
    coverage: Annotated[bool, typer.Option(help="Print, per criterion, the cases that make it met, not met and "
                                           "unknown.")] = False,
    policies: PoliciesDir = None,
) -> None:
    """Run each policy's own test cases and report criterion coverage (met / not met or unknown)."""
    from rich.console import Console
    from rich.table import Table

    from priorauth.cli.options import compiled_policies
    from priorauth.tester.policy_cases import run_all

    ps = compiled_policies(policies)
    for pid in policy or []:
        ps.versions(pid)  # an unknown id is a usage error before anything runs
    reports = run_all(ps, policy)
    console = Console()
    failed = gaps = 0
    table = Table(title="Policy tests")
    for col in ("policy", "cases", "passed", "criteria", "covered both ways", "decisions missing"):
        table.add_column(col)
    for rep in reports:
        for r in rep.results:
            if not r.ok:
                failed += 1
                console.print(f"[red]FAIL[/] {r.policy} {r.case}: " + "; ".join(r.problems))
        for cid, lacking in rep.gaps.items():
            console.print(f"[yellow]gap[/] {rep.policy.id} {cid}: never {' / '.join(lacking)}")
        for what in rep.unspecified:
            console.print(f"[yellow]gap[/] {rep.policy.id} {what}")
        for rid in rep.idle_rules:
            console.print(f"[yellow]gap[/] {rep.policy.id} scope rule {rid}: decides none of the cases")
        gaps += len(rep.gaps) + len(rep.missing_decisions) + len(rep.unspecified) + len(rep.idle_rules)
        table.add_row(rep.policy.id, str(len(rep.results)), str(rep.passed), str(len(rep.coverage)),
                      str(len(rep.coverage) - len(rep.gaps)), ", ".join(rep.missing_decisions) or "-")
    if coverage:
        for rep in reports:
            cov = Table(title=f"Criterion coverage: {rep.policy.id}")
            for col in ("criterion", "met", "not met", "unknown"):
                cov.add_column(col, overflow="fold")
            for cid, seen in rep.coverage.items():
                cov.add_row(cid, *(_cases(seen[v]) for v in ("met", "not_met", "unknown")))
            console.print(cov)
    console.print(table)
    total = sum(len(r.results) for r in reports)
    console.print(f"{total - failed} passed, {failed} failed")
    if failed or (strict and gaps):
        raise typer.Exit(1)


@app.command()
def concepts(
    concept: Annotated[str | None, typer.Option("--concept", "-c", help="Only this concept.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per reading, one per line.")] = False,
    policies: PoliciesDir = None,
) -> None:
    """Where policies read one concept differently: for each concept (systemic opioids tried, the
    mental-health evaluation, the trial's pain relief, life expectancy, failed oral baclofen), every criterion
    that reads it and its reading in common terms. A concept read in more than one way is marked `differs`;
    each difference should be the text's own reading, written in that policy's NOTES.md."""
    from dataclasses import asdict

    from rich.console import Console
    from rich.table import Table

    from priorauth.policy.concepts import CONCEPTS, differing, readings
    from priorauth.policy.loader import load_policies

    if concept is not None and concept not in CONCEPTS:
        near = difflib.get_close_matches(concept, list(CONCEPTS), n=1)
        hint = f" (did you mean {near[0]}?)" if near else f"; known: {', '.join(CONCEPTS)}"
        raise PriorAuthError(USAGE, "--concept", f"no concept {concept!r}{hint}")
    ps = load_policies(policies)
    found = list(readings([ps.latest(pid) for pid in ps.ids], concept))
    if as_json:
        for r in found:
            typer.echo(json.dumps(asdict(r)))
        return
    differ = differing(found)
    console = Console()
    for name in dict.fromkeys(r.concept for r in found):
        table = Table(title=f"{name}{' (differs)' if name in differ else ''}", title_justify="left")
        for col in ("policy", "criterion", "section", "reading", "library"):
            table.add_column(col, overflow="fold")
        for r in (r for r in found if r.concept == name):
            table.add_row(r.policy, r.criterion, r.section, r.reading, r.library or "-")
        console.print(table)


def _cases(names: list[str], most: int = 1) -> str:
    if not names:
        return "[yellow]none[/]"
    shown = ", ".join(names[:most])
    return f"{len(names)}: {shown}" + (" …" if len(names) > most else "")
