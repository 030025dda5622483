"""Cross-document theme tables of a large corpus, streamed from the chunk parts of a build.

:func:`compare.themes.corpus_tables` gets every table in memory for small corpora. For large ones
:func:`compare.build.build` gives it the chunk parts instead (``parts``: one ``{table: parquet path}`` per
chunk, in corpus order) and :func:`theme_corpus_tables` reads one chunk at a time:

- per-document aggregates (coverage counts, co-occurrence, theme x instrument, strength shares) are computed
  per chunk and combined (``emphasis`` and the ``_all`` co-occurrence rows over the whole corpus);
- content tokens are reduced per chunk to sparse passage x term counts (one integer vocabulary for the
  corpus), which are used and dropped (:class:`TermCounts`): their sums per document wait on disk
  (document x term counts: similarity and distinctive terms, with the same formulas and values as the
  in-memory functions, computed one chunk at a time from per-term totals), and their per-term passage
  frequencies are added up (the IDF of the TF-IDF second opinion);
- the TF-IDF second opinion compares the untagged candidates with at most :data:`SUGGESTION_EXEMPLARS`
  exemplars per theme (:func:`select_exemplars`), so its time is linear in the corpus; when no theme has
  more distinct tagged passages than that, the table equals the in-memory one (tested on the seeds);
- ``only_here`` examples are read back from the few chunks that hold those documents.

Every table is written to a :class:`compare.store.TableSink` piece by piece as it is made. The driver holds
no token, sentence, tag, passage x term or document x term data of the whole corpus, and no output table:
what it keeps per document is its id, its theme profile (one float per theme) and which chunk holds it;
per term, a few integers; bounded, whatever the corpus: one chunk's tables, the exemplars (at most themes x
:data:`SUGGESTION_EXEMPLARS` count rows), two groups of normalised document vectors of at most
:data:`DOCUMENT_VECTOR_BYTES` each and their top-k candidates. The candidates of the second opinion, the
document x term counts and (beyond the budget) the document vectors wait on disk (``spill_dir``).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from compare.store import TableSink, as_built_dtypes

LOG = logging.getLogger(__name__)

#: One chunk of a build: ``{table name: Parquet part}``.
ChunkParts = Mapping[str, Path]
#: Row filter of the content tokens (the same exclusions every token-based corpus function makes).
CONTENT_FILTER = [("is_stopword", "=", False), ("is_number", "=", False)]


def read_part(
    path: Path | None, name: str, *, columns: list[str] | None = None, filters: list | None = None
) -> pd.DataFrame | None:
    """One Parquet part with the dtypes the pipeline makes (strings as Python objects, nulls None).

    Args:
        path: The part (None: the table was not built).
        name: Table name (its registered schema gives the string columns).
        columns: Columns to read (default: all).
        filters: Parquet row filters.
    """
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    if path is None:
        return None
    wanted = columns
    if filters and columns is not None:
        columns = list(dict.fromkeys([*columns, *(f[0] for f in filters)]))
    # ParquetFile, not the dataset reader behind read_table(filters=…): that one keeps its pages
    table = pq.ParquetFile(path).read(columns=columns, use_threads=False)
    for col, op, value in filters or ():
        if op != "=":
            raise ValueError(f"unsupported filter {op!r}")
        table = table.filter(pc.equal(table[col], value))
    if wanted is not None:
        table = table.select(wanted)
    return as_built_dtypes(table.to_pandas(use_threads=False), name)


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

        from compare.themes import _passage_context, load_codebook

        ctx = _passage_context(passages, load_codebook())
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
        so when every tagged passage is an exemplar the table equals :func:`compare.themes.tfidf_suggestions`.
        """
        from compare.themes import THEME_SUGGESTIONS

        frames = [f for f in self.suggestion_batches(min_similarity=min_similarity) if len(f)]
        if not frames:
            return THEME_SUGGESTIONS.empty()
        return pd.concat(frames, ignore_index=True)

    def suggestion_batches(self, *, min_similarity: float = 0.15) -> Iterator[pd.DataFrame]:
        """The rows of :meth:`suggestions`, one batch of candidates at a time, in corpus order (for writing
        them out as they are scored)."""
        import scipy.sparse as sp

        from compare.coverage import tfidf_from_frequencies
        from compare.themes import suggestions_from_vectors

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


