"""Benchmark the build executors on a synthetic national corpus: time, throughput, memory of the process tree.

For each corpus size and executor, the build runs in a fresh child process (``--run-one``) while this
process samples the memory of the child and all its descendants (pool workers, Dask nannies and workers)
every ``--interval`` seconds: PSS (proportional set size, shared pages split between processes, so the sum is
the real footprint) through psutil, falling back to RSS from ``/proc``. Reported per run: seconds of the
build (pool / cluster start-up included), characters per second, ratio to serial, peak PSS of the whole tree,
peak PSS of the driver alone, the number of processes, and the CPU seconds of the whole tree (from
``RUSAGE_CHILDREN``). On a shared machine the wall-clock ratio depends on what else runs; the CPU figures
do not: ``uncontended_speedup`` = workers × serial CPU ÷ this run's CPU is the ratio the executor reaches
when its cores are free and the chunks balance (the load average before and after each run is recorded).

The build runs with ``use_cache=False`` (every document processed), ``write_csv=False``, ``gather=False``
(the national-corpus mode: the driver streams parts instead of holding every table) and ``keep_going``.

Driver memory per phase: the sampler keeps the driver's time series, and the build's own timings
(``build_info.json``: chunks, read, corpus stages, write, consecutive from the start of ``build()``) split
it, so each run also reports the driver's peak during each phase (``driver_peak_by_phase_mb``). With
``--profile-corpus`` the child also times the cross-document steps (each stage's ``corpus_tables``, the
TF-IDF second opinion, the document-level similarity and distinctive terms) into ``corpus_seconds``.

Usage::

    python benchmarks/bench_scale.py --docs 500 2000 --executors serial process dask --workers 2 \\
        --stages "" --json benchmarks/results/scale.json
    python benchmarks/bench_scale.py --docs 500 2000 --executors process --workers 2 --profile-corpus

``--stages ""`` runs the foundation pipeline only (read, clean, metadata, segment, tokenise); leave it out
to run the stage modules selected by ``POLICY_COMPARE_STAGES`` (default: themes and targets).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from synth import make_corpus  # noqa: E402


def _children_cpu() -> float:
    """User + system CPU seconds of every finished descendant (pool and Dask workers are waited for)."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _tree(pid: int) -> list:
    import psutil

    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def _memory(proc) -> int:
    """PSS of one process in bytes (RSS when PSS is unavailable); 0 if it has gone."""
    try:
        info = proc.memory_full_info()
        return int(getattr(info, "pss", info.rss))
    except Exception:  # the process ended between listing and reading
        return 0


class TreeSampler(threading.Thread):
    """Sample the memory of a process and its descendants until stopped."""

    def __init__(self, pid: int, interval: float) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peak_tree = self.peak_driver = self.max_procs = 0
        self.samples = 0
        self.driver_series: list[tuple[float, int]] = []  # (wall-clock time, driver bytes)
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            procs = _tree(self.pid)
            if procs:
                mems = [_memory(p) for p in procs]
                self.peak_tree = max(self.peak_tree, sum(mems))
                self.peak_driver = max(self.peak_driver, mems[0])
                if mems[0]:  # 0: the driver has just exited
                    self.driver_series.append((time.time(), mems[0]))
                self.max_procs = max(self.max_procs, len(procs))
                self.samples += 1
            self._halt.wait(self.interval)

    def stop(self) -> None:
        self._halt.set()
        self.join()

    def peaks_by_phase(self, start: float, timings: dict[str, float]) -> dict[str, float]:
        """Driver peak (MB) in each phase of the build (consecutive from ``start``, epoch seconds), before it
        (``start_up``) and after its timed phases (``after``)."""
        out, lo = {}, start
        for phase in ("chunks", "read", "corpus_stages", "write"):
            hi = lo + float(timings.get(phase, 0.0))
            inside = [m for t, m in self.driver_series if lo <= t <= hi]
            out[phase] = max(inside) / 2**20 if inside else None
            lo = hi
        after = [m for t, m in self.driver_series if t > lo]  # publishing, the result, the child's exit
        out["after"] = max(after) / 2**20 if after else None
        before = [m for t, m in self.driver_series if t < start]  # interpreter start-up and imports
        out["start_up"] = max(before) / 2**20 if before else None
        return out


