"""Build ``data/processed/`` from a raw folder: the one function that runs the pipeline, step by step.

:func:`build` discovers the documents, plans them into chunks, maps :func:`compare.pipeline.chunks.run_chunk`
over the chunks that changed with an executor from :mod:`compare.pipeline.executors` (serial, local
processes, Dask), runs the corpus step of every stage (:mod:`compare.pipeline.stages`) and writes every table
atomically (:mod:`compare.pipeline.outputs`). Documents whose raw bytes, manifest row, pipeline code and stages
have not changed come from the per-document cache, and chunks whose documents have not changed are skipped
altogether (a re-run resumes). Nothing is written when a document fails, unless ``keep_going`` is set, in
which case the failures are listed in the ``errors`` table; a failed build leaves the previous outputs as
they were.

Work folder inside ``out_dir``: ``.parts/<chunk key>/`` (chunk parts: the resume state, and the per-document
cache, since a completed chunk lists the key of every document it built); ``.build.lock`` keeps a second
build out while one runs.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import json
import logging
import os
import shutil
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from compare.core import store
from compare.core.errors import InputError, PolicyCompareError
from compare.core.memory import release_memory, system_memory_pool
from compare.core.schemas import ERRORS, SCHEMAS, validate
from compare.core.store import OutputTables, TableSink, write_parquet
from compare.pipeline import journal, outputs, publisher
from compare.pipeline.cache import cache_index, cache_key, pipeline_fingerprint
from compare.pipeline.chunks import chunk_key, concat_tables, load_done, run_chunk
from compare.pipeline.executors import (
    EXECUTORS,
    Chunk,
    chunk_size_for,
    default_workers,
    failure_records,
    map_chunks,
)
from compare.pipeline.lock import build_lock
from compare.pipeline.publisher import Early, staging_dir
from compare.pipeline.stages import Stage, selected_stages, warm_corpus_imports
from compare.text.ingest import DocSpec, discover

LOG = logging.getLogger(__name__)

FOUNDATION_TABLES = ("documents", "passages", "sentences", "tokens", "repairs")
#: Where builds before the chunk-folder cache kept one folder per document (removed after a build).
LEGACY_CACHE_DIRNAME = ".cache"
#: Chunk work folders (parts + ``_done.json``); the resume state of the build.
WORK_DIRNAME = ".parts"
#: Folder (inside the work folder) where the corpus stages of a large corpus write their tables.
CORPUS_DIRNAME = "corpus"
#: Corpora up to this size give the corpus stages every table in full (see ``build(gather=…)``).
GATHER_MAX_DOCS = 1000


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


@dataclass
class _Run:
    """How a build runs (its options, stages and clock) and what ``build_info.json`` records of it."""

    executor: str
    workers: int | None
    address: str | None
    stages: tuple[Stage, ...]
    t0: float
    t_chunks: float = 0.0
    t_corpus: float = 0.0
    corpus_key: str = ""
    gather: bool = True
    early: list[str] = field(default_factory=list)  # tables published while the corpus steps ran
    keep_tables: bool = False  # serial and gathered: the chunks' tables stay in memory for the corpus steps

    @property
    def n_workers(self) -> int:
        return self.workers or default_workers(self.executor)


@dataclass
class _Plan:
    """The chunks of a build and which of them must run."""

    chunks: list[Chunk]
    todo: list[Chunk]
    done: dict[int, dict]  # chunk index -> summary of a chunk completed by an earlier run
    missing: list[dict]  # error records of listed files that are not there
    chunk_size: int


@dataclass
class _Chunks:
    """What the chunks gave: their summaries in corpus order, the errors and the per-document parts."""

    ordered: list[dict]
    errors: pd.DataFrame
    warnings: list[str]
    n_built: int
    n_cached: int
    parts: dict[str, list[tuple[int, Path]]]  # table -> [(chunk index, part)] in corpus order
    chunk_parts: list[dict[str, Path]]  # per chunk: {table: part}
    in_memory: dict[int, dict[str, pd.DataFrame]] = field(default_factory=dict)  # chunk index -> its tables


@dataclass
class _Corpus:
    """What the corpus stages gave: tables in memory, the names they produced, and tables they sank."""

    tables: dict[str, pd.DataFrame]
    names: list[str]
    sunk: dict[str, Path] = field(default_factory=dict)
    sink_rows: dict[str, int] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)


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
        BuildLockedError: Another build is writing ``out_dir`` (:mod:`compare.pipeline.lock`).
    """
    run = _Run(executor, workers, address, stages=selected_stages(), t0=time.perf_counter())
    raw_dir, out_dir = Path(raw_dir), Path(out_dir)
    _check_options(executor=executor, address=address)
    # Arrow allocates with the system allocator for the whole build (restored after): measured on 99
    # documents 0.3–0.5 s faster and ~120 MB less peak than its default pool, which keeps the pages it got
    with build_lock(out_dir), system_memory_pool():  # one build at a time per output folder
        for line in journal.recover(out_dir):  # a publish a killed build left half done
            LOG.warning(line)
        specs = _discover(raw_dir)
        plan = _plan_chunks(specs, out_dir, run=run, backend=backend, use_cache=use_cache, size=chunk_size)
        run.corpus_key = _corpus_key(plan.chunks, run.stages, write_csv=write_csv, consolidate=consolidate)
        if use_cache and not plan.todo and not plan.missing:  # nothing changed: the outputs are the answer
            previous = _previous_build(out_dir, run.corpus_key, gather=gather, t0=run.t0)
            if previous is not None:
                return previous
        run.keep_tables = run.executor == "serial" and (
            gather if gather is not None else len(specs) <= GATHER_MAX_DOCS
        )
        rows, built, corpus = _chunks_and_corpus(
            plan, out_dir, run=run, progress=progress, keep_going=keep_going, gather=gather,
            write_csv=write_csv, consolidate=consolidate,
        )  # fmt: skip
        outputs.prune_work(out_dir / WORK_DIRNAME, {c.key for c in plan.chunks})
        shutil.rmtree(out_dir / LEGACY_CACHE_DIRNAME, ignore_errors=True)  # per-document cache of old builds
        # every table, read on first use unless already in memory (a large corpus keeps only its small inputs)
        tables = OutputTables(out_dir, [*built.parts, *corpus.names, "errors"], loaded=corpus.tables)
        seconds = time.perf_counter() - run.t0
        return BuildResult(
            tables, built.errors, built.n_built, built.n_cached, seconds, out_dir, built.warnings, rows=rows,
            parts_dir=out_dir / outputs.PARTS_DIRNAME,
        )  # fmt: skip


