"""Build ``data/processed/`` from a raw folder: the per-document pipeline, caching, stage hooks, writing.

``process_document`` is a pure function of one document (read → clean → segment → tokenise → per-document
stages) so any executor can map it. ``build`` discovers the documents, reuses cached results of documents
whose raw bytes, manifest row and pipeline code have not changed, runs the rest, combines the tables, runs
the cross-document stages and writes every table atomically. Nothing is written when a document fails,
unless ``keep_going`` is set, in which case the failures are listed in the ``errors`` table.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import importlib
import json
import logging
import os
import platform
import shutil
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from compare.errors import InputError, PolicyCompareError
from compare.ingest import DocSpec, MetadataWarning, discover, document_row
from compare.schemas import DOCUMENTS, ERRORS, SCHEMAS, validate

LOG = logging.getLogger(__name__)

FOUNDATION_TABLES = ("documents", "passages", "sentences", "tokens", "repairs")
#: Modules providing ``document_tables`` / ``corpus_tables`` hooks, run in this order when installed.
STAGE_MODULES = ("compare.themes", "compare.targets")
CACHE_DIRNAME = ".cache"
EXECUTORS = ("serial", "process", "dask")


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
    """

    tables: dict[str, pd.DataFrame]
    errors: pd.DataFrame
    n_documents: int
    n_cached: int
    seconds: float
    out_dir: Path
    warnings: list[str] = field(default_factory=list)


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
        documents = validate(pd.DataFrame([document_row(spec, raw, cleaned)]), DOCUMENTS)
        stage = "segment"
        passages = split_passages(
            cleaned.text, doc_id=spec.doc_id, text_original=cleaned.text_original, source_sha256=raw.sha256
        )
        sentences = split_sentences(passages)
        stage = "tokenize"
        tables_ids = set(passages.loc[passages["kind"] == "table", "passage_id"])
        tokens = tokenize(sentences, backend=backend, skip_passages=tables_ids)
        tables = {
            "documents": documents,
            "passages": passages,
            "sentences": sentences,
            "tokens": tokens,
            "repairs": cleaned.repairs_frame(doc_id=spec.doc_id, source_sha256=raw.sha256),
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


def _init_worker(backend: str | None) -> None:
    """Process-pool initializer: build the tokenizer (and its dictionary) once per worker process."""
    from compare.tokenize import get_tokenizer

    get_tokenizer(backend)
    stage_modules()


def _process_safe(spec: DocSpec, backend: str | None) -> tuple[DocSpec, dict | None, dict | None]:
    try:
        return spec, process_document(spec, backend=backend), None
    except StageError as exc:
        return spec, None, exc.record()


def _run(
    specs: list[DocSpec], *, executor: str, workers: int | None, backend: str | None
) -> Iterator[tuple[DocSpec, dict | None, dict | None]]:
    if executor == "serial" or len(specs) <= 1:
        for spec in specs:
            yield _process_safe(spec, backend)
        return
    if executor == "process":
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor, as_completed

        n = workers or os.cpu_count() or 1
        with ProcessPoolExecutor(
            max_workers=n, mp_context=mp.get_context("spawn"), initializer=_init_worker, initargs=(backend,)
        ) as pool:
            futures = {pool.submit(_process_safe, spec, backend): spec for spec in specs}
            for fut in as_completed(futures):
                spec = futures[fut]
                try:
                    yield fut.result()
                except Exception as exc:  # a worker that died (BrokenProcessPool) costs its document
                    yield (
                        spec,
                        None,
                        {
                            "doc_id": spec.doc_id,
                            "file": str(spec.path),
                            "stage": "worker",
                            "message": f"{type(exc).__name__}: {exc}",
                        },
                    )
        return
    raise ValueError(f"unknown executor {executor!r}; choose one of {EXECUTORS}")


def _concat(frames: Iterable[pd.DataFrame], name: str) -> pd.DataFrame:
    frames = [f for f in frames if f is not None and len(f)]
    schema = SCHEMAS.get(name)
    if not frames:
        return schema.empty() if schema is not None else pd.DataFrame()
    df = pd.concat(frames, ignore_index=True)
    return validate(df, schema) if schema is not None else df


def build(
    raw_dir: str | Path,
    out_dir: str | Path,
    *,
    executor: str = "serial",
    workers: int | None = None,
    keep_going: bool = False,
    backend: str | None = None,
    use_cache: bool = True,
    write_csv: bool = True,
    progress: bool = False,
) -> BuildResult:
    """Build every processed table from a raw folder.

    Args:
        raw_dir: Folder of raw plan files (and optional ``manifest.csv``); never written.
        out_dir: Folder for the processed tables.
        executor: ``"serial"`` or ``"process"`` (all local cores, spawn start method).
        workers: Number of worker processes (default: all cores).
        keep_going: Build the good documents when some fail, listing failures in the ``errors`` table.
            Without it a failure stops the build and nothing is written.
        backend: Tokenizer backend.
        use_cache: Reuse results of unchanged documents (same bytes, manifest row and pipeline code).
        write_csv: Also write each table as CSV (UTF-8 with BOM).
        progress: Show a progress bar over documents.

    Returns:
        A :class:`BuildResult`.

    Raises:
        InputError: The raw folder or manifest is unusable, or holds no documents.
        BuildError: A document failed and ``keep_going`` is off (nothing written).
    """
    import warnings as _warnings

    from compare.store import write_csv as _write_csv
    from compare.store import write_json, write_parquet

    t0 = time.perf_counter()
    raw_dir, out_dir = Path(raw_dir), Path(out_dir)
    if executor not in EXECUTORS:
        raise ValueError(f"unknown executor {executor!r}; choose one of {EXECUTORS}")
    specs = discover(raw_dir)
    if not specs:
        raise InputError(raw_dir, "no plan documents found (.txt, .html, .docx or .pdf)")
    cache_dir = out_dir / CACHE_DIRNAME
    results: dict[str, dict[str, pd.DataFrame]] = {}
    errors: list[dict] = []
    todo, keys = [], {}
    for spec in specs:
        if not spec.path.is_file():
            errors.append(
                {
                    "doc_id": spec.doc_id,
                    "file": str(spec.path),
                    "stage": "read",
                    "message": f"{spec.path}: file not found",
                }
            )
            continue
        keys[spec.doc_id] = _cache_key(spec, backend=backend)
        cached = _cache_load(cache_dir, spec, keys[spec.doc_id]) if use_cache else None
        if cached is not None:
            results[spec.doc_id] = cached
        else:
            todo.append(spec)
    n_cached = len(results)
    caught: list[str] = []
    bar = _progress(len(todo), enabled=progress and bool(todo))
    with _warnings.catch_warnings(record=True) as warned:
        _warnings.simplefilter("always", MetadataWarning)
        for spec, tables, error in _run(todo, executor=executor, workers=workers, backend=backend):
            bar.update(1)
            if error is not None:
                errors.append(error)
                continue
            results[spec.doc_id] = tables
            if use_cache:
                _cache_save(cache_dir, spec, keys[spec.doc_id], tables)
        caught = [str(w.message) for w in warned if issubclass(w.category, MetadataWarning)]
    bar.close()
    for message in caught:
        LOG.warning(message)
    errors_df = validate(pd.DataFrame(errors, columns=ERRORS.names), ERRORS) if errors else ERRORS.empty()
    if len(errors_df) and not keep_going:
        raise BuildError(errors_df)
    if not results:
        raise BuildError(errors_df)

    order = [s.doc_id for s in specs if s.doc_id in results]
    names: list[str] = []
    for doc_id in order:
        names.extend(n for n in results[doc_id] if n not in names)
    tables = {name: _concat((results[d].get(name) for d in order), name) for name in names}
    for module in stage_modules():
        if hasattr(module, "corpus_tables"):
            tables.update(module.corpus_tables(tables))
    tables["errors"] = errors_df
    tables = {name: (validate(df, SCHEMAS[name]) if name in SCHEMAS else df) for name, df in tables.items()}

    # write everything to a staging folder first; only a complete set of tables replaces the old outputs
    out_dir.mkdir(parents=True, exist_ok=True)
    staging = out_dir / f".staging-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        for name, df in tables.items():
            write_parquet(df, staging / f"{name}.parquet", schema=SCHEMAS.get(name))
            if write_csv:
                _write_csv(df, staging / f"{name}.csv")
        seconds = time.perf_counter() - t0
        info = _build_info(tables, seconds=seconds, n_cached=n_cached, warnings=caught)
        write_json(info, staging / "build_info.json")
        for path in sorted(staging.iterdir()):
            os.replace(path, out_dir / path.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return BuildResult(tables, errors_df, len(order), n_cached, seconds, out_dir, caught)


def _progress(total: int, *, enabled: bool):
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="doc", desc="building", disable=not enabled)


def _build_info(
    tables: dict[str, pd.DataFrame], *, seconds: float, n_cached: int, warnings: list[str]
) -> dict:
    from importlib.metadata import PackageNotFoundError, version

    versions = {}
    for pkg in ("policy-compare", "pandas", "pyarrow", "jieba", "opencc", "rjieba", "scikit-learn"):
        try:
            versions[pkg] = version(pkg)
        except PackageNotFoundError:
            versions[pkg] = None
    docs = tables.get("documents", pd.DataFrame())
    return {
        "built_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "seconds": round(seconds, 3),
        "documents_from_cache": n_cached,
        "pipeline_fingerprint": pipeline_fingerprint(),
        "python": platform.python_version(),
        "packages": versions,
        "files": {r.doc_id: {"file": r.file, "sha256": r.source_sha256} for r in docs.itertuples()},
        "rows": {name: len(df) for name, df in tables.items()},
        "warnings": warnings,
    }
