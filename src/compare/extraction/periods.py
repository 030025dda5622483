"""Plan periods (2023—2025年, 十四五 → 2021–2025, 2023年工作要点 → 2023) and the passages that review
achievements of a past period.
"""

from __future__ import annotations

import re

import pandas as pd

from compare.core.frames import rows_by
from compare.extraction.rules import SPEAKER_PREFIX, target_rules
from compare.text.numbers import parse_chinese_numeral
from compare.text.plan_years import (
    CITED_TITLE_WITH_PERIOD_RE,
    PROGRAMME_YEAR_RE,
    REPORT_OPENING_CHARS,
    REPORT_YEAR_RE,
    YEAR_PLAN_RE,
    cited_title_spans,
    headline_year,
)

#: A plan period written in the text: (2023—2025年), 2021-2025年, glued 20232025年.
RE_PERIOD = re.compile(
    r"(?P<a>(?:19|20)\d{2})\s*(?:[-－—–~～至到]\s*)?(?P<b>(?:19|20)\d{2})\s*年"
    r"|(?<=[（(])\s*(?P<a2>(?:19|20)\d{2})\s*[-－—–~～至到]\s*(?P<b2>(?:19|20)\d{2})\s*(?=[)）])"  # 规划(2021-2025)
)


#: 十四五 (and other five-year plans) → years.
RE_FIVE_YEAR = re.compile(
    r"“?(?P<n>十[一二三四五六七八九])五”?(?:[\u4e00-\u9fff ]{0,16}?(?:规划|计划|方案|行动))"
)


#: A title in 《》 names another document: a deadline inside it (《…二〇三五年远景目标纲要》) is no commitment, and in
#: the opening (纳入《山东省“十四五”高校设置规划》) its period is another document's, unless
#: it stands on the first line or a notice hands it on (印发《…》, 现将《…》).
#: (with the period bracketed after it: 《…布局规划》（2021—2025）; see plan_years.cited_title_spans)
RE_CITED_TITLE = CITED_TITLE_WITH_PERIOD_RE

RE_YEAR_PHRASE = re.compile(r"(?:19|20)\d{2}\s*年")

#: A year's work points: 2023年工作要点, 2017年教育工作意见.
RE_WORK_POINTS = re.compile(r"(?P<y>(?:19|20)\d{2})\s*年(?:度)?(?:全[市省区县])?(?:教育)?工作(?:要点|意见)")


def five_year_plan(n_text: str) -> tuple[int, int] | None:
    """Years of a five-year plan named by its number (十四五 → 2021, 2025)."""
    n = parse_chinese_numeral(n_text)
    if n is None:
        return None
    n = int(n)
    # 一五 = 1953–1957, 二五 = 1958–1962, then a three-year gap: 三五 = 1966–1970 … 十四五 = 2021–2025
    start = 1953 + 5 * (n - 1) if n <= 2 else 1966 + 5 * (n - 3)
    return start, start + 4


def plan_period(text: str) -> tuple[int | None, int | None, str | None]:
    """Plan period stated in a document's text (its first 600 characters, where titles are).

    Args:
        text: The simplified document text.

    Returns:
        (first year, last year, the phrase as written); Nones when the text states none.
    """
    head = text[:600]
    first_line = len(head.lstrip().split("\n", 1)[0]) + len(head) - len(head.lstrip())
    cited = cited_title_spans(head, start=first_line + 1)

    def own(m: re.Match | None) -> bool:  # not inside 《…》: a cited title names another document's period
        return m is not None and not any(a < m.start() < b for a, b in cited)

    m = next((m for m in RE_PERIOD.finditer(head) if own(m)), None)
    if m and int(m["a"] or m["a2"]) <= int(m["b"] or m["b2"]):
        return int(m["a"] or m["a2"]), int(m["b"] or m["b2"]), m.group(0).strip()
    m = next((m for m in RE_WORK_POINTS.finditer(head) if own(m)), None)
    if m:
        return int(m["y"]), int(m["y"]), m.group(0)
    m = next((m for m in RE_FIVE_YEAR.finditer(head) if own(m)), None)
    if m:
        years = five_year_plan(m["n"])
        if years:
            return years[0], years[1], m.group(0)
    first = head.strip().split("\n", 1)[0]
    if m := headline_year(first):
        y = int(m["y"])  # 衡水2022年将完成……: a news report of one year's work
        phrase = RE_YEAR_PHRASE.match(first, m.start("y"))  # 2016哈尔滨惠民行动: the year without 年
        return y, y, phrase.group(0) if phrase is not None else m["y"]
    return None, None, None


