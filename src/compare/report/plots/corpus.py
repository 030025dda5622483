"""Charts of the corpus overview: document length, passages per kind and section, cleaning repairs.

The functions only draw tables computed by :mod:`compare.report.overview`; the only work done here is reshaping.
Text that comes from the documents (headings, titles) is HTML-escaped before it reaches a plotly label,
so a raw file containing markup shows it as text. plotly decodes the entities when drawing.
"""

from __future__ import annotations

import html

import pandas as pd
import plotly.graph_objects as go
from matplotlib.figure import Figure
from plotly.colors import qualitative

from compare.report.plots.fonts import plotly_layout_defaults, setup_matplotlib_cjk
from compare.report.wording import DEFAULT_LANG, wording

__all__ = [
    "document_length_figure",
    "document_length_mpl",
    "only_here_figure",
    "passages_by_kind_figure",
    "repairs_figure",
    "repairs_mpl",
    "sections_figure",
]

#: Colours of the passage kinds (colour-blind safe, Okabe–Ito).
KIND_COLOURS = {
    "heading": "#0072B2",
    "item": "#E69F00",
    "paragraph": "#009E73",
    "responsibility": "#CC79A7",
    "table": "#D55E00",
}

#: Enough distinct colours for every cleaning rule (plotly's Dark24).
PALETTE = tuple(qualitative.Dark24)


def _esc(value) -> str:
    return html.escape("" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value))


def _labels(doc_ids: pd.Series, labels: dict[str, str] | None) -> list[str]:
    return [_esc((labels or {}).get(d, d)) for d in doc_ids]


def _layout(fig: go.Figure, *, title: str, height: int, **kw) -> go.Figure:
    fig.update_layout(
        **plotly_layout_defaults(),
        title={"text": _esc(title)},
        height=height,
        margin={"l": 10, "r": 10, "t": 60},
        **kw,
    )
    return fig


def document_length_figure(
    summary: pd.DataFrame, *, labels: dict[str, str] | None = None, lang: str = DEFAULT_LANG
) -> go.Figure:
    """Horizontal bars: characters kept after cleaning and characters removed, per document.

    Args:
        summary: Output of :func:`compare.report.overview.document_summary`.
        labels: Display label per doc id (:func:`compare.report.overview.document_labels`).
        lang: Language of title, axis and legend (``briefing_text.yaml``).
    """
    t = wording(lang).values("charts.document_length")
    y = _labels(summary["doc_id"], labels)
    hover = [
        f"{_esc(t)}<br>{_esc(g)} {_esc(p)}"
        for t, g, p in zip(summary["title"], summary["genre"], summary["period"], strict=True)
    ]
    fig = go.Figure(
        [
            go.Bar(
                y=y, x=summary["n_chars_clean"], orientation="h", name=_esc(t["kept"]), marker_color="#0072B2",
                customdata=hover,
                hovertemplate=f"%{{customdata}}<br>{_esc(t['hover_kept'])}: %{{x:,}} {_esc(t['chars'])}<extra></extra>",
            ),
            go.Bar(
                y=y, x=summary["chars_removed"], orientation="h", name=_esc(t["removed"]), marker_color="#D55E00",
                hovertemplate=f"{_esc(t['hover_removed'])}: %{{x:,}} {_esc(t['chars'])}<extra></extra>",
            ),
        ]
    )  # fmt: skip
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(title_text=_esc(t["x"]))
    return _layout(fig, title=t["title"], height=120 + 45 * len(y), barmode="stack")


