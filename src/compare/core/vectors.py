"""Sparse-vector helpers shared by the comparisons and the indicator grouping: term counts, TF-IDF from counts
or from per-term frequencies, L2 normalisation, cosine similarity, and stacking CSR rows without a second copy.

They give bit for bit what scikit-learn's ``CountVectorizer`` / ``TfidfVectorizer`` / ``normalize`` /
``cosine_similarity`` give (tested against them), with numpy and scipy.sparse only: the corpus steps no longer
import scikit-learn (about a second of every cold build).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

#: Runs of white space (the char n-gram analyzer reads them as one space).
RE_WHITE_SPACE = re.compile(r"\s\s+")


def count_matrix(docs: Iterable[Iterable[str]]):
    """Term counts of token lists as ``CountVectorizer(analyzer=<the lists>)`` makes them: ``(counts, terms)``.

    The matrix is float64 CSR with columns in sorted term order; within a row the entries stay in the order
    the vectorizer leaves them (by each term's first appearance in the corpus), because the sequential sums
    of :func:`l2_normalize` depend on it.

    Args:
        docs: One iterable of tokens per row.

    Returns:
        The count matrix and the terms of its columns (sorted).
    """
    import scipy.sparse as sp

    vocabulary: dict[str, int] = {}
    indices: list[int] = []
    values: list[int] = []
    indptr = [0]
    for doc in docs:
        counter: dict[int, int] = {}
        for term in doc:
            j = vocabulary.setdefault(term, len(vocabulary))
            counter[j] = counter.get(j, 0) + 1
        indices.extend(counter)
        values.extend(counter.values())
        indptr.append(len(indices))
    if not vocabulary:
        raise ValueError("empty vocabulary: no row has a term")
    idx_dtype = np.int64 if indptr[-1] > np.iinfo(np.int32).max else np.int32
    x = sp.csr_matrix(
        (
            np.asarray(values, dtype=np.intc),
            np.asarray(indices, dtype=idx_dtype),
            np.asarray(indptr, idx_dtype),
        ),
        shape=(len(indptr) - 1, len(vocabulary)),
        dtype=np.float64,
    )
    x.sort_indices()
    x = x[:, np.arange(len(vocabulary))]  # as the vectorizer's feature limiting copies it (every term kept)
    terms = sorted(vocabulary)
    rank = np.empty(len(terms), dtype=x.indices.dtype)
    for new, term in enumerate(terms):
        rank[vocabulary[term]] = new
    x.indices = rank.take(x.indices, mode="clip")
    return x, terms


def grouped_count_matrix(keys, tokens, *, rows):
    """:func:`count_matrix` of the token lists of ``rows`` (``tokens`` grouped by ``keys``, in their order), with
    numpy instead of a Python loop over every token: the same matrix, entry for entry and in the same order.

    Args:
        keys: The row key of each token (e.g. its ``passage_id``); tokens whose key is not in ``rows`` are left out.
        tokens: The tokens.
        rows: The row keys, in the order of the matrix rows (a row without tokens is empty).

    Returns:
        The count matrix and the terms of its columns (sorted).
    """
    import pandas as pd
    import scipy.sparse as sp

    key_codes, key_values = pd.factorize(np.asarray(keys, dtype=object))
    row_of = pd.Index(rows).get_indexer(key_values)[key_codes]  # hash the distinct keys only
    keep = row_of >= 0
    row_of = row_of[keep]
    order = np.argsort(row_of, kind="stable")  # rows in matrix order, tokens in their order within a row
    row_of = row_of[order]
    codes, vocabulary = pd.factorize(np.asarray(tokens, dtype=object)[keep][order])  # first appearance
    n_terms, n_rows = len(vocabulary), len(rows)
    if not n_terms:
        raise ValueError("empty vocabulary: no row has a term")
    cells, values = np.unique(row_of.astype(np.int64) * n_terms + codes, return_counts=True)
    indptr = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(np.bincount(cells // n_terms, minlength=n_rows), out=indptr[1:])
    idx_dtype = np.int64 if indptr[-1] > np.iinfo(np.int32).max else np.int32
    x = sp.csr_matrix(
        (values.astype(np.intc), (cells % n_terms).astype(idx_dtype), indptr.astype(idx_dtype)),
        shape=(n_rows, n_terms),
        dtype=np.float64,
    )
    x.sort_indices()
    x = x[:, np.arange(n_terms)]  # as count_matrix (the vectorizer's feature limiting copies it)
    terms = sorted(vocabulary.tolist())
    rank = np.empty(n_terms, dtype=x.indices.dtype)
    rank[pd.Index(vocabulary).get_indexer(terms)] = np.arange(n_terms, dtype=x.indices.dtype)
    x.indices = rank.take(x.indices, mode="clip")
    return x, terms


def char_ngrams(text: str, *, n_min: int = 2, n_max: int = 3) -> list[str]:
    """Character n-grams of a text as ``CountVectorizer(analyzer="char")`` cuts them (lower-cased, runs of
    white space as one space; all n_min-grams first, then the longer ones)."""
    text = RE_WHITE_SPACE.sub(" ", text.lower())
    return [
        text[i : i + n] for n in range(n_min, min(n_max + 1, len(text) + 1)) for i in range(len(text) - n + 1)
    ]


def l2_normalize(x, *, copy: bool = True):
    """Rows scaled to unit Euclidean length, as ``sklearn.preprocessing.normalize`` does (zero rows stay zero).

    Sparse rows: the squares are summed one entry after the other in stored order, as scikit-learn's
    compiled loop does (a pairwise sum would differ in the last bit); dense rows: ``einsum`` of the squares.
    """
    import scipy.sparse as sp

    if not sp.issparse(x):
        x = np.array(x, dtype=np.float64, copy=True) if copy or x.dtype != np.float64 else x
        norms = np.sqrt(np.einsum("ij,ij->i", x, x))
        norms[norms == 0.0] = 1.0
        x /= norms[:, np.newaxis]
        return x
    x = x.tocsr()
    x = x.astype(np.float64, copy=True) if copy or x.dtype != np.float64 else x
    lengths = np.diff(x.indptr)
    sums = np.zeros(x.shape[0], dtype=np.float64)
    squares = x.data * x.data
    rows = np.flatnonzero(lengths)
    # column k of a row-padded block holds each row's k-th square: adding them column by column is the
    # sequential sum of every row at once (a padding zero adds nothing)
    for lo in range(0, len(rows), NORMALIZE_BLOCK_ROWS):
        block = rows[lo : lo + NORMALIZE_BLOCK_ROWS]
        width = int(lengths[block].max())
        starts = x.indptr[block]
        acc = np.zeros(len(block), dtype=np.float64)
        for k in range(width):
            live = lengths[block] > k
            acc[live] += squares[starts[live] + k]
        sums[block] = acc
    norms = np.sqrt(sums)
    nonzero = np.repeat(norms != 0.0, lengths)
    x.data[nonzero] /= np.repeat(norms, lengths)[nonzero]
    return x


#: Rows summed together by :func:`l2_normalize` (bounds its scratch memory).
NORMALIZE_BLOCK_ROWS = 65536


def cosine_similarity(x, y=None, *, dense_output: bool = True):
    """Cosine similarity of the rows of ``x`` with the rows of ``y`` (default ``x``), as
    ``sklearn.metrics.pairwise.cosine_similarity`` computes it (zero rows are 0 to every row)."""
    import scipy.sparse as sp

    xn = l2_normalize(x, copy=True)
    yn = xn if y is None or y is x else l2_normalize(y, copy=True)
    out = xn @ yn.T
    if dense_output and sp.issparse(out):
        out = out.toarray()
    return out


@dataclass(frozen=True)
class Tfidf:
    """Fitted inverse document frequencies: :meth:`transform` gives the rows ``TfidfTransformer`` gives.

    Attributes:
        idf: Smoothed inverse document frequency of each column.
        sublinear_tf: Counts replaced by 1 + log(count) before weighting.
    """

    idf: np.ndarray
    sublinear_tf: bool = True

    def transform(self, counts):
        """L2-normalised TF-IDF rows of a count matrix (columns as fitted)."""
        import scipy.sparse as sp

        x = sp.csr_matrix(counts, dtype=np.float64, copy=True)
        if self.sublinear_tf:
            np.log(x.data, x.data)
            x.data += 1.0
        x.data *= self.idf[x.indices]
        return l2_normalize(x, copy=False)


def fit_tfidf(counts, *, sublinear_tf: bool = True) -> Tfidf:
    """Inverse document frequencies of a count matrix, smoothed as ``TfidfTransformer`` smooths them."""
    import scipy.sparse as sp

    x = sp.csr_matrix(counts)
    return tfidf_from_frequencies(
        np.bincount(x.indices, minlength=x.shape[1]), n_rows=x.shape[0], sublinear_tf=sublinear_tf
    )


def tfidf_matrix(docs: Iterable[Iterable[str]], *, sublinear_tf: bool = True):
    """``TfidfVectorizer(analyzer=<the lists>, sublinear_tf=...)`` fitted and applied: ``(rows, terms)``."""
    counts, terms = count_matrix(docs)
    return fit_tfidf(counts, sublinear_tf=sublinear_tf).transform(counts), terms


def grouped_tfidf_matrix(keys, tokens, *, rows, sublinear_tf: bool = True):
    """:func:`tfidf_matrix` of the token lists of ``rows`` (see :func:`grouped_count_matrix`)."""
    counts, terms = grouped_count_matrix(keys, tokens, rows=rows)
    return fit_tfidf(counts, sublinear_tf=sublinear_tf).transform(counts), terms


def tfidf_rows(counts, *, fit=None):
    """TF-IDF rows exactly as ``TfidfVectorizer(sublinear_tf=True)`` makes them, from a count matrix.

    Args:
        counts: Sparse rows x terms counts (columns in sorted term order, as the vectorizer orders them).
        fit: Count matrix to fit the inverse document frequencies on (default: ``counts``).

    Returns:
        The L2-normalised sparse TF-IDF matrix of ``counts``' rows, and the fitted :class:`Tfidf`.
    """
    tf = fit_tfidf(counts if fit is None else fit)
    return tf.transform(counts), tf


def tfidf_from_frequencies(
    document_frequency: np.ndarray, *, n_rows: int, sublinear_tf: bool = True
) -> Tfidf:
    """:class:`Tfidf` fitted from document frequencies instead of a count matrix.

    The inverse document frequencies are computed as ``TfidfTransformer.fit`` computes them (smoothed, in
    float64, in the same order of operations), so ``transform`` gives the same values as a model fitted on
    the whole matrix, one block of rows at a time.

    Args:
        document_frequency: Rows containing each term (columns in the order of the matrices to transform).
        n_rows: Rows of the corpus the frequencies were counted over.
        sublinear_tf: Counts replaced by 1 + log(count).

    Returns:
        The fitted model.
    """
    df = np.asarray(document_frequency).astype(np.float64)
    df += 1.0  # smooth_idf: one extra row containing every term
    idf = np.full_like(df, fill_value=n_rows + 1, dtype=np.float64)
    idf /= df
    np.log(idf, out=idf)
    idf += 1.0
    return Tfidf(idf=idf, sublinear_tf=sublinear_tf)


def stack_rows(mats: list):
    """CSR matrices stacked by rows into one, each freed as soon as it is copied (``mats`` is emptied), so
    the peak is the result plus one part, not twice the result (as ``scipy.sparse.vstack``)."""
    import scipy.sparse as sp

    nnz = sum(m.nnz for m in mats)
    n_rows = sum(m.shape[0] for m in mats)
    data = np.empty(nnz, dtype=np.result_type(*(m.dtype for m in mats)))
    indices = np.empty(nnz, dtype=np.int64 if nnz > np.iinfo(np.int32).max else np.int32)
    indptr = np.zeros(n_rows + 1, dtype=indices.dtype)
    n_cols, row, at = mats[0].shape[1], 0, 0
    while mats:
        m = mats.pop(0)
        data[at : at + m.nnz] = m.data
        indices[at : at + m.nnz] = m.indices
        indptr[row + 1 : row + 1 + m.shape[0]] = m.indptr[1:] + at
        row, at = row + m.shape[0], at + m.nnz
        del m
    return sp.csr_matrix((data, indices, indptr), shape=(n_rows, n_cols))
