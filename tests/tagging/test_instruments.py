"""Policy instruments (Rothwell & Zegveld): lexicon checks, tagging and the theme x instrument matrix."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

from compare.core.config import resource_path
from compare.core.schemas import validate
from compare.tagging import instruments

ISSUE_INSTRUMENTS = {
    "supply": {"资金投入", "基础设施建设", "人才/师资", "信息与技术支持", "公共服务"},
    "environment": {"目标规划", "法规管制", "标准", "评价考核", "策略性措施", "金融税收", "组织领导"},
    "demand": {"政府购买", "服务外包", "试点示范", "对外交流", "招生/市场调节"},
}


@pytest.fixture(scope="module")
def lexicon() -> instruments.InstrumentLexicon:
    return instruments.load_instruments()


def test_lexicon_has_the_issue_instruments_by_category(lexicon):
    got: dict[str, set[str]] = {}
    for inst in lexicon.instruments.values():
        got.setdefault(inst.category, set()).add(inst.label)
        assert inst.terms
    assert got == ISSUE_INSTRUMENTS


def test_no_term_in_two_instruments(lexicon):
    shared = {t: c for t, c in lexicon.index.items() if len(c) > 1}
    assert shared == {}


def test_parse_rejects_unknown_category():
    data = yaml.safe_load(resource_path("instruments.yaml").read_text(encoding="utf-8"))
    data["instruments"]["funding_input"]["category"] = "other"
    with pytest.raises(ValueError, match="unknown category"):
        instruments.parse_instruments(data)


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("设立硕士学位点申建专项资金。", "funding_input"),
        ("采取政府购买服务、减免租金等方式扶持普惠性民办幼儿园。", "government_procurement"),
        ("支持第三方机构开展评估。", "outsourcing"),
        ("建成省级中小学实验教学改革示范实验区2-3个。", "pilot_demonstration"),
        ("将考核结果作为审批学校新增专业的重要依据，落实问责制度。", "evaluation_assessment"),
        ("出台《常州市劳动教育促进条例》。", "regulation"),
    ],
)
def test_sentence_instruments(sentence, expected):
    codes = {c for c, _, _ in instruments.instruments_of(sentence)}
    assert expected in codes


def test_blockers_keep_graduate_students_out_of_infrastructure(lexicon):
    assert instruments.instruments_of("扩大研究生招生规模。")[0][0] == "enrolment_market"


def test_real_instrument_tags(tables):
    it = tables["instrument_tags"]
    validate(it, "instrument_tags")
    assert set(it["category"]) == {"supply", "environment", "demand"}
    assert set(it["doc_id"]) == set(tables["documents"]["doc_id"])
    assert (it["evidence"].str.len() > 0).all()
    resp = tables["passages"].loc[tables["passages"]["kind"] == "responsibility", "passage_id"]
    assert not it["passage_id"].isin(resp).any()


def test_theme_instrument_matrix_counts_shared_sentences(tables):
    st, it = tables["theme_tags_sentence"], tables["instrument_tags"]
    ti = instruments.theme_instrument_matrix(st, it)
    validate(ti, "theme_instrument")
    row = ti.sort_values("n_sentences").iloc[-1]
    both = set(
        st[(st["doc_id"] == row["doc_id"]) & (st["theme_code"] == row["theme_code"])]["sentence_id"]
    ) & set(it[it["instrument_code"] == row["instrument_code"]]["sentence_id"])
    assert row["n_sentences"] == len(both)
    assert ((ti["share_of_theme"] > 0) & (ti["share_of_theme"] <= 1)).all()
    wide = instruments.instrument_matrix_wide(ti, doc_id=row["doc_id"])
    assert wide.to_numpy().sum() == ti[ti["doc_id"] == row["doc_id"]]["n_sentences"].sum()


def test_matrix_of_empty_or_unselected_input_is_empty(tables):
    empty = instruments.theme_instrument_matrix(
        tables["theme_tags_sentence"].iloc[:0], tables["instrument_tags"]
    )
    assert empty.empty and list(empty.columns) == instruments.THEME_INSTRUMENT.names
    assert instruments.theme_instrument_matrix(
        tables["theme_tags_sentence"], tables["instrument_tags"], docs=["no_such_doc"]
    ).empty
    assert instruments.tag_instruments(
        pd.DataFrame(columns=["doc_id", "passage_id", "sentence_id", "text"])
    ).empty
