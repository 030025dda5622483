"""Tests for compare.core.store: atomic writes and the lazily read tables of a build."""

from __future__ import annotations

import pandas as pd
import pytest

from compare.core.store import OutputTables, load_corpus, write_parquet
from compare.pipeline.build import build
from tests.conftest import RAW


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
    monkeypatch.setenv("POLICY_COMPARE_STAGES", "")  # the foundation only
    result = build(RAW, tmp_path / "out", use_cache=False, write_csv=False)
    assert isinstance(result.tables, OutputTables)
    assert {"documents", "passages", "sentences", "tokens", "repairs", "errors"} <= set(result.tables)
    on_disk = load_corpus(tmp_path / "out", tables=("documents", "tokens"))
    assert result.tables["documents"]["doc_id"].tolist() == on_disk["documents"]["doc_id"].tolist()
    assert len(result.tables["tokens"]) == len(on_disk["tokens"]) > 10_000


def test_table_sink_writes_pieces_as_row_groups_of_one_fixed_schema(tmp_path):
    import pyarrow.parquet as pq

    import compare.comparison.similarity  # noqa: F401  (registers the similarity schema)
    from compare.core.schemas import SCHEMAS
    from compare.core.store import TableSink, file_schema

    rows = pd.DataFrame(
        {
            "method": "tfidf_tokens",
            "doc_a": ["a", "a", "b"],
            "doc_b": ["a", "b", "a"],
            "similarity": [1.0, 0.5, 0.5],
        }
    )
    with TableSink(tmp_path / "sink") as sink:
        sink.write("similarity", rows.iloc[:2])
        sink.write("similarity", None)  # nothing to add: no empty row group either
        sink.write("similarity", rows.iloc[2:])
        sink.write("coverage", None)  # declared, never filled
        paths = sink.close()
    assert sink.rows == {"similarity": 3, "coverage": 0}
    assert set(paths) == {"similarity", "coverage"}
    meta = pq.ParquetFile(paths["similarity"])
    assert meta.num_row_groups == 2
    assert meta.schema_arrow.equals(file_schema(SCHEMAS["similarity"]))
    got = pd.read_parquet(paths["similarity"])
    pd.testing.assert_frame_equal(got, rows[SCHEMAS["similarity"].names], check_dtype=False)
    empty = pd.read_parquet(paths["coverage"])
    assert empty.empty and list(empty.columns) == SCHEMAS["coverage"].names


def test_table_sink_rejects_a_piece_outside_the_schema_and_rewrites_piece_by_piece(tmp_path):
    import compare.comparison.similarity  # noqa: F401  (registers the similarity schema)
    from compare.core.errors import SchemaError
    from compare.core.store import TableSink

    rows = pd.DataFrame(
        {"method": "tfidf_tokens", "doc_a": ["a", "b"], "doc_b": ["b", "a"], "similarity": [0.25, 0.5]}
    )
    with TableSink(tmp_path) as sink:
        sink.write("similarity", rows.iloc[:1])
        sink.write("similarity", rows.iloc[1:])
        with pytest.raises(SchemaError, match="similarity"):
            sink.write("similarity", rows.drop(columns="doc_b"))
        seen = []

        def double(piece: pd.DataFrame) -> pd.DataFrame:
            seen.append(len(piece))
            return piece.assign(similarity=piece["similarity"] * 2)

        sink.rewrite("similarity", double)
        assert seen == [1, 1]  # one piece at a time
        assert sink.read("similarity")["similarity"].tolist() == [0.5, 1.0]
        assert sink.rows["similarity"] == 2
        assert sorted(p.name for p in tmp_path.iterdir()) == ["similarity.parquet"]  # no leftover file


def test_arrow_csv_is_byte_identical_to_pandas():
    import pyarrow as pa

    from compare.core.store import csv_bytes

    df = pd.DataFrame(
        {
            "s": pd.array(["a", None, 'say "hi"', "x,y", "两行\n文本", "", "=HYPERLINK(1)"], dtype="str"),
            "i": pd.array([1, None, -3, 2025, 0, 7, 8], dtype="Int64"),
            "f": [0.1, None, 93.0, 1e-05, 2.5e16, -0.0, 1 / 3],
            "b": pd.array([True, False, None, True, False, True, None], dtype="boolean"),
        }
    )
    table = pa.Table.from_pandas(df, preserve_index=False)
    for header in (True, False):
        assert csv_bytes(table, header=header) == df.to_csv(index=False, header=header).encode()
    assert csv_bytes(table.slice(0, 0), header=True) == df.iloc[0:0].to_csv(index=False).encode()
    # a carriage return is left to pandas (whose quoting of it this writer does not copy)
    cr = pa.table({"s": ["a\rb"]})
    assert csv_bytes(cr, header=True) is None
