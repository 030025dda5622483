"""Targets summarised for charts: targets per theme and the share of each theme's targets per city."""

from __future__ import annotations

import pandas as pd


def _labels(documents: pd.DataFrame | None) -> dict:
    if documents is None or documents.empty:
        return {}
    return dict(zip(documents["doc_id"], documents["city_label"], strict=False))


def first_theme(themes: pd.Series, *, default: str = "unclassified") -> pd.Series:
    """The first theme code of a comma-separated ``themes`` column (``default`` when empty)."""
    return themes.fillna("").astype(str).str.split(",").str[0].replace("", default)


def targets_by_theme(
    targets: pd.DataFrame, *, documents: pd.DataFrame | None = None, aligned: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Number of distinct targets (repeats left out) per city and theme.

    Args:
        targets: The ``targets`` table.
        documents: For city labels.
        aligned: The ``aligned_indicators`` table; when given, an indicator's vocabulary theme is preferred
            to its passage's first theme (an indicator table is one passage but spans many themes).

    Returns:
        Columns ``city_label, theme, n_targets`` (theme code, or ``unclassified``).
    """
    if targets.empty:
        return pd.DataFrame(columns=["city_label", "theme", "n_targets"])
    t = targets[~targets["is_repeat"].astype(bool)].copy()
    t["city_label"] = t["doc_id"].map(_labels(documents)).fillna(t["doc_id"])
    t["theme"] = first_theme(t["themes"])
    if aligned is not None and not aligned.empty:
        vocab = aligned[aligned["match_method"] == "vocabulary"].set_index("target_id")["theme"]
        t["theme"] = t["target_id"].map(vocab).fillna(t["theme"])
    return t.groupby(["city_label", "theme"]).size().rename("n_targets").reset_index()


def target_shares(targets: pd.DataFrame, *, documents: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per city: distinct targets and the share with a stated deadline, per-year, binding, masked.

    A deadline is *stated* when it comes from the sentence or a governing phrase of the paragraph (not the
    plan's end year by default).

    Returns:
        Columns ``city_label, doc_id, n_targets, share_deadline, share_per_year, share_binding, share_masked``.
    """
    cols = [
        "city_label",
        "doc_id",
        "n_targets",
        "share_deadline",
        "share_per_year",
        "share_binding",
        "share_masked",
    ]
    if targets.empty:
        return pd.DataFrame(columns=cols)
    t = targets[~targets["is_repeat"].astype(bool)].copy()
    t["stated"] = t["deadline_source"].isin(["sentence", "passage", "section", "document"])
    t["bound"] = t["binding"].eq("约束性")
    g = t.groupby("doc_id")
    out = pd.DataFrame(
        {
            "n_targets": g.size(),
            "share_deadline": g["stated"].mean(),
            "share_per_year": g["per_year"].mean(),
            "share_binding": g["bound"].mean(),
            "share_masked": g["is_masked"].mean(),
        }
    ).reset_index()
    out["city_label"] = out["doc_id"].map(_labels(documents)).fillna(out["doc_id"])
    return out[cols]
