"""Charts of targets and timelines: both backends, CJK glyphs present, traceable hover texts."""

from __future__ import annotations

import warnings

import matplotlib.pyplot as plt
import plotly.graph_objects as go
import pytest

from compare.report.plots import targets as P


@pytest.fixture(scope="module")
def charts(tables):
    docs = tables["documents"]
    return {
        "dot": lambda b: P.aligned_dot_plot(tables["aligned_indicators"], documents=docs, backend=b),
        "theme": lambda b: P.targets_per_theme(
            tables["targets"], documents=docs, aligned=tables["aligned_indicators"], backend=b
        ),
        "shares": lambda b: P.target_shares_chart(tables["targets"], documents=docs, backend=b),
        "gantt": lambda b: P.plan_gantt(tables["timeline"], documents=docs, backend=b),
        "density": lambda b: P.deadline_density(tables["timeline"], documents=docs, backend=b),
    }


@pytest.mark.parametrize("name", ["dot", "theme", "shares", "gantt", "density"])
def test_matplotlib_renders_chinese_without_missing_glyphs(charts, name, tmp_path):
    fig = charts[name]("matplotlib")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.savefig(tmp_path / f"{name}.png", dpi=60)
    plt.close(fig)
    assert not [w for w in caught if "missing from font" in str(w.message) or "Glyph" in str(w.message)]
    assert (tmp_path / f"{name}.png").stat().st_size > 5000


@pytest.mark.parametrize("name", ["dot", "theme", "shares", "gantt", "density"])
def test_plotly_figures_have_data_and_cjk_font(charts, name):
    fig = charts[name]("plotly")
    assert isinstance(fig, go.Figure) and len(fig.data) > 0
    assert "Noto Sans CJK SC" in fig.layout.font.family


def test_dot_plot_rows_cities_and_quotes(tables):
    fig = P.aligned_dot_plot(tables["aligned_indicators"], documents=tables["documents"], backend="plotly")
    names = {t.name for t in fig.data}
    assert {"泰州(江苏)", "常州(江苏)"} <= names
    hover = " ".join(h for t in fig.data for h in t.hovertext)
    assert "省市優質幼兒園覆蓋率達90%" in hover  # the 常州 quote in its original script
    assert "普惠性幼儿园在园幼儿占比" in fig.layout.yaxis.ticktext
    arrows = [a for a in fig.layout.annotations if a.showarrow]
    assert arrows  # baselines of the 台州 indicator table


def test_gantt_has_every_city(tables):
    fig = P.plan_gantt(tables["timeline"], documents=tables["documents"], backend="plotly")
    cities = {y for t in fig.data if t.y is not None for y in t.y}
    assert set(tables["documents"]["city_label"]) <= cities


def test_unknown_backend_and_empty_input(tables):
    with pytest.raises(ValueError):
        P.plan_gantt(tables["timeline"], backend="svg")
    fig = P.aligned_dot_plot(tables["aligned_indicators"].iloc[0:0], backend="plotly")
    assert "无数据" in fig.layout.title.text
    plt.close(P.deadline_density(tables["timeline"].iloc[0:0], backend="matplotlib"))


def test_theme_labels_are_chinese():
    assert P.theme_label("preschool") == "学前教育"
    assert P.theme_label("unclassified") == "未分类"
