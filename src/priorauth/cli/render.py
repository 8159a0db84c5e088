"""The nurse's text view: a table of policies by decision, then each policy's criteria tree."""

from __future__ import annotations

from typing import Any

from rich import box
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from priorauth.vocab import DECISION_TEXT, REVIEW_NEEDS_SECTION

MARKS = {"met": ("✓", "green"), "not_met": ("✗", "red"), "unknown": ("?", "yellow"),
         "not_applicable": ("–", "dim")}
FINDING_MARKS = {"safety": ("‼", "bold red"), "warning": ("!", "yellow"), "info": ("·", "dim")}
DECISION_STYLE = {"approve": "bold green", "deny": "bold red", "pend": "bold yellow", "refer": "bold cyan",
                  "not_applicable": "dim"}


# Below this width a case column leaves the reasons a word per line: each case gets its own heading instead.
WIDE = 120


def summary_table(results: list[dict[str, Any]], width: int = WIDE) -> Table | Group:
    counts = any(_counted(r) for r in results)
    if width < WIDE and len(results) > 1:
        parts: list[Any] = [Text("Determinations", style="italic")]
        for result in results:
            if result["determinations"]:
                parts.append(Text(result["case"], style="bold"))
                mine = _counted(result)
                table = _decision_table(False, mine, Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False))
                _add_rows(table, result, False, mine)
                parts.append(table)
        return Group(*parts)
    table = _decision_table(True, counts, Table(title="Determinations", box=box.HEAVY_HEAD))
    for result in results:
        _add_rows(table, result, True, counts)
    return table


def _counted(result: dict[str, Any]) -> bool:
    return any(f["severity"] in ("safety", "warning") for d in result["determinations"] for f in d.get("findings", []))


def _decision_table(with_case: bool, counts: bool, table: Table) -> Table:
    if with_case:
        table.add_column("case", overflow="fold")
    table.add_column("policy", no_wrap=True)
    table.add_column("decision", no_wrap=True)
    if counts:  # only where some determination has findings: at 80 columns the reasons need the room
        table.add_column("findings", no_wrap=True)
    table.add_column("why", ratio=1)
    return table


def _add_rows(table: Table, result: dict[str, Any], with_case: bool, counts: bool) -> None:
    for d in result["determinations"]:
        cells = [d["policy"], Text(d["decision"], style=DECISION_STYLE[d["decision"]]),
                 *([finding_counts(d.get("findings", []))] if counts else []), d["summary"]]
        table.add_row(*([result["case"]] if with_case else []), *cells)


def finding_counts(findings: list[dict[str, Any]]) -> Text:
    """`‼ 6 safety  ! 1`: the findings beside the decision they do not change (a safety finding on an approval
    is for the reviewer to see first)."""
    out = Text()
    for severity, word in (("safety", " safety"), ("warning", "")):
        n = sum(1 for f in findings if f["severity"] == severity)
        if n:
            mark, style = FINDING_MARKS[severity]
            out.append(f"{mark} {n}{word}  ", style=style)
    return out


def safety_view(results: list[dict[str, Any]]) -> Group | None:
    """Every safety finding, once per case (a case-level finding is repeated by each policy's record)."""
    parts: list[Any] = []
    for result in results:
        seen: dict[tuple[str, str], list[str]] = {}
        for d in result["determinations"]:
            for f in d.get("findings", []):
                if f["severity"] == "safety":
                    seen.setdefault((f["kind"], f["message"]), []).append(d["policy"])
        if seen:
            parts.append(Text(f"{result['case']}: safety findings for the reviewer", style="bold red"))
            everyone = len(result["determinations"])
            for (kind, message), policies in seen.items():
                where = "" if len(policies) == everyone else f"  ({', '.join(policies)})"
                parts.append(Text(f"  {FINDING_MARKS['safety'][0]} [{kind}] {message}{where}"))
    return Group(*parts) if parts else None


