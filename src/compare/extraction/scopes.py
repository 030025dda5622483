"""Governing time scopes: a deadline stated once that dates the items below it.

Plans state a year once and let it govern a list: a heading (“（一）2018年底前完成……”), a section's lead
sentence (“主要目标。到2025年，……” followed by numbered items), or the goals paragraph of an 实施意见 that has no
plan period (“工作目标：到2020年，……” with the targets in later sections). :func:`inherited_scopes` walks a
document's passages in order and tells, for every passage, which stated deadline governs it and where that
deadline was stated, so each inherited year can be audited (``deadline_source``):

- ``section``: a heading with a deadline or naming a year's work (2021年重点工作), or a lead sentence of an item or paragraph, governs the passages
  below it until a heading or item of the same or a higher level closes the section;
- ``document``: in a document without a plan period, a deadline stated in a goals passage (a passage or section
  titled …目标, or a lead paragraph before any heading) governs every later passage until another such
  statement replaces it.

A section's lead sentence stating two different years governs with the first and flags
``scope_conflicting_years``. A goals passage that states stages (2021年底前……；2022年6月底前……) governs the
document with its horizon, the latest stage, and flags ``scope_staged_years`` (a year more than
:data:`STAGE_SPAN` years after the first is a vision, 到2035年, not a stage). A
relative deadline (三年内) resolves from the plan's start year, else from the issue year, else stays unresolved
(``relative_deadline_unresolved``), never guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from compare.core.frames import rows_by
from compare.extraction.periods import five_year_plan
from compare.extraction.rules import NUMBERING, PLACE_PREFIX, deadline_in_text, heading_year_match
from compare.text.numbers import parse_number_text

#: A sentence that opens with its deadline (after an optional “主要目标：” label): it governs what follows.
RE_LEAD_DEADLINE = re.compile(
    rf"^\s*(?:{NUMBERING}\s*)?"
    r"(?:(?:工作|总体|主要|发展|具体|近期|阶段性)?目标(?:任务)?[：:。，,]?\s*)?"
    r"(?:力争|计划)?\s*(?:到|至|截至|截止到?|在|于)?\s*"
    r"(?:\d{4}\s*(?:[-—–~～至到]\s*\d{4}\s*)?年|[一二两三四五六七八九十]{1,2}\s*年(?:内|之内))"
)

#: A title that names the goals of a plan (目标, 总体要求 …).
RE_GOALS_TITLE = re.compile(r"目标|总体要求|总体思路|基本原则和目标")

#: A four-digit year stated as a deadline in a lead sentence (to spot two conflicting years).
RE_DEADLINE_YEAR = re.compile(r"(?:到|至|截至|在|于)?\s*(?P<y>(?:19|20)\d{2})\s*年(?:底|末|前|内)?")


#: A year of a plan's own work opening a clause (2024年新建城区公办幼儿园2所, 2023年安排资金6.2亿元): it
#: dates that clause like a deadline, when the year lies in the plan period.
RE_YEAR_OF_WORK = re.compile(
    rf"(?:^|(?<=[，；。：、]))(?:其中)?{PLACE_PREFIX}"  # 合肥市2018年规划建设……
    r"(?P<y>(?:19|20)\d{2})\s*年(?:度)?(?:全[市省区县]|各地|各[市县区])?(?=新建|改扩建|建成|完成|开工|启动|安排|实现|投入|新增|开展|规划|计划"
    r"|\s*[，,]"  # 2023年，厦门将加快……: the year of the work the sentence goes on to list
    r"|[^，。；\d]{0,6}?(?:将|要(?!点|求|素)|拟|力争))"  # 2023年济南将开工……: a place, then a future verb
)

#: A future verb right after a year of work (2023年，黄石市将……): the year dates work to come.
RE_FUTURE_AFTER = re.compile(r"\s*[，,]?[^，。；\d]{0,8}?(?:将|要(?!点|求|素)|计划|拟|力争)")

#: A year of work leads an item when it starts within this many characters (after 2、 / （一）), read from the
#: item's first characters.
LEAD_WORK_OFFSET = 4
LEAD_WORK_CHARS = 40

#: Stages of one goals statement lie within this many years of its first deadline; later years are visions.
STAGE_SPAN = 5


def _goals_horizon(sentences: list[str], first: int, phrase: str) -> tuple[int, str]:
    """The latest deadline (year, phrase) a goals passage states within :data:`STAGE_SPAN` years of its first."""
    best = (first, phrase)
    for text in sentences:
        for m in deadline_in_text().finditer(text):
            y = m["y6"] or m["y1"] or m["y2"] or m["y3"] or m["y4"] or m["y5"]
            if y and best[0] < int(y) <= first + STAGE_SPAN:
                best = (int(y), m.group(0))
    return best


@dataclass(frozen=True)
class Scope:
    """A stated deadline and the span of passages it governs.

    Attributes:
        year: The resolved year, or None (a relative deadline that could not be resolved).
        text: The deadline as written (到2020年, 三年内).
        source: ``section`` or ``document``.
        level: Heading level the scope belongs to: a heading or item of this level or higher closes it
            (``document`` scopes: -1, closed only by another document scope).
        flags: Flags every record that inherits the year carries.
    """

    year: int | None
    text: str
    source: str
    level: float
    flags: tuple[str, ...] = ()


def issue_year(value) -> int | None:
    """The year of an ``issue_date`` value (2018-05-03, 2018年5月, 2018), else None."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    m = re.search(r"(?:19|20)\d{2}", str(value))
    return int(m.group(0)) if m else None


