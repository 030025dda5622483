"""Theme codebook and tagger: codebook checks, coding rules, real-corpus tags and validation against hand labels."""

from __future__ import annotations

import re

import pandas as pd
import pytest
import yaml

from compare.core.config import resource_path
from compare.core.schemas import validate
from compare.tagging import codebook as codebook_mod
from compare.tagging import labels as labels_mod
from compare.tagging import matcher, scoring, themes
from compare.text.tokenize import cut
from tests.paths import DATA

LABELS = DATA / "theme_labels.csv"
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
# History (measured micro-F1): codebook v2 (session 1) tune 0.874, then held-out ningbo_2023 0.831 and
# taizhou_zj_2021 0.803. In session 2 (codebook v3) all those 175 labels became tuning data (the notes say which
# were held out before); v3 measured 0.915 on them (macro 0.919). 32 passages were labelled blind in session 2 and
# scored once: v3 micro 0.800 (P 0.94, R 0.70), macro 0.710 (v2: 0.769). In session 3 that blind set was spent and
# became tuning data too (split "tuned"; each note starts "[blind in session 2, scored once: ok|missed ...]");
# 8 of 9 labels flagged as possibly inconsistent were relabelled by the codebook text, and 1 for consistency with
# the v4 decision on university research (notes: "relabelled in session 3"). Codebook v4 on all 207
# labels: micro 0.928 (P 0.909, R 0.948), macro 0.930; v3 on the same labels: micro 0.919, macro 0.922. All labels
# are tuning data now: these figures do not estimate unseen plans (the blind test set lives in tests/data/heldout,
# scored by its own tests). The floors guard the measured level, just below it.
# Codebook v5 (session 4, tuned on the composed set A, see below) on the same 207 labels: micro 0.931 (P 0.908,
# R 0.955), macro 0.932.
MICRO_F1_FLOOR = 0.92
MACRO_F1_FLOOR = 0.92
#: Passages labelled blind in session 2 (history kept in their notes).
FORMER_BLIND_NOTE = "[blind in session 2, scored once: "


@pytest.fixture(scope="module")
def codebook() -> codebook_mod.Codebook:
    return codebook_mod.load_codebook()


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
        codebook_mod.parse_codebook(broken)


# ---------------------------------------------------------------------------------------------- coding rules
@pytest.mark.parametrize(
    "sentence",
    [
        "落实立德树人根本任务，坚持五育并举，办好人民满意的教育。",
        "教育基础建设、经费投入、队伍建设、督导评价等工作机制进一步优化。",
    ],
)
def test_slogans_and_bare_lists_carry_no_theme(sentence):
    assert scoring.tag_sentence(sentence) == []


def test_setting_versus_subject():
    codes = {c for c, _, _ in scoring.tag_sentence("配齐配强幼儿园教师，提高幼儿园教师待遇。")}
    assert "teachers" in codes and "preschool" not in codes
    codes = {c for c, _, _ in scoring.tag_sentence("扩大普惠性幼儿园覆盖面，公办幼儿园在园幼儿占比达到60%。")}
    assert codes == {"preschool"}


def test_construction_adds_the_level_with_its_own_count():
    codes = {c for c, _, _ in scoring.tag_sentence("三年内新建幼儿园60所、小学12所。")}
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
    codes = {c for c, _, _ in scoring.tag_sentence(sentence)}
    assert expected in codes and not_expected not in codes


def test_rural_teachers_get_equity_and_evidence_names_the_rule():
    tags = {c: ev for c, _, ev in scoring.tag_sentence("持续推进乡村骨干教师培育站建设。")}
    assert set(tags) == {"teachers", "equity_rural"}
    assert "rule:rural_teachers" in tags["equity_rural"]
    assert "骨干教师" in tags["teachers"]


def test_taught_subjects_of_staffing_are_a_setting():
    codes = {c for c, _, _ in scoring.tag_sentence("加大中小学体育、艺术等紧缺学科教师补充力度。")}
    assert codes == {"teachers"}


def test_agency_lists_are_masked():
    assert scoring.tag_sentence("（牵头单位：市体育局、市财政局）") == []


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        # rule 3: a level's own term that modifies a cross-cutting measure is only its setting
        ("加大公办园全额拨款编制教师招聘力度，推行教师备案制管理。", {"teachers"}),
        ("开展存量托育机构消防安全达标整治。", {"safety"}),
        ("逐步构建覆盖学前教育、义务教育、高中教育全学段的质量监测体系。", {"evaluation_supervision"}),
        # ... but not when a predicate separates two measures
        ("推进县域义务教育优质均衡发展和城乡一体化。", {"compulsory", "equity_rural"}),
        # rule 5: a subject's reform pilot is that subject's
        ("扩大学校体育综合改革试点县和试点高校范围。", {"health_sports"}),
        # one phrase matched by two overlapping level names (中等职业 + 职业教育) is one mention
        ("各地区要建立幼儿园、普通高中和中等职业教育收费动态调整机制。", set()),
        # slogans (rule 1)
        ("推进高校治理体系和治理能力现代化。", set()),
    ],
)
def test_setting_reform_and_slogan_rules(sentence, expected):
    assert {c for c, _, _ in scoring.tag_sentence(sentence)} == expected


