"""The corpus step of the ``themes`` stage: coverage, co-occurrence, theme x instrument, strength shares,
similarity, distinctive terms, "only here" and the TF-IDF second opinion, from every table in memory (small
corpora) or streamed from the chunk parts (:mod:`compare.comparison.streaming`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from compare.comparison.suggestions import tfidf_suggestions
from compare.tagging.codebook import load_codebook
from compare.tagging.context import passage_context
from compare.tagging.themes import tag_passages, tag_sentences

if TYPE_CHECKING:
    from compare.core.store import TableSink


# --------------------------------------------------------------------------------------------------
# Stage hooks
# --------------------------------------------------------------------------------------------------
def corpus_tables(
    tables: dict[str, pd.DataFrame],
    *,
    parts: Sequence[Mapping[str, Path]] | None = None,
    sink: TableSink | None = None,
) -> dict[str, pd.DataFrame]:
    """Cross-document stage: coverage, co-occurrence, theme x instrument, strength shares, similarity,
    distinctive terms and the TF-IDF second opinion.

    Args:
        tables: Every table built so far for the whole corpus (with ``parts``: at least ``documents``).
        parts: Large corpora: one ``{table: Parquet part}`` per chunk, in corpus order, read one chunk at
            a time instead of ``tables`` (see :mod:`compare.comparison.streaming`; same values, similarity as
            top-k neighbours above :data:`compare.comparison.similarity.SIMILARITY_FULL_MAX_DOCS` documents).
        sink: With ``parts``: write the tables into this :class:`compare.core.store.TableSink`, piece by piece,
            instead of returning them (the driver then never holds a corpus-sized table).

    Returns:
        Named tables (see :mod:`compare.comparison.coverage`).
    """
    from compare.comparison import coverage, distinctive, similarity
    from compare.tagging import instruments, strength

    if parts is not None:
        from compare.comparison.streaming import theme_corpus_tables

        return theme_corpus_tables(parts, documents=tables.get("documents"), sink=sink)
    sentences = tables.get("sentences")
    passages = tables.get("passages")
    tokens = tables.get("tokens")
    documents = tables.get("documents")
    st = tables.get("theme_tags_sentence")
    pt = tables.get("theme_tags_passage")
    it = tables.get("instrument_tags")
    sg = tables.get("strength")
    if st is None:
        st = tag_sentences(sentences, passages=passages)
    if pt is None:
        pt = tag_passages(st, sentences=sentences, passages=passages)
    if tokens is not None and passages is not None and len(tokens):
        ctx = passage_context(passages, load_codebook())
        # the columns the corpus steps read (not the offsets or the source hash of every token)
        tokens = tokens[["doc_id", "passage_id", "token", "is_stopword", "is_number"]]
        tokens = tokens[~tokens["passage_id"].isin(set(ctx.loc[ctx["skip"], "passage_id"]))]
    content = similarity.content_tokens(tokens) if tokens is not None and len(tokens) else None
    cov = coverage.coverage_table(st, passage_tags=pt, sentences=sentences, documents=documents, taggable=sg)
    ti = instruments.theme_instrument_matrix(st, it) if it is not None else None
    out = {
        "coverage": cov,
        "theme_cooccurrence": coverage.cooccurrence(pt),
        "theme_suggestions": tfidf_suggestions(pt, tokens=tokens, passages=passages),
        "similarity": similarity.similarity_long(tokens=tokens, coverage=cov, content=content),
        "distinctive_terms": distinctive.distinctive_terms(
            tokens, exclude=distinctive.place_names(documents), content=content
        ),
        "only_here": coverage.only_here(
            cov, sentence_tags=st, sentences=sentences, theme_instrument=ti, instrument_tags=it
        ),
    }
    if ti is not None:
        out["theme_instrument"] = ti
    if sg is not None:
        out["strength_shares"] = strength.strength_shares(sg, sentence_tags=st)
    return out