def _chunks_and_corpus(
    plan: _Plan,
    out_dir: Path,
    *,
    run: _Run,
    progress: bool,
    keep_going: bool,
    gather: bool | None,
    write_csv: bool,
    consolidate: bool,
) -> tuple[dict[str, int], _Chunks, _Corpus]:
    """Run the chunks, then the corpus stages, and publish every table; rows written per table, the chunks'
    results and the corpus stages' results."""
    summaries = _run_chunks(plan, run=run, progress=progress)
    run.t_chunks = time.perf_counter()
    built = _gather_chunks(plan, summaries, out_dir, keep_going=keep_going)
    run.gather = built.n_built <= GATHER_MAX_DOCS if gather is None else gather
    with (
        _early_publish(built, out_dir, run=run, csv=write_csv, consolidate=consolidate) as early,
        _corpus_memory(large=not run.gather) as release,
        _corpus_sink(out_dir / WORK_DIRNAME, enabled=not run.gather) as sink,
    ):
        run.early = sorted(early.names) if early is not None else []
        corpus = _run_corpus_stages(built, run.stages, gather=run.gather, sink=sink, release=release)
        run.t_corpus = time.perf_counter()
        info = functools.partial(_info, built, corpus, plan, run=run)
        rows = _publish(
            built, corpus, out_dir, csv=write_csv, consolidate=consolidate, release=release, info=info,
            early=early,
        )  # fmt: skip
    return rows, built, corpus


def _check_options(*, executor: str, address: str | None) -> None:
    if executor not in EXECUTORS:
        raise ValueError(f"unknown executor {executor!r}; choose one of {EXECUTORS}")
    if address is not None and executor != "dask":
        raise ValueError("an address needs executor='dask'")


def _discover(raw_dir: Path) -> list[DocSpec]:
    specs = discover(raw_dir)
    if not specs:
        raise InputError(raw_dir, "no plan documents found (.txt, .html, .docx or .pdf)")
    return specs