@functools.lru_cache(maxsize=1)
def _libc():
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc if hasattr(libc, "malloc_trim") else None
    except OSError:
        return None


def release_memory() -> None:
    """Give freed heap pages back to the operating system (glibc ``malloc_trim``; a no-op elsewhere).

    Reading a chunk's parts allocates and frees many buffers; without this glibc keeps the freed pages and
    the driver's resident memory grows with the number of chunks read, although nothing is kept.
    """
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)


@contextlib.contextmanager
def system_memory_pool():
    """Let Arrow allocate with the system allocator inside the block.

    Arrow's default pool (mimalloc) keeps the pages of every part read: streaming 300 documents' parts left
    the process about 100 MB larger, growing with the corpus. With the system allocator they are returned.
    """
    import pyarrow as pa

    previous = pa.default_memory_pool()
    pa.set_memory_pool(pa.system_memory_pool())
    try:
        yield
    finally:
        pa.set_memory_pool(previous)


def theme_corpus_tables(
    parts: Sequence[ChunkParts],
    *,
    documents: pd.DataFrame | None,
    sink: TableSink | None = None,
    top_k: int | None = None,
    min_similarity: float = 0.15,
    exemplars: int | None = SUGGESTION_EXEMPLARS,
) -> dict[str, pd.DataFrame]:
    """The cross-document tables of :func:`compare.themes.corpus_tables`, streamed one chunk at a time.

    See :func:`stream_theme_tables` (this wrapper reads with Arrow's system memory pool and spills the
    candidates of the TF-IDF second opinion to a temporary folder).
    """
    with system_memory_pool(), tempfile.TemporaryDirectory(prefix="policy-compare-suggest-") as spill:
        return stream_theme_tables(
            parts,
            documents=documents,
            sink=sink,
            top_k=top_k,
            min_similarity=min_similarity,
            exemplars=exemplars,
            spill_dir=Path(spill),
        )


