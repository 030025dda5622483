"""Plan periods (2023—2025年, 十四五 → 2021–2025, 2023年工作要点 → 2023) and the passages that review
achievements of a past period.
"""

from __future__ import annotations

import re

import pandas as pd

from compare.core.frames import rows_by
from compare.extraction.rules import target_rules
from compare.text.numbers import parse_chinese_numeral

#: A plan period written in the text: (2023—2025年), 2021-2025年, glued 20232025年.
RE_PERIOD = re.compile(r"(?P<a>(?:19|20)\d{2})\s*(?:[-－—–~～至到]\s*)?(?P<b>(?:19|20)\d{2})\s*年")


#: 十四五 (and other five-year plans) → years.
RE_FIVE_YEAR = re.compile(
    r"“?(?P<n>十[一二三四五六七八九])五”?(?:[\u4e00-\u9fff ]{0,16}?(?:规划|计划|方案|行动)|时期|期间)"
)


#: A year's work points: 2023年工作要点.
RE_WORK_POINTS = re.compile(r"(?P<y>(?:19|20)\d{2})\s*年(?:度)?(?:教育)?工作要点")


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
    m = RE_PERIOD.search(head)
    if m and int(m["a"]) <= int(m["b"]):
        return int(m["a"]), int(m["b"]), m.group(0)
    m = RE_WORK_POINTS.search(head)
    if m:
        return int(m["y"]), int(m["y"]), m.group(0)
    m = RE_FIVE_YEAR.search(head)
    if m:
        years = five_year_plan(m["n"])
        if years:
            return years[0], years[1], m.group(0)
    return None, None, None


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
                current.append((lvl, bool(rules.achievement_sections.search(str(text)))))
            elif any(flag for _, flag in current):
                out.add(passage_id)
    return out


#: A passage that opens on a year and a comma (2024年，全县教育系统……): it reports that year.
RE_YEAR_REVIEW_OPENING = re.compile(r"^\s*(?P<y>(?:19|20)\d{2})\s*年(?:以来|来)?\s*[，,]")

#: A passage that opens on a look back (近年来，…… / 一年来，…… / “十三五”以来，……): it reports results.
RE_REVIEW_OPENING = re.compile(
    r"^\s*(?:[（(][一二三四五六七八九十\d]{1,3}[)）]|\d{1,2}[.、．]|[●•▪■◆])?\s*(?:[^。，；]{2,10}。)?\s*"  # （一）发展基础。
    r"(?:截至\d{4}年底?|近年来|近几年来?|多年来|[一二两三四五六七八九十]年(?:来|以来)|过去(?:一|三|五)年(?:来|里)?"
    r"|自\s*(?:19|20)\d{2}\s*年(?:[春秋]季(?:学期)?)?以来|“?十[一二三四]五”?(?:期间|以来)|党的十八大以来)\s*[，,]"
)

#: A passage that is an item of a bulleted list (● 普惠性幼儿园达到1290所……): it continues the passage before it.
RE_BULLET_ITEM = re.compile(r"^\s*[●•▪■◆]")


def review_passages(passages: pd.DataFrame, periods: dict[str, tuple[int | None, int | None]]) -> set[str]:
    """Passages that review the past: a year before the plan starts (a work plan's opening: 2024年，全县……新建
    学校14所) or a look back (近年来，…… / 五年来，…… / 自2016年以来，…… / “十三五”以来，……), and the
    bulleted items right after such a passage.

    Args:
        passages: The ``passages`` table (in document order).
        periods: ``{doc_id: (plan start, plan end)}``; documents without a start year have none.

    Returns:
        Their passage ids: their numbers are results, not targets, and their dates are not commitments.
    """
    out: set[str] = set()
    if passages is None or passages.empty:
        return out
    previous: tuple[object, bool] = (None, False)  # (document, whether its last passage was a review)
    for doc, pid, text in zip(passages["doc_id"], passages["passage_id"], passages["text"], strict=True):
        start = periods.get(str(doc), (None, None))[0]
        m = RE_YEAR_REVIEW_OPENING.match(str(text))
        review = bool(
            (m and start is not None and int(m["y"]) < start)
            or RE_REVIEW_OPENING.match(str(text))
            # the bullets after a look back (自2016年以来，我市……做了一系列工作。/ ● 普惠性幼儿园达到1290所)
            or (previous == (doc, True) and RE_BULLET_ITEM.match(str(text)))
        )
        if review:
            out.add(pid)
        previous = (doc, review)
    return out
