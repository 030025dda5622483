"""Briefing headlines, section tables, escaping and the methods box, on the real seed build."""

from __future__ import annotations

import html

import pandas as pd
import yaml

from compare.core.config import resource_path
from compare.report import briefing, overview
from tests.paths import DATA

LABELS_DIR = DATA
PAIR = ["changzhou_2023", "taizhou_js_2023"]


def test_headlines_are_computed_from_the_tables(tables):
    full = briefing.briefing_tables(tables)
    pair = briefing.briefing_tables(tables, docs=PAIR)
    n = len(tables["documents"])
    assert briefing.corpus_headline(full["summary"]).startswith(f"本简报比较{n}份规划，来自{n}个地区")
    assert briefing.corpus_headline(pair["summary"]).startswith("本简报比较2份规划，来自2个地区")
    assert briefing.corpus_headline(pair["summary"], lang="en").startswith(
        "This briefing compares 2 plans from 2"
    )
    assert briefing.coverage_headline(full["coverage"]) != briefing.coverage_headline(pair["coverage"])
    tl = briefing.timeline_headline(full["timeline"])
    years = (
        full["timeline"].loc[~full["timeline"]["kind"].isin(["plan_period", "recurring"]), "year"].dropna()
    )
    assert f"{int(years.min())}—{int(years.max())}年" in tl
    assert f"{int(years.min())}–{int(years.max())}" in briefing.timeline_headline(full["timeline"], lang="en")
    assert briefing.only_here_headline(pair["only_here"]) != briefing.only_here_headline(full["only_here"])
    assert briefing.corpus_headline(full["summary"].iloc[:0]) == "未选择任何规划。"
    assert briefing.corpus_headline(full["summary"].iloc[:0], lang="en") == "No documents selected."


def test_selection_recomputes_cross_document_tables(tables):
    pair = briefing.briefing_tables(tables, docs=PAIR)
    assert set(pair["coverage"]["doc_id"]) == set(PAIR)
    present = pair["coverage"][pair["coverage"]["n_sentences"] > 0]
    mean = pair["coverage"].groupby("theme_code")["emphasis"].mean()
    assert ((mean[present["theme_code"].unique()] - 1).abs() < 1e-6).all()
    assert set(pair["aligned_indicators"]["doc_id"]) <= set(PAIR)
    assert set(pair["only_here"]["doc_id"]) <= set(PAIR)
    assert set(pair["labels"]["doc_id"]) == set(PAIR)


def test_missing_stage_tables_give_a_message_not_an_error(tables):
    foundation = {k: tables[k] for k in ("documents", "passages", "sentences", "tokens", "repairs")}
    assert "themes stage" in briefing.missing_message(foundation, "coverage", lang="en")
    assert "targets stage" in briefing.missing_message(foundation, "targets", lang="en")
    assert briefing.missing_message(foundation, "strength").startswith("暂无此项")
    assert briefing.missing_message(tables, "coverage") is None
    bt = briefing.briefing_tables(foundation)
    assert (
        "coverage" not in bt
        and "aligned_indicators" not in bt
        and len(bt["summary"]) == len(tables["documents"])
    )


def test_html_snippets_escape_document_text():
    payload = '<script>alert(1)</script><img src=x onerror="alert(2)">'
    assert "<script>" not in briefing.headline_html(payload)
    assert html.escape(payload) in briefing.note_html(payload)
    page = briefing.table_html(pd.DataFrame({"quote": [payload]}), caption=payload)
    assert "<script>" not in page and "<img" not in page and "&lt;script&gt;" in page


def test_chart_hovers_escape_document_text(tables):
    """Charts escape document text themselves (wrapped first, so no entity is cut): markup shows as text."""
    from compare.report.plots import targets as target_charts
    from compare.report.plots import themes as theme_charts

    payload = '<script>alert(1)</script><img src=x onerror="alert(2)">'
    cov = tables["coverage"]
    first = cov[cov["n_sentences"] > 0].iloc[0]
    examples = pd.DataFrame(
        {"doc_id": [first["doc_id"]], "theme_code": [first["theme_code"]], "example": [payload]}
    )
    heat = theme_charts.heatmap_plotly(cov, examples=examples)
    cells = " ".join(str(c[3]) for row in heat.data[0].customdata for c in row)
    assert "<script" not in cells and "<img" not in cells and "&lt;script&gt;" in cells
    aligned = tables["aligned_indicators"].query("unit == '%'").copy()
    aligned["quote"] = payload
    fig = target_charts.aligned_dot_plot(aligned, backend="plotly")
    hovers = " ".join(str(h) for tr in fig.data for h in (tr.hovertext or []))
    assert "<script" not in hovers and "<img" not in hovers and "&lt;script&gt;" in hovers


def test_methods_box_reports_versions_validation_and_provenance(tables, built):
    info = briefing.load_build_info(built.out_dir)
    versions = briefing.resource_versions()
    themes_version = yaml.safe_load(resource_path("themes.yaml").read_text(encoding="utf-8"))["version"]
    assert versions.set_index("file").loc["themes.yaml", "version"] == str(themes_version)
    validation = briefing.validation_figures(tables, labels_dir=LABELS_DIR, lang="en")
    assert len(validation) and validation["precision"].between(0, 1).all()
    # the composed validation sets are built and scored too, each with its status
    scopes = list(validation["scope"])
    assert any("set a (tuned" in s for s in scopes)
    assert any("set b (blind" in s for s in scopes)
    assert "message" in briefing.validation_figures(tables, labels_dir=None).attrs
    prov = briefing.provenance_table(info)
    assert set(prov["sha256"]) == set(tables["documents"]["source_sha256"])
    box = briefing.methods_box_html(
        build_info=info, versions=versions, validation=validation, provenance=prov
    )
    for sha in prov["sha256"]:
        assert sha in box
    assert info["built_at"].replace("T", " ")[:19] in box and "pandas" in box


def test_document_labels_feed_the_headlines(tables):
    labels = overview.document_labels(tables["documents"])
    full = briefing.briefing_tables(tables)
    head = briefing.only_here_headline(full["only_here"], labels=labels)
    top = full["only_here"].groupby("doc_id").size().idxmax()
    assert labels[top] in head