def stream_theme_tables(
    parts: Sequence[ChunkParts],
    *,
    documents: pd.DataFrame | None,
    sink: TableSink | None = None,
    top_k: int | None = None,
    min_similarity: float = 0.15,
    exemplars: int | None = SUGGESTION_EXEMPLARS,
    spill_dir: Path | None = None,
) -> dict[str, pd.DataFrame]:
    """The cross-document tables of :func:`compare.themes.corpus_tables`, streamed one chunk at a time.

    Args:
        parts: One ``{table: parquet path}`` per chunk, in corpus order (passages, sentences, tokens and
            the themes stage's per-document tables).
        documents: The documents table (city and province, for the place names of distinctive terms).
        sink: Where the tables are written, piece by piece as they are made (the build's); None: a
            temporary one, read back into the returned tables.
        top_k: Similarity neighbours per document; default: the full matrix up to
            :data:`compare.coverage.SIMILARITY_FULL_MAX_DOCS` documents, else
            :data:`compare.coverage.SIMILARITY_TOP_K`.
        min_similarity: Threshold of the TF-IDF second opinion.
        exemplars: Tagged passages per theme the TF-IDF second opinion compares candidates with (see
            :func:`select_exemplars`; None: all of them, which is quadratic in the corpus).
        spill_dir: Where the candidates' count rows wait for the second opinion (None: in memory).

    Returns:
        With a sink: nothing (``{}``), the tables are in the sink. Without: ``coverage``,
        ``theme_cooccurrence``, ``theme_suggestions``, ``similarity``, ``distinctive_terms``, ``only_here``
        (+ ``theme_instrument``, ``strength_shares`` when those stages ran). Documents are in corpus order
        in every table.
    """
    if sink is None:
        options = {
            "top_k": top_k,
            "min_similarity": min_similarity,
            "exemplars": exemplars,
            "spill_dir": spill_dir,
        }
        return TableSink.collect(
            lambda own: stream_theme_tables(parts, documents=documents, sink=own, **options)
        )
    from compare import coverage, instruments, strength

    counts = TermCounts(exemplars=exemplars, spill_dir=spill_dir)
    profile = _Profiles()
    rare = OnlyHereRows()
    co_total: pd.Series | None = None
    doc_part: dict[str, int] = {}
    has_it = any("instrument_tags" in p for p in parts)
    has_sg = any("strength" in p for p in parts)
    sg_rows = sum(_num_rows(p["strength"]) for p in parts if "strength" in p)
    for name in ("coverage", "theme_cooccurrence"):
        sink.write(name, None)
    for index, part in enumerate(parts):
        passages = read_part(part.get("passages"), "passages")
        sentences = read_part(
            part.get("sentences"), "sentences", columns=["doc_id", "passage_id", "sentence_id", "text"]
        )
        st = read_part(part.get("theme_tags_sentence"), "theme_tags_sentence")
        pt = read_part(part.get("theme_tags_passage"), "theme_tags_passage")
        it = read_part(part.get("instrument_tags"), "instrument_tags")
        sg = read_part(part.get("strength"), "strength")
        if sentences is None or passages is None:
            continue
        for doc in dict.fromkeys(sentences["doc_id"]):
            doc_part[doc] = index
        if st is None:  # the stage's per-document tables are missing: tag here, as corpus_tables does
            from compare.themes import tag_passages, tag_sentences

            st = tag_sentences(sentences, passages=passages)
            pt = tag_passages(st, sentences=sentences, passages=passages)
        taggable = sg
        if sg_rows and (sg is None or sg.empty):  # no taggable sentence in this chunk (not: "use them all")
            taggable = pd.DataFrame({"sentence_id": [None]})
        cov = coverage.coverage_table(st, passage_tags=pt, sentences=sentences, taggable=taggable)
        sink.write("coverage", cov)  # emphasis is corrected over the whole corpus at the end
        profile.add(cov)
        co = coverage.cooccurrence(pt)
        if len(co):
            is_all = co["doc_id"] == "_all"
            sink.write("theme_cooccurrence", co[~is_all])
            total = co[is_all].set_index(["theme_a", "theme_b"])["n_passages"]
            co_total = total if co_total is None else co_total.add(total, fill_value=0)
        ti = instruments.theme_instrument_matrix(st, it) if it is not None else None
        if has_it:
            sink.write("theme_instrument", ti)
        rare.add(cov, ti)
        if has_sg:
            sink.write(
                "strength_shares", strength.strength_shares(sg, sentence_tags=st) if sg is not None else None
            )
        del sentences, st, it, sg, taggable, cov, co, ti
        tokens = read_part(
            part.get("tokens"), "tokens", columns=["doc_id", "passage_id", "token"], filters=CONTENT_FILTER
        )
        if tokens is not None:
            counts.add_chunk(tokens, passages, pt)
        del passages, pt, tokens
        release_memory()
    # emphasis: share of the document over the mean share of all documents, per theme
    mean = profile.mean()
    sink.rewrite("coverage", lambda cov: coverage.with_emphasis(cov, mean=mean))
    if co_total is not None:  # the _all rows: every document's passages, summed
        total = co_total.astype(int).rename("n_passages").sort_index().reset_index().assign(doc_id="_all")
        sink.write("theme_cooccurrence", total)
    for batch in counts.suggestion_batches(min_similarity=min_similarity):
        sink.write("theme_suggestions", batch)
    sink.write("theme_suggestions", None)
    release_memory()
    _document_tables(counts, profile, documents=documents, top_k=top_k, sink=sink)
    del counts
    release_memory()
    sink.write("only_here", _only_here(rare, parts, doc_part))
    return {}


@dataclass
class _Profiles:
    """Each document's theme profile (``share_sentences`` per codebook theme), collected chunk by chunk:
    the documents x themes matrix behind theme-profile similarity and ``emphasis``."""

    ids: list[str] = field(default_factory=list)
    rows: list[np.ndarray] = field(default_factory=list)
    codes: list[str] | None = None

    def add(self, cov: pd.DataFrame) -> None:
        from compare.coverage import coverage_matrix

        if cov is None or cov.empty:
            return
        wide = coverage_matrix(cov, labels=False).fillna(0.0)
        if self.codes is None:
            self.codes = list(wide.columns)
        self.ids.extend(wide.index)
        self.rows.append(wide.reindex(columns=self.codes).to_numpy(dtype=float))

    def matrix(self) -> np.ndarray:
        return np.vstack(self.rows) if self.rows else np.zeros((0, 0))

    def mean(self) -> pd.Series:
        """Mean share per theme over every document, computed as ``coverage_table`` computes it."""
        x = self.matrix()
        if not len(x):
            return pd.Series(dtype=float)
        long = pd.DataFrame({"theme_code": np.tile(self.codes, len(x)), "share": x.ravel()})
        return long.groupby("theme_code", sort=False)["share"].mean()


