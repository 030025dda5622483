"""Publishing the per-document tables in the background while the corpus steps run.

The per-document tables that no corpus step rewrites (tokens, sentences, theme tags …) are final once the chunks
are done: one background process (process executor) or thread (serial and Dask) consolidates them from the chunk
parts into the staging folder while the driver runs the corpus steps. The files are byte for byte those
:func:`compare.pipeline.outputs.consolidate` writes after the corpus steps (tested).
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from compare.pipeline import journal, outputs


def staging_dir(out_dir: Path) -> Path:
    """Where a build writes its outputs before they replace the old ones."""
    return out_dir / f".staging-{os.getpid()}"


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
) -> Iterator[Early | None]:
    """Publish the per-document tables no corpus step rewrites (``parts``: table -> its chunk parts in corpus
    order) in the background while the driver runs the corpus steps.

    With ``process`` the publisher is one background process (the workers are done by then, so a core is
    free); otherwise it is one thread of the driver: the Parquet and CSV writing is Arrow's, which works without
    the GIL, so it overlaps the corpus steps' Python without a process to start. Yields None (nothing started)
    without ``consolidate`` or when every table is rewritten.

    On an error in the corpus steps, the publisher is let finish and the staging folder is removed.
    """
    names = list(parts)
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
