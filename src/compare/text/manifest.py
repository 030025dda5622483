"""Read and validate ``data/raw/manifest.csv``, the researcher's per-document metadata.

The manifest is a UTF-8 CSV (a BOM, as Excel writes it, is fine) with the columns of :data:`MANIFEST_COLUMNS`;
only ``doc_id`` and ``file`` are required, other columns may be left out and any cell may be blank (read as
None, to be inferred from the text by the build). Every problem found is reported at once in one
:class:`~compare.core.errors.ManifestError` naming the manifest and the line of each faulty row.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path

import pandas as pd

from compare.core.config import MANIFEST_NAME
from compare.core.errors import ManifestError
from compare.core.schemas import SCRIPTS
from compare.text.readers import SUPPORTED_EXTENSIONS, UNREADABLE_EXTENSIONS

#: Columns of the manifest, in order (the documents table uses the same names).
META_FIELDS: tuple[str, ...] = (  # what a manifest row says about a document (besides doc_id and file)
    "city",
    "city_label",
    "province",
    "names_city",
    "city_evidence",
    "genre",
    "title",
    "period_start",
    "period_end",
    "issue_date",
    "script",
    "source",
    "notes",
    "level",
)
MANIFEST_COLUMNS: tuple[str, ...] = ("doc_id", "file", *META_FIELDS)
#: Administrative levels of an issuing body (the ``level`` column).
LEVELS: tuple[str, ...] = ("province", "city", "county")
REQUIRED_COLUMNS: tuple[str, ...] = ("doc_id", "file")

#: Words accepted in the ``names_city`` column (case-insensitive), and the value they stand for.
BOOLEAN_WORDS: dict[str, bool] = {
    "true": True,
    "false": False,
    "yes": True,
    "no": False,
    "1": True,
    "0": False,
    "是": True,
    "否": False,
}
#: Plan years outside this range are almost certainly typos (matches the documents schema).
YEAR_RANGE = (1949, 2100)

DOC_ID_RE = re.compile(r"^[a-z0-9_]+$")
ISO_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
YEAR_RE = re.compile(r"^\d{4}$")


def manifest_path(raw_dir: Path) -> Path:
    """Return where the manifest of a raw folder lives (it may not exist)."""
    return Path(raw_dir) / MANIFEST_NAME


def read_manifest(raw_dir: Path) -> pd.DataFrame | None:
    """Read and validate the manifest of a raw folder.

    Args:
        raw_dir: The folder holding the raw documents and ``manifest.csv``.

    Returns:
        One row per document with exactly :data:`MANIFEST_COLUMNS`, in order: strings (None when blank),
        ``period_start``/``period_end`` as ``Int64``, ``names_city`` as ``boolean``. None when the folder
        has no manifest.

    Raises:
        ManifestError: Listing every problem with its line: unreadable or non-UTF-8 file, unknown or missing
            column, wrong number of cells, bad or duplicate ``doc_id``, a file that is missing or of an
            unsupported type, bad dates or years, a bad ``names_city`` word or ``script`` value.
    """
    path = manifest_path(raw_dir)
    if not path.is_file():
        return None
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ManifestError(
            path, f"is not UTF-8 text (byte {exc.start}); save it as 'CSV UTF-8' (Excel) or UTF-8"
        ) from exc
    except OSError as exc:
        raise ManifestError(path, f"cannot be read: {exc.strerror or exc}") from exc
    header, rows = _parse_csv(path, text)
    problems = _check_header(header)
    if problems:
        raise ManifestError(path, "; ".join(problems))
    records: list[dict] = []
    first_line: dict[str, dict[str, int]] = {"doc_id": {}, "file": {}}
    for line, cells in rows:
        if len(cells) != len(header):
            problems.append(f"line {line}: has {len(cells)} cells but the header has {len(header)} columns")
            continue
        raw = {name: (cell.strip() or None) for name, cell in zip(header, cells, strict=True)}
        record, row_problems = _check_row(Path(raw_dir), raw, first_line, line)
        problems.extend(f"line {line}: {p}" for p in row_problems)
        records.append(record)
    if problems:
        raise ManifestError(path, "; ".join(problems))
    return _to_frame(records)


def outside_raw_folder(raw_dir: Path, path: Path) -> Path | None:
    """Where ``path`` really is when that is outside the raw folder (a symbolic link out of it), else None.

    Only the link is looked at (``Path.resolve``); the file it points to is never opened.
    """
    real = Path(path).resolve()
    return None if real.is_relative_to(Path(raw_dir).resolve()) else real


def raw_files(raw_dir: Path) -> list[Path]:
    """The documents of a raw folder: files with a supported extension, sorted by name.

    Files of document types the readers cannot read (:data:`~compare.text.readers.UNREADABLE_EXTENSIONS`:
    .doc, .xlsx …) are listed too, so the build reports each one. The manifest, README files and dotfiles
    are ignored; sub-folders are not searched.

    Args:
        raw_dir: The raw folder.

    Returns:
        Paths of the supported files.
    """
    found = []
    for path in sorted(Path(raw_dir).iterdir()):
        name = path.name
        if name.startswith(".") or name == MANIFEST_NAME or name.lower().startswith("readme"):
            continue
        suffix = path.suffix.lower()
        if (suffix in SUPPORTED_EXTENSIONS or suffix in UNREADABLE_EXTENSIONS) and path.is_file():
            found.append(path)
    return found


def unlisted_files(raw_dir: Path, manifest: pd.DataFrame | None) -> list[Path]:
    """Documents present in the raw folder but not named in the manifest (their metadata must be inferred).

    Args:
        raw_dir: The raw folder.
        manifest: The table from :func:`read_manifest`, or None when there is no manifest (then every
            document is unlisted).

    Returns:
        Paths of the unlisted supported files, sorted by name.
    """
    listed: set[str] = set() if manifest is None else {str(f) for f in manifest["file"].dropna()}
    raw_dir = Path(raw_dir)
    return [p for p in raw_files(raw_dir) if p.relative_to(raw_dir).as_posix() not in listed]


# ------------------------------------------------------------------------------------------------ helpers


def _parse_csv(path: Path, text: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header and (line number, cells) of every non-blank row; line numbers count physical lines."""
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[tuple[int, list[str]]] = []
    header: list[str] | None = None
    try:
        line = 1
        for cells in reader:
            if header is None:
                header = [c.strip() for c in cells]
            elif any(c.strip() for c in cells):
                rows.append((line, cells))
            line = reader.line_num + 1
    except csv.Error as exc:
        raise ManifestError(path, f"line {reader.line_num}: is not valid CSV ({exc})") from exc
    if not header or not any(header):
        raise ManifestError(path, "is empty: expected a header line with at least the columns doc_id, file")
    return header, rows


