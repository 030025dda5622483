"""Score the theme tagger on folders of hand-labelled documents that are not part of the corpus.

The seeds are scored in place (``tests/data/theme_labels.csv`` against the built corpus). Documents written for
validation live in their own folders (``tests/data/composed/<set>/``: plan texts, ``manifest.csv``,
``labels.csv`` with ``doc_id, snippet, themes, note``); each set is built like any corpus and its passage tags
are scored against its labels. ``sets.csv`` next to the set folders records each set's status: ``tuned`` (the
rules were adjusted on it, so its score is no estimate for new plans) or ``blind`` (scored once, never tuned on).
"""

from __future__ import annotations

import importlib
import tempfile
from pathlib import Path

import pandas as pd

SETS_FILE = "sets.csv"
SET_COLUMNS = ("set", "folder", "status", "note")
STATUSES = ("tuned", "blind")


def _read_sets_file(path: Path, columns: tuple[str, ...]) -> pd.DataFrame:
    """A sets CSV with ``columns`` and a known ``status`` on every row, or a ValueError naming the file."""
    sets = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in columns if c not in sets.columns]
    if missing:
        raise ValueError(f"{path}: missing column(s) {', '.join(missing)}")
    bad = sorted(set(sets["status"]) - set(STATUSES))
    if bad:
        raise ValueError(f"{path}: unknown status {', '.join(bad)} (use one of {', '.join(STATUSES)})")
    return sets


def labelled_sets(folder: str | Path) -> pd.DataFrame:
    """The labelled document sets listed in ``<folder>/sets.csv``.

    Args:
        folder: Folder holding ``sets.csv`` and the set folders (the project's ``tests/data/composed``).

    Returns:
        ``set, folder, status, note`` with ``folder`` resolved to a path; empty when there is no ``sets.csv``.

    Raises:
        ValueError: A malformed ``sets.csv`` (missing column, unknown status, a set folder without labels),
            naming the file.
    """
    path = Path(folder) / SETS_FILE
    if not path.exists():
        return pd.DataFrame(columns=list(SET_COLUMNS))
    sets = _read_sets_file(path, SET_COLUMNS)
    sets["folder"] = [Path(folder) / f for f in sets["folder"]]
    for name, f in zip(sets["set"], sets["folder"], strict=True):
        if not (f / "labels.csv").exists():
            raise ValueError(f"{path}: set {name!r} has no labels.csv in {f}")
    return sets[list(SET_COLUMNS)]


def validate_folder(folder: str | Path, *, split: str, work_dir: str | Path | None = None) -> pd.DataFrame:
    """Build a labelled folder with the full pipeline and score its passage tags against its labels.

    Args:
        folder: A set folder (plan texts, ``manifest.csv``, ``labels.csv``). It is only read.
        split: Name given to the set in the result (e.g. ``composed_b``).
        work_dir: Where the build writes its outputs (kept there, so a second call is a warm no-op); default: a
            temporary folder removed afterwards.

    Returns:
        The table of :func:`compare.tagging.labels.validate_against_labels` (``split`` = ``all`` and ``split``), with
        ``attrs["unmatched"]`` listing label snippets not found in any passage and ``attrs["n_documents"]``
        the documents the labels cover.
    """
    from compare.tagging import labels as labels_mod

    build = importlib.import_module(
        "compare.pipeline.build"
    ).build  # the module: compare.pipeline.build is also a function
    folder = Path(folder)
    labels = labels_mod.read_labels(folder / "labels.csv")
    labels["split"] = split
    with tempfile.TemporaryDirectory(prefix="pc-validate-") as tmp:
        out = Path(work_dir) if work_dir is not None else Path(tmp) / "out"
        tables = build(folder, out, use_cache=work_dir is not None, write_csv=False, progress=False).tables
        scores = labels_mod.validate_against_labels(
            tables["theme_tags_passage"], passages=tables["passages"], labels=labels
        )
    scores.attrs["n_documents"] = labels["doc_id"].nunique()
    return scores


def validate_sets(folder: str | Path, *, work_dir: str | Path | None = None) -> pd.DataFrame:
    """Score every set of ``<folder>/sets.csv`` (see :func:`validate_folder`).

    Args:
        folder: Folder with ``sets.csv`` (the project's ``tests/data/composed``).
        work_dir: Parent folder for the builds (one sub-folder per set); default: temporary folders.

    Returns:
        The per-theme and ``micro``/``macro`` rows of each set (``split`` = ``composed_<set>``), with its
        ``status``, ``n_documents`` and ``unmatched`` (labels whose snippet was not found).
    """
    parts = []
    for row in labelled_sets(folder).itertuples():
        split = f"composed_{row.set}"
        sub = Path(work_dir) / split if work_dir is not None else None
        full = validate_folder(row.folder, split=split, work_dir=sub)
        unmatched, n_documents = len(full.attrs.get("unmatched", [])), full.attrs["n_documents"]
        v = full[full["split"] == split].copy()
        v.insert(1, "status", row.status)
        v["n_documents"] = n_documents
        v["unmatched"] = unmatched
        parts.append(v)
    if not parts:
        return pd.DataFrame()
    return pd.concat(parts, ignore_index=True)


#: The labelled sets of the extraction check (``tests/data/extraction_sets.csv`` in the repository).
EXTRACTION_SET_COLUMNS = ("set", "status", "raw", "targets", "commitments", "note")


