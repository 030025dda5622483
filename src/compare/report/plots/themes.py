"""Charts of theme coverage, instruments, commitment strength, similarity and distinctive terms.

Each chart has a matplotlib version (``*_mpl``, returns a ``Figure``) and a plotly version (``*_plotly``,
returns a ``go.Figure``). They only draw tables computed by :mod:`compare.comparison.coverage`,
:mod:`compare.instruments` and :mod:`compare.tagging.strength`; an empty table gives a figure that says so.
Chinese labels: matplotlib uses the registered Noto Sans CJK SC font, plotly a CJK font stack.
"""

from __future__ import annotations

import html
import textwrap
from collections.abc import Mapping

import matplotlib.pyplot as plt
import matplotlib.ticker
import numpy as np
import pandas as pd
import plotly.graph_objects as go
from matplotlib.figure import Figure
from plotly.subplots import make_subplots

from compare.report.plots.fonts import plotly_layout_defaults, setup_matplotlib_cjk

STRENGTH_ORDER = ("binding", "aspirational", "exploratory", "none")
STRENGTH_LABELS = {"binding": "约束性", "aspirational": "期望性", "exploratory": "探索性", "none": "未表态"}
STRENGTH_COLORS = {
    "binding": "#1b5e20",
    "aspirational": "#66bb6a",
    "exploratory": "#ffb74d",
    "none": "#cfd8dc",
}
CATEGORY_LABELS = {"supply": "供给型", "environment": "环境型", "demand": "需求型"}
VALUE_LABELS = {
    "share_sentences": "句子占比",
    "share_chars": "字数占比",
    "emphasis": "强调指数",
    "n_sentences": "句子数",
    "n_passages": "段落数",
}


def _labels(ids, doc_labels: Mapping[str, str] | None) -> list[str]:
    return [doc_labels.get(i, i) if doc_labels else i for i in ids]


def _empty_mpl(message: str) -> Figure:
    setup_matplotlib_cjk()
    fig, ax = plt.subplots(figsize=(6, 2))
    ax.axis("off")
    ax.text(0.5, 0.5, message, ha="center", va="center", fontsize=12)
    return fig


def _empty_plotly(message: str) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(
        text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper", font={"size": 16}
    )
    fig.update_layout(
        **plotly_layout_defaults(), xaxis={"visible": False}, yaxis={"visible": False}, height=200
    )
    return fig


def _wide(coverage: pd.DataFrame, value: str) -> pd.DataFrame:
    from compare.comparison.coverage import coverage_matrix

    return coverage_matrix(coverage, value=value, labels=True).fillna(0.0)


# --------------------------------------------------------------------------------------------------
# City x theme heatmap
# --------------------------------------------------------------------------------------------------
def heatmap_mpl(
    coverage: pd.DataFrame,
    *,
    value: str = "share_sentences",
    doc_labels: Mapping[str, str] | None = None,
    title: str | None = None,
) -> Figure:
    """City x theme heatmap (matplotlib), cells annotated.

    Args:
        coverage: ``coverage`` table.
        value: Column to show (``share_sentences``, ``share_chars``, ``emphasis`` …).
        doc_labels: doc_id -> display name (e.g. ``city_label``).
        title: Figure title.
    """
    if coverage is None or coverage.empty:
        return _empty_mpl("没有可显示的数据（未选择文件）")
    setup_matplotlib_cjk()
    wide = _wide(coverage, value)
    fig, ax = plt.subplots(figsize=(max(8, 0.55 * wide.shape[1] + 2), 0.6 * wide.shape[0] + 2.6))
    data = wide.to_numpy(dtype=float)
    im = ax.imshow(data, aspect="auto", cmap="YlGnBu")
    ax.set_xticks(range(wide.shape[1]), wide.columns, rotation=60, ha="right")
    ax.set_yticks(range(wide.shape[0]), _labels(wide.index, doc_labels))
    pct = value.startswith("share")
    hi = np.nanmax(data) if data.size else 0
    for i in range(data.shape[0]):
        for j in range(data.shape[1]):
            v = data[i, j]
            txt = f"{v:.0%}" if pct else (f"{v:.1f}" if value == "emphasis" else f"{v:.0f}")
            ax.text(
                j,
                i,
                txt,
                ha="center",
                va="center",
                fontsize=7,
                color="white" if hi and v > 0.6 * hi else "black",
            )
    fig.colorbar(im, ax=ax, label=VALUE_LABELS.get(value, value), fraction=0.03)
    ax.set_title(title or f"各地主题覆盖（{VALUE_LABELS.get(value, value)}）")
    fig.tight_layout()
    return fig