def test_absorption_is_scoped_and_conditional():
    # teacher pay absorbs funding words only in the clause that names the teachers (rule 9)
    tags = {
        c: ev for c, _, ev in scoring.tag_sentence("设立硕士学位点申建专项资金，用好高层次人才专用编制。")
    }
    assert {"funding", "teachers"} <= set(tags)
    tags = {c: ev for c, _, ev in scoring.tag_sentence("加大公办园全额拨款编制教师招聘力度。")}
    assert "funding" not in tags and "rule:teacher_pay_absorbed" not in tags["teachers"]
    # accountability for safety incidents stays with safety
    assert {c for c, _, _ in scoring.tag_sentence("建立校园安全事故追责问责机制。")} == {"safety"}
    # merging rural schools is layout (rule 4); building them up is equity
    assert {c for c, _, _ in scoring.tag_sentence("有序推进部分农村小规模学校整合，优化学校布局。")} == {
        "school_supply"
    }
    assert "equity_rural" in {c for c, _, _ in scoring.tag_sentence("持续推进乡村小规模学校建设。")}


def test_enumeration_after_a_verb_is_still_a_bare_list():
    spans = matcher.bare_list_spans(
        "推动课后服务与体育、美育、劳动教育有效衔接", min_items=3, max_item_chars=8
    )
    assert spans and spans[0][0] >= len("推动课后服务")  # the verb phrase is not part of the list
    codes = {c for c, _, _ in scoring.tag_sentence("推动课后服务与体育、美育、劳动教育有效衔接。")}
    assert "burden_reduction" in codes and "health_sports" not in codes


def test_overall_goal_paragraph_keeps_only_quantified_sentences():
    passages = pd.DataFrame(
        {
            "doc_id": ["d"] * 3,
            "passage_id": ["d/p1", "d/p2", "d/p3"],
            "section_path": ["一", "一/（一）", "一/（一）"],
            "heading": ["一、主要任务", "（一）总体目标", "（一）总体目标"],
            "kind": ["heading", "heading", "paragraph"],
            "text": ["一、主要任务", "（一）总体目标", "x"],
        }
    )
    sentences = pd.DataFrame(
        {
            "doc_id": ["d", "d"],
            "passage_id": ["d/p3", "d/p3"],
            "sentence_id": ["d/s1", "d/s2"],
            "seq": [1, 2],
            "text": [
                "终身教育体系不断完善，教师队伍整体素质明显提高。",
                "公办幼儿园在园幼儿占比达到60%以上。",
            ],
        }
    )
    st = themes.tag_sentences(sentences, passages=passages)
    assert set(st["sentence_id"]) == {"d/s2"} and set(st["theme_code"]) == {"preschool"}
    pt = themes.tag_passages(st, sentences=sentences, passages=passages)
    assert set(pt["theme_code"]) == {"preschool"}


# ---------------------------------------------------------------------------------------------- v3 rules
def _codes(sentence: str) -> set[str]:
    return {c for c, _, _ in scoring.tag_sentence(sentence)}


def test_v3_rule_vocabularies_are_consistent(codebook):
    # structure words belong to no theme (they only count for a level named with them); the terms the
    # qualification and usage rules act on are theme terms, otherwise those rules could never fire
    assert codebook.level_terms and not (codebook.level_terms & set(codebook.term_index))
    assert codebook.qualification_terms <= set(codebook.term_index)
    assert codebook.usage_terms <= set(codebook.term_index)
    assert len(codebook.construction_object_res) == 2
    # private_education is not a school level (codebook rule 3): 民办学校 is its subject term, not a setting
    assert codebook.themes["private_education"].terms["民办学校"] >= codebook.threshold


