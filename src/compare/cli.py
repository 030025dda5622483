"""Command-line interface: ``policy-compare`` (also ``python -m compare``).

The CLI only wires stages together; all analysis lives in the library.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from compare.core.config import NOTEBOOKS_DIR, PROCESSED_DATA_DIR, RAW_DATA_DIR, REPORTS_DIR

DESCRIPTION = """\
policy-compare: compare Chinese local education plans across cities.

Typical use:
  policy-compare build                      # data/raw -> data/processed (all tables)
  policy-compare build --raw my_plans --out my_processed --keep-going
  policy-compare info                       # what is in data/processed
  policy-compare report                     # executed notebooks + offline HTML briefings in reports/

Drop plan files (.txt in any Chinese encoding, .html, .docx, .pdf with a text layer) into the raw folder;
describe them in manifest.csv if you can (doc_id, city, province, genre, period …) — whatever the manifest
leaves out is inferred from the text and marked as inferred.
"""

BUILD_HELP = """\
Read every plan file in RAW, clean it (remove web/docx/scrape artefacts, repair OCR damage, convert
traditional to simplified), split it into passages and sentences, tokenise it, tag themes and extract
targets, and write the tables to OUT as Parquet and CSV (UTF-8 with BOM, opens in Excel).

Raw files are never modified. Documents that did not change since the last build are taken from the cache.
If a document cannot be read the build stops, names the file and the problem, and writes nothing;
with --keep-going it builds the others and lists the failures in OUT/errors.csv.
"""


REPORT_HELP = """\
Execute every notebook in NOTEBOOKS headless (papermill) on the processed tables and export each to a
standalone HTML page in OUT (the briefing without code), plus OUT/index.html linking them and
OUT/briefing_tables.xlsx (one sheet per key table). Pages open offline: charts are embedded.

  policy-compare report                                     # all documents
  policy-compare report --docs changzhou_2023 taizhou_js_2023 --out reports/changzhou_vs_taizhou
  policy-compare report --lang en                           # the briefing in English (default: zh, Chinese)
  policy-compare report --pdf                               # also OUT/00_briefing.pdf (A4, headless Chromium)

