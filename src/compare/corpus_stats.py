"""Cross-document theme tables of a large corpus, streamed from the chunk parts of a build.

:func:`compare.themes.corpus_tables` gets every table in memory for small corpora. For large ones
:func:`compare.build.build` gives it the chunk parts instead (``parts``: one ``{table: parquet path}`` per
chunk, in corpus order) and :func:`theme_corpus_tables` reads one chunk at a time:

- per-document aggregates (coverage counts, co-occurrence, theme x instrument, strength shares) are computed
  per chunk and combined (``emphasis`` and the ``_all`` co-occurrence rows over the whole corpus);
- content tokens are reduced per chunk to sparse passage x term counts (one integer vocabulary for the
  corpus), which are used and dropped (:class:`TermCounts`): their sums per document are kept (document x
  term counts: similarity and distinctive terms, with the same formulas and values as the in-memory
  functions), and so are their per-term passage frequencies (the IDF of the TF-IDF second opinion);
- the TF-IDF second opinion compares the untagged candidates with at most :data:`SUGGESTION_EXEMPLARS`
  exemplars per theme (:func:`select_exemplars`), so its time is linear in the corpus; when no theme has
  more distinct tagged passages than that, the table equals the in-memory one (tested on the seeds);
- ``only_here`` examples are read back from the few chunks that hold those documents.

The driver holds no token, sentence, tag or passage x term data of the whole corpus: what grows with the
corpus is the document x term counts (about 12 bytes per distinct document x term pair) and the corpus
output tables. The candidates of the second opinion wait on disk (``spill_dir``), one file per chunk.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from compare.schemas import SCHEMAS
from compare.store import as_built_dtypes

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
    """Content-token counts of a corpus, accumulated one chunk at a time (memory bounded by the documents).

    Per chunk the passage x term counts are made, used and dropped:

    - their passage document frequencies (one integer per term) and row count are added up, for the
      passage IDF of the TF-IDF second opinion;
    - their sums per document are kept (document x term counts: similarity and distinctive terms);
    - the exemplars of each theme (:meth:`exemplar_table`) keep their count rows;
    - the untagged candidates' count rows are written to ``spill_dir`` (kept in memory when it is None) and
      scored in :meth:`suggestions`, once the IDF and the exemplars are final.

    Attributes:
        vocab: Term -> column (first-seen order).
        doc_ids: Documents, in corpus order.
        n_passages: Passages with at least one content token outside skipped kinds (rows of the IDF).
        n_candidates: Passages the TF-IDF second opinion scores (untagged, not general, not headings).
        exemplars: At most this many exemplars per theme (None: every tagged passage).
        spill_dir: Folder for the candidates' count rows.
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
        self._doc_counts.append((dmat.indptr, dmat.indices.astype(np.int32), dmat.data.astype(np.int32)))
        self.doc_ids.extend(docs)
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

    def document_counts(self):
        """Document x term counts (CSR, float64; columns = terms in first-seen order, indices sorted).

        Consumes the per-chunk counts (call once, after the last chunk): the matrix replaces them.

        Returns:
            ``(counts, document ids in corpus order, terms in first-seen order)``.
        """
        import scipy.sparse as sp

        terms = list(self.vocab)
        chunks, self._doc_counts = self._doc_counts, []
        mats = []
        while chunks:
            p, i, d = chunks.pop(0)
            mats.append(sp.csr_matrix((d.astype(np.float64), i, p), shape=(len(p) - 1, len(terms))))
        counts = sp.vstack(mats, format="csr") if mats else sp.csr_matrix((0, len(terms)))
        del mats
        counts.sort_indices()
        return counts, list(self.doc_ids), terms

    def suggestions(self, *, min_similarity: float = 0.15) -> pd.DataFrame:
        """The ``theme_suggestions`` table: candidates scored against the exemplars of each theme.

        The passage TF-IDF is the one ``TfidfVectorizer(sublinear_tf=True)`` fits on every passage of the
        corpus (IDF from the summed document frequencies, rows laid out as the vectorizer lays them out),
        so when every tagged passage is an exemplar the table equals :func:`compare.themes.tfidf_suggestions`.
        """
        import scipy.sparse as sp

        from compare.coverage import tfidf_from_frequencies
        from compare.themes import THEME_SUGGESTIONS, suggestions_from_vectors

        if self.n_passages < 2 or not self.n_candidates or self._pool is None:
            return THEME_SUGGESTIONS.empty()
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
            # relabelled to sorted-term columns, entries kept in first-seen order (see vectorizer_layout)
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
            return suggestions_from_vectors(
                mat,
                vocab=vocab,
                pid_index=pid_index,
                candidates=pids,
                tagged=tagged,
                doc_of={p: d for _, ids, docs in batch for p, d in zip(ids, docs, strict=True)},
                min_similarity=min_similarity,
            )

        # candidates are read back one chunk at a time and scored SUGGESTION_BATCH_ROWS at a time
        frames, batch, n_batch = [], [], 0
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
                frames.append(score(batch))
                batch, n_batch = [], 0
        if batch:
            frames.append(score(batch))
        frames = [f for f in frames if len(f)]
        if not frames:
            return THEME_SUGGESTIONS.empty()
        out = pd.concat(frames, ignore_index=True).sort_values(
            ["passage_id", "similarity", "theme_code"], ascending=[True, False, True], kind="stable"
        )
        return out.reset_index(drop=True)


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