@pytest.mark.parametrize(
    ("sentence", "expected", "not_expected"),
    [
        # a quoted numeral is a slogan, not a count of schools (rule 4)
        (
            "完善在甬高校“四个融合”党建体系，力争20%的高校建成示范高校。",
            {"party_building"},
            {"school_supply"},
        ),
        # a count after 和 belongs to the next item: 1所…高职院校 is not a university project
        ("培育1所国家“双高”高职院校和10所国家“双优”中职学校。", {"vocational"}, {"higher_education"}),
        # a level named with a full-weight supply term gets its own project (rule 4) ...
        ("制定高中学校基本建设攻坚行动方案。", {"senior_high", "school_supply"}, set()),
        ("优化职业学校布局，改善教学条件。", {"vocational", "school_supply"}, set()),
        # ... and expanding the level's own schools does not make the level a mere setting of school_supply
        ("公办园普惠园扩容计划。", {"preschool", "school_supply"}, set()),
        # a bare construction verb is school building in general: no level
        ("支持地区新建或改扩建中小学及幼儿园。", {"school_supply"}, {"preschool", "compulsory"}),
    ],
)
def test_counts_and_level_projects(sentence, expected, not_expected):
    codes = _codes(sentence)
    assert expected <= codes and not (not_expected & codes)


@pytest.mark.parametrize(
    ("sentence", "built"),
    [
        ("支持特殊儿童较多的县建设特殊教育学校。", True),
        ("加强城镇小区配套幼儿园建设。", True),
        ("加快推进大学校区建设。", True),
        ("推进市级清廉学校建设。", False),
        ("推进智慧校园建设。", False),
        ("加强校园足球特色学校建设。", False),
    ],
)
def test_construction_verb_with_a_school_building_as_object(sentence, built):
    tags = {c: ev for c, _, ev in scoring.tag_sentence(sentence)}
    assert ("school_supply" in tags) is built
    if built:
        assert "construction_object" in tags["school_supply"] or "校区" in tags["school_supply"]


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        # rule 3: the level's own structure (programmes, enrolment, standing) named with the level
        ("进一步深化高校考试招生制度改革。", {"higher_education"}),
        ("中职学校设置新专业不少于15个。", {"vocational"}),
        ("支持高职院校整体办学水平走在全省前列。", {"vocational"}),
        # coordinated levels share it; the level named last before it owns it
        ("协同推动高等学校、职业院校办学层次的提升。", {"higher_education", "vocational"}),
        ("全市高品质示范高中办学质量、录取高校人数位于全省前列。", {"senior_high"}),
        # as the setting of a cross-cutting measure it is not enough
        ("支持高校开展校企合作专业建设。", {"industry_integration"}),
    ],
)
def test_level_structure_terms(sentence, expected):
    assert _codes(sentence) == expected


@pytest.mark.parametrize(
    "sentence",
    ["提高中学教师研究生比例。", "具有研究生学历（含硕士学位）的普通高中教师比例达到20%。"],
)
def test_staff_qualifications_are_not_higher_education(sentence):
    assert "higher_education" not in _codes(sentence)


def test_using_a_platform_is_not_building_one():
    assert "digital" not in _codes("依托研学旅行数字化平台开展活动。")
    tags = {c: ev for c, _, ev in scoring.tag_sentence("依托研学旅行数字化平台，建设教育大脑。")}
    assert "digital" in tags and "rule:platform_use" in tags["digital"] and "教育大脑" in tags["digital"]
    assert "digital" in _codes("打造研学旅行数字化平台。")
    assert "digital" in _codes("构建教师成长数字化档案平台。")


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        # appraisal of party work stays party_building (rule 6)
        ("建立健全党建工作述职评议、督导检查、考核评价机制。", {"party_building"}),
        # teacher evaluation systems stay with teachers (rule 7)
        ("优化教师评价体系，组织教师专业能力测试。", {"teachers"}),
        # budget performance appraisal of new projects is a funding mechanism (rule 9)
        ("建立健全财政资金绩效管理体系，开展新建重大项目事前绩效论证。", {"funding"}),
        # a subject's own system reform is that subject's (rule 5)
        ("深化教育督导体制机制改革。", {"evaluation_supervision"}),
        # the national education policy is a slogan (rule 1)
        ("坚持教育与生产劳动、社会实践相结合。", set()),
        # 民办学校 is private education's subject (codebook: 民办学校, 分类管理) ...
        ("实行非营利性和营利性民办学校分类登记管理制度。", {"private_education"}),
        # ... but only the setting of a party measure there (rule 3)
        ("扩大民办学校的党组织和党的工作覆盖面。", {"party_building"}),
        # a 普惠性民办园 is a preschool provision category (codebook: 普惠性), not a private-school measure
        ("所有城镇小区配套园均委托举办普惠性民办园。", {"preschool"}),
        # stock slogans after a bare list carry no theme (rule 1)
        ("缩小城乡、区域、校际差距，进一步促进教育公平。", set()),
    ],
)
def test_absorption_reform_slogan_and_private_rules(sentence, expected):
    assert _codes(sentence) == expected


