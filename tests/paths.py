"""Paths the tests share: the repository root and the hand-checked test data."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