_LATEX = {r"\geq": "≥", r"\leq": "≤", r"\%": "%", r"\ge": "≥", r"\le": "≤", r"\times": "×"}


def plain(text: str) -> str:
    """A quote as a reader sees it: the LaTeX some policy sources use for symbols (`$\\geq 50\\%$`) as the symbols
    (`≥ 50%`). Only the view changes: the record keeps the quote verbatim, as the source has it."""
    import re

    def symbols(match: re.Match) -> str:
        inner = match.group(1)
        for tex, sign in _LATEX.items():
            inner = inner.replace(tex, sign)
        return inner.strip()

    return re.sub(r"\$([^$]{1,40})\$", symbols, text)


# Facts priorauth computes, which are not fields a case writer knows: the view names them in words (the record
# keeps the path, as docs/policy-format.md lists them).
DERIVED_WORDS = {
    "member.age_years": "age on the date of service",
    "clinical.trial_result.pain_reduction": "pain reduction in the trial (%)",
    "request.drug_names": "drugs requested",
}


def words(text: str) -> str:
    """A detail as the view shows it: a computed fact's path as what it is."""
    for path, name in DERIVED_WORDS.items():
        if path in text:
            text = text.replace(path, name)
    return text


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _node_label(node: dict[str, Any]) -> Text:
    mark, style = MARKS.get(node["verdict"], ("?", "yellow"))
    label = Text()
    label.append(f"{mark} ", style=style)
    label.append(node.get("title") or node["id"], style="bold" if node.get("children") else "")
    label.append(f"  [{node['section']}]", style="dim")
    return label


def _add_node(tree: Tree, node: dict[str, Any]) -> None:
    branch = tree.add(_node_label(node))
    if "children" not in node:
        branch.add(Text(f"“{plain(node['quote'])}”", style="italic dim"))
        if node.get("detail"):
            branch.add(Text(words(node["detail"]), style=MARKS.get(node["verdict"], ("", ""))[1]))
        for path, found in (node.get("sources") or {}).items():  # what a note said, beside the fact it gave
            for src in found:
                if src.get("kind") == "note":
                    branch.add(Text(f"{path}: note {src['note'] + 1} [{src['start']}:{src['end']}] "
                                    f"“{_short(src['text'], 80)}”", style="dim"))
        if node.get("confirmation"):
            branch.add(Text(node["confirmation"], style="yellow"))
    if node.get("interpretation"):
        branch.add(Text("reading: " + node["interpretation"], style="dim"))
    for child in node.get("children", []):
        _add_node(branch, child)