def test_review_section_keeps_only_specific_results():
    # rule 2: in a review of past achievements a general trend carries no theme; numbers, named programmes and
    # rankings are specific results. "一、主要成就与赶超指向 / （二）赶超指向" is not a review section.
    passages = pd.DataFrame(
        {
            "doc_id": ["d"] * 5,
            "passage_id": ["d/p1", "d/p2", "d/p3", "d/p4", "d/p5"],
            "section_path": ["一", "一/（一）", "一/（一）/1", "一/（二）", "一/（二）/1"],
            "heading": [
                "一、主要成就与赶超指向",
                "（一）主要成就",
                "区域教育体系构画新面貌",
                "（二）赶超指向",
                "x",
            ],
            "kind": ["heading", "heading", "item", "heading", "item"],
            "text": ["一、主要成就与赶超指向", "（一）主要成就", "x", "（二）赶超指向", "x"],
        }
    )
    texts = {
        "d/s1": ("d/p3", "特殊教育质量稳步提升。"),
        "d/s2": ("d/p3", "“括苍云”平台被列为教育部网络学习空间优秀区域典型。"),
        "d/s3": ("d/p3", "新建幼儿园161所，新增学位4.2万个。"),
        "d/s4": ("d/p5", "义务教育学生生均公用经费水平处于全省后列。"),
    }
    sentences = pd.DataFrame(
        {
            "doc_id": "d",
            "passage_id": [p for p, _ in texts.values()],
            "sentence_id": list(texts),
            "seq": range(1, len(texts) + 1),
            "text": [t for _, t in texts.values()],
        }
    )
    st = themes.tag_sentences(sentences, passages=passages)
    tagged = st.groupby("sentence_id")["theme_code"].apply(set).to_dict()
    assert "d/s1" not in tagged
    assert tagged["d/s2"] == {"digital"}
    assert {"preschool", "school_supply"} <= tagged["d/s3"]
    assert tagged["d/s4"] == {"funding"}


# ---------------------------------------------------------------------------------------------- v4 rules
def test_v4_codebook_version_and_mission_vocabulary(codebook, raw_yaml):
    assert codebook.version >= 4 and "v4" in resource_path("themes.yaml").read_text(encoding="utf-8")
    (mission,) = [m for m in codebook.level_missions if m.name == "university_mission"]
    level = codebook.themes[mission.level]
    assert level.level and mission.actors <= {*level.setting, *level.terms}
    # a student is not an actor of research; research institutes and staff are blockers, not functions
    assert "大学生" not in mission.actors
    assert {"科研院所", "科研人员"} <= codebook.blockers and not (mission.functions & codebook.blockers)
    assert mission.through <= set(codebook.codes) and mission.level not in mission.through


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        ({"level": "teachers"}, "not a level theme"),
        ({"actors": ["高校", "大学生团队"]}, "actors must be names"),
        ({"functions": []}, "needs functions"),
    ],
)
def test_parse_codebook_rejects_a_broken_level_mission(raw_yaml, spec, problem):
    broken = {**raw_yaml, "level_missions": [{**raw_yaml["level_missions"][0], **spec}]}
    with pytest.raises(ValueError, match=problem):
        codebook_mod.parse_codebook(broken)


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        # rule 3, a level's own mission: universities acting on their own transfer / research / disciplines /
        # talent training are higher education, next to the function's cross-cutting theme
        (
            "鼓励在市高校加快科技成果转移转化，服务地方产业升级。",
            {"higher_education", "industry_integration"},
        ),
        ("推动驻地高校开展有组织科研。", {"higher_education"}),
        ("引导本地大学优化人才培养方案。", {"higher_education"}),
        (
            "支持高等学校对接主导产业新设学科专业，深化校企合作。",
            {"higher_education", "industry_integration"},
        ),
        # university researchers serving industry: the social-service function, not only their staffing
        ("健全高校科研人员服务产业评价激励机制。", {"higher_education", "industry_integration"}),
    ],
)
def test_university_mission_makes_higher_education(sentence, expected):
    tags = {c: ev for c, _, ev in scoring.tag_sentence(sentence)}
    assert set(tags) == expected
    assert "rule:university_mission" in tags["higher_education"]


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        # the nearest level before the function owns it: 中职's training model is vocational (v5: vocational_mission),
        # not higher education
        ("中职学校深化人才培养模式改革，与高校开展合作。", {"vocational"}),
        # another measure's term between actor and function: the university is its setting (rule 3)
        ("推动高校美育课程纳入人才培养方案。", {"arts_labour"}),
        ("推进高校拔尖创新人才培养。", {"innovation_talent"}),
        # a university used for another measure is not acting on its own mission
        ("依托高校学科优势开展中小学教师培训。", {"teachers"}),
        # research institutes and research staff are not the research function
        ("鼓励高校、科研院所面向中小学开放实验室。", set()),
        ("推动高校科研人员到中小学兼职。", set()),
        # a function word in a bare enumeration counts half (rule 1)
        ("高等教育办学条件、人才培养质量、服务能力全面提升。", set()),
        # the function must follow the actor in its clause
        ("围绕人才培养推动高校开展合作。", set()),
    ],
)
def test_university_mission_does_not_over_fire(sentence, expected):
    tags = {c: ev for c, _, ev in scoring.tag_sentence(sentence)}
    assert set(tags) == expected
    assert all("university_mission" not in ev for ev in tags.values())