def heading_year_of_work(text: str) -> tuple[int, str] | None:
    """The year a heading names for its section's work (``(2021, "2021年")`` for 2021年重点工作), else None."""
    m = heading_year_match(text)
    if m is None:
        return None
    if m["y"]:
        return int(m["y"]), m["y"] + "年"
    years = five_year_plan(m["fyp"])
    return None if years is None else (years[1], m.group(0).strip())


def current_year(*, issued: int | None, period_start: int | None, period_end: int | None) -> int | None:
    """The year 今年 means: the year the document was issued, else the year of a one-year document. A page
    stamped more than a year after the one year it reports (a later copy: 2016年…工作会提出今年… on a page of
    2023) means that year."""
    one_year = period_start is not None and period_start == period_end
    if issued is not None and not (one_year and issued > period_end + 1):
        return issued
    return period_end if one_year else None


def relative_year(n: float, *, start: int | None, issued: int | None) -> int | None:
    """The last year of N years: of a plan, counted from its start year (三年内 of a 2023—2025 plan: 2025); of a
    document without one, from the year it was issued (三年内 in a 2020 意见: 2023); None when neither is known."""
    if start is not None:
        return int(start + n - 1)
    return None if issued is None else int(issued + n)


def resolve_deadline(
    text: str, *, period_start: int | None, period_end: int | None, issued: int | None = None, pos: int = 0
) -> tuple[int | None, str | None, tuple[str, ...]]:
    """The first deadline stated in ``text`` (from offset ``pos``): ``(year, phrase, flags)``; ``(None, None, ())`` when none.

    A relative deadline (三年内) is the plan's start year + N - 1, else the issue year + N; 年底前 / 年内 is the
    plan's last year (a year's work points), else the issue year; 今年 / 本年度 is the issue year, else the
    year of a one-year document, and 明年 the year after it.
    """
    m = deadline_in_text().search(text, pos)
    if m is None:
        return None, None, ()
    year = m["y6"] or m["y1"] or m["y2"] or m["y3"] or m["y4"] or m["y5"] or m["yw"]
    if year:
        return int(year), m.group(0), ()
    if m["fyp"]:  # “十四五”期间，该区计划投入超60亿元: the plan period's last year
        years = five_year_plan(m["fyp"])
        return (years[1], m.group(0), ()) if years else (None, m.group(0), ("relative_deadline_unresolved",))
    if m["ty"] or m["nx"]:
        this = current_year(issued=issued, period_start=period_start, period_end=period_end)
        if this is None:
            return None, m.group(0), ("relative_deadline_unresolved",)
        return this + (1 if m["nx"] else 0), m.group(0), ()
    if m["rel"]:
        n = parse_number_text(m["n"] or m["n2"] or m["n3"])
        if n is not None and 0 < n < 50 and (year := relative_year(n, start=period_start, issued=issued)):
            return year, m.group(0), ()
        return None, m.group(0), ("relative_deadline_unresolved",)
    end = period_end if period_end is not None else issued
    if end is None:
        return None, m.group(0), ("relative_deadline_unresolved",)
    return end, m.group(0), ()


#: A start stated before a relative deadline in its sentence (今年起，…2年 / 从2024年起，三年内).
RE_STATED_START = re.compile(
    r"(?:(?P<ty>今年)|(?:从|自)?\s*(?P<y>(?:19|20)\d{2})\s*年(?:[春秋]季)?(?:学期)?)(?:起|开始)"
)


def _stated_start(before: str, *, issued: int | None) -> int | None:
    """The start year a sentence states before a relative deadline (today's year for 今年起), else None."""
    starts = list(RE_STATED_START.finditer(before))
    m = starts[-1] if starts else None
    if m is None:
        return None
    return issued if m["ty"] else int(m["y"])


def deadlines_in(
    text: str, *, period_start: int | None, period_end: int | None, issued: int | None = None
) -> list[tuple[int, int | None, str, tuple[str, ...]]]:
    """Every deadline stated in ``text``, in order: ``(offset, year, phrase, flags)`` (see :func:`resolve_deadline`)."""
    out = []
    for m in deadline_in_text().finditer(text):
        start = period_start
        if m["rel"] and (s := _stated_start(text[: m.start()], issued=issued)) is not None:
            start = s  # 今年起，将2年新建……: the years counted from the start the sentence states
        # from the phrase on (its lookbehinds still see the text before it: 将2年新建)
        year, phrase, flags = resolve_deadline(
            text, period_start=start, period_end=period_end, issued=issued, pos=m.start()
        )
        if phrase is not None:
            out.append((m.start(), year, phrase, flags))
    # the years of the plan's own work; for a news page or report without a plan, its own year and the next
    if period_start is not None and period_end is not None:
        span = (period_start, period_end)
    elif period_start is None and issued is not None:
        span = (issued, issued + 2)
    else:
        span = None
    for m in RE_YEAR_OF_WORK.finditer(text):
        if (
            (span[0] <= int(m["y"]) <= span[1])
            if span is not None
            else bool(RE_FUTURE_AFTER.match(text, m.end()))
        ):
            # without a plan or a date, only a year followed by a future verb: 2023年，黄石市将新改扩建……
            out.append((m.start("y"), int(m["y"]), m["y"] + "年", ()))
    return sorted(out)