def _plan_chunks(
    specs: list[DocSpec],
    out_dir: Path,
    *,
    run: _Run,
    backend: str | None,
    use_cache: bool,
    size: int | None,
) -> _Plan:
    """Group the documents into chunks (keyed by their documents' cache keys) and find those already done."""
    missing: list[dict] = []
    present: list[DocSpec] = []
    for spec in specs:
        if spec.path.is_file():
            present.append(spec)
        else:
            message = f"{spec.path}: file not found"
            missing.append(
                {"doc_id": spec.doc_id, "file": str(spec.path), "stage": "read", "message": message}
            )
    names = [s.name for s in run.stages]
    keys = [cache_key(spec, backend=backend, stages=names) for spec in present]
    size = size or chunk_size_for(len(present), n_workers=run.n_workers)
    chunks = []
    for index, lo in enumerate(range(0, len(present), size)):
        doc_keys = tuple(keys[lo : lo + size])
        key = chunk_key(doc_keys)
        chunks.append(
            Chunk(
                index=index,
                key=key,
                specs=tuple(present[lo : lo + size]),
                doc_keys=doc_keys,
                work_dir=str(out_dir / WORK_DIRNAME / key),
                backend=backend,
            )
        )
    done: dict[int, dict] = {}
    todo = []
    for chunk in chunks:
        summary = load_done(chunk) if use_cache else None
        if summary is not None:
            done[chunk.index] = summary
        else:
            todo.append(chunk)
    if use_cache and todo:  # documents of the chunks to run that an earlier chunk already built
        index = cache_index(out_dir / WORK_DIRNAME, exclude={c.key for c in todo})
        todo = [
            dataclasses.replace(c, cached=tuple(_str_or_none(index.get(k)) for k in c.doc_keys)) for c in todo
        ]
        chunks = [next((t for t in todo if t.index == c.index), c) for c in chunks]
    return _Plan(chunks, todo, done, missing, size)


def _str_or_none(path: Path | None) -> str | None:
    return None if path is None else str(path)


def _run_chunks(plan: _Plan, *, run: _Run, progress: bool) -> dict[int, dict]:
    """Run the chunks that must run; every chunk's summary (a lost chunk: its error records)."""
    summaries = dict(plan.done)
    bar = _progress(sum(len(c.specs) for c in plan.todo), enabled=progress and bool(plan.todo))
    if run.executor != "serial" and plan.todo:
        # the driver only waits while workers build the chunks: import what the corpus stages need meanwhile
        threading.Thread(target=warm_corpus_imports, name="warm-imports", daemon=True).start()
    try:
        fn = functools.partial(run_chunk, keep_tables=True) if run.keep_tables else run_chunk
        for chunk, summary, exc in map_chunks(
            fn, plan.todo, executor=run.executor, workers=run.workers, address=run.address
        ):
            bar.update(len(chunk.specs))
            if summary is not None:
                summaries[chunk.index] = summary
            else:
                LOG.warning("chunk %d lost: %s: %s", chunk.index, type(exc).__name__, exc)
                summaries[chunk.index] = {"lost": failure_records(chunk, exc)}
    finally:
        bar.close()
    return summaries


def _gather_chunks(plan: _Plan, summaries: dict[int, dict], out_dir: Path, *, keep_going: bool) -> _Chunks:
    """The chunks' results in corpus order; stops the build (nothing written) when a document failed."""
    work_root = out_dir / WORK_DIRNAME
    ordered = [summaries[c.index] for c in plan.chunks if "lost" not in summaries[c.index]]
    errors = list(plan.missing)
    for chunk in plan.chunks:
        s = summaries[chunk.index]
        errors.extend(s["lost"] if "lost" in s else s["errors"])
    caught = [w for s in ordered for w in s["warnings"]]
    for message in caught:
        LOG.warning(message)
    errors_df = validate(pd.DataFrame(errors, columns=ERRORS.names), ERRORS) if errors else ERRORS.empty()
    n_built = sum(len(s["doc_ids"]) for s in ordered)
    if (len(errors_df) and not keep_going) or not n_built:
        raise BuildError(errors_df)
    parts: dict[str, list[tuple[int, Path]]] = {}
    for s in ordered:
        for name in s["rows"]:
            parts.setdefault(name, []).append((s["index"], work_root / s["key"] / f"{name}.parquet"))
    chunk_parts = [{name: work_root / s["key"] / f"{name}.parquet" for name in s["rows"]} for s in ordered]
    n_cached = sum(s["n_cached"] for s in ordered)
    in_memory = {s["index"]: s.pop("tables") for s in ordered if "tables" in s}
    return _Chunks(ordered, errors_df, caught, n_built, n_cached, parts, chunk_parts, in_memory)


