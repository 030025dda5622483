"""Build ``data/processed/`` from a raw folder: the per-document pipeline, chunks, caching, stage hooks, writing.

``process_document`` is a pure function of one document (read → clean → segment → tokenise → per-document
stages) so any executor can map it. ``build`` discovers the documents, groups them into chunks and maps
:func:`run_chunk` over them with an executor from :mod:`compare.executors` (serial, local processes, Dask).
Each chunk writes its own Parquet part of every table; documents whose raw bytes, manifest row, pipeline code
and stages have not changed come from the per-document cache, and chunks whose documents have not changed are
skipped altogether (a re-run resumes). Then the cross-document stages run and every table is written
atomically. Nothing is written when a document fails, unless ``keep_going`` is set, in which case the
failures are listed in the ``errors`` table.

On disk (``out_dir``):

- ``parts/<table>/part-<chunk>.parquet``: the per-document tables, one part per chunk, one fixed schema per
  table (``pd.read_parquet(out_dir / "parts" / "tokens")`` reads the dataset). These are the tables as the
  per-document stages made them; a cross-document stage may rewrite a table (``targets``), and then
  ``<table>.parquet`` holds the final version.
- ``<table>.parquet`` / ``.csv``: every table in one file (per-document tables are streamed from the parts,
  one part in memory at a time; skipped with ``consolidate=False``).
- ``.parts/<chunk key>/`` (chunk work folders, the resume state) and ``.cache/<doc_id>/<key>/`` (per document).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import importlib
import inspect
import json
import logging
import os
import platform
import shutil
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from compare.errors import InputError, PolicyCompareError, SchemaError
from compare.executors import EXECUTORS, Chunk
from compare.ingest import DocSpec, MetadataWarning, discover, document_row
from compare.schemas import ERRORS, SCHEMAS, validate
from compare.store import OutputTables, TableSink

LOG = logging.getLogger(__name__)

FOUNDATION_TABLES = ("documents", "passages", "sentences", "tokens", "repairs")
#: Modules providing ``document_tables`` / ``corpus_tables`` hooks, run in this order when installed.
STAGE_MODULES = ("compare.themes", "compare.targets")
CACHE_DIRNAME = ".cache"
#: Chunk work folders (parts + ``_done.json``); the resume state of the build.
WORK_DIRNAME = ".parts"
#: Folder (inside the work folder) where the corpus stages of a large corpus write their tables.
CORPUS_DIRNAME = "corpus"
#: The published per-document dataset: ``parts/<table>/part-<chunk>.parquet``.
PARTS_DIRNAME = "parts"
DONE_FILE = "_done.json"
#: Bump when the layout of chunk work folders changes (invalidates completed chunks).
PARTS_VERSION = 1
#: Corpora up to this size give the cross-document stages every table in full (see ``build(gather=…)``).
GATHER_MAX_DOCS = 1000
#: What the cross-document stages get in memory for larger corpora (table -> columns, None = all): the
#: documents without their full texts. Stages whose ``corpus_tables`` takes ``parts`` read everything else
#: from the chunk parts, one chunk at a time.
STREAM_TABLES = {"documents": None}
STREAM_DROP_COLUMNS = {"documents": ("text", "text_original")}
#: Test-only: a document whose file name contains this variable's value kills its worker (``os._exit(137)``).
CRASH_TEST_ENV = "POLICY_COMPARE_TEST_CRASH_ON"


class BuildError(PolicyCompareError):
    """One or more documents failed; nothing was written."""

    def __init__(self, errors: pd.DataFrame) -> None:
        self.errors = errors
        lines = [f"  {r.file} [{r.stage}]: {r.message}" for r in errors.itertuples()]
        super().__init__(
            f"{len(errors)} document(s) failed; nothing was written (use --keep-going to build the others):\n"
            + "\n".join(lines)
        )


@dataclass
class BuildResult:
    """What a build produced.

    Attributes:
        tables: Every table written, by name.
        errors: The errors table (empty when every document built).
        n_documents: Documents built successfully.
        n_cached: Of those, how many came from the cache.
        seconds: Wall time of the build.
        out_dir: Where the tables were written.
        warnings: Metadata warnings of the documents built in this run.
        rows: Rows written per table.
        parts_dir: The per-document Parquet dataset (``parts/<table>/``).
    """

    tables: Mapping[str, pd.DataFrame]
    errors: pd.DataFrame
    n_documents: int
    n_cached: int
    seconds: float
    out_dir: Path
    warnings: list[str] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    parts_dir: Path | None = None


@functools.lru_cache(maxsize=1)
def stage_modules() -> tuple:
    """The optional stage modules that are importable, in order."""
    wanted = os.environ.get("POLICY_COMPARE_STAGES")
    names = (
        STAGE_MODULES
        if wanted is None
        else tuple(f"compare.{n.strip()}" for n in wanted.split(",") if n.strip())
    )
    mods = []
    for name in names:
        try:
            mods.append(importlib.import_module(name))
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
    return tuple(mods)


@functools.lru_cache(maxsize=1)
def pipeline_fingerprint() -> str:
    """Hash of the package's code and resources: a change anywhere invalidates cached documents."""
    root = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.suffix in {".py", ".yaml", ".yml", ".csv", ".txt", ".json"}:
            h.update(str(path.relative_to(root)).encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:16]


