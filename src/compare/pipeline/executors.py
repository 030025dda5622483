"""Run chunks of documents one after another, on all local cores, or on Dask — with nothing but options changed.

An executor maps a chunk function (``compare.pipeline.chunks.run_chunk``) over :class:`Chunk` objects and yields each
chunk's result as it finishes. The chunk function writes its own Parquet parts and returns a small summary,
so results never travel back to the driver as DataFrames.

Tools that cannot be pickled (the jieba ``Tokenizer`` with the education dictionary, the OpenCC converter)
are built once per worker process, never shipped from the driver: by the pool's ``initializer`` for
``process`` and by a Dask worker plugin (:data:`ToolsPlugin`, re-run on restarted workers) for ``dask``.

A worker process that dies (out of memory, segfault) costs only the chunk it was running: the process
executor re-runs the other unfinished chunks in a fresh pool and the suspects one at a time; Dask retries
a task on other workers and then gives up on that task alone (``KilledWorker``). Either way the failed chunk
comes back as an exception for the build to turn into error records — nothing is silently dropped.
"""

from __future__ import annotations

import logging
import os
import tempfile
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from compare.text.ingest import DocSpec

LOG = logging.getLogger(__name__)

EXECUTORS = ("serial", "process", "dask")
#: Largest default chunk: small enough that a worker holds little and a lost chunk costs little.
MAX_CHUNK_SIZE = 25
#: Default chunks per worker: enough to balance documents of very different sizes.
CHUNKS_PER_WORKER = 4
#: Dask: how often a task may be on a worker that died before it is given up (``KilledWorker``) —
#: set for the local cluster this module starts; a running cluster keeps its own setting.
LOCAL_ALLOWED_FAILURES = 1
#: Configuration of the local Dask cluster: one task at a time per worker (so a dying worker takes no
#: other chunk with it), :data:`LOCAL_ALLOWED_FAILURES`, and no statistical profiler in the workers (it
#: samples every thread's stack 100 times a second; no dashboard shows it here).
LOCAL_DASK_CONFIG = {
    "distributed.scheduler.allowed-failures": LOCAL_ALLOWED_FAILURES,
    "distributed.scheduler.worker-saturation": 1.0,
    "distributed.worker.profile.enabled": False,
}
DASK_PLUGIN_NAME = "policy-compare-tools"
#: The local cluster's scheduler always runs an HTTP server (metrics, health) and would bind the fixed port
#: 8787 (falling back with a warning when taken): bind a free port on loopback instead.
LOCAL_SCHEDULER_KWARGS = {"dashboard_address": "127.0.0.1:0"}

# Chunk results are yielded as (chunk, summary, None) or (chunk, None, exception).
ChunkOutcome = tuple["Chunk", dict | None, BaseException | None]


class WorkerDied(RuntimeError):
    """A worker process died (killed, out of memory, segfault) while running a chunk."""


@dataclass(frozen=True)
class Chunk:
    """A unit of work: a few documents processed together by one worker.

    Attributes:
        index: Position of the chunk in the corpus (parts are numbered by it).
        key: Hash of the chunk's inputs (documents' bytes, manifest rows, pipeline code, stages).
        specs: The documents.
        doc_keys: Each document's cache key (same order as ``specs``).
        work_dir: Folder where the chunk writes its Parquet parts and ``_done.json``.
        cached: Per document (same order as ``specs``): the chunk folder of an earlier run that holds its
            tables, or None when it must be processed (empty: the cache is off).
        backend: Tokenizer backend.
    """

    index: int
    key: str
    specs: tuple[DocSpec, ...]
    doc_keys: tuple[str, ...]
    work_dir: str
    cached: tuple[str | None, ...] = ()
    backend: str | None = None


def default_workers(executor: str) -> int:
    """Workers used when none are asked for: 1 for ``serial``, else every local core."""
    return 1 if executor == "serial" else (os.cpu_count() or 1)


