"""One build at a time per output folder: an exclusive lock on ``<out_dir>/.build.lock``, held for the build.

The lock is an ``fcntl.flock`` on the lock file, so the operating system releases it when the holding
process ends in any way (even ``kill -9``): a lock file left behind by a killed build never blocks the next
one. The file holds the pid of the build holding it, for the message a second build gets.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path

from compare.core.errors import PolicyCompareError

#: The lock file, inside the output folder.
LOCK_NAME = ".build.lock"


class BuildLockedError(PolicyCompareError):
    """Another build is writing the same output folder.

    Args:
        out_dir: The output folder.
        pid: The process holding the lock (None when it could not be read).
    """

    def __init__(self, out_dir: Path, pid: int | None) -> None:
        self.out_dir, self.pid = Path(out_dir), pid
        holder = f"pid {pid}" if pid is not None else "another process"
        super().__init__(
            f"{out_dir}: another build ({holder}) is writing this output folder; wait for it to finish "
            "or build into another folder (--out)"
        )


#: How long a second build waits for the holder to write its pid (it writes just after taking the lock).
HOLDER_WAIT_SECONDS = 1.0


def _holder(fd: int) -> int | None:
    deadline = time.monotonic() + HOLDER_WAIT_SECONDS
    while True:
        with contextlib.suppress(OSError, ValueError):
            return int(os.pread(fd, 32, 0).decode("ascii").strip())
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.02)  # the holder took the lock and has not written its pid yet


@contextlib.contextmanager
def build_lock(out_dir: str | Path) -> Iterator[Path]:
    """Hold the output folder's build lock (creating the folder) for the duration of the ``with`` block.

    Args:
        out_dir: The build's output folder.

    Yields:
        The lock file.

    Raises:
        BuildLockedError: Another live process holds the lock (the message names the folder and its pid).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)  # not inherited by worker processes
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BuildLockedError(out_dir, _holder(fd)) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        try:
            yield path
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
