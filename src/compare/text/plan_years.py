"""The years a document covers: its plan period (a range in the title or opening, a five-year plan number, a
one-year work plan, a news report of one year's work), for :mod:`compare.text.metadata`."""

from __future__ import annotations

import re
from collections import Counter

from compare.text.dates import FOUR_DIGIT_YEAR_RE, YEAR_MENTION_RE, cn_number

TITLE_MAX_CHARS = 80
PERIOD_BODY_CHARS = 1500
RANGE_RE = re.compile(
    r"(?P<a>(?:19|20)\d{2})\s*年?\s*[—–\-－~～至到]{1,2}\s*(?P<b>(?:19|20)\d{2})(?!\d|[-－/.]\d)\s*年?"
)
GLUED_RANGE_RE = re.compile(r"[（(]\s*(?P<a>20\d{2})(?P<b>20\d{2})\s*年?\s*[）)]")
FYP_RE = re.compile(r"(?P<n>十[一二三四五六七八九])(?:个五年|五)")
#: A document for one year, named in its title: work points and plans (2023年工作要点), and the annual task
#: lists and programmes of a year (2020年为民办实事项目, 2021年新建公办幼儿园、中小学实施方案, 2022年学位建设情况).
YEAR_PLAN_RE = re.compile(
    r"(?<![到至])(?P<y>20\d{2})\s*年(?:度)?[^，。；,;—–\-~～至到]{0,16}?"
    r"(?:工作要点|工作意见|工作计划|工作安排|工作重点|要点|为民办实事|民生实事|实事项目|重点任务|任务清单|建设任务|建设计划"
    r"|建设情况|实施方案|行动方案|工作方案|推进方案|重点工作|目标任务|任务分解|实施项目"
    r"|绩效(?:评价)?(?:目标|指标)表|项目基本信息|部门项目|实事(?!求是)"  # 2019年…为民兴办10件实事
    # a year's plan of something (2023年新增中小学学位计划); not an N-year or action plan, nor 计划 as a verb
    # (2023年计划新建, 全县计划投入)
    r"|(?<=[\u4e00-\u9fff]{2})(?<![行动年期市省区县])计划(?![新建改扩投完实开启到用])"
    r")"
)
#: The first line opening on a year and a comma, and the words of one year's work that make it a one-year report.
YEAR_COMMA_OPENING_RE = re.compile(r"^\s*(?P<y>20\d{2})\s*年\s*[，,]")
ANNUAL_WORK_RE = re.compile(r"年度|民生实事|实事项目|工作要点|重点工作")
#: …or work set out to do (全力实施“六大工程”, 计划投入, 拟新建) in an opening that looks back on nothing (已建成,
#: 取得, 完成了, 累计).
WORK_TO_DO_RE = re.compile(r"(?:全力|着力|大力|启动)实施|计划|拟")
LOOK_BACK_RE = re.compile(r"已|取得|完成了|累计|以来")
#: A headline that opens on a place and a year and announces that year's work (衡水2022年将完成……, 2017年贵州……将全覆盖,
#: 武威2021年新建哪些学校);
#: not a deadline (到2025年), a span (2021—2025年) or a look back (2022年完成了……).
HEADLINE_YEAR_RE = re.compile(
    r"^\s*[^，。；：\d]{0,12}?(?<![到至])(?P<y>20\d{2})\s*年(?!\s*[—–\-~～至到底末前内以])"
    r"(?:[^，。；\d]{0,30}?(?:将|要(?!点|求)|拟|力争)|新建|新改扩建|改扩建)"
)
#: A date written with digits (2022-07-14, 2022/7/14, 2022.7.14, 2022年7月14日): not a year the text plans.
DATE_IN_TEXT_RE = re.compile(
    r"(?<!\d)20\d{2}\s*(?:[-/.]\s*\d{1,2}\s*[-/.]\s*\d{1,2}|年\s*\d{1,2}\s*月\s*\d{1,2}\s*日)"
)
#: The opening of a report planning its year's work: 2018年规划建设…, 2023年我省将投资…, 2024年计划新建….
#: The words of a year's programme of things to do (2022年民生实事, 为民办实事项目 …).
PROGRAMME_WORDS = r"民生实事|为民办实事|实事项目|实事工程"
#: A headline opening on a year written without 年 before the name of that year's programme
#: (原标题:2016哈尔滨惠民行动项目出炉, 2021深圳民生实事): four digits glued to a Chinese word, as headlines write it.
HEADLINE_BARE_YEAR_RE = re.compile(
    r"^\s*(?:原标题\s*[:：]\s*)?(?P<y>20\d{2})(?=[\u4e00-\u9fff])(?!年)[^，。；\d]{0,16}?"
    rf"(?:{PROGRAMME_WORDS}|惠民行动|惠民工程|民生工程|民心工程|工作要点|重点工作|重点项目)"
)
REPORT_YEAR_RE = re.compile(
    r"(?:(?<!\d)(?<![到至])(?P<y>20\d{2})\s*年(?:度)?(?![底末前内以—–\-~～至到])|(?P<ty>今年)(?!以来|是))"
    r"(?:[^，。；\d]{0,8}?(?:规划建设|计划|将|要(?!点|求|素)|拟|力争|工作重点|重点工作|新改扩建|改扩建|新建)"
    rf"|[，,]?[^。；]{{0,24}}?(?P<shishi>{PROGRAMME_WORDS})"  # 2017年，我市30所学校……列入为民办实事工程
    # 2023年长沙市教育工作会透露……: a year's work meeting, or its launch (2023年建设项目开复工启动日, 招生政策发布会)
    r"|[^，。；\d]{0,16}?(?P<meeting>工作会议|工作会|推进会|动员会|部署会|启动日|启动仪式|启动会|发布会|集中开工仪式))"
)
REPORT_OPENING_CHARS = 400
#: A year's programme or list named anywhere on a page (作为苏州市2018年实事项目之一, “2021年…建设项目园名单”): on an
#: undated page that names no other year's, it is the page's year.
PROGRAMME_YEAR_RE = re.compile(
    r"(?<!\d)(?<![到至])(?P<y>20\d{2})\s*年(?:度)?(?![底末前内以—–\-~～至到])[^，。；！？\d《》]{0,16}?"
    r"(?:[\d一二三四五六七八九十]{1,3}\s*[项件个大])?(?:重点)?"  # 2022年中山区15项重点民生工程
    rf"(?:{PROGRAMME_WORDS}|民生工程|惠民工程|民心工程|项目(?:园)?名单|学位计划)"
)
#: A year's programme named without its year (民生实事项目 on a page of that year's date).
ANNUAL_PROGRAMME_RE = re.compile(PROGRAMME_WORDS)
#: A span from this year on stated in a report's opening (从今年起至2020年，保定市将…三年攻坚行动): the report's period.
SPAN_FROM_THIS_YEAR_RE = re.compile(r"(?:从|自)?\s*今年\s*(?:起|开始)?\s*(?:到|至)\s*(?P<y>20\d{2})\s*年")
#: A year heading a sentence of the work it lists (2023年，昌平区将…; 了解到，2016年，新疆将安排…).
NEXT_YEAR_WORK_RE = re.compile(
    r"(?:^|(?<=[，。；：\s]))(?P<y>20\d{2})\s*年\s*[，,][^。；]{0,16}?(?:将|要(?!点|求|素)|拟|力争|计划)"
)
#: A sentence saying what a year is (2021年是…, 2023年，是…): opening a first line, it is no title.
YEAR_IS_RE = re.compile(r"(?<!\d)(?P<y>20\d{2})\s*年\s*[，,]?\s*(?:是|为)")
#: The opening says what the year of the report is: 2021年是“十四五”规划开局之年 / 2023年，是……的开局之年.
YEAR_STATEMENT_RE = re.compile(YEAR_IS_RE.pattern + r"[^。；！]{0,40}?(?:之年|一年)")
#: A form's year on its own line under its title: （2020年度）.
YEAR_LINE_RE = re.compile(r"^\s*[（(]\s*(?P<y>20\d{2})\s*年度?\s*[)）]\s*\|?\s*$")
#: The opening names the document's own one-year plan: 特拟定我县2017年度教育扶贫专项实施方案.
OWN_YEAR_PLAN_RE = re.compile(r"(?:拟定|制定|制订|编制)[^，。；《》]{0,6}?" + YEAR_PLAN_RE.pattern)
DURATION_RE = re.compile(r"(?P<n>[一二三四五六七八九十两\d]{1,2})\s*年(?:的)?(?:行动|努力|内|攻坚|时间)")
TARGET_YEAR_RE = re.compile(r"到\s*(?P<y>20\d{2})\s*年")
#: A span of years heading the work a sentence of the opening plans (2019年至2020年，阜阳计划建设…, 2021—2023年全市将…):
#: the page's period; not a span looked back on (2016—2020年，全市共建成…).
SPAN_OF_WORK_RE = re.compile(
    r"(?<![到至\d])(?P<a>20\d{2})\s*年?\s*[—–\-~～至到]\s*(?P<b>20\d{2})\s*年(?:间)?\s*[，,]?"
    r"[^。；，,\d]{0,12}?(?:计划|将|拟|力争|规划)"
)
#: A trailing note in brackets of a title (某市布局专项规划(某市新建小学)): what is left names the plan.
OWN_TITLE_CORE_RE = re.compile(r"\s*[（(][^（）()]*[）)]\s*$")
#: After a range of years: a look back on them, not a span of work (2016—2020年以来 / 期间，全市共建成…).
RANGE_LOOK_BACK_AFTER_RE = re.compile(
    r"\s*(?:以来|期间[^，。；]{0,12}?[，,]?[^。；]{0,12}?(?:已|共|累计|完成了|建成了))"
)
CITED_TITLE_RE = re.compile(r"《[^《》]*》")
#: A short name given right after a title (《…规划》(以下简称《规划》)近日印发): not between a title and its verb.
SHORT_NAME_NOTE = r"(?:\s*[（(]\s*(?:以下)?简称[^（）()]{0,16}[）)])?"
#: A title in 《》 with the period bracketed right after it (《…布局规划》（2021—2025）): another document's years,
#: unless a notice hands it on (印发《…》, 现将《…》) or the page reports it (《…》已于近日发布).
CITED_TITLE_WITH_PERIOD_RE = re.compile(r"《[^《》]{0,80}》(?:\s*[（(][^（）()《》]{0,20}[）)])?")
OWN_TITLE_BEFORE_RE = re.compile(r"印发|转发|现将|关于|公布|发布|出台|出炉|推出|颁布|下发")
OWN_TITLE_AFTER_RE = re.compile(SHORT_NAME_NOTE + r"[^，。；]{0,6}?(?:发布|印发|出台|公布|出炉|实施)")