def test_a_programme_enumeration_is_not_a_bare_list():
    # rule 1: a named programme counts; "实施A、B、C工程/计划/行动" names its components
    assert _codes("在普通高中实施强校、名师、强课程计划。") == {"teachers"}
    kw = {"min_items": 3, "max_item_chars": 8, "programme_verbs": ["实施"], "programme_heads": ["计划"]}
    assert matcher.bare_list_spans("在普通高中实施强校、名师、强课程计划", **kw) == []
    # without the verb, or without the programme head, the enumeration stays bare
    assert _codes("名校、名师、名专业等资源进一步丰富。") == set()
    assert _codes("实施名校、名师、名专业等工作。") == set()
    assert matcher.bare_list_spans("实施名校、名师、名专业等工作", **kw) != []


@pytest.mark.parametrize(
    ("sentence", "expected", "rule"),
    [
        # a project phase between a school building and its verb (rule 4)
        ("完成学生宿舍一期建设并投入使用。", {"school_supply"}, "construction_object"),
        # a level named right before the building it builds is its own project (rule 4)
        ("推进市属高校学生宿舍建设。", {"higher_education", "school_supply"}, "level_building"),
        ("启动师范大学校园扩建。", {"higher_education", "school_supply"}, "level_building"),
    ],
)
def test_v4_construction_rules_fire(sentence, expected, rule):
    tags = {c: ev for c, _, ev in scoring.tag_sentence(sentence)}
    assert set(tags) == expected and any(f"rule:{rule}" in ev for ev in tags.values())


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        # a brand keeps its theme with a phase too
        ("推进智慧校园一期建设。", {"digital"}),
        ("推进平安校园二期建设。", {"safety"}),
        # a generic 中小学 is not a level, and 开放大学 is lifelong learning, not a university
        ("推进中小学校舍改造。", {"school_supply"}),
        ("加快开放大学校区建设。", {"lifelong_learning", "school_supply"}),
    ],
)
def test_v4_construction_rules_do_not_over_fire(sentence, expected):
    tags = {c: ev for c, _, ev in scoring.tag_sentence(sentence)}
    assert set(tags) == expected and not any("level_building" in ev for ev in tags.values())


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
    labels = labels_mod.read_labels(LABELS)
    return labels_mod.validate_against_labels(
        tables["theme_tags_passage"], passages=tables["passages"], labels=labels
    )


def test_labels_cover_80_passages_in_all_five_documents_and_are_all_found(tables, validation):
    labels = labels_mod.read_labels(LABELS)
    assert len(labels) >= 80
    assert set(labels["doc_id"]) == set(tables["documents"]["doc_id"])
    # every label is tuning data since session 3; the 32 labelled blind in session 2 keep that history in their note
    assert set(labels["split"]) == {"tuned"}
    former_blind = labels["note"].str.startswith(FORMER_BLIND_NOTE)
    assert former_blind.sum() == 32
    verdicts = labels.loc[former_blind, "note"].str.extract(r"scored once: (ok|missed [^;\]]+)")[0]
    assert verdicts.notna().all() and (verdicts != "ok").sum() == 6
    assert labels["note"].str.contains("relabelled in session 3: ", regex=False).sum() == 9
    assert not labels.duplicated(["doc_id", "snippet"]).any()
    assert validation.attrs["unmatched"] == []
    located = labels_mod.locate_labels(labels, tables["passages"])
    assert not located["passage_id"].duplicated().any()  # no passage labelled twice
    codes = {t for s in labels["themes"] for t in s.split(";") if t}
    assert codes <= set(NOTES_CODES)
    assert validation.attrs["unmatched"] == []


def _f1(validation: pd.DataFrame, split: str, row: str) -> float:
    return float(validation[(validation["split"] == split) & (validation["theme_code"] == row)]["f1"].iloc[0])


def test_prf_table_counts_by_hand():
    t = labels_mod.prf_table(
        [{"a"}, {"a", "b"}, set()], [{"a"}, {"a"}, {"b"}], codes=["a", "b", "c"], labels={}
    )
    a, b = t.set_index("theme_code").loc["a"], t.set_index("theme_code").loc["b"]
    assert (a["tp"], a["fp"], a["fn"], a["f1"]) == (2, 0, 0, 1.0)
    assert (b["tp"], b["fp"], b["fn"], b["f1"]) == (0, 1, 1, 0.0)
    micro = t.set_index("theme_code").loc["micro"]
    assert micro["f1"] == pytest.approx(2 * 2 / (2 * 2 + 1 + 1))
    assert t.set_index("theme_code").loc["macro", "f1"] == pytest.approx(
        0.5
    )  # theme c has no support: left out


