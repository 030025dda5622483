"""The per-document cache of a build: a document's tables, kept under ``<out>/.cache/<doc_id>/<key>/``.

A document's key hashes everything its tables depend on: its raw bytes, its manifest row, its id, the
package's code and resources (:func:`pipeline_fingerprint`), the tokenizer backend and the stages run. A
document whose key is unchanged is not processed again.
"""

from __future__ import annotations

import functools
import hashlib
import json
import shutil
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from compare.core.config import PACKAGE_ROOT
from compare.core.schemas import SCHEMAS
from compare.core.store import write_json, write_parquet
from compare.text.ingest import DocSpec
from compare.text.readers import sha256_file
from compare.text.tokenize import default_backend


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


def cache_load(cache_dir: Path, spec: DocSpec, key: str) -> dict[str, pd.DataFrame] | None:
    """A document's cached tables under ``key``, or None when they are not (completely) there."""
    folder = cache_dir / spec.doc_id / key
    done = folder / "_done.json"
    if not done.exists():
        return None
    names = json.loads(done.read_text(encoding="utf-8"))["tables"]
    return {name: pd.read_parquet(folder / f"{name}.parquet") for name in names}


def cache_save(cache_dir: Path, spec: DocSpec, key: str, tables: dict[str, pd.DataFrame]) -> None:
    """Keep a document's tables under ``key`` (replacing any other cached version of the document)."""
    doc_dir = cache_dir / spec.doc_id
    if doc_dir.exists():  # keep one cached version per document
        shutil.rmtree(doc_dir, ignore_errors=True)
    folder = doc_dir / key
    for name, df in tables.items():
        write_parquet(df, folder / f"{name}.parquet", schema=SCHEMAS.get(name))
    write_json({"tables": list(tables)}, folder / "_done.json")