#: A sentence that works from another document (根据…印发《…》, 按照《…》): the title it names is cited, even after 印发.
CITING_BEFORE_RE = re.compile(r"(?:根据|按照|依据|对照|贯彻|落实)[^。；！？\n]*$")


def citing(text: str, at: int) -> bool:
    """Whether the sentence before offset ``at`` works from another document (根据2021年底…联合印发《…》)."""
    return bool(CITING_BEFORE_RE.search(text, max(0, at - 60), at))


def cited_title_spans(text: str, *, start: int = 0) -> list[tuple[int, int]]:
    """Spans of the titles in 《》 (with a bracketed period after them) that ``text`` cites from offset ``start``
    on: other documents, not one the text issues or reports."""
    return [
        q.span()
        for q in CITED_TITLE_WITH_PERIOD_RE.finditer(text)
        if q.start() >= start
        and (
            citing(text, q.start())
            or (
                not OWN_TITLE_BEFORE_RE.search(text[max(0, q.start() - 4) : q.start()])
                and not OWN_TITLE_AFTER_RE.match(text, q.end())
            )
        )
    ]


def headline_year(line: str) -> re.Match | None:
    """:data:`HEADLINE_YEAR_RE` (or :data:`HEADLINE_BARE_YEAR_RE`) on a headline that names one year only (not
    2021年比2020年将……)."""
    m = HEADLINE_YEAR_RE.match(line) or HEADLINE_BARE_YEAR_RE.match(line)
    return m if m is not None and len(set(FOUR_DIGIT_YEAR_RE.findall(line))) == 1 else None