def determination_view(case_id: str, d: dict[str, Any]) -> Group:
    header = Text()
    header.append(f"\n{case_id} · {d['policy']}: ", style="bold")
    header.append(DECISION_TEXT[d["decision"]], style=DECISION_STYLE[d["decision"]])
    parts: list[Any] = [header, Text(d["summary"])]
    version = d.get("policy_version")
    if version:
        parts.append(Text(f"{version['payer']} {version['number']} “{version['title']}”, version {version['version']} "
                          f"(in force {version['effective']}–{version['end'] or 'open'})", style="dim"))
    governed = d.get("governed_by")
    if governed:
        gv = governed["policy_version"]
        parts.append(Text(f"Decided under {gv['payer']} {gv['number']} “{gv['title']}”, version {gv['version']}, "
                          f"referred by {governed['section']}: “{governed['quote']}”", style="bold"))
    if d.get("notice") and d["notice"] != "Manual review: " + d["summary"]:  # not the summary twice
        parts.append(Text(d["notice"], style="italic"))
    if d.get("approval_duration"):
        parts.append(Text(f"Approval duration: {d['approval_duration']}", style="green"))
    if "criteria" in d:
        tree = Tree(_node_label(d["criteria"]))
        for child in d["criteria"].get("children", []):
            _add_node(tree, child)
        parts.append(tree)
    if d.get("findings"):
        parts.append(Text("Findings for the reviewer:", style="bold"))
        for f in d["findings"]:
            mark, style = FINDING_MARKS[f["severity"]]
            line = Text(f"  {mark} ", style=style)
            line.append(f"[{f['kind']}] {f['message']}")
            parts.append(line)
    if d["decision"] == "deny" and d["reasons"]:
        parts.append(Text("Not met:", style="bold red"))
        for r in d["reasons"]:
            parts.append(Text(f"  ✗ {r['section']}: “{plain(r['quote'])}” — {words(r.get('finding', ''))}"))
    elif d["decision"] in ("refer", "not_applicable") and d["reasons"] and d["reasons"][0]["finding"] != d["summary"]:
        for r in d["reasons"]:
            parts.append(Text(f"  {r['section']}: “{r['quote']}”", style="dim"))
    if d["documentation_requests"]:
        parts.append(Text("Documentation to request:", style="bold yellow"))
        for i, r in enumerate(d["documentation_requests"], 1):
            parts.append(Text(f"  {i}. {r['request']}  [{r['section']}]"))
    if d.get("documentation_checklist") and d["decision"] in ("pend", "approve", "refer"):
        parts.append(Text("Attach with the submission:", style="bold"))
        for item in d["documentation_checklist"]:
            parts.append(Text(f"  • {item['text']}  [{item['section']}]"))
    return Group(*parts)


def print_text(console: Console, results: list[dict[str, Any]], details: bool = True) -> None:
    for result in results:
        if "fhir" in result:
            console.print(fhir_view(result["case"], result["fhir"], details))
        if "notes" in result:
            console.print(notes_view(result["case"], result["notes"], details))
    if any(r["determinations"] for r in results):
        console.print(summary_table(results, console.width))
    if not details:
        safety = safety_view(results)
        if safety is not None:
            console.print(safety)
        return
    for result in results:
        for d in result["determinations"]:
            console.print(determination_view(result["case"], d))


def fhir_view(name: str, mapping: dict[str, Any], details: bool = True) -> Group:
    """What a FHIR input became: the answer when no policy governs it, else each fact with its FHIR element;
    then what was not mapped."""
    parts: list[Any] = [Text(f"\n{name} · {mapping['input']}", style="bold")]
    if mapping.get("not_applicable"):
        parts.append(Text("No review required under these policies: " + mapping["not_applicable"],
                          style=DECISION_STYLE["not_applicable"]))
    if details and "sources" in mapping:
        table = Table(title="Mapped from FHIR", show_lines=False, title_justify="left")
        table.add_column("case field", no_wrap=True)
        table.add_column("value", overflow="fold")
        table.add_column("from", overflow="fold")
        for path, found in mapping["sources"].items():
            where = "; ".join(f"{s['resource_type']}/{s['id']} {s['fhirpath']}" if s.get("id")
                              else s["fhirpath"] for s in found)
            table.add_row(path, _short(str(_value_at(mapping["case"], path)), 60), where)
        parts.append(table)
    if mapping["unmapped"]:
        parts.append(Text(f"Not mapped ({len(mapping['unmapped'])}):", style="bold"))
        shown = mapping["unmapped"] if details else mapping["unmapped"][:5]
        parts += [Text(f"  {u['element']}: {u['reason']}", style="dim") for u in shown]
        if len(shown) < len(mapping["unmapped"]):
            parts.append(Text(f"  … {len(mapping['unmapped']) - len(shown)} more (--explain full)", style="dim"))
    return Group(*parts)


