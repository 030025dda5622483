"""Publishing the per-document tables in the background: while a serial build still runs its chunks
(:class:`StreamingPublisher`), or while the corpus steps run (:func:`early_publish`).

A serial build runs its chunks one after another in the driver. The per-document tables that no corpus
step rewrites (tokens, sentences, theme tags …) are final once their chunk is done, so a background thread
appends each chunk's parts to the consolidated ``<table>.parquet`` and ``.csv`` in the staging folder, in
corpus order, while the driver builds the next chunk. The writing is Arrow's, which works without the GIL, so
it overlaps the chunks' Python; the files are byte for byte those :func:`compare.pipeline.outputs.consolidate`
writes from the same parts after the chunks (tested).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import pyarrow.parquet as pq

from compare.pipeline import journal, outputs
from compare.pipeline.outputs import CSV_BOM, csv_of_part, published_schema


class StreamingPublisher:
    """Consolidate the chunks' parts of every table but ``skip`` into ``staging``, chunk by chunk in corpus
    order, in one background thread.

    Args:
        staging: The build's staging folder (created if missing).
        order: Every chunk index of the build, in corpus order.
        skip: Tables a corpus step rewrites: published after the corpus steps, not here.
        csv: Also write each table's CSV.
    """

    def __init__(self, staging: Path, *, order: Iterable[int], skip: Iterable[str], csv: bool):
        self._staging = Path(staging)
        self._order = list(order)
        self._skip = frozenset(skip)
        self._csv = csv
        self._ready: dict[int, Mapping[str, Path] | None] = {}
        self._cond = threading.Condition()
        self._stopped = False
        self._error: BaseException | None = None
        self._writers: dict[str, pq.ParquetWriter] = {}
        self._csv_files: dict[str, BinaryIO] = {}
        self.names: list[str] = []  # tables written, in the order first seen
        self._staging.mkdir(parents=True, exist_ok=True)
        self._thread = threading.Thread(target=self._run, name="publisher", daemon=True)
        self._thread.start()

    def add(self, index: int, parts: Mapping[str, Path] | None) -> None:
        """Hand over chunk ``index``'s parts (``{table: part}``; None for a chunk that was lost)."""
        with self._cond:
            self._ready[index] = parts
            self._cond.notify()

    def finish(self) -> list[str]:
        """Wait until every chunk is written and the files are closed; re-raise the thread's error.

        Returns:
            The tables written.
        """
        self._thread.join()
        if self._error is not None:
            raise self._error
        return list(self.names)

    def abort(self) -> None:
        """Stop after the part being written and close the files (the caller removes the staging folder)."""
        with self._cond:
            self._stopped = True
            self._cond.notify()
        self._thread.join()

    def _next(self, index: int) -> tuple[bool, Mapping[str, Path] | None]:
        with self._cond:
            while index not in self._ready and not self._stopped:
                self._cond.wait()
            if self._stopped:
                return False, None
            return True, self._ready.pop(index)

    def _run(self) -> None:
        try:
            for index in self._order:
                go, parts = self._next(index)
                if not go:
                    return
                for name, path in (parts or {}).items():
                    if name not in self._skip:
                        self._append(name, Path(path))
        except BaseException as exc:  # re-raised by finish()
            self._error = exc
        finally:
            self._close()

    def _append(self, name: str, path: Path) -> None:
        writer = self._writers.get(name)
        first = writer is None
        if first:
            schema = published_schema(name, path)
            writer = self._writers[name] = pq.ParquetWriter(self._staging / f"{name}.parquet", schema)
            self.names.append(name)
            if self._csv:
                fh = self._csv_files[name] = (self._staging / f"{name}.csv").open("wb")
                fh.write(CSV_BOM)
        writer.write_table(pq.read_table(path, schema=writer.schema))
        if self._csv:
            self._csv_files[name].write(csv_of_part(path, name=name, header=first))

    def _close(self) -> None:
        for writer in self._writers.values():
            writer.close()
        for fh in self._csv_files.values():
            fh.close()


def staging_dir(out_dir: Path) -> Path:
    """Where a build writes its outputs before they replace the old ones."""
    return out_dir / f".staging-{os.getpid()}"


def summary_parts(work_root: Path, summary: dict) -> dict[str, Path]:
    """``{table: part}`` of a chunk's summary (its parts under ``work_root``)."""
    return {name: work_root / summary["key"] / f"{name}.parquet" for name in summary["rows"]}


@contextlib.contextmanager
def streaming_publish(
    staging: Path,
    work_root: Path,
    *,
    order: list[int],
    done: Mapping[int, dict],
    skip: set[str],
    csv: bool,
    enabled: bool,
) -> Iterator[StreamingPublisher | None]:
    """A serial build's :class:`StreamingPublisher`, fed the chunks an earlier run completed (``done``: index ->
    summary); None unless ``enabled``. On an error the thread is stopped and the staging folder removed."""
    if not enabled:
        yield None
        return
    shutil.rmtree(staging, ignore_errors=True)
    streaming = StreamingPublisher(staging, order=order, skip=skip, csv=csv)
    for index, summary in done.items():
        streaming.add(index, summary_parts(work_root, summary))
    try:
        yield streaming
    except BaseException:
        streaming.abort()
        if not journal.is_sealed(staging):
            shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        streaming.abort()  # a no-op once finished


@dataclass
class Early:
    """Per-document tables a background process or thread is publishing into the staging folder."""

    names: frozenset[str]
    done: Callable[[], object]  # blocks until they are written, re-raising the publisher's error

    def wait(self) -> None:
        """Block until they are written (re-raises the publisher's error)."""
        self.done()


@contextlib.contextmanager
def early_publish(
    staging: Path,
    parts: Mapping[str, list[Path]],
    *,
    process: bool,
    csv: bool,
    consolidate: bool,
    streaming: StreamingPublisher | None = None,
) -> Iterator[Early | None]:
    """Publish the per-document tables no corpus step rewrites (``parts``: table -> its chunk parts in corpus
    order) in the background while the driver runs the corpus steps.

    With ``process`` the publisher is one background process (the workers are done by then, so a core is
    free); otherwise it is one thread of the driver: the Parquet and CSV writing is Arrow's, which works without
    the GIL, so it overlaps the corpus steps' Python without a process to start. A serial build's
    ``streaming`` publisher has written them already (it is waited for). Yields None (nothing started) without
    ``consolidate`` or when every table is rewritten.

    On an error in the corpus steps, the publisher is let finish and the staging folder is removed.
    """
    names = list(parts)
    if streaming is not None:
        yield Early(frozenset(names), streaming.finish)
        return
    if not consolidate or not names:
        yield None
        return
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    jobs = [
        (
            name,
            [str(p) for p in parts[name]],
            str(staging / f"{name}.parquet"),
            str(staging / f"{name}.csv") if csv else None,
        )
        for name in names
    ]
    if process:
        pool = ProcessPoolExecutor(
            max_workers=1, mp_context=mp.get_context("spawn"), initializer=outputs.init_publisher
        )
    else:  # the driver already allocates with the system pool (build())
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="publisher")
    try:
        yield Early(frozenset(names), pool.submit(outputs.consolidate_all, jobs).result)
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        if not journal.is_sealed(staging):
            shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        pool.shutdown(wait=True)