def five_year_plan_years(n: int) -> tuple[int, int]:
    """Years of the n-th national five-year plan (十四五 → 14 → 2021–2025)."""
    start = {1: 1953, 2: 1958}.get(n, 1966 + 5 * (n - 3))
    return start, start + 4


def _range(s: str) -> tuple[int, int, str] | None:
    for rx in (RANGE_RE, GLUED_RANGE_RE):
        for m in rx.finditer(s):
            a, b = int(m.group("a")), int(m.group("b"))
            if a <= b <= a + 15:
                return a, b, m.group(0).strip()
    return None


def _blank_cited(text: str) -> str:
    """``text`` with every title in 《》 blanked (same length): the years in another document's title are its own."""
    return CITED_TITLE_RE.sub(lambda t: "　" * len(t[0]), text)


def _range_ending(text: str, targets: Counter) -> tuple[int, int, str] | None:
    """The first year range of ``text`` that ends at the year its deadlines (到YYYY年) name most often, stated in
    prose: not bracketed after a name (…建设规划（2021-2025年）, 一期(2011年—2013年): a plan's period) and no look
    back (2016—2020年以来, 2016—2020年期间，全市共…建成)."""
    end = targets.most_common(1)[0][0]
    for m in RANGE_RE.finditer(text):
        a, b = int(m.group("a")), int(m.group("b"))
        bracketed = m.start() > 0 and text[m.start() - 1] in "（("
        if (
            b == end
            and a < b <= a + 15
            and not bracketed
            and not RANGE_LOOK_BACK_AFTER_RE.match(text, m.end())
        ):
            return a, b, m.group(0).strip()
    return None


