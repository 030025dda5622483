"""One chunk of a build, in a worker: each document through the foundation and the per-document stages, the
chunk's tables validated once and written as Parquet parts.

:func:`process_document` is a pure function of one document (read → clean → metadata → segment → tokenise →
each stage's per-document step, :mod:`compare.pipeline.stages`), so any executor can map it.
:func:`run_chunk` takes each document from the per-document cache (:mod:`compare.pipeline.cache`) when its
inputs are unchanged, else processes it; a failing document becomes an error record and the others are built.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import warnings
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from compare.core.errors import InputError, PolicyCompareError, SchemaError
from compare.core.schemas import SCHEMAS, validate
from compare.core.store import write_json, write_parquet
from compare.pipeline.cache import DONE_FILE, cache_load
from compare.pipeline.executors import Chunk
from compare.pipeline.stages import selected_stages
from compare.text.clean import clean_text
from compare.text.ingest import DocSpec, MetadataWarning, document_row
from compare.text.readers import read_document
from compare.text.segment import split_passages, split_sentences
from compare.text.tokenize import tokenize

LOG = logging.getLogger(__name__)

#: Bump when the layout of chunk work folders changes (invalidates completed chunks).
PARTS_VERSION = 1
#: Test-only: a document whose file name contains this variable's value kills its worker (``os._exit(137)``).
CRASH_TEST_ENV = "POLICY_COMPARE_TEST_CRASH_ON"


def document_foundation(spec: DocSpec, *, backend: str | None = None) -> dict[str, pd.DataFrame]:
    """Read, clean, describe, segment and tokenise one raw file (the tables every stage reads).

    Returns:
        ``{table: DataFrame}``: documents (one row), passages, sentences, tokens, repairs (not yet validated:
        every table is validated once per chunk).

    Raises:
        StageError: Wrapping any failure, naming the file and the stage.
    """
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
        return {
            "documents": documents,
            "passages": passages,
            "sentences": sentences,
            "tokens": tokens,
            "repairs": cleaned.repairs_frame(doc_id=spec.doc_id, source_sha256=raw.sha256, check=False),
        }
    except Exception as exc:  # every failure becomes a StageError naming the file and stage
        raise StageError(spec, stage, exc) from exc


def document_stages(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Each stage's per-document step (:mod:`compare.pipeline.stages`) on foundation ``tables`` of one or
    more documents: the steps work per document, so one call over a chunk's documents gives the rows of
    one call per document, in the same order, with less overhead.

    Raises:
        _StepFailed: Naming the stage that failed.
    """
    tables = dict(tables)
    for step in selected_stages():
        try:
            tables.update(step.document_tables(tables, documents=tables["documents"]))
        except Exception as exc:
            raise _StepFailed(step.name, exc) from exc
    return tables


class _StepFailed(Exception):
    def __init__(self, stage: str, exc: BaseException) -> None:
        super().__init__(stage)
        self.stage, self.exc = stage, exc


def process_document(spec: DocSpec, *, backend: str | None = None) -> dict[str, pd.DataFrame]:
    """Run the per-document pipeline on one raw file.

    Args:
        spec: The document (path, doc id, manifest row).
        backend: Tokenizer backend (see :func:`compare.text.tokenize.get_tokenizer`).

    Returns:
        ``{table name: DataFrame}`` for this document: documents (one row), passages, sentences, tokens,
        repairs, plus the tables of the per-document stage hooks.

    Raises:
        StageError: Wrapping any failure, naming the file and the stage.
    """
    tables = document_foundation(spec, backend=backend)
    try:
        return document_stages(tables)
    except _StepFailed as failed:
        raise StageError(spec, failed.stage, failed.exc) from failed.exc


