"""Cross-document theme tables of a large corpus, streamed from the chunk parts of a build.

:func:`compare.comparison.corpus.corpus_tables` gets every table in memory for small corpora. For large ones
:func:`compare.pipeline.build.build` gives it the chunk parts instead (``parts``: one ``{table: parquet path}`` per
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

Every table is written to a :class:`compare.core.store.TableSink` piece by piece as it is made. The driver holds
no token, sentence, tag, passage x term or document x term data of the whole corpus, and no output table:
what it keeps per document is its id, its theme profile (one float per theme) and which chunk holds it;
per term, a few integers; bounded, whatever the corpus: one chunk's tables, the exemplars (at most themes x
:data:`SUGGESTION_EXEMPLARS` count rows), two groups of normalised document vectors of at most
:data:`DOCUMENT_VECTOR_BYTES` each and their top-k candidates. The candidates of the second opinion, the
document x term counts and (beyond the budget) the document vectors wait on disk (``spill_dir``).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from compare.comparison.term_counts import CONTENT_FILTER, SUGGESTION_EXEMPLARS, Layout, TermCounts
from compare.core.memory import release_memory, system_memory_pool
from compare.core.store import ChunkParts, TableSink, read_part
from compare.core.vectors import stack_rows


def theme_corpus_tables(
    parts: Sequence[ChunkParts],
    *,
    documents: pd.DataFrame | None,
    sink: TableSink | None = None,
    top_k: int | None = None,
    min_similarity: float = 0.15,
    exemplars: int | None = SUGGESTION_EXEMPLARS,
) -> dict[str, pd.DataFrame]:
    """The cross-document tables of :func:`compare.comparison.corpus.corpus_tables`, streamed one chunk at a time.

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
    """The cross-document tables of :func:`compare.comparison.corpus.corpus_tables`, streamed one chunk at a time.

    Args:
        parts: One ``{table: parquet path}`` per chunk, in corpus order (passages, sentences, tokens and
            the themes stage's per-document tables).
        documents: The documents table (city and province, for the place names of distinctive terms).
        sink: Where the tables are written, piece by piece as they are made (the build's); None: a
            temporary one, read back into the returned tables.
        top_k: Similarity neighbours per document; default: the full matrix up to
            :data:`compare.comparison.similarity.SIMILARITY_FULL_MAX_DOCS` documents, else
            :data:`compare.comparison.similarity.SIMILARITY_TOP_K`.
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
    from compare.comparison import coverage
    from compare.tagging import instruments, strength

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
            from compare.tagging.themes import tag_passages, tag_sentences

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
        from compare.comparison.coverage import coverage_matrix

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
    neighbours are found group by group (:func:`compare.comparison.similarity.grouped_similarity_blocks`).
    """
    from compare.comparison import distinctive, similarity
    from compare.core import vectors as vectors_mod

    ids, terms = list(counts.doc_ids), list(counts.vocab)
    n_docs = len(ids) if len(ids) else len(profile.ids)
    k = (
        top_k
        if top_k is not None
        else (None if n_docs <= similarity.SIMILARITY_FULL_MAX_DOCS else similarity.SIMILARITY_TOP_K)
    )
    sink.write("similarity", None)
    sink.write("distinctive_terms", None)
    if ids:
        # content tokens of two or more characters, columns by sorted term: what both measures use (the
        # distinctive terms leave one-character terms out too)
        layout = Layout.of(terms, keep=np.flatnonzero([len(t) > 1 for t in terms]))
        frequency = layout.per_term(counts.document_frequency)
        total = layout.per_term(counts.term_totals)
        tf = vectors_mod.tfidf_from_frequencies(frequency, n_rows=len(ids)) if frequency.any() else None
        exclude = distinctive.place_names(documents)
        vectors = _VectorStore(counts.spill_dir)
        scored, start = len(ids) >= 2, 0
        for chunk in counts.document_chunks():
            dlong = layout.apply(chunk)
            chunk_ids, start = ids[start : start + dlong.shape[0]], start + dlong.shape[0]
            for frame in (
                distinctive.distinctive_term_frames(
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
                vectors.add(vectors_mod.l2_normalize(tf.transform(dlong)))
            del dlong, chunk
            release_memory()
        # document similarity
        if tf is None:  # no content token of two characters anywhere: as similarity_tokens
            blocks = similarity.similarity_blocks(
                _identity_rows(len(ids)), ids=ids, method="tfidf_tokens", top_k=k
            )
        else:
            blocks = similarity.grouped_similarity_blocks(
                vectors.groups, ids=ids, method="tfidf_tokens", top_k=k
            )
        for block in blocks:
            sink.write("similarity", block)
        del vectors
        release_memory()
    if profile.ids:
        prow = similarity.profile_rows_from_matrix(profile.matrix())
        for block in similarity.similarity_blocks(prow, ids=profile.ids, method="theme_profile", top_k=k):
            sink.write("similarity", block)


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
                self._items = [[0, stack_rows(mats), nbytes]]
            yield 0, self._items[0][1]
            return
        group: list = []
        size = 0
        for item in [*self._items, None]:
            if group and (item is None or size + item[2] > DOCUMENT_VECTOR_BYTES):
                mats = [m if not isinstance(m, Path) else sp.load_npz(m) for _, m, _ in group]
                yield group[0][0], stack_rows(mats)
                group, size = [], 0
            if item is not None:
                group.append(item)
                size += item[2]


def _only_here(rare: OnlyHereRows, parts: Sequence[ChunkParts], doc_part: dict[str, int]) -> pd.DataFrame:
    """``only_here`` rows from the bounded rows of the corpus, examples read back from the chunks of their
    documents."""
    from compare.comparison import coverage

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
