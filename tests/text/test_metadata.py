"""Metadata inference on the real seeds (read as UTF-8, converted with t2s here) and on built fixtures."""

from __future__ import annotations

import opencc
import pytest

from compare.core.config import RAW_DATA_DIR
from compare.text.metadata import (
    detect_script,
    five_year_plan_years,
    infer_genre,
    infer_issue_date,
    infer_metadata,
    infer_period,
    infer_place,
    infer_title,
)

CC = opencc.OpenCC("t2s")

SEEDS = {
    "taizhou_js_2023_action_plan.txt": dict(
        title="贯彻落实党的二十大精神 推动泰州教育高质量发展行动方案",
        city="泰州",
        province="江苏",
        names_city=True,
        city_label="泰州(江苏)",
        period_start=2023,
        period_end=2025,
        genre="行动方案",
        script="simplified",
        issue_date=None,
    ),
    "changzhou_2023_action_plan.txt": dict(
        title="常州市深入推进“常有优学”三年行动方案(2023—2025年)",
        city="常州",
        province="江苏",
        names_city=True,
        city_label="常州(江苏)",
        period_start=2023,
        period_end=2025,
        genre="行动方案",
        script="traditional",
        issue_date="2023-05-29",
    ),
    "unnamed_province_2023_action_plan.txt": dict(
        title="教育高质量发展三年行动计划(20232025年)",
        city=None,
        province=None,
        names_city=False,
        city_label="未具名",
        period_start=2023,
        period_end=2025,
        genre="行动计划",
        script="simplified",
        issue_date=None,
    ),
    "taizhou_zj_2021_14th_fyp.txt": dict(
        title="台州市教育事业发展“十四五”规划",
        city="台州",
        province="浙江",
        names_city=True,
        city_label="台州(浙江)",
        period_start=2021,
        period_end=2025,
        genre="五年规划",
        script="simplified",
        issue_date="2021-09-26",
    ),
    "ningbo_2023_work_points.txt": dict(
        title="某市教育局2023年工作要点",
        city="宁波",
        province="浙江",
        names_city=False,
        city_label="宁波(浙江)",
        period_start=2023,
        period_end=2023,
        genre="工作要点",
        script="simplified",
        issue_date=None,
    ),
}


@pytest.fixture(scope="module")
def seeds() -> dict[str, tuple[str, str]]:
    out = {}
    for name in SEEDS:
        raw = (RAW_DATA_DIR / name).read_text(encoding="utf-8")
        out[name] = (raw, CC.convert(raw))
    return out


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_seed_metadata(name, seeds):
    raw, text = seeds[name]
    fields, missing = infer_metadata(text, file_name=name, original=raw)
    expected = SEEDS[name]
    assert {k: fields[k] for k in expected} == expected
    assert fields["doc_id"] == name.removesuffix(".txt")
    assert set(missing) == {k for k in ("city", "province", "issue_date") if expected[k] is None}


def test_ningbo_evidence_names_the_abbreviation(seeds):
    _, text = seeds["ningbo_2023_work_points.txt"]
    place = infer_place(text, title=infer_title(text))
    for clue in ("甬", "在甬高校", "甬江引才工程", "甬学保"):
        assert clue in place["city_evidence"]


def test_taizhou_labels_differ(seeds):
    labels = {
        infer_place(seeds[n][1], title=infer_title(seeds[n][1]))["city_label"]
        for n in SEEDS
        if "taizhou" in n
    }
    assert labels == {"泰州(江苏)", "台州(浙江)"}


def test_forwarding_notice_uses_inner_title_and_fyp_numbers():
    text = (
        "当前位置: 首页 > 政务公开\n索引号: 001/2026-00001 生成日期: 2026-03-09\n"
        "关于印发《杭州市教育事业发展“十五五”规划》的通知\n各区、县(市)人民政府:\n"
        "现将《杭州市教育事业发展“十五五”规划》印发给你们,请认真贯彻执行。\n杭州市人民政府\n二〇二六年三月五日\n"
        "杭州市教育事业发展“十五五”规划\n一、发展基础\n杭州市教育……到2030年,全面建成教育强市。"
    )
    fields, missing = infer_metadata(text, file_name="hz.txt")
    assert fields["title"] == "杭州市教育事业发展“十五五”规划"
    assert fields["genre"] == "五年规划"
    assert (fields["period_start"], fields["period_end"]) == (2026, 2030)
    assert fields["issue_date"] == "2026-03-05"
    assert fields["city_label"] == "杭州(浙江)"
    assert missing == []


