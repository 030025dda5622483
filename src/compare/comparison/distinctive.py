"""Distinctive terms: weighted log-odds ratio with an informative Dirichlet prior (Monroe, Colaresi & Quinn
2008), each document against all other selected documents, so any number of cities works at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np
import pandas as pd

from compare.comparison.selection import EMPTY_SELECTION, empty_table, select_rows
from compare.comparison.similarity import content_tokens
from compare.core.schemas import C as _C
from compare.core.schemas import TableSchema, register

DISTINCTIVE = register(
    TableSchema(
        "distinctive_terms",
        (
            _C("doc_id", "str", "document id"),
            _C("term", "str", "token"),
            _C("count", "int", "occurrences in the document", min=0),
            _C("count_rest", "int", "occurrences in the other selected documents", min=0),
            _C("log_odds", "float", "weighted log-odds ratio (document vs the rest)"),
            _C("z", "float", "z-score of the log-odds ratio"),
            _C("rank", "int", "rank by z within the document (1 = most distinctive)", min=1),
        ),
        unique=("doc_id", "term"),
        doc="Distinctive terms per document vs the rest (Monroe et al. 2008, informative Dirichlet prior).",
    )
)


# --------------------------------------------------------------------------------------------------
# Distinctive terms (Monroe et al. 2008)
# --------------------------------------------------------------------------------------------------
def distinctive_terms(
    tokens: pd.DataFrame,
    *,
    docs: list[str] | None = None,
    top_n: int | None = 30,
    prior_scale: float = 1.0,
    min_count: int = 2,
    exclude: Iterable[str] = (),
    content: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Distinctive terms of each document against all other selected documents.

    Weighted log-odds ratio with an informative Dirichlet prior (Monroe, Colaresi & Quinn 2008, eq. 22):
    the prior for word *w* is ``alpha_w = prior_scale * n_w`` where ``n_w`` is the word's count in the
    whole selection, ``alpha_0 = sum alpha_w``. For document *i* vs the rest *j*::

        delta_w = log((y_iw + a_w) / (n_i + a_0 - y_iw - a_w)) - log((y_jw + a_w) / (n_j + a_0 - y_jw - a_w))
        var_w   = 1 / (y_iw + a_w) + 1 / (y_jw + a_w)
        z_w     = delta_w / sqrt(var_w)

    Stopwords, numbers (including masks) and one-character tokens are excluded.

    Args:
        tokens: The ``tokens`` table.
        docs: Restrict to these documents (None = all). Needs at least two.
        top_n: Keep the top terms per document (None = all).
        prior_scale: Strength of the prior relative to the observed corpus counts.
        min_count: Minimum count of a term in the document to be listed.
        exclude: Terms left out (e.g. the documents' own place names, see :func:`place_names`).
        content: :func:`compare.comparison.similarity.content_tokens` of ``tokens`` when already computed
            (only with ``docs`` None).

    Returns:
        The ``distinctive_terms`` table (empty with a message for fewer than two documents).
    """
    tk = select_rows(tokens, docs)
    if tk is None or tk.empty:
        return empty_table(DISTINCTIVE, EMPTY_SELECTION)
    toks = content if content is not None and docs is None else content_tokens(tk)
    excluded = set(exclude)
    if excluded:
        toks = toks[~toks["token"].isin(excluded)]
    ids = list(dict.fromkeys(tk["doc_id"]))
    if len(ids) < 2:
        return empty_table(DISTINCTIVE, "distinctive terms need at least two documents")
    counts = toks.groupby(["token", "doc_id"]).size().unstack(fill_value=0).reindex(columns=ids, fill_value=0)
    if counts.empty:
        return empty_table(DISTINCTIVE, "no content tokens in the selection")
    y = counts.to_numpy(dtype=float)
    total = y.sum(axis=1)
    alpha = prior_scale * total
    a0 = alpha.sum()
    rows = []
    for k, doc in enumerate(ids):
        yi = y[:, k]
        yj = total - yi
        ni, nj = yi.sum(), yj.sum()
        if ni == 0 or nj == 0:
            continue
        d = np.log((yi + alpha) / (ni + a0 - yi - alpha)) - np.log((yj + alpha) / (nj + a0 - yj - alpha))
        var = 1.0 / (yi + alpha) + 1.0 / (yj + alpha)
        z = d / np.sqrt(var)
        df = pd.DataFrame(
            {
                "doc_id": doc,
                "term": counts.index,
                "count": yi.astype(int),
                "count_rest": yj.astype(int),
                "log_odds": d,
                "z": z,
            }
        )
        df = df[df["count"] >= min_count].sort_values("z", ascending=False)
        df["rank"] = np.arange(1, len(df) + 1)
        rows.append(df.head(top_n) if top_n else df)
    if not rows:
        return empty_table(DISTINCTIVE, "no document has content tokens")
    return pd.concat(rows, ignore_index=True)[DISTINCTIVE.names]