def notes_view(name: str, read: dict[str, Any], details: bool = True) -> Group:
    """What the case's notes documented: each fact filled from them with its note and span, every conflict."""
    parts: list[Any] = [Text(f"\n{name} · clinical notes: {read['summary']}", style="bold")]
    if details and read.get("filled"):
        table = Table(title="Read in the notes (unconfirmed)", show_lines=False, title_justify="left")
        table.add_column("case field", no_wrap=True)
        table.add_column("note", no_wrap=True)
        table.add_column("text", overflow="fold")
        table.add_column("used", no_wrap=True)
        conflicted = {c["path"] for c in read.get("conflicts", [])}
        filled = {p.split("[")[0] for p in read.get("filled", [])}
        for n in read.get("notes", []):
            for f in n["facts"]:
                path = f["path"].removesuffix("[]")
                used = ("conflict" if path in conflicted else "filled" if path in filled
                        else "agrees" if path in read.get("corroborated", []) else "not used")
                table.add_row(f["path"], f"{n['note'] + 1} [{f['start']}:{f['end']}]", _short(f["text"], 60), used)
        parts.append(table)
    for c in read.get("conflicts", []):
        parts.append(Text("  conflict: " + c["finding"], style="yellow"))
    for p in read.get("left_out", []):
        parts.append(Text("  left out: " + p, style="dim"))
    return Group(*parts)


def _value_at(doc: Any, path: str) -> Any:
    """The value at `request.drugs[0].name` in a case document (None when absent)."""
    import re

    node = doc
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", path):
        if part.startswith("["):
            node = node[int(part[1:-1])] if isinstance(node, list) and int(part[1:-1]) < len(node) else None
        else:
            node = node.get(part) if isinstance(node, dict) else None
    return node


# --- the default view: what a reviewer needs, on one screen -----------------------------------------------


def header_view(lines: list[str]) -> Table:
    """The request at the top: what is asked for, for whom, when, and under which codes; a long line wraps under
    its value, not under its label."""
    grid = Table.grid(padding=(0, 1, 0, 0))
    grid.add_column(no_wrap=True, style="bold")
    grid.add_column(ratio=1)
    for line in lines:
        label, _, value = line.partition(": ")
        grid.add_row(f"{label}:", value)
    return grid


def hanging(prefix: str, text: str, style: str = "") -> Table:
    """`prefix` then `text`, its wrapped lines indented under the text's first character, not the margin."""
    grid = Table.grid()
    grid.add_column(no_wrap=True, width=len(prefix))
    grid.add_column(ratio=1)
    grid.add_row(prefix, Text(text, style=style))
    return grid


