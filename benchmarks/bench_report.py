"""Benchmark the main command (build + notebooks + HTML export, issue 5). Prints figures; asserts nothing.

Scenarios, in a temporary folder so the checkout's data/processed and reports/ are left alone
(``--make`` runs the real ``make clean`` + ``make report`` in the checkout instead):

  cold          build from data/raw with an empty cache, then execute + export every notebook
  warm          the same command again, nothing changed (build cache hits, notebooks skipped)
  warm-forced   every notebook executed and exported again (``--force``), warm OS and build caches

Usage: python benchmarks/bench_report.py [--jobs N] [--make]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "raw"


def _run(cmd: list[str], *, cwd: Path = ROOT) -> float:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def _report(processed: Path, out: Path, *, jobs: int | None, force: bool) -> tuple[float, list]:
    from compare.report.notebooks import run_report

    t0 = time.perf_counter()
    result = run_report(processed=processed, out=out, jobs=jobs, force=force)
    return time.perf_counter() - t0, result.runs


def _print_runs(title: str, seconds: float, runs: list) -> None:
    print(f"{title:14s} report total {seconds:6.1f} s")
    for r in runs:
        print(f"{'':14s}   {r.name:24s} {r.status:9s} {r.seconds:6.1f} s")


def bench_tmp(jobs: int | None) -> None:
    py = sys.executable
    with tempfile.TemporaryDirectory(prefix="bench_report_") as tmp:
        processed, out = Path(tmp) / "processed", Path(tmp) / "reports"
        build = [py, "-m", "compare", "build", "--raw", str(RAW), "--out", str(processed), "--no-progress"]
        t_build = _run(build)
        t_rep, runs = _report(processed, out, jobs=jobs, force=False)
        print(f"cold           build {t_build:6.1f} s + report {t_rep:6.1f} s = {t_build + t_rep:6.1f} s")
        _print_runs("cold", t_rep, runs)
        t_build = _run(build)
        report_cmd = [py, "-m", "compare", "report", "--processed", str(processed), "--out", str(out)]
        t_rep = _run(report_cmd)
        print(
            f"warm           build {t_build:6.1f} s + report {t_rep:6.1f} s = {t_build + t_rep:6.1f} s (subprocesses)"
        )
        t_rep, runs = _report(processed, out, jobs=jobs, force=True)
        _print_runs("warm-forced", t_rep, runs)
        size = sum(p.stat().st_size for p in out.glob("*.html")) / 1e6
        print(f"HTML written: {len(list(out.glob('*.html')))} pages, {size:.1f} MB")


def bench_make() -> None:
    t_clean = _run(["make", "clean"])
    t_cold = _run(["make", "report"])
    t_warm = _run(["make", "report"])
    print(f"make clean {t_clean:.1f} s; make report cold {t_cold:.1f} s; warm {t_warm:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--jobs", type=int, default=None, help="notebooks executed at the same time")
    parser.add_argument("--make", action="store_true", help="run make clean + make report in the checkout")
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores, python {sys.version.split()[0]}")
    if args.make:
        bench_make()
    else:
        bench_tmp(args.jobs)


if __name__ == "__main__":
    main()
