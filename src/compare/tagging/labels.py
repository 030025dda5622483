"""Theme tagging with the education-policy codebook (``resources/themes.yaml``).

Sentences are matched against each theme's lexicon on the cleaned simplified text (longest term wins, a
term inside a longer matched term or blocker is ignored), with the codebook's coding rules: passing
mentions and slogans carry no theme, bare enumerations count half, school-level names (and a level's own
terms that modify a cross-cutting measure) are only a setting when the sentence is about a cross-cutting
theme, subject reform pilots keep their subject, overlapping hits of one theme count once, only quantified
sentences of an overall-goal paragraph and specific results of a review section count, declared co-tags and
(conditional, clause-scoped) absorptions. Codebook v3 adds: a level gets its own project when named with a
supply term (rule 4), a construction verb with a school building as object is school_supply without a count,
a level's own structure words (专业, 招生, 办学水平 ...) count for the level named with them (rule 3), a degree
as staff qualification is not higher education, and a platform that is only used is not digital (rule 10).
Codebook v4 adds: a level's own mission (rule 3: universities acting on their research, transfer, disciplines,
talent training or social service are higher education besides the function's theme), enumerations that name
a programme's components are not bare lists (rule 1), a project phase between a school building and its verb,
and a level named right before the building it builds is its own project (rule 4).
Codebook v5 adds: collocations in one clause (``phrases``: "纳入…考核", "配备…教师"), other senses of a term
(``senses``: "通过…督导评估" is passed, "编制…规划" is drafted, "加大…投入" is vague), the vocational schools' own
mission, goals stated as complete, shortcomings in review sections, review subsections of a general section, counts
before a field of education, and a level named with its own structure in a clause of its own.
Every tag carries its evidence (matched terms with weights, or the rule that fired) and a score. Passages get
the union of their sentences' tags (plus themes that only accumulate over several sentences) and a primary
theme.

A TF-IDF model over passage tokens is a separate second opinion: it suggests themes for passages that
the lexicon left untagged but that sit close to a theme's tagged passages; it is reported in its own
table (``theme_suggestions``), never merged into the tags.

Stage hooks for :mod:`compare.pipeline.build`: :func:`document_tables` and :func:`corpus_tables`.
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
