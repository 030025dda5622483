"""Timelines: plan periods, vision years, dated events with and without numbers, recurring duties."""

from __future__ import annotations

import pandas as pd

from compare.core.schemas import SCHEMAS, validate
from compare.extraction.periods import plan_period
from compare.extraction.timeline import (
    RE_EVENT_ANCHOR,
    TIMELINE,
    _phrases,
    deadline_counts,
    extract_timeline,
)


def events(tables, doc_id: str) -> pd.DataFrame:
    t = tables["timeline"]
    return t[t["doc_id"] == doc_id]


def test_plan_period_from_text():
    assert plan_period("常州市深入推进“常有优学”三年行动方案（2023—2025年）")[:2] == (2023, 2025)
    assert plan_period("教育高质量发展三年行动计划（20232025年）为全面贯")[:2] == (
        2023,
        2025,
    )  # glued by the scraper
    assert plan_period("台州市教育事业发展“十四五”规划")[:2] == (2021, 2025)
    assert plan_period("某市教育局2023年工作要点")[:2] == (2023, 2023)
    assert plan_period("坚持立德树人") == (None, None, None)


def test_every_document_has_one_plan_period(tables):
    t = tables["timeline"]
    periods = t[t["kind"] == "plan_period"].set_index("doc_id")
    assert sorted(periods.index) == sorted(tables["documents"]["doc_id"])
    assert tuple(periods.loc["taizhou_zj_2021", ["year_start", "year"]]) == (2021, 2025)
    assert tuple(periods.loc["ningbo_2023", ["year_start", "year"]]) == (2023, 2023)


def test_event_without_number_is_kept(tables):
    e = events(tables, "taizhou_js_2023")
    row = e[e["deadline_text"] == "2023年底"].iloc[0]
    assert row["kind"] == "deadline" and row["year"] == 2023 and not row["has_target"]
    assert "全面取消幼儿临时照护点" in row["quote"]


def test_relative_deadlines_resolved_from_plan_start(tables):
    e = events(tables, "taizhou_js_2023")
    within = e[e["deadline_text"] == "三年内"].iloc[0]
    assert (within["kind"], within["year"], within["has_target"]) == ("within_years", 2025, True)
    about = e[e["deadline_text"].str.startswith("两年左右")].iloc[0]
    assert (about["kind"], about["year"]) == ("about_years", 2024)


def test_condition_is_not_a_deadline(tables):
    # 通过返聘近5年内退休医务人员: 近5年内 describes who is hired, not a deadline
    e = events(tables, "taizhou_js_2023")
    assert not e["quote"].str.contains("近5年内退休").any()


def test_recurring_duties(tables):
    e = events(tables, "changzhou_2023")
    rec = e[e["kind"] == "recurring"]
    assert {"年均", "每学年", "每年", "逐年"} <= set(rec["deadline_text"])
    assert "逐年" in set(events(tables, "taizhou_js_2023")["deadline_text"])


def test_work_points_year_end(tables):
    e = events(tables, "ningbo_2023")
    row = e[e["kind"] == "deadline"].iloc[0]
    assert (row["deadline_text"], row["year"]) == ("到2023年底", 2023)


def test_vision_year_and_past_achievements(tables):
    e = events(tables, "taizhou_zj_2021")
    # its only 2035 names another document (《…二〇三五年远景目标纲要》): not a commitment of this plan
    assert not (e["kind"] == "vision").any()
    assert not e["quote"].fillna("").str.contains("68.2亿元").any()  # 十三五 achievements are not events


def test_quotes_are_original_script(tables):
    docs = tables["documents"].set_index("doc_id")
    t = tables["timeline"].dropna(subset=["start"])
    for r in t.itertuples():
        assert docs.at[r.doc_id, "text_original"][int(r.start) : int(r.end)] == r.quote
    assert events(tables, "changzhou_2023")["quote"].str.contains("學").any()


def test_schema_and_counts(tables):
    assert SCHEMAS["timeline"] is TIMELINE
    validate(tables["timeline"], "timeline")
    counts = deadline_counts(tables["timeline"], documents=tables["documents"])
    assert counts["n_events"].sum() == (~tables["timeline"]["kind"].isin(["plan_period", "recurring"])).sum()
    assert "泰州(江苏)" in set(counts["city_label"]) and "台州(浙江)" in set(counts["city_label"])


def test_bad_years_are_flagged():
    text = "到2150年，建成示范学校。到1900年，完成改造。"
    s = pd.DataFrame(
        {
            "doc_id": ["x", "x"],
            "passage_id": ["x/p0001"] * 2,
            "sentence_id": ["x/s00001", "x/s00002"],
            "seq": [0, 1],
            "text": ["到2150年，建成示范学校。", "到1900年，完成改造。"],
            "text_original": ["到2150年，建成示范学校。", "到1900年，完成改造。"],
            "start": [0, 13],
            "end": [13, 24],
        }
    )
    docs = pd.DataFrame(
        {
            "doc_id": ["x"],
            "text": [text],
            "text_original": [text],
            "period_start": [None],
            "period_end": [None],
        }
    )
    t = extract_timeline({"sentences": s}, documents=docs)
    assert list(t["flag"]) == ["year_after_2100(2150)", "year_before_1949(1900)"]
    assert t["year"].isna().all()