def process_document(spec: DocSpec, *, backend: str | None = None) -> dict[str, pd.DataFrame]:
    """Run the per-document pipeline on one raw file.

    Args:
        spec: The document (path, doc id, manifest row).
        backend: Tokenizer backend (see :func:`compare.tokenize.get_tokenizer`).

    Returns:
        ``{table name: DataFrame}`` for this document: documents (one row), passages, sentences, tokens,
        repairs, plus the tables of the per-document stage hooks.

    Raises:
        StageError: Wrapping any failure, naming the file and the stage.
    """
    from compare.clean import clean_text
    from compare.readers import read_document
    from compare.segment import split_passages, split_sentences
    from compare.tokenize import tokenize

    stage = "read"
    try:
        raw = read_document(spec.path)
        stage = "clean"
        cleaned = clean_text(raw.text)
        if not cleaned.text.strip():
            raise InputError(spec.path, "no text left after cleaning (only page chrome or blank lines?)")
        stage = "metadata"
        # the foundation tables skip their own schema check here: every table is validated once per chunk
        # before it is written (validating each document's small tables cost ~20 % of the build); a
        # document whose tables fail that check is found then and becomes an error record
        documents = pd.DataFrame([document_row(spec, raw, cleaned)])
        stage = "segment"
        passages = split_passages(
            cleaned.text,
            doc_id=spec.doc_id,
            text_original=cleaned.text_original,
            source_sha256=raw.sha256,
            check=False,
        )
        sentences = split_sentences(passages, check=False)
        stage = "tokenize"
        tables_ids = set(passages.loc[passages["kind"] == "table", "passage_id"])
        tokens = tokenize(sentences, backend=backend, skip_passages=tables_ids, check=False)
        tables = {
            "documents": documents,
            "passages": passages,
            "sentences": sentences,
            "tokens": tokens,
            "repairs": cleaned.repairs_frame(doc_id=spec.doc_id, source_sha256=raw.sha256, check=False),
        }
        for module in stage_modules():
            stage = module.__name__.rsplit(".", 1)[-1]
            tables.update(module.document_tables(tables, documents=documents))
        return tables
    except StageError:
        raise
    except Exception as exc:  # every failure becomes a StageError naming the file and stage
        raise StageError(spec, stage, exc) from exc


class StageError(PolicyCompareError):
    """A document failed in one stage."""

    def __init__(self, spec: DocSpec, stage: str, exc: BaseException) -> None:
        self.doc_id, self.file, self.stage = spec.doc_id, str(spec.path), stage
        message = str(exc) if isinstance(exc, InputError) else f"{type(exc).__name__}: {exc}"
        self.message = message
        super().__init__(f"{spec.path} [{stage}]: {message}")

    def record(self) -> dict:
        """The error as a row of the ``errors`` table."""
        return {"doc_id": self.doc_id, "file": self.file, "stage": self.stage, "message": self.message}


def _cache_key(spec: DocSpec, *, backend: str | None) -> str:
    from compare.readers import sha256_file
    from compare.tokenize import default_backend

    h = hashlib.sha256()
    h.update(sha256_file(spec.path).encode())
    h.update(json.dumps(spec.manifest, sort_keys=True, default=str, ensure_ascii=False).encode())
    h.update(spec.doc_id.encode())
    h.update(pipeline_fingerprint().encode())
    h.update((backend or default_backend()).encode())
    h.update(",".join(m.__name__ for m in stage_modules()).encode())  # stage tables cached with the document
    return h.hexdigest()[:24]


