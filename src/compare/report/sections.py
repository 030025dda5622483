"""Tables behind the briefing's instrument, commitment-strength and target-comparison sections.

Pure reshaping of built tables (``instrument_tags``, ``theme_tags_sentence``, ``strength``,
``strength_shares``, ``aligned_indicators``) for one selection of documents. Each count is a count of
distinct sentences, so a sentence with two supply-side instruments counts once as supply-side; the headline
of a section and its chart read the same table, so they cannot disagree.
"""

from __future__ import annotations

import pandas as pd

__all__ = [
    "CATEGORIES",
    "STRENGTHS",
    "instrument_categories",
    "instrument_examples",
    "instrument_shares",
    "strength_by_city",
    "strength_by_theme",
    "strength_examples",
    "target_groups",
    "target_spread",
]

#: Policy-instrument types in reading order (Rothwell & Zegveld).
CATEGORIES = ("supply", "environment", "demand")
#: Commitment-strength classes, strongest first.
STRENGTHS = ("binding", "aspirational", "exploratory", "none")


def _order(df: pd.DataFrame, doc_ids: list[str], col: str = "doc_id") -> pd.DataFrame:
    rank = {d: i for i, d in enumerate(doc_ids)}
    return df.assign(_o=df[col].map(rank)).sort_values("_o", kind="stable").drop(columns="_o")


# --------------------------------------------------------------------------------------------------
# policy instruments
# --------------------------------------------------------------------------------------------------
def instrument_categories(
    sentence_tags: pd.DataFrame, instrument_tags: pd.DataFrame, *, doc_ids: list[str]
) -> pd.DataFrame:
    """Sentences per document x theme x instrument type (distinct sentences; zeros included).

    Returns:
        ``doc_id, theme_code, theme_label, category, n_sentences`` for every document x theme that has
        tagged sentences, every type listed (codebook order of themes).
    """
    cols = ["doc_id", "theme_code", "theme_label", "category", "n_sentences"]
    if sentence_tags is None or instrument_tags is None or sentence_tags.empty or instrument_tags.empty:
        return pd.DataFrame(columns=cols)
    cats = instrument_tags[["sentence_id", "category"]].drop_duplicates()
    st = sentence_tags[sentence_tags["doc_id"].isin(doc_ids)]
    m = st[["doc_id", "sentence_id", "theme_code", "theme_label"]].merge(cats, on="sentence_id")
    counts = m.groupby(["doc_id", "theme_code", "category"])["sentence_id"].nunique()
    keys = st[["doc_id", "theme_code", "theme_label"]].drop_duplicates()
    full = keys.merge(pd.DataFrame({"category": list(CATEGORIES)}), how="cross")
    full["n_sentences"] = [
        int(counts.get((d, t, c), 0))
        for d, t, c in zip(full["doc_id"], full["theme_code"], full["category"], strict=True)
    ]
    from compare.tagging.codebook import load_codebook

    theme_rank = {c: i for i, c in enumerate(load_codebook().codes)}
    full["_t"] = full["theme_code"].map(theme_rank)
    full["_c"] = full["category"].map({c: i for i, c in enumerate(CATEGORIES)})
    full = _order(full.sort_values(["_t", "_c"]), doc_ids).drop(columns=["_t", "_c"])
    return full[cols].reset_index(drop=True)


def instrument_shares(instrument_tags: pd.DataFrame, *, doc_ids: list[str]) -> pd.DataFrame:
    """Per document (and ``_all``): sentences using each instrument type, of the sentences using any.

    Returns:
        ``doc_id, category, n_sentences, n_tagged, share`` (a sentence may use several types, so shares of
        one document may add up to more than 100%).
    """
    cols = ["doc_id", "category", "n_sentences", "n_tagged", "share"]
    if instrument_tags is None or instrument_tags.empty:
        return pd.DataFrame(columns=cols)
    it = instrument_tags[instrument_tags["doc_id"].isin(doc_ids)]
    rows = []
    for doc, g in [*((d, it[it["doc_id"] == d]) for d in doc_ids), ("_all", it)]:
        n_tagged = g["sentence_id"].nunique()
        if not n_tagged:
            continue
        per = g.groupby("category")["sentence_id"].nunique()
        for c in CATEGORIES:
            n = int(per.get(c, 0))
            rows.append((doc, c, n, n_tagged, n / n_tagged))
    return pd.DataFrame(rows, columns=cols)