def _stages_of_batch(
    built: list[tuple[DocSpec, dict[str, pd.DataFrame]]],
) -> tuple[list[tuple[tuple[DocSpec, ...], dict[str, pd.DataFrame]]], list[dict]]:
    """The stages run once over the foundation tables of a chunk's fresh documents; if that fails, once per
    document, so that only the documents that fail become error records."""
    if not built:
        return [], []
    if len(built) > 1:
        names = list(dict.fromkeys(n for _, t in built for n in t))
        merged = {n: pd.concat([t[n] for _, t in built if n in t], ignore_index=True) for n in names}
        try:
            return [(tuple(spec for spec, _ in built), document_stages(merged))], []
        except _StepFailed:
            pass  # find the culprits one by one
    out, errors = [], []
    for spec, tables in built:
        try:
            out.append(((spec,), document_stages(tables)))
        except _StepFailed as failed:
            errors.append(StageError(spec, failed.stage, failed.exc).record())
    return out, errors


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


def run_chunk(chunk: Chunk, *, keep_tables: bool = False) -> dict:
    """Build one chunk of documents and write its Parquet parts (runs in a worker).

    Each document comes from the per-document cache when its inputs are unchanged, else from
    :func:`process_document`. A failing document becomes an error record; the others are built. Each table
    is written to ``<chunk.work_dir>/<table>.parquet`` with the table's fixed Arrow schema, then
    ``_done.json`` marks the chunk complete (a re-run with the same inputs skips it).

    Args:
        chunk: The chunk.
        keep_tables: Also return the chunk's validated tables (``tables``: ``{table: DataFrame}``, equal to
            its parts read back), so that a serial build need not read them back.

    Returns:
        A summary: ``index``, ``key``, ``doc_ids`` (built), ``n_cached``, ``errors`` (records),
        ``warnings`` (metadata warnings), ``rows`` (``{table: rows}``, in first-seen order), ``pid`` (of the
        process that built it); with ``keep_tables``, ``tables`` too (not written to ``_done.json``).
    """
    work = Path(chunk.work_dir)
    shutil.rmtree(work, ignore_errors=True)  # leftovers of a run that died
    sources = {s.doc_id: f for s, f in zip(chunk.specs, chunk.cached, strict=False) if f is not None}
    cached = cache_load(sources) if sources else {}
    done: list[tuple[tuple[DocSpec, ...], dict[str, pd.DataFrame]]] = []
    fresh: list[tuple[DocSpec, dict[str, pd.DataFrame]]] = []
    errors = []
    with warnings.catch_warnings(record=True) as warned:
        warnings.simplefilter("always", MetadataWarning)
        for spec in chunk.specs:
            tables = cached.get(spec.doc_id)
            if tables is not None:
                done.append(((spec,), tables))
                continue
            try:
                _crash_if_test_asks(spec)
                fresh.append((spec, document_foundation(spec, backend=chunk.backend)))
            except StageError as exc:
                errors.append(exc.record())
            except Exception as exc:  # the test hook in the driver, or anything the foundation let out
                errors.append(StageError(spec, "worker", exc).record())
        staged, failed = _stages_of_batch(fresh)
        done.extend(staged)
        errors.extend(failed)
    order = {spec.doc_id: i for i, spec in enumerate(chunk.specs)}
    done.sort(key=lambda group: order[group[0][0].doc_id])  # rows are put in this order by chunk_tables
    messages = [str(w.message) for w in warned if issubclass(w.category, MetadataWarning)]
    for w in warned:
        if not issubclass(w.category, MetadataWarning):
            LOG.debug("%s: %s", w.category.__name__, w.message)
    merged, rejected = chunk_tables(done, order=order)
    errors.extend(rejected)
    rows = {}
    for name, df in merged.items():
        write_parquet(df, work / f"{name}.parquet", schema=SCHEMAS.get(name))
        rows[name] = len(df)
    rejected_ids = {e["doc_id"] for e in rejected}
    built = [spec.doc_id for specs, _ in done for spec in specs if spec.doc_id not in rejected_ids]
    built_set = set(built)
    summary = {
        "index": chunk.index,
        "key": chunk.key,
        "doc_ids": built,
        "doc_keys": {
            spec.doc_id: key
            for spec, key in zip(chunk.specs, chunk.doc_keys, strict=True)
            if spec.doc_id in built_set
        },
        "n_cached": len(built_set & cached.keys()),
        "errors": errors,
        "warnings": messages,
        "rows": rows,
        "pid": os.getpid(),
    }
    write_json(summary, work / DONE_FILE)
    if keep_tables:
        return {**summary, "tables": merged}
    return summary


