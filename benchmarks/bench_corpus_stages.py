"""Driver memory of the cross-document stages alone, on the chunk parts of a finished large-corpus build.

The full-build benchmark (``bench_scale.py``) measures the driver's resident memory, which also holds the
interpreter, imported libraries and pages the allocator keeps. This one isolates the cross-document
stages (``compare.tagging.themes`` and ``compare.extraction.targets`` ``corpus_tables`` with the build's
:class:`compare.core.store.TableSink`) on the ``parts/`` of an existing output folder, in a fresh child process
per folder, and reports for each:

- ``rss_peak_mb``: peak resident memory of the process (sampled every 20 ms), and ``rss_start_mb`` after
  the imports and before the stages;
- ``heap_*_mb``: what Python and numpy allocate (``tracemalloc``; Arrow buffers are not included): held
  between the phases (what the driver keeps), and the peak inside each phase;
- seconds per phase.

A corpus stage whose driver memory does not grow with the corpus has the same heap figures for 500 and
2,000 documents, apart from what is stated per document or per target.

Usage::

    python benchmarks/bench_corpus_stages.py --docs 500 2000 --root /tmp/corpora   # builds what is missing
    python benchmarks/bench_corpus_stages.py --out /tmp/corpora/out500 /tmp/corpora/out2000
    python benchmarks/bench_corpus_stages.py --out … --vector-budget-mb 4   # document vectors on disk
"""

from __future__ import annotations

import argparse
import functools
import inspect
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

#: The phases measured: (label, owner module, attribute); each is timed and its heap peak recorded.
PHASES = (
    ("themes_chunks", "compare.comparison.term_counts", "TermCounts.add_chunk"),
    ("emphasis", "compare.core.store", "TableSink.rewrite"),
    ("theme_suggestions", "compare.comparison.term_counts", "TermCounts.suggestion_batches"),
    ("similarity_and_distinctive_terms", "compare.comparison.streaming", "_document_tables"),
    ("only_here", "compare.comparison.streaming", "_only_here"),
    ("alignment_groups", "compare.extraction.align", "assign_groups"),
)


class _Phases:
    """Heap peak and seconds of each phase (a phase can run many times, e.g. once per chunk)."""

    def __init__(self) -> None:
        self.peak: dict[str, float] = {}
        self.seconds: dict[str, float] = {}
        self.held: dict[str, float] = {}

    def wrap(self, owner, attr: str, label: str) -> None:
        import tracemalloc

        fn = getattr(owner, attr)

        def record(t0: float, before: int) -> None:
            _, peak = tracemalloc.get_traced_memory()
            self.peak[label] = max(self.peak.get(label, 0.0), peak / 2**20)
            self.seconds[label] = self.seconds.get(label, 0.0) + time.perf_counter() - t0
            self.held.setdefault(label, before / 2**20)

        if inspect.isgeneratorfunction(fn):

            @functools.wraps(fn)
            def gen(*args, **kwargs):
                tracemalloc.reset_peak()
                before, t0 = tracemalloc.get_traced_memory()[0], time.perf_counter()
                yield from fn(*args, **kwargs)
                record(t0, before)

            setattr(owner, attr, gen)
            return

        @functools.wraps(fn)
        def inner(*args, **kwargs):
            tracemalloc.reset_peak()
            before, t0 = tracemalloc.get_traced_memory()[0], time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                record(t0, before)

        setattr(owner, attr, inner)