def instrument_examples(
    instrument_tags: pd.DataFrame, *, sentences: pd.DataFrame, doc_ids: list[str], per_cell: int = 2
) -> pd.DataFrame:
    """The highest-scoring sentences per document and instrument type (the quotes behind the counts).

    Returns:
        ``doc_id, category, instrument_label, evidence, text``.
    """
    cols = ["doc_id", "category", "instrument_label", "evidence", "text"]
    if instrument_tags is None or instrument_tags.empty:
        return pd.DataFrame(columns=cols)
    it = instrument_tags[instrument_tags["doc_id"].isin(doc_ids)]
    it = it.sort_values("score", ascending=False, kind="stable").drop_duplicates(
        ["doc_id", "category", "sentence_id"]
    )
    top = it.groupby(["doc_id", "category"], sort=False).head(per_cell)
    top = top.merge(sentences[["sentence_id", "seq", "text"]], on="sentence_id", how="left")
    top["_c"] = top["category"].map({c: i for i, c in enumerate(CATEGORIES)})
    top = _order(top.sort_values(["_c", "seq"]), doc_ids)
    return top[cols].reset_index(drop=True)


# --------------------------------------------------------------------------------------------------
# commitment strength
# --------------------------------------------------------------------------------------------------
def strength_by_city(strength_shares: pd.DataFrame, *, doc_ids: list[str]) -> pd.DataFrame:
    """Each document's sentences by strength class (``theme_code == "_all"`` rows), one row per document.

    Returns:
        ``doc_id, n_sentences, n_<class>, share_<class>`` for every class of :data:`STRENGTHS`.
    """
    s = strength_shares[(strength_shares["theme_code"] == "_all") & strength_shares["doc_id"].isin(doc_ids)]
    if s.empty:
        return pd.DataFrame(columns=["doc_id", "n_sentences"])
    n = s.pivot_table(index="doc_id", columns="strength", values="n_sentences", aggfunc="sum", fill_value=0)
    n = n.reindex(columns=list(STRENGTHS), fill_value=0)
    out = pd.DataFrame({"doc_id": n.index, "n_sentences": n.sum(axis=1).to_numpy()})
    for c in STRENGTHS:
        out[f"n_{c}"] = n[c].to_numpy().astype(int)
    for c in STRENGTHS:
        out[f"share_{c}"] = out[f"n_{c}"] / out["n_sentences"].where(out["n_sentences"] > 0)
    return _order(out, doc_ids).reset_index(drop=True)


def strength_by_theme(strength_shares: pd.DataFrame, *, doc_ids: list[str]) -> pd.DataFrame:
    """Per document x theme: sentences and the share with binding wording (themes in codebook order).

    Returns:
        ``doc_id, theme_code, theme_label, n_sentences, n_binding, share_binding``.
    """
    cols = ["doc_id", "theme_code", "theme_label", "n_sentences", "n_binding", "share_binding"]
    s = strength_shares[(strength_shares["theme_code"] != "_all") & strength_shares["doc_id"].isin(doc_ids)]
    if s.empty:
        return pd.DataFrame(columns=cols)
    g = s.groupby(["doc_id", "theme_code", "theme_label"], sort=False)
    out = g["n_sentences"].sum().rename("n_sentences").reset_index()
    binding = s[s["strength"] == "binding"].set_index(["doc_id", "theme_code"])["n_sentences"]
    out["n_binding"] = [
        int(binding.get((d, t), 0)) for d, t in zip(out["doc_id"], out["theme_code"], strict=True)
    ]
    out["share_binding"] = out["n_binding"] / out["n_sentences"].where(out["n_sentences"] > 0)
    return out[cols].reset_index(drop=True)