def extraction_sets(path: str | Path, *, root: str | Path | None = None) -> pd.DataFrame:
    """The labelled sets of the target and commitment check.

    Args:
        path: A CSV with ``set, status, raw, targets, commitments, note``; ``raw`` a folder of plans, ``targets``
            a label file or glob (``expected_targets_*.csv``), ``commitments`` a label file or empty.
        root: What the paths are relative to (default: the CSV's grandparent, the repository root).

    Raises:
        ValueError: A missing column or an unknown status, naming the file.
    """
    path = Path(path)
    root = Path(root) if root is not None else path.parent.parent.parent
    sets = _read_sets_file(path, EXTRACTION_SET_COLUMNS)
    sets.attrs["root"] = root
    return sets[list(EXTRACTION_SET_COLUMNS)]


def validate_extraction(
    sets: pd.DataFrame, *, which: tuple[str, ...] = ("tuned",), work_dir: str | Path | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Build each labelled set and score its targets and dated commitments against the labels.

    Args:
        sets: From :func:`extraction_sets`.
        which: Statuses or set names to score (the blind sets are scored once, when asked by name or status).
        work_dir: Parent folder for the builds (kept, so a second call is warm); default: temporary folders.

    Returns:
        ``(scores, misses)``: one row per set (``set, status, n_docs``, target ``n_expected, n_predicted,
        precision, recall, unit_exact, comparator_exact, year_exact``, commitment ``c_expected, c_precision,
        c_recall, c_year_exact``) and every missed, spurious or mismatched record with its set.
    """
    from compare.extraction.evaluate import (
        evaluate_commitments,
        evaluate_targets,
        load_commitments,
        load_expected,
        mismatches,
    )

    build = importlib.import_module("compare.pipeline.build").build
    root = Path(sets.attrs.get("root", "."))
    rows, misses = [], []
    with tempfile.TemporaryDirectory(prefix="pc-extraction-") as tmp:
        for r in sets.to_dict("records"):
            if r["set"] not in which and r["status"] not in which:
                continue
            out = (Path(work_dir) if work_dir is not None else Path(tmp)) / r["set"]
            tables = build(root / r["raw"], out, keep_going=True, write_csv=False, progress=False).tables
            documents = tables["documents"]
            files = sorted(root.glob(r["targets"]))
            exp = pd.concat([load_expected(f) for f in files], ignore_index=True)
            exp = exp[exp["doc_id"].isin(set(documents["doc_id"]))]
            t = evaluate_targets(tables["targets"], exp, documents=documents).set_index("doc_id").loc["ALL"]
            row = {"set": r["set"], "status": r["status"], "n_docs": int(exp["doc_id"].nunique())}
            row.update(
                {
                    k: t[k]
                    for k in (
                        "n_expected",
                        "n_predicted",
                        "n_matched",
                        "precision",
                        "recall",
                        "unit_exact",
                        "comparator_exact",
                        "year_exact",
                    )
                }
            )
            m = mismatches(tables["targets"], exp, documents=documents)
            m.insert(0, "set", r["set"])
            m.insert(1, "what", "target")
            misses.append(m.rename(columns={"number_text": "text"}).drop(columns="number_start"))
            if r["commitments"]:
                ce = load_commitments(root / r["commitments"])
                ce = ce[ce["doc_id"].isin(set(documents["doc_id"]))]
                cs, cm = evaluate_commitments(tables["timeline"], ce, documents=documents)
                c = cs.set_index("doc_id").loc["ALL"]
                row.update(
                    {
                        "c_expected": c["n_expected"],
                        "c_predicted": c["n_predicted"],
                        "c_matched": c["n_matched"],
                        "c_precision": c["precision"],
                        "c_recall": c["recall"],
                        "c_year_exact": c["year_exact"],
                    }
                )
                cm.insert(0, "set", r["set"])
                cm.insert(1, "what", "commitment")
                misses.append(
                    cm.astype({"expected": str, "predicted": str}).rename(
                        columns={"context": "expected_context"}
                    )
                )
                row["n_docs"] = len(set(exp["doc_id"]) | set(ce["doc_id"]))
            rows.append(row)
    return pd.DataFrame(rows), pd.concat(misses, ignore_index=True) if misses else pd.DataFrame()


def combine_sets(scores: pd.DataFrame) -> pd.DataFrame:
    """One row per status (``seeds`` on its own, then ``tuned`` and ``blind`` over their sets), pooled.

    Precision and recall are recomputed from the pooled counts; field accuracies are weighted by the matched
    records they were measured on. Columns: those of ``resources/validation.csv`` (``set, n_docs,
    n_expected, precision, recall, unit_exact, comparator_exact, year_exact, commitment_precision,
    commitment_recall``).
    """
    rows = []
    groups = [("seeds", scores[scores["set"] == "seeds"])]
    for status in STATUSES:
        groups.append((status, scores[(scores["status"] == status) & (scores["set"] != "seeds")]))
    for name, g in groups:
        if g.empty:
            continue
        matched = g["n_matched"].sum()

        def weighted(col: str, g=g, matched=matched) -> float:
            return float((g[col].fillna(0) * g["n_matched"]).sum() / matched) if matched else float("nan")

        c = g.dropna(subset=["c_expected"]) if "c_expected" in g else g.iloc[0:0]
        c_pred, c_match, c_exp = (
            (c[k].sum() for k in ("c_predicted", "c_matched", "c_expected")) if len(c) else (0, 0, 0)
        )
        rows.append(
            {
                "set": name,
                "n_docs": int(g["n_docs"].sum()),
                "n_expected": int(g["n_expected"].sum()),
                "precision": matched / g["n_predicted"].sum() if g["n_predicted"].sum() else float("nan"),
                "recall": matched / g["n_expected"].sum() if g["n_expected"].sum() else float("nan"),
                "unit_exact": weighted("unit_exact"),
                "comparator_exact": weighted("comparator_exact"),
                "year_exact": weighted("year_exact"),
                "commitment_precision": c_match / c_pred if c_pred else float("nan"),
                "commitment_recall": c_match / c_exp if c_exp else float("nan"),
            }
        )
    return pd.DataFrame(rows)