def run_one(out_dir: Path, *, vector_budget_mb: float | None = None) -> dict:
    """Child mode: the corpus stages on ``out_dir``'s parts; figures as a dict."""
    import importlib
    import logging
    import tracemalloc

    import psutil

    from compare.comparison import streaming

    if vector_budget_mb is not None:  # document vectors beyond this wait on disk
        streaming.DOCUMENT_VECTOR_BYTES = int(vector_budget_mb * 2**20)

    logging.basicConfig(level=logging.ERROR)
    proc = psutil.Process()
    peak_rss = [0]
    halt = threading.Event()

    def sample() -> None:
        while not halt.is_set():
            peak_rss[0] = max(peak_rss[0], proc.memory_info().rss)
            halt.wait(0.02)

    from compare.core.memory import release_memory, system_memory_pool
    from compare.core.store import TableSink
    from compare.pipeline.outputs import chunk_parts, read_for_corpus
    from compare.pipeline.stages import selected_stages

    importlib.import_module("sklearn.metrics.pairwise")  # imported by the stages anyway: not counted
    phases = _Phases()
    for label, module, attr in PHASES:
        owner = importlib.import_module(module)
        *path, name = attr.split(".")
        for part in path:
            owner = getattr(owner, part)
        phases.wrap(owner, name, label)
    parts = chunk_parts(out_dir)
    threading.Thread(target=sample, daemon=True).start()
    tracemalloc.start()
    rss_start = proc.memory_info().rss
    seconds = {}
    with (
        system_memory_pool(),
        tempfile.TemporaryDirectory(prefix="bench-corpus-") as tmp,
        TableSink(Path(tmp)) as sink,
    ):
        documents = read_for_corpus("documents", [p["documents"] for p in parts], gather=False)
        held_docs = tracemalloc.get_traced_memory()[0]
        for stage in selected_stages():
            name = stage.name
            t0 = time.perf_counter()
            stage.corpus_tables({"documents": documents}, parts=parts, sink=sink)
            release_memory()
            seconds[name] = round(time.perf_counter() - t0, 1)
        held_end = tracemalloc.get_traced_memory()[0]
        rows = {name: sink.rows[name] for name in sink.close()}
    halt.set()
    return {
        "folder": str(out_dir),
        "document_vector_budget_mb": streaming.DOCUMENT_VECTOR_BYTES / 2**20,
        "documents": len(documents),
        "targets": rows.get("targets"),
        "rss_start_mb": round(rss_start / 2**20),
        "rss_peak_mb": round(peak_rss[0] / 2**20),
        "heap_documents_table_mb": round(held_docs / 2**20, 1),
        "heap_held_before_mb": {k: round(v, 1) for k, v in phases.held.items()},
        "heap_peak_mb": {k: round(v, 1) for k, v in phases.peak.items()},
        "heap_held_at_end_mb": round(held_end / 2**20, 1),
        "phase_seconds": {k: round(v, 1) for k, v in phases.seconds.items()},
        "stage_seconds": seconds,
        "rows": rows,
    }


def _build(n: int, root: Path, workers: int) -> Path:
    """Build ``n`` synthetic documents into ``root/out<n>`` (large-corpus mode) unless already there."""
    out = root / f"out{n}"
    if (out / "build_info.json").exists():
        return out
    from synth import make_corpus

    from compare.pipeline.build import build

    raw = root / f"raw{n}"
    make_corpus(n, raw)
    build(raw, out, executor="process", workers=workers, use_cache=False, write_csv=False, gather=False)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, nargs="*", default=[], help="output folders of earlier builds")
    parser.add_argument("--docs", type=int, nargs="*", default=[], help="synthetic corpus sizes to build")
    parser.add_argument("--root", type=Path, default=None, help="where --docs builds go (kept for re-runs)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    parser.add_argument(
        "--vector-budget-mb",
        type=float,
        default=None,
        help="override compare.comparison.streaming.DOCUMENT_VECTOR_BYTES (document vectors kept in memory)",
    )
    parser.add_argument("--run-one", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run_one:
        print(json.dumps(run_one(args.run_one, vector_budget_mb=args.vector_budget_mb)))
        return
    folders = list(args.out)
    if args.docs:
        root = args.root or Path(tempfile.mkdtemp(prefix="bench-corpus-stages-"))
        folders += [_build(n, root, args.workers) for n in args.docs]
    results = []
    for folder in folders:
        cmd = [sys.executable, __file__, "--run-one", str(folder)]
        if args.vector_budget_mb is not None:
            cmd += ["--vector-budget-mb", str(args.vector_budget_mb)]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise SystemExit(f"{folder}: failed\n{done.stderr[-3000:]}")
        result = json.loads(done.stdout.strip().splitlines()[-1])
        results.append(result)
        print(json.dumps(result, ensure_ascii=False, indent=1), flush=True)
    if len(results) > 1:
        print("\nheap peak per phase (MB), by corpus size:")
        for label, *_ in PHASES:
            print(f"  {label:34s}" + "".join(f"{r['heap_peak_mb'].get(label, 0):>9.1f}" for r in results))
        print(f"  {'held at the end':34s}" + "".join(f"{r['heap_held_at_end_mb']:>9.1f}" for r in results))
        print(f"  {'RSS peak':34s}" + "".join(f"{r['rss_peak_mb']:>9d}" for r in results))
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
