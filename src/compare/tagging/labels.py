"""Scoring theme tags against hand labels: locate each labelled snippet's passage, then per-theme and
micro/macro precision, recall and F1 per split.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from compare.tagging.codebook import Codebook, load_codebook

#: Punctuation trimmed from snippets when locating labels.
SPACE_RE = re.compile(r"\s+")


# --------------------------------------------------------------------------------------------------
# Validation against hand labels
# --------------------------------------------------------------------------------------------------
def _norm(s: str) -> str:
    return SPACE_RE.sub("", s or "")


def read_labels(path: str | Path) -> pd.DataFrame:
    """Read hand labels (``doc_id, snippet, themes, split, note``; themes separated by ``;``)."""
    labels = pd.read_csv(path, dtype=str, keep_default_na=False)
    labels["themes"] = labels["themes"].fillna("")
    return labels


def locate_labels(labels: pd.DataFrame, passages: pd.DataFrame) -> pd.DataFrame:
    """Find the passage each label's snippet belongs to (first passage of the doc containing it).

    Returns:
        ``labels`` with a ``passage_id`` column (None when the snippet is not found).
    """
    out = labels.copy()
    texts = {
        d: list(zip(g["passage_id"], g["text"].map(_norm), strict=True))
        for d, g in passages.groupby("doc_id", sort=False)
    }
    found = []
    for doc, snip in zip(out["doc_id"], out["snippet"], strict=True):
        s = _norm(snip)
        pid = next((p for p, t in texts.get(doc, []) if s and s in t), None)
        found.append(pid)
    out["passage_id"] = found
    return out


def prf_table(
    expected: list[set[str]], predicted: list[set[str]], *, codes: list[str], labels: Mapping[str, str]
) -> pd.DataFrame:
    """Per-theme and micro/macro precision, recall and F1 for multi-label sets.

    Macro averages are over themes with at least one expected or predicted label (a theme nobody has
    and nobody predicts has no defined score).
    """
    rows = []
    tp_all = fp_all = fn_all = 0
    for code in codes:
        tp = sum(code in e and code in p for e, p in zip(expected, predicted, strict=True))
        fp = sum(code not in e and code in p for e, p in zip(expected, predicted, strict=True))
        fn = sum(code in e and code not in p for e, p in zip(expected, predicted, strict=True))
        tp_all, fp_all, fn_all = tp_all + tp, fp_all + fp, fn_all + fn
        prec = tp / (tp + fp) if tp + fp else np.nan
        rec = tp / (tp + fn) if tp + fn else np.nan
        f1 = 2 * tp / (2 * tp + fp + fn) if (2 * tp + fp + fn) else np.nan
        rows.append((code, labels.get(code, code), tp + fn, tp, fp, fn, prec, rec, f1))
    df = pd.DataFrame(
        rows, columns=["theme_code", "theme_label", "support", "tp", "fp", "fn", "precision", "recall", "f1"]
    )
    active = df[(df["support"] > 0) | (df["fp"] > 0)]
    micro_p = tp_all / (tp_all + fp_all) if tp_all + fp_all else np.nan
    micro_r = tp_all / (tp_all + fn_all) if tp_all + fn_all else np.nan
    micro_f = 2 * tp_all / (2 * tp_all + fp_all + fn_all) if (2 * tp_all + fp_all + fn_all) else np.nan
    summary = pd.DataFrame(
        [
            ("micro", "微平均", int(df["support"].sum()), tp_all, fp_all, fn_all, micro_p, micro_r, micro_f),
            (
                "macro",
                "宏平均",
                int(df["support"].sum()),
                tp_all,
                fp_all,
                fn_all,
                active["precision"].fillna(0).mean() if len(active) else np.nan,
                active["recall"].fillna(0).mean() if len(active) else np.nan,
                active["f1"].fillna(0).mean() if len(active) else np.nan,
            ),
        ],
        columns=df.columns,
    )
    return pd.concat([df, summary], ignore_index=True)


def validate_against_labels(
    passage_tags: pd.DataFrame,
    *,
    passages: pd.DataFrame,
    labels: pd.DataFrame,
    codebook: Codebook | None = None,
) -> pd.DataFrame:
    """Compare passage tags with hand labels: per-theme and micro/macro P/R/F1 per split.

    Args:
        passage_tags: Output of :func:`tag_passages`.
        passages: The ``passages`` table (to locate label snippets).
        labels: Hand labels (:func:`read_labels`), with a ``split`` column (e.g. ``tune``/``heldout``).
        codebook: Codebook (default: packaged).

    Returns:
        Long table with ``split`` (``all`` plus each split), the per-theme rows and ``micro``/``macro`` rows;
        ``attrs["unmatched"]`` lists label snippets not found in any passage.
    """
    cb = codebook or load_codebook()
    located = locate_labels(labels, passages)
    missing = located[located["passage_id"].isna()]
    located = located[located["passage_id"].notna()]
    pred = passage_tags.groupby("passage_id")["theme_code"].apply(set).to_dict() if len(passage_tags) else {}
    splits = {"all": located}
    if "split" in located:
        splits.update({s: g for s, g in located.groupby("split", sort=True)})
    parts = []
    for name, g in splits.items():
        exp = [set(filter(None, (t.strip() for t in th.split(";")))) for th in g["themes"]]
        prd = [pred.get(p, set()) for p in g["passage_id"]]
        t = prf_table(exp, prd, codes=cb.codes, labels=cb.labels)
        t.insert(0, "split", name)
        t.insert(1, "n_passages", len(g))
        parts.append(t)
    out = pd.concat(parts, ignore_index=True)
    out.attrs["unmatched"] = list(zip(missing["doc_id"], missing["snippet"], strict=True))
    return out


def label_comparison(
    passage_tags: pd.DataFrame, *, passages: pd.DataFrame, labels: pd.DataFrame
) -> pd.DataFrame:
    """Each labelled passage with expected and predicted themes, for auditing disagreements."""
    located = locate_labels(labels, passages)
    pred = (
        passage_tags.groupby("passage_id")["theme_code"].apply(lambda s: ";".join(sorted(s))).to_dict()
        if len(passage_tags)
        else {}
    )
    located["predicted"] = located["passage_id"].map(lambda p: pred.get(p, "") if p else "")
    located["expected"] = located["themes"].map(
        lambda s: ";".join(sorted(filter(None, (t.strip() for t in s.split(";")))))
    )
    located["agree"] = located["predicted"] == located["expected"]
    return located