def infer_period(
    text: str, *, title: str | None = None, issue_year: int | None = None
) -> tuple[int | None, int | None, str | None]:
    """Infer the plan period (first and last year).

    Order of evidence: a year range in the title (2023—2025年, OCR-damaged (20232025年)); a five-year plan
    number in the title (十四五 → 2021–2025); a single-year work plan (2023年工作要点 → 2023–2023); a range in
    the opening of the text; an N-year duration (三年行动, 通过三年的努力) ending at the most frequent
    "到YYYY年" target year.

    Args:
        text: Cleaned simplified text.
        title: The document title, if known.
        issue_year: The year the document was issued, if known (a range in the opening that ended before it
            is a look back, not the document's period).

    Returns:
        ``(start, end, evidence)``; all ``None`` when nothing was found.
    """
    title = title or ""
    if r := _range(title):
        return r[0], r[1], f"title: {r[2]}"
    if m := FYP_RE.search(title):
        n = cn_number(m.group("n"))
        if n:
            a, b = five_year_plan_years(n)
            return a, b, f"title: {m.group(0)}"
    if m := YEAR_PLAN_RE.search(title):
        y = int(m.group("y"))
        return y, y, f"title: {m.group(0)}"
    head = text[:PERIOD_BODY_CHARS]
    head_lines = [ln for ln in head.splitlines()[:12] if ln.strip()]
    own = OWN_TITLE_CORE_RE.sub("", title)
    for k, line in enumerate(head_lines[:8]):
        if k:  # a range of a title the opening cites is that document's (结合《…布局规划》（2021—2025）)
            for a, b in cited_title_spans(line):
                if len(own) >= 6 and line[a + 1 : b].startswith(own):
                    continue  # the page's own plan in full (《某市布局专项规划(2021-2035年)》主要内容)
                line = line[:a] + "　" * (b - a) + line[b:]
        if (len(line) <= TITLE_MAX_CHARS or line.find("(") < 60) and (r := _range(line[:TITLE_MAX_CHARS])):
            if k and issue_year is not None and r[1] < issue_year:
                continue  # 近年来…2015-2018年，全市共建设… on a page of 2019: the years it looks back on
            return r[0], r[1], f"opening: {r[2]}"
    # a scraped page whose title the title reader did not take (glued to its first sentence, or a report's
    # title): a one-year document named at the start of the first line (2020年泉州市…为民办实事…)
    if head_lines and (m := YEAR_PLAN_RE.search(head_lines[0][:TITLE_MAX_CHARS])) and m.start() < 20:
        y = int(m.group("y"))
        return y, y, f"opening: {m.group(0)}"
    # a report of one year's work opening on that year: 2022年，我市……“新增学位3.2万个”年度民生实事项目……
    if (
        head_lines
        and (m := YEAR_COMMA_OPENING_RE.match(head_lines[0]))
        and (
            # its first sentence: 2015年，…新建成…。今年，…计划… looks back on 2015 and plans this year
            ANNUAL_WORK_RE.search(opening := head_lines[0][:160].split("。", 1)[0])
            or (WORK_TO_DO_RE.search(opening) and not LOOK_BACK_RE.search(opening))
        )
    ):
        y = int(m.group("y"))
        return y, y, f"opening: {m.group(0)}"
    # a news headline announcing one year's work: 衡水2022年将完成新改扩建中小学幼儿园16所
    if head_lines and len(head_lines[0]) <= TITLE_MAX_CHARS and (m := headline_year(head_lines[0])):
        y = int(m.group("y"))
        return y, y, f"headline: {m.group(0)}"
    for line in head_lines[:6]:  # a form: 绩效目标表 / （2020年度）
        if m := YEAR_LINE_RE.match(line):
            y = int(m.group("y"))
            return y, y, f"opening: {m.group(0).strip()}"
    if m := OWN_YEAR_PLAN_RE.search(head):
        y = int(m.group("y"))
        return y, y, f"opening: {m.group(0)}"
    opening = _blank_cited(text[:REPORT_OPENING_CHARS])
    for m in SPAN_OF_WORK_RE.finditer(opening):  # 2019年至2020年，阜阳计划建设公办幼儿园113所
        a, b = int(m.group("a")), int(m.group("b"))
        if a < b <= a + 15 and (issue_year is None or b >= issue_year):
            return a, b, f"opening: {m.group(0)}"
    targets = Counter(int(y) for y in TARGET_YEAR_RE.findall(text))
    if targets and not DURATION_RE.search(title) and (r := _range_ending(_blank_cited(text), targets)):
        # a span the text states that ends at the year its deadlines point to (规划在2017—2020年内 … 至2020年),
        # before a duration, which may name earlier plans (两期学前教育三年行动计划)
        return r[0], r[1], f"{r[2]} + 到{r[1]}年×{targets[r[1]]}"
    # the page's own duration: in its title, or in its opening outside another plan's title in 《》
    # (出台了《…三年行动方案(2022—2024年)》 names a plan the page reports, not the page's years)
    dur = DURATION_RE.search(title) or DURATION_RE.search(_blank_cited(head))
    if dur and targets:
        n = cn_number(dur.group("n"))
        end = targets.most_common(1)[0][0]
        if n and 1 <= n <= 15:
            return end - n + 1, end, f"{dur.group(0)} + 到{end}年×{targets[end]}"
    return None, None, None


