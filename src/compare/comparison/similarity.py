"""Document similarity: TF-IDF cosine over content tokens and cosine over theme profiles (share of sentences),
in long format; blockwise and top-k versions for large corpora.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import pandas as pd

from compare.comparison.coverage import coverage_matrix
from compare.comparison.selection import EMPTY_SELECTION, empty_table, select_rows
from compare.core.schemas import C as _C
from compare.core.schemas import TableSchema, register

SIMILARITY = register(
    TableSchema(
        "similarity",
        (
            _C("method", "str", "tfidf_tokens or theme_profile", allowed=("tfidf_tokens", "theme_profile")),
            _C("doc_a", "str", "document id"),
            _C("doc_b", "str", "document id"),
            _C("similarity", "float", "cosine similarity", min=0, max=1.000001),
        ),
        unique=("method", "doc_a", "doc_b"),
        doc="Document similarity matrices in long format.",
    )
)


# --------------------------------------------------------------------------------------------------
# Similarity
# --------------------------------------------------------------------------------------------------
def content_tokens(tokens: pd.DataFrame) -> pd.DataFrame:
    """The tokens that carry content: no stopwords, numbers or one-character tokens (one row selection)."""
    keep = ~tokens["is_stopword"].astype(bool) & ~tokens["is_number"].astype(bool)
    return tokens[keep & (tokens["token"].str.len() > 1)]


def similarity_tokens(
    tokens: pd.DataFrame, *, docs: list[str] | None = None, content: pd.DataFrame | None = None
) -> pd.DataFrame:
    """TF-IDF cosine similarity between documents over content tokens (stopwords, numbers, 1-char tokens out).

    Args:
        tokens: The ``tokens`` table.
        docs: Restrict to these documents (None = all).
        content: :func:`content_tokens` of ``tokens`` when already computed (only with ``docs`` None).

    Returns:
        Square DataFrame indexed and columned by doc_id (empty with a message for an empty selection).
    """
    from compare.core.vectors import cosine_similarity, grouped_tfidf_matrix

    tk = select_rows(tokens, docs)
    if tk is None or tk.empty:
        out = pd.DataFrame()
        out.attrs["message"] = EMPTY_SELECTION
        return out
    toks = content if content is not None and docs is None else content_tokens(tk)
    ids = list(dict.fromkeys(tk["doc_id"]))
    if toks.empty:
        return pd.DataFrame(np.eye(len(ids)), index=ids, columns=ids)
    keys, words = toks["doc_id"].to_numpy(dtype=object), toks["token"].to_numpy(dtype=object)
    mat, _terms = grouped_tfidf_matrix(keys, words, rows=ids, sublinear_tf=True)
    sim = np.clip(cosine_similarity(mat), 0, 1)
    return pd.DataFrame(sim, index=ids, columns=ids)


def similarity_profiles(
    coverage: pd.DataFrame, *, docs: list[str] | None = None, value: str = "share_sentences"
) -> pd.DataFrame:
    """Cosine similarity between documents' theme profiles (share of sentences per theme).

    A document without any tagged theme has similarity 0 to the others (1 to itself).
    """
    cov = select_rows(coverage, docs)
    if cov is None or cov.empty:
        out = pd.DataFrame()
        out.attrs["message"] = EMPTY_SELECTION
        return out
    wide = coverage_matrix(cov, value=value, labels=False).fillna(0.0)
    x = wide.to_numpy(dtype=float)
    norms = np.linalg.norm(x, axis=1)
    safe = np.where(norms > 0, norms, 1.0)
    sim = (x @ x.T) / np.outer(safe, safe)
    np.fill_diagonal(sim, 1.0)
    return pd.DataFrame(np.clip(sim, 0, 1), index=wide.index, columns=wide.index)


def similarity_long(
    *,
    tokens: pd.DataFrame | None,
    coverage: pd.DataFrame | None,
    docs: list[str] | None = None,
    content: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Both similarity matrices in the long ``similarity`` table (``content``: see :func:`similarity_tokens`)."""
    parts = []
    for method, mat in (
        (
            "tfidf_tokens",
            similarity_tokens(tokens, docs=docs, content=content) if tokens is not None else pd.DataFrame(),
        ),
        (
            "theme_profile",
            similarity_profiles(coverage, docs=docs) if coverage is not None else pd.DataFrame(),
        ),
    ):
        if mat.empty:
            continue
        mat = mat.rename_axis(index="doc_a", columns="doc_b")
        m = mat.stack().rename("similarity").reset_index()
        parts.append(m.assign(method=method))
    if not parts:
        return empty_table(SIMILARITY, EMPTY_SELECTION)
    return pd.concat(parts, ignore_index=True)[SIMILARITY.names]