@contextlib.contextmanager
def _corpus_memory(*, large: bool) -> Iterator[Callable[[], None]]:
    """For a large corpus, Arrow allocates with the system allocator from reading the parts to writing the
    outputs, and memory is handed back after each stage and each consolidated table (Arrow's default pool
    kept ~200 MB of pages in the driver: measured 106 MB less driver peak at 500 documents). Yields the
    function that hands memory back (a no-op for small corpora)."""
    if not large:
        yield _no_op
        return
    with system_memory_pool():
        yield release_memory


@contextlib.contextmanager
def _corpus_sink(work_root: Path, *, enabled: bool) -> Iterator[TableSink | None]:
    """Where the corpus stages of a large corpus write their tables (removed once the build is published or
    has failed); None for a small corpus."""
    if not enabled:
        yield None
        return
    folder = work_root / f"{CORPUS_DIRNAME}-{os.getpid()}"
    try:
        with TableSink(folder) as sink:
            yield sink
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _run_corpus_stages(
    built: _Chunks,
    stages: tuple[Stage, ...],
    *,
    gather: bool,
    sink: TableSink | None,
    release: Callable[[], None],
) -> _Corpus:
    """Read the corpus-stage inputs back from the parts and run every stage's corpus step, in order.

    With ``gather`` each step gets every table in memory; without, it gets the documents (without their
    texts), the chunk parts to stream and ``sink`` to write its tables into.
    """
    t0 = time.perf_counter()
    tables: dict[str, pd.DataFrame] = {}
    # without any corpus step, the result reads its tables lazily from the published outputs
    if any(s.corpus_tables is not None for s in stages):
        for name, items in built.parts.items():
            if gather and built.in_memory:  # a serial build: the chunks it ran hold their tables already
                # strings as Python objects, as read back (the corpus steps run faster on them)
                df = store.as_built_dtypes(
                    concat_tables(
                        (
                            built.in_memory[i][name] if i in built.in_memory else store.read_as_built(p, name)
                            for i, p in items
                        ),
                        name,
                    ),
                    name,
                )
            else:
                df = outputs.read_for_corpus(name, [p for _, p in items], gather=gather)
            if df is not None:
                tables[name] = df
        built.in_memory.clear()
    t_read = time.perf_counter()
    names: list[str] = []
    for stage in stages:
        if stage.corpus_tables is None:
            continue
        if sink is not None:
            produced = stage.corpus_tables(tables, parts=built.chunk_parts, sink=sink)
        else:
            produced = stage.corpus_tables(tables)
        tables.update(produced)
        names.extend(n for n in produced if n not in names)
        release()
    sunk = sink.close() if sink is not None else {}
    names.extend(n for n in sunk if n not in names)
    tables["errors"] = built.errors
    # the tables read back were validated when gathered (concat_tables) or stay Arrow-backed (big corpora):
    # only what the corpus steps made is checked here
    for name in tables:
        if name in SCHEMAS and (name in names or name == "errors"):
            tables[name] = validate(tables[name], SCHEMAS[name])
    timings = {"read": round(t_read - t0, 3), "corpus_stages": round(time.perf_counter() - t_read, 3)}
    return _Corpus(tables, names, sunk, dict(sink.rows) if sink is not None else {}, timings)


def _replaced(run: _Run) -> set[str]:
    """The per-document tables a corpus step rewrites (published after the corpus steps)."""
    return {name for stage in run.stages for name in stage.replaces}


def _early_publish(
    built: _Chunks,
    out_dir: Path,
    *,
    run: _Run,
    csv: bool,
    consolidate: bool,
):
    """:func:`compare.pipeline.publisher.early_publish` for this build's chunk parts."""
    replaced = _replaced(run)
    return publisher.early_publish(
        staging_dir(out_dir), {n: [p for _, p in items] for n, items in built.parts.items() if n not in replaced},
        process=run.executor == "process", csv=csv, consolidate=consolidate,
    )  # fmt: skip


