"""Content-token counts of a large corpus, accumulated one chunk at a time (:class:`TermCounts`): passage
frequencies for the second opinion's IDF, document x term counts for similarity and distinctive terms, and
the exemplars each theme's suggestions are compared with.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

LOG = logging.getLogger(__name__)

#: Row filter of the content tokens (the same exclusions every token-based corpus function makes).
CONTENT_FILTER = [("is_stopword", "=", False), ("is_number", "=", False)]


#: Tagged passages per theme that the streamed TF-IDF second opinion compares candidates with.
SUGGESTION_EXEMPLARS = 500


#: Candidates scored per call of the scorer in the streamed second opinion (bounds its memory and per-call
#: overhead; the result does not depend on it).
SUGGESTION_BATCH_ROWS = 2000


@dataclass
class TermCounts:
    """Content-token counts of a corpus, accumulated one chunk at a time.

    Per chunk the passage x term counts are made, used and dropped:

    - their passage document frequencies (one integer per term) and row count are added up, for the
      passage IDF of the TF-IDF second opinion;
    - their sums per document (document x term counts: similarity and distinctive terms) are written to
      ``spill_dir`` (kept in memory when it is None), read back by :meth:`document_chunks`; what is kept
      is the number of documents containing each term and each term's total count (one integer per term
      each);
    - the exemplars of each theme (:meth:`exemplar_table`) keep their count rows;
    - the untagged candidates' count rows are written to ``spill_dir`` (kept in memory when it is None) and
      scored in :meth:`suggestions`, once the IDF and the exemplars are final.

    Attributes:
        vocab: Term -> column (first-seen order).
        doc_ids: Documents, in corpus order.
        n_passages: Passages with at least one content token outside skipped kinds (rows of the IDF).
        n_candidates: Passages the TF-IDF second opinion scores (untagged, not general, not headings).
        exemplars: At most this many exemplars per theme (None: every tagged passage).
        spill_dir: Folder for the candidates' count rows and the document x term counts.
        capped: Themes with more distinct tagged passages than ``exemplars``: their suggestions are an
            approximation of comparing with all of them.
    """

    exemplars: int | None = SUGGESTION_EXEMPLARS
    spill_dir: Path | None = None
    vocab: dict[str, int] = field(default_factory=dict)
    doc_ids: list[str] = field(default_factory=list)
    n_passages: int = 0
    n_candidates: int = 0
    capped: set[str] = field(default_factory=set)
    _df: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    _doc_df: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    _doc_total: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    _doc_counts: list = field(default_factory=list)
    _pool: pd.DataFrame | None = None
    _pool_rows: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    _spilled: list = field(default_factory=list)

    def add_chunk(
        self, tokens: pd.DataFrame, passages: pd.DataFrame, passage_tags: pd.DataFrame | None
    ) -> None:
        """Add one chunk: its content tokens (``doc_id, passage_id, token``), passages and passage tags."""
        import scipy.sparse as sp

        from compare.tagging.codebook import load_codebook
        from compare.tagging.context import passage_context

        ctx = passage_context(passages, load_codebook())
        skip = set(ctx.loc[ctx["skip"], "passage_id"])
        toks = tokens[~tokens["passage_id"].isin(skip)]
        if toks.empty:
            return
        pcodes, puniq = pd.factorize(toks["passage_id"])
        tcodes, tuniq = pd.factorize(toks["token"])
        gid = np.fromiter(
            (self.vocab.setdefault(t, len(self.vocab)) for t in tuniq), dtype=np.int32, count=len(tuniq)
        )
        key = pcodes.astype(np.int64) * len(tuniq) + tcodes
        ukey, counts = np.unique(key, return_counts=True)
        # the chunk's passage x term counts; entries of a row in first-seen term order, as the vectorizer
        mat = sp.csr_matrix(
            (counts.astype(np.float64), (ukey // len(tuniq), gid[ukey % len(tuniq)])),
            shape=(len(puniq), len(self.vocab)),
        )
        del key, ukey, counts, pcodes, tcodes
        mat.sum_duplicates()
        mat.sort_indices()
        self._df = np.pad(self._df, (0, len(self.vocab) - len(self._df)))
        self._df += np.bincount(mat.indices, minlength=len(self.vocab))
        self.n_passages += len(puniq)
        # document x term counts: sums of the passage rows
        doc_of = dict(zip(toks["passage_id"], toks["doc_id"], strict=False))
        docs = list(dict.fromkeys(doc_of[p] for p in puniq))
        dcode = {d: i for i, d in enumerate(docs)}
        codes = np.fromiter((dcode[doc_of[p]] for p in puniq), dtype=np.int64, count=len(puniq))
        ind = sp.csr_matrix(
            (np.ones(len(codes)), (codes, np.arange(len(codes)))), shape=(len(docs), len(codes))
        )
        dmat = (ind @ mat).tocsr()
        dmat.sum_duplicates()
        dmat.sort_indices()
        self._add_documents(dmat, docs)
        row_of = {p: i for i, p in enumerate(puniq)}
        tags = (
            passage_tags if passage_tags is not None else pd.DataFrame(columns=["passage_id", "theme_code"])
        )
        tagged = set(tags["passage_id"])
        kinds = dict(zip(passages["passage_id"], passages["kind"], strict=True))
        cands = [
            p
            for p in ctx.loc[~ctx["skip"] & ~ctx["general"], "passage_id"]
            if p not in tagged and p in row_of and kinds.get(p) != "heading"
        ]
        self._spill(mat[[row_of[p] for p in cands]], cands, [doc_of[p] for p in cands])
        self._add_exemplars(tags[tags["passage_id"].isin(row_of)], mat, row_of)

    def _add_documents(self, dmat, docs: list[str]) -> None:
        """Keep the chunk's document x term counts (in ``spill_dir`` if set) and add up their per-term figures."""
        n_terms = len(self.vocab)
        self._doc_df = np.pad(self._doc_df, (0, n_terms - len(self._doc_df)))
        self._doc_df += np.bincount(dmat.indices, minlength=n_terms)
        self._doc_total = np.pad(self._doc_total, (0, n_terms - len(self._doc_total)))
        self._doc_total += np.bincount(dmat.indices, weights=dmat.data, minlength=n_terms).astype(np.int64)
        self.doc_ids.extend(docs)
        item = {
            "indptr": dmat.indptr.astype(np.int64),
            "indices": dmat.indices.astype(np.int32),
            "data": dmat.data.astype(np.int32),
        }
        if self.spill_dir is None:
            self._doc_counts.append(item)
            return
        path = Path(self.spill_dir) / f"documents-{len(self._doc_counts):06d}.npz"
        np.savez(path, **item)
        self._doc_counts.append(path)

    @property
    def document_frequency(self) -> np.ndarray:
        """Documents containing each term (by first-seen column)."""
        return self._doc_df

    @property
    def term_totals(self) -> np.ndarray:
        """Each term's count over the corpus (by first-seen column)."""
        return self._doc_total

    def document_chunks(self) -> Iterator[object]:
        """The document x term counts, one chunk at a time, in corpus order (CSR, float64; columns = terms in
        first-seen order of the whole corpus, indices sorted)."""
        import scipy.sparse as sp

        n_terms = len(self.vocab)
        for item in self._doc_counts:
            with np.load(item) if isinstance(item, Path) else contextlib.nullcontext(item) as chunk:
                indptr = chunk["indptr"]
                yield sp.csr_matrix(
                    (chunk["data"].astype(np.float64), chunk["indices"], indptr),
                    shape=(len(indptr) - 1, n_terms),
                )

    def _spill(self, rows, pids: list[str], docs: list[str]) -> None:
        """Keep the candidates' count rows (in ``spill_dir`` if set) for :meth:`suggestions`."""
        if not pids:
            return
        item = {
            "indptr": rows.indptr.astype(np.int64),
            "indices": rows.indices.astype(np.int32),
            "data": rows.data.astype(np.int32),
            "pids": np.asarray(pids, dtype=str),
            "docs": np.asarray(docs, dtype=str),
        }
        self.n_candidates += len(pids)
        if self.spill_dir is None:
            self._spilled.append(item)
            return
        path = Path(self.spill_dir) / f"candidates-{len(self._spilled):06d}.npz"
        np.savez(path, **item)
        self._spilled.append(path)

    def _add_exemplars(self, tags: pd.DataFrame, mat, row_of: Mapping[str, int]) -> None:
        """Merge the chunk's tagged passages into the exemplars of each theme (see :meth:`exemplar_table`)."""
        if tags.empty:
            return
        rows = {p: row_of[p] for p in dict.fromkeys(tags["passage_id"])}
        content = {p: _row_key(mat, r) for p, r in rows.items()}
        new = pd.DataFrame(
            {
                "theme_code": tags["theme_code"].to_numpy(dtype=object),
                "passage_id": tags["passage_id"].to_numpy(dtype=object),
                "score": tags["score"].to_numpy(dtype=np.float64),
                "content": [content[p] for p in tags["passage_id"]],
            }
        )
        pool = new if self._pool is None else pd.concat([self._pool, new], ignore_index=True)
        pool = select_exemplars(pool, cap=None)
        if self.exemplars is not None:
            sizes = pool.groupby("theme_code").size()
            self.capped.update(sizes.index[sizes > self.exemplars])
            pool = pool.groupby("theme_code", sort=False).head(self.exemplars).reset_index(drop=True)
        self._pool = pool
        keep = set(self._pool["passage_id"])
        for p in keep - self._pool_rows.keys():
            lo, hi = mat.indptr[rows[p]], mat.indptr[rows[p] + 1]
            self._pool_rows[p] = (mat.indices[lo:hi].astype(np.int32), mat.data[lo:hi].astype(np.int32))
        for p in self._pool_rows.keys() - keep:
            del self._pool_rows[p]

    def exemplar_table(self) -> pd.DataFrame:
        """The exemplars: ``theme_code, passage_id, score`` (see :func:`select_exemplars`)."""
        if self._pool is None:
            return pd.DataFrame(columns=["theme_code", "passage_id", "score"])
        return self._pool[["theme_code", "passage_id", "score"]].reset_index(drop=True)

    def suggestions(self, *, min_similarity: float = 0.15) -> pd.DataFrame:
        """The ``theme_suggestions`` table: candidates scored against the exemplars of each theme.

        The passage TF-IDF is the one ``TfidfVectorizer(sublinear_tf=True)`` fits on every passage of the
        corpus (IDF from the summed document frequencies, rows laid out as the vectorizer lays them out),
        so when every tagged passage is an exemplar the table equals :func:`compare.comparison.suggestions.tfidf_suggestions`.
        """
        from compare.comparison.suggestions import THEME_SUGGESTIONS

        frames = [f for f in self.suggestion_batches(min_similarity=min_similarity) if len(f)]
        if not frames:
            return THEME_SUGGESTIONS.empty()
        return pd.concat(frames, ignore_index=True)

    def suggestion_batches(self, *, min_similarity: float = 0.15) -> Iterator[pd.DataFrame]:
        """The rows of :meth:`suggestions`, one batch of candidates at a time, in corpus order (for writing
        them out as they are scored)."""
        import scipy.sparse as sp

        from compare.comparison.suggestions import suggestions_from_vectors
        from compare.core.vectors import tfidf_from_frequencies

        if self.n_passages < 2 or not self.n_candidates or self._pool is None:
            return
        if self.capped:
            LOG.info(
                "theme_suggestions: %d themes have more than %d distinct tagged passages; their candidates "
                "are compared with the %d best-scored (%s)",
                len(self.capped),
                self.exemplars,
                self.exemplars,
                ", ".join(sorted(self.capped)),
            )
        first_seen = list(self.vocab)
        order = sorted(range(len(first_seen)), key=first_seen.__getitem__)
        rank = np.empty(len(order), dtype=np.int32)
        rank[order] = np.arange(len(order), dtype=np.int32)
        vocab = np.asarray([first_seen[i] for i in order], dtype=object)
        tf = tfidf_from_frequencies(self._df[order], n_rows=self.n_passages)

        def vectors(indptr, indices, data):
            # relabelled to sorted-term columns, entries kept in first-seen order (see Layout)
            counts = sp.csr_matrix(
                (data.astype(np.float64), rank[indices], indptr), shape=(len(indptr) - 1, len(rank))
            )
            counts.has_sorted_indices = False
            return tf.transform(counts)

        ex_ids = sorted(self._pool_rows)
        ex_rows = [self._pool_rows[p] for p in ex_ids]
        ex_indptr = np.concatenate([[0], np.cumsum([len(i) for i, _ in ex_rows])])
        ex_vec = vectors(
            ex_indptr, np.concatenate([i for i, _ in ex_rows]), np.concatenate([d for _, d in ex_rows])
        )
        tagged: dict[str, set[str]] = {}
        for code, pid in zip(self._pool["theme_code"], self._pool["passage_id"], strict=True):
            tagged.setdefault(pid, set()).add(code)

        def score(batch: list) -> pd.DataFrame:
            pids = [p for _, ids, _ in batch for p in ids]
            mat = sp.vstack([vec for vec, _, _ in batch] + [ex_vec], format="csr")
            pid_index = {p: i for i, p in enumerate(pids)}
            pid_index.update((p, len(pids) + j) for j, p in enumerate(ex_ids))
            out = suggestions_from_vectors(
                mat,
                vocab=vocab,
                pid_index=pid_index,
                candidates=pids,
                tagged=tagged,
                doc_of={p: d for _, ids, docs in batch for p, d in zip(ids, docs, strict=True)},
                min_similarity=min_similarity,
            )
            out["exemplars_capped"] = out["theme_code"].isin(self.capped)
            return out

        # candidates are read back one chunk at a time and scored SUGGESTION_BATCH_ROWS at a time
        batch, n_batch = [], 0
        for item in self._spilled:
            with np.load(item) if isinstance(item, Path) else contextlib.nullcontext(item) as chunk:
                batch.append(
                    (
                        vectors(chunk["indptr"], chunk["indices"], chunk["data"]),
                        chunk["pids"].tolist(),
                        chunk["docs"].tolist(),
                    )
                )
            n_batch += len(batch[-1][1])
            if n_batch >= SUGGESTION_BATCH_ROWS:
                yield score(batch)  # candidates come in corpus order, and the scorer keeps it
                batch, n_batch = [], 0
        if batch:
            yield score(batch)


