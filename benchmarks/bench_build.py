"""Benchmark the foundation build (issue 2). Prints figures; asserts nothing.

Scenarios (each in a fresh subprocess so peak memory is its own):
  seeds-cold   the 5 seeds, empty cache (tokenizer dictionary load included)
  seeds-warm   the 5 seeds again, unchanged (per-document cache)
  synth        N synthetic documents recombined from seed passages (benchmarks/synth.py), empty cache
  tokenizer    bare tokenizer throughput on the same cleaned text as synth-200 (the ceiling)

The foundation build (documents, passages, sentences, tokens, repairs) is what issue 2 measures, so the
stage modules are off by default; ``--stages themes,targets`` adds them (POLICY_COMPARE_STAGES).

The machine is usually shared, so ``synth`` and ``tokenizer`` run ``--repeat`` times, interleaved, and the
ratio uses the fastest run of each (the least disturbed; the median is printed too). Each run also reports its
own CPU seconds (``cpu``), which other processes disturb less than wall-clock seconds.

Usage: python benchmarks/bench_build.py [--docs 200] [--repeat 3] [--stages themes,targets]
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
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "raw"


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_scenario(name: str, workdir: Path) -> dict:
    from compare.pipeline.build import build

    if name in ("seeds-cold", "seeds-warm"):
        out = workdir / "seeds-out"
        t0 = time.perf_counter()
        result = build(RAW, out, use_cache=True)
        secs = time.perf_counter() - t0
        chars = int(result.tables["documents"]["n_chars_raw"].sum())
        return {"scenario": name, "docs": result.n_documents, "cached": result.n_cached, "seconds": secs,
                "chars": chars, "peak_mb": _peak_mb()}  # fmt: skip
    if name == "synth":
        raw, out = workdir / "synth-raw", workdir / "synth-out"
        shutil.rmtree(out, ignore_errors=True)
        t0, c0 = time.perf_counter(), time.process_time()
        result = build(raw, out, use_cache=False, write_csv=False)
        secs, cpu = time.perf_counter() - t0, time.process_time() - c0
        chars = int(result.tables["documents"]["n_chars_clean"].sum())
        return {
            "scenario": name,
            "docs": result.n_documents,
            "seconds": secs,
            "cpu": cpu,
            "chars": chars,
            "peak_mb": _peak_mb(),
        }
    if name == "tokenizer":
        from compare.text.clean import clean_text
        from compare.text.tokenize import cut, get_tokenizer

        texts = [
            clean_text(p.read_text(encoding="utf-8")).text
            for p in sorted((workdir / "synth-raw").glob("*.txt"))
        ]
        t_init, c_init = time.perf_counter(), time.process_time()
        get_tokenizer()
        init = time.perf_counter() - t_init
        t0 = time.perf_counter()
        for text in texts:
            for line in text.split("\n"):
                cut(line)
        secs = time.perf_counter() - t0
        cpu = time.process_time() - c_init
        chars = sum(len(t) for t in texts)
        return {
            "scenario": name,
            "seconds": secs + init,
            "cpu": cpu,
            "chars": chars,
            "peak_mb": _peak_mb(),
            "init_s": init,
        }
    raise SystemExit(f"unknown scenario {name}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--docs", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3, help="runs of synth and tokenizer (fastest counts)")
    parser.add_argument(
        "--stages", default="", help="stage modules to run besides the foundation (default: none)"
    )
    parser.add_argument("--scenario", help=argparse.SUPPRESS)
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.scenario:
        print(json.dumps(run_scenario(args.scenario, Path(args.workdir))))
        return
    workdir = Path(tempfile.mkdtemp(prefix="pc-bench-"))
    try:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from synth import make_corpus  # the same recombined-seed corpus as the scale benchmark

        info = make_corpus(args.docs, workdir / "synth-raw")
        print(f"synthetic corpus: {info['documents']} documents, {info['characters']:,} characters")
        print(f"stages: foundation{' + ' + args.stages if args.stages else ' only'}")
        rows = []
        order = ["seeds-cold", "seeds-warm"] + ["synth", "tokenizer"] * max(1, args.repeat)
        for name in order:
            res = subprocess.run(
                [sys.executable, __file__, "--scenario", name, "--workdir", str(workdir)],
                capture_output=True, text=True, check=True,
                env={**os.environ, "POLICY_COMPARE_STAGES": args.stages},
            )  # fmt: skip
            rows.append(json.loads(res.stdout.strip().splitlines()[-1]))
        print(f"{'scenario':12s} {'docs':>5s} {'seconds':>8s} {'cpu s':>7s} {'chars/s':>10s} {'peak MB':>8s}")
        for r in rows:
            cpu = f"{r['cpu']:7.2f}" if "cpu" in r else f"{'-':>7s}"
            print(
                f"{r['scenario']:12s} {r.get('docs', '-')!s:>5s} {r['seconds']:8.2f} {cpu} "
                f"{r['chars'] / r['seconds']:10,.0f} {r['peak_mb']:8.0f}"
            )
        synth = [r for r in rows if r["scenario"] == "synth"]
        tok = [r for r in rows if r["scenario"] == "tokenizer"]
        chars_ratio = synth[0]["chars"] / tok[0]["chars"]  # the same text, give or take table blocks

        def ratio(key: str, pick) -> float:
            return chars_ratio * pick(r[key] for r in tok) / pick(r[key] for r in synth)

        print(
            f"pipeline / bare tokenizer throughput (fastest runs): {ratio('seconds', min):.2f} (goal >= 0.5)"
        )
        print(
            f"  median runs: {ratio('seconds', statistics.median):.2f}; CPU seconds: {ratio('cpu', min):.2f}"
        )
        warm = next(r for r in rows if r["scenario"] == "seeds-warm")
        print(f"seeds warm: {warm['seconds']:.2f} s (goal < 3 s)")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
