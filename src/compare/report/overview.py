"""Corpus overview: what is in the build, per document, per section, and what cleaning changed.

Pure DataFrame-in / DataFrame-out summaries of the foundation tables (``documents``, ``passages``,
``sentences``, ``repairs``) for the corpus-overview notebook and the briefing. Every function takes an
optional ``docs`` selection; documents are listed in the order of the ``documents`` table.
"""

from __future__ import annotations

import pandas as pd

__all__ = [
    "PASSAGE_KINDS",
    "docs_for_cities",
    "document_labels",
    "document_summary",
    "passages_by_kind",
    "passages_by_section",
    "repairs_by_rule",
    "repairs_examples",
    "select_documents",
    "unknown_documents",
]

#: Passage kinds in reading order (columns of :func:`passages_by_kind`).
PASSAGE_KINDS = ("heading", "item", "paragraph", "responsibility", "table")
#: Label shown for passages before the first top-level heading (title block, preamble).
PREAMBLE = "(前言)"


def unknown_documents(documents: pd.DataFrame, docs: list[str] | None) -> list[str]:
    """The requested doc ids that the ``documents`` table does not have (empty when ``docs`` is None)."""
    if not docs:
        return []
    have = set(documents["doc_id"])
    return [d for d in docs if d not in have]


def docs_for_cities(documents: pd.DataFrame, cities: list[str]) -> tuple[list[str], list[str]]:
    """Doc ids of the documents whose ``city`` or ``city_label`` is one of ``cities``.

    ``泰州`` selects every plan of 泰州; ``泰州(江苏)`` only those labelled so.

    Returns:
        ``(doc ids in documents order, requested cities that matched nothing)``.
    """
    wanted = [c.strip() for c in cities if c and c.strip()]
    city = documents["city"].fillna("")
    label = documents["city_label"].fillna("")
    hit = city.isin(wanted) | label.isin(wanted)
    unknown = [c for c in wanted if not (city.eq(c) | label.eq(c)).any()]
    return list(documents.loc[hit, "doc_id"]), unknown


def select_documents(tables: dict[str, pd.DataFrame], docs: list[str] | None) -> dict[str, pd.DataFrame]:
    """Keep only the rows of the selected documents in every table that has a ``doc_id`` column.

    Args:
        tables: ``{name: DataFrame}`` as returned by :func:`compare.load_corpus`.
        docs: Doc ids to keep; None or empty keeps everything.

    Returns:
        A new dict; tables without ``doc_id`` are passed through unchanged.
    """
    if not docs:
        return dict(tables)
    keep = set(docs)
    return {
        name: (df[df["doc_id"].isin(keep)].reset_index(drop=True) if "doc_id" in df.columns else df)
        for name, df in tables.items()
    }


def _order(documents: pd.DataFrame, docs: list[str] | None) -> list[str]:
    ids = list(dict.fromkeys(documents["doc_id"]))
    return ids if not docs else [d for d in ids if d in set(docs)]


def _period(start, end) -> str:
    if pd.isna(start) and pd.isna(end):
        return ""
    if pd.isna(end) or start == end:
        return f"{int(start)}"
    if pd.isna(start):
        return f"–{int(end)}"
    return f"{int(start)}–{int(end)}"


def document_summary(
    documents: pd.DataFrame,
    *,
    passages: pd.DataFrame | None = None,
    sentences: pd.DataFrame | None = None,
    repairs: pd.DataFrame | None = None,
    docs: list[str] | None = None,
) -> pd.DataFrame:
    """One row per document: where it is from, what it is, how long it is and what cleaning changed.

    Args:
        documents: The ``documents`` table.
        passages: The ``passages`` table (for ``n_passages``).
        sentences: The ``sentences`` table (for ``n_sentences``).
        repairs: The ``repairs`` table (for ``n_repairs``).
        docs: Restrict to these documents.

    Returns:
        ``doc_id, city_label, province, genre, title, period, issue_date, script, metadata_source,
        n_chars_raw, n_chars_clean, chars_removed, share_removed, n_passages, n_sentences, n_repairs``.
    """
    ids = _order(documents, docs)
    d = documents.set_index("doc_id").loc[ids].reset_index()
    out = pd.DataFrame(
        {
            "doc_id": d["doc_id"],
            "city_label": d["city_label"].fillna(""),
            "province": d["province"].fillna(""),
            "genre": d["genre"].fillna(""),
            "title": d["title"].fillna(""),
            "period": [_period(a, b) for a, b in zip(d["period_start"], d["period_end"], strict=True)],
            "issue_date": d["issue_date"].fillna(""),
            "script": d["script"].fillna(""),
            "metadata_source": d["metadata_source"].fillna(""),
            "n_chars_raw": d["n_chars_raw"].astype("int64"),
            "n_chars_clean": d["n_chars_clean"].astype("int64"),
        }
    )
    out["chars_removed"] = (out["n_chars_raw"] - out["n_chars_clean"]).clip(lower=0)
    raw = out["n_chars_raw"].where(out["n_chars_raw"] > 0)
    out["share_removed"] = (out["chars_removed"] / raw).fillna(0.0).round(4)
    for col, table in (("n_passages", passages), ("n_sentences", sentences), ("n_repairs", repairs)):
        counts = (
            table.groupby("doc_id").size() if table is not None and len(table) else pd.Series(dtype="int64")
        )
        out[col] = out["doc_id"].map(counts).fillna(0).astype("int64")
    return out