def chunk_tables(
    done: list[tuple[tuple[DocSpec, ...], dict[str, pd.DataFrame]]],
    *,
    order: dict[str, int] | None = None,
) -> tuple[dict[str, pd.DataFrame], list[dict]]:
    """Concatenate a chunk's tables (one entry per document, or one for the documents staged together), in
    document order, each table validated once against its schema.

    When a table fails the check, each document's tables are checked on their own to find the culprits:
    those documents become error records (stage ``schema``) and the chunk is built from the rest.

    Args:
        done: ``(documents, tables)`` entries.
        order: ``{doc_id: place}`` of the chunk's documents (default: the order of ``done``).

    Returns:
        ``({table: validated DataFrame}, error records)``.
    """
    names: list[str] = []
    for _, tables in done:
        names.extend(n for n in tables if n not in names)
    if order is None:
        order = {spec.doc_id: i for i, spec in enumerate(spec for specs, _ in done for spec in specs)}
    try:
        merged = {name: concat_tables((t[name] for _, t in done if name in t), name) for name in names}
        if any(len(specs) > 1 for specs, _ in done):  # a batch's steps may group its documents their own way
            merged = {n: _in_document_order(df, order) for n, df in merged.items()}
        return merged, []
    except SchemaError as exc:
        failure = exc
    good, rejected = [], []
    for specs, tables in done:
        for spec in specs:
            own = tables if len(specs) == 1 else _rows_of(tables, spec.doc_id)
            try:
                for name, df in own.items():
                    if name in SCHEMAS:
                        validate(df, SCHEMAS[name])
            except SchemaError as exc:
                rejected.append(StageError(spec, "schema", exc).record())
            else:
                good.append(((spec,), own))
    if not rejected:  # each document is fine on its own, only their union is not: a bug, not bad input
        raise failure
    merged, _ = chunk_tables(good, order=order) if good else ({}, [])
    return merged, rejected


def _rows_of(tables: dict[str, pd.DataFrame], doc_id: str) -> dict[str, pd.DataFrame]:
    """One document's rows of tables that hold several documents."""
    return {
        n: df[df["doc_id"] == doc_id].reset_index(drop=True) if "doc_id" in df else df
        for n, df in tables.items()
    }


def _in_document_order(df: pd.DataFrame, order: dict[str, int]) -> pd.DataFrame:
    """Rows stably sorted by their document's place in the chunk (rows of one document keep their order)."""
    if df.empty or "doc_id" not in df:
        return df
    rank = df["doc_id"].map(order).to_numpy()
    idx = rank.argsort(kind="stable")
    if (idx == np.arange(len(idx))).all():
        return df
    return df.iloc[idx].reset_index(drop=True)


def chunk_key(doc_keys: Iterable[str]) -> str:
    """A chunk's key: the hash of its documents' cache keys (and :data:`PARTS_VERSION`)."""
    h = hashlib.sha256(f"chunk-v{PARTS_VERSION}".encode())
    for key in doc_keys:
        h.update(key.encode())
    return h.hexdigest()[:24]


def load_done(chunk: Chunk) -> dict | None:
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


def concat_tables(frames: Iterable[pd.DataFrame], name: str) -> pd.DataFrame:
    """Frames of one table concatenated and validated against its schema (its empty table when none has rows)."""
    frames = [f for f in frames if f is not None and len(f)]
    schema = SCHEMAS.get(name)
    if not frames:
        return schema.empty() if schema is not None else pd.DataFrame()
    df = pd.concat(frames, ignore_index=True)
    return validate(df, schema) if schema is not None else df
