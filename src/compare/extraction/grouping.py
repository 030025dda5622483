"""Group target indicators across documents by the similarity of their wording (character n-gram TF-IDF,
same unit, different documents), computed on distinct wordings, block by block.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Cells of one block of the indicator similarity product in :func:`similarity_groups`.
GROUP_BLOCK_CELLS = 1_000_000


def similarity_groups(df: pd.DataFrame, *, min_similarity: float) -> tuple[list[int], list[float | None]]:
    """Union-find over targets of different documents, same unit, similarity >= threshold.

    Two targets are linked when they come from different documents, have the same unit and their indicator
    texts' character 2-3-gram TF-IDF cosine reaches ``min_similarity``; groups are the connected targets.
    The work is done on the distinct (text, unit) keys, not on every target (a national corpus repeats the
    same indicator wording thousands of times):

    - the TF-IDF is the one fitted on every target's text (document frequencies weighted by how many
      targets share a key), so each key's vector, and each similarity, is the one the targets have;
    - keys are linked when similar enough, unless both keys come from one and the same document only;
      a key used by two documents or more holds together on its own;
    - a target's best similarity is its key's best over the keys (itself included) holding a target of
      another document.

    Similarities are computed ``GROUP_BLOCK_CELLS`` cells at a time as sparse products.

    Args:
        df: Targets with ``indicator``, ``doc_id`` and ``unit``.
        min_similarity: Cosine threshold.

    Returns:
        ``(root of each row, best similarity of each row or None)``; the root of a group is its first row.
    """
    import re

    from compare.core.vectors import char_ngrams, cosine_similarity, count_matrix, tfidf_from_frequencies

    n = len(df)
    if n < 2:
        return list(range(n)), [None] * n
    texts = [re.sub(r"[^\u4e00-\u9fffA-Za-z0-9]", "", s or "") or "?" for s in df["indicator"]]
    docs = pd.factorize(df["doc_id"])[0]
    unit_of = pd.factorize(df["unit"].fillna(""))[0]
    key_of = pd.factorize(pd.Series(texts) + "\x00" + pd.Series(unit_of).astype(str))[0]  # first-seen order
    _, first = np.unique(key_of, return_index=True)  # each key's first row
    n_keys = len(first)
    key_unit = unit_of[first]
    key_doc = docs[first]  # the key's first document
    shared = np.zeros(n_keys, dtype=bool)  # the key is used by two documents or more
    shared[key_of[docs != key_doc[key_of]]] = True
    size = np.bincount(key_of, minlength=n_keys)
    counts, _terms = count_matrix(char_ngrams(texts[i], n_min=2, n_max=3) for i in first)
    frequency = np.asarray((counts > 0).T.astype(np.int64) @ size).ravel()  # targets containing each n-gram
    m = tfidf_from_frequencies(frequency, n_rows=n, sublinear_tf=False).transform(counts)

    parent = list(range(n_keys))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    self_sim = np.zeros(n_keys)
    best_shared = np.full(n_keys, -np.inf)  # best similar key used by several documents
    # best similar key of a single document, and the best of another single document
    best_doc = np.full((n_keys, 2), -1, dtype=np.int64)
    best_one = np.full((n_keys, 2), -np.inf)
    block = max(1, GROUP_BLOCK_CELLS // n_keys)
    for lo in range(0, n_keys, block):
        hi = min(n_keys, lo + block)
        sim = cosine_similarity(m[lo:hi], m, dense_output=False).tocoo()
        i = sim.row.astype(np.int64) + lo
        j = sim.col.astype(np.int64)
        v = sim.data
        diag = i == j
        self_sim[i[diag]] = v[diag]
        keep = (~diag) & (v >= min_similarity) & (key_unit[i] == key_unit[j])
        keep &= shared[i] | shared[j] | (key_doc[i] != key_doc[j])
        i, j, v = i[keep], j[keep], v[keep]
        for a, b in zip(i[i < j].tolist(), j[i < j].tolist(), strict=True):
            parent[find(a)] = find(b)
        on = shared[j]
        np.maximum.at(best_shared, i[on], v[on])
        for a, b, s in zip(i[~on].tolist(), j[~on].tolist(), v[~on].tolist(), strict=True):
            d = key_doc[b]
            if d == best_doc[a, 0]:
                best_one[a, 0] = max(best_one[a, 0], s)
            elif s > best_one[a, 0]:
                if best_doc[a, 0] >= 0:
                    best_doc[a, 1], best_one[a, 1] = best_doc[a, 0], best_one[a, 0]
                best_doc[a, 0], best_one[a, 0] = d, s
            elif d == best_doc[a, 1]:
                best_one[a, 1] = max(best_one[a, 1], s)
            elif s > best_one[a, 1]:
                best_doc[a, 1], best_one[a, 1] = d, s
    comp = np.array([find(k) for k in range(n_keys)])
    comp_size = np.bincount(comp, minlength=n_keys)
    together = (comp_size[comp] > 1) | (shared & (self_sim >= min_similarity))
    # a group's root: its first row (keys are numbered by first row, so a component's smallest key)
    comp_first = np.full(n_keys, n, dtype=np.int64)
    np.minimum.at(comp_first, comp, first)
    roots = np.where(together[key_of], comp_first[comp[key_of]], np.arange(n))
    # best similarity of each row: its key's best over keys holding a row of another document
    own = np.where(shared & (self_sim >= min_similarity), self_sim, -np.inf)
    best = np.maximum(own, best_shared)[key_of]
    other = np.where(best_doc[key_of, 0] != docs, best_one[key_of, 0], best_one[key_of, 1])
    best = np.maximum(best, other)
    return roots.tolist(), [float(b) if b > -np.inf else None for b in best]
