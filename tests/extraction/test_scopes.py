"""Governing time scopes: a deadline stated once dates the items below it, and the timeline's dated phrases
across the genre (relative deadlines, 全年, 十四五期间, a period stated again, titles of other documents)."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

from compare.extraction.scopes import issue_year, resolve_deadline
from compare.extraction.sentence_targets import extract_targets
from compare.extraction.timeline import extract_timeline
from compare.text.plan_years import infer_period
from compare.text.segment import split_passages, split_sentences


def doc(text: str, *, period=(None, None), issued=None, doc_id="x") -> dict[str, pd.DataFrame]:
    passages = split_passages(text, doc_id=doc_id, text_original=text)
    sentences = split_sentences(passages)
    documents = pd.DataFrame(
        {
            "doc_id": [doc_id],
            "text": [text],
            "text_original": [text],
            "period_start": pd.array([period[0]], dtype="Int64"),
            "period_end": pd.array([period[1]], dtype="Int64"),
            "issue_date": [issued],
        }
    )
    return {"passages": passages, "sentences": sentences, "documents": documents}


def targets(text: str, **kw) -> pd.DataFrame:
    t = doc(text, **kw)
    out = extract_targets(t["sentences"], documents=t["documents"], passages=t["passages"])
    return out.set_index("number_text")


OPINIONS = """某省教育厅关于加强学校体育工作的实施意见

一、工作目标
到2020年，学校体育办学条件总体达到国家标准。

二、主要任务
（一）保障体育课时。小学1-2年级每周4课时，体育课时不低于总课时的11%。
（二）加强师资配备。配齐体育教师，专职体育教师比例达到90%以上。

三、保障措施
各地要健全经费投入机制。
"""


def test_a_goals_statement_governs_a_document_without_plan_period():
    t = targets(OPINIONS)
    for number in ("11%", "90%"):
        assert t.loc[number, "target_year"] == 2020, number
        assert t.loc[number, "deadline_source"] == "document"
    assert t.loc["90%", "deadline_text"] == "到2020年"
    assert t.loc["11%", "deadline_text"] == "每周"  # a per-period quantity keeps its own time phrase


def test_with_a_plan_period_the_period_is_the_fallback_not_the_goals_year():
    t = targets(OPINIONS.replace("工作目标\n到2020年", "工作目标\n到2022年"), period=(2021, 2025))
    assert (t.loc["90%", "target_year"], t.loc["90%", "deadline_source"]) == (2025, "plan period")


HEADED = """某市教育局2019年工作要点

一、扩大学前教育资源
（一）2019年底前完成以下任务。
1.新建幼儿园12所。
2.普惠性幼儿园覆盖率达到80%。
（二）提升保教质量。
1.培训园长300名。