def requests_of(d: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """A determination's documentation requests, each text once with every section that asks for it."""
    grouped: dict[str, list[str]] = {}
    for r in d["documentation_requests"]:
        grouped.setdefault(r["request"], []).append(r["section"])
    return [(text, list(dict.fromkeys(sections))) for text, sections in grouped.items()]


def brief_view(d: dict[str, Any], width: int = 120) -> Group:
    """One policy: its decision, the criteria that decide it, what to request, its safety findings."""
    decision = Text()
    decision.append(f"{d['policy']}: ", style="bold")
    decision.append(DECISION_TEXT[d["decision"]], style=DECISION_STYLE[d["decision"]])
    version = d.get("policy_version")
    parts: list[Any] = [decision]
    if version:  # beside the decision where the line has room, else under it
        text = f"{version['payer']} {version['number']}, version {version['version']}"
        if len(decision) + 3 + len(text) <= width:
            decision.append(f"   {text}", style="dim")
        else:
            parts.append(hanging("  ", text, "dim"))
    governed = d.get("governed_by")
    if governed:
        gv = governed["policy_version"]
        parts.append(hanging("  ", f"Decided under {gv['payer']} {gv['number']}, version {gv['version']}, referred "
                                   f"by {governed['section']}", "bold"))
    if d["decision"] == "deny":
        for r in d["reasons"]:
            parts.append(hanging("  ✗ ", f"{r['section']}: {words(r.get('finding') or plain(r['quote']))}", "red"))
    elif d["decision"] in ("refer", "not_applicable"):
        parts.append(hanging("  ", d["summary"], "dim" if d["decision"] == "not_applicable" else ""))
    elif d["decision"] == "pend":
        for r in d["documentation_requests"]:
            parts.append(hanging("  ? ", f"{r['section']}: {words(r.get('finding') or 'not documented')}", "yellow"))
    else:
        duration = f"; approval for {d['approval_duration']}" if d.get("approval_duration") else ""
        parts.append(Text(f"  ✓ every applicable criterion is met{duration}", style="green"))
    own = [item for item in d.get("documentation_checklist", []) if item["section"] != REVIEW_NEEDS_SECTION]
    if d["decision"] == "refer" and own:
        parts.append(Text("  The policy's checklist:", style="bold cyan"))
        for item in own:
            parts.append(hanging("    • ", f"{item['text']}  [{item['section']}]"))
    requests = requests_of(d)
    if requests:
        parts.append(Text("  Request:", style="bold yellow"))
        for i, (text, sections) in enumerate(requests, 1):
            parts.append(hanging(f"    {i}. ", f"{text}  [{'; '.join(sections)}]"))
    for f in d.get("findings", []):
        if f["severity"] == "safety":
            parts.append(hanging(f"  {FINDING_MARKS['safety'][0]} ", f["message"], FINDING_MARKS["safety"][1]))
    return Group(*parts)


def combined_requests(result: dict[str, Any]) -> Group | None:
    """What one attachment package must hold for every payer considered: each request once, with who asks."""
    asked: dict[str, list[str]] = {}
    for d in result["determinations"]:
        for text, _ in requests_of(d):
            asked.setdefault(text, []).append(d["policy"])
    if not asked or sum(1 for d in result["determinations"] if d["documentation_requests"]) < 2:
        return None
    parts: list[Any] = [Text("To satisfy every policy above, attach:", style="bold yellow")]
    for i, (text, policies) in enumerate(asked.items(), 1):
        parts.append(hanging(f"  {i}. ", f"{text}  ({', '.join(policies)})"))
    return Group(*parts)


def reviewer_needs(result: dict[str, Any]) -> Group | None:
    """Once for the case: what a reviewer needs where policies state no criteria for the request (priorauth's own
    list, in every such determination's checklist)."""
    referring = [d["policy"] for d in result["determinations"]
                 if any(i["section"] == REVIEW_NEEDS_SECTION for i in d.get("documentation_checklist", []))]
    if not referring:
        return None
    first = next(d for d in result["determinations"] if d["policy"] == referring[0])
    parts: list[Any] = [Text(f"No criteria for this request in {', '.join(referring)}; the reviewer will need:",
                             style="bold cyan")]
    for item in first["documentation_checklist"]:
        if item["section"] == REVIEW_NEEDS_SECTION:
            parts.append(hanging("  • ", item["text"]))
    return Group(*parts)


def print_brief(console: Console, results: list[dict[str, Any]]) -> None:
    legend = Text("✓ met  ✗ not met  ? not documented  ‼ safety finding  ! warning\n"
                  "--explain full: every criterion; --explain fails: the failing branches", style="dim")
    for result in results:
        if "fhir" in result:
            console.print(fhir_view(result["case"], result["fhir"], False))
        if "notes" in result:
            console.print(notes_view(result["case"], result["notes"], False))
        console.print(Text(f"\n{result['case']}", style="bold underline"))
        if result.get("header"):
            console.print(header_view(result["header"]))
        first = result["determinations"][0] if result["determinations"] else {}
        for f in first.get("findings", []):  # the case's own dates, once (every policy's record repeats them)
            if f["kind"] == "date":
                console.print(hanging(f"{FINDING_MARKS['warning'][0]} ", f["message"], FINDING_MARKS["warning"][1]))
        for d in result["determinations"]:
            console.print(brief_view(d, console.width))
        combined = combined_requests(result)
        if combined is not None:
            console.print(combined)
        needs = reviewer_needs(result)
        if needs is not None:
            console.print(needs)
    console.print(legend)
