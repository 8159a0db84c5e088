"""The policy linter: schema (with line numbers), facts and predicates, ids, and verbatim quotes.

The payers' source documents are not in the repository; each policy records its source file name and
SHA-256, and quotes are checked against the file when it is at hand (../shared/seeds by default).
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from priorauth.errors import PriorAuthError
from priorauth.policy.loader import load_policy_file, policy_files
from priorauth.policy.model import Policy, Source, Span

_SPACE = re.compile(r"\s+")


def normalize(text: str) -> str:
    """Compare quotes up to whitespace; typographic quotes and apostrophes are folded to ASCII."""
    text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    return _SPACE.sub(" ", text).strip()


def default_sources_dir() -> Path | None:
    env = os.environ.get("PRIORAUTH_SOURCES")
    if env:
        return Path(env)
    repo = Path(__file__).resolve().parents[3]
    for candidate in (Path.cwd() / "../shared/seeds", Path.cwd() / "shared/seeds", repo / "../shared/seeds"):
        if candidate.is_dir():
            return candidate.resolve()
    return None


@dataclass
class FileReport:
    path: Path
    policy: Policy | None = None
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    quotes_checked: int = 0


def lint_policy(policy: Policy, path: Path, sources: Path | None, required: bool = False) -> FileReport:
    """`required`: the source documents were named explicitly, so a missing one is an error, not a note."""
    report = FileReport(path, policy)
    folder = path.parent
    if not (folder / "NOTES.md").is_file():
        report.errors.append(f"{path}: no NOTES.md beside the policy (record the interpretive choices)")
    texts: dict[int, list[str] | None] = {}
    for src in [policy.source, *policy.sources]:
        texts[id(src)] = _source_lines(src, path, sources, required, report)
    for src in [policy.source, *policy.sources]:
        _check_sections(src, texts[id(src)], path, report)
    for element in policy.cited():
        src = policy.source_of(element)
        lines = texts[id(src)]
        if lines is None:
            continue
        ident = getattr(element, "id", "?")
        span: Span | None = src.within
        if src.sections:
            span = src.section_for(element.section)
            if span is None:
                report.errors.append(f"{path}: {ident}: section “{element.section}” is not under any of "
                                     f"{src.file}'s sections ({', '.join(s.section for s in src.sections)})")
                continue
        report.quotes_checked += 1
        text = _span_text(lines, span)
        if text is None or normalize(element.quote) not in text:
            where = f" between “{span.from_}” and “{span.to or 'the end'}”" if span else ""
            report.errors.append(f"{path}: {ident}: quote not found verbatim in {src.file}{where}: "
                                 f"\"{element.quote[:80]}\"")
    return report


def _source_lines(src: Source, path: Path, sources: Path | None, required: bool,
                  report: FileReport) -> list[str] | None:
    """The lines of a source document, or None when the file is not at hand; a missing file or a wrong hash is
    reported."""
    found = sources / src.file if sources else None
    if found is None or not found.is_file():
        where = sources or "no sources directory found"
        message = f"{path}: source {src.file} is not at hand ({where}): quotes not checked"
        (report.errors if required else report.notes).append(message)
        return None
    raw = found.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    if digest != src.sha256:
        report.errors.append(f"{path}: source.sha256 does not match {found} (file has {digest})")
    return raw.decode("utf-8").splitlines()


def _span_text(lines: list[str], span: Span | None) -> str | None:
    """The normalized text from the first line containing `span.from_` up to the next line containing `span.to`
    (the whole document without a span; None when `from` is on no line)."""
    if span is None:
        return normalize("\n".join(lines))
    start = next((i for i, line in enumerate(lines) if span.from_ in line), None)
    if start is None:
        return None
    end = next((i for i in range(start + 1, len(lines)) if span.to and span.to in lines[i]), len(lines))
    return normalize("\n".join(lines[start:end]))


def _check_sections(src: Source, lines: list[str] | None, path: Path, report: FileReport) -> None:
    """Each span's `from` must be on a line (a marker that matches nothing would silently check nothing), and its
    `to` on a later one."""
    if lines is None:
        return
    for span, what in [(src.within, "within"), *((s, f"section “{s.section}”") for s in src.sections)]:
        if span is None:
            continue
        start = next((i for i, line in enumerate(lines) if span.from_ in line), None)
        if start is None:
            report.errors.append(f"{path}: source {src.file}: no line contains “{span.from_}” ({what}.from)")
        elif span.to and not any(span.to in line for line in lines[start + 1:]):
            report.errors.append(f"{path}: source {src.file}: no line after “{span.from_}” contains “{span.to}” "
                                 f"({what}.to)")


def lint_paths(paths: list[Path], sources: Path | None, required: bool = False) -> list[FileReport]:
    files: list[Path] = []
    for p in paths:
        files.extend(policy_files(p) if p.is_dir() else [p])
    reports = []
    for f in files:
        try:
            policy = load_policy_file(f)
        except PriorAuthError as exc:
            reports.append(FileReport(f, errors=[str(exc)]))
            continue
        reports.append(lint_policy(policy, f, sources, required))
    return reports