def _cache_load(cache_dir: Path, spec: DocSpec, key: str) -> dict[str, pd.DataFrame] | None:
    folder = cache_dir / spec.doc_id / key
    done = folder / "_done.json"
    if not done.exists():
        return None
    names = json.loads(done.read_text(encoding="utf-8"))["tables"]
    return {name: pd.read_parquet(folder / f"{name}.parquet") for name in names}


def _cache_save(cache_dir: Path, spec: DocSpec, key: str, tables: dict[str, pd.DataFrame]) -> None:
    from compare.store import write_json, write_parquet

    doc_dir = cache_dir / spec.doc_id
    if doc_dir.exists():  # keep one cached version per document
        shutil.rmtree(doc_dir, ignore_errors=True)
    folder = doc_dir / key
    for name, df in tables.items():
        write_parquet(df, folder / f"{name}.parquet", schema=SCHEMAS.get(name))
    write_json({"tables": list(tables)}, folder / "_done.json")


def _crash_if_test_asks(spec: DocSpec) -> None:
    """Test-only hook: kill this worker process when :data:`CRASH_TEST_ENV` names the document's file.

    Stands in for an out-of-memory kill or a segfault in the crash tests. It does nothing unless the
    variable is set, and in the driver process it raises instead of exiting (so it can never kill a build's
    own process).
    """
    token = os.environ.get(CRASH_TEST_ENV)
    if not token or token not in spec.path.name:
        return
    import multiprocessing as mp

    if mp.parent_process() is None:
        raise RuntimeError(f"{CRASH_TEST_ENV} asked to crash on {spec.path.name}, but this is the driver")
    os._exit(137)


def run_chunk(chunk: Chunk) -> dict:
    """Build one chunk of documents and write its Parquet parts (runs in a worker).

    Each document comes from the per-document cache when its inputs are unchanged, else from
    :func:`process_document`. A failing document becomes an error record; the others are built. Each table
    is written to ``<chunk.work_dir>/<table>.parquet`` with the table's fixed Arrow schema, then
    ``_done.json`` marks the chunk complete (a re-run with the same inputs skips it).

    Args:
        chunk: The chunk.

    Returns:
        A summary: ``index``, ``key``, ``doc_ids`` (built), ``n_cached``, ``errors`` (records),
        ``warnings`` (metadata warnings), ``rows`` (``{table: rows}``, in first-seen order), ``pid`` (of the
        process that built it).
    """
    import warnings as _warnings

    from compare.store import write_json, write_parquet

    stage_modules()  # registers the stage tables' schemas, even when every document is cached
    work = Path(chunk.work_dir)
    shutil.rmtree(work, ignore_errors=True)  # leftovers of a run that died
    cache_dir = Path(chunk.cache_dir) if chunk.cache_dir else None
    done: list[tuple[DocSpec, dict[str, pd.DataFrame]]] = []
    errors, n_cached = [], 0
    with _warnings.catch_warnings(record=True) as warned:
        _warnings.simplefilter("always", MetadataWarning)
        for spec, key in zip(chunk.specs, chunk.doc_keys, strict=True):
            tables = _cache_load(cache_dir, spec, key) if cache_dir is not None else None
            if tables is not None:
                n_cached += 1
            else:
                try:
                    _crash_if_test_asks(spec)
                    tables = process_document(spec, backend=chunk.backend)
                except StageError as exc:
                    errors.append(exc.record())
                    continue
                except Exception as exc:  # the test hook in the driver, or anything process_document let out
                    errors.append(StageError(spec, "worker", exc).record())
                    continue
                if cache_dir is not None:
                    _cache_save(cache_dir, spec, key, tables)
            done.append((spec, tables))
    messages = [str(w.message) for w in warned if issubclass(w.category, MetadataWarning)]
    for w in warned:
        if not issubclass(w.category, MetadataWarning):
            LOG.debug("%s: %s", w.category.__name__, w.message)
    merged, rejected = _chunk_tables(done)
    errors.extend(rejected)
    rows = {}
    for name, df in merged.items():
        write_parquet(df, work / f"{name}.parquet", schema=SCHEMAS.get(name))
        rows[name] = len(df)
    summary = {
        "index": chunk.index,
        "key": chunk.key,
        "doc_ids": [spec.doc_id for spec, _ in done if spec.doc_id not in {e["doc_id"] for e in rejected}],
        "n_cached": n_cached,
        "errors": errors,
        "warnings": messages,
        "rows": rows,
        "pid": os.getpid(),
    }
    write_json(summary, work / DONE_FILE)
    return summary


