"""Theme codebook and tagger: codebook checks, coding rules, real-corpus tags and validation against hand labels."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

from compare import themes
from compare.config import resource_path
from compare.schemas import validate
from compare.tokenize import cut

LABELS = Path(__file__).parent / "data" / "theme_labels.csv"
NOTES_CODES = [
    "party_building",
    "moral_education",
    "preschool",
    "compulsory",
    "senior_high",
    "vocational",
    "higher_education",
    "special_education",
    "lifelong_learning",
    "private_education",
    "teachers",
    "health_sports",
    "arts_labour",
    "innovation_talent",
    "digital",
    "school_supply",
    "funding",
    "evaluation_supervision",
    "governance_reform",
    "industry_integration",
    "equity_rural",
    "family_society",
    "safety",
    "opening_cooperation",
    "burden_reduction",
]
# Goals of the issue (micro-F1 >= 0.85, macro-F1 >= 0.75, on the sample and on held-out passages).
MICRO_F1_GOAL = 0.85
MACRO_F1_GOAL = 0.75
# The micro goal is NOT reached (codebook v1 measured micro-F1 0.82 on the tuned sample, 0.83 on the held-out
# ningbo_2023, precision ~0.76 being the weak side). These floors are regression guards at the measured level,
# stated openly, not the goal; raise them when the tagger improves.
MICRO_F1_FLOOR = 0.80


@pytest.fixture(scope="module")
def codebook() -> themes.Codebook:
    return themes.load_codebook()


@pytest.fixture(scope="module")
def raw_yaml() -> dict:
    return yaml.safe_load(resource_path("themes.yaml").read_text(encoding="utf-8"))


# ---------------------------------------------------------------------------------------------- codebook
def test_codebook_has_the_25_codes_with_chinese_labels_and_terms(codebook):
    assert codebook.codes == NOTES_CODES
    for code, theme in codebook.themes.items():
        assert re.fullmatch(r"[\u4e00-\u9fff与]+", theme.label), code
        assert theme.terms, f"{code} has no terms"
        assert all(w > 0 for w in theme.terms.values())
        assert any(w >= codebook.threshold for w in theme.terms.values()), (
            f"{code} has no term strong enough alone"
        )


def test_no_term_claimed_by_two_themes_unless_declared(codebook):
    shared = {t: sorted(c) for t, c in codebook.claims().items() if len(c) > 1}
    declared = {t: sorted(c) for t, c in codebook.overlaps.items()}
    assert shared == declared


def test_blockers_are_not_theme_terms(codebook):
    assert not (set(codebook.blockers) & set(codebook.term_index))


def test_yaml_keys_are_unique_within_each_theme(raw_yaml):
    # yaml silently keeps the last of two equal keys: count the raw lines of each theme's term block
    text = resource_path("themes.yaml").read_text(encoding="utf-8")
    seen: dict[tuple[str, str], int] = {}
    theme = None
    for line in text.splitlines():
        m = re.match(r"^  ([a-z_]+):$", line)
        if m:
            theme = m.group(1)
        m = re.match(r"^      ([^:#]+): [0-9.]+$", line)
        if m and theme:
            key = (theme, m.group(1))
            seen[key] = seen.get(key, 0) + 1
    assert seen and not [k for k, n in seen.items() if n > 1]


def test_terms_that_jieba_splits_still_match(codebook):
    terms = [t for t in codebook.term_index if len(t) > 1]
    split = [t for t in terms if len(cut(f"全面推进{t}工作。")) > 0 and t not in cut(f"全面推进{t}工作。")]
    assert len(split) > 20, "the check must cover terms the tokenizer splits"
    for term in terms:
        hits = [h.term for h in codebook.matcher.find(f"全面推进{term}工作。")]
        assert any(term in h for h in hits), term


def test_parse_codebook_rejects_a_theme_without_terms(raw_yaml):
    broken = {**raw_yaml, "themes": {**raw_yaml["themes"], "empty": {"label": "空"}}}
    with pytest.raises(ValueError, match="no terms"):
        themes.parse_codebook(broken)


# ---------------------------------------------------------------------------------------------- coding rules
@pytest.mark.parametrize(
    "sentence",
    [
        "落实立德树人根本任务，坚持五育并举，办好人民满意的教育。",
        "教育基础建设、经费投入、队伍建设、督导评价等工作机制进一步优化。",
    ],
)
def test_slogans_and_bare_lists_carry_no_theme(sentence):
    assert themes.tag_sentence(sentence) == []


def test_setting_versus_subject():
    codes = {c for c, _, _ in themes.tag_sentence("配齐配强幼儿园教师，提高幼儿园教师待遇。")}
    assert "teachers" in codes and "preschool" not in codes
    codes = {c for c, _, _ in themes.tag_sentence("扩大普惠性幼儿园覆盖面，公办幼儿园在园幼儿占比达到60%。")}
    assert codes == {"preschool"}


def test_construction_adds_the_level_with_its_own_count():
    codes = {c for c, _, _ in themes.tag_sentence("三年内新建幼儿园60所、小学12所。")}
    assert {"school_supply", "preschool", "compulsory"} <= codes


@pytest.mark.parametrize(
    ("sentence", "expected", "not_expected"),
    [
        ("大力推进法治教育实践基地建设。", "moral_education", "governance_reform"),
        ("加强专门学校建设和专门教育工作。", "safety", "moral_education"),
        ("推进教共体建设，县域内融合型教共体占比不低于60%。", "compulsory", "governance_reform"),
        ("加强学生心理健康教育，建设心理辅导中心。", "health_sports", "moral_education"),
    ],
)
def test_single_code_mappings(sentence, expected, not_expected):
    codes = {c for c, _, _ in themes.tag_sentence(sentence)}
    assert expected in codes and not_expected not in codes


def test_rural_teachers_get_equity_and_evidence_names_the_rule():
    tags = {c: ev for c, _, ev in themes.tag_sentence("持续推进乡村骨干教师培育站建设。")}
    assert set(tags) == {"teachers", "equity_rural"}
    assert "rule:rural_teachers" in tags["equity_rural"]
    assert "骨干教师" in tags["teachers"]


def test_taught_subjects_of_staffing_are_a_setting():
    codes = {c for c, _, _ in themes.tag_sentence("加大中小学体育、艺术等紧缺学科教师补充力度。")}
    assert codes == {"teachers"}


def test_agency_lists_are_masked():
    assert themes.tag_sentence("（牵头单位：市体育局、市财政局）") == []


# ---------------------------------------------------------------------------------------------- real corpus
def test_real_tags_validate_and_carry_evidence(tables):
    st, pt = tables["theme_tags_sentence"], tables["theme_tags_passage"]
    validate(st, "theme_tags_sentence")
    validate(pt, "theme_tags_passage")
    assert set(st["doc_id"]) == set(tables["documents"]["doc_id"])
    assert (st["evidence"].str.len() > 0).all() and (st["score"] >= 1.0).all()
    assert set(st["theme_code"]) <= set(NOTES_CODES)


def test_every_tagged_passage_has_exactly_one_primary_theme(tables):
    pt = tables["theme_tags_passage"]
    per = pt.groupby("passage_id")["is_primary"].sum()
    assert (per == 1).all()
    assert set(pt.loc[pt["is_primary"], "primary_rule"]) <= {"heading", "most_measures", "first_mentioned"}


def test_primary_theme_follows_the_item_heading(tables):
    pt, passages = tables["theme_tags_passage"], tables["passages"]
    pid = passages.loc[passages["text"].str.contains("推进普通高中优质特色发展"), "passage_id"].iloc[0]
    row = pt[(pt["passage_id"] == pid) & pt["is_primary"]].iloc[0]
    assert (row["theme_code"], row["primary_rule"]) == ("senior_high", "heading")


def test_responsibility_lines_and_general_sections_are_not_tagged(tables):
    passages, st = tables["passages"], tables["theme_tags_sentence"]
    skipped = passages.loc[passages["kind"] == "responsibility", "passage_id"]
    assert len(skipped) > 0 and not st["passage_id"].isin(skipped).any()
    general = passages.loc[passages["heading"].fillna("").str.contains("指导思想"), "passage_id"]
    assert len(general) > 0 and not st["passage_id"].isin(general).any()


def test_tfidf_second_opinion_is_separate_from_the_tags(tables):
    sug, pt = tables["theme_suggestions"], tables["theme_tags_passage"]
    validate(sug, "theme_suggestions")
    assert not sug["passage_id"].isin(pt["passage_id"]).any()
    assert sug["nearest_passage_id"].isin(pt["passage_id"]).all()
    assert ((sug["similarity"] >= 0.15) & (sug["similarity"] <= 1.0)).all()


def test_tagging_empty_input_gives_empty_tables():
    empty = themes.tag_sentences(pd.DataFrame(columns=["doc_id", "passage_id", "sentence_id", "text"]))
    assert empty.empty and list(empty.columns) == themes.THEME_TAGS_SENTENCE.names
    assert themes.tag_passages(empty, sentences=empty, passages=pd.DataFrame()).empty


# ---------------------------------------------------------------------------------------------- validation
@pytest.fixture(scope="module")
def validation(tables) -> pd.DataFrame:
    labels = themes.read_labels(LABELS)
    return themes.validate_against_labels(
        tables["theme_tags_passage"], passages=tables["passages"], labels=labels
    )


def test_labels_cover_80_passages_in_all_five_documents_and_are_all_found(tables, validation):
    labels = themes.read_labels(LABELS)
    assert len(labels) >= 80
    assert set(labels["doc_id"]) == set(tables["documents"]["doc_id"])
    assert set(labels["split"]) == {"tune", "heldout"}
    codes = {t for s in labels["themes"] for t in s.split(";") if t}
    assert codes <= set(NOTES_CODES)
    assert validation.attrs["unmatched"] == []


def _f1(validation: pd.DataFrame, split: str, row: str) -> float:
    return float(validation[(validation["split"] == split) & (validation["theme_code"] == row)]["f1"].iloc[0])


def test_prf_table_counts_by_hand():
    t = themes.prf_table([{"a"}, {"a", "b"}, set()], [{"a"}, {"a"}, {"b"}], codes=["a", "b", "c"], labels={})
    a, b = t.set_index("theme_code").loc["a"], t.set_index("theme_code").loc["b"]
    assert (a["tp"], a["fp"], a["fn"], a["f1"]) == (2, 0, 0, 1.0)
    assert (b["tp"], b["fp"], b["fn"], b["f1"]) == (0, 1, 1, 0.0)
    micro = t.set_index("theme_code").loc["micro"]
    assert micro["f1"] == pytest.approx(2 * 2 / (2 * 2 + 1 + 1))
    assert t.set_index("theme_code").loc["macro", "f1"] == pytest.approx(
        0.5
    )  # theme c has no support: left out


@pytest.mark.parametrize("split", ["tune", "heldout", "all"])
def test_validation_macro_f1_meets_the_goal(validation, split):
    assert _f1(validation, split, "macro") >= MACRO_F1_GOAL


@pytest.mark.parametrize("split", ["tune", "heldout", "all"])
def test_validation_micro_f1_floor(validation, split):
    # goal MICRO_F1_GOAL not reached yet; guard the measured level (see the constants above)
    assert _f1(validation, split, "micro") >= MICRO_F1_FLOOR


def test_items_under_a_general_section_carry_no_theme(tables):
    # taizhou_zj_2021 三、指导思想与基本理念 / （二）基本理念 / ——德育为先 …: the items' own headings are not general
    passages, pt = tables["passages"], tables["theme_tags_passage"]
    items = passages[
        (passages["doc_id"] == "taizhou_zj_2021") & passages["text"].str.startswith("——德育为先")
    ]
    assert len(items) == 1
    assert themes.tag_sentence(items["text"].iloc[0]) != []  # the words alone would be tagged
    assert not pt["passage_id"].isin(items["passage_id"]).any()
