"""Charts of targets and timelines (matplotlib and plotly; no computation beyond reshaping).

Every function takes the tables (``aligned_indicators``, ``targets``, ``timeline``, ``documents``) and a
``backend`` ("matplotlib" or "plotly") and returns a figure. Cities are labelled with ``documents.city_label``
so 泰州(江苏) and 台州(浙江) stay apart. Aggregations come from :mod:`compare.extraction.targets`,
:mod:`compare.timeline` and :mod:`compare.extraction.align`; hover texts carry the quotes so every mark can be traced.
"""

from __future__ import annotations

import functools
import html
import textwrap

import matplotlib
import matplotlib.pyplot as plt
import pandas as pd
import plotly.graph_objects as go
import yaml

from compare.comparison.target_summary import target_shares, targets_by_theme
from compare.core.config import resource_path
from compare.extraction.timeline import deadline_counts
from compare.report.plots.fonts import plotly_layout_defaults, setup_matplotlib_cjk

matplotlib.use("Agg", force=False)


__all__ = [
    "aligned_dot_plot",
    "deadline_density",
    "plan_gantt",
    "target_shares_chart",
    "targets_per_theme",
    "theme_label",
]

BACKENDS = ("matplotlib", "plotly")
_PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf", "#bcbd22"]


def _check(backend: str) -> None:
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, not {backend!r}")


def _colors(cities, documents: pd.DataFrame | None = None) -> dict:
    """One colour per city, fixed by the documents table's order so every chart agrees."""
    order = (
        list(dict.fromkeys(documents["city_label"]))
        if documents is not None and "city_label" in documents
        else []
    )
    order += sorted(c for c in set(cities) if c not in order)
    return {c: _PALETTE[i % len(_PALETTE)] for i, c in enumerate(order)}


@functools.lru_cache(maxsize=1)
def _theme_labels() -> dict:
    data = yaml.safe_load(resource_path("themes.yaml").read_text(encoding="utf-8"))
    labels = {
        code: (v.get("label", code) if isinstance(v, dict) else code)
        for code, v in data.get("themes", {}).items()
    }
    labels["unclassified"] = "未分类"
    return labels


def theme_label(code: str) -> str:
    """Chinese label of a theme code (the code itself when unknown)."""
    return _theme_labels().get(code, code)


def _wrap(s: str, width: int = 40) -> str:
    """Wrap document text for a hover and HTML-escape each line (markup in a document shows as text)."""
    return "<br>".join(html.escape(line) for line in textwrap.wrap(str(s), width)) if s else ""


def _esc(s) -> str:
    return html.escape(str(s)) if s is not None else ""


def _empty(backend: str, title: str):
    if backend == "plotly":
        fig = go.Figure()
        fig.update_layout(title=f"{title}（无数据）", **plotly_layout_defaults())
        return fig
    setup_matplotlib_cjk()
    fig, ax = plt.subplots(figsize=(6, 2))
    ax.text(0.5, 0.5, "无数据", ha="center", va="center")
    ax.set_axis_off()
    ax.set_title(title)
    return fig