def _chunk_tables(
    done: list[tuple[DocSpec, dict[str, pd.DataFrame]]],
) -> tuple[dict[str, pd.DataFrame], list[dict]]:
    """Concatenate a chunk's per-document tables, each validated once against its schema.

    When a table fails the check, each document's tables are checked on their own to find the culprits:
    those documents become error records (stage ``schema``) and the chunk is built from the rest.

    Returns:
        ``({table: validated DataFrame}, error records)``.
    """
    names: list[str] = []
    for _, tables in done:
        names.extend(n for n in tables if n not in names)
    try:
        return {name: _concat((t[name] for _, t in done if name in t), name) for name in names}, []
    except SchemaError as exc:
        failure = exc
    good, rejected = [], []
    for spec, tables in done:
        try:
            for name, df in tables.items():
                if name in SCHEMAS:
                    validate(df, SCHEMAS[name])
        except SchemaError as exc:
            rejected.append(StageError(spec, "schema", exc).record())
        else:
            good.append((spec, tables))
    if not rejected:  # each document is fine on its own, only their union is not: a bug, not bad input
        raise failure
    merged, _ = _chunk_tables(good) if good else ({}, [])
    return merged, rejected


def _chunk_key(doc_keys: Iterable[str]) -> str:
    h = hashlib.sha256(f"chunk-v{PARTS_VERSION}".encode())
    for key in doc_keys:
        h.update(key.encode())
    return h.hexdigest()[:24]