def strength_examples(
    strength: pd.DataFrame, *, sentences: pd.DataFrame, doc_ids: list[str], per_cell: int = 2
) -> pd.DataFrame:
    """Example sentences per document and strength class (most degree words first).

    Returns:
        ``doc_id, strength, evidence, text`` (no examples for sentences without a degree word).
    """
    cols = ["doc_id", "strength", "evidence", "text"]
    if strength is None or strength.empty:
        return pd.DataFrame(columns=cols)
    s = strength[strength["doc_id"].isin(doc_ids) & (strength["strength"] != "none")].copy()
    s["_hits"] = s["n_binding"] + s["n_aspirational"] + s["n_exploratory"]
    s = (
        s.sort_values("_hits", ascending=False, kind="stable")
        .groupby(["doc_id", "strength"], sort=False)
        .head(per_cell)
    )
    s = s.merge(sentences[["sentence_id", "seq", "text"]], on="sentence_id", how="left")
    s["_c"] = s["strength"].map({c: i for i, c in enumerate(STRENGTHS)})
    s = _order(s.sort_values(["_c", "seq"]), doc_ids)
    return s[cols].reset_index(drop=True)


# --------------------------------------------------------------------------------------------------
# targets: shared (two or more cities, same unit) and single-city indicators
# --------------------------------------------------------------------------------------------------
def target_groups(aligned: pd.DataFrame) -> pd.DataFrame:
    """``aligned_indicators`` with ``group`` (indicator, level, unit), ``group_cities`` and ``shared``.

    An indicator is *shared* when two or more cities state it in the same unit: only then can their levels
    be read on one axis. Masked and value-less targets count towards no group.
    """
    a = aligned.copy()
    a["level"] = a["level"].fillna("")
    a["unit"] = a["unit"].fillna("")
    a["group"] = a["indicator_id"] + "|" + a["level"] + "|" + a["unit"]
    valued = a["value"].notna() & ~a["is_masked"].fillna(False).astype(bool)
    n = a[valued].groupby("group")["city_label"].nunique()
    a["group_cities"] = a["group"].map(n).fillna(0).astype(int)
    a["shared"] = a["group_cities"] >= 2
    return a


def target_spread(aligned: pd.DataFrame) -> pd.DataFrame:
    """One row per shared indicator group: the cities' levels and the relative gap between them.

    Each city's level is its highest stated value in the group; the gap is ``(max - min) / max(|max|, |min|)``,
    so indicators counted in 人次 do not dwarf percentages.

    Returns:
        ``group, indicator_id, canonical_name, level, unit, n_cities, values, spread`` sorted by gap, largest
        first (``values`` reads e.g. ``常州(江苏) 60 → 泰州(江苏) 40``).
    """
    cols = ["group", "indicator_id", "canonical_name", "level", "unit", "n_cities", "values", "spread"]
    g = target_groups(aligned)
    g = g[g["shared"] & g["value"].notna() & ~g["is_masked"].fillna(False).astype(bool)]
    if g.empty:
        return pd.DataFrame(columns=cols)
    per_city = g.groupby(["group", "city_label"], sort=False)["value"].max().reset_index()
    rows = []
    for key, d in per_city.groupby("group", sort=False):
        first = g[g["group"] == key].iloc[0]
        d = d.sort_values("value", ascending=False)
        hi, lo = float(d["value"].max()), float(d["value"].min())
        spread = (hi - lo) / max(abs(hi), abs(lo), 1e-9)
        values = "；".join(
            f"{c} {v:g}{first['unit']}" for c, v in zip(d["city_label"], d["value"], strict=True)
        )
        rows.append(
            (
                key,
                first["indicator_id"],
                first["canonical_name"],
                first["level"],
                first["unit"],
                len(d),
                values,
                spread,
            )
        )
    out = pd.DataFrame(rows, columns=cols)
    return out.sort_values(["spread", "canonical_name"], ascending=[False, True], kind="stable").reset_index(
        drop=True
    )
