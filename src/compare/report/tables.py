"""The briefing's tables as readers see them: city names for doc ids, labels for codes, headers translated.

:func:`section_table` turns one table of :func:`compare.report.briefing.briefing_tables` into its display
form; :func:`table_block` wraps it as the collapsible HTML block under a chart (``*_drill`` tables are
drill-downs to quotes, the others the table alternative of the chart). Headers, captions and code labels come
from ``briefing_text.yaml``.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from compare.report.sections import CATEGORIES, STRENGTHS
from compare.report.snippets import table_html
from compare.report.wording import DEFAULT_LANG, Wording, pct, wording

__all__ = ["TABLES", "section_table", "table_block"]


def _labels(bt: dict) -> dict[str, str]:
    return dict(zip(bt["labels"]["doc_id"], bt["labels"]["label"], strict=True))


def _city(df: pd.DataFrame, bt: dict, col: str = "doc_id") -> pd.Series:
    return df[col].map(_labels(bt)).fillna(df[col])


def _documents(bt: dict, w: Wording) -> pd.DataFrame:
    s = bt["summary"]
    cols = ["city_label", "genre", "period", "issue_date", "title", "n_chars_clean", "n_passages", "doc_id"]
    return s[cols].assign(genre=s["genre"].replace("", w("words.unknown_genre")))


def _coverage(bt: dict, w: Wording) -> pd.DataFrame:
    from compare.comparison.coverage import coverage_matrix

    m = coverage_matrix(bt["coverage"], value="share_sentences", labels=True).rename(index=_labels(bt))
    m = m.T.map(pct)
    m.index.name = w.column("theme")
    m.columns.name = None
    return m.reset_index()


def _coverage_drill(bt: dict, w: Wording) -> pd.DataFrame:
    ex = bt["coverage_examples"]
    label = dict(zip(bt["coverage"]["theme_code"], bt["coverage"]["theme_label"], strict=False))
    return pd.DataFrame(
        {
            "city": _city(ex, bt),
            "theme_label": ex["theme_code"].map(label).fillna(ex["theme_code"]),
            "example": ex["example"],
        }
    )


def _instruments(bt: dict, w: Wording) -> pd.DataFrame:
    c = bt["instrument_categories"].assign(city=lambda d: _city(d, bt))
    wide = c.pivot_table(
        index=["theme_label", "city"], columns="category", values="n_sentences", aggfunc="sum", sort=False
    )
    wide = wide.reindex(columns=list(CATEGORIES), fill_value=0).fillna(0).astype(int).reset_index()
    wide.columns.name = None
    return wide.rename(columns={k: w.value("category", k) for k in CATEGORIES})


def _instruments_drill(bt: dict, w: Wording) -> pd.DataFrame:
    e = bt["instrument_examples"]
    return pd.DataFrame(
        {"city": _city(e, bt), "category": e["category"].map(lambda c: w.value("category", c)),
         "instrument_label": e["instrument_label"], "text": e["text"]}
    )  # fmt: skip


def _strength(bt: dict, w: Wording) -> pd.DataFrame:
    s = bt["strength_by_city"]
    out = pd.DataFrame({"city": _city(s, bt), "n_sentences": s["n_sentences"]})
    for c in STRENGTHS:
        out[f"share_{c}"] = [f"{pct(v)}（{n}）" for v, n in zip(s[f"share_{c}"], s[f"n_{c}"], strict=True)]
    return out


def _strength_themes(bt: dict, w: Wording) -> pd.DataFrame:
    s = bt["strength_by_theme"].assign(city=lambda d: _city(d, bt))
    cell = s.assign(
        v=[
            f"{pct(v)}（{b}/{n}）"
            for v, b, n in zip(s["share_binding"], s["n_binding"], s["n_sentences"], strict=True)
        ]
    )
    wide = cell.pivot_table(index="theme_label", columns="city", values="v", aggfunc="first", sort=False)
    wide = wide.reindex(columns=list(dict.fromkeys(s["city"]))).fillna("")
    wide.index.name = "theme_label"
    wide.columns.name = None
    return wide.reset_index()


def _strength_drill(bt: dict, w: Wording) -> pd.DataFrame:
    e = bt["strength_examples"]
    return pd.DataFrame(
        {"city": _city(e, bt), "strength": e["strength"].map(lambda c: w.value("strength", c)),
         "evidence": e["evidence"].fillna("").str.replace(r"\([a-z]+\)", "", regex=True), "text": e["text"]}
    )  # fmt: skip


def _targets_shared(bt: dict, w: Wording) -> pd.DataFrame:
    s = bt["target_spread"]
    return s[["canonical_name", "level", "unit", "n_cities", "values"]].assign(spread=s["spread"].map(pct))


def _quote(s: pd.Series) -> pd.Series:
    """Quotes of flattened indicator tables hold a line break between cells: shown as ``｜``."""
    return s.fillna("").astype(str).str.replace("\n", " ｜ ", regex=False)


def _target_text(df: pd.DataFrame, w: Wording) -> pd.Series:
    """``不低于 95%`` / ``达到 60所``: comparator, value (range) and unit in one cell."""

    def one(r) -> str:
        comp = w.value("comparator", r.comparator) if isinstance(r.comparator, str) else ""
        if pd.isna(r.value):
            return comp
        val = f"{r.value:g}" + (f"–{r.value_max:g}" if pd.notna(r.value_max) else "")
        return f"{comp} {val}{r.unit if isinstance(r.unit, str) else ''}".strip()

    return pd.Series([one(r) for r in df.itertuples()], index=df.index, dtype=object)


def _targets_single(bt: dict, w: Wording) -> pd.DataFrame:
    from compare.report.sections import target_groups

    g = target_groups(bt["aligned_indicators"])
    one = g[~g["shared"]].sort_values(["canonical_name", "city_label"], kind="stable")
    return pd.DataFrame(
        {"city_label": one["city_label"], "canonical_name": one["canonical_name"], "value": _target_text(one, w),
         "baseline_value": one["baseline_value"].map(lambda v: "" if pd.isna(v) else f"{v:g}"),
         "target_year": one["target_year"].astype("string").fillna(""), "quote": _quote(one["quote"])}
    )  # fmt: skip


def _targets_drill(bt: dict, w: Wording) -> pd.DataFrame:
    a = bt["aligned_indicators"]
    return pd.DataFrame(
        {"city_label": a["city_label"], "canonical_name": a["canonical_name"], "indicator": a["indicator"],
         "value": _target_text(a, w), "target_year": a["target_year"].astype("string").fillna(""), "quote": _quote(a["quote"])}
    )  # fmt: skip


def _timeline(bt: dict, w: Wording) -> pd.DataFrame:
    from compare.report.plots.targets import theme_label

    d = bt["deadlines"].copy()
    if "theme" in d.columns:
        d["theme"] = d["theme"].map(theme_label)
    return d


def _timeline_drill(bt: dict, w: Wording) -> pd.DataFrame:
    t = bt["timeline"]
    return pd.DataFrame(
        {"city": _city(t, bt), "kind": t["kind"].map(lambda k: w.value("timeline_kind", k)),
         "year": t["year"], "deadline_text": t["deadline_text"], "quote": t["quote"]}
    )  # fmt: skip


def _only_here(bt: dict, w: Wording) -> pd.DataFrame:
    o = bt["only_here"]
    return pd.DataFrame(
        {"city": _city(o, bt), "kind": o["kind"].map(lambda k: w.value("only_here_kind", k)),
         "theme_label": o["theme_label"], "instrument_label": o["instrument_label"],
         "n_sentences": o["n_sentences"], "example": o["example"]}
    )  # fmt: skip


#: Display table name → (builder, section table it needs, rows shown).
TABLES: dict[str, tuple[Callable[[dict, Wording], pd.DataFrame], str, int]] = {
    "documents": (_documents, "summary", 60),
    "coverage": (_coverage, "coverage", 60),
    "coverage_drill": (_coverage_drill, "coverage_examples", 200),
    "instruments": (_instruments, "instrument_categories", 200),
    "instruments_drill": (_instruments_drill, "instrument_examples", 100),
    "strength": (_strength, "strength_by_city", 60),
    "strength_themes": (_strength_themes, "strength_by_theme", 60),
    "strength_drill": (_strength_drill, "strength_examples", 100),
    "targets_shared": (_targets_shared, "target_spread", 100),
    "targets_single": (_targets_single, "aligned_indicators", 300),
    "targets_drill": (_targets_drill, "aligned_indicators", 300),
    "timeline": (_timeline, "deadlines", 100),
    "timeline_drill": (_timeline_drill, "timeline", 300),
    "only_here": (_only_here, "only_here", 100),
}


def section_table(bt: dict, name: str, *, lang: str = DEFAULT_LANG) -> pd.DataFrame:
    """The display form of table ``name`` (a key of :data:`TABLES`), headers in ``lang``."""
    w = wording(lang)
    build, _, _ = TABLES[name]
    return w.columns(build(bt, w))


def table_block(bt: dict, name: str, *, lang: str = DEFAULT_LANG) -> str:
    """The collapsible HTML block of table ``name`` with its caption (``captions.<name>``), escaped."""
    w = wording(lang)
    _, source, max_rows = TABLES[name]
    if source not in bt:
        return ""
    return table_html(
        section_table(bt, name, lang=lang), caption=w(f"captions.{name}"), max_rows=max_rows,
        drill=name.endswith("_drill"), more=w("words.more_rows", n="{n}"),
    )  # fmt: skip