def heatmap_plotly(
    coverage: pd.DataFrame,
    *,
    examples: pd.DataFrame | None = None,
    value: str = "share_sentences",
    doc_labels: Mapping[str, str] | None = None,
    title: str | None = None,
    lang: str | None = None,
) -> go.Figure:
    """City x theme heatmap (plotly); the hover shows counts and an example sentence per cell.

    Args:
        coverage: ``coverage`` table.
        examples: ``doc_id, theme_code, example`` (:func:`compare.comparison.coverage.example_sentences`).
        value: Column to colour by.
        doc_labels: doc_id -> display name.
        title: Figure title.
        lang: Take title, colour bar and hover words from ``briefing_text.yaml`` in this language (the
            briefing; only for ``value="share_sentences"``).
    """
    if coverage is None or coverage.empty:
        return _empty_plotly("没有可显示的数据（未选择文件）")
    wide = _wide(coverage, value)
    codes = [c for c in dict.fromkeys(coverage["theme_code"])]
    label_of = dict(zip(coverage["theme_code"], coverage["theme_label"], strict=False))
    code_of = {label_of[c]: c for c in codes}
    ex = {}
    if examples is not None and len(examples):
        ex = {
            (d, t): e
            for d, t, e in zip(examples["doc_id"], examples["theme_code"], examples["example"], strict=True)
        }
    cov = coverage.set_index(["doc_id", "theme_code"])
    custom = []
    for doc in wide.index:
        row = []
        for lab in wide.columns:
            code = code_of.get(lab, lab)
            r = cov.loc[(doc, code)] if (doc, code) in cov.index else None
            example = ex.get((doc, code), "—")
            row.append(
                [
                    int(r["n_sentences"]) if r is not None else 0,
                    int(r["n_passages"]) if r is not None else 0,
                    float(r["emphasis"]) if r is not None else 0.0,
                    # wrap, then escape each line: markup in a document shows as text in the hover
                    "<br>".join(html.escape(line) for line in textwrap.wrap(example or "—", 30)),
                ]
            )
        custom.append(row)
    pct = value.startswith("share")
    words = {
        "title": f"各地主题覆盖（{VALUE_LABELS.get(value, value)}）",
        "value": VALUE_LABELS.get(value, value),
        "hover_sentences": "句子数",
        "hover_passages": "段落数",
        "hover_emphasis": "强调指数",
        "hover_example": "例句",
    }
    if lang is not None:
        from compare.report.wording import wording

        words = wording(lang).values("charts.coverage")
    w = {k: html.escape(v) for k, v in words.items()}
    fig = go.Figure(
        go.Heatmap(
            z=wide.to_numpy(dtype=float),
            x=list(wide.columns),
            y=_labels(wide.index, doc_labels),
            customdata=np.array(custom, dtype=object),
            colorscale="YlGnBu",
            colorbar={"title": w["value"], "tickformat": ".0%" if pct else ""},
            hovertemplate=(
                "<b>%{y} · %{x}</b><br>"
                + (f"{w['value']}：%{{z:.1%}}" if pct else f"{w['value']}：%{{z:.2f}}")
                + f"<br>{w['hover_sentences']}：%{{customdata[0]}}　{w['hover_passages']}：%{{customdata[1]}}"
                + f"　{w['hover_emphasis']}：%{{customdata[2]:.2f}}"
                + f"<br>{w['hover_example']}：%{{customdata[3]}}<extra></extra>"
            ),
        )
    )
    fig.update_layout(
        **plotly_layout_defaults(),
        title=title or w["title"],
        xaxis={"tickangle": -45},
        height=260 + 40 * wide.shape[0],
    )
    return fig


