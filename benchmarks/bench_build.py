"""Benchmark the foundation build (issue 2). Prints figures; asserts nothing.

Scenarios (each in a fresh subprocess so peak memory is its own):
  seeds-cold   the 5 seeds, empty cache (tokenizer dictionary load included)
  seeds-warm   the 5 seeds again, unchanged (per-document cache)
  synth        N synthetic documents recombined from seed passages (benchmarks/synth.py), empty cache
  tokenizer    bare tokenizer throughput on the same cleaned text as synth-200 (the ceiling)

The foundation build (documents, passages, sentences, tokens, repairs) is what issue 2 measures, so the
stage modules are off by default; ``--stages themes,targets`` adds them (POLICY_COMPARE_STAGES).

Usage: python benchmarks/bench_build.py [--docs 200] [--stages themes,targets]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
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
    from compare.build import build

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
        t0 = time.perf_counter()
        result = build(raw, out, use_cache=False, write_csv=False)
        secs = time.perf_counter() - t0
        chars = int(result.tables["documents"]["n_chars_clean"].sum())
        return {
            "scenario": name,
            "docs": result.n_documents,
            "seconds": secs,
            "chars": chars,
            "peak_mb": _peak_mb(),
        }
    if name == "tokenizer":
        from compare.clean import clean_text
        from compare.tokenize import cut, get_tokenizer

        texts = [
            clean_text(p.read_text(encoding="utf-8")).text
            for p in sorted((workdir / "synth-raw").glob("*.txt"))
        ]
        t_init = time.perf_counter()
        get_tokenizer()
        init = time.perf_counter() - t_init
        t0 = time.perf_counter()
        for text in texts:
            for line in text.split("\n"):
                cut(line)
        secs = time.perf_counter() - t0
        chars = sum(len(t) for t in texts)
        return {
            "scenario": name,
            "seconds": secs + init,
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
        for name in ("seeds-cold", "seeds-warm", "synth", "tokenizer"):
            res = subprocess.run(
                [sys.executable, __file__, "--scenario", name, "--workdir", str(workdir)],
                capture_output=True, text=True, check=True,
                env={**os.environ, "POLICY_COMPARE_STAGES": args.stages},
            )  # fmt: skip
            rows.append(json.loads(res.stdout.strip().splitlines()[-1]))
        print(f"{'scenario':12s} {'docs':>5s} {'seconds':>8s} {'chars/s':>10s} {'peak MB':>8s}")
        for r in rows:
            print(
                f"{r['scenario']:12s} {r.get('docs', '-')!s:>5s} {r['seconds']:8.2f} "
                f"{r['chars'] / r['seconds']:10,.0f} {r['peak_mb']:8.0f}"
            )
        synth = next(r for r in rows if r["scenario"] == "synth")
        tok = next(r for r in rows if r["scenario"] == "tokenizer")
        ratio = (synth["chars"] / synth["seconds"]) / (tok["chars"] / tok["seconds"])
        warm = next(r for r in rows if r["scenario"] == "seeds-warm")
        print(f"pipeline / bare tokenizer throughput: {ratio:.2f} (goal >= 0.5)")
        print(f"seeds warm: {warm['seconds']:.2f} s (goal < 3 s)")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
