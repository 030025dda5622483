"""The schema module: validation catches every kind of problem at once and fixes dtypes."""

from __future__ import annotations

import pandas as pd
import pytest

from compare.core.errors import SchemaError
from compare.core.schemas import ERRORS, PASSAGES, SCHEMAS, validate


def _passage(**kw):
    row = {
        "doc_id": "d", "passage_id": "d/p0001", "seq": 0, "section_path": "一", "heading": None, "level": 1,
        "kind": "item", "text": "文本", "text_original": "文本", "start": 0, "end": 2, "source_sha256": "x",
    }  # fmt: skip
    row.update(kw)
    return row


def test_valid_table_is_returned_in_order_with_dtypes():
    df = pd.DataFrame([_passage()])[list(reversed(PASSAGES.names))]
    out = validate(df, PASSAGES)
    assert list(out.columns) == PASSAGES.names
    assert str(out["start"].dtype) == "Int64"


def test_problems_are_all_listed():
    df = pd.DataFrame([_passage(kind="poem", start=-1), _passage(kind="item", text=None)])
    with pytest.raises(SchemaError) as err:
        validate(df, "passages")
    msg = str(err.value)
    assert "poem" in msg and "below 0" in msg and "'text' has 1 missing" in msg and "share a key" in msg


def test_missing_and_unknown_columns():
    df = pd.DataFrame([_passage()]).drop(columns=["kind"]).assign(extra=1)
    with pytest.raises(SchemaError, match=r"missing columns \['kind'\].*unknown columns \['extra'\]"):
        validate(df, PASSAGES)


def test_empty_tables_have_schema_columns():
    for schema in SCHEMAS.values():
        assert list(schema.empty().columns) == schema.names
    assert validate(ERRORS.empty(), ERRORS).empty


def test_every_column_is_documented():
    for schema in SCHEMAS.values():
        for col in schema.columns:
            assert col.doc, f"{schema.name}.{col.name} has no description"