# --------------------------------------------------------------------------------------------------
# Per-city profile
# --------------------------------------------------------------------------------------------------
def profile_mpl(
    coverage: pd.DataFrame, *, value: str = "share_sentences", doc_labels: Mapping[str, str] | None = None
) -> Figure:
    """Per-city theme profile: one bar panel per document (matplotlib)."""
    if coverage is None or coverage.empty:
        return _empty_mpl("没有可显示的数据（未选择文件）")
    setup_matplotlib_cjk()
    wide = _wide(coverage, value)
    n = wide.shape[0]
    cols = min(n, 3)
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 6.5 * rows), sharex=True, squeeze=False)
    for k, doc in enumerate(wide.index):
        ax = axes[k // cols][k % cols]
        vals = wide.loc[doc]
        ax.barh(range(len(vals)), vals.to_numpy(), color="#26a69a")
        ax.set_yticks(range(len(vals)), vals.index, fontsize=8)
        ax.invert_yaxis()
        ax.set_title(_labels([doc], doc_labels)[0])
        if value.startswith("share"):
            ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0, decimals=0))
    for k in range(n, rows * cols):
        axes[k // cols][k % cols].axis("off")
    fig.suptitle(f"各地主题结构（{VALUE_LABELS.get(value, value)}）")
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    return fig


def profile_plotly(
    coverage: pd.DataFrame, *, value: str = "share_sentences", doc_labels: Mapping[str, str] | None = None
) -> go.Figure:
    """Per-city theme profile as a radar chart, one trace per document (plotly)."""
    if coverage is None or coverage.empty:
        return _empty_plotly("没有可显示的数据（未选择文件）")
    wide = _wide(coverage, value)
    fig = go.Figure()
    axis = [
        _two_lines(c) for c in wide.columns
    ]  # 25 long labels round a circle: wrapped, they do not overlap
    theta = [*axis, axis[0]]
    for doc, name in zip(wide.index, _labels(wide.index, doc_labels), strict=True):
        r = wide.loc[doc].to_numpy(dtype=float)
        fig.add_trace(
            go.Scatterpolar(
                r=[*r, r[0]],
                theta=theta,
                name=name,
                fill="toself",
                opacity=0.45,
                customdata=[*wide.columns, wide.columns[0]],
                hovertemplate="%{customdata}: %{r:.3f}<extra>" + name + "</extra>",
            )
        )
    fig.update_layout(
        **plotly_layout_defaults(), title=f"各地主题结构（{VALUE_LABELS.get(value, value)}）", height=640
    )
    fig.update_polars(angularaxis_tickfont_size=11)
    return fig


def _two_lines(label: str, *, width: int = 6) -> str:
    """A long Chinese label on two lines: before its 与 when it has one, else in the middle."""
    if len(label) <= width:
        return label
    cut = label.find("与")
    if cut <= 0:
        cut = (len(label) + 1) // 2
    return f"{label[:cut]}<br>{label[cut:]}"


# --------------------------------------------------------------------------------------------------
# Theme x instrument matrix
# --------------------------------------------------------------------------------------------------
def _instrument_wide(theme_instrument: pd.DataFrame, doc_id: str | None) -> pd.DataFrame:
    from compare.tagging.instruments import instrument_matrix_wide

    return instrument_matrix_wide(theme_instrument, doc_id=doc_id)


def instrument_matrix_mpl(
    theme_instrument: pd.DataFrame, *, doc_id: str | None = None, title: str | None = None
) -> Figure:
    """Theme x instrument matrix (sentence counts) for one document or the whole selection (matplotlib)."""
    if theme_instrument is None or theme_instrument.empty:
        return _empty_mpl("没有政策工具标注")
    wide = _instrument_wide(theme_instrument, doc_id)
    if wide.empty:
        return _empty_mpl("该文件没有政策工具标注")
    setup_matplotlib_cjk()
    fig, ax = plt.subplots(figsize=(0.6 * wide.shape[1] + 4, 0.38 * wide.shape[0] + 2.5))
    data = wide.to_numpy(dtype=float)
    im = ax.imshow(data, aspect="auto", cmap="Purples")
    ax.set_xticks(range(wide.shape[1]), wide.columns, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(wide.shape[0]), wide.index, fontsize=8)
    hi = data.max() if data.size else 0
    for i in range(data.shape[0]):
        for j in range(data.shape[1]):
            if data[i, j]:
                ax.text(
                    j,
                    i,
                    f"{data[i, j]:.0f}",
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if data[i, j] > 0.6 * hi else "black",
                )
    fig.colorbar(im, ax=ax, label="句子数", fraction=0.03)
    ax.set_title(title or f"主题 × 政策工具（{doc_id or '全部文件'}）")
    fig.tight_layout()
    return fig


def instrument_matrix_plotly(
    theme_instrument: pd.DataFrame, *, doc_id: str | None = None, title: str | None = None
) -> go.Figure:
    """Theme x instrument matrix (plotly heatmap)."""
    if theme_instrument is None or theme_instrument.empty:
        return _empty_plotly("没有政策工具标注")
    wide = _instrument_wide(theme_instrument, doc_id)
    if wide.empty:
        return _empty_plotly("该文件没有政策工具标注")
    fig = go.Figure(
        go.Heatmap(
            z=wide.to_numpy(dtype=float),
            x=list(wide.columns),
            y=list(wide.index),
            colorscale="Purples",
            colorbar={"title": "句子数"},
            hovertemplate="%{y} × %{x}：%{z} 句<extra></extra>",
        )
    )
    fig.update_layout(
        **plotly_layout_defaults(),
        title=title or f"主题 × 政策工具（{doc_id or '全部文件'}）",
        height=300 + 22 * wide.shape[0],
    )
    fig.update_yaxes(autorange="reversed")
    return fig


# --------------------------------------------------------------------------------------------------
# Commitment strength
# --------------------------------------------------------------------------------------------------
def _strength_wide(strength_shares: pd.DataFrame, theme_code: str) -> pd.DataFrame:
    df = strength_shares[strength_shares["theme_code"] == theme_code]
    wide = df.pivot_table(index="doc_id", columns="strength", values="share", aggfunc="sum", fill_value=0.0)
    wide = wide.reindex(index=list(dict.fromkeys(df["doc_id"])), columns=list(STRENGTH_ORDER), fill_value=0.0)
    return wide


def strength_bars_mpl(
    strength_shares: pd.DataFrame, *, theme_code: str = "_all", doc_labels: Mapping[str, str] | None = None
) -> Figure:
    """Stacked bars of binding / aspirational / exploratory / none shares per document (matplotlib)."""
    if strength_shares is None or strength_shares.empty:
        return _empty_mpl("没有承诺强度数据")
    wide = _strength_wide(strength_shares, theme_code)
    if wide.empty:
        return _empty_mpl("所选主题没有句子")
    setup_matplotlib_cjk()
    fig, ax = plt.subplots(figsize=(8, 0.55 * len(wide) + 1.8))
    left = np.zeros(len(wide))
    ys = np.arange(len(wide))
    for cls in STRENGTH_ORDER:
        v = wide[cls].to_numpy()
        ax.barh(ys, v, left=left, color=STRENGTH_COLORS[cls], label=STRENGTH_LABELS[cls])
        for y, (lft, w) in enumerate(zip(left, v, strict=True)):
            if w >= 0.06:
                ax.text(lft + w / 2, y, f"{w:.0%}", ha="center", va="center", fontsize=8)
        left += v
    ax.set_yticks(ys, _labels(wide.index, doc_labels))
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0, decimals=0))
    ax.set_xlim(0, 1)
    label = (
        "全部句子"
        if theme_code == "_all"
        else strength_shares.loc[strength_shares["theme_code"] == theme_code, "theme_label"].iloc[0]
    )
    ax.set_title(f"承诺强度（{label}）")
    ax.legend(ncol=4, loc="upper center", bbox_to_anchor=(0.5, -0.12), frameon=False)
    fig.tight_layout()
    return fig


