"""Writing a build's outputs: the corpus-stage inputs read back from the chunk parts, every table consolidated
into one Parquet file (and one CSV), the per-document dataset published, and the swap of the new outputs
in place of the old ones.

On disk (``out_dir``):

- ``parts/<table>/part-<chunk>.parquet``: the per-document tables, one part per chunk, one fixed schema per
  table (``pd.read_parquet(out_dir / "parts" / "tokens")`` reads the dataset). These are the tables as the
  per-document stages made them; a corpus stage may rewrite a table (``targets``), and then
  ``<table>.parquet`` holds the final version.
- ``<table>.parquet`` / ``.csv``: every table in one file (per-document tables are streamed from the parts,
  one part in memory at a time).
- ``build_info.json``: when, how and from which files the outputs were built.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import shutil
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from compare.core.schemas import SCHEMAS, validate
from compare.core.store import csv_bytes, read_as_built
from compare.pipeline.cache import pipeline_fingerprint
from compare.pipeline.chunks import concat_tables

#: The published per-document dataset: ``parts/<table>/part-<chunk>.parquet``.
PARTS_DIRNAME = "parts"
#: What the corpus stages get in memory for large corpora (table -> columns, None = all): the documents
#: without their full texts. Everything else they read from the chunk parts, one chunk at a time.
STREAM_TABLES = {"documents": None}
STREAM_DROP_COLUMNS = {"documents": ("text", "text_original")}
#: Packages whose versions ``build_info.json`` records.
RECORDED_PACKAGES = (
    "policy-compare",
    "pandas",
    "pyarrow",
    "jieba",
    "opencc",
    "rjieba",
    "scipy",
    "distributed",
)


def read_for_corpus(name: str, paths: list[Path], *, gather: bool) -> pd.DataFrame | None:
    """One table for the cross-document stages, read from the chunk parts.

    With ``gather`` every column and row of every table (the small-corpus behaviour). Without it only the
    small tables of :data:`STREAM_TABLES` (documents without their full texts, targets, timeline, the
    passage tags' key columns); strings stay Arrow-backed. Every other table is None: the stages read it
    from the parts.
    """
    if gather:
        return concat_tables((read_as_built(p, name) for p in paths), name)
    if name not in STREAM_TABLES:
        return None
    schema = SCHEMAS.get(name)
    columns = list(STREAM_TABLES[name]) if STREAM_TABLES[name] is not None else None
    if schema is not None and columns is None:
        drop = STREAM_DROP_COLUMNS.get(name, ())
        columns = [c for c in schema.names if c not in drop]
    parts = [pq.read_table(p, columns=columns) for p in paths]
    if not parts:
        return None
    return pa.concat_tables(parts).to_pandas()


def provenance(documents: pd.DataFrame | None, paths: list[Path]) -> pd.DataFrame:
    """``doc_id``, ``file``, ``source_sha256`` of the built documents (read from the parts if not in memory)."""
    cols = ["doc_id", "file", "source_sha256"]
    if documents is not None:
        return documents[cols]
    frames = [pd.read_parquet(p, columns=cols) for p in paths]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=cols)


def published_schema(name: str, first_part: Path | None) -> pa.Schema:
    """The Arrow schema of a consolidated table: its schema's, with the pandas metadata ``write_parquet`` gives
    (nullable Int64, boolean …); for a table without one, its first part's."""
    schema = SCHEMAS.get(name)
    if schema is not None:
        return pa.Table.from_pandas(schema.empty(), schema=schema.arrow_schema(), preserve_index=False).schema
    return pq.read_schema(first_part)


def consolidate(paths: list[Path], dest: Path, *, name: str, csv_dest: Path | None) -> None:
    """Stream a table's parts into one Parquet file (and optionally one CSV), one part in memory at a time."""
    arrow_schema = published_schema(name, paths[0] if paths else None)
    dest.parent.mkdir(parents=True, exist_ok=True)
    with pq.ParquetWriter(dest, arrow_schema) as writer:
        if not paths:
            writer.write_table(pa.Table.from_pylist([], schema=arrow_schema))
        for path in paths:
            writer.write_table(pq.read_table(path, schema=arrow_schema))
    if csv_dest is not None:
        csv_from_parquet(paths, csv_dest, name=name)


def consolidate_all(jobs: list[tuple[str, list[str], str, str | None]]) -> list[str]:
    """:func:`consolidate` for several tables, one after another (the build's background publisher).

    Args:
        jobs: ``(table, part paths, Parquet destination, CSV destination or None)`` per table.

    Returns:
        The tables written, in order.
    """
    for name, paths, dest, csv_dest in jobs:
        consolidate(
            [Path(p) for p in paths],
            Path(dest),
            name=name,
            csv_dest=None if csv_dest is None else Path(csv_dest),
        )
    return [name for name, *_ in jobs]


def init_publisher() -> None:
    """Initialiser of the background publisher process: Arrow allocates with the system allocator, as the
    build's driver does."""
    pa.set_memory_pool(pa.system_memory_pool())


def csv_from_parquet(paths: list[Path], dest: Path, *, name: str) -> None:
    """One CSV (UTF-8 with BOM) from Parquet parts, one part in memory at a time.

    Each part is formatted column-wise in Arrow (:func:`compare.core.store.csv_bytes`); a part that writer
    cannot reproduce exactly goes through pandas, so the file is the same either way.
    """
    header = True
    with dest.open("wb") as fh:
        fh.write(CSV_BOM)  # BOM once, for Excel
        for path in paths:
            fh.write(csv_of_part(path, name=name, header=header))
            header = False
        if header:  # no rows at all: the header only
            fh.write(csv_header_only(name))


#: The first bytes of every CSV (UTF-8 BOM, for Excel).
CSV_BOM = "\ufeff".encode()


def csv_of_part(path: Path, *, name: str, header: bool) -> bytes:
    """The CSV lines of one Parquet part of table ``name`` (with the header line if ``header``)."""
    schema = SCHEMAS.get(name)
    table = pq.read_table(path, schema=schema.arrow_schema() if schema is not None else None)
    data = csv_bytes(table, header=header) if schema is not None else None
    if data is None:
        df = table.to_pandas()
        if schema is not None:
            df = validate(df, schema)
        data = df.to_csv(index=False, header=header).encode()
    return data


def csv_header_only(name: str) -> bytes:
    """The CSV of table ``name`` without rows."""
    schema = SCHEMAS.get(name)
    return (schema.empty() if schema is not None else pd.DataFrame()).to_csv(index=False).encode()


def publish_parts(parts: dict[str, list[tuple[int, Path]]], staging: Path) -> None:
    """Lay out ``parts/<table>/part-<chunk>.parquet`` in the staging folder (hard links to the chunk files)."""
    for name, items in parts.items():
        folder = staging / PARTS_DIRNAME / name
        folder.mkdir(parents=True, exist_ok=True)
        for index, src in items:
            dst = folder / f"part-{index:05d}.parquet"
            try:
                os.link(src, dst)
            except OSError:  # another filesystem, or no hard links: copy
                shutil.copy2(src, dst)


def swap_dir(new: Path, target: Path) -> None:
    """Replace folder ``target`` with ``new`` (old one removed after the rename)."""
    old = target.with_name(f".old-{target.name}-{os.getpid()}")
    if target.exists():
        os.replace(target, old)
    os.replace(new, target)
    shutil.rmtree(old, ignore_errors=True)


def prune_work(work_root: Path, keep: set[str]) -> None:
    """Remove chunk folders of earlier runs that this corpus no longer uses."""
    if not work_root.is_dir():
        return
    for folder in work_root.iterdir():
        if folder.is_dir() and folder.name not in keep:
            shutil.rmtree(folder, ignore_errors=True)


def chunk_parts(out_dir: str | Path) -> list[dict[str, Path]]:
    """The published per-document dataset of a build as the cross-document stages read it: one
    ``{table: Parquet part}`` per chunk, in corpus order (e.g. to run ``corpus_tables(tables, parts=…)``
    again on a finished build).

    Args:
        out_dir: A build's output folder (with ``parts/``).
    """
    parts: dict[str, dict[str, Path]] = {}
    for folder in sorted((Path(out_dir) / PARTS_DIRNAME).iterdir()):
        for path in sorted(folder.glob("part-*.parquet")):
            parts.setdefault(path.stem, {})[folder.name] = path
    return [parts[k] for k in sorted(parts)]


def build_info(
    docs: pd.DataFrame, *, rows: dict[str, int], seconds: float, n_cached: int, warnings: list[str], run: dict
) -> dict:
    """The content of ``build_info.json``: time, versions, run options, files, rows and warnings."""
    versions = {}
    for pkg in RECORDED_PACKAGES:
        try:
            versions[pkg] = version(pkg)
        except PackageNotFoundError:
            versions[pkg] = None
    return {
        "built_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "seconds": round(seconds, 3),
        "documents_from_cache": n_cached,
        "pipeline_fingerprint": pipeline_fingerprint(),
        "python": platform.python_version(),
        "packages": versions,
        "run": run,
        "files": {r.doc_id: {"file": r.file, "sha256": r.source_sha256} for r in docs.itertuples()},
        "rows": rows,
        "warnings": warnings,
    }