def passages_by_kind(passages: pd.DataFrame, *, docs: list[str] | None = None) -> pd.DataFrame:
    """Passages per document and kind (heading / item / paragraph / responsibility / table).

    Returns:
        One row per document (passage order), one column per kind (zeros included) plus ``total``.
    """
    p = passages if not docs else passages[passages["doc_id"].isin(set(docs))]
    ids = list(dict.fromkeys(p["doc_id"]))
    kinds = list(PASSAGE_KINDS) + sorted(set(p["kind"]) - set(PASSAGE_KINDS))
    wide = p.groupby(["doc_id", "kind"]).size().unstack(fill_value=0)
    wide = wide.reindex(index=ids, columns=kinds, fill_value=0).astype("int64")
    wide["total"] = wide.sum(axis=1)
    wide.index.name = "doc_id"
    wide.columns.name = None
    return wide.reset_index()


def passages_by_section(passages: pd.DataFrame, *, docs: list[str] | None = None) -> pd.DataFrame:
    """Passages and characters per top-level section (一、二、… or 第X章) of each document.

    The section is the first component of ``section_path``; its heading is the heading of the section's
    own passage. Passages before the first top-level heading are counted under ``(前言)``.

    Returns:
        ``doc_id, section, heading, n_passages, n_chars, share_chars`` in document order, where
        ``share_chars`` is the section's share of the document's passage characters.
    """
    p = passages if not docs else passages[passages["doc_id"].isin(set(docs))]
    if p.empty:
        return pd.DataFrame(columns=["doc_id", "section", "heading", "n_passages", "n_chars", "share_chars"])
    p = p.assign(
        section=p["section_path"].fillna("").str.split("/").str[0].replace("", PREAMBLE),
        n=p["text"].fillna("").str.len(),
    )
    own = p[p["section_path"].fillna("").str.count("/").eq(0) & p["section_path"].fillna("").ne("")]
    headings = own.drop_duplicates(["doc_id", "section"]).set_index(["doc_id", "section"])["heading"]
    g = (
        p.groupby(["doc_id", "section"], sort=False)
        .agg(n_passages=("passage_id", "size"), n_chars=("n", "sum"), first=("seq", "min"))
        .reset_index()
    )
    g["heading"] = [headings.get((d, s), "") or "" for d, s in zip(g["doc_id"], g["section"], strict=True)]
    order = {d: i for i, d in enumerate(dict.fromkeys(p["doc_id"]))}
    g = g.sort_values(["doc_id", "first"], key=lambda s: s.map(order) if s.name == "doc_id" else s)
    total = g.groupby("doc_id")["n_chars"].transform("sum")
    g["share_chars"] = (g["n_chars"] / total.where(total > 0)).fillna(0.0).round(4)
    cols = ["doc_id", "section", "heading", "n_passages", "n_chars", "share_chars"]
    return g[cols].reset_index(drop=True)


def repairs_by_rule(repairs: pd.DataFrame, *, docs: list[str] | None = None) -> pd.DataFrame:
    """How many times each cleaning rule fired in each document.

    Returns:
        ``doc_id, action, rule, n`` (removed / joined / repaired / masked …), sorted by document then count.
    """
    r = repairs if not docs else repairs[repairs["doc_id"].isin(set(docs))]
    if r.empty:
        return pd.DataFrame(columns=["doc_id", "action", "rule", "n"])
    order = {d: i for i, d in enumerate(dict.fromkeys(r["doc_id"]))}
    g = r.groupby(["doc_id", "action", "rule"]).size().rename("n").reset_index()
    g["_o"] = g["doc_id"].map(order)
    return g.sort_values(["_o", "n"], ascending=[True, False]).drop(columns="_o").reset_index(drop=True)


def repairs_examples(
    repairs: pd.DataFrame, *, docs: list[str] | None = None, per_rule: int = 2
) -> pd.DataFrame:
    """A few before → after examples of each rule in each document (for reading the cleaning log).

    Returns:
        ``doc_id, action, rule, line, before, after`` with at most ``per_rule`` rows per (document, rule).
    """
    r = repairs if not docs else repairs[repairs["doc_id"].isin(set(docs))]
    cols = ["doc_id", "action", "rule", "line", "before", "after"]
    if r.empty:
        return pd.DataFrame(columns=cols)
    return r.groupby(["doc_id", "rule"], sort=False).head(per_rule)[cols].reset_index(drop=True)


def document_labels(documents: pd.DataFrame) -> dict[str, str]:
    """A short unique display label per document: its ``city_label``, plus genre/period when cities repeat.

    泰州(江苏) and 台州(浙江) stay apart because ``city_label`` carries the province; two plans of the same
    city get their genre and period (and, if still equal, their doc id) appended.
    """
    base = {r.doc_id: (r.city_label or r.doc_id) for r in documents.itertuples()}
    counts = pd.Series(list(base.values())).value_counts()
    out = {}
    for r in documents.itertuples():
        label = base[r.doc_id]
        if counts.get(label, 0) > 1:
            label = f"{label} {r.genre or ''}{_period(r.period_start, r.period_end)}".strip()
        out[r.doc_id] = label
    dup = pd.Series(list(out.values())).value_counts()
    return {d: (f"{lab} [{d}]" if dup[lab] > 1 else lab) for d, lab in out.items()}
