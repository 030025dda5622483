"""The serial build's streaming publisher: parts handed over in any order are written in corpus order, byte for
byte as the consolidation after the chunks writes them."""

from __future__ import annotations

import pandas as pd
import pytest

from compare.core.schemas import SCHEMAS
from compare.core.store import write_parquet
from compare.pipeline import outputs
from compare.pipeline.publisher import StreamingPublisher


def _parts(tmp_path, n: int) -> list[dict]:
    schema = SCHEMAS["repairs"]
    out = []
    for i in range(n):
        df = schema.empty()
        row = {c: None for c in df.columns}
        rows = pd.DataFrame([{**row, **{c: f"v{i}" for c in df.columns if df[c].dtype == object}}] * (i + 1))
        path = tmp_path / f"chunk{i}" / "repairs.parquet"
        path.parent.mkdir()
        write_parquet(rows.astype(df.dtypes.to_dict()), path, schema=schema)
        out.append({"repairs": path, "skipped": path})
    return out


def test_parts_in_any_order_give_the_consolidated_files(tmp_path):
    parts = _parts(tmp_path, 3)
    publisher = StreamingPublisher(tmp_path / "stream", order=[0, 1, 2], skip={"skipped"}, csv=True)
    for i in (2, 0, 1):  # chunks finish out of order; one more "lost" index is not in the order
        publisher.add(i, parts[i])
    assert publisher.finish() == ["repairs"]
    paths = [p["repairs"] for p in parts]
    outputs.consolidate(
        paths, tmp_path / "ref" / "repairs.parquet", name="repairs", csv_dest=tmp_path / "ref.csv"
    )
    assert (tmp_path / "stream" / "repairs.csv").read_bytes() == (tmp_path / "ref.csv").read_bytes()
    assert (tmp_path / "stream" / "repairs.parquet").read_bytes() == (
        tmp_path / "ref" / "repairs.parquet"
    ).read_bytes()
    assert not (tmp_path / "stream" / "skipped.parquet").exists()


def test_a_lost_chunk_is_skipped_and_an_error_reaches_finish(tmp_path):
    parts = _parts(tmp_path, 2)
    publisher = StreamingPublisher(tmp_path / "stream", order=[0, 1], skip=(), csv=False)
    publisher.add(0, None)  # lost
    publisher.add(1, {"repairs": parts[1]["repairs"]})
    publisher.finish()
    assert len(pd.read_parquet(tmp_path / "stream" / "repairs.parquet")) == 2
    broken = StreamingPublisher(tmp_path / "broken", order=[0], skip=(), csv=False)
    broken.add(0, {"repairs": tmp_path / "missing.parquet"})
    with pytest.raises(FileNotFoundError):
        broken.finish()
    waiting = StreamingPublisher(tmp_path / "waiting", order=[0, 1], skip=(), csv=False)
    waiting.abort()  # stops although no chunk came