def _lead_scope(
    sentences: list[str],
    *,
    period_start: int | None,
    period_end: int | None,
    issued: int | None,
) -> tuple[int | None, str, tuple[str, ...]] | None:
    """The deadline a passage leads with (one of its first two sentences opens with it), else None."""
    for text in sentences[:2]:
        if not RE_LEAD_DEADLINE.match(text):
            continue
        year, phrase, flags = resolve_deadline(
            text, period_start=period_start, period_end=period_end, issued=issued
        )
        if phrase is None:  # 2、2021年无锡将开工新建22所……: a year of the plan's work leads the item
            work = deadlines_in(
                text[:LEAD_WORK_CHARS], period_start=period_start, period_end=period_end, issued=issued
            )
            if not work or work[0][0] > LEAD_WORK_OFFSET:
                continue
            _, year, phrase, flags = work[0]
        years = {int(y.group("y")) for y in RE_DEADLINE_YEAR.finditer(text.split("。")[0])}
        if year is not None and len(years - {year}) > 0 and all(y > 1990 for y in years):
            flags = (*flags, "scope_conflicting_years")
        return year, phrase, flags
    return None


def inherited_scopes(
    passages: pd.DataFrame,
    sentences: pd.DataFrame,
    *,
    periods: dict[str, tuple[int | None, int | None]],
    issued: dict[str, int | None] | None = None,
) -> dict[str, Scope]:
    """For every passage governed by a deadline stated before it, that deadline (innermost scope first).

    Args:
        passages: The ``passages`` table (any documents).
        sentences: The ``sentences`` table (the passages' sentences, to read their lead sentence).
        periods: ``{doc_id: (plan start, plan end)}``; a document with a plan end gets no ``document`` scope
            (its plan period is the fallback).
        issued: ``{doc_id: issue year}``, for relative deadlines of documents without a plan period.

    Returns:
        ``{passage_id: Scope}`` for the passages that inherit a year; passages without one are absent.
    """
    issued = issued or {}
    if passages is None or passages.empty:
        return {}
    first = rows_by(sentences, "passage_id", ("text",), order="seq") if len(sentences) else {}
    cols = ("passage_id", "kind", "level", "heading", "section_path", "text")
    out: dict[str, Scope] = {}
    for doc, rows in rows_by(passages, "doc_id", cols, order="seq").items():
        p_start, p_end = periods.get(str(doc), (None, None))
        year_issued = issued.get(str(doc))
        scopes: list[Scope] = []  # innermost last
        in_goals = False
        for pid, kind, level, heading, section_path, text in rows:
            lvl = float(level) if level is not None and not pd.isna(level) else 1.0
            if kind in ("heading", "item"):  # a new section or item closes the scopes at its level and below
                scopes = [s for s in scopes if s.level < lvl]
            if kind == "heading":
                in_goals = bool(RE_GOALS_TITLE.search(str(text)))
            if scopes:
                out[pid] = scopes[-1]
            if kind in ("table", "responsibility"):
                continue
            if kind == "heading" and (h := heading_year_of_work(str(text))) is not None:
                scopes.append(Scope(h[0], h[1], "section", lvl))
                continue
            sents = [str(t) for (t,) in first.get(pid, [])] or [str(text)]
            lead = _lead_scope(sents, period_start=p_start, period_end=p_end, issued=year_issued)
            if lead is None:
                continue
            year, phrase, flags = lead
            own_title = f"{heading or ''}{sents[0][:12]}"
            goals = in_goals or bool(RE_GOALS_TITLE.search(own_title)) or not str(section_path or "")
            if p_end is None and goals and kind != "heading":
                if year is not None:
                    horizon, h_phrase = _goals_horizon(sents, year, phrase)
                    flags = tuple(f for f in flags if f != "scope_conflicting_years")
                    if horizon != year:
                        year, phrase, flags = horizon, h_phrase, (*flags, "scope_staged_years")
                scopes = [s for s in scopes if s.source != "document"]
                scopes.insert(0, Scope(year, phrase, "document", -1.0, flags))
            else:
                # closed by the next heading or item of its own level; a lead paragraph before any heading
                # (the preamble) by none
                scope_level = lvl if kind in ("heading", "item") or str(section_path or "") else 0.5
                scopes.append(Scope(year, phrase, "section", scope_level, flags))
    return out
