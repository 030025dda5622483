"""Cross-document theme tables of a large corpus, streamed from the chunk parts of a build.

:func:`compare.themes.corpus_tables` gets every table in memory for small corpora. For large ones
:func:`compare.build.build` gives it the chunk parts instead (``parts``: one ``{table: parquet path}`` per
chunk, in corpus order) and :func:`theme_corpus_tables` reads one chunk at a time:

- per-document aggregates (coverage counts, co-occurrence, theme x instrument, strength shares) are computed
  per chunk and combined (``emphasis`` and the ``_all`` co-occurrence rows over the whole corpus);
- content tokens are reduced per chunk to sparse passage x term counts (one integer vocabulary for the
  corpus); document x term counts are sums of passage rows. Similarity, distinctive terms and the TF-IDF
  second opinion are computed from these counts with the same formulas as the in-memory functions, so
  the values are the same (tested on the seeds);
- ``only_here`` examples are read back from the few chunks that hold those documents.

The driver holds no token, sentence or tag table of the whole corpus: its memory is the sparse counts
(about 12 bytes per distinct passage x term pair) plus the corpus output tables.
"""

from __future__ import annotations

import contextlib
import functools
import logging
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


class TagMasks(Mapping):
    """Read-only ``{passage id: set of theme codes}`` over the tagged rows of :class:`TermCounts`, stored
    as one integer bit mask per row (a dict of sets costs about 300 bytes per tagged passage)."""

    def __init__(self, passage_ids: list[str], masks: np.ndarray, codes: list[str]) -> None:
        rows = np.flatnonzero(masks)
        self._row = {passage_ids[i]: int(i) for i in rows}
        self._masks, self._codes = masks, codes

    def __getitem__(self, pid: str) -> set[str]:
        m = int(self._masks[self._row[pid]])
        return {c for b, c in enumerate(self._codes) if m >> b & 1}

    def __iter__(self):
        return iter(self._row)

    def __len__(self) -> int:
        return len(self._row)