# --------------------------------------------------------------------------------------------------
# Scalable forms: similarity in blocks, distinctive terms from count matrices (large corpora)
# --------------------------------------------------------------------------------------------------
#: Corpora up to this many documents get the full similarity matrix; larger ones the top-k neighbours.
SIMILARITY_FULL_MAX_DOCS = 1000


#: Neighbours kept per document (besides itself) when the similarity matrix is not kept in full.
SIMILARITY_TOP_K = 50


#: Cells of one block of a similarity product (rows x documents): bounds the memory of top-k similarity.
SIMILARITY_BLOCK_CELLS = 1_000_000


def similarity_long_from_blocks(
    rows: Callable[[int, int], np.ndarray], *, ids: list[str], method: str, top_k: int | None = None
) -> pd.DataFrame:
    """One similarity measure in the long ``similarity`` format, full or as top-k neighbours.

    Args:
        rows: ``rows(lo, hi)`` gives the similarities of documents ``lo:hi`` to every document (dense
            ``(hi - lo) x len(ids)``), e.g. :func:`cosine_rows` or :func:`profile_rows_from_matrix`.
        ids: Document ids, in corpus order.
        method: Value of the ``method`` column.
        top_k: None: every pair (``doc_a`` major, ``doc_b`` in ``ids`` order), computed at once. Else each
            document keeps itself and its ``top_k`` most similar other documents (ties: the earlier
            document), listed in ``ids`` order; rows are computed in blocks of at most
            :data:`SIMILARITY_BLOCK_CELLS` cells, so memory does not grow with the square of the corpus.

    Returns:
        ``method, doc_a, doc_b, similarity`` (clipped to [0, 1]).
    """
    if not len(ids):
        return empty_table(SIMILARITY, EMPTY_SELECTION)
    return pd.concat(list(similarity_blocks(rows, ids=ids, method=method, top_k=top_k)), ignore_index=True)


