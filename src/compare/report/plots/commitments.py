"""Charts of the briefing's policy-instrument and commitment-strength sections (plotly).

They draw the tables of :mod:`compare.report.sections`; every title, axis, legend and hover word comes from
``briefing_text.yaml`` through :func:`compare.report.wording.wording` (``lang``). Document text in hovers is
HTML-escaped (markup in a plan shows as text).
"""

from __future__ import annotations

import html
from collections.abc import Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from compare.report.plots.fonts import plotly_layout_defaults
from compare.report.sections import CATEGORIES, STRENGTHS
from compare.report.wording import DEFAULT_LANG, wording

__all__ = ["instrument_facets", "instrument_shares_figure", "strength_figure", "strength_themes_figure"]

CATEGORY_COLORS = {"supply": "#0072B2", "environment": "#009E73", "demand": "#E69F00"}
STRENGTH_COLORS = {
    "binding": "#1b5e20",
    "aspirational": "#66bb6a",
    "exploratory": "#ffb74d",
    "none": "#cfd8dc",
}


def _esc(s) -> str:
    return html.escape("" if s is None else str(s))


def _empty(message: str) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=_esc(message), showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    fig.update_layout(
        **plotly_layout_defaults(), xaxis={"visible": False}, yaxis={"visible": False}, height=200
    )
    return fig


def _name(doc: str, doc_labels: Mapping[str, str] | None) -> str:
    return _esc((doc_labels or {}).get(doc, doc))


def instrument_facets(
    categories: pd.DataFrame, *, doc_labels: Mapping[str, str] | None = None, lang: str = DEFAULT_LANG
) -> go.Figure:
    """Theme x instrument type heatmap, one panel per city (sentences; rows: themes in codebook order).

    Args:
        categories: :func:`compare.report.sections.instrument_categories`.
        doc_labels: doc_id -> display name.
        lang: ``zh`` or ``en``.
    """
    w = wording(lang)
    t = w.values("charts.instruments")
    if categories is None or categories.empty:
        return _empty(w("charts.empty"))
    docs = list(dict.fromkeys(categories["doc_id"]))
    themes = list(dict.fromkeys(categories["theme_label"]))
    cat_names = [w.value("category", c) for c in CATEGORIES]
    zmax = float(categories["n_sentences"].max()) or 1.0
    fig = make_subplots(
        rows=1, cols=len(docs), shared_yaxes=True, horizontal_spacing=0.012,
        subplot_titles=[_name(d, doc_labels) for d in docs],
    )  # fmt: skip
    for k, doc in enumerate(docs, start=1):
        d = categories[categories["doc_id"] == doc]
        wide = d.pivot_table(index="theme_label", columns="category", values="n_sentences", aggfunc="sum")
        wide = wide.reindex(index=themes, columns=list(CATEGORIES))
        z = wide.to_numpy(dtype=float)
        fig.add_trace(
            go.Heatmap(
                z=z, x=cat_names, y=[_esc(x) for x in themes], zmin=0, zmax=zmax, colorscale="Purples",
                showscale=k == len(docs), colorbar={"title": _esc(t["colorbar"])},
                text=np.where(np.isnan(z) | (z == 0), "", np.nan_to_num(z).astype(int).astype(str)),
                texttemplate="%{text}", textfont={"size": 10},
                hovertemplate=f"{_name(doc, doc_labels)}<br>%{{y}} · %{{x}}：%{{z}} {_esc(t['hover'])}<extra></extra>",
            ),
            row=1, col=k,
        )  # fmt: skip
    fig.update_yaxes(autorange="reversed", tickfont={"size": 11})
    fig.update_xaxes(tickangle=0, tickfont={"size": 10})
    fig.update_layout(
        **plotly_layout_defaults(), title=_esc(t["title"]), height=160 + 22 * len(themes),
        margin={"l": 10, "r": 10, "t": 90},
    )  # fmt: skip
    return fig


