"""Tests for compare.store: atomic writes and the lazily read tables of a build."""

from __future__ import annotations

import importlib

import pandas as pd
import pytest

from compare.build import build
from compare.store import OutputTables, load_corpus, write_parquet

from .conftest import RAW


def test_output_tables_read_on_first_use_and_only_once(tmp_path):
    write_parquet(pd.DataFrame({"a": [1, 2]}), tmp_path / "one.parquet")
    (tmp_path / "parts" / "two").mkdir(parents=True)
    write_parquet(pd.DataFrame({"b": ["x"]}), tmp_path / "parts" / "two" / "part-0.parquet")
    kept = pd.DataFrame({"c": [3]})
    tables = OutputTables(tmp_path, ["one", "two", "ghost"], loaded={"kept": kept})
    assert list(tables) == ["one", "two", "ghost", "kept"] and len(tables) == 4
    assert "ghost" in tables and "missing" not in tables  # membership reads nothing (ghost has no file)
    with pytest.raises(FileNotFoundError):
        tables["ghost"]
    assert tables["kept"] is kept
    assert tables["one"]["a"].tolist() == [1, 2]
    assert tables["one"] is tables["one"]  # read once
    assert tables["two"]["b"].tolist() == ["x"]  # only parts: read as a dataset
    with pytest.raises(KeyError):
        tables["missing"]


def test_foundation_build_returns_lazy_tables_equal_to_the_outputs(tmp_path, monkeypatch):
    build_module = importlib.import_module("compare.build")  # the package exports a function of that name
    monkeypatch.setattr(build_module, "stage_modules", lambda: ())
    result = build(RAW, tmp_path / "out", use_cache=False, write_csv=False)
    assert isinstance(result.tables, OutputTables)
    assert {"documents", "passages", "sentences", "tokens", "repairs", "errors"} <= set(result.tables)
    on_disk = load_corpus(tmp_path / "out", tables=("documents", "tokens"))
    assert result.tables["documents"]["doc_id"].tolist() == on_disk["documents"]["doc_id"].tolist()
    assert len(result.tables["tokens"]) == len(on_disk["tokens"]) > 10_000
