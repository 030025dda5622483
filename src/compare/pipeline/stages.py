"""The stages of a build and their order: the one place that knows which step follows which.

A build runs, for every document (in a worker): the foundation (read → clean → metadata → segment →
tokenise, :func:`compare.pipeline.chunks.process_document`), then the per-document step of each stage below,
in order; then, once for the whole corpus (in the driver), the corpus step of each stage, in order.

==========  =====================================================  ==============================================
stage       per document (tables of one document)                  whole corpus
==========  =====================================================  ==============================================
themes      theme tags (sentences, passages), policy instruments,  coverage, co-occurrence, theme x instrument,
            commitment strength (:mod:`compare.tagging`)           strength shares, similarity, distinctive terms,
                                                                   TF-IDF second opinion (:mod:`compare.comparison`)
targets     quantitative targets, timeline (:mod:`compare.          themes joined onto targets and timeline,
            extraction`)                                           aligned indicators (:mod:`compare.extraction`)
==========  =====================================================  ==============================================

The corpus step of ``targets`` reads the passage themes, so ``themes`` comes first. ``POLICY_COMPARE_STAGES``
(comma-separated stage names; empty: the foundation only) selects stages, e.g. for benchmarks.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from compare.comparison.corpus import corpus_tables as theme_corpus_tables
from compare.extraction.corpus import corpus_tables as target_corpus_tables
from compare.extraction.targets import targets_for
from compare.extraction.timeline import extract_timeline
from compare.tagging.codebook import load_codebook
from compare.tagging.context import passage_context
from compare.tagging.instruments import tag_instruments
from compare.tagging.strength import sentence_strength
from compare.tagging.themes import tag_passages, tag_sentences

#: Environment variable selecting stages by name (see the module docstring).
STAGES_ENV = "POLICY_COMPARE_STAGES"

DocumentStep = Callable[..., dict[str, pd.DataFrame]]
CorpusStep = Callable[..., dict[str, pd.DataFrame]]


@dataclass(frozen=True)
class Stage:
    """One stage of the build.

    Attributes:
        name: Stage name (in error records, ``build_info.json`` and ``POLICY_COMPARE_STAGES``).
        document_tables: ``(tables, *, documents) -> {table: DataFrame}`` for ONE document: ``tables`` holds
            its foundation tables and those of the stages before it.
        corpus_tables: ``(tables, *, parts=None, sink=None) -> {table: DataFrame}`` for the whole corpus:
            every table in ``tables`` (small corpora), or only the documents plus ``parts`` (one
            ``{table: Parquet part}`` per chunk) and a ``sink`` to write into, for large ones.
        replaces: Per-document tables its corpus step rewrites for the whole corpus (the targets and
            timeline with their passages' themes joined): the build publishes those from the corpus step,
            every other per-document table straight from the chunk parts, and may do so while the corpus
            steps still run.
    """

    name: str
    document_tables: DocumentStep
    corpus_tables: CorpusStep | None = None
    replaces: tuple[str, ...] = ()


def theme_document_tables(
    tables: dict[str, pd.DataFrame], *, documents: pd.DataFrame
) -> dict[str, pd.DataFrame]:
    """Per-document step of ``themes``: theme tags (sentence + passage), instrument tags, commitment strength.

    Args:
        tables: ``passages`` and ``sentences`` of one document.
        documents: The documents table (unused; part of the step signature).

    Returns:
        ``theme_tags_sentence``, ``theme_tags_passage``, ``instrument_tags``, ``strength``.
    """
    passages = tables.get("passages")
    sentences = tables.get("sentences")
    # the section context of the passages, computed once for every tagger
    ctx = passage_context(passages, load_codebook()) if passages is not None and not passages.empty else None
    st = tag_sentences(sentences, passages=passages, context=ctx)
    pt = tag_passages(st, sentences=sentences, passages=passages, context=ctx)
    return {
        "theme_tags_sentence": st,
        "theme_tags_passage": pt,
        "instrument_tags": tag_instruments(sentences, passages=passages, context=ctx),
        "strength": sentence_strength(sentences, passages=passages, context=ctx),
    }


def target_document_tables(
    tables: dict[str, pd.DataFrame], *, documents: pd.DataFrame
) -> dict[str, pd.DataFrame]:
    """Per-document step of ``targets``: the ``targets`` and ``timeline`` tables of one document.

    Args:
        tables: ``passages`` and ``sentences`` of ONE document.
        documents: The ``documents`` table (at least that document's row).

    Returns:
        ``{"targets": ..., "timeline": ...}``.
    """
    # validated once per chunk, with the chunk's other tables (pipeline.chunks.chunk_tables)
    targets = targets_for(tables, documents=documents, check=False)
    timeline = extract_timeline({**tables, "targets": targets}, documents=documents, check=False)
    return {"targets": targets, "timeline": timeline}


#: Every stage, in the order it runs.
STAGES: tuple[Stage, ...] = (
    Stage("themes", theme_document_tables, theme_corpus_tables),
    Stage("targets", target_document_tables, target_corpus_tables, replaces=("targets", "timeline")),
)


#: Modules only the corpus steps import (sparse matrices for TF-IDF and similarity).
CORPUS_IMPORTS = ("scipy.sparse",)


def warm_corpus_imports() -> None:
    """Import the corpus steps' heavy dependencies (run in a thread while worker processes build chunks)."""
    import importlib

    for name in CORPUS_IMPORTS:
        try:
            importlib.import_module(name)
        except ImportError:  # the corpus step reports it when it runs
            return


def selected_stages() -> tuple[Stage, ...]:
    """The stages this process runs: all of :data:`STAGES`, or those named in ``POLICY_COMPARE_STAGES``.

    Raises:
        ValueError: ``POLICY_COMPARE_STAGES`` names a stage that does not exist.
    """
    wanted = os.environ.get(STAGES_ENV)
    if wanted is None:
        return STAGES
    names = [n.strip() for n in wanted.split(",") if n.strip()]
    known = {s.name: s for s in STAGES}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(f"{STAGES_ENV} names unknown stage(s) {unknown}; known: {list(known)}")
    return tuple(s for s in STAGES if s.name in names)