def one_year_phrase_at(text: str, year: int, *, issued: int | None = None) -> tuple[str, int] | None:
    """Where the opening of a one-year report names its year (a year's list, 2018年规划建设, 今年…将), as written
    (2020年 / 今年) and at which offset, so the timeline can point at it (the same year may be written before it
    in a date line: 2019年04月09日07:29 … 公布2019年公办幼儿园新改扩建项目园名单); None when the opening does not."""
    head = text[:REPORT_OPENING_CHARS]
    if YEAR_PLAN_RE.search(head):  # a title's year (2020年为民办实事项目) stays the whole document's period
        return None
    for m in PROGRAMME_YEAR_RE.finditer(head):  # the year's programme or list (“2021年…建设项目园名单”)
        if int(m["y"]) == year:
            return RE_YEAR_PHRASE.match(head, m.start("y")).group(0), m.start("y")
    matches = list(REPORT_YEAR_RE.finditer(head))
    # the year written out (2019年公办幼儿园新改扩建…) before a 今年 (labelled as the year's own, this_year)
    for m in matches:
        if m["y"] and int(m["y"]) == year:
            return RE_YEAR_PHRASE.match(head, m.start("y")).group(0), m.start("y")
    for m in matches:
        if m["ty"] and issued == year:
            return m["ty"], m.start("ty")
    return None


def _reviews(heading: str, rules) -> bool:
    """Whether a heading opens a section of past results (主要成就, “十三五”回顾 …), not one of work to come
    (新疆“十三五”将基本实现……)."""
    if not rules.achievement_sections.search(heading):
        return False
    return bool(
        rules.achievement_review_words.search(heading)
        or not rules.achievement_sections_future.search(heading)
    )


def achievement_passages(passages: pd.DataFrame) -> set[str]:
    """Passages inside a past-achievement section (主要成就, 十三五 …), per document."""
    rules = target_rules()
    out: set[str] = set()
    if passages is None or passages.empty:
        return out
    cols = ("passage_id", "kind", "level", "text")
    for rows in rows_by(passages, "doc_id", cols, order="seq").values():
        current: list[tuple[int, bool]] = []
        for passage_id, kind, level, text in rows:
            if kind == "heading":
                lvl = int(level)
                current = [c for c in current if c[0] < lvl]
                current.append((lvl, _reviews(str(text), rules)))
            elif any(flag for _, flag in current):
                out.add(passage_id)
    return out


#: A passage that opens on a year and a comma (2024年，全县教育系统……): it reports that year.
#: A speaker's words may come first (刘绍辉介绍，2022年，济南……).
RE_YEAR_REVIEW_OPENING = re.compile(rf"^\s*{SPEAKER_PREFIX}(?P<y>(?:19|20)\d{{2}})\s*年(?:以来|来)?\s*[，,]")

#: A passage that opens on a look back (近年来，…… / 去年，…… / 一年来，…… / “十三五”以来，……): it reports results.
RE_REVIEW_OPENING = re.compile(
    r"^\s*(?:[（(][一二三四五六七八九十\d]{1,3}[)）]|\d{1,2}[.、．]|[●•▪■◆])?\s*(?:[^。，；]{2,10}。)?\s*"  # （一）发展基础。
    r"(?:截至\d{4}年底?|去年|上年|近年来|近几年来?|多年来|[一二两三四五六七八九十]年(?:来|以来)|过去(?:一|三|五)年(?:来|里)?"
    r"|自\s*(?:19|20)\d{2}\s*年(?:[春秋]季(?:学期)?)?[^，。；]{0,30}?以来|“?(?P<fyp>十[一二三四])五”?(?:期间|以来)|党的十八大以来)\s*[，,]"
)

#: A passage that is an item of a bulleted list (● 普惠性幼儿园达到1290所……): it continues the passage before it.
RE_BULLET_ITEM = re.compile(r"^\s*[●•▪■◆]")


def review_passages(
    passages: pd.DataFrame,
    periods: dict[str, tuple[int | None, int | None]],
    *,
    issued: dict[str, int | None] | None = None,
) -> set[str]:
    """Passages that review the past: a year before the plan starts (a work plan's opening: 2024年，全县……新建
    学校14所) or a look back (近年来，…… / 五年来，…… / 自2016年以来，…… / “十三五”以来，……), and the
    bulleted items right after such a passage.

    Args:
        passages: The ``passages`` table (in document order).
        periods: ``{doc_id: (plan start, plan end)}``; documents without a start year have none.
        issued: ``{doc_id: issue year}``: a news page without a plan reviews the years before its own.

    Returns:
        Their passage ids: their numbers are results, not targets, and their dates are not commitments.
    """
    out: set[str] = set()
    if passages is None or passages.empty:
        return out
    previous: tuple[object, bool] = (None, False)  # (document, whether its last passage was a review)
    for doc, pid, text in zip(
        passages["doc_id"].tolist(), passages["passage_id"].tolist(), passages["text"].tolist(), strict=True
    ):
        start = periods.get(str(doc), (None, None))[0]
        if start is None and issued:
            start = issued.get(str(doc))
        m = RE_YEAR_REVIEW_OPENING.match(str(text))
        r = RE_REVIEW_OPENING.match(str(text))
        if r and r["fyp"] and start is not None and (years := five_year_plan(r["fyp"])) and years[1] >= start:
            r = None  # “十三五”期间，要…… in a plan of the 十三五 years: its own period, not a look back
        review = bool(
            (m and start is not None and int(m["y"]) < start)
            or r
            # the bullets after a look back (自2016年以来，我市……做了一系列工作。/ ● 普惠性幼儿园达到1290所)
            or (previous == (doc, True) and RE_BULLET_ITEM.match(str(text)))
        )
        if review:
            out.add(pid)
        previous = (doc, review)
    return out