def _publish(
    built: _Chunks,
    corpus: _Corpus,
    out_dir: Path,
    *,
    csv: bool,
    consolidate: bool,
    release: Callable[[], None],
    info: Callable[[dict[str, int]], dict],
    early: Early | None = None,
) -> dict[str, int]:
    """Write every table to a staging folder, seal it, then swap it in (:mod:`compare.pipeline.journal`): only
    a complete set replaces the old outputs.

    Args:
        early: Tables a background process is already writing into the staging folder (:func:`_early_publish`);
            waited for before any table of the same name is written and before the folder is sealed.

    Returns:
        Rows written per table.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    staging = staging_dir(out_dir)
    if early is None:
        shutil.rmtree(staging, ignore_errors=True)
    rows = {name: sum(s["rows"].get(name, 0) for s in built.ordered) for name in built.parts}
    pending = early
    try:
        for name, items in built.parts.items():
            if name in corpus.names or not consolidate or (early is not None and name in early.names):
                continue
            csv_dest = staging / f"{name}.csv" if csv else None
            outputs.consolidate(
                [p for _, p in items], staging / f"{name}.parquet", name=name, csv_dest=csv_dest
            )
            release()
        for name in [*corpus.names, "errors"]:
            if (
                pending is not None and name in pending.names
            ):  # rewritten by a corpus step: after the publisher
                pending.wait()
                pending = None
            if name in corpus.sunk:  # written piece by piece by its stage: published as it is
                rows[name] = corpus.sink_rows[name]
                os.replace(corpus.sunk[name], staging / f"{name}.parquet")
                if csv:
                    outputs.csv_from_parquet(
                        [staging / f"{name}.parquet"], staging / f"{name}.csv", name=name
                    )
                continue
            df = corpus.tables[name]
            rows[name] = len(df)
            write_parquet(df, staging / f"{name}.parquet", schema=SCHEMAS.get(name))
            if csv:
                store.write_csv(df, staging / f"{name}.csv")
        if pending is not None:
            pending.wait()
        outputs.publish_parts(built.parts, staging)
        journal.seal(staging, info(rows))  # build id + every output's hash; from here the swap is resumable
        journal.swap_in(staging, out_dir)
    finally:
        if not journal.is_sealed(
            staging
        ):  # a sealed folder interrupted mid-swap is finished by the next build
            shutil.rmtree(staging, ignore_errors=True)
    return rows


def _info(built: _Chunks, corpus: _Corpus, plan: _Plan, rows: dict[str, int], *, run: _Run) -> dict:
    """The content of ``build_info.json``."""
    seconds = time.perf_counter() - run.t0
    info = outputs.build_info(
        outputs.provenance(corpus.tables.get("documents"), [p for _, p in built.parts.get("documents", [])]),
        rows=rows,
        seconds=seconds,
        n_cached=built.n_cached,
        warnings=built.warnings,
        run={
            "executor": run.executor,
            "workers": run.n_workers,
            "address": run.address,
            "chunks": len(plan.chunks),
            "chunk_size": plan.chunk_size,
            "chunks_reused": len(plan.chunks) - len(plan.todo),
            "gathered": run.gather,
            "published_early": run.early,
            "stages": [s.name for s in run.stages],
            "timings": {  # seconds: documents in chunks, reading corpus-stage inputs, corpus stages, writing
                "chunks": round(run.t_chunks - run.t0, 3),
                **corpus.timings,
                "write": round(seconds - (run.t_corpus - run.t0), 3),
            },
        },
    )
    info["corpus_key"] = run.corpus_key
    return info


def _no_op() -> None:
    pass


def _corpus_key(chunks: list[Chunk], stages: tuple[Stage, ...], *, write_csv: bool, consolidate: bool) -> str:
    """Hash of everything the outputs depend on: every chunk's key, the stages, the code and the options."""
    payload = [
        [c.key for c in chunks],
        [s.name for s in stages],
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
        parts_dir=out_dir / outputs.PARTS_DIRNAME,
    )


def _progress(total: int, *, enabled: bool):
    """A progress bar over documents (a notebook widget when ipywidgets is there, else text)."""
    from tqdm import TqdmWarning

    with warnings.catch_warnings():  # no "IProgress not found" warning in notebooks without ipywidgets
        warnings.simplefilter("ignore", TqdmWarning)
        from tqdm.auto import tqdm

    return tqdm(total=total, unit="doc", desc="building", disable=not enabled)