Notebooks whose inputs (notebook, processed data, code, parameters) did not change are not re-run.
Run `policy-compare build` first (`make report` does both).
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="policy-compare", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="show progress details and warnings")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    b = sub.add_parser(
        "build", help="build data/processed from the raw plan files", description=BUILD_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    b.add_argument(
        "--raw", type=Path, default=RAW_DATA_DIR, help="folder of raw plan files (default: %(default)s)"
    )
    b.add_argument(
        "--out", type=Path, default=PROCESSED_DATA_DIR, help="output folder (default: %(default)s)"
    )
    b.add_argument(
        "--executor",
        choices=("serial", "process", "dask"),
        default="serial",
        help="run documents one after another (serial), on all local cores (process), or on Dask (dask)",
    )
    b.add_argument(
        "--workers", type=int, default=None, help="number of worker processes (default: all cores)"
    )
    b.add_argument(
        "--address", default=None, help="address of a running Dask scheduler, e.g. tcp://10.0.0.5:8786"
    )
    b.add_argument("--keep-going", action="store_true", help="build the good documents even if some fail")
    b.add_argument("--no-cache", action="store_true", help="reprocess every document even if unchanged")
    b.add_argument("--no-csv", action="store_true", help="write Parquet only (faster for large corpora)")
    b.add_argument(
        "--tokenizer", choices=("jieba", "rjieba"), default=None, help="tokenizer backend (default: jieba)"
    )
    b.add_argument("--no-progress", action="store_true", help="hide the progress bar")

    i = sub.add_parser("info", help="summarise the processed tables")
    i.add_argument(
        "--out", type=Path, default=PROCESSED_DATA_DIR, help="processed folder (default: %(default)s)"
    )

    r = sub.add_parser(
        "report", help="execute the notebooks and export offline HTML briefings", description=REPORT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    r.add_argument("--docs", nargs="+", metavar="ID", default=None, help="compare only these doc ids")
    r.add_argument(
        "--cities", nargs="+", metavar="CITY", default=None, help="compare only these cities (e.g. 常州 泰州)"
    )
    r.add_argument("--out", type=Path, default=REPORTS_DIR, help="report folder (default: %(default)s)")
    r.add_argument(
        "--processed", type=Path, default=PROCESSED_DATA_DIR, help="processed tables (default: %(default)s)"
    )
    r.add_argument(
        "--notebooks", type=Path, default=NOTEBOOKS_DIR, help="notebook folder (default: %(default)s)"
    )
    r.add_argument(
        "--only", nargs="+", metavar="NAME", default=None, help="run only notebooks whose name contains NAME"
    )
    r.add_argument(
        "--force", action="store_true", help="re-run notebooks even if their inputs did not change"
    )
    r.add_argument(
        "--jobs", type=int, default=None, help="notebooks executed at the same time (default: all cores)"
    )
    r.add_argument(
        "--lang",
        choices=("zh", "en"),
        default="zh",
        help="language of the briefing (default: %(default)s, Chinese)",
    )
    r.add_argument(
        "--pdf", action="store_true", help="also print the briefing to OUT/00_briefing.pdf (needs chromium)"
    )
    return parser


def _cmd_build(args: argparse.Namespace) -> int:
    from compare.pipeline.build import build

    result = build(
        args.raw,
        args.out,
        executor="dask" if args.address else args.executor,  # an address means a running Dask cluster
        workers=args.workers,
        address=args.address,
        keep_going=args.keep_going,
        backend=args.tokenizer,
        use_cache=not args.no_cache,
        write_csv=not args.no_csv,
        progress=not args.no_progress,
    )
    rows = ", ".join(f"{name} {n}" for name, n in result.rows.items())  # large corpora keep tables on disk
    print(
        f"built {result.n_documents} document(s) ({result.n_cached} unchanged, from cache) "
        f"in {result.seconds:.1f} s -> {result.out_dir}\n  rows: {rows}"
    )
    for w in result.warnings:
        print(f"  warning: {w}", file=sys.stderr)
    if len(result.errors):
        print(
            f"{len(result.errors)} document(s) failed (see {result.out_dir / 'errors.csv'}):", file=sys.stderr
        )
        for r in result.errors.itertuples():
            print(f"  {r.file} [{r.stage}]: {r.message}", file=sys.stderr)
        return 3
    return 0


def _cmd_info(args: argparse.Namespace) -> int:
    from compare.core.store import load_corpus

    tables = load_corpus(args.out)
    for name, df in tables.items():
        print(f"{name:28s} {len(df):8d} rows")
    docs = tables.get("documents")
    if docs is not None:
        cols = [
            "doc_id",
            "city_label",
            "genre",
            "period_start",
            "period_end",
            "n_chars_clean",
            "metadata_source",
        ]
        print(docs[cols].to_string(index=False))
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from compare.report.notebooks import ReportError, run_report

    try:
        result = run_report(
            notebooks_dir=args.notebooks, processed=args.processed, out=args.out, docs=args.docs,
            only=args.only, force=args.force, jobs=args.jobs, cities=args.cities, lang=args.lang, pdf=args.pdf,
        )  # fmt: skip
    except ReportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 4
    for run in result.runs:
        print(f"  {run.name:28s} {run.status:9s} {run.seconds:6.1f} s  -> {run.html}")
    pdf = next((r.html.with_suffix(".pdf") for r in result.runs if "briefing" in r.name), None)
    if args.pdf and pdf is not None and pdf.exists():
        print(f"  {'PDF':28s} {'':9s} {'':8s} -> {pdf}")
    print(f"report in {result.seconds:.1f} s: open {result.index}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit code (0 ok, 2 bad input, 3 some documents failed, 4 a notebook failed)."""
    from compare.core.errors import PolicyCompareError

    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(message)s"
    )
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return {"build": _cmd_build, "info": _cmd_info, "report": _cmd_report}[args.command](args)
    except PolicyCompareError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