def test_empty_input():
    assert extract_timeline({"sentences": None}, documents=pd.DataFrame()).empty


def _timeline_of(texts: list[str], *, start=None, end=None, issue_date=None) -> pd.DataFrame:
    rows, pos = [], 0
    for i, t in enumerate(texts):
        rows.append({"doc_id": "x", "passage_id": f"x/p{i + 1:04d}", "sentence_id": f"x/s{i + 1:05d}", "seq": i,
                     "text": t, "text_original": t, "start": pos, "end": pos + len(t)})  # fmt: skip
        pos += len(t) + 1
    text = "\n".join(texts)
    docs = pd.DataFrame({"doc_id": ["x"], "text": [text], "text_original": [text], "period_start": [start],
                         "period_end": [end], "issue_date": [issue_date]})  # fmt: skip
    return extract_timeline({"sentences": pd.DataFrame(rows)}, documents=docs)


def test_dates_of_news_reports_resolve_from_the_issue_date():
    t = _timeline_of(
        [
            "明确今年要高质量完成民生实事项目，计划投用的幼儿园将在11月之前全部开园。",
            "今年是入园高峰第一年。",  # a statement about this year, not a commitment
            "为明年的入园高峰做好准备，早谋划今后三年的建设。",
            "多所公办幼儿园将于2020年开办，计划于2021年9月1日投入使用。",
        ],
        issue_date="2019-08-28",
    )
    got = [(r.kind, r.deadline_text, None if pd.isna(r.year) else int(r.year)) for r in t.itertuples()]
    assert got == [
        ("this_year", "今年", 2019),
        ("this_year", "11月之前", 2019),
        ("deadline", "明年", 2020),
        ("within_years", "今后三年", 2022),  # no plan start: from the issue year (2019 + 3)
        ("deadline", "将于2020年", 2020),
        ("deadline", "计划于2021年9月1日", 2021),
    ]
    # without an issue date nothing is guessed
    t = _timeline_of(["明确今年要高质量完成民生实事项目。"])
    assert t["year"].isna().all()


def test_this_years_work_in_the_wordings_of_news_reports():
    t = _timeline_of(
        [
            "幼儿园扩容工程被列入今年该市政府民生实事项目。",
            "河北确定将在今年着力实施20项民心工程。",
            "今年太原市各县（市、区）计划新改扩建公办学校35所。",
            "主体工程将于今年开始施工，纱帽山小学扩建等今年6个项目已开工。",
            "下半年将建成8所公办园。",
            "今年以来，全市新建幼儿园12所。",  # a look back
            "今年是入园高峰第一年。",  # a statement
        ],
        issue_date="2018-03-02",
    )
    got = [(r.deadline_text, int(r.year)) for r in t.itertuples()]
    assert got == [("今年", 2018)] * 5 + [("下半年", 2018)]


def test_a_table_cell_opening_on_a_year_of_work_is_a_deadline():
    t = _timeline_of(["乡镇中小学品质提升项目。| 2024年完成大瑶中学建设，2025年全面完成。| 已完成 | 100 |"])
    assert [(r.deadline_text, int(r.year)) for r in t.itertuples()] == [("2024年", 2024), ("2025年", 2025)]


def test_months_and_terms_of_a_years_work_in_more_wordings():
    t = _timeline_of(
        [
            "要求10月底全部主体完工。",
            "确保3月底，教育领域新建项目全部开工。",
            "将于8月中旬完成。",
            "6个公益普惠园8月完工。",
            "确保项目秋季学期投入使用。",
            "吴江11所新改扩建学校秋季投用。",
            "截至8月底，全市有391家幼儿园举办托班。",  # a cut-off
            "4月已有16所公办幼儿园开工。",  # a result
        ],
        start=2021,
        end=2021,
    )
    got = [(r.deadline_text, int(r.year)) for r in t.itertuples() if r.kind != "plan_period"]
    assert got == [("10月底", 2021), ("3月底", 2021), ("8月中旬", 2021), ("8月", 2021), ("秋季学期", 2021),
                   ("秋季", 2021)]  # fmt: skip


def test_a_reporting_cut_off_is_no_commitment():
    t = _timeline_of(
        [
            "截至2017年底，全市财政累计投入专项资金39.35亿元。",
            "截至今年10月底，合肥市已建成56所公办幼儿园。",
            "截止到2019年年底，全省还有1018个村没有幼儿园。",
            "到2020年底，全省大班额比例控制在10%以内。",
        ],
        issue_date="2018-11-20",
    )
    assert [(r.deadline_text, int(r.year)) for r in t.itertuples()] == [("到2020年底", 2020)]


def test_a_look_back_is_no_start_and_an_annual_object_no_deadline():
    t = _timeline_of(
        ["自2016年以来，我市做了一系列工作。", "请于每年12月底前将本年度工作总结报送。"], start=2021, end=2021
    )
    assert "start" not in set(t["kind"]) and "本年度" not in set(t["deadline_text"])