def _load_done(chunk: Chunk) -> dict | None:
    """The summary of a chunk completed by an earlier run with the same inputs, if all its parts exist."""
    folder = Path(chunk.work_dir)
    done = folder / DONE_FILE
    if not done.exists():
        return None
    try:
        summary = json.loads(done.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if summary.get("key") != chunk.key or not all(
        (folder / f"{name}.parquet").exists() for name in summary.get("rows", {})
    ):
        return None
    return {**summary, "index": chunk.index, "n_cached": len(summary["doc_ids"])}


def _concat(frames: Iterable[pd.DataFrame], name: str) -> pd.DataFrame:
    frames = [f for f in frames if f is not None and len(f)]
    schema = SCHEMAS.get(name)
    if not frames:
        return schema.empty() if schema is not None else pd.DataFrame()
    df = pd.concat(frames, ignore_index=True)
    return validate(df, schema) if schema is not None else df


def _read_for_corpus(name: str, paths: list[Path], *, gather: bool) -> pd.DataFrame | None:
    """One table for the cross-document stages, read from the chunk parts.

    With ``gather`` every column and row of every table (the small-corpus behaviour). Without it only the
    small tables of :data:`STREAM_TABLES` (documents without their full texts, targets, timeline, the
    passage tags' key columns); strings stay Arrow-backed. Every other table is None: the stages read it
    from the parts.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    if gather:
        return _concat((_read_part(p, name) for p in paths), name)
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


def _read_part(path: Path, name: str) -> pd.DataFrame:
    """One part as a DataFrame with the dtypes the pipeline makes (strings as Python objects, nulls None)."""
    from compare.store import read_as_built

    return read_as_built(path, name)


def _provenance(documents: pd.DataFrame | None, paths: list[Path]) -> pd.DataFrame:
    """``doc_id``, ``file``, ``source_sha256`` of the built documents (read from the parts if not in memory)."""
    cols = ["doc_id", "file", "source_sha256"]
    if documents is not None:
        return documents[cols]
    frames = [pd.read_parquet(p, columns=cols) for p in paths]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=cols)


def _consolidate(paths: list[Path], dest: Path, *, name: str, csv_dest: Path | None) -> None:
    """Stream a table's parts into one Parquet file (and optionally one CSV), one part in memory at a time."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = SCHEMAS.get(name)
    if schema is not None:  # with the pandas metadata write_parquet gives (nullable Int64, boolean …)
        arrow_schema = pa.Table.from_pandas(
            schema.empty(), schema=schema.arrow_schema(), preserve_index=False
        ).schema
    else:
        arrow_schema = pq.read_schema(paths[0])
    dest.parent.mkdir(parents=True, exist_ok=True)
    with pq.ParquetWriter(dest, arrow_schema) as writer:
        if not paths:
            writer.write_table(pa.Table.from_pylist([], schema=arrow_schema))
        for path in paths:
            writer.write_table(pq.read_table(path, schema=arrow_schema))
    if csv_dest is not None:
        _csv_from_parquet(paths, csv_dest, name=name)


def _csv_from_parquet(paths: list[Path], dest: Path, *, name: str) -> None:
    """One CSV (UTF-8 with BOM) from Parquet files, one row group in memory at a time."""
    import pyarrow.parquet as pq

    schema = SCHEMAS.get(name)
    header = True
    with dest.open("w", encoding="utf-8-sig", newline="") as fh:  # BOM once, for Excel
        for path in paths:
            reader = pq.ParquetFile(path)
            for i in range(reader.num_row_groups):
                df = reader.read_row_group(i).to_pandas()
                if schema is not None:
                    df = validate(df, schema)
                df.to_csv(fh, index=False, header=header)
                header = False
        if header:  # no rows at all: the header only
            (schema.empty() if schema is not None else pd.DataFrame()).to_csv(fh, index=False)


def _publish_parts(parts: dict[str, list[tuple[int, Path]]], staging: Path) -> None:
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


def _swap_dir(new: Path, target: Path) -> None:
    """Replace folder ``target`` with ``new`` (old one removed after the rename)."""
    old = target.with_name(f".old-{target.name}-{os.getpid()}")
    if target.exists():
        os.replace(target, old)
    os.replace(new, target)
    shutil.rmtree(old, ignore_errors=True)


def _prune_work(work_root: Path, keep: set[str]) -> None:
    """Remove chunk folders of earlier runs that this corpus no longer uses."""
    if not work_root.is_dir():
        return
    for folder in work_root.iterdir():
        if folder.is_dir() and folder.name not in keep:
            shutil.rmtree(folder, ignore_errors=True)


def build(
    raw_dir: str | Path,
    out_dir: str | Path,
    *,
    executor: str = "serial",
    workers: int | None = None,
    address: str | None = None,
    chunk_size: int | None = None,
    keep_going: bool = False,
    backend: str | None = None,
    use_cache: bool = True,
    write_csv: bool = True,
    consolidate: bool = True,
    gather: bool | None = None,
    progress: bool = False,
) -> BuildResult:
    """Build every processed table from a raw folder.

    Documents are processed in chunks; each chunk writes its own Parquet part of every table to
    ``<out_dir>/parts/<table>/part-<chunk>.parquet`` (one fixed schema per table, so
    ``pd.read_parquet(<out_dir>/parts/<table>)`` reads the dataset). Then the cross-document stages run and
    every table is also written as ``<out_dir>/<table>.parquet`` (+ ``.csv``).

    Args:
        raw_dir: Folder of raw plan files (and optional ``manifest.csv``); never written.
        out_dir: Folder for the processed tables.
        executor: ``"serial"``, ``"process"`` (all local cores, spawn start method) or ``"dask"`` (a local
            Dask cluster, or the running one at ``address``).
        workers: Number of worker processes (default: all cores).
        address: Address of a running Dask scheduler, e.g. ``tcp://10.0.0.5:8786`` (``executor="dask"``);
            workers must have ``compare`` installed and see ``raw_dir`` and ``out_dir`` at the same paths.
        chunk_size: Documents per chunk (default: about four chunks per worker, at most 25 documents).
        keep_going: Build the good documents when some fail, listing failures in the ``errors`` table.
            Without it a failure stops the build and nothing is written.
        backend: Tokenizer backend.
        use_cache: Reuse results of unchanged documents and chunks (same bytes, manifest rows, pipeline code
            and stages); a re-run after an interruption resumes where it stopped.
        write_csv: Also write each table as CSV (UTF-8 with BOM).
        consolidate: Also write each per-document table as one file ``<table>.parquet`` (streamed from the
            parts, one part in memory at a time). Off, those tables exist only under ``parts/``.
        gather: Give the cross-document stages every table in full (all tokens in driver memory). Default:
            only for corpora of at most :data:`GATHER_MAX_DOCS` documents; larger corpora give them the
            small tables of :data:`STREAM_TABLES` and, to stages that take it, the chunk parts to stream
            (``corpus_tables(tables, parts=…)``; see ``docs/scaling.md``).
        progress: Show a progress bar over documents.

    Returns:
        A :class:`BuildResult` (its ``tables`` are those given to and returned by the corpus stages).

    Raises:
        InputError: The raw folder or manifest is unusable, or holds no documents.
        BuildError: A document failed and ``keep_going`` is off (nothing written).
    """
    from compare.executors import Chunk, chunk_size_for, default_workers, failure_records, map_chunks
    from compare.store import write_json, write_parquet

    t0 = time.perf_counter()
    raw_dir, out_dir = Path(raw_dir), Path(out_dir)
    if executor not in EXECUTORS:
        raise ValueError(f"unknown executor {executor!r}; choose one of {EXECUTORS}")
    if address is not None and executor != "dask":
        raise ValueError("an address needs executor='dask'")
    specs = discover(raw_dir)
    if not specs:
        raise InputError(raw_dir, "no plan documents found (.txt, .html, .docx or .pdf)")
    modules = stage_modules()
    cache_dir = out_dir / CACHE_DIRNAME
    work_root = out_dir / WORK_DIRNAME
    errors: list[dict] = []
    present: list[DocSpec] = []
    for spec in specs:
        if spec.path.is_file():
            present.append(spec)
        else:
            message = f"{spec.path}: file not found"
            errors.append(
                {"doc_id": spec.doc_id, "file": str(spec.path), "stage": "read", "message": message}
            )
    keys = [_cache_key(spec, backend=backend) for spec in present]
    size = chunk_size or chunk_size_for(len(present), n_workers=workers or default_workers(executor))
    chunks = []
    for index, lo in enumerate(range(0, len(present), size)):
        doc_keys = tuple(keys[lo : lo + size])
        key = _chunk_key(doc_keys)
        chunks.append(
            Chunk(
                index=index,
                key=key,
                specs=tuple(present[lo : lo + size]),
                doc_keys=doc_keys,
                work_dir=str(work_root / key),
                cache_dir=str(cache_dir) if use_cache else None,
                backend=backend,
            )
        )
    summaries: dict[int, dict] = {}
    todo = []
    for chunk in chunks:
        done = _load_done(chunk) if use_cache else None
        if done is not None:
            summaries[chunk.index] = done
        else:
            todo.append(chunk)
    # nothing changed since the last build (same documents, manifest rows, code, stages and options):
    # the outputs on disk are already the answer, so the corpus stages and the writes are skipped too
    corpus_key = _corpus_key(chunks, modules, write_csv=write_csv, consolidate=consolidate)
    if use_cache and not todo and not errors:
        previous = _previous_build(out_dir, corpus_key, gather=gather, t0=t0)
        if previous is not None:
            return previous
    lost: dict[int, list[dict]] = {}
    bar = _progress(sum(len(c.specs) for c in todo), enabled=progress and bool(todo))
    try:
        for chunk, summary, exc in map_chunks(
            run_chunk, todo, executor=executor, workers=workers, address=address
        ):
            bar.update(len(chunk.specs))
            if summary is not None:
                summaries[chunk.index] = summary
            else:
                LOG.warning("chunk %d lost: %s: %s", chunk.index, type(exc).__name__, exc)
                lost[chunk.index] = failure_records(chunk, exc)
    finally:
        bar.close()
    t_chunks = time.perf_counter()
    ordered = [summaries[c.index] for c in chunks if c.index in summaries]
    for chunk in chunks:
        errors.extend(summaries[chunk.index]["errors"] if chunk.index in summaries else lost[chunk.index])
    caught = [w for s in ordered for w in s["warnings"]]
    for message in caught:
        LOG.warning(message)
    errors_df = validate(pd.DataFrame(errors, columns=ERRORS.names), ERRORS) if errors else ERRORS.empty()
    n_built = sum(len(s["doc_ids"]) for s in ordered)
    if (len(errors_df) and not keep_going) or not n_built:
        raise BuildError(errors_df)
    n_cached = sum(s["n_cached"] for s in ordered)

    # the parts of every per-document table, in corpus order
    parts: dict[str, list[tuple[int, Path]]] = {}
    for s in ordered:
        for name in s["rows"]:
            parts.setdefault(name, []).append((s["index"], work_root / s["key"] / f"{name}.parquet"))
    if gather is None:
        gather = n_built <= GATHER_MAX_DOCS
    tables: dict[str, pd.DataFrame] = {}
    # a large corpus: Arrow allocates with the system allocator from reading the parts to writing the outputs,
    # and memory is handed back after each stage and each consolidated table (Arrow's default pool kept
    # ~200 MB of pages in the driver: measured 106 MB less driver peak at 500 documents)
    memory = contextlib.ExitStack()
    if not gather:
        from compare.corpus_stats import release_memory, system_memory_pool

        memory.enter_context(system_memory_pool())
    else:
        release_memory = _no_op
    try:
        # read the parts back only for the cross-document stages; without any, the result reads its tables
        # lazily from the published outputs (writing a corpus never costs reading it back)
        if any(hasattr(m, "corpus_tables") for m in modules):
            for name, items in parts.items():
                df = _read_for_corpus(name, [p for _, p in items], gather=gather)
                if df is not None:
                    tables[name] = df
        t_read = time.perf_counter()
        # without gather, stages that can stream get the chunk parts ({table: part} per chunk, corpus order)
        chunk_parts = [
            {name: work_root / s["key"] / f"{name}.parquet" for name in s["rows"]} for s in ordered
        ]
        corpus_names: list[str] = []
        # without gather, stages that take a sink write their outputs into it piece by piece
        sink = (
            memory.enter_context(TableSink(work_root / f"{CORPUS_DIRNAME}-{os.getpid()}"))
            if not gather
            else None
        )
        if sink is not None:
            memory.callback(shutil.rmtree, sink.folder, ignore_errors=True)
        for module in modules:
            if hasattr(module, "corpus_tables"):
                params = inspect.signature(module.corpus_tables).parameters
                if not gather and "parts" in params:
                    extra = {"sink": sink} if "sink" in params else {}
                    produced = module.corpus_tables(tables, parts=chunk_parts, **extra)
                else:
                    produced = module.corpus_tables(tables)
                tables.update(produced)
                corpus_names.extend(n for n in produced if n not in corpus_names)
                release_memory()
        sunk = sink.close() if sink is not None else {}
        corpus_names.extend(n for n in sunk if n not in corpus_names)
        t_corpus = time.perf_counter()
        tables["errors"] = errors_df
        for name in tables:  # parts were validated when written; big corpora keep their Arrow-backed strings
            if name in SCHEMAS and (gather or name in corpus_names or name == "errors"):
                tables[name] = validate(tables[name], SCHEMAS[name])
    except BaseException:
        memory.close()  # Arrow's own allocator back before the error leaves
        raise

    # write everything to a staging folder first; only a complete set of tables replaces the old outputs
    out_dir.mkdir(parents=True, exist_ok=True)
    staging = out_dir / f".staging-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    rows = {name: sum(s["rows"].get(name, 0) for s in ordered) for name in parts}
    try:
        for name, items in parts.items():
            if name in corpus_names or not consolidate:
                continue
            csv_dest = staging / f"{name}.csv" if write_csv else None
            _consolidate([p for _, p in items], staging / f"{name}.parquet", name=name, csv_dest=csv_dest)
            release_memory()
        for name in [*corpus_names, "errors"]:
            if name in sunk:  # written piece by piece by its stage: published as it is
                rows[name] = sink.rows[name]
                os.replace(sunk[name], staging / f"{name}.parquet")
                if write_csv:
                    _csv_from_parquet([staging / f"{name}.parquet"], staging / f"{name}.csv", name=name)
                continue
            df = tables[name]
            rows[name] = len(df)
            write_parquet(df, staging / f"{name}.parquet", schema=SCHEMAS.get(name))
            if write_csv:
                _write_csv(df, staging / f"{name}.csv")
        _publish_parts(parts, staging)
        seconds = time.perf_counter() - t0
        info = _build_info(
            _provenance(tables.get("documents"), [p for _, p in parts.get("documents", [])]),
            rows=rows,
            seconds=seconds,
            n_cached=n_cached,
            warnings=caught,
            run={
                "executor": executor,
                "workers": workers or default_workers(executor),
                "address": address,
                "chunks": len(chunks),
                "chunk_size": size,
                "chunks_reused": len(chunks) - len(todo),
                "gathered": gather,
                "stages": [m.__name__ for m in modules],
                "timings": {  # seconds: documents in chunks, reading corpus-stage inputs, corpus stages, writing
                    "chunks": round(t_chunks - t0, 3),
                    "read": round(t_read - t_chunks, 3),
                    "corpus_stages": round(t_corpus - t_read, 3),
                    "write": round(seconds - (t_corpus - t0), 3),
                },
            },
        )
        info["corpus_key"] = corpus_key
        write_json(info, staging / "build_info.json")
        for path in sorted(staging.iterdir()):
            if path.is_dir():
                _swap_dir(path, out_dir / path.name)
            else:
                os.replace(path, out_dir / path.name)
    finally:
        memory.close()
        shutil.rmtree(staging, ignore_errors=True)
    _prune_work(work_root, {c.key for c in chunks})
    # every table, read on first use unless already in memory (a large corpus keeps only its small inputs)
    tables = OutputTables(out_dir, [*parts, *corpus_names, "errors"], loaded=tables)
    return BuildResult(
        tables,
        errors_df,
        n_built,
        n_cached,
        seconds,
        out_dir,
        caught,
        rows=rows,
        parts_dir=out_dir / PARTS_DIRNAME,
    )


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


def _no_op() -> None:
    pass


def _corpus_key(chunks: list, modules: tuple, *, write_csv: bool, consolidate: bool) -> str:
    """Hash of everything the outputs depend on: every chunk's key, the stages, the code and the options."""
    payload = [
        [c.key for c in chunks],
        [m.__name__ for m in modules],
        pipeline_fingerprint(),
        write_csv,
        consolidate,
    ]
    return hashlib.sha256(json.dumps(payload).encode()).hexdigest()[:24]


def _previous_build(out_dir: Path, corpus_key: str, *, gather: bool | None, t0: float) -> BuildResult | None:
    """The result of the last build in ``out_dir`` if it was made from exactly the same inputs, else None."""
    info_path = out_dir / "build_info.json"
    try:
        info = json.loads(info_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    rows = info.get("rows", {})
    if info.get("corpus_key") != corpus_key or not rows:
        return None
    if not all((out_dir / f"{name}.parquet").exists() for name in rows):
        return None
    n_docs = int(rows.get("documents", 0))
    if gather is None:
        gather = n_docs <= GATHER_MAX_DOCS
    tables = OutputTables(out_dir, rows) if gather else {}
    errors = tables["errors"] if "errors" in tables else ERRORS.empty()
    return BuildResult(
        tables,
        errors,
        n_docs,
        n_docs,
        time.perf_counter() - t0,
        out_dir,
        list(info.get("warnings", [])),
        rows=dict(rows),
        parts_dir=out_dir / PARTS_DIRNAME,
    )


def _write_csv(df: pd.DataFrame, path: Path) -> None:
    from compare.store import write_csv

    write_csv(df, path)


def _progress(total: int, *, enabled: bool):
    """A progress bar over documents (a notebook widget when ipywidgets is there, else text)."""
    import warnings

    from tqdm import TqdmWarning

    with warnings.catch_warnings():  # no "IProgress not found" warning in notebooks without ipywidgets
        warnings.simplefilter("ignore", TqdmWarning)
        from tqdm.auto import tqdm

    return tqdm(total=total, unit="doc", desc="building", disable=not enabled)


def _build_info(
    docs: pd.DataFrame, *, rows: dict[str, int], seconds: float, n_cached: int, warnings: list[str], run: dict
) -> dict:
    from importlib.metadata import PackageNotFoundError, version

    versions = {}
    for pkg in (
        "policy-compare",
        "pandas",
        "pyarrow",
        "jieba",
        "opencc",
        "rjieba",
        "scikit-learn",
        "distributed",
    ):
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
