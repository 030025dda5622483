"""Theme charts: matplotlib renders with CJK glyphs (no missing-glyph warnings), plotly figures carry the data."""

from __future__ import annotations

import warnings

import matplotlib

matplotlib.use("Agg")

import pytest

from compare.comparison import coverage, distinctive, similarity
from compare.report.plots import themes as charts

LABELS = {"taizhou_js_2023": "泰州(江苏)", "changzhou_2023": "常州"}


@pytest.fixture(scope="module")
def mpl_figures(tables):
    cov = tables["coverage"]
    return {
        "heatmap": charts.heatmap_mpl(cov, doc_labels=LABELS),
        "profile": charts.profile_mpl(cov, doc_labels=LABELS),
        "instruments": charts.instrument_matrix_mpl(tables["theme_instrument"]),
        "strength": charts.strength_bars_mpl(tables["strength_shares"], doc_labels=LABELS),
        "similarity": charts.similarity_mpl(
            similarity.similarity_tokens(tables["tokens"]), doc_labels=LABELS
        ),
        "distinctive": charts.distinctive_terms_mpl(tables["distinctive_terms"], doc_labels=LABELS),
    }


def test_matplotlib_charts_draw_chinese_without_missing_glyphs(mpl_figures, tmp_path):
    for name, fig in mpl_figures.items():
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fig.savefig(tmp_path / f"{name}.png", dpi=60)
        missing = [str(w.message) for w in caught if "missing from font" in str(w.message)]
        assert missing == [], (name, missing[:2])
        assert (tmp_path / f"{name}.png").stat().st_size > 5000


def test_heatmap_has_chinese_theme_labels(mpl_figures, tables):
    ax = mpl_figures["heatmap"].axes[0]
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels[:3] == ["党建引领", "思政德育", "学前教育"] and len(labels) == 25
    assert "泰州(江苏)" in [t.get_text() for t in ax.get_yticklabels()]


def test_plotly_heatmap_hover_has_an_example_sentence_per_cell(tables):
    cov = tables["coverage"]
    ex = coverage.example_sentences(tables["theme_tags_sentence"], sentences=tables["sentences"])
    fig = charts.heatmap_plotly(cov, examples=ex, doc_labels=LABELS)
    trace = fig.data[0]
    assert list(trace.x)[:2] == ["党建引领", "思政德育"] and "泰州(江苏)" in trace.y
    assert "例句" in trace.hovertemplate
    first = {(d, t): e for d, t, e in ex.itertuples(index=False)}
    doc = cov["doc_id"].iloc[0]
    cell = trace.customdata[0][0]
    assert cell[3].replace("<br>", "") == first[(doc, "party_building")]
    assert "Noto Sans CJK SC" in fig.layout.font.family


def test_plotly_versions_of_every_chart(tables):
    cov = tables["coverage"]
    figs = [
        charts.profile_plotly(cov),
        charts.instrument_matrix_plotly(tables["theme_instrument"], doc_id="ningbo_2023"),
        charts.strength_bars_plotly(tables["strength_shares"]),
        charts.similarity_plotly(similarity.similarity_profiles(cov)),
        charts.distinctive_terms_plotly(tables["distinctive_terms"]),
    ]
    assert len(figs[0].data) == 5
    assert len(figs[2].data) == 4 and figs[2].data[0].name == "约束性"
    assert all(f.layout.title.text for f in figs)


def test_empty_inputs_give_a_message_figure(tables):
    empty = tables["coverage"].iloc[:0]
    fig = charts.heatmap_plotly(empty)
    assert "没有可显示的数据" in fig.layout.annotations[0].text
    mfig = charts.heatmap_mpl(empty)
    assert "没有可显示的数据" in mfig.axes[0].texts[0].get_text()
    one = distinctive.distinctive_terms(tables["tokens"], docs=["changzhou_2023"])
    assert one.empty and charts.distinctive_terms_mpl(one).axes[0].texts[0].get_text() == one.attrs["message"]


def test_radar_wraps_long_axis_labels_and_hovers_the_full_label(tables):
    fig = charts.profile_plotly(tables["coverage"], doc_labels=LABELS)
    trace = fig.data[0]
    full = list(trace.customdata)
    assert "产教融合与服务发展" in full  # hover names the theme in full
    assert "产教融合<br>与服务发展" in trace.theta  # the axis label is split before 与
    for line in (part for label in trace.theta for part in label.split("<br>")):
        assert len(line) <= 6
    assert [t.replace("<br>", "") for t in trace.theta] == full
