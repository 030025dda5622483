"""The record of what a build published, so a folder of outputs is always one build's and can be checked.

A build writes every output to a staging folder, then :func:`seal` stamps it: ``build_info.json`` gets a
``build_id`` and an ``outputs`` listing (the SHA-256 of every table file, the size of every part of
``parts/``), and a marker says the staging folder is complete. :func:`swap_in` moves the sealed outputs into
the output folder, ``build_info.json`` last. A build killed while swapping leaves a sealed staging folder:
the next build (holding the build lock, :mod:`compare.pipeline.lock`) calls :func:`recover` first, which
finishes that swap (the outputs it holds are complete) and removes what killed builds left half written.
:func:`verify` lists every way a folder's outputs differ from what its ``build_info.json`` records.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from pathlib import Path

from compare.core.store import write_json
from compare.pipeline.outputs import PARTS_DIRNAME, swap_dir

INFO_NAME = "build_info.json"
#: Written into a staging folder once every output is in it (the swap may begin).
SEALED_NAME = ".sealed"
STAGING_PREFIX = ".staging-"
#: Folder name prefix :func:`compare.pipeline.outputs.swap_dir` gives a replaced folder.
OLD_PREFIX = ".old-"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _listing(folder: Path) -> dict[str, dict]:
    """``{relative path: {"sha256" | "bytes": …}}`` of the outputs in ``folder`` (build_info excluded)."""
    files: dict[str, dict] = {}
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or path.name == INFO_NAME:
            continue
        if path.is_file():
            files[path.name] = {"sha256": _sha256(path)}
        elif path.name == PARTS_DIRNAME:  # hard links to the chunk parts: their size is enough
            for part in sorted(path.rglob("*.parquet")):
                files[part.relative_to(folder).as_posix()] = {"bytes": part.stat().st_size}
    return files


def _listed(info_path: Path) -> dict:
    try:
        listed = json.loads(info_path.read_text(encoding="utf-8")).get("outputs")
    except (OSError, ValueError, AttributeError):
        return {}
    return listed if isinstance(listed, dict) else {}


def seal(staging: Path, info: dict) -> str:
    """Stamp a complete staging folder: write ``build_info.json`` with a new build id and the listing of
    every output, then the seal marker.

    Returns:
        The build id.
    """
    build_id = uuid.uuid4().hex[:16]
    write_json({**info, "build_id": build_id, "outputs": _listing(staging)}, staging / INFO_NAME)
    write_json({"build_id": build_id}, staging / SEALED_NAME)
    return build_id


def is_sealed(staging: Path) -> bool:
    """Whether a staging folder is complete (its swap may have begun)."""
    return (staging / SEALED_NAME).is_file()


def swap_in(staging: Path, out_dir: Path) -> None:
    """Move a sealed staging folder's outputs into ``out_dir``: tables, then ``parts/``, then
    ``build_info.json``; remove the staging folder. Safe to call again after an interruption.

    Top-level files the previous build listed and this one does not (tables of stages no longer run) are
    removed, so the folder holds one build's outputs only."""
    entries = [p for p in staging.iterdir() if p.name not in (SEALED_NAME, INFO_NAME)]
    for path in sorted(entries, key=lambda p: (p.is_dir(), p.name)):
        if path.is_dir():
            swap_dir(path, out_dir / path.name)
        else:
            os.replace(path, out_dir / path.name)
    if (staging / INFO_NAME).exists():
        new = _listed(staging / INFO_NAME)
        for name in _listed(out_dir / INFO_NAME):
            if "/" not in name and name not in new:
                (out_dir / name).unlink(missing_ok=True)
        os.replace(staging / INFO_NAME, out_dir / INFO_NAME)
    shutil.rmtree(staging, ignore_errors=True)


def recover(out_dir: Path) -> list[str]:
    """Finish the publish of a build killed while swapping, and remove what killed builds left half done
    (unsealed staging folders, replaced folders). Call it holding the build lock.

    Returns:
        What was done, one line each (for the log).
    """
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        return []
    done: list[str] = []
    stagings = sorted(
        (p for p in out_dir.iterdir() if p.is_dir() and p.name.startswith(STAGING_PREFIX)),
        key=lambda p: p.stat().st_mtime_ns,
    )
    for staging in stagings:
        if is_sealed(staging):
            swap_in(staging, out_dir)
            done.append(f"{out_dir}: finished publishing an interrupted build ({staging.name})")
        else:
            shutil.rmtree(staging, ignore_errors=True)
            done.append(f"{out_dir}: removed the unfinished outputs of an interrupted build ({staging.name})")
    for old in out_dir.iterdir():
        if old.is_dir() and old.name.startswith(OLD_PREFIX):
            shutil.rmtree(old, ignore_errors=True)
    return done


def verify(out_dir: Path) -> list[str]:
    """Every way the outputs in ``out_dir`` differ from its ``build_info.json`` (empty: one build's outputs).

    Args:
        out_dir: A build's output folder.

    Returns:
        One line per problem: no or unreadable ``build_info.json``, no listing, a listed file missing or
        changed, a table file not listed, an interrupted publish waiting to be finished.
    """
    out_dir = Path(out_dir)
    try:
        info = json.loads((out_dir / INFO_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return [f"{out_dir / INFO_NAME}: cannot be read ({exc})"]
    listed = info.get("outputs")
    if not isinstance(listed, dict):
        return [f"{out_dir / INFO_NAME}: lists no outputs (built before outputs were recorded)"]
    problems = []
    actual = _listing(out_dir)
    for name, expected in listed.items():
        if name not in actual:
            problems.append(f"{name}: listed in {INFO_NAME} but missing")
        elif actual[name] != expected:
            problems.append(f"{name}: differs from build {info.get('build_id')}")
    problems.extend(f"{name}: not from build {info.get('build_id')}" for name in actual if name not in listed)
    problems.extend(
        f"{p.name}: an interrupted publish is waiting (the next build finishes it)"
        for p in out_dir.iterdir()
        if p.is_dir() and p.name.startswith(STAGING_PREFIX) and is_sealed(p)
    )
    return problems