def document_length_mpl(
    summary: pd.DataFrame, *, labels: dict[str, str] | None = None, lang: str = DEFAULT_LANG
) -> Figure:
    """Matplotlib version of :func:`document_length_figure` (static, for print)."""
    setup_matplotlib_cjk()
    t = wording(lang).values("charts.document_length")
    y = [(labels or {}).get(d, d) for d in summary["doc_id"]]
    fig = Figure(figsize=(8, 0.9 + 0.5 * len(y)), layout="constrained")
    ax = fig.subplots()
    ax.barh(y, summary["n_chars_clean"], color="#0072B2", label=t["kept"])
    ax.barh(
        y,
        summary["chars_removed"],
        left=summary["n_chars_clean"],
        color="#D55E00",
        label=t["removed"],
    )
    ax.invert_yaxis()
    ax.set_xlabel(t["x"])
    ax.set_title(t["title"])
    ax.legend(loc="lower right", frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def passages_by_kind_figure(
    kinds: pd.DataFrame, *, labels: dict[str, str] | None = None, lang: str = DEFAULT_LANG
) -> go.Figure:
    """Stacked bars: passages per document by kind.

    Args:
        kinds: Output of :func:`compare.report.overview.passages_by_kind`.
        labels: Display label per doc id.
        lang: Language of title, axis and kind names (``briefing_text.yaml``).
    """
    t = wording(lang).values("charts.passages_by_kind")
    y = _labels(kinds["doc_id"], labels)
    cols = [c for c in kinds.columns if c not in ("doc_id", "total")]
    fig = go.Figure(
        [
            go.Bar(
                y=y, x=kinds[c], orientation="h", name=_esc(t.get(c, c)), marker_color=KIND_COLOURS.get(c),
                hovertemplate=f"{_esc(t.get(c, c))}: %{{x}}<extra>%{{y}}</extra>",
            )
            for c in cols
        ]
    )  # fmt: skip
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(title_text=_esc(t["x"]))
    return _layout(fig, title=t["title"], height=120 + 45 * len(y), barmode="stack")


def sections_figure(
    sections: pd.DataFrame, *, labels: dict[str, str] | None = None, lang: str = DEFAULT_LANG
) -> go.Figure:
    """Stacked bars: each document's characters split by top-level section (hover: heading, passages).

    Args:
        sections: Output of :func:`compare.report.overview.passages_by_section`.
        labels: Display label per doc id.
        lang: Language of title and axis (``briefing_text.yaml``).
    """
    t = wording(lang).values("charts.sections")
    df = sections.assign(label=_labels(sections["doc_id"], labels))
    order = list(dict.fromkeys(df["label"]))
    fig = go.Figure()
    for section, g in df.groupby("section", sort=False):
        fig.add_bar(
            y=g["label"], x=g["share_chars"], orientation="h", name=_esc(section), showlegend=False,
            text=[_esc(section)] * len(g), textposition="inside", insidetextanchor="middle",
            customdata=list(zip([_esc(h) for h in g["heading"]], g["n_passages"], g["n_chars"], strict=True)),
            hovertemplate="%{y} · " + _esc(section) + " %{customdata[0]}<br>%{customdata[1]} " + _esc(t["passages"])
            + ", %{customdata[2]:,} " + _esc(t["chars"]) + " (%{x:.0%})<extra></extra>",
        )  # fmt: skip
    fig.update_yaxes(categoryorder="array", categoryarray=order, autorange="reversed")
    fig.update_xaxes(title_text=_esc(t["x"]), tickformat=".0%", range=[0, 1])
    return _layout(
        fig,
        title=t["title"],
        height=120 + 45 * len(order),
        barmode="stack",
    )


def repairs_figure(
    repairs: pd.DataFrame, *, labels: dict[str, str] | None = None, lang: str = DEFAULT_LANG
) -> go.Figure:
    """Stacked bars: cleaning rules that fired per document (removed / joined / repaired / masked).

    Args:
        repairs: Output of :func:`compare.report.overview.repairs_by_rule`.
        labels: Display label per doc id.
        lang: Language of title and axis (``briefing_text.yaml``); the rule names are the cleaning rules' ids.
    """
    t = wording(lang).values("charts.repairs")
    df = repairs.assign(
        label=_labels(repairs["doc_id"], labels), rule_action=repairs["action"] + ": " + repairs["rule"]
    )
    fig = go.Figure()
    for name, g in df.groupby("rule_action", sort=True):
        fig.add_bar(
            y=g["label"], x=g["n"], orientation="h", name=_esc(name),
            hovertemplate=_esc(name) + ": %{x}<extra>%{y}</extra>",
        )  # fmt: skip
    fig.update_yaxes(
        categoryorder="array", categoryarray=list(dict.fromkeys(df["label"])), autorange="reversed"
    )
    fig.update_xaxes(title_text=_esc(t["x"]))
    n = df["label"].nunique()
    return _layout(fig, title=t["title"], height=160 + 45 * n, barmode="stack")


def repairs_mpl(
    repairs: pd.DataFrame, *, labels: dict[str, str] | None = None, lang: str = DEFAULT_LANG
) -> Figure:
    """Matplotlib version of :func:`repairs_figure`."""
    setup_matplotlib_cjk()
    t = wording(lang).values("charts.repairs")
    wide = repairs.assign(rule=repairs["action"] + ": " + repairs["rule"]).pivot_table(
        index="doc_id", columns="rule", values="n", aggfunc="sum", fill_value=0, sort=False
    )
    fig = Figure(figsize=(8, 1.2 + 0.5 * max(len(wide), 1)), layout="constrained")
    ax = fig.subplots()
    left = pd.Series(0, index=wide.index)
    for i, rule in enumerate(wide.columns):
        ax.barh(
            [(labels or {}).get(d, d) for d in wide.index], wide[rule], left=left, label=rule,
            color=PALETTE[i % len(PALETTE)],
        )  # fmt: skip
        left = left + wide[rule]
    ax.invert_yaxis()
    ax.set_xlabel(t["x"])
    ax.set_title(t["title"])
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False, fontsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def only_here_figure(only_here: pd.DataFrame, *, lang: str = DEFAULT_LANG) -> go.Figure:
    """Bars: themes and theme x instrument measures found in one plan only, per plan.

    Args:
        only_here: The ``only_here`` table with a ``city`` display column added.
        lang: Language of title, axis and legend (``briefing_text.yaml``).
    """
    w = wording(lang)
    t = w.values("charts.only_here")
    df = only_here.assign(what=only_here["kind"].map(lambda k: w.value("only_here_kind", k)))
    fig = go.Figure()
    for what, g in df.groupby("what", sort=True):
        items = g.groupby("city", sort=False).agg(
            n=("theme_label", "size"),
            names=("theme_label", lambda s: "<br>".join(_esc(x) for x in list(dict.fromkeys(s))[:12])),
        )
        fig.add_bar(
            y=[_esc(c) for c in items.index], x=items["n"], orientation="h", name=_esc(what),
            customdata=items["names"], hovertemplate="%{y}: %{x}<br>%{customdata}<extra></extra>",
        )  # fmt: skip
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(title_text=_esc(t["x"]))
    n = df["city"].nunique()
    return _layout(fig, title=t["title"], height=160 + 45 * n, barmode="stack", showlegend=True)
