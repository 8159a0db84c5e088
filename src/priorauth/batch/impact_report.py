"""The impact report: what changes and why, as Markdown (a text bar chart) or HTML (an SVG bar chart)."""

from __future__ import annotations

import html as _html
from dataclasses import dataclass

from priorauth.batch.impact import Impact


@dataclass(frozen=True)
class About:
    baseline: str  # how each side was given (a folder, or ID@VERSION), and its versions
    candidate: str
    source: str
    rows_file: str  # the Parquet of changed rows, beside the report


def _sections(imp: Impact, about: About) -> tuple[list[str], list[tuple[str, int]], list[list[str]], list[list[str]]]:
    lines = [f"Baseline: {about.baseline}", f"Candidate (applied as if in force): {about.candidate}",
             f"Input: {about.source}: {imp.cases} cases, {imp.compared} determinations compared, "
             f"{sum(imp.changes.values())} changed, {imp.error_count} could not be read or decided",
             f"Changed rows: {about.rows_file}"]
    flips = [(f"{a} → {b}", n) for (a, b), n in imp.changes.most_common()]
    criteria = [[policy, criterion, f"{a} → {b}", str(n), ", ".join(imp.examples.get((policy, criterion, a, b), []))]
                for (policy, criterion, a, b), n in sorted(imp.by_criterion.items(), key=lambda kv: (-kv[1], kv[0]))]
    errors = [[source, message] for source, message in imp.errors]
    return lines, flips, criteria, errors


def markdown(imp: Impact, about: About) -> str:
    lines, flips, criteria, errors = _sections(imp, about)
    out = ["# Policy-change impact", "", *(f"- {line}" for line in lines), "", "## Decisions that change", ""]
    if not flips:
        out += ["No decision changes.", ""]
    else:
        top = max(n for _, n in flips)
        out += ["| change | rows | |", "|---|---:|---|"]
        out += [f"| {label} | {n} | {'█' * max(1, round(30 * n / top))} |" for label, n in flips]
        out += ["", "## By the criterion responsible", "",
                "| policy | criterion | change | rows | example cases |", "|---|---|---|---:|---|"]
        out += ["| " + " | ".join(_md(c) for c in row) + " |" for row in criteria]
        out.append("")
    if errors:
        out += ["## Cases that could not be compared", "", "| source | error |", "|---|---|"]
        out += [f"| {_md(s)} | {_md(m)} |" for s, m in errors]
        if imp.error_count > len(errors):
            out.append(f"| … | {imp.error_count - len(errors)} more |")
        out.append("")
    return "\n".join(out)


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def html(imp: Impact, about: About) -> str:
    lines, flips, criteria, errors = _sections(imp, about)
    e = _html.escape
    parts = ["<!doctype html>", '<html lang="en"><head><meta charset="utf-8"><title>Policy-change impact</title>',
             "<style>body{font-family:system-ui,sans-serif;margin:2em;max-width:70em}table{border-collapse:collapse}"
             "td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}td.n{text-align:right}</style>",
             "</head><body>", "<h1>Policy-change impact</h1>", "<ul>", *(f"<li>{e(x)}</li>" for x in lines), "</ul>",
             "<h2>Decisions that change</h2>"]
    if not flips:
        parts.append("<p>No decision changes.</p>")
    else:
        parts.append(_chart(flips))
        parts += ["<h2>By the criterion responsible</h2>", "<table><tr><th>policy</th><th>criterion</th>"
                  "<th>change</th><th>rows</th><th>example cases</th></tr>"]
        parts += [f"<tr><td>{e(p)}</td><td>{e(c)}</td><td>{e(ch)}</td><td class=n>{n}</td><td>{e(x)}</td></tr>"
                  for p, c, ch, n, x in criteria]
        parts.append("</table>")
    if errors:
        parts += ["<h2>Cases that could not be compared</h2>", "<table><tr><th>source</th><th>error</th></tr>"]
        parts += [f"<tr><td>{e(s)}</td><td>{e(m)}</td></tr>" for s, m in errors]
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _chart(flips: list[tuple[str, int]]) -> str:
    """A horizontal bar per change, labelled with its count: plain SVG, no script, no external asset."""
    top, bar, label_w, width = max(n for _, n in flips), 22, 190, 420
    height = bar * len(flips) + 10
    rows = []
    for i, (label, n) in enumerate(flips):
        y, w = 5 + i * bar, max(2, round(width * n / top))
        rows.append(f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end">{_html.escape(label)}</text>'
                    f'<rect x="{label_w}" y="{y + 2}" width="{w}" height="{bar - 6}" fill="#4472c4"/>'
                    f'<text x="{label_w + w + 6}" y="{y + 15}">{n}</text>')
    return (f'<svg role="img" aria-label="decision changes" xmlns="http://www.w3.org/2000/svg" '
            f'width="{label_w + width + 60}" height="{height}" font-size="13">{"".join(rows)}</svg>')