def test_five_year_plan_named_by_an_action_plan_title():
    assert plan_period("柳州市“十四五”特殊 教育发展提升行动计划实施方案\n为贯彻……")[:2] == (2021, 2025)
    assert plan_period("江苏镇江：启动“十四五”学前教育发展提升行动\n近日……")[:2] == (2021, 2025)
    assert plan_period("“十四五”以来，我市……")[:2] == (None, None)  # a look back names no plan


def test_a_reports_year_heading_a_sentence_and_year_ranges():
    t = _timeline_of(
        ["2021年，全区学前三年毛入园率达98.19%。", "2023年，厦门将加快新一轮学校项目建设，计划用1至两年改造100所学校。",
         "小学生每生毎学年1000元。"],
        issue_date="2023-03-01",
    )  # fmt: skip
    got = [(r.kind, r.deadline_text, None if pd.isna(r.year) else int(r.year)) for r in t.itertuples()]
    assert got == [
        ("deadline", "2023年", 2023),
        ("within_years", "计划用1至两年", 2025),  # the issue year + 2
        ("recurring", "毎学年", None),
    ]


def test_every_time_phrase_holds_an_anchor_character():
    """The timeline runs its phrase patterns only on sentences holding one of RE_EVENT_ANCHOR's characters:
    every match of every phrase in every labelled text (and the examples in the phrase file) must hold one."""
    from pathlib import Path

    from compare.core.config import resource_path
    from compare.extraction.rules import heading_year_match

    root = Path(__file__).resolve().parents[2]
    files = [
        *sorted((root / "data" / "raw").glob("*.txt")),
        *sorted((root / "tests" / "data").rglob("*.txt")),
    ]
    texts = [f.read_text(encoding="utf-8", errors="replace") for f in files]
    texts.append(pd.read_csv(resource_path("deadline_phrases.csv"), dtype=str)["note"].str.cat(sep="\n"))
    n = 0
    for kind, pat in _phrases():
        for text in texts:
            for m in pat.finditer(text):
                if m.end() > m.start():
                    n += 1
                    assert RE_EVENT_ANCHOR.search(m.group(0)), (kind, pat.pattern[:60], m.group(0))
    assert n > 1000
    for heading in ("2022年——", "“十四五”期间——", "二、2021年重点工作"):
        assert RE_EVENT_ANCHOR.search(heading_year_match(heading).group(0))


def test_years_of_time_to_reach_a_goal():
    t = _timeline_of(["西安市将用3年时间新建、改扩建中小学幼儿园。"], start=2019, end=2021)
    assert [(r.deadline_text, int(r.year)) for r in t.itertuples() if r.kind == "within_years"] == [
        ("用3年时间", 2021)
    ]


def test_dates_of_work_on_a_building_and_a_five_year_plan_named_before_a_duty():
    t = _timeline_of(
        [
            "目前进度：正在进行基础施工，计划2018年5月交付使用。",
            "计划2017年开工，2019年9月投入使用。",
            "佛山教育城计划2023年动工。",
            "“十四五”期间，三水区拟投入超37亿元新建学校，比“十三五”时期大幅增加27亿元。",
        ],
        start=2016,
        end=2025,
    )
    got = [(r.deadline_text, int(r.year)) for r in t.itertuples() if r.kind != "plan_period"]
    assert got == [("2018年5月", 2018), ("2017年", 2017), ("2019年9月", 2019), ("2023年", 2023),
                   ("“十四五”期间", 2025)]  # fmt: skip


def test_this_year_of_a_later_copy_of_a_years_report():
    t = _timeline_of(["2016年重庆市教育工作会提出，今年全市将新建幼儿园250所。"], start=2016, end=2016,
                     issue_date="2023-08-22")  # fmt: skip
    assert {(r.deadline_text, int(r.year)) for r in t.itertuples() if r.kind == "this_year"} == {
        ("今年", 2016)
    }
    # a page dated the year after its report still counts from its own date
    t = _timeline_of(["今年全市将新建幼儿园250所。"], start=2016, end=2016, issue_date="2017-01-10")
    assert {int(r.year) for r in t.itertuples() if r.kind == "this_year"} == {2017}


def test_a_year_of_work_after_a_place_a_bracket_or_right_before_its_verb():
    cases = [
        ("成都市2023年全市将新建改扩建中小学幼儿园50所。", ("2023年", 2023)),
        ("（曹桢）2017年，内蒙古各级政府将新建幼儿园160所。", ("2017年", 2017)),
        ("此外，2019年拟纳入市政府十件实事项目二项。", ("2019年", 2019)),
        ("完成我市2021年国家城市棚改任务。", ("完成我市2021年", 2021)),
    ]
    for text, want in cases:  # one document each: a year in the first line may set a document's period
        t = _timeline_of([text], issue_date="2017-02-23")
        got = [(r.deadline_text, int(r.year)) for r in t.itertuples() if r.kind != "plan_period"]
        assert got == [want] or (not got and want in {(r.deadline_text, int(r.year)) for r in t.itertuples()})
