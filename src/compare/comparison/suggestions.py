"""The TF-IDF second opinion on themes: passages the lexicon left untagged but that sit close to a theme's
tagged passages are suggested that theme, in their own table (``theme_suggestions``), never merged into the
tags.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from compare.core.schemas import C as _C
from compare.core.schemas import TableSchema, register
from compare.tagging.codebook import Codebook, load_codebook
from compare.tagging.context import passage_context

THEME_SUGGESTIONS = register(
    TableSchema(
        "theme_suggestions",
        (
            _C("doc_id", "str", "document id"),
            _C("passage_id", "str", "passage id"),
            _C("theme_code", "str", "codebook theme code"),
            _C("theme_label", "str", "Chinese theme label"),
            _C(
                "similarity",
                "float",
                "cosine similarity of the passage to the theme's tagged passages",
                min=0,
            ),
            _C("nearest_passage_id", "str", "most similar tagged passage of the theme"),
            _C("evidence", "str", "top shared tokens"),
            _C(
                "exemplars_capped",
                "bool",
                "large corpora: the theme had more distinct tagged passages than the exemplar cap, so the "
                "passage was compared with the best-scored ones only (the nearest may be missed)",
            ),
        ),
        unique=("passage_id", "theme_code"),
        doc="TF-IDF second opinion: untagged passages close to a theme (not merged into the tags).",
    )
)


# --------------------------------------------------------------------------------------------------
# TF-IDF second opinion
# --------------------------------------------------------------------------------------------------
def tfidf_suggestions(
    passage_tags: pd.DataFrame,
    *,
    tokens: pd.DataFrame,
    passages: pd.DataFrame,
    min_similarity: float = 0.15,
    codebook: Codebook | None = None,
) -> pd.DataFrame:
    """Suggest themes for passages with no lexicon tag that are close to a theme's tagged passages.

    A TF-IDF model is fitted on the passages' content tokens (stopwords and numbers excluded). Each theme
    is represented by its tagged passages; an untagged passage is suggested the theme of its most similar
    tagged passage when the cosine similarity reaches ``min_similarity``.

    Args:
        passage_tags: Output of :func:`tag_passages`.
        tokens: The ``tokens`` table.
        passages: The ``passages`` table (responsibility lines and general sections are not suggested).
        min_similarity: Cosine threshold.
        codebook: Codebook to use (default: packaged).

    Returns:
        The ``theme_suggestions`` table (separate from the tags).
    """
    from compare.core.vectors import grouped_tfidf_matrix

    cb = codebook or load_codebook()
    if (
        tokens is None
        or tokens.empty
        or passages is None
        or passages.empty
        or passage_tags is None
        or passage_tags.empty
    ):
        return THEME_SUGGESTIONS.empty()
    content = tokens[~tokens["is_stopword"].astype(bool) & ~tokens["is_number"].astype(bool)]
    keys = content["passage_id"].to_numpy(dtype=object)
    rows = list(dict.fromkeys(keys))  # the passages with a content token, in first-seen order
    if len(rows) < 2:
        return THEME_SUGGESTIONS.empty()
    mat, terms = grouped_tfidf_matrix(
        keys, content["token"].to_numpy(dtype=object), rows=rows, sublinear_tf=True
    )
    vocab = np.array(terms, dtype=object)
    pid_index = {p: i for i, p in enumerate(rows)}
    tagged = passage_tags.groupby("passage_id")["theme_code"].apply(set).to_dict()
    ctx = passage_context(passages, cb)
    candidates = [
        p for p in ctx.loc[~ctx["skip"] & ~ctx["general"], "passage_id"] if p not in tagged and p in pid_index
    ]
    kinds = dict(
        zip(passages["passage_id"], passages.get("kind", pd.Series("", index=passages.index)), strict=True)
    )
    candidates = [p for p in candidates if kinds.get(p) != "heading"]
    tagged_ids = [p for p in tagged if p in pid_index]
    if not candidates or not tagged_ids:
        return THEME_SUGGESTIONS.empty()
    doc_of = dict(zip(passages["passage_id"], passages["doc_id"], strict=True))
    return suggestions_from_vectors(
        mat,
        vocab=vocab,
        pid_index=pid_index,
        candidates=candidates,
        tagged={p: tagged[p] for p in tagged_ids},
        doc_of=doc_of,
        min_similarity=min_similarity,
        codebook=cb,
    )


def _shared_terms(mat, i: int, j: int) -> tuple[np.ndarray, np.ndarray]:
    """Columns (ascending) and products of the terms rows ``i`` and ``j`` of a CSR matrix share with a
    positive product (the element-wise product of two rows, without building sparse matrices for it)."""
    a = slice(mat.indptr[i], mat.indptr[i + 1])
    b = slice(mat.indptr[j], mat.indptr[j + 1])
    cols, ia, ib = np.intersect1d(mat.indices[a], mat.indices[b], assume_unique=True, return_indices=True)
    vals = mat.data[a][ia] * mat.data[b][ib]
    keep = vals > 0
    return cols[keep], vals[keep]


#: Cells of one block of candidate x tagged similarities (bounds the memory of the TF-IDF second opinion).
SUGGESTION_BLOCK_CELLS = 1_000_000


def suggestions_from_vectors(
    mat,
    *,
    vocab: np.ndarray,
    pid_index: Mapping[str, int],
    candidates: list[str],
    tagged: Mapping[str, set[str]],
    doc_of: Mapping[str, str],
    min_similarity: float = 0.15,
    codebook: Codebook | None = None,
) -> pd.DataFrame:
    """The ``theme_suggestions`` rows from fitted TF-IDF passage vectors (the core of :func:`tfidf_suggestions`).

    Each candidate gets, per theme, its most similar tagged passage of that theme (ties: the smallest
    passage id) when the cosine similarity reaches ``min_similarity``. Candidates are scored in blocks of at
    most :data:`SUGGESTION_BLOCK_CELLS` similarities, so memory does not grow with candidates x tagged.

    Args:
        mat: L2-normalised sparse TF-IDF rows of the passages.
        vocab: Term of each column.
        pid_index: Row of each passage id in ``mat``.
        candidates: Untagged passages to score (in output order before the final sort).
        tagged: Theme codes of each tagged passage that has a row in ``mat``.
        doc_of: Document of each passage.
        min_similarity: Cosine threshold.
        codebook: Codebook (labels).

    Returns:
        The ``theme_suggestions`` table, sorted by document (in the order of ``candidates``), passage,
        similarity (descending) and theme.
    """
    cb = codebook or load_codebook()
    tagged_ids = sorted(tagged)
    if not candidates or not tagged_ids:
        return THEME_SUGGESTIONS.empty()
    tmat = mat[[pid_index[p] for p in tagged_ids]]
    # the tagged passages of each theme (columns of the similarity block), in passage-id order
    by_code: dict[str, list[int]] = {}
    for j, tid in enumerate(tagged_ids):
        for code in tagged[tid]:
            by_code.setdefault(code, []).append(j)
    theme_cols = {code: np.asarray(cols, dtype=np.int64) for code, cols in sorted(by_code.items())}
    block = max(1, SUGGESTION_BLOCK_CELLS // len(tagged_ids))
    rows = []
    for lo in range(0, len(candidates), block):
        cands = candidates[lo : lo + block]
        sims = (mat[[pid_index[p] for p in cands]] @ tmat.T).toarray()
        for code, cols in theme_cols.items():
            # per candidate the most similar tagged passage of the theme; ties: the first in passage-id order
            sub = sims[:, cols]
            best = np.argmax(sub, axis=1)
            top = sub[np.arange(len(cands)), best]
            for i in np.flatnonzero(top >= min_similarity):
                pid, tid = cands[i], tagged_ids[cols[best[i]]]
                tcols, vals = _shared_terms(mat, pid_index[pid], pid_index[tid])
                terms = vocab[tcols[np.argsort(-vals, kind="stable")[:5]]]
                rows.append(
                    (
                        doc_of.get(pid, ""),
                        pid,
                        code,
                        cb.themes[code].label,
                        round(float(top[i]), 4),
                        tid,
                        "、".join(terms),
                    )
                )
    if not rows:
        return THEME_SUGGESTIONS.empty()
    out = pd.DataFrame(rows, columns=THEME_SUGGESTIONS.names[:-1]).assign(exemplars_capped=False)
    # deterministic order: identical inputs give identical files; documents in corpus order (the order of
    # the candidates), so a large corpus's suggestions can be written one batch at a time
    docs = {d: i for i, d in enumerate(dict.fromkeys(doc_of.get(p, "") for p in candidates))}
    out = out.assign(_doc=out["doc_id"].map(docs)).sort_values(
        ["_doc", "passage_id", "similarity", "theme_code"], ascending=[True, True, False, True], kind="stable"
    )
    return out.drop(columns="_doc").reset_index(drop=True)
