"""A synthetic national corpus: seed paragraphs recombined into N plan documents of lognormal sizes.

The five seeds in ``data/raw`` are split into their non-blank lines (paragraphs, headings, list items,
table rows, page chrome — all the artefacts the pipeline has to handle), and each synthetic document is a
title line naming a city followed by paragraphs drawn at random until its target size is reached. Sizes
follow a lognormal distribution clipped to 2,500–60,526 characters (median about 9,000), which gives about
24 million characters for 2,000 documents. The changzhou seed is in traditional characters, so documents
mix scripts as scraped plans do.

Usage::

    python benchmarks/synth.py --docs 2000 --out /tmp/synth_2000
"""

from __future__ import annotations

import argparse
import math
import random
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEED_DIR = ROOT / "data" / "raw"
MIN_CHARS, MAX_CHARS = 2_500, 60_526
MEDIAN_CHARS, SIGMA = 9_000, 0.75
CITIES = ("无锡", "苏州", "南通", "扬州", "镇江", "盐城", "淮安", "宿迁", "徐州", "连云港", "嘉兴", "湖州",
          "绍兴", "金华", "衢州", "丽水", "温州", "舟山", "合肥", "芜湖")  # fmt: skip
GENRES = ("教育高质量发展行动方案（2024—2026年）", "教育事业发展“十四五”规划", "2024年教育工作要点")


def seed_paragraphs(seed_dir: Path = SEED_DIR) -> list[str]:
    """The non-blank lines of every seed text file, in order."""
    lines: list[str] = []
    for path in sorted(seed_dir.glob("*.txt")):
        text = path.read_text(encoding="utf-8-sig")
        lines.extend(line.strip() for line in text.splitlines() if line.strip())
    return lines


def document_sizes(n: int, *, seed: int = 0) -> list[int]:
    """``n`` document sizes in characters from a clipped lognormal distribution."""
    rng = random.Random(seed)
    mu = math.log(MEDIAN_CHARS)
    return [int(min(MAX_CHARS, max(MIN_CHARS, rng.lognormvariate(mu, SIGMA)))) for _ in range(n)]


def make_corpus(n: int, out_dir: Path, *, seed: int = 0) -> dict:
    """Write ``n`` synthetic plan documents to ``out_dir``.

    Args:
        n: Number of documents.
        out_dir: Destination folder (created; existing ``synth_*.txt`` files are replaced).
        seed: Random seed (same seed, same corpus).

    Returns:
        ``{"documents": n, "characters": total, "median": median size, "folder": str}``.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.glob("synth_*.txt"):
        old.unlink()
    pool = seed_paragraphs()
    rng = random.Random(seed + 1)
    sizes = document_sizes(n, seed=seed)
    total = 0
    for i, size in enumerate(sizes, start=1):
        city = CITIES[i % len(CITIES)]
        parts = [f"{city}市{GENRES[i % len(GENRES)]}"]
        length = len(parts[0])
        while length < size:
            para = pool[rng.randrange(len(pool))]
            parts.append(para)
            length += len(para) + 1
        text = "\n".join(parts) + "\n"
        total += len(text)
        (out_dir / f"synth_{i:05d}.txt").write_text(text, encoding="utf-8")
    return {"documents": n, "characters": total, "median": sorted(sizes)[n // 2], "folder": str(out_dir)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=2000)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(make_corpus(args.docs, args.out, seed=args.seed))


if __name__ == "__main__":
    main()
