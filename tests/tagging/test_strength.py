"""Commitment strength from degree words."""

from __future__ import annotations

import pytest
import yaml

from compare.core.config import resource_path
from compare.core.schemas import validate
from compare.tagging import strength


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("确保公办园全额拨款编制教师占比只增不减。", "binding"),
        ("力争入选新一轮国家“双高计划”高职院3所。", "aspirational"),
        ("鼓励有条件的地区和幼儿园探索幼托一体服务模式。", "exploratory"),
        ("办好泰州开放大学。", "none"),
        ("扩大联合培养研究生招生规模。", "none"),  # 研究生 is not 研究
    ],
)
def test_sentence_strength(sentence, expected):
    assert strength.strength_of(sentence)[0] == expected


def test_tie_goes_to_the_stronger_class():
    label, counts, evidence = strength.strength_of("积极探索，确保落实。")
    assert counts == {"binding": 1, "aspirational": 1, "exploratory": 1}
    assert label == "binding"
    assert "确保(binding)" in evidence


def test_issue_degree_words_are_in_their_class():
    lex = strength.load_strength()
    for cls, words in {
        "binding": ["确保", "必须", "全面", "严格", "全部", "实现"],
        "aspirational": ["力争", "争取", "努力", "逐步", "积极"],
        "exploratory": ["探索", "鼓励", "支持", "试点", "研究"],
    }.items():
        assert all(lex.index[w] == cls for w in words)


def test_a_word_in_two_classes_is_rejected():
    data = yaml.safe_load(resource_path("strength.yaml").read_text(encoding="utf-8"))
    data["classes"]["exploratory"].append("确保")
    with pytest.raises(ValueError, match="确保"):
        strength.parse_strength(data)


def test_real_strength_table_and_shares(tables):
    sg, shares = tables["strength"], tables["strength_shares"]
    validate(sg, "strength")
    validate(shares, "strength_shares")
    assert set(sg["strength"]) == {"binding", "aspirational", "exploratory", "none"}
    overall = shares[shares["theme_code"] == "_all"]
    sums = overall.groupby("doc_id")["share"].sum()
    assert sums.round(9).eq(1.0).all() and len(sums) == 5
    doc = sg["doc_id"].iloc[0]
    n_binding = int((sg[sg["doc_id"] == doc]["strength"] == "binding").sum())
    row = overall[(overall["doc_id"] == doc) & (overall["strength"] == "binding")].iloc[0]
    assert row["n_sentences"] == n_binding


def test_shares_of_empty_selection(tables):
    assert strength.strength_shares(tables["strength"], docs=[]).empty
    assert strength.strength_shares(tables["strength"].iloc[:0]).empty