def test_notice_only_gives_inner_title():
    text = "关于印发《绍兴市推进职普融通实施方案》的通知\n各区、县(市)教育局:\n现将方案印发给你们。"
    assert infer_title(text) == "绍兴市推进职普融通实施方案"
    assert infer_genre(infer_title(text)) == "实施方案"


def test_municipality_and_province_only_documents():
    bj = "北京市2024年教育工作要点\n2024年,全市教育系统要……北京市各区要加快推进。"
    fields, _ = infer_metadata(bj, file_name="bj.txt")
    assert (fields["city"], fields["province"], fields["city_label"]) == ("北京", "北京", "北京")
    assert (fields["period_start"], fields["period_end"]) == (2024, 2024)
    prov = "江苏省关于推进县域普通高中振兴的实施意见\n全省各级教育部门要……江苏省将在全省推广。"
    place = infer_place(prov, title=infer_title(prov))
    assert place["city"] is None
    assert place["province"] == "江苏"
    assert (place["city_label"], place["level"]) == ("江苏(省级)", "province")  # provincial, not unnamed
    assert infer_genre(infer_title(prov)) == "实施意见"
    assert infer_metadata(bj, file_name="bj.txt")[0]["level"] == "province"  # 北京 is a 直辖市


def test_the_issuing_body_gives_level_and_city():
    notice = (
        "宁波市人民政府办公厅关于印发宁波市学前教育发展行动计划的通知\n各区县（市）人民政府：\n"
        "现将计划印发给你们。学习杭州、上海、杭州、杭州的经验。\n宁波市人民政府办公厅\n2019年5月3日"
    )
    fields, _ = infer_metadata(notice, file_name="n.txt")
    assert (fields["city"], fields["level"]) == ("宁波", "city")
    # no city in the title: the issuer at the foot of the text decides, not the cities its text mentions
    body = "学前教育发展行动计划\n学习杭州经验，杭州、杭州、杭州市的做法。\n宁波市教育局\n2019年5月3日"
    place = infer_place(body, title=infer_title(body))
    assert (place["city"], place["level"]) == ("宁波", "city") and "宁波市教育局" in place["city_evidence"]
    provincial = "中共江西省委 江西省人民政府关于学前教育深化改革的实施意见\n各设区市……"
    place = infer_place(provincial, title=infer_title(provincial))
    assert (place["city"], place["province"], place["level"]) == (None, "江西", "province")
    county = "昌黎县人民政府关于义务教育均衡发展的实施意见\n秦皇岛市昌黎县……"
    assert infer_place(county, title=infer_title(county))["level"] == "county"