def vectorizer_layout(counts, terms: list[str], *, keep: np.ndarray | None = None):
    """Counts laid out as scikit-learn's ``CountVectorizer`` lays them out, for bit-identical TF-IDF values.

    The vectorizer numbers columns by sorted term but keeps each row's entries in the order the terms were
    first seen in the corpus; sums of floats depend on that order. ``counts`` has first-seen columns with
    sorted indices, so relabelling the columns (without re-sorting) gives the same layout.

    Args:
        counts: CSR counts, columns = ``terms`` in first-seen order, indices sorted.
        terms: Column terms (first-seen order).
        keep: First-seen columns to keep (ascending; default all).

    Returns:
        The relabelled matrix and its columns' terms (sorted).
    """
    keep = np.arange(len(terms)) if keep is None else np.asarray(keep, dtype=np.int64)
    sub = counts[:, keep].tocsr() if len(keep) != len(terms) else counts.copy()
    sub.sort_indices()
    kept = [terms[i] for i in keep]
    order = sorted(range(len(kept)), key=kept.__getitem__)
    rank = np.empty(len(kept), dtype=sub.indices.dtype)
    rank[order] = np.arange(len(kept), dtype=sub.indices.dtype)
    sub.indices = rank[sub.indices]
    sub.has_sorted_indices = False
    return sub, [kept[i] for i in order]


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
            top_k=top_k,
            min_similarity=min_similarity,
            exemplars=exemplars,
            spill_dir=Path(spill),
        )