def _row_key(mat, row: int) -> bytes:
    """Identity of a count row (its terms and counts): identical passages have the same key."""
    lo, hi = mat.indptr[row], mat.indptr[row + 1]
    digest = hashlib.blake2b(mat.indices[lo:hi].astype(np.int32).tobytes(), digest_size=16)
    digest.update(mat.data[lo:hi].astype(np.int32).tobytes())
    return digest.digest()


def select_exemplars(tags: pd.DataFrame, *, cap: int | None) -> pd.DataFrame:
    """The reference passages of each theme for the streamed TF-IDF second opinion.

    Passages with the same content tokens (same ``content`` key) are one exemplar, ranked by its best
    member (highest tag score, then smallest passage id) and named by its smallest passage id: a duplicate
    has the same similarity to every candidate, and the exact method names the smallest id on a tie. Each
    theme keeps its ``cap`` best-ranked exemplars. The ranking does not depend on how the rows are split
    into chunks (merging the kept rows with the next chunk's gives the same selection); the name of an
    exemplar can, when a twin seen earlier was dropped with its exemplar. When a theme has at most ``cap``
    distinct tagged passages nothing is dropped, and its suggestions are those of comparing with all of
    them.

    Args:
        tags: ``theme_code, passage_id, score, content`` (one row per tagged passage x theme), and
            optionally ``best`` (the best member's id; missing: ``passage_id``), as this function returns.
        cap: Exemplars per theme (None: no limit).

    Returns:
        ``theme_code, passage_id, score, best, content``, by theme, score (descending) and best member.
    """
    best_of = tags["best"].fillna(tags["passage_id"]) if "best" in tags else tags["passage_id"]
    rows = tags.assign(best=best_of).sort_values(
        ["theme_code", "score", "best"], ascending=[True, False, True], kind="stable"
    )
    groups = rows.groupby(["theme_code", "content"], sort=False)
    out = groups.agg(score=("score", "first"), best=("best", "first"), passage_id=("passage_id", "min"))
    out = out.reset_index().sort_values(
        ["theme_code", "score", "best"], ascending=[True, False, True], kind="stable"
    )
    if cap is not None:
        out = out.groupby("theme_code", sort=False).head(cap)
    return out[["theme_code", "passage_id", "score", "best", "content"]].reset_index(drop=True)


