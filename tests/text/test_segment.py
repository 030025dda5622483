"""Passages and sentences on the real seeds, plus fixtures for the splitting rules."""

from __future__ import annotations

import pytest

from compare.text.segment import find_table_blocks, sentence_spans, split_passages, split_sentences


@pytest.fixture(scope="module")
def passages(cleaned):
    return {
        doc_id: split_passages(r.text, doc_id=doc_id, text_original=r.text_original, source_sha256="x")
        for doc_id, r in cleaned.items()
    }


def test_offsets_index_both_texts(cleaned, passages):
    for doc_id, p in passages.items():
        r = cleaned[doc_id]
        for row in p.itertuples():
            assert r.text[row.start : row.end] == row.text
            assert r.text_original[row.start : row.end] == row.text_original
        assert p["passage_id"].is_unique
        assert (p["start"].diff().dropna() > 0).all()


def test_heading_hierarchy_section_paths(passages):
    p = passages["taizhou_js_2023"]
    row = p[p["section_path"] == "二/（三）/9"].iloc[0]
    assert row["kind"] == "item"
    assert row["heading"] == "推进义务教育优质均衡发展"
    head = p[(p["section_path"] == "二/（三）") & (p["kind"] == "heading")].iloc[0]
    assert head["heading"] == "内涵质量提升行动"
    assert set(p["kind"]) >= {"heading", "item", "paragraph", "responsibility"}


def test_responsibility_lines_own_passages(passages):
    js = passages["taizhou_js_2023"]
    resp = js[js["kind"] == "responsibility"]
    assert len(resp) >= 15 and resp["text"].str.startswith("责任单位").all()
    cz = passages["changzhou_2023"]
    trailing = cz[cz["kind"] == "responsibility"]
    assert len(trailing) >= 15
    assert trailing["text"].str.contains("牵头单位").all()
    # the item text before it no longer carries the responsibility parenthesis
    items = cz[cz["kind"] == "item"]
    assert not items["text"].str.contains("牵头单位：").any()


def test_paragraph_leads_of_web_version(passages):
    p = passages["taizhou_zj_2021"]
    row = p[p["heading"] == "倾力培育先进理念"].iloc[0]
    assert row["section_path"] == "五/（一）/1" and row["kind"] == "item"


def test_flattened_indicator_table_is_one_block(passages):
    p = passages["taizhou_zj_2021"]
    tables = p[p["kind"] == "table"]
    assert len(tables) == 1
    block = tables.iloc[0]["text"]
    assert block.startswith("“十四五”期间台州教育发展的主要指标及预期")
    for cell in ("约束性", "预期性", "8250", "40.92/", ">60/>95", "幼儿园在园人数（万人）"):
        assert cell in block
    prose = p[p["kind"] != "table"]
    assert not prose["text"].str.contains("8250").any()
    assert "五、主要任务" in p["text"].tolist()


def test_table_detection_needs_numbers():
    lines = [
        "领域",
        "主要目标",
        "2020年",
        "2025年",
        "指标属性",
        "在园人数",
        "19.2",
        "19",
        "预期性",
        "学位数",
        "12",
        "15",
    ]
    assert find_table_blocks(lines) == [(0, len(lines) - 1)]
    words = [
        "总体要求",
        "指导思想",
        "基本原则",
        "发展目标",
        "主要任务",
        "保障措施",
        "组织领导",
        "经费保障",
        "督导评估",
    ]
    assert find_table_blocks(words) == []


def test_scraped_document_gets_structure(passages):
    p = passages["unnamed_province_2023"]
    paths = set(p["section_path"])
    assert {"三/（一）/1", "三/（八）/25", "四/（三）"} <= paths


@pytest.mark.parametrize(
    "text, expected",
    [
        ("建设7.6万个学位。提高到2.0版本！", ["建设7.6万个学位。", "提高到2.0版本！"]),
        ("他说：“要办好教育。要落实。”随后散会。", ["他说：“要办好教育。要落实。”随后散会。"]),
        ("加强（含民办。）学校管理；完善制度", ["加强（含民办。）学校管理；", "完善制度"]),
        ("第一行\n第二行。", ["第一行", "第二行。"]),
        ("《条例。》出台。", ["《条例。》出台。"]),
    ],
)
def test_sentence_spans(text, expected):
    assert [text[a:b] for a, b in sentence_spans(text)] == expected


def test_unbalanced_quote_does_not_swallow_document():
    text = "“开始" + "加强管理。" * 60
    assert len(sentence_spans(text)) > 20


def test_sentences_cover_passages(passages, cleaned):
    for doc_id, p in passages.items():
        s = split_sentences(p)
        assert s["sentence_id"].is_unique
        r = cleaned[doc_id]
        for row in s.itertuples():
            assert r.text[row.start : row.end] == row.text
        assert set(s["passage_id"]) == set(p["passage_id"])
    s = split_sentences(passages["changzhou_2023"])
    assert s["text"].str.contains("7.6万个").any()
    assert not s["text"].str.endswith("7.").any()


def test_empty_text_gives_empty_tables():
    p = split_passages("", doc_id="empty")
    assert p.empty and list(p.columns)[:2] == ["doc_id", "passage_id"]
    assert split_sentences(p).empty


def test_rows_of_a_form_with_a_quantity_are_not_headings():
    text = "绩效目标表\n（2020年度）\n数量指标农村义务教育学校改造覆盖率100%\n项目按计划完成率100%\n总体目标\n全面改善办学条件。"
    kinds = dict(
        zip(split_passages(text, doc_id="x")["text"], split_passages(text, doc_id="x")["kind"], strict=True)
    )
    assert kinds["项目按计划完成率100%"] == "paragraph"
    assert kinds["数量指标农村义务教育学校改造覆盖率100%"] == "paragraph"
    assert kinds["绩效目标表"] == "heading" and kinds["总体目标"] == "heading"