二、推进义务教育均衡
新建学校5所。
"""


def test_a_heading_deadline_governs_its_list_until_the_next_item_of_its_level():
    t = targets(HEADED)
    assert (t.loc["12", "target_year"], t.loc["12", "deadline_source"]) == (2019, "section")
    assert (t.loc["80%", "target_year"], t.loc["80%", "deadline_source"]) == (2019, "section")
    # the next item of the same level closes the scope: no year is inherited (no plan period either)
    assert t.loc["300", "deadline_source"] != "section"


def test_stages_of_a_goals_statement_govern_with_their_horizon_and_are_flagged():
    text = (
        "某市实施意见\n\n一、目标\n到2020年，全面普及学前教育，到2022年基本实现均衡。"
        "到2035年，建成教育强市。\n\n二、任务\n新建幼儿园12所。\n"
    )
    t = targets(text)
    assert (t.loc["12", "target_year"], t.loc["12", "deadline_text"]) == (2022, "到2022年")  # 2035: a vision
    assert "scope_staged_years" in t.loc["12", "flag"]


def test_conflicting_years_in_a_section_lead_are_flagged_not_merged():
    text = "某市实施意见（2019—2022年）\n\n一、任务\n（一）到2020年完成布局调整，到2022年全部达标。\n1.新建幼儿园12所。\n"
    t = targets(text, period=(2019, 2022))
    assert (t.loc["12", "target_year"], t.loc["12", "deadline_source"]) == (2020, "section")
    assert "scope_conflicting_years" in t.loc["12", "flag"]


def test_relative_deadlines_resolve_from_the_issue_date_or_stay_unresolved():
    text = "某市实施意见\n\n一、目标\n三年内，新建幼儿园12所。\n"
    assert targets(text, issued="2018-05-03").loc["12", "target_year"] == 2021  # the issue year + 3
    unresolved = targets(text)
    assert pd.isna(unresolved.loc["12", "target_year"])
    assert "relative_deadline_unresolved" in unresolved.loc["12", "flag"]
    assert resolve_deadline("三年内完成", period_start=None, period_end=None, issued=None)[0] is None


def test_implausible_deadlines_are_flagged():
    before = targets("某市实施意见\n\n到2016年，新建幼儿园12所。\n", issued="2018年5月")
    assert "deadline_before_issue" in before.loc["12", "flag"]
    far = targets("某市实施意见\n\n到2060年，新建幼儿园12所。\n", issued="2018年5月")
    assert "year_far_future" in far.loc["12", "flag"] and far.loc["12", "target_year"] == 2060


def test_a_scope_that_never_closes_governs_to_the_end_without_crashing():
    text = "某市实施意见\n\n到2020年，完成以下任务：\n" + "".join(
        f"{i}.新建幼儿园{i + 10}所。\n" for i in range(1, 30)
    )
    t = targets(text)
    assert len(t) == 29 and (t["target_year"] == 2020).all()


@pytest.mark.parametrize(
    ("value", "year"),
    [("2018-05-03", 2018), ("2018年5月", 2018), (None, None), (float("nan"), None), ("", None)],
)
def test_issue_year(value, year):
    assert issue_year(value) == year


def timeline(text: str, **kw) -> pd.DataFrame:
    t = doc(text, **kw)
    return extract_timeline(t, documents=t["documents"])


def test_timeline_phrases_across_the_genre():
    text = (
        "某市教育事业发展“十四五”规划（2021—2025年）\n\n"
        "根据《某市国民经济和社会发展第十四个五年规划和二〇三五年远景目标纲要》，制定本规划。规划期为2021—2025年。\n\n"
        "一、主要任务\n"
        "“十四五”期间新建幼儿园10所。三年新建学校5所。生均公用经费达到每生每年800元。每周开展1次活动。\n"
    )
    e = timeline(text, period=(2021, 2025))
    by_text = dict(zip(e["deadline_text"], e["kind"], strict=False))
    years = dict(zip(e["deadline_text"], e["year"], strict=False))
    assert "二〇三五年" not in by_text  # inside the title of another document
    assert years["“十四五”期间"] == 2025
    assert years["三年"] == 2023  # from the plan's start year
    assert by_text["每周"] == "recurring"
    assert "每年" not in by_text  # 每生每年 is a rate, not a duty
    assert (e["kind"] == "plan_period").sum() == 2  # the title, and 规划期为2021—2025年


def test_this_year_in_work_points():
    e = timeline("某市教育局2024年工作要点\n\n全年新增学位1000个。\n", period=(2024, 2024))
    row = e[e["deadline_text"] == "全年"].iloc[0]
    assert (row["kind"], row["year"]) == ("this_year", 2024)


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("每学期举办一届合唱比赛", []),  # a bare Chinese 一 of a frequency is a schedule (a timeline duty)
        ("每年开展一次专项督导", []),
        ("每学期至少组织一次家长培训", [(1.0, "次")]),  # a floor makes it a minimum count
        ("每学期开展1次作业设计专题教研", [(1.0, "次")]),  # an Arabic count is stated as a number
        ("要办好一所达到标准的特殊教育学校", [(1.0, "所")]),
        ("努力建成一支高水平教师队伍", []),  # 一支 (队伍) is an idiom
        ("建设一流学校", []),
        ("省级示范性普通高中由3所增加到5所", [(5.0, "所")]),  # 3 is the baseline
        ("对超过3000人的学校实施分校区管理", []),  # a condition: which schools
        ("20万人口以上的县要办好一所特殊教育学校", [(1.0, "所")]),
        ("建立20对幼小衔接结对园校", [(20.0, "对")]),
        ("全面贯彻党的二十大和二十届二中全会精神", []),
        ("劳动年龄人口平均受教育年限达到11.3年", [(11.3, "年")]),  # years as a level
        ("任教满3年的教师", []),  # years as a condition
        ("学生总体近视率较上年下降1个百分点", [(1.0, "个百分点")]),
        ("全面消除56人以上大班额", []),
        ("普通高中师生比达到1:12.5", [(12.5, "1:x")]),  # a ratio: the level is the x of 1:x
        ("小学、初中生师比分别控制在1:19、1∶13.5以内", [(19.0, "1:x"), (13.5, "1:x")]),
        ("生师比不高于19:1", [(19.0, "x:1")]),
        ("每天8:30前到校", []),  # a time of day: nothing names a ratio
        ("到2021年底在全省16个州（市）全面推开", []),  # every prefecture, not a count to reach
        ("每个集团由1所优质学校牵头", []),  # how a group is built
        ("对学生规模不足100人的村小和教学点核定编制", []),  # a condition: which schools
        ("校长在同一学校连续任职原则上不超过10年", [(10.0, "年")]),  # a cap in years
        ("专业课教师每五年累计到企业实践不少于6个月", [(6.0, "个月")]),
        ("生均公用经费由每生每年6000元提高到8000元以上", [(8000.0, "元")]),  # 6000: the baseline
        ("省级特色学校中农村学校占三分之一以上", [(33.33, "%")]),  # a fraction is a share
        ("新增学位中公办幼儿园学位占一半以上", [(50.0, "%")]),
        ("其中一半用于农村学校", []),  # no bound, no 以上: a word
        ("校际差异系数小学不高于0.50、初中不高于0.45", [(0.5, None), (0.45, None)]),  # coefficients
        ("资源配置7项指标全部达标", []),  # the indicators of a standard, named by their number
        ("按100名学生核定公用经费", []),  # a funding rule
        ("学生在校期间至少修满2个学分", [(2.0, "学分")]),
        ("中小学互联网出口带宽全部达到1000M以上", [(1000.0, "M")]),
        ("艺术教师与学生比例达到1:350，农村学校不低于1:400", [(350.0, "1:x"), (400.0, "1:x")]),
        ("认真学习贯彻党的十八大和十八届四中、五中、六中全会精神", []),  # a party plenum, not a count
    ],
)
def test_genre_forms_of_targets(sentence, expected):
    from compare.extraction.sentence_targets import extract_sentence_targets

    found = extract_sentence_targets(sentence, period_start=2022, period_end=2025)
    assert [(t["value"], t["unit"]) for t in found] == expected


def test_a_table_row_pasted_on_one_line_is_read_as_cells():
    text = (
        "某市教育事业发展“十四五”规划（2021—2025年）\n\n专栏1 主要指标\n"
        "指标名称\u30002020年\u30002025年\u3000指标属性\n"
        "学前三年毛入园率（%）\u300093.5\u300096\u3000预期性\n"
    )
    from compare.extraction.table_targets import extract_table_targets
    from compare.text.clean import clean_text

    t = doc(clean_text(text).text, period=(2021, 2025))  # cleaning puts each cell on its own line

    tab = extract_table_targets(t["passages"], documents=t["documents"])
    row = tab.iloc[0]
    assert (row["value"], row["baseline_value"], row["unit"], row["binding"]) == (96.0, 93.5, "%", "预期性")


def test_more_timeline_phrases():
    text = (
        "某县教育局2025年工作要点\n\n围绕全年重点工作，讲好教育故事。新校区秋季投入使用。"
        "第二中学2025年秋季建成招生。对留县就业的毕业生，三年内给予租房补贴。\n"
    )
    e = timeline(text, period=(2025, 2025))
    got = dict(zip(e["deadline_text"], e["kind"], strict=False))
    assert "全年" not in got  # 全年重点工作 names the year's work, it dates nothing
    assert got.get("秋季") == "this_year" and got.get("2025年秋季") == "deadline"
    assert "三年内" not in got  # how long a benefit lasts, not a deadline


def test_a_work_plan_opening_that_reviews_last_year_is_not_a_target():
    text = (
        "某县教育局2025年教育工作要点\n\n2024年，全县新建学校14所，新增学位7200个。\n\n"
        "一、重点任务\n全年新建学校10所，新增学位5000个。\n"
    )
    t = targets(text, period=(2025, 2025))
    assert set(t.index) == {"10", "5000"}
    e = timeline(text, period=(2025, 2025))
    assert not e["quote"].fillna("").str.contains("2024年").any()


def test_dated_duties_and_dates_to_the_month():
    text = (
        "某市教育事业发展规划（2021—2025年）\n\n一、任务\n"
        "2022年6月底前建成平台。各校于2月底前报送方案。保障学生每天校内体育活动1小时，每月开展一次家访。"
        "生均补助每生每年800元，每月500元生活补贴。2025年开展总结评估。2019年完成了改造。展望2035年，基本实现现代化。\n"
    )
    e = timeline(text, period=(2021, 2025))
    years = dict(zip(e["deadline_text"], e["year"], strict=False))
    kinds = dict(zip(e["deadline_text"], e["kind"], strict=False))
    assert years["2022年6月底前"] == 2022 and kinds["2月底前"] == "this_year"
    assert kinds["每天"] == "recurring" and kinds["每月"] == "recurring"
    assert list(e["deadline_text"]).count("每月") == 1  # 每月500元 is a rate, not a duty
    assert years["2025年"] == 2025 and "2019年" not in years  # a bare year before the plan reports
    assert (kinds["展望2035年"], years["展望2035年"]) == ("vision", 2035)


def test_a_floor_far_before_a_count_still_binds_it():
    from compare.extraction.sentence_targets import extract_sentence_targets

    (t,) = extract_sentence_targets(
        "各级政府主要负责同志每年至少专题研究教师队伍建设工作一次", period_start=None
    )
    assert (t["value"], t["unit"], t["comparator"]) == (1.0, "次", ">=")


def test_a_deadline_of_a_later_clause_does_not_date_an_earlier_number():
    from compare.extraction.sentence_targets import extract_sentence_targets

    found = extract_sentence_targets(
        "严格控制班额，小班25人、大班35人，2023年底前全部消除超大班额；到2024年新建幼儿园3所。",
        period_start=2021,
        period_end=2025,
    )
    years = {t["value"]: t["target_year"] for t in found}
    assert years == {25.0: None, 35.0: None, 3.0: 2024}


def test_a_year_of_the_plans_work_opening_a_clause_dates_it():
    from compare.extraction.sentence_targets import extract_sentence_targets

    found = extract_sentence_targets(
        "2024年新建城区公办幼儿园2所，三年新增学位1800个", period_start=2024, period_end=2026
    )
    # 三年新增… heads its clause: three years from the plan start (2026), not the year of the clause before
    assert [(t["value"], t["target_year"]) for t in found] == [(2.0, 2024), (1800.0, 2026)]
    # outside the plan period a bare year is no deadline (a review, another plan)
    assert (
        extract_sentence_targets("2020年新建幼儿园2所", period_start=2024, period_end=2026)[0]["target_year"]
        is None
    )


def test_a_look_back_paragraph_reports_results_not_targets():
    text = (
        "某省人民政府办公厅关于加强教师队伍建设的实施意见\n\n"
        "近年来，全省教师队伍建设取得积极进展，累计补充特岗教师4.8万名。\n\n"
        "一、基本情况\n2018年，全省专任教师达到42.6万人。\n\n"
        "二、工作目标\n到2022年，本科学历比例达到75%。\n"
    )
    t = targets(text, issued="2019-09-12")
    assert list(t.index) == ["75%"]


def test_an_indicator_table_without_attribute_column_and_phrase_cells():
    from compare.extraction.table_targets import extract_table_targets
    from compare.text.clean import clean_text

    text = (
        "某县教育高质量发展三年行动计划（2024—2026年）\n\n附表：主要指标\n指标\n2023年基数\n2026年目标值\n"
        "学前三年毛入园率（%）\n92.6\n提高到95%以上\n高中阶段毛入学率（%）\n93.5\n力争达到96%左右\n"
        "省级示范高中（所）\n2\n增加至3所及以上\n义务教育巩固率（%）\n98.7\n99\n\n三、重点任务\n新建学校2所。\n"
    )
    t = doc(clean_text(text).text, period=(2024, 2026))
    tab = extract_table_targets(t["passages"], documents=t["documents"])
    got = [(r.value, r.unit, r.comparator, r.baseline_value, r.target_year) for r in tab.itertuples()]
    assert got == [
        (95.0, "%", ">=", 92.6, 2026),
        (96.0, "%", "approx", 93.5, 2026),
        (3.0, "所", ">=", 2.0, 2026),
        (99.0, "%", "=", 98.7, 2026),
    ]
    body = t["documents"].at[0, "text"]
    assert all(
        body[r.number_start : r.number_start + len(r.number_text)] == r.number_text for r in tab.itertuples()
    )


def test_a_table_of_school_level_cells_and_ratios():
    from compare.extraction.table_targets import extract_table_targets
    from compare.text.clean import clean_text

    text = (
        "某区义务教育优质均衡发展实施方案（2023—2027年）\n\n附件：主要指标\n指标\n2022年基数\n2027年目标值\n属性\n"
        "每百名学生拥有高于规定学历教师数（人）\n小学3.8，初中4.6\n小学4.2以上，初中5.3以上\n约束性\n"
        "每百名学生拥有县级以上骨干教师数（人）\n小学0.7，初中0.8\n小学、初中均达到1人以上\n约束性\n"
        "资源配置校际差异系数\n小学0.56，初中0.49\n小学≤0.50，初中≤0.45\n约束性\n"
        "小学生师比\n18.6:1\n控制在17:1以内\n预期性\n"
        "九年义务教育巩固率（%）\n97.3\n稳定在99%以上\n约束性\n"
    )
    t = doc(clean_text(text).text, period=(2023, 2027))
    assert (t["passages"]["kind"] == "table").sum() == 1  # the level cells keep the block a table
    tab = extract_table_targets(t["passages"], documents=t["documents"])
    tab = tab.astype(object).where(tab.notna(), None)
    got = [(r.level, r.value, r.unit, r.comparator, r.baseline_value) for r in tab.itertuples()]
    assert got == [
        ("小学", 4.2, "人", ">=", 3.8),
        ("初中", 5.3, "人", ">=", 4.6),
        (None, 1.0, "人", ">=", None),  # one figure for both levels
        ("小学", 0.5, None, "<=", 0.56),
        ("初中", 0.45, None, "<=", 0.49),
        (None, 17.0, "x:1", "<=", 18.6),
        (None, 99.0, "%", ">=", 97.3),
    ]
    assert set(tab["target_year"]) == {2027} and tab["number_text"].tolist()[-2:] == ["17:1", "99"]


def test_a_review_item_and_the_quarters_of_work_points():
    text = (
        "某省人民政府办公厅关于加强学校美育的实施意见\n\n一、总体要求\n"
        "（一）发展基础。近年来，全省美育取得进展。截至2016年底，建成特色学校286所。\n"
        "（二）主要目标。到2020年，艺术课程开课率达到100%。\n"
    )
    assert list(targets(text, issued="2017-05-01").index) == ["100%"]
    e = timeline(
        "某市教育局2022年工作要点\n\n三季度完成机构治理。从3月起，每月开展检查。\n", period=(2022, 2022)
    )
    got = dict(zip(e["deadline_text"], zip(e["kind"], e["year"], strict=False), strict=False))
    assert got["三季度"] == ("this_year", 2022) and got["从3月起"] == ("start", 2022)


def test_months_of_an_annual_document():
    e = timeline(
        "某市2021年新建学校实施方案\n\n3-4月，开工建设学校6所。9月招生办学。至年底，全部竣工。\n",
        period=(2021, 2021),
    )
    got = dict(zip(e["deadline_text"], zip(e["kind"], e["year"], strict=False), strict=False))
    assert got["3-4月"] == ("this_year", 2021) and got["9月"] == ("this_year", 2021)
    assert got["至年底"] == ("this_year", 2021)


def test_a_progress_sentence_reports_it_does_not_set_targets():
    text = "某市2020年为民办实事项目进展情况\n\n全年新改扩建公办幼儿园20所。截至4月底，已推动开工建设7所，开工率35%。\n"
    assert list(targets(text, period=(2020, 2020)).index) == ["20"]


def test_a_look_back_and_its_bullets_report_results():
    tables = doc(
        "自2016年以来，我市为迎接二孩高峰做了一系列工作。\n"
        "●    五年来，共新建改扩建幼儿园390所。\n"
        "● 普惠性幼儿园达到1290所，占比91.81%。\n"
        "根据今年入园的资源分析，到2022年，财政性学前教育经费比例力争达到7%以上。\n",
        issued="2020-08-28",
    )
    found = extract_targets(tables["sentences"], passages=tables["passages"], documents=tables["documents"])
    assert [(r.value, r.target_year) for r in found.itertuples()] == [(7.0, 2022)]


REPORT = """建设8所学校……未来，某县教育这样干！

