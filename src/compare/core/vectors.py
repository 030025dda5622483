"""Sparse-vector helpers shared by the comparisons and the indicator grouping: TF-IDF from counts or from
per-term frequencies, and stacking CSR rows without a second copy.
"""

from __future__ import annotations

import numpy as np


def tfidf_rows(counts, *, fit=None):
    """TF-IDF rows exactly as ``TfidfVectorizer(sublinear_tf=True)`` makes them, from a count matrix.

    Args:
        counts: Sparse rows x terms counts (columns in sorted term order, as the vectorizer orders them).
        fit: Count matrix to fit the inverse document frequencies on (default: ``counts``).

    Returns:
        The L2-normalised sparse TF-IDF matrix of ``counts``' rows, and the fitted transformer.
    """
    from sklearn.feature_extraction.text import TfidfTransformer

    tf = TfidfTransformer(sublinear_tf=True).fit(counts if fit is None else fit)
    return tf.transform(counts), tf


def tfidf_from_frequencies(document_frequency: np.ndarray, *, n_rows: int, sublinear_tf: bool = True):
    """``TfidfTransformer(sublinear_tf=True)`` fitted from document frequencies instead of a count matrix.

    The inverse document frequencies are computed as ``fit`` computes them (smoothed, in float64, in the
    same order of operations), so ``transform`` gives the same values as a transformer fitted on the whole
    matrix, one block of rows at a time.

    Args:
        document_frequency: Rows containing each term (columns in the order of the matrices to transform).
        n_rows: Rows of the corpus the frequencies were counted over.

    Returns:
        The fitted transformer.
    """
    from sklearn.feature_extraction.text import TfidfTransformer

    df = np.asarray(document_frequency).astype(np.float64)
    df += 1.0  # smooth_idf: one extra row containing every term
    idf = np.full_like(df, fill_value=n_rows + 1, dtype=np.float64)
    idf /= df
    np.log(idf, out=idf)
    idf += 1.0
    tf = TfidfTransformer(sublinear_tf=sublinear_tf)
    tf.idf_ = idf
    tf.n_features_in_ = len(idf)
    return tf


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
