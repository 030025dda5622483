"""Theme tagging with the education-policy codebook (``resources/themes.yaml``).

Sentences are matched against each theme's lexicon on the cleaned simplified text (longest term wins, a
term inside a longer matched term or blocker is ignored), with the codebook's coding rules: passing
mentions and slogans carry no theme, bare enumerations count half, school-level names (and a level's own
terms that modify a cross-cutting measure) are only a setting when the sentence is about a cross-cutting
theme, subject reform pilots keep their subject, overlapping hits of one theme count once, only quantified
sentences of an overall-goal paragraph and specific results of a review section count, declared co-tags and
(conditional, clause-scoped) absorptions. Codebook v3 adds: a level gets its own project when named with a
supply term (rule 4), a construction verb with a school building as object is school_supply without a count,
a level's own structure words (专业, 招生, 办学水平 ...) count for the level named with them (rule 3), a degree
as staff qualification is not higher education, and a platform that is only used is not digital (rule 10).
Codebook v4 adds: a level's own mission (rule 3: universities acting on their research, transfer, disciplines,
talent training or social service are higher education besides the function's theme), enumerations that name
a programme's components are not bare lists (rule 1), a project phase between a school building and its verb,
and a level named right before the building it builds is its own project (rule 4).
Codebook v5 adds: collocations in one clause (``phrases``: "纳入…考核", "配备…教师"), other senses of a term
(``senses``: "通过…督导评估" is passed, "编制…规划" is drafted, "加大…投入" is vague), the vocational schools' own
mission, goals stated as complete, shortcomings in review sections, review subsections of a general section, counts
before a field of education, and a level named with its own structure in a clause of its own.
Every tag carries its evidence (matched terms with weights, or the rule that fired) and a score. Passages get
the union of their sentences' tags (plus themes that only accumulate over several sentences) and a primary
theme.

A TF-IDF model over passage tokens is a separate second opinion: it suggests themes for passages that
the lexicon left untagged but that sit close to a theme's tagged passages; it is reported in its own
table (``theme_suggestions``), never merged into the tags.

Stage hooks for :mod:`compare.pipeline.build`: :func:`document_tables` and :func:`corpus_tables`.
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
        tokens = tokens[~tokens["passage_id"].isin(set(ctx.loc[ctx["skip"], "passage_id"]))]
    cov = coverage.coverage_table(st, passage_tags=pt, sentences=sentences, documents=documents, taggable=sg)
    ti = instruments.theme_instrument_matrix(st, it) if it is not None else None
    out = {
        "coverage": cov,
        "theme_cooccurrence": coverage.cooccurrence(pt),
        "theme_suggestions": tfidf_suggestions(pt, tokens=tokens, passages=passages),
        "similarity": similarity.similarity_long(tokens=tokens, coverage=cov),
        "distinctive_terms": distinctive.distinctive_terms(
            tokens, exclude=distinctive.place_names(documents)
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
