"""From a raw folder to per-document specifications and the ``documents`` table.

A raw folder holds plan files and, optionally, ``manifest.csv``. Listed files take their metadata from the
manifest; fields left blank there, and every field of files not listed, are inferred from the text
(:mod:`compare.text.metadata`) and marked as inferred. Raw files are only ever read.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from compare.core.errors import InputError
from compare.text.clean import CleanResult
from compare.text.manifest import META_FIELDS
from compare.text.readers import RawDocument

# fields a researcher expects to know about any plan; a warning lists those that could not be inferred
EXPECTED_FIELDS = ("title", "city", "province", "genre", "period_start", "period_end", "script")
DOC_ID_CLEAN_RE = re.compile(r"[^a-z0-9_]+")


class MetadataWarning(UserWarning):
    """Some metadata of a document could not be inferred from its text."""


@dataclass(frozen=True)
class DocSpec:
    """What the build needs to process one document.

    Attributes:
        doc_id: Stable document id.
        path: The raw file.
        manifest: The document's manifest row (blank cells as None), empty when the file is not listed.
    """

    doc_id: str
    path: Path
    manifest: dict = field(default_factory=dict)


def doc_id_from_path(path: Path) -> str:
    """A readable doc id from a file name: lower-case ASCII, digits and underscores."""
    stem = DOC_ID_CLEAN_RE.sub("_", path.stem.lower()).strip("_")
    return stem or "doc"


def discover(raw_dir: Path) -> list[DocSpec]:
    """List the documents of a raw folder with their manifest rows.

    Args:
        raw_dir: The raw folder.

    Returns:
        One :class:`DocSpec` per supported file: manifest rows first (in manifest order), then files the
        manifest does not list (sorted by name), with doc ids made unique.

    Raises:
        InputError: If the folder does not exist, the manifest is malformed, or a file is a symbolic link
            to a place outside the raw folder.
    """
    from compare.text.manifest import outside_raw_folder, raw_files, read_manifest

    raw_dir = Path(raw_dir)
    if not raw_dir.is_dir():
        raise InputError(raw_dir, "raw folder does not exist")
    manifest = read_manifest(raw_dir)
    specs: list[DocSpec] = []
    listed: set[str] = set()
    if manifest is not None:
        for row in manifest.to_dict("records"):
            clean = {k: (None if _is_missing(v) else v) for k, v in row.items()}
            path = raw_dir / clean["file"]
            listed.add(path.name)
            specs.append(DocSpec(doc_id=clean["doc_id"], path=path, manifest=clean))
    used = {s.doc_id for s in specs}
    for path in sorted(raw_files(raw_dir)):
        if path.name in listed:
            continue
        outside = outside_raw_folder(raw_dir, path)
        if outside is not None:  # refused before anything is read
            raise InputError(
                path,
                f"is a symbolic link to {outside}, outside the raw folder {raw_dir}; the build reads only "
                "files inside the raw folder (copy the file in instead)",
            )
        doc_id, k = doc_id_from_path(path), 2
        base = doc_id
        while doc_id in used:
            doc_id, k = f"{base}_{k}", k + 1
        used.add(doc_id)
        specs.append(DocSpec(doc_id=doc_id, path=path))
    return specs


def _is_missing(value) -> bool:
    return value is None or (isinstance(value, float) and value != value) or value is pd.NA


def document_row(spec: DocSpec, raw: RawDocument, cleaned: CleanResult) -> dict:
    """Build the ``documents`` row of one document: manifest metadata, inferred gaps, provenance, texts.

    Args:
        spec: The document's spec (manifest row may be empty).
        raw: The decoded raw file.
        cleaned: The cleaning result.

    Returns:
        A dict with the columns of :data:`compare.core.schemas.DOCUMENTS`. Fields that had to be inferred are
        listed in ``inferred_fields``; a :class:`MetadataWarning` names the expected fields that stayed empty.
    """
    from compare.text.metadata import infer_metadata

    meta = {k: spec.manifest.get(k) for k in META_FIELDS}
    inferred_fields: list[str] = []
    if any(meta[k] is None for k in META_FIELDS if k not in ("source", "notes", "city_evidence")):
        # the script is detected on the original, not on the already simplified `text`
        guessed, _missing = infer_metadata(
            cleaned.text, file_name=spec.path.name, original=cleaned.text_original, raw=raw.text
        )
        for key in META_FIELDS:
            if meta[key] is None and guessed.get(key) is not None:
                meta[key] = guessed[key]
                inferred_fields.append(key)
    if meta["names_city"] is None:
        meta["names_city"] = bool(meta["city"]) and meta["city"] in cleaned.text
    if meta["city_label"] is None:
        meta["city_label"] = meta["city"] or "未具名"
    if meta["script"] is None:
        meta["script"] = "unknown"
    missing = [k for k in EXPECTED_FIELDS if meta.get(k) in (None, "", "unknown")]
    if meta.get("level") == "province":  # a provincial document has no city to find
        missing = [k for k in missing if k != "city"]
    if missing and (inferred_fields or not spec.manifest):
        known_unnamed = spec.manifest and spec.manifest.get("city_label")
        report = [m for m in missing if not (known_unnamed and m in ("city", "province"))]
        if report:
            warnings.warn(
                f"{spec.path}: could not infer {', '.join(report)}; add them to the manifest",
                MetadataWarning,
                stacklevel=2,
            )
    if spec.manifest and inferred_fields:
        source = "manifest+inferred"
    elif spec.manifest:
        source = "manifest"
    else:
        source = "inferred"
    return {
        "doc_id": spec.doc_id,
        "file": spec.path.name,
        "source_sha256": raw.sha256,
        "format": raw.format,
        "encoding": raw.encoding,
        **meta,
        "metadata_source": source,
        "inferred_fields": ",".join(inferred_fields) or None,
        "n_chars_raw": len(raw.text),
        "n_chars_clean": len(cleaned.text),
        "text": cleaned.text,
        "text_original": cleaned.text_original,
    }