def place_names(documents: pd.DataFrame | None) -> set[str]:
    """The documents' city and province names with their usual suffixes (泰州, 泰州市, 江苏, 江苏省 …)."""
    if documents is None or documents.empty:
        return set()
    names: set[str] = set()
    for col in ("city", "province"):
        if col in documents:
            for v in documents[col].dropna():
                v = str(v)
                base = v[:-1] if len(v) > 2 and v[-1] in "市省区县" else v
                names |= {v, base, base + "市", base + "省"}
    return {n for n in names if n}


def distinctive_terms_from_counts(
    counts,
    *,
    terms: list[str],
    ids: list[str],
    top_n: int | None = 30,
    prior_scale: float = 1.0,
    min_count: int = 2,
    exclude: Iterable[str] = (),
) -> pd.DataFrame:
    """:func:`distinctive_terms` from a sparse documents x terms count matrix (same formula, same output).

    Only the terms a document uses at least ``min_count`` times are scored, so the work per document is
    proportional to its vocabulary, not the corpus's.

    Args:
        counts: Sparse documents (rows, ``ids`` order) x terms (``terms``, sorted) counts of content tokens.
        terms: Column terms, sorted.
        ids: Row document ids.
        top_n, prior_scale, min_count, exclude: As in :func:`distinctive_terms` (one-character terms are
            excluded as there).

    Returns:
        The ``distinctive_terms`` table.
    """
    if len(ids) < 2:
        return empty_table(
            DISTINCTIVE, "distinctive terms need at least two documents" if ids else EMPTY_SELECTION
        )
    frames = distinctive_term_frames(
        counts,
        terms=terms,
        ids=ids,
        top_n=top_n,
        prior_scale=prior_scale,
        min_count=min_count,
        exclude=exclude,
    )
    first = next(frames, None)
    if first is None:
        return empty_table(DISTINCTIVE, "no document has content tokens")
    if first.attrs.get("message"):
        return first
    return pd.concat([first, *frames], ignore_index=True)[DISTINCTIVE.names]


def distinctive_term_frames(
    counts,
    *,
    terms: list[str],
    ids: list[str],
    top_n: int | None = 30,
    prior_scale: float = 1.0,
    min_count: int = 2,
    exclude: Iterable[str] = (),
    total: np.ndarray | None = None,
) -> Iterator[pd.DataFrame]:
    """The rows of :func:`distinctive_terms_from_counts`, one document at a time (for writing them out as they
    are made). Yields one empty table with a message when no term is left, nothing when no document scores.

    ``total`` gives the corpus's count of each term (columns of ``counts``) when ``counts`` holds only some
    of its documents (a large corpus, one chunk at a time); default: the column sums of ``counts``.
    """
    import scipy.sparse as sp

    excluded = set(exclude)
    terms_arr = np.asarray(terms, dtype=object)
    keep = np.array([len(t) > 1 and t not in excluded for t in terms], dtype=bool)
    x = sp.csr_matrix(counts)[:, np.flatnonzero(keep)]
    x.sum_duplicates()
    x.sort_indices()
    terms_arr = terms_arr[keep]
    if total is None:
        total = np.asarray(x.sum(axis=0), dtype=float).ravel()
    else:
        total = np.asarray(total, dtype=float)[keep]
    present = total > 0
    if not present.any():
        yield empty_table(DISTINCTIVE, "no content tokens in the selection")
        return
    alpha = prior_scale * total
    a0 = float(alpha[present].sum())
    n_all = float(total.sum())
    for k, doc in enumerate(ids):
        lo, hi = x.indptr[k], x.indptr[k + 1]
        cols = x.indices[lo:hi]
        yi_all = x.data[lo:hi].astype(float)
        ni = float(yi_all.sum())
        nj = n_all - ni
        if ni == 0 or nj == 0:
            continue
        sel = yi_all >= min_count
        cols, yi = cols[sel], yi_all[sel]
        a = alpha[cols]
        yj = total[cols] - yi
        d = np.log((yi + a) / (ni + a0 - yi - a)) - np.log((yj + a) / (nj + a0 - yj - a))
        var = 1.0 / (yi + a) + 1.0 / (yj + a)
        z = d / np.sqrt(var)
        df = pd.DataFrame(
            {
                "doc_id": doc,
                "term": terms_arr[cols],
                "count": yi.astype(int),
                "count_rest": yj.astype(int),
                "log_odds": d,
                "z": z,
            }
        )
        df = df.sort_values("z", ascending=False)
        df["rank"] = np.arange(1, len(df) + 1)
        yield (df.head(top_n) if top_n else df)[DISTINCTIVE.names]
