"""Corpus overview summaries on the real seed build."""

from __future__ import annotations

import pandas as pd

from compare.report import overview


def test_document_summary_one_row_per_document(tables):
    docs, passages, repairs = tables["documents"], tables["passages"], tables["repairs"]
    s = overview.document_summary(docs, passages=passages, sentences=tables["sentences"], repairs=repairs)
    assert list(s["doc_id"]) == list(docs["doc_id"])
    assert (
        s["chars_removed"] == (docs["n_chars_raw"] - docs["n_chars_clean"]).clip(lower=0).to_numpy()
    ).all()
    assert (
        s["n_passages"].to_numpy() == passages.groupby("doc_id").size().reindex(s["doc_id"]).to_numpy()
    ).all()
    assert s["n_repairs"].sum() == len(repairs)
    assert {"泰州(江苏)", "台州(浙江)"} <= set(s["city_label"])
    for r in s.itertuples():
        d = docs.set_index("doc_id").loc[r.doc_id]
        assert str(d["period_start"]) in r.period and str(d["period_end"]) in r.period


def test_passages_by_kind_counts_every_passage(tables):
    kinds = overview.passages_by_kind(tables["passages"])
    per_doc = tables["passages"].groupby("doc_id").size()
    assert dict(zip(kinds["doc_id"], kinds["total"], strict=True)) == per_doc.to_dict()
    assert set(overview.PASSAGE_KINDS) <= set(kinds.columns)
    sub = overview.passages_by_kind(tables["passages"], docs=["ningbo_2023"])
    assert list(sub["doc_id"]) == ["ningbo_2023"]


def test_passages_by_section_partitions_each_document(tables):
    passages = tables["passages"]
    sections = overview.passages_by_section(passages)
    per_doc = sections.groupby("doc_id")["n_passages"].sum()
    assert per_doc.to_dict() == passages.groupby("doc_id").size().to_dict()
    shares = sections.groupby("doc_id")["share_chars"].sum()
    assert ((shares - 1).abs() < 0.01).all()
    # the heading of a top-level section is the heading of the section's own passage, as in the text
    docs = tables["documents"].set_index("doc_id")
    for r in sections[sections["heading"] != ""].itertuples():
        assert r.heading in docs.loc[r.doc_id, "text"]
    assert (sections["section"] == overview.PREAMBLE).groupby(sections["doc_id"]).sum().max() <= 1


def test_repairs_summary_and_examples(tables):
    repairs = tables["repairs"]
    by_rule = overview.repairs_by_rule(repairs)
    assert by_rule["n"].sum() == len(repairs)
    assert set(zip(by_rule["doc_id"], by_rule["rule"], strict=True)) == set(
        zip(repairs["doc_id"], repairs["rule"], strict=True)
    )
    ex = overview.repairs_examples(repairs, per_rule=1)
    assert len(ex) == repairs.groupby(["doc_id", "rule"]).ngroups
    assert overview.repairs_by_rule(repairs.iloc[:0]).empty


def test_document_labels_are_unique_and_keep_provinces_apart(tables):
    docs = tables["documents"]
    labels = overview.document_labels(docs)
    assert len(set(labels.values())) == len(docs)
    assert labels["taizhou_js_2023"] != labels["taizhou_zj_2021"]
    twice = pd.concat([docs, docs.assign(doc_id=docs["doc_id"] + "_b")], ignore_index=True)
    labels2 = overview.document_labels(twice)
    assert len(set(labels2.values())) == len(twice)


def test_select_documents_and_unknown_ids(tables):
    sel = overview.select_documents(tables, ["changzhou_2023"])
    for name, df in sel.items():
        if "doc_id" in df.columns:
            assert set(df["doc_id"]) <= {"changzhou_2023"}, name
    assert len(sel["passages"]) == (tables["passages"]["doc_id"] == "changzhou_2023").sum()
    assert overview.unknown_documents(tables["documents"], ["changzhou_2023", "nope"]) == ["nope"]
    assert overview.select_documents(tables, None).keys() == tables.keys()


def test_docs_for_cities_keeps_taizhou_apart(tables):
    docs = tables["documents"]
    ids, unknown = overview.docs_for_cities(docs, ["泰州", "常州(江苏)", "广州"])
    expected = docs.loc[docs["city"].eq("泰州") | docs["city_label"].eq("常州(江苏)"), "doc_id"]
    assert ids == list(expected) and len(ids) == 2
    assert "taizhou_zj_2021" not in ids  # 台州 is not 泰州
    assert unknown == ["广州"]


def test_corpus_charts_speak_the_readers_language(tables):
    from compare.report.plots import corpus as charts

    labels = overview.document_labels(tables["documents"])
    kinds = overview.passages_by_kind(tables["passages"])
    sections = overview.passages_by_section(tables["passages"])
    summary = overview.document_summary(
        tables["documents"],
        passages=tables["passages"],
        sentences=tables["sentences"],
        repairs=tables["repairs"],
    )
    zh = [
        charts.passages_by_kind_figure(kinds, labels=labels),
        charts.sections_figure(sections, labels=labels),
        charts.document_length_figure(summary, labels=labels),
    ]
    assert [f.layout.title.text for f in zh] == [
        "各规划段落数（按类型）",
        "一级章节（一、二、…）占各规划篇幅的比例",
        "各规划篇幅（字数）",
    ]
    assert {tr.name for tr in zh[0].data} <= {"标题", "条目", "段落", "表格", "责任分工"}
    en = charts.passages_by_kind_figure(kinds, labels=labels, lang="en")
    assert en.layout.title.text == "Passages per document, by kind" and "paragraph" in {
        tr.name for tr in en.data
    }
    fig = charts.document_length_mpl(summary, labels=labels)
    assert fig.axes[0].get_title() == "各规划篇幅（字数）"
