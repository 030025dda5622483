"""Publishing the per-document tables while a serial build still runs its chunks.

A serial build runs its chunks one after another in the driver. The per-document tables that no corpus
step rewrites (tokens, sentences, theme tags …) are final once their chunk is done, so a background thread
appends each chunk's parts to the consolidated ``<table>.parquet`` and ``.csv`` in the staging folder, in
corpus order, while the driver builds the next chunk. The writing is Arrow's, which works without the GIL, so
it overlaps the chunks' Python; the files are byte for byte those :func:`compare.pipeline.outputs.consolidate`
writes from the same parts after the chunks (tested).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import BinaryIO

import pyarrow.parquet as pq

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


__all__ = ["StreamingPublisher"]