def test_validation_on_all_labels_meets_the_goal_and_the_floor(validation):
    # one group: every label is tuning data (see the history above); "all" and "tuned" are the same passages
    assert set(validation["split"]) == {"all", "tuned"}
    assert validation.loc[validation["split"] == "all", "n_passages"].iloc[0] == len(
        labels_mod.read_labels(LABELS)
    )
    assert _f1(validation, "all", "micro") >= max(MICRO_F1_GOAL, MICRO_F1_FLOOR)
    assert _f1(validation, "all", "macro") >= max(MACRO_F1_GOAL, MACRO_F1_FLOOR)
    micro = validation[(validation["split"] == "all") & (validation["theme_code"] == "micro")].iloc[0]
    assert micro["precision"] >= 0.89 and micro["recall"] >= 0.93


def test_higher_education_recall_holds_with_the_university_mission_rule(validation):
    # v3 found 15 of 23 higher_education labels (recall 0.65): university research / transfer passages were missed
    he = validation[(validation["split"] == "all") & (validation["theme_code"] == "higher_education")].iloc[0]
    assert he["recall"] >= 0.85 and he["precision"] >= 0.9


def test_items_under_a_general_section_carry_no_theme(tables):
    # taizhou_zj_2021 三、指导思想与基本理念 / （二）基本理念 / ——德育为先 …: the items' own headings are not general
    passages, pt = tables["passages"], tables["theme_tags_passage"]
    items = passages[
        (passages["doc_id"] == "taizhou_zj_2021") & passages["text"].str.startswith("——德育为先")
    ]
    assert len(items) == 1
    assert scoring.tag_sentence(items["text"].iloc[0]) != []  # the words alone would be tagged
    assert not pt["passage_id"].isin(items["passage_id"]).any()


# ---------------------------------------------------------------------------------------------- v5 rules
# Fixture sentences below are written for these tests (not taken from the seeds or the composed sets).
def test_v5_codebook_version_and_rule_vocabularies(codebook, raw_yaml):
    assert codebook.version == 5 and "v5 (session 4" in resource_path("themes.yaml").read_text(
        encoding="utf-8"
    )
    names = {m.name for m in codebook.level_missions}
    assert names == {"university_mission", "vocational_mission"}
    (voc,) = [m for m in codebook.level_missions if m.name == "vocational_mission"]
    assert voc.actors <= set(codebook.themes["vocational"].setting) and not (
        voc.functions & codebook.blockers
    )
    assert {p.theme for p in codebook.phrases} <= set(codebook.codes)
    # a sense only re-reads theme terms (otherwise it could never fire)
    assert all(s.terms <= set(codebook.term_index) for s in codebook.senses)
    # only level names can be uncountable
    settings = {t for th in codebook.themes.values() for t in th.setting}
    assert codebook.uncountable_settings and codebook.uncountable_settings <= settings


@pytest.mark.parametrize(
    ("section", "spec", "problem"),
    [
        ("phrases", {"name": "x", "theme": "nope", "first": ["纳入"], "second": ["考核"]}, "known theme"),
        ("phrases", {"name": "x", "theme": "teachers", "first": [], "second": ["教师"]}, "both word lists"),
        ("senses", {"name": "x", "terms": ["编制"]}, "cue words"),
    ],
)
def test_parse_codebook_rejects_broken_phrases_and_senses(raw_yaml, section, spec, problem):
    with pytest.raises(ValueError, match=problem):
        codebook_mod.parse_codebook({**raw_yaml, section: [spec]})


@pytest.mark.parametrize(
    ("sentence", "expected", "rule"),
    [
        # rule 8: the plan's implementation put into an appraisal is accountability for the plan
        ("将规划落实情况列入各区政府年度考核。", {"evaluation_supervision"}, "plan_accountability"),
        # rule 7: staffing of subject teachers is a teachers measure (the subject is only its setting)
        ("每所学校配足专职体育教师。", {"teachers"}, "staffing_teachers"),
        # programmes aligned with industry: vocational structure and industry_integration
        (
            "推动职业学校专业设置与区域产业需求相匹配。",
            {"vocational", "industry_integration"},
            "programmes_to_industry",
        ),
        # rule 4: improving the living conditions of schools
        ("改善农村学校食堂和宿舍条件。", {"school_supply"}, "school_conditions"),
    ],
)
def test_v5_phrases_fire(sentence, expected, rule):
    tags = {c: ev for c, _, ev in scoring.tag_sentence(sentence)}
    assert set(tags) == expected and any(f"rule:{rule}" in ev for ev in tags.values())


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        # teacher appraisal stays with teachers (rule 7): the collocation is absorbed like the word
        ("将师德表现纳入教师年度考核。", {"teachers"}),
        # teachers as recipients, not staffed
        ("为教师配备办公电脑。", set()),
        # the two words in different clauses are not a collocation
        ("优化专业设置，支持产业发展。", set()),
        # teachers' own working conditions are not school supply
        ("改善乡村教师工作生活条件。", {"teachers", "equity_rural"}),
    ],
)
def test_v5_phrases_do_not_over_fire(sentence, expected):
    assert _codes(sentence) == expected