def test_a_provincial_document_gets_no_city_warning(tmp_path):
    import warnings

    from compare.pipeline.build import build

    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "jx.txt").write_text(
        "江西省教育厅关于加强学校体育工作的实施意见\n\n全省各地要……到2020年，全省学校体育场地达标率达到90%。\n",
        encoding="utf-8",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = build(raw, tmp_path / "out", use_cache=False, write_csv=False)
    assert not any("could not infer" in w and "city" in w for w in result.warnings)
    assert result.tables["documents"].loc[0, "level"] == "province"


def test_common_characters_are_not_read_as_city_aliases():
    text = "某市教育工作方案\n推进常态化监测,在常规工作中落实,泰然应对,通过评估。"
    place = infer_place(text, title=infer_title(text))
    assert place["city"] is None and place["names_city"] is False


def test_period_variants():
    assert infer_period("", title="某市教育发展三年行动计划(2024-2026年)")[:2] == (2024, 2026)
    assert infer_period("", title="某省教育“十三五”规划")[:2] == (2016, 2020)
    assert infer_period("", title="某区教育事业第十四个五年规划")[:2] == (2021, 2025)
    assert five_year_plan_years(15) == (2026, 2030)
    body = "某县教育提升三年行动方案\n通过三年努力,到2027年,全县……到2027年基本建成。"
    assert infer_period(body, title="某县教育提升三年行动方案")[:2] == (2025, 2027)
    assert infer_period("某校章程\n总则", title="某校章程") == (None, None, None)
    # a document for one year: work points, and the task lists and programmes of a year
    for title in (
        "某市2023年教育工作要点",
        "某区教育体育局2020年为民办实事项目",
        "某市2021年新建公办幼儿园、中小学实施方案",
    ):
        y = int(title[title.index("20") : title.index("20") + 4])
        assert infer_period("", title=title)[:2] == (y, y), title
    assert infer_period("", title="2019年至2021年学前教育行动方案")[:2] == (2019, 2021)  # still a range
    # a scraped page whose title the reader did not take: the year named at the start of its first line
    glued = "2020年某市教育局承担市委、市政府为民办实事公办幼儿园建设项目进展情况2020年新改扩建幼儿园20所。\n"
    assert infer_period(glued, title=None)[:2] == (2020, 2020)
    assert infer_period("某市教育局关于开展评估的通知\n各区：2020年为民办实事项目……\n", title=None)[:2] == (
        None,
        None,
    )


def test_issue_date_ignores_deadlines():
    text = "某市教育方案\n各单位须于2023年5月31日前完成报送。\n到2025年底全面建成。"
    assert infer_issue_date(text) is None
    assert infer_issue_date("某方案\n生成日期: 2021-09-28\n") == "2021-09-28"


def test_detect_script_variants(seeds):
    raw, text = seeds["changzhou_2023_action_plan.txt"]
    assert detect_script(raw) == "traditional"
    assert detect_script(text) == "simplified"
    assert detect_script(raw[:3000] + text[3000:6000]) == "mixed"
    assert detect_script("2023 ABC") == "unknown"


def test_chrome_lines_are_never_titles():
    text = "当前位置: 首页 > 政策 > 某市教育行动方案\n浏览次数: 12\n某市学前教育发展行动计划\n为了……"
    assert infer_title(text) == "某市学前教育发展行动计划"


def test_issue_date_of_web_pages():
    # a forum post, a news page's date line, and a 发布时间 field the cleaning dropped with the page's chrome
    assert infer_issue_date("标题\n发表于2020-8-28 18:15 | 显示全部楼层\n正文。") == "2020-08-28"
    assert (
        infer_issue_date("江苏镇江：启动行动\n2023-03-15 17:52:15\n来源：中国教育新闻网\n正文。")
        == "2023-03-15"
    )
    raw = "衡东县教育局自查报告\n来源:衡东县教育局      发布时间:2019-12-27\n正文。"
    assert infer_issue_date("衡东县教育局自查报告\n正文。", raw=raw) == "2019-12-27"
    assert infer_issue_date("衡东县教育局自查报告\n正文。") is None
    # a date inside a sentence is no issue date
    assert infer_issue_date("标题\n计划于2020-09-01投入使用。") is None


def test_titles_of_notices_and_news_pages_name_the_plan_and_its_period():
    notice = "盘政办〔2023〕3号 盘锦市人民政府办公室关于印发盘锦市“十四五”特殊教育发展提升行动计划实施方案的通知\n各县、区人民政府："
    assert infer_title(notice) == "盘锦市“十四五”特殊教育发展提升行动计划实施方案"
    assert infer_period(notice, title=infer_title(notice))[:2] == (2021, 2025)
    news = (
        "江苏镇江：启动“十四五”学前教育发展提升行动\n2023-03-15 17:52:15\n来源：中国教育新闻网\n"
        "分享 分享到搜狐微博\n（相关资料图）\n近日，江苏省镇江市出台《镇江市“十四五”学前教育发展提升行动计划实施方案》。\n"
    )
    assert infer_title(news) == "镇江市“十四五”学前教育发展提升行动计划实施方案"
    table = "2024年《政府工作报告》重点工作目标任务分解表\n附件\n序号 |\n"
    assert infer_metadata(table, file_name="t.txt")[0]["period_start"] == 2024


def test_one_year_forms_and_plans_named_in_the_opening():
    assert infer_period("绩效目标表\n（2020年度）\n项目名称……\n")[:2] == (2020, 2020)
    assert infer_period("2019年度宁晋县高中助学金项目绩效评价指标表\n发布时间：2020-12-02\n")[:2] == (
        2019,
        2019,
    )
    assert infer_period("潘集区教育局2024年部门项目基本信息\n1.项目概述。\n")[:2] == (2024, 2024)
    opening = "教育扶贫专项实施方案\n根据《凉山州2017年教育扶贫专项实施方案》要求，特拟定我县2017年度教育扶贫专项实施方案。\n"
    assert infer_period(opening, title="教育扶贫专项实施方案")[:2] == (2017, 2017)
    # another document's year in 《》 alone sets no period
    assert infer_period(
        "教育扶贫专项实施方案\n根据《凉山州2017年教育扶贫专项实施方案》要求。\n", title="教育扶贫专项实施方案"
    )[:2] == (None, None)


def test_a_report_opening_on_its_year_is_a_one_year_document():
    opening = "2022年，我市聚焦群众对教育的迫切需求，“新增学位3.2万个”年度民生实事项目按时间节点有序推进。\n其余……\n"
    assert infer_period(opening)[:2] == (2022, 2022)
    # a year and a comma alone (a look back, a news item) is no period
    assert infer_period("2021年，全区学前三年毛入园率达98.19%。\n")[:2] == (None, None)
    # work set out to do in the opening (全力实施…, 计划…) makes it one year's work, unless it looks back too
    assert infer_period("2020年，为持续优化教育资源配置，县教育局全力实施“六大工程”。\n一是……\n")[:2] == (
        2020,
        2020,
    )
    assert infer_period("2020年，县教育局全力实施“六大工程”，已建成学校5所。\n")[:2] == (None, None)


def test_page_dates_written_with_slashes_dots_or_a_glossed_field():
    assert (
        infer_issue_date("衡水将完成\n2022/8/11 来源:不详 http://news.example.cn/1.html\n正文。")
        == "2022-08-11"
    )
    assert infer_issue_date("营养改善计划将全覆盖\n\n04.02.2017  03:09\n\n正文。") == "2017-02-04"
    # a pinyin gloss splits the field name of the raw page (發(fā)布時間); the cleaned text lost the field
    raw = "濟南市今年將開工\n\n發(fā)布時間:2023-02-20 11:21:00來源: 人民網\n正文。"
    assert infer_issue_date("济南市今年将开工\n正文。", raw=raw) == "2023-02-20"
    assert infer_issue_date("标题\n2021-2025年规划\n") is None  # a span is no date


def test_a_headline_announcing_one_years_work_is_a_one_year_document():
    assert infer_period("衡水2022年将完成新改扩建中小学幼儿园\n正文。\n")[:2] == (2022, 2022)
    assert infer_period("2017年贵州农村义务教育学校营养改善计划将全覆盖\n正文。\n")[:2] == (2017, 2017)
    # not a deadline, a look back, work points named 要点 or a headline with two years
    for headline in (
        "到2025年我市将建成教育强市\n",
        "2021年我市完成学校建设\n",
        "2021年比2020年将多建学校\n",
    ):
        assert infer_period(headline)[:2] == (None, None), headline
    assert not infer_period("2018年青海省教育工作要点\n")[2].startswith(
        "headline"
    )  # 要点: the work points' title


def test_a_plan_the_page_only_cites_is_not_its_title():
    text = (
        "济南市今年将开工新建中小学校幼儿园55所\n"
        "人民网济南2月17日电（刘祺）据介绍，今年济南将开工新建学校55所。空天信息大学建设纳入《山东省“十四五”高校设置规划》。\n"
    )
    assert infer_title(text) != "山东省“十四五”高校设置规划"
    assert infer_period(text, title=infer_title(text))[:2] == (None, None)


def test_a_report_of_its_own_years_work_and_a_page_source_date():
    text = "截至10月底，某市56所公办幼儿园已竣工\n来源:市场星报 2018-11-20 01:00\n日前，某市2018年规划建设公办幼儿园61所。\n"
    fields = infer_metadata(text, file_name="a.txt")[0]
    assert fields["issue_date"] == "2018-11-20" and (fields["period_start"], fields["period_end"]) == (
        2018,
        2018,
    )
    # a year other than the page's is no period; nor is a page without a date
    assert (
        infer_metadata(text.replace("2018年规划", "2019年规划"), file_name="a.txt")[0]["period_start"] is None
    )
    assert (
        infer_issue_date("昆山市2017年教育工作意见\n时间: 2017-02-10 14:40    来源:昆山市\n") == "2017-02-10"
    )
    assert infer_period("昆山市2017年教育工作意见\n正文。\n", title="昆山市2017年教育工作意见")[:2] == (
        2017,
        2017,
    )


def test_page_stamps_and_a_report_of_this_years_work():
    assert infer_issue_date("我县学前教育普惠率达97.8%\n源丰都日报2018-09-18 11:21\n正文。") == "2018-09-18"
    assert (
        infer_issue_date("任城：实施行动\n\n2024年04月28日18:26  来源:济宁新闻客户端\n正文。") == "2024-04-28"
    )
    text = "璧山：我区今年教育工作重点出炉\n2018-02-26\n来源：璧山报\n据悉，城区新增6所公办幼儿园。\n"
    fields = infer_metadata(text, file_name="b.txt")[0]
    assert (fields["period_start"], fields["period_end"]) == (2018, 2018)
    assert (
        infer_metadata("今年是入园高峰第一年\n2018-02-26\n正文。\n", file_name="c.txt")[0]["period_start"]
        is None
    )


def test_reports_of_a_years_programme_or_work_meeting_are_one_year_documents():
    text = "2017/8/17 11:15:41 次浏览 来源:本站\n2017年，我市30所学校幼儿园建设列入为民办实事工程，包括幼儿园16所。\n"
    assert infer_metadata(text, file_name="q.txt")[0]["period_start"] == 2017
    meeting = "湖南日报1月11日讯 今天召开的2023年长沙市教育工作会透露，将办好10件实事。\n"
    fields = infer_metadata(meeting, file_name="c.txt")[0]
    assert (fields["issue_date"], fields["period_start"], fields["period_end"]) == (None, 2023, 2023)
    # an undated page: its headline's 今年 is the year of the launch the report comes from
    launch = "今年某市计划实施建设75个教育项目\n2月28日，记者从某市教育系统2023年建设项目开复工启动日现场了解到，今年将实施75个项目。\n"
    assert infer_metadata(launch, file_name="x.txt")[0]["period_start"] == 2023
    assert (
        infer_metadata("今年某市计划实施建设75个教育项目\n今年将实施75个项目。\n", file_name="x.txt")[0][
            "period_start"
        ]
        is None
    )


def test_an_opening_saying_what_the_year_is_dates_the_report():
    text = "2021年是“十四五”规划开局之年，全省坚持问题导向。全年计划开工新建改扩建21个幼儿园。\n据介绍，今年将……\n"
    fields = infer_metadata(text, file_name="q.txt")[0]
    assert fields["title"] is None  # the statement is no title (it named a 十四五 plan the page is not)
    assert (fields["period_start"], fields["period_end"]) == (2021, 2021)
    # a page issued in another year is not that year's report
    dated = "2021年是“十四五”规划开局之年。\n2022-03-01\n全年计划开工新建幼儿园21个。\n"
    assert infer_metadata(dated, file_name="q.txt")[0]["period_start"] is None


def test_an_undated_page_of_a_years_programme_or_project_report():
    text = "昨日，人大代表投票，选出了10件2022年某区人民政府民生实事项目。\n开工建设学校19所。\n"
    assert infer_metadata(text, file_name="y.txt")[0]["period_start"] == 2022
    # a dated page naming another year's programme is not that year's report
    dated = "2023-01-05 10:00\n昨日，选出了10件2022年某区民生实事项目。\n"
    assert infer_metadata(dated, file_name="y.txt")[0]["period_start"] is None
    title = "某县教育局 某县财政局 关于报送某县2023年支持学前教育发展补助资金实施项目的报告"
    assert infer_period("正文。\n", title=title)[:2] == (2023, 2023)


def test_a_duration_in_another_plans_title_sets_no_period():
    text = (
        "某市新增14所中小学幼儿园\n"
        "据悉，为推动全市教育高质量发展，2022年某市制定出台了《关于实现首府基础教育高质量发展的意见》"
        "《某市建设“宜学城市”三年行动方案(2022—2024年)》《某市城区中小学幼儿园建设规划》等文件。\n"
        "按照规划，到2025年，某市将建设110所学校。\n"
    )
    assert infer_period(text, title="某市新增14所中小学幼儿园")[:2] == (None, None)
    # the page's own three years still count
    own = "某市学前教育三年行动\n通过三年的努力，到2025年，公办园在园幼儿占比达到55%。\n"
    assert infer_period(own, title="某市学前教育三年行动")[:2] == (2023, 2025)


def test_a_news_items_dateline_is_its_issue_date():
    text = "荆楚网消息（记者 刘涛）2019年1月9日，襄阳市政府新闻办召开发布会。\n2019年拟新建幼儿园18所。\n"
    assert infer_issue_date(text) == "2019-01-09"
    # a date inside a sentence is no dateline
    assert infer_issue_date("记者获悉，幼儿园将于2019年1月9日开工。\n") is None


def test_a_headline_of_a_years_building():
    assert infer_period("武威2021年新建哪些学校？\n一、目标任务\n")[:2] == (2021, 2021)
    assert infer_period("2021年全市建成学校12所\n正文。\n")[:2] == (None, None)  # a result, not a plan


def test_an_undated_page_planning_the_one_year_it_names():
    text = "本报讯 记者昨日获悉，2022年秋季学期全市将新投用幼儿园、中小学105所，新增学位9.2万个。\n"
    assert infer_metadata(text, file_name="n.txt")[0]["period_start"] == 2022
    # an opening naming several years (a batch, a look back) does not say which is the page's
    several = (
        "为了让更多贫困地区的孩子共享优质教育资源，2017年某省提出4年内支持40个县，每县建设1至2所学校。\n"
        "某省要求，凡列入2017、2018建设计划的项目，必须在今年开工建设，2019年建成投入使用；"
        "列入2019年建设计划的项目，应在2019年开工建设。\n"
    )
    assert infer_metadata(several, file_name="n.txt")[0]["period_start"] is None


def test_an_undated_page_naming_one_years_programme_anywhere():
    body = "省委全会在南京闭幕。\n" * 60  # the programme is named far below the opening
    text = body + "作为某市2018年实事项目之一，某市将在今年新建、改扩建中小学、幼儿园36所。\n"
    assert infer_metadata(text, file_name="s.txt")[0]["period_start"] == 2018
    listed = "某市计划今年建设30所公办幼儿园。\n一起来看“2021年某市公办幼儿园建设项目园名单”吧！\n"
    assert infer_metadata(listed, file_name="s.txt")[0]["period_start"] == 2021
    two = body + "某市2018年实事项目完成，2019年实事项目启动，今年将新建学校36所。\n"
    assert infer_metadata(two, file_name="s.txt")[0]["period_start"] is None


def test_a_dated_page_of_a_years_programme_or_of_next_years_work():
    table = (
        "索引号 | 000330185/2022-83945 | 公开方式 | 主动公开 |\n发布单位 | 区政府 | 发文日期 | 2022-07-14 |\n"
        "序号 | 实事项目 | 工作举措及实施计划 | 责任单位 |\n1 | 新建成公办中小学7所。 | 4月底前开工 |\n"
    )
    fields = infer_metadata(table, file_name="t.txt")[0]
    assert (fields["issue_date"], fields["period_start"], fields["period_end"]) == ("2022-07-14", 2022, 2022)
    other = "发布单位 | 区政府 | 发文日期 | 2022-07-14 |\n序号 | 2021年民生实事项目 | 完成情况 |\n"
    assert infer_metadata(other, file_name="t.txt")[0]["period_start"] is None
    # a report of late in a year on the next year's work, the year heading its sentence
    late = "某区将新增学位3870个\n某报 2022-12-29 14:24\n记者从会上了解到，2023年，某区将实施三年行动计划，新增学位3870个。\n"
    assert infer_metadata(late, file_name="t.txt")[0]["period_start"] == 2023
    ahead = "某区将新增学位\n某报 2022-03-29 14:24\n记者了解到，2023年将建成学校3所。\n"
    assert infer_metadata(ahead, file_name="t.txt")[0]["period_start"] is None


def test_a_headline_naming_a_years_plan_and_a_press_conference():
    assert infer_period("某市多区发布2023年新增中小学学位计划，还将建设多所学校\n正文。\n")[:2] == (
        2023,
        2023,
    )
    assert infer_period("到2020年全县计划投入建设资金25亿元。\n正文。\n")[:2] == (None, None)  # a deadline
    assert infer_period("2023年启动学前教育三年行动计划\n正文。\n")[:2] != (2023, 2023)  # not a one-year plan
    text = "今年某市计划启用43所公办幼儿园\n今天上午，2022年全市中小学及幼儿园招生政策发布会举行。\n"
    assert infer_metadata(text, file_name="q.txt")[0]["period_start"] == 2022


def test_a_plan_reported_with_a_short_name_and_a_period_bracketed_after_a_cited_title():
    reported = (
        "某省教育怎么干？到2025年巩固率超过97%\n2022-04-26 08:12 某报\n"
        "近日，记者从某省教育厅获悉：《某省教育事业发展“十四五”规划》（以下简称《规划》）近日印发。\n"
    )
    assert infer_metadata(reported, file_name="r.txt")[0]["period_start"] == 2021
    cited = (
        "某区第十小学近期开建\n发布时间：2023-06-13 10:31:00\n"
        "记者了解到，结合《某市中心城区教育设施布局规划》（2021—2025）及区实际，该局拟新建第十小学。\n"
    )
    assert infer_metadata(cited, file_name="c.txt")[0]["period_start"] is None
    handed_on = "某县学前教育\n近日，某县人民政府办公室发布《关于印发某县学前教育三年行动计划(2022-2025年)的通知》。\n"
    assert infer_metadata(handed_on, file_name="h.txt")[0]["period_end"] == 2025


def test_an_undated_year_heading_the_work_and_a_first_sentence_that_looks_back():
    text = "记者日前从某区教育厅了解到，2016年，某区将安排新建双语幼儿园155所，规划总投资2.67亿元。\n"
    assert infer_metadata(text, file_name="k.txt")[0]["period_start"] == 2016
    back = (
        "2015年，某市筹措资金13.23亿元，新建成5所中小学校，有效缓解了入学难问题。"
        "今年，全市计划筹措资金约11.45亿元，新建中小学校19所。\n"
    )
    assert infer_metadata(back, file_name="b.txt")[0]["period_start"] is None


def test_page_stamps_with_dots_money_is_no_year_and_a_past_span_in_a_dated_opening():
    text = "今年某市计划新建公办幼儿园22所\n您当前的位置：某网 > 新闻  来源：某网 2021.01.15 11:58\n某市确定11方面民生实事。\n"
    fields = infer_metadata(text, file_name="l.txt")[0]
    assert (fields["issue_date"], fields["period_start"]) == ("2021-01-15", 2021)
    money = "11月28日，某县人民代表大会开幕。报告指出，2022年县政府将重点抓好10件民生实事：落实培训补贴1950万元。\n"
    assert infer_metadata(money, file_name="g.txt")[0]["period_start"] == 2022
    past = (
        "某市新建学校31所\n某新闻网 2019-09-05 10:03\n"
        "近年来，我市大力实施中小学建设，2015-2018年，全市共建设中小学校228所。今年市区将新建学校31所。\n"
    )
    assert infer_metadata(past, file_name="q.txt")[0]["period_start"] == 2019  # not 2015-2018: a look back


def test_a_years_list_of_things_to_do_a_date_field_and_a_plan_the_page_works_from():
    assert infer_period("2019年某市委市政府为民兴办10件实事\n正文。\n")[:2] == (2019, 2019)
    assert infer_period("某市坚持实事求是\n正文。\n")[:2] == (None, None)
    report = (
        "新增学位12030个 某区新开8所中小学\n某报 2022-04-03 02:29\n"
        "日前，某区教育局公布了新开办学校的情况。整体上，2022年，某区计划新开办公办幼儿园5所。\n"
    )
    assert infer_metadata(report, file_name="c.txt")[0]["period_start"] == 2022
    cited = (
        "某区今年将为5个城市增加公办幼儿园学位\n作者：某某    来源：某网    日期：2023-02-16\n"
        "某社电 在15日召开的发布会上，有关负责人表示，今年将新增不少于4000个公办学位。\n"
        "他说，根据2021年底教育部等九部门联合印发《“十四五”学前教育发展提升行动计划》，公办园在园幼儿占比达到50%以上。\n"
    )
    fields = infer_metadata(cited, file_name="x.txt")[0]
    assert fields["issue_date"] == "2023-02-16" and fields["title"] != "“十四五”学前教育发展提升行动计划"
    assert (fields["period_start"], fields["period_end"]) == (2023, 2023)
    assert (
        infer_issue_date("截止日期：2022-03-07\n正文。\n") is None
    )  # a deadline for comments, not the page's date


def test_a_time_then_a_day_first_date_in_a_short_line():
    assert (
        infer_issue_date(
            "记者获悉，今年将新建学校5所。\n新晚报记者 某某\n哈尔滨10:16 05.03.2016 新浪黑龙江\n"
        )
        == "2016-03-05"
    )


def test_an_undated_report_of_a_years_building_plan_and_a_programme_counted_in_items():
    text = "今年某省计划新增348所公办幼儿园\n据某报报道，2018年，全省公办幼儿园项目年度建设计划为348个，目前近7成已开工建设。\n"
    assert infer_metadata(text, file_name="a.txt")[0]["period_start"] == 2018
    listed = "某市将新建这些中小学\n" + "会议召开。\n" * 80 + "会上公布了\n2022年某区\n15项重点民生工程\n"
    assert infer_metadata(listed, file_name="d.txt")[0]["period_start"] == 2022


def test_a_span_from_this_year_and_a_years_mobilisation_meeting():
    text = (
        "保定市开展学校建设三年攻坚行动\n发表于 2018-1-24\n"
        "记者获悉，从今年起至2020年，某市将在中心城区开展学校建设三年攻坚行动，总投资66.7亿元。\n"
    )
    fields = infer_metadata(text, file_name="b.txt")[0]
    assert (fields["period_start"], fields["period_end"]) == (2018, 2020)
    meeting = "某县启动204个学校项目建设\n来源：某报 2017-06-07 09:43:42\n今日，记者从某县召开的2017年全县学校建设工作动员会上获悉。\n"
    assert infer_metadata(meeting, file_name="h.txt")[0]["period_start"] == 2017


def test_a_cn_date_line_before_its_source_a_bare_headline_year_and_a_span_ending_at_the_deadline():
    page = "某区重大项目部署会召开\n2019年05月12日 来源:某日报 作者:记者\n今年全区将完成投资3亿元。\n"
    assert infer_issue_date(page) == "2019-05-12"
    # a date opening a sentence is an event's
    assert infer_issue_date("某区召开会议\n2019年5月12日，全区召开学校建设推进会。\n") is None
    headline = "原标题:2021某市惠民行动项目出炉\n建设幼儿园10所。\n"
    assert infer_period(headline)[:2] == (2021, 2021)
    assert infer_period("2035某市远景目标展望\n建设幼儿园10所。\n")[:2] == (None, None)
    # two earlier three-year plans are named, the page's own span ends at its deadline
    span = (
        "某市将新建幼儿园\n至2022年，全市新建幼儿园120所。\n"
        + "会议强调。\n" * 8
        + "某市修编中小学布局规划（2018-2022年）。2013年以来，全市实施了两期学前教育三年行动计划，共建成幼儿园300所。\n"
        "2019年，某市编制了第三期行动计划，规划在2019—2022年内，全市新建、改扩建120所幼儿园。到2022年，"
        "公办园占比达到50%。\n"
    )
    assert infer_period(span, issue_year=2019)[:2] == (2019, 2022)
    # a span looked back on does not set the period
    back = (
        "某市学前教育三年行动\n"
        + "会议强调。\n" * 10
        + "2016—2020年以来，全市共建成幼儿园80所。到2020年新增学位1万个。\n"
    )
    assert infer_period(back)[:2] == (2018, 2020)  # the duration, not the span looked back on


def test_an_update_stamp_dates_a_page_only_when_it_fits_the_years_the_page_names():
    mirror = "今年某市教育补短板项目超百个\n更新:2023-09-21 07:50:41 某升学网\n2018年列入为民办实事项目，到2020年将推进项目279个。\n"
    assert infer_issue_date(mirror) is None  # a mirror's date, years after every year the page names
    own = "更新时间:2019-06-10 06:54作者:某老师\n去年，某区2018-2022年建设专项规划出台。今年计划推进项目27个。\n"
    assert infer_issue_date(own) == "2019-06-10"
    assert infer_issue_date("某区新闻\n更新:2019-06-10 06:54\n今年计划推进项目27个。\n") == "2019-06-10"


def test_a_summary_page_of_a_plan_and_a_plan_to_be_compiled():
    summary = (
        "某市城市区中小学校布局专项规划(某市新建小学)\n时间:2023-06-30 17:00:48\n"
        "《某市城市区中小学校布局专项规划(2021-2035 年)》主要内容\n一、编制目的\n"
    )
    fields = infer_metadata(summary, file_name="s.txt")[0]
    assert (fields["period_start"], fields["period_end"]) == (2021, 2035)
    task = (
        "某市计划建设612所项目学校\n某日报 2020-09-17 06:11:54\n全市计划投资63.6亿元。\n"
        "文章说，编制《“学研在某市”中长期发展规划(2020-2035)》和《三年滚动计划》。\n"
    )
    assert infer_metadata(task, file_name="t.txt")[0]["period_end"] != 2035
