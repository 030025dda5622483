#!/usr/bin/env python
"""Score target and commitment extraction on every labelled set and write what the project reports.

Builds each set of ``tests/data/extraction_sets.csv`` (seeds, tuned and blind sets), scores its targets and
dated commitments against the hand labels and writes:

- ``src/compare/resources/validation.csv``: pooled rows ``seeds`` / ``tuned`` / ``blind`` (the briefing's
  methods box reads it; the blind row is the figure a reader should trust);
- ``docs/validation.md``: the table per set and every miss, by kind.

The blind sets are never tuned on: run this after a change to report its effect, not to steer it.
Usage: python scripts/validate_extraction.py [--work /tmp/pc-validation]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import pandas as pd

from compare.pipeline.validation import combine_sets, extraction_sets, validate_extraction

ROOT = Path(__file__).resolve().parents[1]
SETS = ROOT / "tests" / "data" / "extraction_sets.csv"
OUT_CSV = ROOT / "src" / "compare" / "resources" / "validation.csv"
OUT_MD = ROOT / "docs" / "validation.md"


def pct(v) -> str:
    return "" if pd.isna(v) else f"{100 * v:.1f}"


def markdown(scores: pd.DataFrame, pooled: pd.DataFrame, misses: pd.DataFrame, sets: pd.DataFrame) -> str:
    lines = [
        "# Extraction validation",
        "",
        "Written by `python scripts/validate_extraction.py` (do not edit by hand). Targets match when their number",
        "starts at the labelled position; unit, comparator and year accuracies are over matched targets (year:",
        "of those the labeller dated). Commitments match when their phrase overlaps the labelled one; their year",
        "accuracy is over matched commitments with a labelled year. Blind sets were labelled before the",
        "extractor ran on them and are never tuned on.",
        "",
        "| set | status | docs | targets | P | R | unit | comparator | year | commitments | P | R |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in scores.to_dict("records"):
        lines.append(
            f"| {r['set']} | {r['status']} | {r['n_docs']} | {int(r['n_expected'])} | {pct(r['precision'])} | "
            f"{pct(r['recall'])} | {pct(r['unit_exact'])} | {pct(r['comparator_exact'])} | "
            f"{pct(r['year_exact'])} | {'' if pd.isna(r.get('c_expected')) else int(r['c_expected'])} | "
            f"{pct(r.get('c_precision'))} | {pct(r.get('c_recall'))} |"
        )
    lines += ["", "Pooled (what `resources/validation.csv` holds):", "",
              "| set | docs | targets | P | R | unit | comparator | year | commitments P | commitments R |",
              "|---|---|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for r in pooled.to_dict("records"):
        lines.append(
            f"| {r['set']} | {r['n_docs']} | {r['n_expected']} | {pct(r['precision'])} | {pct(r['recall'])} | "
            f"{pct(r['unit_exact'])} | {pct(r['comparator_exact'])} | {pct(r['year_exact'])} | "
            f"{pct(r['commitment_precision'])} | {pct(r['commitment_recall'])} |"
        )
    lines += ["", "## The sets", ""]
    for r in sets.to_dict("records"):
        lines.append(f"- **{r['set']}** ({r['status']}): {r['note']}")
    lines += ["", "## Misses by kind", ""]
    if len(misses):
        counts = misses.groupby(["set", "what", "kind"]).size().rename("n").reset_index()
        lines += ["| set | what | kind | n |", "|---|---|---|---|"]
        lines += [f"| {r.set} | {r.what} | {r.kind} | {r.n} |" for r in counts.itertuples()]
        lines += [
            "",
            "| set | what | kind | document | text | expected | predicted |",
            "|---|---|---|---|---|---|---|",
        ]
        for r in misses.fillna("").to_dict("records"):
            cells = [str(r.get(k, "")).replace("|", "/").replace("\n", " ")[:90] for k in
                     ("set", "what", "kind", "doc_id", "text", "expected", "predicted")]  # fmt: skip
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", type=Path, default=None, help="keep the builds here (default: a temp folder)")
    args = ap.parse_args()
    sets = extraction_sets(SETS)
    with tempfile.TemporaryDirectory(prefix="pc-validation-") as tmp:
        work = args.work or Path(tmp)
        scores, misses = validate_extraction(sets, which=("tuned", "blind"), work_dir=work)
    pooled = combine_sets(scores)
    pooled.round(6).to_csv(OUT_CSV, index=False)  # 6 places: a percentage shown with one decimal rounds once
    OUT_MD.write_text(markdown(scores, pooled, misses, sets), encoding="utf-8")
    with pd.option_context("display.width", 200, "display.max_columns", 30):
        print(scores.round(3).to_string(index=False))
        print()
        print(pooled.round(3).to_string(index=False))
    print(f"\nwrote {OUT_CSV.relative_to(ROOT)} and {OUT_MD.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
