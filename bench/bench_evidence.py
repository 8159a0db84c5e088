"""The evidence stage measured on the annotated corpus (corpus/notes, see corpus/README.md): precision, recall and F1
per fact type on the dev and the test split, modifier errors (negation, family, hypothetical, uncertain, another
device) counted separately, throughput (notes/s on one core, median of several passes) and peak memory.

    python bench/bench_evidence.py [--passes 5] [--split dev|test|all] [--show-errors] [--corpus DIR]

A predicted fact matches a gold fact when the path and the value are equal (a record: each of the gold record's
keys equal) and the spans overlap; each gold fact is matched once. Targets on the test split: F1 >= 0.95 overall,
no negation or family errors, >= 20 notes/s of ~500 words, peak RSS under 400 MB.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import statistics
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus" / "notes"
GROUPED = ("clinical.psychiatric", "clinical.findings", "clinical.trial_result", "clinical.spasticity")


def fact_type(path: str) -> str:
    parent = path.rsplit(".", 1)[0]
    return parent if parent in GROUPED else path


def same_value(gold, predicted) -> bool:
    if isinstance(gold, dict):
        return isinstance(predicted, dict) and all(same_value(v, predicted.get(k)) for k, v in gold.items())
    if isinstance(gold, bool) or isinstance(predicted, bool):
        return gold is predicted
    if isinstance(gold, int | float) and isinstance(predicted, int | float):
        return abs(gold - predicted) < 1e-6
    return gold == predicted


def overlaps(a: dict, b: dict) -> bool:
    return a["start"] < b["end"] and b["start"] < a["end"]


def score_note(gold: dict, predicted: list[dict]) -> dict:
    tp, fp, fn = Counter(), Counter(), Counter()
    errors: list[tuple[str, str, dict]] = []
    used = set()
    for p in predicted:
        match = next((i for i, g in enumerate(gold["facts"]) if i not in used and g["path"] == p["path"]
                      and same_value(g["value"], p["value"]) and overlaps(g, p)), None)
        if match is not None:
            used.add(match)
            tp[fact_type(p["path"])] += 1
            continue
        fp[fact_type(p["path"])] += 1
        errors.append(("false positive", fact_type(p["path"]), p))
    for i, g in enumerate(gold["facts"]):
        if i not in used:
            fn[fact_type(g["path"])] += 1
            errors.append(("missed", fact_type(g["path"]), g))
    modifier = Counter()
    for p in predicted:
        for t in gold.get("traps", []):
            if not overlaps(t, p):
                continue
            if t["why"] == "not_negation" and "negated" in p.get("modifiers", []):
                modifier["negation"] += 1
            elif t["why"] != "not_negation" and t["path"] == p["path"]:
                modifier[t["why"]] += 1
        for g in gold["facts"]:  # the wrong polarity against a negated gold fact, or a negation where there is none
            if g["path"] == p["path"] and overlaps(g, p) and not same_value(g["value"], p["value"]) \
                    and isinstance(g["value"], bool) and isinstance(p["value"], bool):
                modifier["negation"] += 1
    return {"tp": tp, "fp": fp, "fn": fn, "modifier": modifier, "errors": errors}


def load(split: str, corpus: Path = CORPUS) -> list[tuple[dict, str]]:
    out = []
    for path in sorted(corpus.glob("*.gold.json")):
        gold = json.loads(path.read_text(encoding="utf-8"))
        if split in ("all", gold["split"]):
            out.append((gold, (corpus / gold["note"]).read_text(encoding="utf-8")))
    return out


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def report(split: str, notes: list[tuple[dict, str]], show_errors: bool) -> None:
    from priorauth.evidence.extractor import extract_note

    tp, fp, fn, modifier = Counter(), Counter(), Counter(), Counter()
    errors = defaultdict(list)
    for gold, text in notes:
        found = extract_note(text, dt.date.fromisoformat(gold["date"]))
        s = score_note(gold, [f.to_dict() for f in found.facts])
        tp.update(s["tp"])
        fp.update(s["fp"])
        fn.update(s["fn"])
        modifier.update(s["modifier"])
        for kind, ftype, f in s["errors"]:
            errors[gold["note"]].append((kind, ftype, f))
    print(f"\n== {split}: {len(notes)} notes ==")
    print(f"{'fact type':34} {'gold':>5} {'found':>5} {'P':>6} {'R':>6} {'F1':>6}")
    for t in sorted(set(tp) | set(fp) | set(fn)):
        p, r, f1 = prf(tp[t], fp[t], fn[t])
        print(f"{t:34} {tp[t] + fn[t]:5} {tp[t] + fp[t]:5} {p:6.2f} {r:6.2f} {f1:6.2f}")
    p, r, f1 = prf(sum(tp.values()), sum(fp.values()), sum(fn.values()))
    print(f"{'overall':34} {sum(tp.values()) + sum(fn.values()):5} {sum(tp.values()) + sum(fp.values()):5} "
          f"{p:6.2f} {r:6.2f} {f1:6.2f}")
    kinds = ("negation", "family", "hypothetical", "uncertain", "other_device")
    print("modifier errors: " + ", ".join(f"{k} {modifier[k]}" for k in kinds))
    if show_errors:
        for note, items in errors.items():
            for kind, _type, f in items:
                where = f"[{f['start']}:{f['end']}]"
                print(f"  {note}: {kind}: {f['path']} = {json.dumps(f['value'])} {f['text']!r} {where}")


def throughput(notes: list[tuple[dict, str]], passes: int) -> None:
    from priorauth.evidence.extractor import extract_note

    words = statistics.mean(len(text.split()) for _, text in notes)
    rates = []
    for _ in range(passes):
        start = time.thread_time()
        for gold, text in notes:
            extract_note(text, dt.date.fromisoformat(gold["date"]))
        rates.append(len(notes) / (time.thread_time() - start))
    scaled = statistics.median(rates) * words / 500
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\nthroughput: {statistics.median(rates):.1f} notes/s (median of {passes} passes, thread CPU time, one "
          f"core), {words:.0f} words a note on average = {scaled:.1f} notes of 500 words/s; peak RSS {rss:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--passes", type=int, default=5)
    parser.add_argument("--split", choices=["dev", "test", "all"], default="all")
    parser.add_argument("--show-errors", action="store_true", help="list every false positive and miss")
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="folder of notes and their gold (corpus/notes)")
    args = parser.parse_args()
    if not args.corpus.is_dir():
        sys.exit(f"no corpus at {args.corpus}")
    splits = ["dev", "test"] if args.split == "all" else [args.split]
    t0 = time.perf_counter()
    from priorauth.evidence.extractor import extract_note

    extract_note("warm up: chronic pain.", dt.date(2025, 1, 1))
    print(f"pipeline built in {time.perf_counter() - t0:.2f} s")
    for split in splits:
        report(split, load(split, args.corpus), args.show_errors)
    throughput(load("all", args.corpus), args.passes)


if __name__ == "__main__":
    main()