def aligned_dot_plot(
    aligned: pd.DataFrame,
    *,
    documents: pd.DataFrame | None = None,
    unit: str = "%",
    backend: str = "matplotlib",
    min_cities: int = 2,
    with_baselines: bool = True,
):
    """Dot plot of aligned indicators: one row per canonical indicator (and level), one marker per city.

    Where a baseline is known an arrow runs from the baseline to the target.

    Args:
        aligned: The ``aligned_indicators`` table.
        documents: The ``documents`` table (fixes city colours); optional.
        unit: Only indicators stated in this unit (levels are only comparable within a unit).
        backend: "matplotlib" or "plotly".
        min_cities: Keep indicators stated in ``unit`` by at least this many cities; indicators with a
            baseline are kept too when ``with_baselines`` (their arrow shows the promised change).
        with_baselines: Also show single-city indicators that have a baseline. Arrows are not drawn from a
            flagged (suspect) baseline such as 8250 for 82.50; the hover text names the flag.

    Returns:
        A matplotlib Figure or plotly Figure.
    """
    _check(backend)
    title = f"各城市同一指标的目标水平（{unit}）"
    df = aligned[(aligned["unit"] == unit) & aligned["value"].notna()].copy()
    df["row"] = df["canonical_name"] + df["level"].fillna("").map(lambda s: f"（{s}）" if s else "")
    # rows stated by enough cities in this unit, or with a baseline (an arrow is informative on its own)
    n_city = df.groupby("row")["city_label"].transform("nunique")
    has_base = df.groupby("row")["baseline_value"].transform(lambda s: s.notna().any())
    df = df[(n_city >= min_cities) | (has_base.astype(bool) & with_baselines)].copy()
    # a flagged baseline (lost decimal point …) is shown in the hover text, never drawn as an arrow
    df["arrow_from"] = df["baseline_value"].where(~df["flag"].fillna("").str.contains("suspect"))
    if df.empty:
        return _empty(backend, title)
    df = df.sort_values(["theme", "row", "city_label"], na_position="last")
    rows = list(dict.fromkeys(df["row"]))
    ypos = {r: i for i, r in enumerate(rows)}
    colors = _colors(df["city_label"].unique(), documents)
    cities = sorted(df["city_label"].unique())
    offset = {c: (i - (len(cities) - 1) / 2) * 0.12 for i, c in enumerate(cities)}
    if backend == "plotly":
        fig = go.Figure()
        for city in cities:
            d = df[df["city_label"] == city]
            y = [ypos[r] + offset[city] for r in d["row"]]
            hover = [
                f"{_esc(city)}<br>{_esc(r.indicator)}<br>{_esc(r.comparator)} {r.value:g}{_esc(r.unit or '')}"
                + (
                    f"（{int(r.baseline_year)}年基线 {r.baseline_value:g}）"
                    if pd.notna(r.baseline_value)
                    else ""
                )
                + (f"<br>{int(r.target_year)}年" if pd.notna(r.target_year) else "")
                + (f"<br>⚠ {_esc(r.flag)}" if isinstance(r.flag, str) else "")
                + f"<br>“{_wrap(r.quote)}”"
                for r in d.itertuples()
            ]
            fig.add_trace(
                go.Scatter(
                    x=d["value"],
                    y=y,
                    mode="markers",
                    name=city,
                    marker={"size": 11, "color": colors[city]},
                    hovertext=hover,
                    hoverinfo="text",
                )
            )
            for r, yy in zip(d.itertuples(), y, strict=True):
                if pd.notna(r.arrow_from):
                    fig.add_annotation(
                        x=r.value,
                        y=yy,
                        ax=r.arrow_from,
                        ay=yy,
                        xref="x",
                        yref="y",
                        axref="x",
                        ayref="y",
                        showarrow=True,
                        arrowhead=2,
                        arrowcolor=colors[city],
                        opacity=0.7,
                        text="",
                    )
        fig.update_layout(
            title=title,
            yaxis={
                "tickmode": "array",
                "tickvals": list(range(len(rows))),
                "ticktext": rows,
                "autorange": "reversed",
            },
            xaxis={"title": f"目标值（{unit}）"},
            height=max(300, 40 * len(rows) + 120),
            **plotly_layout_defaults(),
        )
        return fig
    setup_matplotlib_cjk()
    fig, ax = plt.subplots(figsize=(9, max(2.5, 0.45 * len(rows) + 1.2)))
    for city in cities:
        d = df[df["city_label"] == city]
        y = [ypos[r] + offset[city] for r in d["row"]]
        ax.scatter(d["value"], y, s=50, color=colors[city], label=city, zorder=3)
        for r, yy in zip(d.itertuples(), y, strict=True):
            if pd.notna(r.arrow_from):
                ax.annotate(
                    "",
                    xy=(r.value, yy),
                    xytext=(r.arrow_from, yy),
                    arrowprops={"arrowstyle": "->", "color": colors[city], "alpha": 0.7},
                )
    span = pd.concat([df["value"], df["arrow_from"].dropna()])
    pad = max(1.0, 0.05 * (span.max() - span.min()))
    ax.set_xlim(span.min() - pad, span.max() + pad)
    ax.set_yticks(range(len(rows)), rows)
    ax.invert_yaxis()
    ax.set_xlabel(f"目标值（{unit}）；箭头：基线 → 目标")
    ax.set_title(title)
    ax.grid(axis="x", alpha=0.3)
    ax.legend(loc="best", fontsize=8)
    fig.tight_layout()
    return fig


