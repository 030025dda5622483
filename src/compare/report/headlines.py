"""One-sentence headlines of the briefing sections, each computed from the section's own table.

Every headline states one finding with its denominator (``25个主题中有18个见于全部5份规划``) and takes its
counts from the table the section's chart draws, so two headlines never give two counts of the same thing
under different definitions. The words come from :mod:`compare.report.wording` (``lang``: zh or en).
"""

from __future__ import annotations

import pandas as pd

from compare.report import sections
from compare.report.wording import DEFAULT_LANG, pct, wording

__all__ = [
    "corpus_headline",
    "coverage_headline",
    "instruments_headline",
    "only_here_headline",
    "strength_headline",
    "targets_headline",
    "timeline_headline",
]


def corpus_headline(summary: pd.DataFrame, *, lang: str = DEFAULT_LANG) -> str:
    """How many plans from how many places, and how long they are together."""
    w = wording(lang)
    if summary is None or summary.empty:
        return w("headlines.no_documents")
    places = {c or d for c, d in zip(summary["city_label"], summary["doc_id"], strict=True)}
    return w(
        "headlines.corpus",
        n_docs=len(summary),
        n_places=len(places),
        n_chars=int(summary["n_chars_clean"].sum()),
    )


def coverage_headline(coverage: pd.DataFrame, *, lang: str = DEFAULT_LANG) -> str:
    """How many of the codebook's themes every compared plan covers."""
    w = wording(lang)
    if coverage is None or coverage.empty or not coverage["present"].any():
        return w("headlines.coverage_none")
    n_docs = coverage["doc_id"].nunique()
    n_themes = coverage["theme_code"].nunique()
    per_theme = coverage[coverage["present"]].groupby("theme_code")["doc_id"].nunique()
    if n_docs == 1:
        return w("headlines.coverage_one", n_present=len(per_theme), n_themes=n_themes)
    everywhere = int((per_theme == n_docs).sum())
    return w("headlines.coverage", n_themes=n_themes, n_everywhere=everywhere, n_docs=n_docs)


def instruments_headline(shares: pd.DataFrame, *, n_docs: int, lang: str = DEFAULT_LANG) -> str:
    """The most used instrument type, as a share of the sentences that use any instrument.

    Args:
        shares: :func:`compare.report.sections.instrument_shares` (its ``_all`` rows are read).
        n_docs: Plans compared (the denominator's scope).
    """
    w = wording(lang)
    alls = shares[shares["doc_id"] == "_all"] if shares is not None and len(shares) else pd.DataFrame()
    if alls.empty or not alls["n_sentences"].any():
        return w("headlines.instruments_none")
    top = alls.sort_values("n_sentences", ascending=False, kind="stable").iloc[0]
    return w(
        "headlines.instruments",
        category=w.value("category", top["category"]),
        n_docs=n_docs,
        n_tagged=int(top["n_tagged"]),
        n_top=int(top["n_sentences"]),
        share=pct(top["share"]),
    )


def strength_headline(by_city: pd.DataFrame, *, lang: str = DEFAULT_LANG) -> str:
    """Binding / aspirational / exploratory sentences over all rated sentences of the selection.

    Args:
        by_city: :func:`compare.report.sections.strength_by_city`.
    """
    w = wording(lang)
    if by_city is None or by_city.empty or not by_city["n_sentences"].sum():
        return w("headlines.strength_none")
    total = int(by_city["n_sentences"].sum())
    fields = {"n_docs": len(by_city), "n_sentences": total}
    for c in ("binding", "aspirational", "exploratory"):
        n = int(by_city[f"n_{c}"].sum())
        fields[f"n_{c}"] = n
        fields[f"share_{c}"] = pct(n / total)
    return w("headlines.strength", **fields)


def targets_headline(aligned: pd.DataFrame, *, lang: str = DEFAULT_LANG) -> str:
    """How many indicators two or more cities state in the same unit (the chart's rows), of all indicators."""
    w = wording(lang)
    if aligned is None or aligned.empty:
        return w("headlines.targets_none")
    groups = sections.target_groups(aligned)
    return w(
        "headlines.targets",
        n_indicators=groups["indicator_id"].nunique(),
        n_shared=groups.loc[groups["shared"], "indicator_id"].nunique(),
        n_docs=groups["doc_id"].nunique(),
    )


def timeline_headline(
    timeline: pd.DataFrame,
    *,
    labels: dict[str, str] | None = None,
    n_docs: int | None = None,
    lang: str = DEFAULT_LANG,
) -> str:
    """The busiest year of the dated commitments, out of all of them, and their span."""
    w = wording(lang)
    if timeline is None or timeline.empty:
        return w("headlines.timeline_none")
    ev = timeline[~timeline["kind"].isin(["plan_period", "recurring"]) & timeline["year"].notna()]
    if ev.empty:
        return w("headlines.timeline_no_events")
    years = ev["year"].astype(int)
    counts = years.value_counts().sort_index()
    busiest = int(counts.idxmax())
    return w(
        "headlines.timeline",
        n_events=len(ev),
        n_busiest=int(counts.max()),
        busiest=str(busiest),
        first=str(int(years.min())),
        last=str(int(years.max())),
        n_docs=n_docs if n_docs is not None else timeline["doc_id"].nunique(),
    )


def only_here_headline(
    only_here: pd.DataFrame,
    *,
    labels: dict[str, str] | None = None,
    n_docs: int | None = None,
    n_themes: int | None = None,
    lang: str = DEFAULT_LANG,
) -> str:
    """Whole themes only one plan covers (out of all themes) or, when there are none, the measures only one
    plan takes and which plan has the most."""
    w = wording(lang)
    if only_here is None or only_here.empty:
        return w("headlines.only_here_none")
    n_docs = n_docs if n_docs is not None else only_here["doc_id"].nunique()
    themes = only_here[only_here["kind"] == "theme"]
    if len(themes) and n_themes:
        return w("headlines.only_here_themes", n_single=len(themes), n_themes=n_themes, n_docs=n_docs)
    measures = only_here[only_here["kind"] != "theme"]
    if measures.empty:
        return w(
            "headlines.only_here_themes",
            n_single=len(themes),
            n_themes=n_themes or len(themes),
            n_docs=n_docs,
        )
    per_doc = measures.groupby("doc_id").size().sort_values(ascending=False, kind="stable")
    top = per_doc.index[0]
    return w(
        "headlines.only_here",
        n_items=len(measures),
        n_docs=n_docs,
        top=(labels or {}).get(top, top),
        n_top=int(per_doc.iloc[0]),
    )