def _timed(fn, name: str, seconds: dict[str, float]):
    """``fn`` that adds its run time to ``seconds[name]`` (signature kept: the build inspects it); a
    generator function is timed over its whole iteration."""
    import inspect

    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def gen(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                yield from fn(*args, **kwargs)
            finally:
                seconds[name] = seconds.get(name, 0.0) + time.perf_counter() - t0

        return gen

    @functools.wraps(fn)
    def inner(*args, **kwargs):
        t0 = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            seconds[name] = seconds.get(name, 0.0) + time.perf_counter() - t0

    return inner


def _profile_corpus(seconds: dict[str, float]) -> None:
    """Time the cross-document steps of this process's builds into ``seconds``."""
    import dataclasses
    import importlib

    from compare.comparison import streaming, term_counts
    from compare.pipeline import build as build_module
    from compare.pipeline.stages import selected_stages

    timed = tuple(
        dataclasses.replace(s, corpus_tables=_timed(s.corpus_tables, f"{s.name}.corpus_tables", seconds))
        for s in selected_stages()
    )
    build_module.selected_stages = lambda: timed
    steps = {
        "theme_suggestions": (term_counts.TermCounts, "suggestion_batches"),
        "alignment_groups": (importlib.import_module("compare.extraction.align"), "assign_groups"),
        "similarity_and_distinctive_terms": (streaming, "_document_tables"),
    }
    for label, (owner, attr) in steps.items():
        if hasattr(owner, attr):
            setattr(owner, attr, _timed(getattr(owner, attr), label, seconds))


def run_one(args: argparse.Namespace) -> None:
    """Child mode: one build, result as JSON on the last line of stdout."""
    import logging

    logging.basicConfig(level=logging.ERROR)
    from compare.pipeline.build import build

    corpus_seconds: dict[str, float] = {}
    if args.profile_corpus:
        _profile_corpus(corpus_seconds)
    start = time.time()
    t0 = time.perf_counter()
    result = build(
        args.raw,
        args.out,
        executor=args.executor,
        workers=args.workers,
        chunk_size=args.chunk_size,
        use_cache=False,
        write_csv=False,
        gather=False,
        keep_going=True,
    )
    seconds = time.perf_counter() - t0
    info = json.loads((Path(args.out) / "build_info.json").read_text(encoding="utf-8"))
    print(
        json.dumps(
            {
                "seconds": seconds,
                "n_documents": result.n_documents,
                "n_errors": len(result.errors),
                "rows": result.rows,
                "timings": info["run"]["timings"],
                "start": start,
                "corpus_seconds": {k: round(v, 3) for k, v in corpus_seconds.items()},
            }
        )
    )


def measure(
    raw: Path,
    executor: str,
    *,
    workers: int,
    chunk_size: int | None,
    interval: float,
    env: dict,
    profile_corpus: bool = False,
) -> dict:
    """Run one build in a child process and sample its process tree."""
    with tempfile.TemporaryDirectory(prefix="bench-out-") as out:
        cmd = [sys.executable, __file__, "--run-one", "--raw", str(raw), "--out", out, "--executor", executor]
        cmd += ["--workers", str(workers)]
        if chunk_size:
            cmd += ["--chunk-size", str(chunk_size)]
        if profile_corpus:
            cmd.append("--profile-corpus")
        load0 = os.getloadavg()[0]
        cpu0 = _children_cpu()
        t0 = time.perf_counter()
        child = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        sampler = TreeSampler(child.pid, interval)
        sampler.start()
        stdout, stderr = child.communicate()
        sampler.stop()
        wall = time.perf_counter() - t0
        cpu = _children_cpu() - cpu0
        if child.returncode != 0:
            raise RuntimeError(f"{executor} failed ({child.returncode}):\n{stderr[-3000:]}")
        result = json.loads(stdout.strip().splitlines()[-1])
    return {
        **result,
        "wall_seconds": wall,
        "cpu_seconds": cpu,
        "peak_tree_mb": sampler.peak_tree / 2**20,
        "peak_driver_mb": sampler.peak_driver / 2**20,
        "driver_peak_by_phase_mb": sampler.peaks_by_phase(result["start"], result["timings"]),
        # (seconds since the start of build(), MB): to place a peak within a phase
        "driver_series_mb": [
            (round(t - result["start"], 2), round(m / 2**20, 1)) for t, m in sampler.driver_series
        ],
        "processes": sampler.max_procs,
        "samples": sampler.samples,
        "load_before": load0,
        "load_after": os.getloadavg()[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, nargs="+", default=[2000])
    parser.add_argument("--executors", nargs="+", default=["serial", "process", "dask"])
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--chunk-size", type=int, default=None)
    parser.add_argument(
        "--stages", default=None, help='POLICY_COMPARE_STAGES for the build ("" = foundation)'
    )
    parser.add_argument("--interval", type=float, default=0.5, help="memory sampling interval (s)")
    parser.add_argument("--corpus-dir", type=Path, default=None, help="where to write the synthetic corpora")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    parser.add_argument(
        "--profile-corpus", action="store_true", help="time the cross-document steps (corpus_seconds)"
    )
    parser.add_argument("--run-one", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--raw", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--executor", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run_one:
        run_one(args)
        return

    env = dict(os.environ)
    if args.stages is not None:
        env["POLICY_COMPARE_STAGES"] = args.stages
    stages = env.get("POLICY_COMPARE_STAGES", "themes,targets") or "(foundation only)"
    base = args.corpus_dir or Path(tempfile.mkdtemp(prefix="bench-corpus-"))
    runs = []
    print(f"stages: {stages}; workers: {args.workers}; cpu: {os.cpu_count()}", flush=True)
    for n in args.docs:
        corpus = make_corpus(n, base / f"synth_{n}")
        print(f"corpus {n} documents, {corpus['characters']:,} characters", flush=True)
        serial_seconds = serial_cpu = None
        for executor in args.executors:
            r = measure(
                Path(corpus["folder"]),
                executor,
                workers=args.workers,
                chunk_size=args.chunk_size,
                interval=args.interval,
                env=env,
                profile_corpus=args.profile_corpus,
            )
            r.update(docs=n, characters=corpus["characters"], executor=executor, workers=args.workers)
            r["chars_per_second"] = corpus["characters"] / r["seconds"]
            r["seconds_per_document"] = r["seconds"] / n
            if executor == "serial":
                serial_seconds, serial_cpu = r["seconds"], r["cpu_seconds"]
            r["speedup_vs_serial"] = serial_seconds / r["seconds"] if serial_seconds else None
            # what the executor would reach with its cores to itself: serial CPU over this run's CPU per worker
            r["cpu_ratio_vs_serial"] = r["cpu_seconds"] / serial_cpu if serial_seconds else None
            r["uncontended_speedup"] = (
                args.workers * serial_cpu / r["cpu_seconds"]
                if serial_seconds and executor != "serial"
                else None
            )
            runs.append(r)
            speed = f"{r['speedup_vs_serial']:.2f}x" if r["speedup_vs_serial"] else "-"
            print(
                f"  {executor:8s} {r['seconds']:8.1f} s  {r['chars_per_second'] / 1000:7.1f} k chars/s  {speed:>6s}  "
                f"tree {r['peak_tree_mb']:7.0f} MB  driver {r['peak_driver_mb']:6.0f} MB  "
                f"{r['processes']} procs  cpu {r['cpu_seconds']:6.1f} s  errors {r['n_errors']}  "
                f"load {r['load_before']:.1f}->{r['load_after']:.1f}  timings {r['timings']}",
                flush=True,
            )
            phases = "  ".join(
                f"{k} {v:.0f} MB" if v is not None else f"{k} -"
                for k, v in r["driver_peak_by_phase_mb"].items()
            )
            print(f"           driver peak by phase: {phases}", flush=True)
            if r["corpus_seconds"]:
                print(f"           corpus seconds: {r['corpus_seconds']}", flush=True)
    print("driver peak (MB) per corpus size:", flush=True)
    for executor in args.executors:
        mine = [r for r in runs if r["executor"] == executor]
        cells = "  ".join(f"{r['docs']:,} docs {r['peak_driver_mb']:.0f}" for r in mine)
        print(f"  {executor:8s} {cells}", flush=True)
    report = {
        "stages": stages,
        "workers": args.workers,
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "runs": runs,
    }
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
