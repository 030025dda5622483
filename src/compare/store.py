"""Read and write processed tables: Parquet (fixed Arrow schema) plus CSV (UTF-8 with BOM for Excel).

Writes are atomic: a table is written to a temporary file in the same folder and moved into place with
``os.replace``, so a reader never sees half a file and a failed build leaves the previous outputs intact.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from compare.errors import InputError
from compare.schemas import TableSchema


def _atomic_target(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    return Path(tmp)


def write_parquet(df: pd.DataFrame, path: Path, *, schema: TableSchema | None = None) -> None:
    """Write a table to Parquet atomically, with the schema's fixed Arrow types when given."""
    tmp = _atomic_target(path)
    try:
        arrow_schema = schema.arrow_schema() if schema is not None else None
        table = pa.Table.from_pandas(df, schema=arrow_schema, preserve_index=False)
        pq.write_table(table, tmp)
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def write_csv(df: pd.DataFrame, path: Path) -> None:
    """Write a table to CSV (UTF-8 with BOM, so Excel shows Chinese) atomically."""
    tmp = _atomic_target(path)
    try:
        df.to_csv(tmp, index=False, encoding="utf-8-sig")
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def write_json(obj: dict, path: Path) -> None:
    """Write a JSON file atomically (UTF-8, Chinese kept readable)."""
    tmp = _atomic_target(path)
    try:
        tmp.write_text(json.dumps(obj, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


class OutputTables(Mapping):
    """The tables of a build, each read from its output folder the first time it is asked for.

    A build that needs no table in memory (no cross-document stage) returns one of these, so writing the
    outputs never costs reading them back; ``result.tables["tokens"]`` still works and is read once.
    Tables already in memory are given as ``loaded``.

    Args:
        out_dir: The build's output folder.
        names: Every table the build wrote.
        loaded: Tables already in memory, by name.
    """

    def __init__(self, out_dir: Path, names: Iterable[str], loaded: dict[str, pd.DataFrame] | None = None):
        self._dir = Path(out_dir)
        self._names = list(dict.fromkeys([*names, *(loaded or {})]))
        self._loaded = dict(loaded or {})

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name not in self._names:
            raise KeyError(name)
        if name not in self._loaded:
            path = self._dir / f"{name}.parquet"
            if not path.exists():  # a build with consolidate=False keeps only the chunk parts
                path = self._dir / "parts" / name
            self._loaded[name] = read_as_built(path, name)
        return self._loaded[name]

    def __contains__(self, name: object) -> bool:  # without reading the table
        return name in self._names

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def __repr__(self) -> str:
        return f"OutputTables({str(self._dir)!r}, loaded={sorted(self._loaded)}, names={self._names})"


def read_as_built(path: Path, name: str) -> pd.DataFrame:
    """A written table (file or folder of parts) with the dtypes the pipeline made it with.

    Strings come back as Python objects with None for missing values (not pandas' string dtype), so a
    table read back equals the one the build held in memory.
    """
    return as_built_dtypes(pd.read_parquet(path), name)


def as_built_dtypes(df: pd.DataFrame, name: str) -> pd.DataFrame:
    """The string columns of a table read from Parquet as Python objects with None for missing values."""
    from compare.schemas import SCHEMAS

    schema = SCHEMAS.get(name)
    if schema is not None:
        for col in schema.columns:
            if col.kind == "str" and col.name in df.columns:
                df[col.name] = df[col.name].astype(object).where(df[col.name].notna(), None)
    return df


def read_table(out_dir: Path, name: str) -> pd.DataFrame:
    """Read one processed table (``<out_dir>/<name>.parquet``).

    Raises:
        InputError: If the table has not been built.
    """
    path = Path(out_dir) / f"{name}.parquet"
    if not path.exists():
        raise InputError(path, f"table {name!r} not found; run `policy-compare build` first")
    return pd.read_parquet(path)


def load_corpus(
    path: str | Path | None = None, *, tables: tuple[str, ...] | None = None
) -> dict[str, pd.DataFrame]:
    """Load the processed tables of a build.

    Args:
        path: The processed folder (default: the project's ``data/processed``).
        tables: Names to load (default: every ``*.parquet`` in the folder).

    Returns:
        ``{table name: DataFrame}``.

    Raises:
        InputError: If the folder holds no processed tables.
    """
    from compare.config import PROCESSED_DATA_DIR

    folder = Path(path) if path is not None else PROCESSED_DATA_DIR
    names = tables or tuple(sorted(p.stem for p in folder.glob("*.parquet")))
    if not names:
        raise InputError(folder, "no processed tables here; run `policy-compare build` first")
    return {name: read_table(folder, name) for name in names}