def _years_named(text: str) -> set[int]:
    """The years a text names (dates such as 2022-07-14 aside)."""
    return {int(y) for y in YEAR_MENTION_RE.findall(DATE_IN_TEXT_RE.sub("", text))}


def _one_year_named(text: str) -> bool:
    """Whether a text names a single year (dates such as 2022-07-14 aside)."""
    return len(_years_named(text)) == 1


def report_year(text: str, *, issue_year: int | None) -> tuple[int | None, int | None, str | None]:
    """A news report or page of one year's work, as a one-year period: its opening plans work of the year it
    was issued (合肥市2018年规划建设公办幼儿园61所 on a page of 2018-11-20; 今年…), or reports a year's work meeting
    (今天召开的2023年长沙市教育工作会透露……, even without a date; an undated page's 今年 in the headline waits
    for it)."""
    opening = text[:REPORT_OPENING_CHARS]
    if (m := YEAR_STATEMENT_RE.search(opening)) and issue_year in (None, int(m["y"])):
        return int(m["y"]), int(m["y"]), f"opening: {m.group(0)}"
    if (
        issue_year is not None
        and (m := SPAN_FROM_THIS_YEAR_RE.search(opening))
        and issue_year < int(m["y"]) <= issue_year + 10
    ):  # 从今年起至2020年 on a page of 2018: 2018–2020
        return issue_year, int(m["y"]), f"opening: {m.group(0).strip()} (issued {issue_year})"
    for m in REPORT_YEAR_RE.finditer(opening):
        if issue_year is not None and (m["ty"] or int(m["y"]) == issue_year):  # 今年: the year it was issued
            return issue_year, issue_year, f"opening: {m.group(0)} (issued {issue_year})"
        if m["y"] and (m["meeting"] or (m["shishi"] and issue_year is None)):
            # a year's work meeting; on an undated page, a year's 民生实事 programme (选出了10件2022年…民生实事项目)
            return int(m["y"]), int(m["y"]), f"opening: {m.group(0)}"
        if m["y"] and issue_year is None and _one_year_named(opening):
            # an undated page planning the one year its opening names: 2022年秋季学期全市将…
            return int(m["y"]), int(m["y"]), f"opening: {m.group(0)}"
        if issue_year is not None or not m["ty"]:
            break  # the first year the opening plans decides; an undated 今年 defers to a later year's
    if (m := NEXT_YEAR_WORK_RE.search(opening)) and (
        int(m["y"]) in (issue_year, issue_year + 1) if issue_year is not None else _one_year_named(opening)
    ):
        # the year's work a report lists (2022年，高新区计划… on a page of 2022-04-03), late in a year the next
        # year's (2023年，昌平区将… on a page of 2022-12-29), or the one year of an undated page (了解到，2016年，新疆将…)
        issued = f" (issued {issue_year})" if issue_year is not None else ""
        return int(m["y"]), int(m["y"]), f"opening: {m.group(0)}{issued}"
    if issue_year is None:
        named = list(PROGRAMME_YEAR_RE.finditer(text))
        if (
            len({m["y"] for m in named}) == 1
        ):  # an undated page naming one year's programme: 作为…2018年实事项目之一
            return int(named[0]["y"]), int(named[0]["y"]), f"programme: {named[0].group(0)}"
    elif (m := ANNUAL_PROGRAMME_RE.search(opening)) and _years_named(opening) <= {issue_year}:
        # a dated page of a year's programme that names no year: 序号 | 实事项目 | … on a page of 2022-07-14
        return issue_year, issue_year, f"opening: {m.group(0)} (issued {issue_year})"
    return None, None, None