def _check_header(header: list[str]) -> list[str]:
    problems = []
    unknown = [c for c in header if c not in MANIFEST_COLUMNS]
    if unknown:
        problems.append(
            f"line 1: unknown column(s) {', '.join(repr(c) for c in unknown)}; "
            f"allowed columns are {', '.join(MANIFEST_COLUMNS)}"
        )
    repeated = sorted({c for c in header if header.count(c) > 1})
    if repeated:
        problems.append(f"line 1: column(s) {', '.join(repr(c) for c in repeated)} appear more than once")
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        problems.append(f"line 1: missing required column(s) {', '.join(missing)}")
    return problems


def _check_row(
    raw_dir: Path, raw: dict[str, str | None], first_line: dict[str, dict[str, int]], line: int
) -> tuple[dict, list[str]]:
    """Validate and convert one row; ``first_line`` remembers where each doc_id and file was first seen."""
    problems: list[str] = []
    record: dict = {name: raw.get(name) for name in MANIFEST_COLUMNS}

    doc_id = record["doc_id"]
    if doc_id is None:
        problems.append("doc_id is blank")
    elif not DOC_ID_RE.match(doc_id):
        problems.append(
            f"doc_id {doc_id!r} may only use lowercase letters a-z, digits and _ (e.g. ningbo_2023)"
        )
    elif doc_id in first_line["doc_id"]:
        problems.append(f"duplicate doc_id {doc_id!r} (first used on line {first_line['doc_id'][doc_id]})")
    else:
        first_line["doc_id"][doc_id] = line

    file = record["file"]
    if file is None:
        problems.append("file is blank")
    else:
        target = raw_dir / file
        if Path(file).is_absolute() or ".." in Path(file).parts:
            problems.append(f"file {file!r} must be a file name inside the raw folder {raw_dir}")
        elif (outside := outside_raw_folder(raw_dir, target)) is not None:
            problems.append(
                f"file {file!r} is a symbolic link to {outside}, outside the raw folder {raw_dir}; "
                "copy the file into the raw folder instead"
            )
        elif Path(file).suffix.lower() not in SUPPORTED_EXTENSIONS:
            problems.append(
                f"file {file!r} has an unsupported type (supported: {', '.join(SUPPORTED_EXTENSIONS)})"
            )
        elif not target.is_file():
            problems.append(f"file {file!r} does not exist in {raw_dir}")
        if file in first_line["file"]:
            problems.append(f"file {file!r} is already listed on line {first_line['file'][file]}")
        else:
            first_line["file"][file] = line

    for column in ("period_start", "period_end"):
        value = record[column]
        if value is None:
            continue
        if not YEAR_RE.match(value):
            problems.append(f"{column} {value!r} is not a 4-digit year")
            record[column] = None
        elif not YEAR_RANGE[0] <= int(value) <= YEAR_RANGE[1]:
            problems.append(f"{column} {value} is outside {YEAR_RANGE[0]}–{YEAR_RANGE[1]}")
            record[column] = None
        else:
            record[column] = int(value)
    start, end = record["period_start"], record["period_end"]
    if start is not None and end is not None and start > end:
        problems.append(f"period_start {start} is after period_end {end}")

    issue = record["issue_date"]
    if issue is not None:
        try:
            if not ISO_DATE_RE.match(issue):
                raise ValueError
            dt.date.fromisoformat(issue)
        except ValueError:
            problems.append(f"issue_date {issue!r} is not a date written yyyy-mm-dd (e.g. 2023-05-29)")

    names_city = record["names_city"]
    if names_city is not None:
        word = names_city.lower()
        if word in BOOLEAN_WORDS:
            record["names_city"] = BOOLEAN_WORDS[word]
        else:
            problems.append(f"names_city {names_city!r} is not one of {'/'.join(BOOLEAN_WORDS)}")
            record["names_city"] = None

    level = record["level"]
    if level is not None and level not in LEVELS:
        problems.append(f"level {level!r} is not one of {', '.join(LEVELS)}")

    script = record["script"]
    if script is not None and script not in SCRIPTS:
        problems.append(f"script {script!r} is not one of {', '.join(SCRIPTS)}")
    return record, problems


def _to_frame(records: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(records, columns=list(MANIFEST_COLUMNS))
    for column in MANIFEST_COLUMNS:
        if column in ("period_start", "period_end"):
            frame[column] = pd.array(frame[column].tolist(), dtype="Int64")
        elif column == "names_city":
            frame[column] = pd.array(frame[column].tolist(), dtype="boolean")
        else:
            frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
    return frame