def similarity_blocks(
    rows: Callable[[int, int], np.ndarray], *, ids: list[str], method: str, top_k: int | None = None
) -> Iterator[pd.DataFrame]:
    """The rows of :func:`similarity_long_from_blocks`, one block of documents at a time (for writing them
    out as they are made; blocks of at most :data:`SIMILARITY_BLOCK_CELLS` cells, or one block for the full
    matrix)."""
    n = len(ids)
    ids_arr = np.asarray(ids, dtype=object)
    block = n if top_k is None else max(1, SIMILARITY_BLOCK_CELLS // max(n, 1))
    for lo in range(0, n, block):
        hi = min(n, lo + block)
        sim = np.clip(rows(lo, hi), 0, 1)
        if top_k is None:
            a = np.repeat(np.arange(lo, hi), n)
            b = np.tile(np.arange(n), hi - lo)
            vals = sim.ravel()
        else:
            k = min(top_k, n - 1)
            a_parts, b_parts, v_parts = [], [], []
            for r in range(hi - lo):
                me = lo + r
                row = sim[r].astype(float)
                row[me] = -np.inf
                if k < n - 1:  # candidates: everything at least as similar as the k-th best
                    kth = np.partition(row, n - 1 - k)[n - 1 - k]
                    cand = np.flatnonzero(row >= kth)
                else:
                    cand = np.flatnonzero(row > -np.inf)
                best = cand[np.argsort(-row[cand], kind="stable")[:k]]
                keep = np.sort(np.append(best, me))
                a_parts.append(np.full(len(keep), me))
                b_parts.append(keep)
                v_parts.append(sim[r][keep])
            a, b, vals = np.concatenate(a_parts), np.concatenate(b_parts), np.concatenate(v_parts)
        out = pd.DataFrame({"doc_a": ids_arr[a], "doc_b": ids_arr[b], "similarity": vals}).assign(
            method=method
        )
        yield out[SIMILARITY.names]


def grouped_similarity_blocks(
    groups: Callable[[], Iterator[tuple[int, object]]],
    *,
    ids: list[str],
    method: str,
    top_k: int | None = None,
) -> Iterator[pd.DataFrame]:
    """The rows of :func:`similarity_long_from_blocks` for cosine similarity of L2-normalised sparse rows
    that are not all in memory at once.

    ``groups()`` yields ``(first row, rows)`` for consecutive groups of documents covering ``ids`` in order
    (e.g. read from disk, each within a memory budget); it is called once per group of rows, for the
    columns. Each row of a group keeps its ``top_k`` best (value descending, then the earlier document)
    from every group of columns in turn, so only two groups and ``rows x top_k`` candidates are in memory;
    the selection and the values are those of :func:`similarity_long_from_blocks` over
    :func:`cosine_rows` of all the rows (a cell's value does not depend on the other rows of the
    product). Products are computed at most :data:`SIMILARITY_BLOCK_CELLS` cells at a time.

    Args:
        groups: Callable giving the groups, in order (several passes).
        ids: Document ids, in corpus order.
        method: Value of the ``method`` column.
        top_k: As in :func:`similarity_long_from_blocks` (None: every pair).
    """
    n = len(ids)
    ids_arr = np.asarray(ids, dtype=object)
    for r_lo, rows in groups():
        n_rows = rows.shape[0]
        if top_k is None:  # every pair: the rows' full width, one block of rows at a time
            step = max(1, SIMILARITY_BLOCK_CELLS // max(n, 1))
            for lo in range(0, n_rows, step):
                hi = min(n_rows, lo + step)
                sim = np.clip(np.hstack([(rows[lo:hi] @ cols.T).toarray() for _, cols in groups()]), 0, 1)
                a = np.repeat(np.arange(r_lo + lo, r_lo + hi), n)
                b = np.tile(np.arange(n), hi - lo)
                out = pd.DataFrame({"doc_a": ids_arr[a], "doc_b": ids_arr[b], "similarity": sim.ravel()})
                yield out.assign(method=method)[SIMILARITY.names]
            continue
        k = min(top_k, n - 1)
        best_val = np.full((n_rows, k), -np.inf)
        best_idx = np.full((n_rows, k), n, dtype=np.int64)
        diag = np.zeros(n_rows)
        for c_lo, cols in groups():
            n_cols = cols.shape[0]
            step = max(1, SIMILARITY_BLOCK_CELLS // max(n_cols, 1))
            for lo in range(0, n_rows, step):
                hi = min(n_rows, lo + step)
                sim = np.clip((rows[lo:hi] @ cols.T).toarray(), 0, 1)
                me = np.arange(r_lo + lo, r_lo + hi)
                mine = np.flatnonzero((me >= c_lo) & (me < c_lo + n_cols))
                diag[lo + mine] = sim[mine, me[mine] - c_lo]
                sim[mine, me[mine] - c_lo] = -np.inf
                col = np.broadcast_to(np.arange(c_lo, c_lo + n_cols), sim.shape)
                top = np.lexsort((col, -sim), axis=1)[:, :k]  # value descending, then the earlier document
                vals = np.concatenate([best_val[lo:hi], np.take_along_axis(sim, top, axis=1)], axis=1)
                idx = np.concatenate([best_idx[lo:hi], np.take_along_axis(col, top, axis=1)], axis=1)
                order = np.lexsort((idx, -vals), axis=1)[:, :k]
                best_val[lo:hi] = np.take_along_axis(vals, order, axis=1)
                best_idx[lo:hi] = np.take_along_axis(idx, order, axis=1)
        # each row: itself and its k neighbours, in corpus order
        me = np.arange(r_lo, r_lo + n_rows)
        idx = np.concatenate([best_idx, me[:, None]], axis=1)
        vals = np.concatenate([best_val, diag[:, None]], axis=1)
        order = np.argsort(idx, axis=1, kind="stable")
        idx, vals = np.take_along_axis(idx, order, axis=1), np.take_along_axis(vals, order, axis=1)
        out = pd.DataFrame(
            {
                "doc_a": ids_arr[np.repeat(me, k + 1)],
                "doc_b": ids_arr[idx.ravel()],
                "similarity": vals.ravel(),
            }
        ).assign(method=method)
        yield out[SIMILARITY.names]


def cosine_rows(vectors) -> Callable[[int, int], np.ndarray]:
    """Block function of :func:`similarity_long_from_blocks`: cosine similarity of sparse or dense rows
    (as sklearn's ``cosine_similarity`` computes it, so zero rows are 0 to every row, themselves included).

    The rows are normalised once, not once per block (``cosine_similarity`` would copy the whole matrix for
    every block); normalising is row by row, so the values are the same.
    """
    import scipy.sparse as sp

    from compare.core.vectors import l2_normalize

    normed = l2_normalize(vectors, copy=True)
    if not sp.issparse(normed):
        return lambda lo, hi: normed[lo:hi] @ normed.T
    return lambda lo, hi: (normed[lo:hi] @ normed.T).toarray()


def profile_rows_from_matrix(x: np.ndarray) -> Callable[[int, int], np.ndarray]:
    """Block function of :func:`similarity_long_from_blocks` for theme-profile similarity, from a documents x
    themes matrix (e.g. ``coverage_matrix(coverage, labels=False).fillna(0)``), computed as
    :func:`similarity_profiles` computes each cell (diagonal 1, zero profiles 0 to the others)."""
    norms = np.linalg.norm(x, axis=1)
    safe = np.where(norms > 0, norms, 1.0)

    def rows(lo: int, hi: int) -> np.ndarray:
        sim = (x[lo:hi] @ x.T) / np.outer(safe[lo:hi], safe)
        sim[np.arange(hi - lo), np.arange(lo, hi)] = 1.0
        return sim

    return rows