@dataclass
class TermCounts:
    """Sparse content-token counts of the passages of a corpus, accumulated chunk by chunk.

    Attributes:
        vocab: Term -> column (first-seen order).
        passage_ids: Passage of each row (passages with at least one content token outside skipped kinds).
        doc_ids: Documents, in corpus order.
        candidates: Rows the TF-IDF second opinion scores (untagged, not general, not headings).
    """

    vocab: dict[str, int] = field(default_factory=dict)
    passage_ids: list[str] = field(default_factory=list)
    doc_ids: list[str] = field(default_factory=list)
    candidates: list[int] = field(default_factory=list)
    _passage_doc: list[np.ndarray] = field(default_factory=list)
    _masks: list[np.ndarray] = field(default_factory=list)
    _rows: list[np.ndarray] = field(default_factory=list)
    _cols: list[np.ndarray] = field(default_factory=list)
    _vals: list[np.ndarray] = field(default_factory=list)

    def add_chunk(
        self, tokens: pd.DataFrame, passages: pd.DataFrame, passage_tags: pd.DataFrame | None
    ) -> None:
        """Add one chunk: its content tokens (``doc_id, passage_id, token``), passages and passage tags."""
        from compare.themes import _passage_context, load_codebook

        cb = load_codebook()
        ctx = _passage_context(passages, cb)
        skip = set(ctx.loc[ctx["skip"], "passage_id"])
        tags = (
            passage_tags if passage_tags is not None else pd.DataFrame(columns=["passage_id", "theme_code"])
        )
        bit = {c: 1 << i for i, c in enumerate(cb.codes)}
        masks = tags.groupby("passage_id")["theme_code"].agg(lambda s: sum(bit[c] for c in set(s))).to_dict()
        toks = tokens[~tokens["passage_id"].isin(skip)]
        if toks.empty:
            return
        pcodes, puniq = pd.factorize(toks["passage_id"])
        tcodes, tuniq = pd.factorize(toks["token"])
        gid = np.fromiter((self.vocab.setdefault(t, len(self.vocab)) for t in tuniq), dtype=np.int32)
        key = pcodes.astype(np.int64) * len(tuniq) + tcodes
        ukey, counts = np.unique(key, return_counts=True)
        base = len(self.passage_ids)
        self._rows.append((ukey // len(tuniq) + base).astype(np.int32))
        self._cols.append(gid[ukey % len(tuniq)])
        self._vals.append(counts.astype(np.int32))
        doc_of = dict(zip(toks["passage_id"], toks["doc_id"], strict=False))
        docs = list(dict.fromkeys(doc_of[p] for p in puniq))
        dcode = {d: len(self.doc_ids) + i for i, d in enumerate(docs)}
        self.doc_ids.extend(docs)
        self._passage_doc.append(np.fromiter((dcode[doc_of[p]] for p in puniq), dtype=np.int32))
        self._masks.append(np.fromiter((masks.get(p, 0) for p in puniq), dtype=np.int64))
        row_of = {p: base + i for i, p in enumerate(puniq)}
        self.passage_ids.extend(puniq)
        kinds = dict(zip(passages["passage_id"], passages["kind"], strict=True))
        self.candidates.extend(
            row_of[p]
            for p in ctx.loc[~ctx["skip"] & ~ctx["general"], "passage_id"]
            if p not in masks and p in row_of and kinds.get(p) != "heading"
        )

    def tagged(self) -> TagMasks:
        """Theme codes of every tagged row (a read-only mapping)."""
        from compare.themes import load_codebook

        masks = np.concatenate(self._masks) if self._masks else np.zeros(0, dtype=np.int64)
        return TagMasks(self.passage_ids, masks, list(load_codebook().codes))

    def passage_doc_codes(self) -> np.ndarray:
        """Row of :attr:`doc_ids` of each passage row."""
        return np.concatenate(self._passage_doc) if self._passage_doc else np.zeros(0, dtype=np.int32)

    def matrices(self):
        """Passage x term and document x term counts (CSR; columns = terms in first-seen order).

        Consumes the accumulated counts (call once, after the last chunk).

        Returns:
            ``(passage counts, document counts, document ids in corpus order, terms)``.
        """
        import scipy.sparse as sp

        terms = list(self.vocab)
        rows = np.concatenate(self._rows) if self._rows else np.zeros(0, dtype=np.int32)
        cols = np.concatenate(self._cols) if self._cols else np.zeros(0, dtype=np.int32)
        vals = np.concatenate(self._vals).astype(np.float64) if self._vals else np.zeros(0)
        self._rows, self._cols, self._vals = [], [], []  # consumed: the CSR matrix replaces them
        counts = sp.csr_matrix((vals, (rows, cols)), shape=(len(self.passage_ids), len(terms)))
        del rows, cols, vals
        counts.sum_duplicates()
        counts.sort_indices()
        codes = self.passage_doc_codes()
        ind = sp.csr_matrix(
            (np.ones(len(codes)), (codes, np.arange(len(codes)))), shape=(len(self.doc_ids), len(codes))
        )
        docs = (ind @ counts).tocsr()
        docs.sum_duplicates()
        docs.sort_indices()
        return counts, docs, list(self.doc_ids), terms


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
) -> dict[str, pd.DataFrame]:
    """The cross-document tables of :func:`compare.themes.corpus_tables`, streamed one chunk at a time.

    See :func:`stream_theme_tables` (this wrapper reads with Arrow's system memory pool).
    """
    with system_memory_pool():
        return stream_theme_tables(parts, documents=documents, top_k=top_k, min_similarity=min_similarity)


def stream_theme_tables(
    parts: Sequence[ChunkParts],
    *,
    documents: pd.DataFrame | None,
    top_k: int | None = None,
    min_similarity: float = 0.15,
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

    Returns:
        ``coverage``, ``theme_cooccurrence``, ``theme_suggestions``, ``similarity``, ``distinctive_terms``,
        ``only_here`` (+ ``theme_instrument``, ``strength_shares`` when those stages ran).
    """
    from compare import coverage, instruments, strength

    cov_parts, co_parts, ti_parts, ss_parts = [], [], [], []
    counts = TermCounts()
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
        tokens = read_part(
            part.get("tokens"), "tokens", columns=["doc_id", "passage_id", "token"], filters=CONTENT_FILTER
        )
        if tokens is not None:
            counts.add_chunk(tokens, passages, pt)
        del passages, sentences, st, pt, it, sg, tokens
        release_memory()
    cov = coverage.combine_coverage(cov_parts)
    ti = _concat_or_empty(ti_parts, "theme_instrument") if has_it else None
    out: dict[str, pd.DataFrame] = {
        "coverage": cov,
        "theme_cooccurrence": coverage.combine_cooccurrence(co_parts),
    }
    out.update(_token_tables(counts, cov, documents=documents, top_k=top_k, min_similarity=min_similarity))
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


def _token_tables(
    counts: TermCounts,
    cov: pd.DataFrame,
    *,
    documents: pd.DataFrame | None,
    top_k: int | None,
    min_similarity: float,
) -> dict[str, pd.DataFrame]:
    """Similarity (tokens and theme profiles), distinctive terms and TF-IDF suggestions from the counts."""
    from compare import coverage
    from compare.themes import THEME_SUGGESTIONS, suggestions_from_vectors

    pcounts, dcounts, ids, first_seen = counts.matrices()
    n_docs = len(ids) if len(ids) else len(cov["doc_id"].unique()) if len(cov) else 0
    k = (
        top_k
        if top_k is not None
        else (None if n_docs <= coverage.SIMILARITY_FULL_MAX_DOCS else coverage.SIMILARITY_TOP_K)
    )
    # theme_suggestions: passage TF-IDF fitted on every passage with content tokens
    suggestions = THEME_SUGGESTIONS.empty()
    if pcounts.shape[0] >= 2:
        pmat, terms = vectorizer_layout(pcounts, first_seen)
        del pcounts
        tfidf, _ = coverage.tfidf_rows(pmat)
        del pmat
        pid_index = {p: i for i, p in enumerate(counts.passage_ids)}
        doc_codes = counts.passage_doc_codes()
        suggestions = suggestions_from_vectors(
            tfidf,
            vocab=np.asarray(terms, dtype=object),
            pid_index=pid_index,
            candidates=[counts.passage_ids[i] for i in counts.candidates],
            tagged=counts.tagged(),
            doc_of={counts.passage_ids[i]: ids[doc_codes[i]] for i in counts.candidates},
            min_similarity=min_similarity,
        )
        del tfidf, pid_index
        release_memory()
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
        sims.append(coverage.similarity_long_from_blocks(rows, ids=ids, method="tfidf_tokens", top_k=k))
    if len(cov):
        prow, pids = coverage.profile_rows(cov)
        sims.append(coverage.similarity_long_from_blocks(prow, ids=pids, method="theme_profile", top_k=k))
    sims = [s for s in sims if len(s)]
    similarity = (
        pd.concat(sims, ignore_index=True) if sims else coverage._empty(coverage.SIMILARITY, "no documents")
    )
    dsorted, terms = vectorizer_layout(dcounts, first_seen)
    dsorted.sort_indices()
    distinctive = coverage.distinctive_terms_from_counts(
        dsorted, terms=terms, ids=ids, exclude=coverage.place_names(documents)
    )
    return {"theme_suggestions": suggestions, "similarity": similarity, "distinctive_terms": distinctive}


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