def strength_bars_plotly(
    strength_shares: pd.DataFrame, *, theme_code: str = "_all", doc_labels: Mapping[str, str] | None = None
) -> go.Figure:
    """Stacked bars of commitment strength shares per document (plotly)."""
    if strength_shares is None or strength_shares.empty:
        return _empty_plotly("没有承诺强度数据")
    wide = _strength_wide(strength_shares, theme_code)
    if wide.empty:
        return _empty_plotly("所选主题没有句子")
    names = _labels(wide.index, doc_labels)
    fig = go.Figure()
    for cls in STRENGTH_ORDER:
        fig.add_trace(
            go.Bar(
                y=names,
                x=wide[cls],
                name=STRENGTH_LABELS[cls],
                orientation="h",
                marker_color=STRENGTH_COLORS[cls],
                hovertemplate="%{y}：%{x:.1%}<extra>" + STRENGTH_LABELS[cls] + "</extra>",
            )
        )
    label = (
        "全部句子"
        if theme_code == "_all"
        else strength_shares.loc[strength_shares["theme_code"] == theme_code, "theme_label"].iloc[0]
    )
    fig.update_layout(
        **plotly_layout_defaults(),
        barmode="stack",
        title=f"承诺强度（{label}）",
        xaxis={"tickformat": ".0%"},
        height=220 + 40 * len(wide),
    )
    fig.update_yaxes(autorange="reversed")
    return fig


# --------------------------------------------------------------------------------------------------
# Similarity
# --------------------------------------------------------------------------------------------------
def similarity_mpl(
    matrix: pd.DataFrame, *, title: str = "文件相似度", doc_labels: Mapping[str, str] | None = None
) -> Figure:
    """Similarity matrix (matplotlib)."""
    if matrix is None or matrix.empty:
        return _empty_mpl("没有可比较的文件")
    setup_matplotlib_cjk()
    n = matrix.shape[0]
    fig, ax = plt.subplots(figsize=(1.1 * n + 3, 1.0 * n + 2))
    im = ax.imshow(matrix.to_numpy(dtype=float), vmin=0, vmax=1, cmap="Blues")
    labels = _labels(matrix.index, doc_labels)
    ax.set_xticks(range(n), labels, rotation=45, ha="right")
    ax.set_yticks(range(n), labels)
    for i in range(n):
        for j in range(n):
            v = matrix.iat[i, j]
            ax.text(
                j, i, f"{v:.2f}", ha="center", va="center", fontsize=9, color="white" if v > 0.6 else "black"
            )
    fig.colorbar(im, ax=ax, label="余弦相似度", fraction=0.04)
    ax.set_title(title)
    fig.tight_layout()
    return fig