def targets_per_theme(
    targets: pd.DataFrame,
    *,
    documents: pd.DataFrame | None = None,
    aligned: pd.DataFrame | None = None,
    backend: str = "matplotlib",
):
    """Grouped bars: distinct targets per theme and city (repeats left out).

    Args:
        targets: The ``targets`` table.
        documents: For city labels and colours.
        aligned: Optional ``aligned_indicators`` (vocabulary themes preferred, see ``targets_by_theme``).
        backend: "matplotlib" or "plotly".
    """
    _check(backend)
    title = "各城市各主题的量化目标数"
    df = targets_by_theme(targets, documents=documents, aligned=aligned)
    if df.empty:
        return _empty(backend, title)
    df["theme"] = df["theme"].map(theme_label)
    wide = df.pivot_table(index="theme", columns="city_label", values="n_targets", fill_value=0)
    wide = wide.loc[wide.sum(axis=1).sort_values(ascending=False).index]
    colors = _colors(wide.columns, documents)
    if backend == "plotly":
        fig = go.Figure(
            [go.Bar(name=c, x=wide.index, y=wide[c], marker_color=colors[c]) for c in wide.columns]
        )
        fig.update_layout(title=title, barmode="group", yaxis={"title": "目标数"}, **plotly_layout_defaults())
        return fig
    setup_matplotlib_cjk()
    fig, ax = plt.subplots(figsize=(max(6, 0.7 * len(wide) + 2), 4))
    wide.plot.bar(ax=ax, color=[colors[c] for c in wide.columns], width=0.8)
    ax.set_ylabel("目标数")
    ax.set_xlabel("主题")
    ax.set_title(title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def target_shares_chart(
    targets: pd.DataFrame, *, documents: pd.DataFrame | None = None, backend: str = "matplotlib"
):
    """Bars: share of each city's targets with a stated deadline, per-year, binding (约束性) and masked."""
    _check(backend)
    title = "目标的期限、约束性与遮蔽比例"
    df = target_shares(targets, documents=documents)
    if df.empty:
        return _empty(backend, title)
    names = {
        "share_deadline": "写明期限",
        "share_per_year": "每年目标",
        "share_binding": "约束性",
        "share_masked": "数字被遮蔽",
    }
    long = df.melt(
        id_vars=["city_label", "n_targets"], value_vars=list(names), var_name="measure", value_name="share"
    )
    long["measure"] = long["measure"].map(names)
    cities = list(df["city_label"])
    if backend == "plotly":
        fig = go.Figure(
            [
                go.Bar(
                    name=m,
                    x=d["city_label"],
                    y=d["share"],
                    hovertext=[
                        f"{c}（{n} 个目标）：{m} {s:.0%}"
                        for c, n, s in zip(d["city_label"], d["n_targets"], d["share"], strict=True)
                    ],
                    hoverinfo="text",
                )
                for m, d in long.groupby("measure", sort=False)
            ]
        )
        fig.update_layout(
            title=title,
            barmode="group",
            yaxis={"tickformat": ".0%", "range": [0, 1]},
            **plotly_layout_defaults(),
        )
        return fig
    setup_matplotlib_cjk()
    wide = long.pivot_table(index="city_label", columns="measure", values="share").reindex(cities)
    fig, ax = plt.subplots(figsize=(8, 4))
    wide[list(names.values())].plot.bar(ax=ax, width=0.8)
    ax.set_ylim(0, 1)
    ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    ax.set_xlabel("")
    ax.set_title(title)
    ax.set_xticklabels(
        [f"{c}\n（{n} 个目标）" for c, n in zip(df["city_label"], df["n_targets"], strict=True)], rotation=0
    )
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plan_gantt(
    timeline: pd.DataFrame,
    *,
    documents: pd.DataFrame | None = None,
    backend: str = "matplotlib",
    lang: str | None = None,
):
    """Gantt of plan periods per city with milestone markers (deadlines, vision years, start dates).

    ``lang`` takes the title, axis and marker names from ``briefing_text.yaml`` (the briefing).
    """
    _check(backend)
    title = "规划期与时间节点"
    words = {"x": "年份", "period": "", "hover_n": "个"}
    if lang is not None:
        from compare.report.wording import wording

        w = wording(lang)
        words = w.values("charts.timeline")
        title = words["title"]
    if timeline.empty:
        return _empty(backend, title)
    labels = (
        {} if documents is None else dict(zip(documents["doc_id"], documents["city_label"], strict=False))
    )
    tl = timeline.copy()
    tl["city_label"] = tl["doc_id"].map(labels).fillna(tl["doc_id"])
    periods = tl[tl["kind"] == "plan_period"].drop_duplicates("doc_id")
    events = tl[(tl["kind"] != "plan_period") & (tl["kind"] != "recurring") & tl["year"].notna()]
    cities = list(dict.fromkeys(periods["city_label"].tolist() + sorted(events["city_label"].unique())))
    ypos = {c: i for i, c in enumerate(cities)}
    ev = (
        events.groupby(["city_label", "year", "kind"])
        .agg(n=("event_id", "size"), quote=("quote", "first"))
        .reset_index()
    )
    marker = {
        "deadline": "o",
        "vision": "*",
        "start": ">",
        "within_years": "s",
        "about_years": "D",
        "this_year": "o",
    }
    kind_names = {
        "deadline": "期限",
        "vision": "远景",
        "start": "起始",
        "within_years": "N年内",
        "about_years": "N年左右",
        "this_year": "年底前",
    }
    if lang is not None:
        kind_names = w.values("values.timeline_kind")
    if backend == "plotly":
        fig = go.Figure()
        for r in periods.itertuples():
            y0 = r.year_start if pd.notna(r.year_start) else r.year
            fig.add_trace(
                go.Bar(
                    x=[float(r.year) - float(y0) + 1],
                    base=[float(y0) - 0.5],
                    y=[r.city_label],
                    orientation="h",
                    marker_color="#c6dbef",
                    showlegend=False,
                    hovertext=f"{_esc(r.city_label)}：{int(y0)}–{int(r.year)}（{_esc(r.deadline_text)}）",
                    hoverinfo="text",
                )
            )
        sym = {"o": "circle", "*": "star", ">": "triangle-right", "s": "square", "D": "diamond"}
        for kind, d in ev.groupby("kind"):
            fig.add_trace(
                go.Scatter(
                    x=d["year"],
                    y=d["city_label"],
                    mode="markers",
                    name=kind_names.get(kind, kind),
                    marker={"symbol": sym[marker.get(kind, "o")], "size": 8 + 3 * d["n"].clip(upper=6)},
                    hovertext=[
                        f"{_esc(c)} {int(y)}：{n} {_esc(words['hover_n'])} {_esc(kind_names.get(kind, kind))}"
                        f"<br>“{_wrap(q)}”"
                        for c, y, n, q in zip(d["city_label"], d["year"], d["n"], d["quote"], strict=True)
                    ],
                    hoverinfo="text",
                )
            )
        fig.update_layout(
            title=_esc(title),
            xaxis={"title": _esc(words["x"]), "dtick": 1},
            barmode="overlay",
            **plotly_layout_defaults(),
        )
        return fig
    setup_matplotlib_cjk()
    fig, ax = plt.subplots(figsize=(9, 0.6 * len(cities) + 1.5))
    for r in periods.itertuples():
        y0 = r.year_start if pd.notna(r.year_start) else r.year
        ax.barh(
            ypos[r.city_label],
            float(r.year) - float(y0) + 1,
            left=float(y0) - 0.5,
            color="#c6dbef",
            height=0.5,
        )
    for kind, d in ev.groupby("kind"):
        ax.scatter(
            d["year"],
            [ypos[c] for c in d["city_label"]],
            s=30 + 15 * d["n"].clip(upper=6),
            marker=marker.get(kind, "o"),
            label=kind_names.get(kind, kind),
            zorder=3,
        )
    ax.set_yticks(range(len(cities)), cities)
    ax.invert_yaxis()
    ax.set_xlabel("年份（条形：规划期；标记大小：同年节点数）")
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax.set_title(title)
    ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    return fig


def deadline_density(
    timeline: pd.DataFrame, *, documents: pd.DataFrame | None = None, backend: str = "matplotlib"
):
    """Heatmap: dated events per year and theme (all cities together)."""
    _check(backend)
    title = "各年份、各主题的时间节点数"
    df = deadline_counts(timeline, documents=documents)
    if df.empty:
        return _empty(backend, title)
    df["theme"] = df["theme"].map(theme_label)
    wide = df.pivot_table(index="theme", columns="year", values="n_events", aggfunc="sum", fill_value=0)
    if backend == "plotly":
        fig = go.Figure(
            go.Heatmap(
                z=wide.values,
                x=[str(c) for c in wide.columns],
                y=list(wide.index),
                colorscale="Blues",
                hovertemplate="%{y} %{x}年：%{z} 个节点<extra></extra>",
            )
        )
        fig.update_layout(title=title, xaxis={"title": "年份"}, **plotly_layout_defaults())
        return fig
    setup_matplotlib_cjk()
    fig, ax = plt.subplots(figsize=(max(5, 0.8 * wide.shape[1] + 3), 0.4 * wide.shape[0] + 1.5))
    im = ax.imshow(wide.values, cmap="Blues", aspect="auto")
    ax.set_xticks(range(wide.shape[1]), [str(c) for c in wide.columns])
    ax.set_yticks(range(wide.shape[0]), list(wide.index))
    for i in range(wide.shape[0]):
        for j in range(wide.shape[1]):
            v = wide.values[i, j]
            if v:
                ax.text(j, i, str(int(v)), ha="center", va="center", fontsize=8)
    fig.colorbar(im, ax=ax, label="节点数")
    ax.set_title(title)
    fig.tight_layout()
    return fig


def target_comparison_figure(
    aligned: pd.DataFrame,
    spread: pd.DataFrame,
    *,
    documents: pd.DataFrame | None = None,
    lang: str = "zh",
) -> go.Figure:
    """Indicators two or more cities state in the same unit: one panel per unit, rows sorted by gap.

    One marker per city and target; an arrow runs from the baseline to the target where the plan states a
    baseline (never from a flagged, suspect baseline). Units are never mixed on one axis.

    Args:
        aligned: ``aligned_indicators``.
        spread: :func:`compare.report.sections.target_spread` (rows and their order).
        documents: Fixes the city colours.
        lang: ``zh`` or ``en`` (words from ``briefing_text.yaml``).
    """
    from plotly.subplots import make_subplots

    from compare.report.sections import target_groups
    from compare.report.wording import wording

    w = wording(lang)
    t = w.values("charts.targets")
    if spread is None or spread.empty:
        fig = go.Figure()
        fig.add_annotation(text=_esc(t["none"]), showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
        fig.update_layout(title=_esc(t["title"]), height=220, xaxis={"visible": False}, yaxis={"visible": False},
                          **plotly_layout_defaults())  # fmt: skip
        return fig
    g = target_groups(aligned)
    g = g[g["group"].isin(set(spread["group"])) & g["value"].notna()].copy()
    units = (
        spread.groupby("unit", sort=False).size().sort_values(ascending=False, kind="stable").index.tolist()
    )
    n_rows = [int((spread["unit"] == u).sum()) for u in units]
    fig = make_subplots(
        rows=len(units), cols=1, row_heights=[max(n, 1.5) for n in n_rows], vertical_spacing=min(0.35 / len(units), 0.12),
        subplot_titles=[_esc(t["axis"].format(unit=u or t["no_unit"])) for u in units],
    )  # fmt: skip
    colors = _colors(g["city_label"].unique(), documents)
    shown: set[str] = set()
    for k, unit in enumerate(units, start=1):
        rows = spread[spread["unit"] == unit]
        label = {
            r.group: _esc(r.canonical_name + (f"（{r.level}）" if r.level else "")) for r in rows.itertuples()
        }
        order = list(rows["group"])
        d = g[g["group"].isin(order)]
        cities = sorted(d["city_label"].unique())
        offset = {c: (i - (len(cities) - 1) / 2) * 0.14 for i, c in enumerate(cities)}
        for city in cities:
            dc = d[d["city_label"] == city]
            y = [order.index(gr) + offset[city] for gr in dc["group"]]
            hover = [
                f"{_esc(city)}<br>{_esc(r.indicator)}<br>{_esc(r.comparator)} {r.value:g}{_esc(r.unit)}"
                + (f"（{_esc(t['baseline'])} {r.baseline_value:g}）" if pd.notna(r.baseline_value) else "")
                + (f"<br>{int(r.target_year)}{_esc(t['target_year'])}" if pd.notna(r.target_year) else "")
                + f"<br>“{_wrap(r.quote)}”"
                for r in dc.itertuples()
            ]
            fig.add_trace(
                go.Scatter(
                    x=dc["value"], y=y, mode="markers", name=_esc(city), legendgroup=city,
                    showlegend=city not in shown, marker={"size": 11, "color": colors[city]},
                    hovertext=hover, hoverinfo="text",
                ),
                row=k, col=1,
            )  # fmt: skip
            shown.add(city)
            ok = ~dc["flag"].fillna("").str.contains("suspect") & dc["baseline_value"].notna()
            for r, yy in zip(dc[ok].itertuples(), [v for v, o in zip(y, ok, strict=True) if o], strict=True):
                xref = "x" if k == 1 else f"x{k}"
                yref = "y" if k == 1 else f"y{k}"
                fig.add_annotation(
                    x=r.value, y=yy, ax=r.baseline_value, ay=yy, xref=xref, yref=yref, axref=xref, ayref=yref,
                    showarrow=True, arrowhead=2, arrowcolor=colors[city], opacity=0.8, text="",
                )  # fmt: skip
        fig.update_yaxes(
            tickmode="array", tickvals=list(range(len(order))), ticktext=[label[gr] for gr in order],
            range=[len(order) - 0.5, -0.5], row=k, col=1,
        )  # fmt: skip
    fig.update_layout(
        title={"text": _esc(t["title"]) + f"<br><sup>{_esc(t['legend_note'])}</sup>"},
        height=150 + 46 * sum(n_rows) + 60 * len(units), **plotly_layout_defaults(),
    )  # fmt: skip
    return fig