@pytest.mark.parametrize(
    ("sentence", "plain", "theme"),
    [
        # passing an assessment is the assessed level's target (rule 2), not a supervision measure
        (
            "力争3个县区通过省级学前教育普及普惠督导评估。",
            "开展省级学前教育普及普惠督导评估。",
            "evaluation_supervision",
        ),
        # 编制 as the verb "draw up a plan" is not a staffing quota
        ("编制全市学校布局专项规划。", "核定全市学校教职工编制。", "teachers"),
        # rule 9: a vague call for more investment is not a funding mechanism
        ("进一步加大教育投入。", "进一步健全教育投入机制。", "funding"),
    ],
)
def test_v5_senses_fire(sentence, plain, theme):
    # the same theme words without the cue are a measure of the theme
    assert theme not in _codes(sentence) and theme in _codes(plain)


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        # supervision used as the means of a measure does not close its clause: it counts
        ("通过专项督导推动政策落实。", {"evaluation_supervision"}),
        # 编制 as a staffing quota
        ("统筹使用教职工编制。", {"teachers"}),
        # a named fund next to more investment is still funding
        ("加大投入，设立学前教育专项资金。", {"funding"}),
    ],
)
def test_v5_senses_do_not_over_fire(sentence, expected):
    assert _codes(sentence) == expected


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        # a count before a field of education counts the noun after it (no school project)
        ("全市建成5个义务教育教研协作区。", set()),
        # a count after it is still the level's own project
        ("全市新增义务教育学位8000个。", {"compulsory", "school_supply"}),
        # schools of a stage are countable
        ("新建3所高中阶段学校。", {"senior_high", "school_supply"}),
        # a level named twice counts with its best weight (its count), not its last mention
        (
            "今后三年新建特殊教育学校1所、普通高中4所，普通高中新增学位3000个。",
            {"senior_high", "special_education", "school_supply"},
        ),
        # ... and a level named twice as a setting stays a setting
        ("加强普通高中教师培训，完善普通高中教师职称评聘。", {"teachers"}),
        # a level name partly overlapping a longer term loses to it (五大学科竞赛 is not 大学)
        ("组织学生参加全国五大学科竞赛。", {"innovation_talent"}),
        # other terms keep partial overlaps: 义务教育质量 + 质量监测
        ("开展义务教育质量监测。", {"evaluation_supervision"}),
        # subjects naming the profile of senior highs are their setting
        ("培育体育、艺术、科技等特色高中5所。", {"senior_high"}),
        ("在特色高中开展体育专项训练。", {"health_sports"}),
    ],
)
def test_v5_counts_overlaps_and_taught_subjects(sentence, expected):
    assert _codes(sentence) == expected


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        # a level's own access rates and curriculum are its structure (rule 3)
        ("义务教育巩固率保持在99%以上。", {"compulsory"}),
        ("落实普通高中课程方案。", {"senior_high"}),
        # ... in a clause of their own they are not the setting of another clause's measure
        ("新增公办学位2万个，高中阶段毛入学率达到95%。", {"school_supply", "senior_high"}),
        # without a level nothing is owned
        ("毛入学率稳步提升。", set()),
        # a level named without its own structure in a later clause stays the setting of the measure
        ("开展劳动实践活动，小学每学年不少于10次。", {"arts_labour"}),
        # quotas of senior-high places allocated to junior high schools are senior high's (rule 3)
        ("将示范高中招生名额分配到区域内初中学校。", {"senior_high"}),
        ("加强初中学校管理。", {"compulsory"}),
        # vocational schools acting on their programme structure (vocational_mission) ...
        ("推动高职院校专业结构与区域主导产业对接。", {"vocational", "industry_integration"}),
        # ... but not as the setting of a cooperation measure, nor when they are used
        ("支持职业学校与企业共建实训基地。", {"industry_integration"}),
        ("依托职业院校专业优势开展社区培训。", set()),
    ],
)
def test_v5_level_structure_and_missions(sentence, expected):
    assert _codes(sentence) == expected


