"""The policy briefing: section tables, one-sentence headlines computed from them, source notes, methods box.

Every headline is a pure function of a table (never typed by hand), so adding a document changes the
sentence. :func:`briefing_tables` gathers the section tables for a selection of documents, calling the
theme / instrument / strength / target / timeline libraries; a section whose tables were not built is
reported as *not available* with the stage to run (:func:`missing_message`), never as a traceback. Every
reader-facing word comes from ``resources/briefing_text.yaml`` (:mod:`compare.report.wording`, ``lang`` zh or
en). This module is the notebook's one entry point: it re-exports the headlines
(:mod:`compare.report.headlines`), the HTML snippets (:mod:`compare.report.snippets`) and the methods box
(:mod:`compare.report.methods`).
"""

from __future__ import annotations

import pandas as pd

from compare.report import overview, sections
from compare.report.headlines import (
    corpus_headline,
    coverage_headline,
    instruments_headline,
    only_here_headline,
    strength_headline,
    targets_headline,
    timeline_headline,
)
from compare.report.methods import (
    RESOURCE_FILES,
    load_build_info,
    methods_box_html,
    methods_table,
    provenance_table,
    read_validation,
    resource_versions,
    validation_figures,
)
from compare.report.snippets import heading_html, headline_html, note_html, table_html
from compare.report.wording import DEFAULT_LANG, wording

__all__ = [
    "RESOURCE_FILES",
    "SECTION_TABLES",
    "briefing_tables",
    "corpus_headline",
    "coverage_headline",
    "heading_html",
    "headline_html",
    "instruments_headline",
    "load_build_info",
    "methods_box_html",
    "methods_table",
    "missing_message",
    "missing_tables",
    "note_html",
    "only_here_headline",
    "provenance_table",
    "read_validation",
    "resource_versions",
    "source_note",
    "strength_headline",
    "table_html",
    "targets_headline",
    "timeline_headline",
    "validation_figures",
]

#: Tables each briefing section needs, and the build stage that makes them.
SECTION_TABLES = {
    "coverage": (("theme_tags_sentence", "theme_tags_passage", "coverage"), "themes"),
    "instruments": (("theme_tags_sentence", "instrument_tags"), "themes"),
    "strength": (("strength", "strength_shares"), "themes"),
    "targets": (("targets", "aligned_indicators"), "targets"),
    "timeline": (("timeline",), "targets"),
    "only_here": (("coverage", "only_here"), "themes"),
}


# --------------------------------------------------------------------------------------------------
# availability
# --------------------------------------------------------------------------------------------------
def missing_tables(tables: dict[str, pd.DataFrame], section: str) -> list[str]:
    """The tables a briefing section needs that ``tables`` does not have."""
    names, _ = SECTION_TABLES[section]
    return [n for n in names if n not in tables]


def missing_message(tables: dict[str, pd.DataFrame], section: str, *, lang: str = DEFAULT_LANG) -> str | None:
    """A reader-facing note when a section cannot be shown, else None.

    Returns:
        e.g. ``"暂无此项：请以 主题标注（themes） 阶段重新构建数据（缺少数据表：coverage）"``.
    """
    missing = missing_tables(tables, section)
    if not missing:
        return None
    w = wording(lang)
    stage = w(f"stages.{SECTION_TABLES[section][1]}")
    return w("missing", stage=stage, tables=", ".join(missing))