def stream_theme_tables(
    parts: Sequence[ChunkParts],
    *,
    documents: pd.DataFrame | None,
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
        top_k: Similarity neighbours per document; default: the full matrix up to
            :data:`compare.coverage.SIMILARITY_FULL_MAX_DOCS` documents, else
            :data:`compare.coverage.SIMILARITY_TOP_K`.
        min_similarity: Threshold of the TF-IDF second opinion.
        exemplars: Tagged passages per theme the TF-IDF second opinion compares candidates with (see
            :func:`select_exemplars`; None: all of them, which is quadratic in the corpus).
        spill_dir: Where the candidates' count rows wait for the second opinion (None: in memory).

    Returns:
        ``coverage``, ``theme_cooccurrence``, ``theme_suggestions``, ``similarity``, ``distinctive_terms``,
        ``only_here`` (+ ``theme_instrument``, ``strength_shares`` when those stages ran).
    """
    from compare import coverage, instruments, strength

    cov_parts, co_parts, ti_parts, ss_parts = [], [], [], []
    counts = TermCounts(exemplars=exemplars, spill_dir=spill_dir)
    doc_part: dict[str, int] = {}
    has_it = any("instrument_tags" in p for p in parts)
    has_sg = any("strength" in p for p in parts)
    sg_rows = sum(_num_rows(p["strength"]) for p in parts if "strength" in p)
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
        cov_parts.append(coverage.coverage_table(st, passage_tags=pt, sentences=sentences, taggable=taggable))
        co_parts.append(coverage.cooccurrence(pt))
        if it is not None:
            ti_parts.append(instruments.theme_instrument_matrix(st, it))
        if sg is not None:
            ss_parts.append(strength.strength_shares(sg, sentence_tags=st))
        del sentences, st, it, sg, taggable
        tokens = read_part(
            part.get("tokens"), "tokens", columns=["doc_id", "passage_id", "token"], filters=CONTENT_FILTER
        )
        if tokens is not None:
            counts.add_chunk(tokens, passages, pt)
        del passages, pt, tokens
        release_memory()
    cov = coverage.combine_coverage(cov_parts)
    del cov_parts
    out: dict[str, pd.DataFrame] = {
        "coverage": cov,
        "theme_cooccurrence": coverage.combine_cooccurrence(co_parts),
    }
    del co_parts
    out["theme_suggestions"] = counts.suggestions(min_similarity=min_similarity)
    release_memory()
    out.update(_document_tables(counts, cov, documents=documents, top_k=top_k))
    del counts
    release_memory()
    ti = _concat_or_empty(ti_parts, "theme_instrument") if has_it else None
    del ti_parts
    out["only_here"] = _only_here(cov, ti, parts, doc_part)
    if ti is not None:
        out["theme_instrument"] = ti
    if has_sg:
        ss = _concat_or_empty(ss_parts, "strength_shares")
        out["strength_shares"] = ss.sort_values("doc_id", kind="stable").reset_index(drop=True)
    return out


def _num_rows(path: Path) -> int:
    import pyarrow.parquet as pq

    return pq.read_metadata(path).num_rows


def _concat_or_empty(frames: list[pd.DataFrame], name: str) -> pd.DataFrame:
    frames = [f for f in frames if f is not None and len(f)]
    if not frames:
        return SCHEMAS[name].empty()
    return pd.concat(frames, ignore_index=True)


def _document_tables(
    counts: TermCounts, cov: pd.DataFrame, *, documents: pd.DataFrame | None, top_k: int | None
) -> dict[str, pd.DataFrame]:
    """Similarity (tokens and theme profiles) and distinctive terms from the document x term counts."""
    from compare import coverage

    dcounts, ids, first_seen = counts.document_counts()
    n_docs = len(ids) if len(ids) else len(cov["doc_id"].unique()) if len(cov) else 0
    k = (
        top_k
        if top_k is not None
        else (None if n_docs <= coverage.SIMILARITY_FULL_MAX_DOCS else coverage.SIMILARITY_TOP_K)
    )
    # document similarity over content tokens of two or more characters
    sims = []
    if ids:
        dlong, _ = vectorizer_layout(
            dcounts, first_seen, keep=np.flatnonzero([len(t) > 1 for t in first_seen])
        )
        if dlong.nnz == 0:
            rows = lambda lo, hi: np.eye(len(ids))[lo:hi]  # noqa: E731  (as similarity_tokens)
        else:
            vec, _ = coverage.tfidf_rows(dlong)
            rows = coverage.cosine_rows(vec)
        del dlong
        sims.append(coverage.similarity_long_from_blocks(rows, ids=ids, method="tfidf_tokens", top_k=k))
        del rows
    if len(cov):
        prow, pids = coverage.profile_rows(cov)
        sims.append(coverage.similarity_long_from_blocks(prow, ids=pids, method="theme_profile", top_k=k))
    sims = [s for s in sims if len(s)]
    similarity = (
        pd.concat(sims, ignore_index=True) if sims else coverage._empty(coverage.SIMILARITY, "no documents")
    )
    del sims
    dsorted, terms = vectorizer_layout(dcounts, first_seen)
    del dcounts
    dsorted.sort_indices()
    distinctive = coverage.distinctive_terms_from_counts(
        dsorted, terms=terms, ids=ids, exclude=coverage.place_names(documents)
    )
    return {"similarity": similarity, "distinctive_terms": distinctive}


def _only_here(
    cov: pd.DataFrame, ti: pd.DataFrame | None, parts: Sequence[ChunkParts], doc_part: dict[str, int]
) -> pd.DataFrame:
    """``only_here`` rows from the combined tables, examples read back from the chunks of their documents."""
    from compare import coverage

    rows = coverage.only_here(cov, theme_instrument=ti)
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
    """Union-find over targets of different documents, same unit, similarity >= threshold; blockwise.

    The same result as ``compare.align._similarity_groups`` (same character 2-3-gram TF-IDF cosine, same
    union order, so the same roots and group numbers), without its documents² dense matrix and documents²
    Python loop: similarities are computed ``GROUP_BLOCK_CELLS`` cells at a time as sparse products, and
    only the qualifying pairs are visited, in the same (i, j) order.

    Args:
        df: Targets with ``indicator``, ``doc_id`` and ``unit``.
        min_similarity: Cosine threshold.

    Returns:
        ``(root of each row, best similarity of each row or None)``.
    """
    import re

    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics.pairwise import cosine_similarity

    n = len(df)
    parent = list(range(n))
    best: list[float | None] = [None] * n
    if n < 2:
        return parent, best
    texts = [re.sub(r"[^\u4e00-\u9fffA-Za-z0-9]", "", s or "") or "?" for s in df["indicator"]]
    m = TfidfVectorizer(analyzer="char", ngram_range=(2, 3), min_df=1).fit_transform(texts)
    docs = pd.factorize(df["doc_id"])[0]
    units = pd.factorize(df["unit"].fillna(""))[0]
    block = max(1, GROUP_BLOCK_CELLS // n)

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    # each block's qualifying pairs are united at once, in (i, j) order, and dropped: memory is one block
    top = np.zeros(n)
    touched = np.zeros(n, dtype=bool)
    for lo in range(0, n, block):
        hi = min(n, lo + block)
        sim = cosine_similarity(m[lo:hi], m, dense_output=False).tocoo()
        i = sim.row.astype(np.int64) + lo
        j = sim.col.astype(np.int64)
        s = sim.data
        keep = (j > i) & (s >= min_similarity) & (docs[i] != docs[j]) & (units[i] == units[j])
        i, j, s = i[keep], j[keep], s[keep]
        order = np.lexsort((j, i))
        i, j, s = i[order], j[order], s[order]
        for a, b in zip(i.tolist(), j.tolist(), strict=True):
            parent[find(a)] = find(b)
        np.maximum.at(top, i, s)
        np.maximum.at(top, j, s)
        touched[i] = True
        touched[j] = True
    best = [float(top[k]) if touched[k] else None for k in range(n)]
    return [find(k) for k in range(n)], best