@pytest.mark.parametrize(
    ("sentence", "expected", "not_expected"),
    [
        ("每个县至少办好1所老年大学。", {"lifelong_learning"}, {"higher_education", "school_supply"}),
        ("稳步发展职业本科教育。", {"vocational"}, {"higher_education"}),
        ("幼儿园保教人员配备达标。", {"teachers"}, {"preschool"}),
        ("制定普惠性幼儿园收费标准。", {"funding"}, {"preschool"}),
        ("学校全部达到省定办学标准。", {"school_supply"}, set()),
        ("深化高考综合改革。", {"senior_high"}, {"governance_reform"}),
        ("建设市域产教联合体。", {"vocational", "industry_integration"}, set()),
        ("开设汽修订单班。", {"industry_integration"}, set()),
        ("探索订单式送教下乡。", set(), {"industry_integration"}),
        ("教师培训经费向农村学校倾斜。", {"teachers", "equity_rural"}, set()),
        ("鼓励基金会等社会组织捐资助学。", {"family_society"}, {"funding"}),
        ("深化东西部教育协作。", {"opening_cooperation"}, set()),
        ("开展幼小科学衔接。", {"preschool"}, set()),
        ("实施高校与中学教师互派。", {"teachers"}, {"higher_education"}),
    ],
)
def test_v5_lexicon(sentence, expected, not_expected):
    codes = _codes(sentence)
    assert expected <= codes and not (not_expected & codes)


def test_v5_agency_lines_of_offices_are_masked():
    assert scoring.tag_sentence("（责任科室：体育卫生与艺术教育科）") == []
    tags = {c: ev for c, _, ev in scoring.tag_sentence("推进校园足球普及（责任处室：体卫艺处）。")}
    assert set(tags) == {"health_sports"} and "体卫艺" not in tags["health_sports"]


def _tag(passages: pd.DataFrame, texts: dict[str, tuple[str, str]]) -> dict[str, set[str]]:
    sentences = pd.DataFrame(
        {
            "doc_id": "d",
            "passage_id": [p for p, _ in texts.values()],
            "sentence_id": list(texts),
            "seq": range(1, len(texts) + 1),
            "text": [t for _, t in texts.values()],
        }
    )
    st = themes.tag_sentences(sentences, passages=passages)
    return st.groupby("sentence_id")["theme_code"].apply(set).to_dict()


def test_v5_review_subsections_of_a_general_section_and_shortcomings():
    # rule 2: under "一、发展基础与面临形势" the achievements and shortcomings subsections are reviews (specific results
    # and named lagging indicators count), the trend subsection stays general
    passages = pd.DataFrame(
        {
            "doc_id": ["d"] * 4,
            "passage_id": ["d/p1", "d/p2", "d/p3", "d/p4"],
            "section_path": ["一", "一/（一）", "一/（二）", "一/（三）"],
            "heading": ["一、发展基础与面临形势", "主要成就", "存在的问题", "面临形势"],
            "kind": ["heading", "item", "item", "item"],
            "text": ["一、发展基础与面临形势", "x", "x", "x"],
        }
    )
    tagged = _tag(
        passages,
        {
            "d/s1": ("d/p2", "五年新建幼儿园40所。"),
            "d/s2": ("d/p3", "特殊教育资源配置滞后，专任教师短缺。"),
            "d/s3": ("d/p3", "家庭教育指导服务有待完善。"),
            "d/s4": ("d/p4", "托育服务需求快速增长，普惠性资源短缺。"),
        },
    )
    assert {"preschool", "school_supply"} <= tagged["d/s1"]
    assert tagged["d/s2"] == {"special_education", "teachers"}
    assert "d/s3" not in tagged  # a general trend in a review counts nothing
    assert "d/s4" not in tagged  # the trend section stays general even with a lagging marker


def test_v5_goal_stated_as_complete_is_a_specific_goal():
    passages = pd.DataFrame(
        {
            "doc_id": ["d"] * 2,
            "passage_id": ["d/p1", "d/p2"],
            "section_path": ["一", "一/（一）"],
            "heading": ["一、总体要求", "发展目标"],
            "kind": ["heading", "item"],
            "text": ["一、总体要求", "x"],
        }
    )
    tagged = _tag(
        passages,
        {
            "d/s1": ("d/p2", "职业学校办学条件全部达标。"),
            "d/s2": ("d/p2", "职业教育适应性明显增强，特殊教育质量稳步提升。"),
        },
    )
    assert tagged["d/s1"] == {"vocational", "school_supply"}
    assert "d/s2" not in tagged


# The composed sets A and B (tests/data/composed) are built and scored in tests/test_validation.py.
