"""The whole build, every stage, against the bare tokenizer measured in the same run. Prints figures; asserts
nothing.

Corpora:
  seeds   the five seeds in ``data/raw``
  real    real-shaped documents: every labelled document the tests use (the seeds, ``tests/data/composed/*``
          and ``tests/data/real/*``), copied under distinct file names until there are ``--docs`` of them
  long    with ``--long N``: N full-length plans recombined from the seeds' paragraphs (``synth.py``; median
          about 10 k characters), as users drop in whole plans rather than page openings

Runs (each in a fresh subprocess, the Python environment warm: imports and the jieba dictionary cache are on
disk, the output folder empty unless "warm"):
  cold-serial    empty output folder, serial executor, with a per-stage profile
  warm-serial    the same build again, nothing changed (the previous outputs are the answer)
  cold-process   empty output folder, process executor, ``--workers`` workers
  tokenizer      bare jieba (the project's dictionary, one ``jieba.Tokenizer``) over the same cleaned text;
                 also rjieba when installed

For every run: wall seconds of ``build()``, seconds of the whole child process (imports included),
characters per second (cleaned characters), the ratio to the bare jieba throughput, peak RSS of the child
(with ``process``: of the largest worker too). The cold serial run also prints the share of time per stage.

Usage: python benchmarks/bench_whole_build.py [--docs 99] [--long 50] [--workers 2] [--repeat 3] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "data" / "raw"
LABELLED = [SEEDS, *sorted((ROOT / "tests" / "data" / "composed").glob("[a-z]")),
            *sorted((ROOT / "tests" / "data" / "real").glob("*/"))]  # fmt: skip
DOC_SUFFIXES = {".txt", ".html", ".htm", ".docx", ".pdf"}

#: Where the profile wraps the pipeline (module, attribute, label). Labels of nested calls are reported
#: as their own rows; a parent's row is its time minus its profiled children's.
PROFILE = (
    ("compare.pipeline.chunks", "read_document", "read"),
    ("compare.pipeline.chunks", "clean_text", "clean"),
    ("compare.pipeline.chunks", "document_row", "metadata"),
    ("compare.pipeline.chunks", "split_passages", "segment"),
    ("compare.pipeline.chunks", "split_sentences", "segment"),
    ("compare.pipeline.chunks", "tokenize", "tokenize"),
    ("compare.pipeline.stages", "tag_sentences", "themes: sentences"),
    ("compare.pipeline.stages", "tag_passages", "themes: passages"),
    ("compare.pipeline.stages", "tag_instruments", "instruments"),
    ("compare.pipeline.stages", "sentence_strength", "strength"),
    ("compare.pipeline.stages", "targets_for", "targets"),
    ("compare.pipeline.stages", "extract_timeline", "timeline"),
    ("compare.pipeline.chunks", "chunk_tables", "chunk: concat + validate"),
    ("compare.pipeline.chunks", "write_parquet", "chunk: write parts"),
    ("compare.pipeline.chunks", "cache_load", "cache: read"),
    ("compare.pipeline.build", "_plan_chunks", "plan (hash files)"),
    ("compare.pipeline.outputs", "read_for_corpus", "corpus: read parts"),
    ("compare.pipeline.stages", "theme_corpus_tables", "corpus: themes stage"),
    ("compare.pipeline.stages", "target_corpus_tables", "corpus: targets stage"),
    ("compare.pipeline.outputs", "consolidate", "write: consolidate parquet"),
    ("compare.pipeline.outputs", "csv_from_parquet", "write: csv"),
    ("compare.core.store", "write_csv", "write: csv"),
)


#: Prefix of the rows timed in the build's background publishing thread: they overlap the driver's work, so
#: they are printed apart and not counted in the shares of the wall time.
BACKGROUND = "background: "


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _children_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def make_real_corpus(folder: Path, n_docs: int) -> Path:
    """``n_docs`` documents: the labelled documents, copied under distinct names as often as needed."""
    files = [p for d in LABELLED if d.is_dir() for p in sorted(d.iterdir()) if p.suffix in DOC_SUFFIXES]
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n_docs):
        src = files[i % len(files)]
        shutil.copyfile(src, folder / f"{src.stem}_c{i // len(files):02d}{src.suffix}")
    return folder


def _install_profile(seconds: dict[str, float]) -> None:
    import dataclasses
    import functools
    import importlib
    import threading

    local = threading.local()  # one stack per thread: the build publishes in a background thread

    def timed(fn, label):
        @functools.wraps(fn)
        def inner(*args, **kwargs):
            stack = local.__dict__.setdefault("stack", [])
            stack.append([0.0])
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                total = time.perf_counter() - t0
                children = stack.pop()[0]
                background = threading.current_thread() is not threading.main_thread()
                seconds[f"{BACKGROUND}{label}" if background else label] += total - children  # self time
                if stack:
                    stack[-1][0] += total

        return inner

    for module, attr, label in PROFILE:
        mod = importlib.import_module(module)
        setattr(mod, attr, timed(getattr(mod, attr), label))
    # the stage registry was built with the unwrapped corpus steps: rebuild it from the wrapped names
    stages = importlib.import_module("compare.pipeline.stages")
    stages.STAGES = (
        dataclasses.replace(stages.STAGES[0], corpus_tables=stages.theme_corpus_tables),
        dataclasses.replace(stages.STAGES[1], corpus_tables=stages.target_corpus_tables),
    )


def child(args: argparse.Namespace) -> None:
    """One run in this process; prints one JSON line."""
    t_start = time.perf_counter()
    if args.mode == "tokenizer":
        print(json.dumps(_tokenizer_run(Path(args.raw))))
        return
    from compare.pipeline.build import build

    seconds: dict[str, float] = defaultdict(float)
    if args.profile:
        _install_profile(seconds)
    t0 = time.perf_counter()
    result = build(args.raw, args.out, executor=args.executor, workers=args.workers, keep_going=True)
    secs = time.perf_counter() - t0
    docs = result.tables["documents"]
    print(
        json.dumps(
            {
                "mode": args.mode,
                "docs": result.n_documents,
                "cached": result.n_cached,
                "chars": int(docs["n_chars_clean"].sum()),
                "seconds": secs,
                "process_seconds": time.perf_counter() - t_start,
                "peak_mb": _peak_mb(),
                "worker_peak_mb": _children_peak_mb(),
                "profile": dict(seconds),
            }
        )
    )


def _tokenizer_run(raw: Path) -> dict:
    """Bare jieba (and rjieba) over the cleaned text of every document of ``raw``."""
    import logging

    import jieba

    from compare.text.clean import clean_text
    from compare.text.readers import read_document

    jieba.setLogLevel(logging.ERROR)
    texts = [
        clean_text(read_document(p).text).text for p in sorted(raw.iterdir()) if p.suffix in DOC_SUFFIXES
    ]
    chars = sum(len(t) for t in texts)
    from compare.text.tokenize import get_tokenizer

    cut = get_tokenizer("jieba")  # the project's jieba.Tokenizer with the education dictionary
    cut("预热")
    t0 = time.perf_counter()
    for t in texts:
        cut(t)
    out = {"mode": "tokenizer", "chars": chars, "seconds": time.perf_counter() - t0}
    try:
        rj = get_tokenizer("rjieba")
    except ImportError:
        return out
    rj("预热")
    t0 = time.perf_counter()
    for t in texts:
        rj(t)
    out["rjieba_seconds"] = time.perf_counter() - t0
    return out


def _spawn(mode: str, raw: Path, out: Path, *, executor: str = "serial", workers: int = 1, profile=False):
    cmd = [sys.executable, __file__, "--child", mode, "--raw", str(raw), "--out", str(out)]
    cmd += ["--executor", executor, "--workers", str(workers)] + (["--profile"] if profile else [])
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"{mode} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run_corpus(name: str, raw: Path, work: Path, *, workers: int, repeat: int) -> dict:
    runs: dict[str, list[dict]] = defaultdict(list)
    for _ in range(repeat):  # interleaved, so a disturbance hits every kind of run alike
        runs["tokenizer"].append(_spawn("tokenizer", raw, work / "unused"))
        out = work / f"{name}-serial"
        shutil.rmtree(out, ignore_errors=True)
        runs["cold-serial"].append(_spawn("cold-serial", raw, out, profile=True))
        runs["warm-serial"].append(_spawn("warm-serial", raw, out))
        out = work / f"{name}-process"
        shutil.rmtree(out, ignore_errors=True)
        runs["cold-process"].append(_spawn("cold-process", raw, out, executor="process", workers=workers))
    tok = min(runs["tokenizer"], key=lambda r: r["seconds"])
    jieba_cps = tok["chars"] / tok["seconds"]
    print(f"\n== {name}: {raw} ==")
    line = f"bare jieba {jieba_cps / 1000:,.0f} k chars/s ({tok['chars']:,} chars, fastest of {repeat})"
    if "rjieba_seconds" in tok:
        line += f"; rjieba {tok['chars'] / tok['rjieba_seconds'] / 1000:,.0f} k chars/s"
    print(line)
    summary = {"corpus": name, "jieba_chars_per_second": jieba_cps, "runs": {}}
    for mode in ("cold-serial", "warm-serial", "cold-process"):
        best = min(runs[mode], key=lambda r: r["seconds"])
        med = statistics.median(r["seconds"] for r in runs[mode])
        cps = best["chars"] / best["seconds"]
        print(
            f"{mode:13s} {best['docs']:4d} docs  build {best['seconds']:6.2f} s (median {med:.2f})  "
            f"process {best['process_seconds']:6.2f} s  {cps / 1000:7.1f} k chars/s  "
            f"{cps / jieba_cps:5.2f}x jieba  peak {best['peak_mb']:.0f} MB"
            + (f" (largest worker {best['worker_peak_mb']:.0f} MB)" if mode == "cold-process" else "")
        )
        summary["runs"][mode] = {**best, "median_seconds": med, "ratio_to_jieba": cps / jieba_cps}
    prof = min(runs["cold-serial"], key=lambda r: r["seconds"])
    total = prof["seconds"]
    rows = sorted(
        ((k, v) for k, v in prof["profile"].items() if not k.startswith(BACKGROUND)), key=lambda kv: -kv[1]
    )
    other = total - sum(v for _, v in rows)
    print(f"share of the cold serial build ({total:.2f} s):")
    for label, secs in [*rows, ("other (driver, hashing, glue)", other)]:
        print(f"  {label:32s} {secs:6.2f} s  {100 * secs / total:5.1f} %")
    background = sorted((k, v) for k, v in prof["profile"].items() if k.startswith(BACKGROUND))
    if background:
        print(
            "overlapping the corpus steps (not in the shares above; the driver's wait for it is in 'other'):"
        )
        for label, secs in background:
            print(f"  {label:32s} {secs:6.2f} s")
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--docs", type=int, default=99, help="documents in the real-shaped corpus (0: skip it)"
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--long",
        type=int,
        default=0,
        help="also N full-length synthetic plans (benchmarks/synth.py, ~12 k chars each)",
    )
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--raw", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--out", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--executor", default="serial", help=argparse.SUPPRESS)
    parser.add_argument("--profile", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        args.mode = args.child
        child(args)
        return
    with tempfile.TemporaryDirectory(prefix="bench-whole-") as tmp:
        work = Path(tmp)
        # warm the environment: imports, bytecode and the jieba dictionary cache
        _spawn("cold-serial", SEEDS, work / "warmup")
        results = [run_corpus("seeds", SEEDS, work, workers=args.workers, repeat=args.repeat)]
        if args.docs > 0:  # --docs 0 skips the real-shaped corpus (an empty folder is not a corpus)
            real = make_real_corpus(work / "real-raw", args.docs)
            results.append(run_corpus("real", real, work, workers=args.workers, repeat=args.repeat))
        if args.long:  # full-length plans: the labelled texts are mostly page openings of 0.3-6 k characters
            sys.path.insert(0, str(Path(__file__).resolve().parent))
            from synth import make_corpus

            make_corpus(args.long, work / "long-raw")
            results.append(
                run_corpus("long", work / "long-raw", work, workers=args.workers, repeat=args.repeat)
            )
    print(f"\nmachine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