def instrument_shares_figure(
    shares: pd.DataFrame, *, doc_labels: Mapping[str, str] | None = None, lang: str = DEFAULT_LANG
) -> go.Figure:
    """Grouped bars: share of each city's instrument sentences by type (a sentence may use several types)."""
    w = wording(lang)
    t = w.values("charts.instrument_shares")
    s = shares[shares["doc_id"] != "_all"] if shares is not None and len(shares) else pd.DataFrame()
    if s.empty:
        return _empty(w("charts.empty"))
    fig = go.Figure()
    for c in CATEGORIES:
        d = s[s["category"] == c]
        name = w.value("category", c)
        fig.add_bar(
            y=[_name(x, doc_labels) for x in d["doc_id"]], x=d["share"], orientation="h", name=name,
            marker_color=CATEGORY_COLORS[c], customdata=np.stack([d["n_sentences"], d["n_tagged"]], axis=1),
            text=[f"{v:.0%}" for v in d["share"]], textposition="outside",
            hovertemplate="%{y} · " + name + "：%{customdata[0]} / %{customdata[1]}（%{x:.0%}）<extra></extra>",
        )  # fmt: skip
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(title_text=_esc(t["x"]), tickformat=".0%", range=[0, 1])
    fig.update_layout(
        **plotly_layout_defaults(), title=_esc(t["title"]), barmode="group",
        height=140 + 70 * s["doc_id"].nunique(), legend={"orientation": "h", "y": -0.15},
    )  # fmt: skip
    return fig


def strength_figure(
    by_city: pd.DataFrame, *, doc_labels: Mapping[str, str] | None = None, lang: str = DEFAULT_LANG
) -> go.Figure:
    """Stacked bars: each city's sentences by commitment strength (binding → no degree word)."""
    w = wording(lang)
    t = w.values("charts.strength")
    if by_city is None or by_city.empty:
        return _empty(w("charts.empty"))
    names = [_name(d, doc_labels) for d in by_city["doc_id"]]
    fig = go.Figure()
    for c in STRENGTHS:
        label = w.value("strength", c)
        words = w.value("strength_words", c)
        fig.add_bar(
            y=names, x=by_city[f"share_{c}"], orientation="h", name=f"{label}（{words}）" if lang == "zh" else f"{label} ({words})",
            marker_color=STRENGTH_COLORS[c], customdata=np.stack([by_city[f"n_{c}"], by_city["n_sentences"]], axis=1),
            text=[f"{v:.0%}" if v >= 0.05 else "" for v in by_city[f"share_{c}"]], textposition="inside",
            hovertemplate="%{y} · " + label + "：%{customdata[0]} / %{customdata[1]}（%{x:.0%}）<extra></extra>",
        )  # fmt: skip
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(title_text=_esc(t["x"]), tickformat=".0%", range=[0, 1])
    fig.update_layout(
        **plotly_layout_defaults(), title=_esc(t["title"]), barmode="stack",
        height=170 + 45 * len(by_city), legend={"orientation": "h", "y": -0.25},
    )  # fmt: skip
    return fig


def strength_themes_figure(
    by_theme: pd.DataFrame, *, doc_labels: Mapping[str, str] | None = None, lang: str = DEFAULT_LANG
) -> go.Figure:
    """Heatmap theme x city: the share of the theme's sentences with binding wording (hover: counts)."""
    w = wording(lang)
    t = w.values("charts.strength_themes")
    if by_theme is None or by_theme.empty:
        return _empty(w("charts.empty"))
    docs = list(dict.fromkeys(by_theme["doc_id"]))
    themes = list(dict.fromkeys(by_theme["theme_label"]))
    share = by_theme.pivot_table(index="theme_label", columns="doc_id", values="share_binding", aggfunc="sum")
    share = share.reindex(index=themes, columns=docs)
    n = by_theme.pivot_table(index="theme_label", columns="doc_id", values="n_sentences", aggfunc="sum")
    nb = by_theme.pivot_table(index="theme_label", columns="doc_id", values="n_binding", aggfunc="sum")
    n, nb = n.reindex(index=themes, columns=docs).fillna(0), nb.reindex(index=themes, columns=docs).fillna(0)
    z = share.to_numpy(dtype=float)
    fig = go.Figure(
        go.Heatmap(
            z=z, x=[_name(d, doc_labels) for d in docs], y=[_esc(x) for x in themes], zmin=0, zmax=1,
            colorscale="Greens", colorbar={"title": _esc(t["colorbar"]), "tickformat": ".0%"},
            text=np.where(np.isnan(z), "", np.vectorize(lambda v: f"{v:.0%}")(np.nan_to_num(z))),
            texttemplate="%{text}", textfont={"size": 10},
            customdata=np.dstack([nb.to_numpy(), n.to_numpy()]),
            hovertemplate="%{x} · %{y}：%{customdata[0]:.0f} / %{customdata[1]:.0f} "
            + _esc(t["hover_n"]) + "（%{z:.0%}）<extra></extra>",
        )
    )  # fmt: skip
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(**plotly_layout_defaults(), title=_esc(t["title"]), height=160 + 22 * len(themes))
    return fig