01
2020年工作回顾
新改扩建学校16所，新增义务教育公办学位12570个。
02
“十四五”时期任务
引进2所国际学校。
03
2021年重点工作
实现学前三年毛入园率达99%以上，普惠性幼儿园覆盖率达85%以上。
建设1-2所“未来学校”。
编辑：某某
"""


def test_a_heading_naming_a_years_work_governs_its_section():
    t = targets(REPORT)
    assert (t.loc["99%", "target_year"], t.loc["99%", "deadline_source"]) == (2021, "section")
    assert (t.loc["1-2", "target_year"], t.loc["1-2", "deadline_source"]) == (2021, "section")
    assert (t.loc["2", "target_year"], t.loc["2", "deadline_source"]) == (2025, "section")  # “十四五”时期任务
    assert "16" not in t.index  # 2020年工作回顾 is a look back: results, not targets
    events = timeline(REPORT)
    assert {(e.deadline_text, e.year) for e in events.itertuples()} >= {
        ("2021年", 2021),
        ("“十四五”时期任务", 2025),
    }
    assert "2020年" not in set(events["deadline_text"])


NEWS_SUBHEADS = """某区立下5年发展目标
从某区2022年教育工作会议获悉，“十四五”期间，该区计划投入超60亿元，加大教育基础建设投入。
“十四五”期间——
44亿元改扩建33所学校
该区计划投入约44亿元，拟配建及改扩建小学20所。
2022年——
5所学校新增学位7740个
为缓解学位压力，区教育局将加快5所学校扩建工程项目，新增学位7740个。
"""


def test_a_news_subhead_of_the_time_alone_governs_its_section():
    t = targets(NEWS_SUBHEADS)
    # the five-year plan named in the sentence itself: its last year, not the meeting's
    assert t.loc["60亿", ["target_year", "deadline_source"]].tolist() == [2025, "sentence"]
    assert t.loc["20", ["target_year", "deadline_source"]].tolist() == [2025, "section"]
    assert set(t.loc["7740", "target_year"]) == {2022}


def test_a_year_of_work_for_every_place_dates_its_clause():
    text = (
        "某市优化基础教育资源布局三年行动计划（2020—2022年）\n"
        "1、2020-2022年开工新建义务教育学校50所\n"
        "2021年各地开工新建义务教育学校18所，其中：江阴市小学1所。\n"
    )
    t = targets(text, period=(2020, 2022))
    assert t.loc["18", ["target_year", "deadline_source"]].tolist() == [2021, "sentence"]


def test_a_year_right_before_a_future_verb_dates_its_clause():
    t = targets("某市教育惠民工程\n此外，2019年拟新建、改扩建幼儿园18所。\n", period=(2018, 2020))
    assert t.loc["18", ["target_year", "deadline_source"]].tolist() == [2019, "sentence"]


def test_a_news_report_of_one_years_work():
    text = (
        "衡水2022年将完成新改扩建中小学幼儿园\n2022/8/11 来源:不详\n"
        "据悉，年衡水市将完成新改扩建中小学、幼儿园16所。目前，其余2所力争6月份开工建设。预计9月份投用5所。\n"
        "去年，全市建成幼儿园904所。\n"
    )
    t = targets(text, period=(2022, 2022), issued="2022-08-11")
    assert t.loc["16", "target_year"] == 2022 and "904" not in t.index  # 去年，…: a look back
    events = timeline(text, period=(2022, 2022), issued="2022-08-11")
    texts = list(events["deadline_text"])
    assert texts[0] == "2022年" and events.iloc[0]["kind"] == "plan_period"  # the headline's year, once
    assert {"6月份", "9月份"} <= set(texts)


def test_this_year_and_a_year_before_a_place_and_a_future_verb():
    text = (
        "济南市今年将开工新建改扩建中小学校幼儿园55所\n"
        "据刘绍辉介绍，今年济南将开工新建改扩建中小学校幼儿园55所，完工中小学校16所。\n"
        "刘绍辉介绍，2022年，济南教育资源供给持续扩增。开工新建改扩建中小学幼儿园83所。\n"
        "刘绍辉表示，2023年济南将开工新建学校55所，新增学位2.5万个。\n"
    )
    t = targets(text, issued="2023-02-20")
    assert t.loc["16", "target_year"] == 2023 and t.loc["2.5万", "target_year"] == 2023
    assert "83" not in t.index  # the speaker's look back at 2022
    texts = list(timeline(text, issued="2023-02-20")["deadline_text"])
    assert texts.count("今年") == 2 and "2023年" in texts and "2022年" not in texts


def test_a_trend_that_ended_before_the_plan_is_no_deadline_and_a_five_year_plan_duty_is():
    text = "某市学前教育行动计划（2017—2020年）\n经费由2013年的1.44亿元增加到2016年的3.6亿元。\n“十三五”期间，要以……为指导。\n"
    events = timeline(text, period=(2017, 2020))
    assert "到2016年" not in set(events["deadline_text"])
    assert (events["deadline_text"].str.contains("十三五") & (events["year"] == 2020)).any()


def test_a_result_marks_its_clause_up_to_the_list_item_not_the_whole_sentence():
    text = (
        "某市教育局通报\n其中，甲区新建3所、改扩建1所，目前完工4所；乙县新建11所，目前完工10所、在建1所。"
        "全市计划维修改造项目233个，截至10月底，全市开工项目233个，完工项目233个。\n"
    )
    t = targets(text, issued="2018-11-20")
    assert {"3", "1", "11", "233"} <= set(t.index)
    assert not {"4", "10"} & set(t.index)  # 目前完工…, 在建…: results
    assert list(t.index).count("233") == 1  # after 截至10月底 the sentence reports


def test_a_sentence_opening_on_a_past_year_reports_until_a_time_of_its_own():
    text = (
        "今年我市计划新改扩建中小学28所\n"
        "2023年我市共新改扩建幼儿园32所，新增学位9000个。新改扩建中小学28所，新增学位4万个。"
        "今年，市教育局将计划新改扩建中小学28所，新增学位30000个。\n"
    )
    t = targets(text, issued="2024-03-01")
    assert set(t.index) == {"28", "30000"} and (t["target_year"] == 2024).all()


def test_relative_deadlines_of_a_document_without_a_plan_count_from_the_issue_year():
    assert resolve_deadline("三年内完成", period_start=None, period_end=None, issued=2020)[0] == 2023
    assert resolve_deadline("三年内完成", period_start=2023, period_end=2025, issued=2022)[0] == 2025
    events = timeline("某县两会报道\n未来五年，某县将新建一批幼儿园。\n", issued="2021-11-10")
    assert list(events["year"]) == [2026]


def test_periods_of_titles_in_brackets_and_of_a_citys_work_points():
    from compare.extraction.periods import plan_period

    assert plan_period("XX区教育“十四五”发展规划(2021-2025)\n一、指导思想\n")[:2] == (2021, 2025)
    # the title's work points, not the 十三五 a sentence mentions
    assert plan_period("2020年全市教育工作要点\n\n2020年是“十三五”规划收官之年。\n")[:2] == (2020, 2020)


def test_a_start_stated_before_a_relative_deadline_counts_it():
    text = "任城：实施公办幼儿园提质行动\n今年起，任城区将2年新改扩建公办幼儿园20所，增加学位5400个。\n"
    from compare.extraction.scopes import deadlines_in

    found = deadlines_in(text.splitlines()[1], period_start=None, period_end=None, issued=2024)
    assert [(phrase, year) for _, year, phrase, _ in found] == [
        ("今年", 2024),
        ("2年", 2025),
    ]  # 2024 and 2025
    events = timeline(text, issued="2024-04-28")
    assert ("2年", 2025) in {(e.deadline_text, e.year) for e in events.itertuples()}


def test_a_baseline_after_cong_results_and_an_end_of_year_completion():
    text = "某市学前教育\n至2020年，全市公办园从17所增加到60所。今年4月已有16所公办幼儿园开工。新建初中1所，年底主体工程完工。\n"
    t = targets(text, issued="2018-07-27")
    assert "17" not in t.index and "16" not in t.index and {"60", "1"} <= set(t.index)
    assert "年底" in set(timeline(text, issued="2018-07-27")["deadline_text"])


def test_a_sentence_on_progress_today_reports():
    text = "某市为民办实事\n其中甲区新建学校5所。目前，工程正在办理前期手续15所，开工11所，已完工4所。\n"
    assert set(targets(text, period=(2017, 2017)).index) == {"5"}


def test_money_already_transferred_is_a_result():
    t = targets(
        "某省为民实事\n6.5亿元已于2月17日前全部下达到各县级财政；新建食堂400个。\n", period=(2023, 2023)
    )
    assert set(t.index) == {"400"}


def test_more_dated_forms_of_reports_and_annual_lists():
    text = (
        "某县教育基建工作总结与2021年工作计划\n二、2021年教育项目建设计划\n新建项目已主体完工，预计4月份全部竣工。"
        "克期完成 2021 年教育脱贫攻坚目标任务。\n"
    )
    events = timeline(text, period=(2021, 2021))
    assert {"2021年", "4月份", "完成 2021 年"} <= set(events["deadline_text"])
    # a year followed by a future verb dates a report's work even without a date or a plan
    t = targets("黄石市政府工作报告\n2023年，黄石市将新改扩建学校项目12个，新增学位12500个。\n")
    assert t.loc["12", "target_year"] == 2023 and t.loc["12500", "target_year"] == 2023
    z = timeline(
        "漳州市将新建21所公办幼儿园\n所有项目将在今年12月底前全部实现开工建设。\n", issued="2021-04-28"
    )
    assert (z["deadline_text"].str.startswith("今年") & (z["year"] == 2021)).any()


def test_items_of_a_three_year_plan_leading_with_a_year_or_a_span_of_years():
    text = (
        "某市基础教育资源布局三年行动计划（2020—2022年）\n"
        "1、2021年某市将开工新建22所中小学。\n经开区：华庄规划小学7月开工；城东规划中学预计12月开工。\n"
        "2、2020-2022年开工新建义务教育学校50所\n江阴市4所、宜兴市8所。\n"
    )
    t = targets(text, period=(2020, 2022))
    assert t.loc["22", "target_year"] == 2021
    assert (t.loc["4", "target_year"], t.loc["4", "deadline_source"]) == (
        2022,
        "section",
    )  # under the 2020-2022 item
    events = timeline(text, period=(2020, 2022))
    months = events[events["deadline_text"].isin(["7月", "12月"])]
    assert list(months["year"]) == [2021, 2021]  # the months of the 2021 item, not the plan's last year
    assert ("2020-2022年", 2022) in {(e.deadline_text, e.year) for e in events.itertuples()}


def test_results_so_far_and_a_look_back_with_words_before_its_yilai():
    text = (
        "某市学前教育\n本报讯（记者）目前，全市幼儿园达到1619所。到2020年，全市计划新建公办幼儿园130所。\n"
        "截止目前，实际完成新建幼儿园30所。\n自2010年实施第一期学前教育三年行动计划以来，全市新增幼儿园1027所。\n"
    )
    assert set(targets(text, issued="2018-01-27").index) == {"130"}


def test_a_headline_naming_a_plan_period_with_work_to_come_and_a_plan_a_page_reports():
    from compare.extraction.periods import plan_period

    text = "新疆“十三五”将基本实现15年普及教育\n新疆提出，到2020年，全面普及学前三年免费教育，毛入园率达到98%以上。\n"
    assert targets(text).loc["98%", "target_year"] == 2020  # not a review section of the 十三五 plan
    review = "某市“十三五”发展成就\n全市毛入园率达到98%。\n"
    assert "98%" not in targets(review).index
    page = "湖南将支持每个乡镇至少办好1所标准化寄宿制学校\n来源：华声在线\n记者获悉，《湖南省“十四五”公共服务规划》已于近日发布。\n"
    assert plan_period(page)[:2] == (2021, 2025)


def test_this_autumn_and_what_a_district_has_now():
    events = timeline(
        "西安新建学校今秋投用\n126所学校今秋开学前投入使用，今年秋季新增学位10万个。\n", issued="2021-08-20"
    )
    assert {("今秋", 2021), ("今年", 2021)} <= {(e.deadline_text, e.year) for e in events.itertuples()}
    t = targets("某区学校建设\n全区现有中小学12所，学生30603人；今年新建学校3所。\n", issued="2018-03-01")
    assert set(t.index) == {"3"}


def test_work_in_progress_is_no_target():
    t = targets(
        "某市新优质初中\n已经有95所通过认定，第二批正在创建培育52所；计划新增学位12.6万个。\n",
        period=(2023, 2025),
    )
    assert set(t.index) == {"12.6万"}


def test_a_breakdown_takes_the_deadline_of_the_sentence_before_and_money_without_yuan():
    text = (
        "某市规划\n"
        "《规划》明确提出，到2025年，某市将新增基础教育公办学位不少于44.31万个。"
        "其中，新增幼儿园公办学位2.6万个、普通高中公办学位2.16万个。\n"
        "据了解，某市教育城预计总投资超40亿，面向全市招生。\n"
    )
    t = targets(text)
    assert t.loc["2.6万", ["target_year", "deadline_source"]].tolist() == [2025, "passage"]
    assert t.loc["40亿", ["unit", "value"]].tolist() == ["元", 4e9]


def test_the_date_of_work_on_a_building_dates_its_count():
    text = "某市基础教育三年行动计划\n按照建设进度安排，53所学校中2020年秋季投入使用31所，2021年秋季投入使用20所。\n"
    t = targets(text, period=(2019, 2021))
    assert t.loc["31", "target_year"] == 2020 and t.loc["20", "target_year"] == 2021


def test_a_look_back_paragraph_still_plans_ahead_where_a_sentence_says_so():
    text = (
        "某市学前教育十条举措\n"
        "近年来，某市连续把学前教育列入民生实事工程，新建幼儿园20所。到2022年，将新增幼儿园55所，学位1.8万个。\n"
    )
    t = targets(text, period=(2018, 2022))
    assert "20" not in t.index  # the look back
    assert t.loc["55", ["target_year", "deadline_source"]].tolist() == [2022, "sentence"]
    events = timeline(text, period=(2018, 2022))
    assert "到2022年" in set(events["deadline_text"])


def test_a_state_marks_only_its_own_clause_and_counts_that_point_back():
    text = (
        "某市教育发展\n某市目前有各级各类学校384所，到2025年将达到400所。\n"
        "全省共有各级各类学校（机构）5.87万所，在校生总数2553.99万人。\n"
        "2017年以来新开工幼儿园建设项目300余所，今年计划启用43所公办幼儿园。\n"
        "这30所学校包括16所公办中小学。省教育厅等9部门出台《某省学前教育行动计划》。\n"
        "教育改革牵涉千家万户。\n某市公布2019年新改扩建项目园名单，一共有33所。\n"
    )
    t = targets(text, issued="2023-05-01")
    assert {"400", "43", "16", "33"} <= set(t.index)
    assert not {"384", "5.87万", "2553.99万", "300", "30", "9", "千"} & set(t.index)
    # 项目前期: no 目前 in it
    assert "12" in targets("某区\n3年内还将投资14亿元启动12个项目前期工作。\n", issued="2018-03-01").index


def test_this_years_work_inside_a_look_back_paragraph_and_a_plan_for_this_year():
    text = (
        "某省将新建200所公办幼儿园\n"
        "去年，某省学前教育三年毛入园率达85.6%，比2017年增加了2.9个百分点。"
        "省教育厅表示，今年某省将大力发展公办幼儿园，每个乡镇建好1所中心公办幼儿园。\n"
        "某市计划今年建设30所公办幼儿园。\n"
    )
    t = targets(text, period=(2019, 2019), issued="2019-02-28")
    assert {"1", "30"} <= set(t.index) and "85.6%" not in t.index
    events = timeline(text, period=(2019, 2019), issued="2019-02-28")
    this_year = events[
        events["kind"].isin(["this_year", "plan_period"]) & (events["deadline_text"] == "今年")
    ]
    assert len(this_year) == 2 and (this_year["year"] == 2019).all()


def test_a_one_year_reports_own_year_is_pointed_at_where_the_report_names_it_not_in_a_date_stamp():
    from compare.extraction.periods import one_year_phrase_at

    text = "某市今年新改扩建33所\n2019年04月09日07:29\n本报讯 某市教育局公布2019年公办幼儿园新改扩建项目园名单，一共有33所。\n"
    phrase, at = one_year_phrase_at(text, 2019, issued=2019)
    assert phrase == "2019年" and text[at - 2 : at] == "公布"
    listed = "某市计划今年建设30所公办幼儿园。\n2021年新建36所公办幼儿园。一起来看“2021年某市公办幼儿园建设项目园名单”吧！\n"
    phrase, at = one_year_phrase_at(listed, 2021)
    assert listed[at:].startswith("2021年某市")  # the list it names, not the sentence before


def test_a_list_of_bare_numbers_shares_the_unit_after_its_last():
    t = targets("某区\n到2022年，每年新增交付使用小区配套幼儿园数分别为21、13、18所。\n")
    assert list(t.index) == ["21", "13", "18"] and (t["unit"] == "所").all()
    assert (t["target_year"] == 2022).all()


def test_spans_years_about_a_programme_year_and_the_size_of_a_programme():
    events = timeline(
        "某区学校建设\n从2017年到2021年，某区将新建改建77所学校。某区在2020年左右建成幼儿园。\n"
        "新建100所中小学校列为2023年全市惠民工程，2023年我市规划投资54亿元。“十四五“期间新增公办园300所。\n",
        issued="2017-02-27",
    )
    got = dict(zip(events["deadline_text"], events["year"], strict=False))
    assert got["从2017年到2021年"] == 2021 and "到2021年" not in got
    assert got["在2020年左右"] == 2020
    assert got["列为2023年全市惠民工程"] == 2023 and got["2023年我市"] == 2023
    assert got["“十四五“期间"] == 2025
    t = targets(
        "某市民生实事\n某市确定2024年政府民生实事项目40项。选出10件民生实事。今年将新建幼儿园5所。\n"
        "某区最近5年已累计投入10.3亿元，先后新建了32所学校。打造600堂“精彩一课”。\n",
        issued="2024-01-12",
    )
    assert {"5", "600"} <= set(t.index) and not {"40", "10", "10.3亿", "32"} & set(t.index)
    assert t.loc["600", "unit"] == "堂"


def test_a_time_of_day_a_word_with_fen_a_length_of_time_and_work_under_way():
    t = targets(
        "某市民生实事\n来源：某网 2021.01.15 11:58分享到微信\n今年将新建幼儿园22所，位于CN1分区。"
        "春季攻势从2月至6月，共5个月。其余50所主体在建。每天锻炼不少于30分钟，100%分解到校。\n",
        issued="2021-01-15",
    )
    assert {"22", "30", "100%"} <= set(t.index)
    assert not {"58", "1", "5", "50"} & set(t.index)


def test_classes_caps_metres_and_this_year_and_the_next():
    t = targets(
        "某省配套学校\n幼儿园不宜超过12个班，小学原则上不大于500米。每所幼儿园设有12个班级。\n"
        "今明两年某市将新建、改扩建学校18所。说明年度计划。\n",
        issued="2018-10-06",
    )
    assert t.loc["12", "unit"].tolist() == ["班", "班"] and t.loc["12", "comparator"].tolist()[0] == "<="
    assert (t.loc["500", "unit"], t.loc["500", "comparator"]) == ("米", "<=")
    assert t.loc["18", "target_year"] == 2019
    events = timeline("某市\n今明两年某市将新建学校18所。请说明年度计划。\n", issued="2018-11-22")
    assert events["deadline_text"].tolist() == ["今明两年"] and events["year"].tolist() == [2019]


def test_work_under_way_and_a_share_in_tenths():
    t = targets(
        "某市\n今年开工18所，其中5所正在进行主体建设。武汉今年力争八成以上幼儿在公办园就读。\n",
        issued="2019-03-01",
    )
    assert "5" not in t.index and t.loc["八成", "comparator"] == ">=" and t.loc["八成", "value"] == 80


def test_a_span_from_this_year_dates_its_sentence_to_its_end():
    t = targets("某市\n从今年起至2020年，某市将新（改、扩）建各级各类学校73所。\n", issued="2018-01-24")
    assert t.loc["73", "target_year"] == 2020
    events = timeline("某市\n从今年起至2020年，某市将新建学校73所。\n", issued="2018-01-24")
    assert events["deadline_text"].tolist() == ["从今年起至2020年"] and events["year"].tolist() == [2020]


def test_a_span_within_years_a_five_year_plans_own_years_and_a_source_is_no_start():
    # 2020年内 is no 20年内; 在2019—2022年内 ends in 2022
    year, phrase, _ = resolve_deadline(
        "规划在2019—2022年内，全市新建幼儿园120所。", period_start=2019, period_end=2022
    )
    assert (year, phrase) == (2022, "在2019—2022年内")
    assert resolve_deadline("力争2020年内建成。", period_start=None, period_end=None, issued=2018)[:2] == (
        2020,
        "2020年内",
    )
    # “十三五”期间 on a page of 2017 is the work of those years; in a plan of 2021 it looks back
    text = "某市学前教育\n据了解，“十三五”期间，某市每个县城至少建成3所公办幼儿园。\n"
    assert targets(text, issued="2017-10-20").loc["3", "comparator"] == ">="
    assert "3" not in targets(text, period=(2021, 2025)).index
    assert "3" not in targets("某市\n“十三五”以来，每个县城建成3所公办幼儿园。\n", issued="2017-10-20").index
    # 记者从2017年…会上获悉 names a source, not a start; 从2021年秋季入学的初一新生起 is one
    events = timeline(
        "某区\n记者从2017年全区项目建设部署会上获悉，今年将完成投资3亿元。\n", issued="2017-04-10"
    )
    assert "start" not in events["kind"].tolist()
    events = timeline("某区\n从2021年秋季入学的初一新生起，全面实施新课程。\n", issued="2020-06-01")
    assert events.loc[events["kind"] == "start", "year_start"].tolist() == [2021]


def test_the_next_item_of_a_sentence_cut_at_its_semicolon_takes_the_deadline_it_leads_with():
    lead = (
        "某市\n记者从在某地召开的全省发展学前教育第三轮行动计划和幼儿园课程改革部署培训会上获悉：某市拟至2020年，"
        "全面建成覆盖城乡、布局合理、公益普惠、优质均衡、监管完善的学前教育公共服务体系；学前三年幼儿净入园率达到99%以上，"
        "满足市民“好入园、入好园”的需求。据介绍，至2020年公办园占比达到85%以上。其中公办幼儿园招生覆盖率50%左右。\n"
    )
    d = doc(lead, issued="2017-05-01")
    assert d["sentences"]["text"].str.endswith("；").any()  # the segmenter cuts the long sentence at its ；
    t = targets(lead, issued="2017-05-01")
    assert t.loc["99%", "target_year"] == 2020 and t.loc["99%", "deadline_source"] == "sentence"
    assert t.loc["50%", "target_year"] == 2020  # 其中… breaks down the sentence before, comma or not
    # a deadline of one clause (…计划，三年内完成…；) does not date the next item
    clause = (
        "某市\n实施乡村寄宿制学校提升计划，三年内完成120所寄宿制学校宿舍、食堂和厕所改造，每所寄宿制学校按每生不少于3平方米"
        "标准建设学生宿舍，改善住宿条件，提高管理水平，保障学生安全；办好必要的乡村小规模学校，确保小规模学校按不低于100人核定公用经费。\n"
    )
    d = doc(clause, period=(2023, 2027))
    assert d["sentences"]["text"].str.endswith("；").any()
    assert targets(clause, period=(2023, 2027)).loc["100", "target_year"] == 2027


def test_the_items_of_a_programme_list_households_and_buildings_and_a_span_heading_the_opening():
    t = targets(
        "某市\n某市发布2023年为民办实事项目，共安排十方面共32项。某市行动计划涉及教育5项工作任务。"
        "为5000户困难家庭进行无障碍改造，为100栋高层公房实施改造，更新投运500辆公交车，新增500张养护床位，"
        "新建挡土墙395立方米。人口1500户以上的社区至少建设1所幼儿园。\n",
        issued="2023-02-08",
    )
    assert "32" not in t.index and "5" not in t.index  # how the list is laid out
    assert {"户", "栋", "辆", "张", "立方米"} <= set(t["unit"])
    assert sorted(t.loc[["5000", "100", "500", "395"], "unit"]) == ["张", "户", "栋", "立方米", "辆"]
    assert "1500" not in t.index  # which communities, not a level
    assert t.loc["395", "unit"] == "立方米"
    # 2019年至2020年，某市计划建设… opens the page: its period, and the items below it take its end
    page = "某市家长注意啦\n好消息来了！2019年至2020年，某市计划建设公办幼儿园113所。\n徐寨幼儿园，建设面积2135平方米。\n"
    assert infer_period(page)[:2] == (2019, 2020)


def test_a_sentence_setting_out_goals_to_a_year_dates_the_sentences_after_it():
    text = (
        "某省\n去年9月，省政府印发《某省推动基础教育高质量发展行动方案》，提出到2025年，新增约30万个公办幼儿园学位。"
        "乡镇中心幼儿园覆盖率达100%，规范化幼儿园覆盖率达95%以上。\n"
    )
    t = targets(text, issued="2022-01-20")
    assert t.loc["100%", "target_year"] == 2025 and t.loc["100%", "deadline_source"] == "passage"
    assert t.loc["30万", "target_year"] == 2025


def test_the_end_of_the_plan_period_is_a_deadline_of_a_layout_plan():
    text = "某市中小学校布局专项规划\n规划期末，共需5928班17.8万个幼儿学位。\n"
    events = timeline(text, period=(2021, 2035))
    deadlines = events[events["kind"] == "deadline"]
    assert deadlines[["deadline_text", "year"]].values.tolist() == [["规划期末", 2035]]
    projection = timeline("某市\n规划期末人口20万人。\n", period=(2021, 2035))
    assert (projection["kind"] != "deadline").all()  # a projection, not a deadline


def test_a_numeral_in_a_place_name_is_no_count():
    from compare.core.config import resource_path

    t = targets(
        "某区\n五家渠城区将有5所公办幼儿园，七台河市新建学校3所，三门峡市新增学位2000个。\n",
        period=(2023, 2024),
    )
    assert sorted(t.index) == ["2000", "3", "5"]  # not 五家, 七台 or 三门
    names = yaml.safe_load(resource_path("target_rules.yaml").read_text(encoding="utf-8"))[
        "numeral_place_names"
    ]
    assert len(names) == len(set(names)) and all(n[0] in "一二三四五六七八九十百千万两" for n in names)