def similarity_plotly(
    matrix: pd.DataFrame, *, title: str = "文件相似度", doc_labels: Mapping[str, str] | None = None
) -> go.Figure:
    """Similarity matrix (plotly)."""
    if matrix is None or matrix.empty:
        return _empty_plotly("没有可比较的文件")
    labels = _labels(matrix.index, doc_labels)
    fig = go.Figure(
        go.Heatmap(
            z=matrix.to_numpy(dtype=float),
            x=labels,
            y=labels,
            zmin=0,
            zmax=1,
            colorscale="Blues",
            text=np.round(matrix.to_numpy(dtype=float), 2),
            texttemplate="%{text}",
            colorbar={"title": "余弦相似度"},
            hovertemplate="%{y} – %{x}：%{z:.2f}<extra></extra>",
        )
    )
    fig.update_layout(**plotly_layout_defaults(), title=title, height=250 + 60 * len(labels))
    fig.update_yaxes(autorange="reversed")
    return fig


# --------------------------------------------------------------------------------------------------
# Distinctive terms
# --------------------------------------------------------------------------------------------------
def distinctive_terms_mpl(
    distinctive: pd.DataFrame, *, top_n: int = 10, doc_labels: Mapping[str, str] | None = None
) -> Figure:
    """Top distinctive terms per document (z-scores of the weighted log-odds), one panel each (matplotlib)."""
    if distinctive is None or distinctive.empty:
        msg = (
            distinctive.attrs.get("message") if distinctive is not None else None
        ) or "没有特征词（至少需要两个文件）"
        return _empty_mpl(msg)
    setup_matplotlib_cjk()
    ids = list(dict.fromkeys(distinctive["doc_id"]))
    cols = min(len(ids), 3)
    rows = int(np.ceil(len(ids) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(4 * cols, 0.33 * top_n * rows + 1.5 * rows), squeeze=False)
    for k, doc in enumerate(ids):
        ax = axes[k // cols][k % cols]
        d = distinctive[distinctive["doc_id"] == doc].nsmallest(top_n, "rank")
        ax.barh(range(len(d)), d["z"], color="#5c6bc0")
        ax.set_yticks(range(len(d)), d["term"])
        ax.invert_yaxis()
        ax.set_title(_labels([doc], doc_labels)[0])
        ax.set_xlabel("z 值")
    for k in range(len(ids), rows * cols):
        axes[k // cols][k % cols].axis("off")
    fig.suptitle("各地特征词（加权对数优势比，信息性狄利克雷先验）")
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    return fig


def distinctive_terms_plotly(
    distinctive: pd.DataFrame, *, top_n: int = 10, doc_labels: Mapping[str, str] | None = None
) -> go.Figure:
    """Top distinctive terms per document (plotly subplots)."""
    if distinctive is None or distinctive.empty:
        msg = (
            distinctive.attrs.get("message") if distinctive is not None else None
        ) or "没有特征词（至少需要两个文件）"
        return _empty_plotly(msg)
    ids = list(dict.fromkeys(distinctive["doc_id"]))
    cols = min(len(ids), 3)
    rows = int(np.ceil(len(ids) / cols))
    fig = make_subplots(
        rows=rows, cols=cols, subplot_titles=_labels(ids, doc_labels), horizontal_spacing=0.12
    )
    for k, doc in enumerate(ids):
        d = distinctive[distinctive["doc_id"] == doc].nsmallest(top_n, "rank")
        fig.add_trace(
            go.Bar(
                x=d["z"],
                y=d["term"],
                orientation="h",
                showlegend=False,
                marker_color="#5c6bc0",
                customdata=np.stack([d["count"], d["count_rest"]], axis=1),
                hovertemplate="%{y}：z=%{x:.2f}<br>本文 %{customdata[0]} 次，其他 %{customdata[1]} 次<extra></extra>",
            ),
            row=k // cols + 1,
            col=k % cols + 1,
        )
        fig.update_yaxes(autorange="reversed", row=k // cols + 1, col=k % cols + 1)
    fig.update_layout(
        **plotly_layout_defaults(), title="各地特征词（加权对数优势比）", height=80 + 30 * top_n * rows
    )
    return fig