@dataclass
class OnlyHereRows:
    """What ``only_here`` needs of the coverage and theme x instrument tables, kept bounded chunk by chunk.

    ``coverage.only_here`` looks at the documents covering each theme (and each theme x instrument cell):
    whether there is exactly one, and the first one's row. Keeping, per theme and per cell, the rows of the
    first two documents (plus one row of each of the first two documents, so the corpus still counts as
    several documents) gives it the same answer with at most (themes + cells) x 2 rows in memory.
    """

    cov: pd.DataFrame | None = None
    ti: pd.DataFrame | None = None

    def add(self, cov: pd.DataFrame, ti: pd.DataFrame | None) -> None:
        if cov is None or cov.empty:
            return
        cov = pd.concat([c for c in (self.cov, cov) if c is not None], ignore_index=True)
        docs = list(dict.fromkeys(cov["doc_id"]))[:2]
        present = cov[cov["present"]].groupby("theme_code", sort=False).head(2).index
        first_docs = cov[cov["doc_id"].isin(docs)].groupby("doc_id", sort=False).head(1).index
        if ti is not None:
            ti = pd.concat([t for t in (self.ti, ti) if t is not None], ignore_index=True)
            self.ti = ti.groupby(["theme_code", "instrument_code"], sort=False).head(2).reset_index(drop=True)
            kept = set(self.ti["doc_id"])  # only_here reads the cells of the documents it knows
            with_ti = cov[cov["doc_id"].isin(kept)].groupby("doc_id", sort=False).head(1).index
        else:
            with_ti = cov.index[:0]
        keep = present.union(first_docs).union(with_ti).sort_values()
        self.cov = cov.loc[keep].reset_index(drop=True)


def _num_rows(path: Path) -> int:
    import pyarrow.parquet as pq

    return pq.read_metadata(path).num_rows


def _document_tables(
    counts: TermCounts,
    profile: _Profiles,
    *,
    documents: pd.DataFrame | None,
    top_k: int | None,
    sink: TableSink,
) -> None:
    """Similarity (tokens and theme profiles) and distinctive terms from the document x term counts, one
    chunk of documents at a time, written to the sink as they are made.

    Distinctive terms need each document's counts and the corpus's total per term; the TF-IDF rows need the
    corpus's document frequency per term; both totals were added up chunk by chunk. The normalised TF-IDF
    rows are kept in memory up to :data:`DOCUMENT_VECTOR_BYTES`, beyond that on disk, and the top-k
    neighbours are found group by group (:func:`compare.coverage.grouped_similarity_blocks`).
    """
    from sklearn.preprocessing import normalize

    from compare import coverage

    ids, terms = list(counts.doc_ids), list(counts.vocab)
    n_docs = len(ids) if len(ids) else len(profile.ids)
    k = (
        top_k
        if top_k is not None
        else (None if n_docs <= coverage.SIMILARITY_FULL_MAX_DOCS else coverage.SIMILARITY_TOP_K)
    )
    sink.write("similarity", None)
    sink.write("distinctive_terms", None)
    if ids:
        # content tokens of two or more characters, columns by sorted term: what both measures use (the
        # distinctive terms leave one-character terms out too)
        layout = Layout.of(terms, keep=np.flatnonzero([len(t) > 1 for t in terms]))
        frequency = layout.per_term(counts.document_frequency)
        total = layout.per_term(counts.term_totals)
        tf = coverage.tfidf_from_frequencies(frequency, n_rows=len(ids)) if frequency.any() else None
        exclude = coverage.place_names(documents)
        vectors = _VectorStore(counts.spill_dir)
        scored, start = len(ids) >= 2, 0
        for chunk in counts.document_chunks():
            dlong = layout.apply(chunk)
            chunk_ids, start = ids[start : start + dlong.shape[0]], start + dlong.shape[0]
            for frame in (
                coverage.distinctive_term_frames(
                    dlong, terms=layout.terms, ids=chunk_ids, exclude=exclude, total=total
                )
                if scored
                else ()
            ):
                if frame.attrs.get("message"):  # no term left in the whole corpus
                    scored = False
                    break
                sink.write("distinctive_terms", frame)
            if tf is not None:
                vectors.add(normalize(tf.transform(dlong)))
            del dlong, chunk
            release_memory()
        # document similarity
        if tf is None:  # no content token of two characters anywhere: as similarity_tokens
            blocks = coverage.similarity_blocks(
                _identity_rows(len(ids)), ids=ids, method="tfidf_tokens", top_k=k
            )
        else:
            blocks = coverage.grouped_similarity_blocks(
                vectors.groups, ids=ids, method="tfidf_tokens", top_k=k
            )
        for block in blocks:
            sink.write("similarity", block)
        del vectors
        release_memory()
    if profile.ids:
        prow = coverage.profile_rows_from_matrix(profile.matrix())
        for block in coverage.similarity_blocks(prow, ids=profile.ids, method="theme_profile", top_k=k):
            sink.write("similarity", block)