@dataclass(frozen=True)
class Layout:
    """Counts laid out as scikit-learn's ``CountVectorizer`` lays them out, for bit-identical TF-IDF values.

    The vectorizer numbers columns by sorted term but keeps each row's entries in the order the terms were
    first seen in the corpus; sums of floats depend on that order. Counts with first-seen columns and
    sorted indices, relabelled to sorted-term columns without re-sorting, have that layout. A layout (which
    first-seen columns are kept, and where each goes) is computed once and applied to every chunk.

    Attributes:
        keep: First-seen columns kept (ascending).
        rank: Sorted position of each kept column.
        terms: The kept terms, sorted (the columns after :meth:`apply`).
    """

    keep: np.ndarray
    rank: np.ndarray
    terms: list[str]

    @classmethod
    def of(cls, terms: list[str], *, keep: np.ndarray | None = None) -> Layout:
        """The layout of first-seen ``terms`` keeping the columns ``keep`` (default: all)."""
        keep = np.arange(len(terms)) if keep is None else np.asarray(keep, dtype=np.int64)
        kept = [terms[i] for i in keep]
        order = sorted(range(len(kept)), key=kept.__getitem__)
        rank = np.empty(len(kept), dtype=np.int64)
        rank[order] = np.arange(len(kept))
        return cls(keep, rank, [kept[i] for i in order])

    def apply(self, counts):
        """``counts`` (first-seen columns, sorted indices) relabelled to this layout."""
        full = len(self.keep) == counts.shape[1] and np.array_equal(self.keep, np.arange(counts.shape[1]))
        sub = counts.copy() if full else counts[:, self.keep].tocsr()
        sub.sort_indices()
        sub.indices = self.rank[sub.indices].astype(sub.indices.dtype)
        sub.has_sorted_indices = False
        return sub

    def per_term(self, values: np.ndarray) -> np.ndarray:
        """A per-term array indexed by first-seen column, in this layout's column order."""
        out = np.empty(len(self.keep), dtype=np.asarray(values).dtype)
        out[self.rank] = np.asarray(values)[self.keep]
        return out
