"""The per-document cache of a build: which completed chunk folder already holds a document's tables.

A document's key hashes everything its tables depend on: its raw bytes, its manifest row, its id, the
package's code and resources (:func:`pipeline_fingerprint`), the tokenizer backend and the stages run. A
document whose key is unchanged is not processed again: its tables are read back from the completed chunk
folder of an earlier run that built it (:func:`cache_index`), so the cache costs no write of its own.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path

import pandas as pd

from compare.core.config import PACKAGE_ROOT
from compare.text.ingest import DocSpec
from compare.text.readers import sha256_file
from compare.text.tokenize import default_backend

#: Written last into a chunk's work folder: the chunk is complete (its summary, with its documents' keys).
DONE_FILE = "_done.json"


@functools.lru_cache(maxsize=1)
def pipeline_fingerprint() -> str:
    """Hash of the package's code and resources: a change anywhere invalidates cached documents."""
    root = PACKAGE_ROOT
    h = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.suffix in {".py", ".yaml", ".yml", ".csv", ".txt", ".json"}:
            h.update(str(path.relative_to(root)).encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:16]


def cache_key(spec: DocSpec, *, backend: str | None, stages: Sequence[str]) -> str:
    """The cache key of one document (see the module docstring).

    Args:
        spec: The document.
        backend: Tokenizer backend (None: the default one).
        stages: Names of the stages run (their tables are cached with the document).
    """
    h = hashlib.sha256()
    h.update(sha256_file(spec.path).encode())
    h.update(json.dumps(spec.manifest, sort_keys=True, default=str, ensure_ascii=False).encode())
    h.update(spec.doc_id.encode())
    h.update(pipeline_fingerprint().encode())
    h.update((backend or default_backend()).encode())
    h.update(",".join(stages).encode())  # stage tables cached with the document
    return h.hexdigest()[:24]


def cache_index(work_root: Path, *, exclude: Collection[str] = ()) -> dict[str, Path]:
    """Where each document's tables already are: ``{document key: chunk folder}``.

    The per-document cache is the completed chunk folders of earlier runs (``<work_root>/<chunk key>/``,
    whose ``_done.json`` lists the key of every document built in them): a document whose key is unchanged
    is read back from the part of the chunk that built it, so the cache costs no write of its own.

    Args:
        work_root: The build's chunk work folder (``<out>/.parts``).
        exclude: Chunk keys not to read from (the chunks about to be rebuilt).
    """
    out: dict[str, Path] = {}
    if not work_root.is_dir():
        return out
    for done in sorted(work_root.glob(f"*/{DONE_FILE}")):
        folder = done.parent
        if folder.name in exclude:
            continue
        try:
            summary = json.loads(done.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not all((folder / f"{name}.parquet").exists() for name in summary.get("rows", {})):
            continue
        for key in summary.get("doc_keys", {}).values():
            out.setdefault(key, folder)
    return out


def cache_load(sources: Mapping[str, str]) -> dict[str, dict[str, pd.DataFrame]]:
    """Cached tables of documents, read from the chunk folders that built them.

    Args:
        sources: ``{doc_id: chunk folder}`` (from :func:`cache_index`).

    Returns:
        ``{doc_id: {table: DataFrame}}`` with every table of the source chunk (empty where the document has
        no rows); a document whose folder has gone is left out (it is processed again).
    """
    by_folder: dict[str, list[str]] = {}
    for doc_id, folder in sources.items():
        by_folder.setdefault(str(folder), []).append(doc_id)
    out: dict[str, dict[str, pd.DataFrame]] = {}
    for folder, doc_ids in by_folder.items():
        path = Path(folder)
        try:
            names = list(json.loads((path / DONE_FILE).read_text(encoding="utf-8"))["rows"])
            frames = {
                name: pd.read_parquet(path / f"{name}.parquet", filters=[("doc_id", "in", doc_ids)])
                for name in names
            }
        except (OSError, ValueError, KeyError):
            continue  # the folder went away (pruned by a concurrent run?): process these documents again
        groups = {
            name: dict(tuple(df.groupby("doc_id", sort=False))) if len(df) else {}
            for name, df in frames.items()
        }
        for doc_id in doc_ids:
            out[doc_id] = {
                name: groups[name].get(doc_id, frames[name].iloc[0:0]).reset_index(drop=True)
                for name in names
            }
    return out
