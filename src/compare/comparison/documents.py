"""Compare a selection of documents in one call: coverage, co-occurrence, similarity, distinctive terms, "only
here" and example sentences, recomputed for exactly the documents selected.
"""

from __future__ import annotations

import pandas as pd

from compare.comparison.coverage import (
    cooccurrence,
    coverage_table,
    example_sentences,
    only_here,
)
from compare.comparison.distinctive import DISTINCTIVE, distinctive_terms, place_names
from compare.comparison.selection import EMPTY_SELECTION, empty_table, select_rows, selected_doc_ids
from compare.comparison.similarity import similarity_profiles, similarity_tokens
from compare.tagging.codebook import load_codebook


# --------------------------------------------------------------------------------------------------
# One call for a notebook or report
# --------------------------------------------------------------------------------------------------
def compare_documents(
    tables: dict[str, pd.DataFrame], *, docs: list[str] | None = None
) -> dict[str, pd.DataFrame]:
    """Every comparison table for a selection of documents, from the processed tables of a build.

    Args:
        tables: Processed tables (``compare.load_corpus``): sentences, tokens, passages, documents,
            theme_tags_sentence, theme_tags_passage, instrument_tags, strength.
        docs: doc_ids to compare (None = every document). Unknown ids are ignored.

    Returns:
        ``coverage``, ``cooccurrence``, ``only_here``, ``theme_instrument``, ``strength_shares``,
        ``similarity_tokens``, ``similarity_profiles`` (square matrices), ``distinctive_terms``, ``examples``
        and ``doc_labels`` (doc_id -> city label, as a one-column frame). With an empty selection every table
        is empty and ``attrs["message"]`` of ``coverage`` says so.
    """
    from compare.tagging import instruments, strength

    st = tables.get("theme_tags_sentence")
    pt = tables.get("theme_tags_passage")
    sentences = tables.get("sentences")
    tokens = tables.get("tokens")
    passages = tables.get("passages")
    documents = tables.get("documents")
    if tokens is not None and passages is not None and len(tokens):
        skip = set(passages.loc[passages["kind"].isin(load_codebook().skip_kinds), "passage_id"])
        tokens = tokens[~tokens["passage_id"].isin(skip)]
    ids = selected_doc_ids(sentences, docs)
    cov = coverage_table(st, passage_tags=pt, sentences=sentences, docs=ids, taggable=tables.get("strength"))
    ti = instruments.theme_instrument_matrix(st, tables.get("instrument_tags"), docs=ids) if ids else None
    labels = pd.DataFrame(columns=["label"])
    if documents is not None and len(documents):
        col = "city_label" if "city_label" in documents else "doc_id"
        labels = documents.set_index("doc_id")[[col]].rename(columns={col: "label"}).reindex(ids)
        labels["label"] = labels["label"].fillna(pd.Series(labels.index, index=labels.index))
    sg = tables.get("strength")
    return {
        "coverage": cov,
        "cooccurrence": cooccurrence(pt, docs=ids),
        "only_here": only_here(
            cov,
            sentence_tags=st,
            sentences=sentences,
            theme_instrument=ti,
            instrument_tags=tables.get("instrument_tags"),
            docs=ids,
        ),
        "theme_instrument": ti if ti is not None else instruments.THEME_INSTRUMENT.empty(),
        "strength_shares": strength.strength_shares(sg, sentence_tags=st, docs=ids)
        if ids
        else strength.STRENGTH_SHARES.empty(),
        "similarity_tokens": similarity_tokens(tokens, docs=ids) if ids else pd.DataFrame(),
        "similarity_profiles": similarity_profiles(cov, docs=ids) if ids else pd.DataFrame(),
        "distinctive_terms": distinctive_terms(tokens, docs=ids, exclude=place_names(documents))
        if ids
        else empty_table(DISTINCTIVE, EMPTY_SELECTION),
        "examples": example_sentences(select_rows(st, ids), sentences=sentences)
        if ids
        else pd.DataFrame(columns=["doc_id", "theme_code", "example"]),
        "doc_labels": labels,
    }