def chunk_size_for(n_documents: int, *, n_workers: int) -> int:
    """A chunk size giving each worker about :data:`CHUNKS_PER_WORKER` chunks, at most :data:`MAX_CHUNK_SIZE`."""
    per = -(-n_documents // max(1, n_workers * CHUNKS_PER_WORKER))
    return max(1, min(MAX_CHUNK_SIZE, per))


def init_worker(backend: str | None = None) -> None:
    """Build the per-process tools once: tokenizer with the dictionary, OpenCC converter, stage modules."""
    from compare.pipeline.stages import selected_stages
    from compare.text.clean import converter
    from compare.text.tokenize import get_tokenizer

    get_tokenizer(backend)
    converter()
    selected_stages()


def init_process_worker(backend: str | None = None) -> None:
    """:func:`init_worker` for the build's own worker processes, which also allocate Arrow memory with the
    system allocator, as the driver does during a build (a Dask worker's pool is left as its owner set it)."""
    import pyarrow as pa

    pa.set_memory_pool(pa.system_memory_pool())
    init_worker(backend)


def failure_records(chunk: Chunk, exc: BaseException) -> list[dict]:
    """Error-table rows for every document of a chunk that failed as a whole (its worker died)."""
    message = (
        f"chunk {chunk.index} ({len(chunk.specs)} documents) was lost: {type(exc).__name__}: {exc} "
        "(its worker process died or failed; the other documents of the chunk were not built either)"
    )
    return [
        {"doc_id": s.doc_id, "file": str(s.path), "stage": "worker", "message": message} for s in chunk.specs
    ]


def map_chunks(
    fn: Callable[[Chunk], dict],
    chunks: Sequence[Chunk],
    *,
    executor: str = "serial",
    workers: int | None = None,
    address: str | None = None,
) -> Iterator[ChunkOutcome]:
    """Run ``fn`` on every chunk and yield the outcomes as they finish (in any order).

    Args:
        fn: A module-level function (importable by workers) taking one :class:`Chunk`.
        chunks: The chunks.
        executor: ``"serial"``, ``"process"`` (spawned local processes) or ``"dask"``.
        workers: Worker processes (default: all cores; ignored by ``serial`` and by a running Dask cluster).
        address: Address of a running Dask scheduler (``tcp://host:8786``); None starts a local cluster.

    Yields:
        ``(chunk, summary, None)`` when ``fn`` returned, ``(chunk, None, exception)`` when the chunk was lost.
    """
    if executor not in EXECUTORS:
        raise ValueError(f"unknown executor {executor!r}; choose one of {EXECUTORS}")
    if address is not None and executor != "dask":
        raise ValueError("an address needs executor='dask'")
    if not chunks:
        return
    backend = chunks[0].backend
    if executor == "serial":
        yield from _serial(fn, chunks)
    elif executor == "process":
        yield from _process(fn, chunks, workers=workers or default_workers("process"), backend=backend)
    else:
        yield from _dask(fn, chunks, workers=workers, address=address, backend=backend)


def _serial(fn: Callable[[Chunk], dict], chunks: Sequence[Chunk]) -> Iterator[ChunkOutcome]:
    for chunk in chunks:
        try:
            yield chunk, fn(chunk), None
        except Exception as exc:  # an unexpected failure of the chunk itself (disk full …) costs that chunk
            yield chunk, None, exc


def _marked_call(fn: Callable[[Chunk], dict], chunk: Chunk, marker_dir: str) -> dict:
    """Run ``fn`` with a marker file present while it runs (tells the driver which chunks a dead pool ran)."""
    marker = Path(marker_dir) / str(chunk.index)
    marker.touch()
    try:
        return fn(chunk)
    finally:
        marker.unlink(missing_ok=True)


def _process(
    fn: Callable[[Chunk], dict], chunks: Sequence[Chunk], *, workers: int, backend: str | None
) -> Iterator[ChunkOutcome]:
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool

    ctx = mp.get_context("spawn")  # laptops fail the way clusters do: nothing inherited from the driver
    queue, suspects = list(chunks), []
    with tempfile.TemporaryDirectory(prefix="policy-compare-run-") as marker_dir:
        while queue or suspects:
            # after a crash, the chunks that were running are re-run one at a time, so a crash names its chunk
            batch, n = (queue, workers) if queue else (suspects, 1)
            queue, suspects = [], ([] if batch is suspects else suspects)
            lost: list[Chunk] = []
            with ProcessPoolExecutor(
                max_workers=min(n, len(batch)),
                mp_context=ctx,
                initializer=init_process_worker,
                initargs=(backend,),
            ) as pool:
                futures = {pool.submit(_marked_call, fn, c, marker_dir): c for c in batch}
                for fut in as_completed(futures):
                    chunk = futures[fut]
                    try:
                        yield chunk, fut.result(), None
                    except BrokenProcessPool:
                        lost.append(chunk)
                    except Exception as exc:
                        yield chunk, None, exc
            for chunk in sorted(lost, key=lambda c: c.index):
                marker = Path(marker_dir) / str(chunk.index)
                if not marker.exists():  # never started: innocent
                    queue.append(chunk)
                    continue
                marker.unlink()
                if n == 1:  # it was running alone when its worker died
                    yield chunk, None, WorkerDied(f"the worker process running chunk {chunk.index} died")
                else:
                    suspects.append(chunk)
            if lost:
                LOG.warning(
                    "a worker process died; re-running %d unfinished chunk(s)", len(queue) + len(suspects)
                )


def _dask(
    fn: Callable[[Chunk], dict],
    chunks: Sequence[Chunk],
    *,
    workers: int | None,
    address: str | None,
    backend: str | None,
) -> Iterator[ChunkOutcome]:
    import dask
    from distributed import Client, LocalCluster, as_completed

    cluster = None
    if address is None:
        with dask.config.set(LOCAL_DASK_CONFIG):
            cluster = LocalCluster(
                n_workers=workers or default_workers("dask"),
                threads_per_worker=1,  # jieba and pandas hold the GIL: one document at a time per process
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,  # no dashboard …
                scheduler_kwargs=LOCAL_SCHEDULER_KWARGS,  # … and the scheduler's HTTP server on a free port
                silence_logs=logging.ERROR,
            )
        client = Client(cluster)
    else:
        client = Client(address)
    try:
        client.register_plugin(__getattr__("ToolsPlugin")(backend), name=DASK_PLUGIN_NAME)
        run = uuid.uuid4().hex[:8]
        keys = [f"policy-compare-{run}-chunk-{c.index:05d}" for c in chunks]
        futures = client.map(fn, list(chunks), key=keys, pure=False, retries=0)
        by_key = {f.key: c for f, c in zip(futures, chunks, strict=True)}
        for fut in as_completed(futures):
            chunk = by_key[fut.key]
            try:
                yield chunk, fut.result(), None
            except Exception as exc:  # KilledWorker: the chunk's worker died (again and again)
                yield chunk, None, exc
            finally:
                fut.release()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _make_tools_plugin() -> type:
    from distributed.diagnostics.plugin import WorkerPlugin

    class ToolsPlugin(WorkerPlugin):
        """Dask worker plugin: build the tokenizer (with dictionary) and OpenCC once per worker process."""

        def __init__(self, backend: str | None = None) -> None:
            self.backend = backend

        def setup(self, worker) -> None:
            init_worker(self.backend)

    ToolsPlugin.__module__ = __name__
    ToolsPlugin.__qualname__ = "ToolsPlugin"
    return ToolsPlugin


def __getattr__(name: str):
    # ToolsPlugin subclasses distributed's WorkerPlugin; it is created on first use so that importing this
    # module (in every process-pool worker) does not import distributed. Pickle finds it by name here.
    if name == "ToolsPlugin":
        cls = _make_tools_plugin()
        globals()[name] = cls
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