# --------------------------------------------------------------------------------------------------
# section tables
# --------------------------------------------------------------------------------------------------
def briefing_tables(
    tables: dict[str, pd.DataFrame], *, docs: list[str] | None = None
) -> dict[str, pd.DataFrame]:
    """The tables behind every briefing section, for the whole corpus or a selection of documents.

    Cross-document comparisons (coverage emphasis, "only here", indicator alignment) are recomputed for a
    selection, since they are relative to the documents compared. Sections whose inputs are missing are
    simply absent from the result (see :func:`missing_message`).

    Args:
        tables: ``compare.load_corpus(...)``.
        docs: Doc ids to compare (None = all).

    Returns:
        ``documents``, ``summary``, ``labels`` (one row per doc: ``doc_id, label``) and, when available,
        ``coverage``, ``coverage_examples``, ``only_here``, ``instrument_categories``, ``instrument_shares``,
        ``instrument_examples``, ``strength_by_city``, ``strength_by_theme``, ``strength_examples``,
        ``aligned_indicators``, ``side_by_side``, ``target_spread``, ``timeline``, ``deadlines``.
    """
    sel = overview.select_documents(tables, docs)
    documents = sel["documents"]
    labels = overview.document_labels(documents)
    out: dict[str, pd.DataFrame] = {
        "documents": documents,
        "summary": overview.document_summary(
            documents,
            passages=sel.get("passages"),
            sentences=sel.get("sentences"),
            repairs=sel.get("repairs"),
        ),
        "labels": pd.DataFrame({"doc_id": list(labels), "label": list(labels.values())}),
    }
    subset = bool(docs) and set(docs) != set(tables["documents"]["doc_id"])
    if not missing_tables(tables, "coverage"):
        from compare.comparison import coverage as coverage_mod

        if subset:
            cov = coverage_mod.coverage_table(
                sel["theme_tags_sentence"], passage_tags=sel["theme_tags_passage"], sentences=sel["sentences"],
                documents=documents, taggable=sel.get("strength"),
            )  # fmt: skip
        else:
            cov = sel["coverage"]
        out["coverage"] = cov
        out["coverage_examples"] = coverage_mod.example_sentences(
            sel["theme_tags_sentence"], sentences=sel["sentences"]
        )
        if subset:
            only = coverage_mod.only_here(
                cov, sentence_tags=sel["theme_tags_sentence"], sentences=sel["sentences"],
                theme_instrument=sel.get("theme_instrument"),
            )  # fmt: skip
        else:
            only = sel.get("only_here")
        if only is not None:
            out["only_here"] = _only_here_quotes(only, sel)
    if not missing_tables(tables, "targets"):
        from compare.extraction import align

        aligned = (
            align.align_indicators(sel["targets"], documents=documents)
            if subset
            else sel["aligned_indicators"]
        )
        out["aligned_indicators"] = aligned
        wide = align.side_by_side(aligned)
        out["side_by_side"] = wide.reset_index() if len(wide) else wide
    ids = list(documents["doc_id"])
    if not missing_tables(tables, "instruments"):
        it = sel["instrument_tags"]
        out["instrument_categories"] = sections.instrument_categories(
            sel["theme_tags_sentence"], it, doc_ids=ids
        )
        out["instrument_shares"] = sections.instrument_shares(it, doc_ids=ids)
        out["instrument_examples"] = sections.instrument_examples(it, sentences=sel["sentences"], doc_ids=ids)
    if not missing_tables(tables, "strength"):
        out["strength_by_city"] = sections.strength_by_city(sel["strength_shares"], doc_ids=ids)
        out["strength_by_theme"] = sections.strength_by_theme(sel["strength_shares"], doc_ids=ids)
        out["strength_examples"] = sections.strength_examples(
            sel["strength"], sentences=sel["sentences"], doc_ids=ids
        )
    if not missing_tables(tables, "targets"):
        out["target_spread"] = sections.target_spread(out["aligned_indicators"])
    if not missing_tables(tables, "timeline"):
        from compare.extraction import timeline as timeline_mod

        out["timeline"] = sel["timeline"]
        out["deadlines"] = timeline_mod.deadline_counts(sel["timeline"], documents=documents)
    return out


def _only_here_quotes(only: pd.DataFrame, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Give every only-here measure (theme x instrument) an example sentence, so each count has a quote."""
    if only.empty or "instrument_tags" not in tables or "example" not in only.columns:
        return only
    from compare.comparison.coverage import drill_down

    out = only.copy()
    for i, r in out[out["example"].isna() & out["instrument_code"].notna()].iterrows():
        rows = drill_down(
            tables["theme_tags_sentence"], sentences=tables["sentences"], doc_id=r["doc_id"],
            theme_code=r["theme_code"], instrument_code=r["instrument_code"], instrument_tags=tables["instrument_tags"],
        )  # fmt: skip
        if len(rows):
            out.at[i, "example"] = rows["text"].iloc[0]
    return out


def source_note(
    tables: dict[str, pd.DataFrame], *, table: str, docs: list[str] | None = None, lang: str = DEFAULT_LANG
) -> str:
    """ "数据来源：N份规划，M个段落、K个句子；数据表 X（R行）…" for the section of ``table``."""
    sel = overview.select_documents(tables, docs)
    return wording(lang)(
        "source_note",
        n_docs=len(sel["documents"]),
        n_passages=len(sel.get("passages", [])),
        n_sentences=len(sel.get("sentences", [])),
        table=table,
        rows=len(sel[table]) if table in sel else 0,
    )