def _stack_rows(mats: list):
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


def _identity_rows(n: int):
    def rows(lo: int, hi: int) -> np.ndarray:
        out = np.zeros((hi - lo, n))
        out[np.arange(hi - lo), np.arange(lo, hi)] = 1.0
        return out

    return rows


#: Bytes of normalised document TF-IDF rows that document similarity keeps in memory; beyond that they wait
#: in the spill folder and are read back in groups of at most this size (two groups at a time).
DOCUMENT_VECTOR_BYTES = 64 * 2**20


@dataclass
class _VectorStore:
    """Sparse rows added chunk by chunk, given back as consecutive groups of at most
    :data:`DOCUMENT_VECTOR_BYTES` each: one group in memory while they fit, else groups read from disk."""

    spill_dir: Path | None
    _items: list = field(default_factory=list)  # [first row, matrix or Path, bytes]
    _in_memory: int = 0
    n_rows: int = 0

    def add(self, mat) -> None:
        import scipy.sparse as sp

        nbytes = mat.data.nbytes + mat.indices.nbytes + mat.indptr.nbytes
        self._items.append([self.n_rows, mat, nbytes])
        self.n_rows += mat.shape[0]
        self._in_memory += nbytes
        if self._in_memory > DOCUMENT_VECTOR_BYTES and self.spill_dir is not None:
            for i, item in enumerate(self._items):
                if not isinstance(item[1], Path):
                    path = Path(self.spill_dir) / f"vectors-{i:06d}.npz"
                    sp.save_npz(path, item[1], compressed=False)
                    item[1] = path
            self._in_memory = 0

    def groups(self) -> Iterator[tuple[int, object]]:
        import scipy.sparse as sp

        if not self._items:
            return
        if all(not isinstance(item[1], Path) for item in self._items):
            if len(self._items) > 1:  # stacked once, kept as one group
                nbytes = sum(item[2] for item in self._items)
                mats = [item[1] for item in self._items]
                self._items = []  # the stack holds the only references: each part is freed once copied
                self._items = [[0, _stack_rows(mats), nbytes]]
            yield 0, self._items[0][1]
            return
        group: list = []
        size = 0
        for item in [*self._items, None]:
            if group and (item is None or size + item[2] > DOCUMENT_VECTOR_BYTES):
                mats = [m if not isinstance(m, Path) else sp.load_npz(m) for _, m, _ in group]
                yield group[0][0], _stack_rows(mats)
                group, size = [], 0
            if item is not None:
                group.append(item)
                size += item[2]


def _only_here(rare: OnlyHereRows, parts: Sequence[ChunkParts], doc_part: dict[str, int]) -> pd.DataFrame:
    """``only_here`` rows from the bounded rows of the corpus, examples read back from the chunks of their
    documents."""
    from compare import coverage

    if rare.cov is None:
        return coverage.only_here(coverage.COVERAGE.empty())
    rows = coverage.only_here(rare.cov, theme_instrument=rare.ti)
    if rows.empty:
        return rows
    for index in sorted({doc_part[d] for d in rows["doc_id"] if d in doc_part}):
        part = parts[index]
        rows = coverage.only_here_examples(
            rows,
            sentence_tags=read_part(part.get("theme_tags_sentence"), "theme_tags_sentence"),
            sentences=read_part(part.get("sentences"), "sentences", columns=["sentence_id", "text"]),
            instrument_tags=read_part(part.get("instrument_tags"), "instrument_tags"),
        )
    return rows


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

    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.metrics.pairwise import cosine_similarity

    from compare.coverage import tfidf_from_frequencies

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
    counts = CountVectorizer(analyzer="char", ngram_range=(2, 3), min_df=1, dtype=np.float64).fit_transform(
        [texts[i] for i in first]
    )
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
