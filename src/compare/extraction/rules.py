"""The target rules (``resources/target_rules.yaml``, ``units.csv``, ``comparators.csv``): units after a
number, comparators around it, build verbs, indicator clean-up, and the small text tests the extractors share.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

import pandas as pd
import yaml

from compare.core.config import resource_path
from compare.text.dates import cn_number
from compare.text.plan_years import five_year_plan_years

RE_SPACE = re.compile(r"\s+")


#: The deadline phrases a target's sentence may state (到2025年, 2023年底前, 三年内, 年底前, 将于2020年, 明年 …); the
#: 今年 / 本年度 phrase (group ``ty``), the five-year plan's period (“十四五”期间, group ``fyp``) and the date of work
#: on a building (2020年秋季投入使用, group ``yw``) are the timeline's own (``deadline_phrases.csv``), so both read
#: them alike.
DEADLINE_IN_TEXT = (
    # a span of years of work, from this year or a year on (从今年起至2020年): its last year
    r"(?:(?:从|自)\s*)?(?:今年|(?<![\d—–\-~～])(?:19|20)\d{2}\s*年)\s*(?:起|开始)?\s*(?:到|至)\s*(?P<y6>20\d{2})\s*年(?:底|末)?"
    r"|(?:到|至|截至|截止到?)\s*(?P<y1>\d{4})\s*年(?:底|末)?(?:前)?"
    r"|(?P<y2>\d{4})\s*年\s*(?:\d{1,2}\s*月\s*)?(?:底|末|前|以前)"
    # 于2020年内 / 2020年内 / 规划在2017—2020年内
    r"|(?:(?:在|于)\s*)?(?:(?<!\d)\d{4}\s*年?\s*[-—–~～至到]\s*)?(?<!\d)(?P<y3>\d{4})\s*年(?:内|底前|前)"
    r"|(?P<rel>(?<!\d)(?P<n>[一二两三四五六七八九十\d]{1,2})\s*年(?:内|之内)"  # not 20年内 of 2020年内
    r"|(?:^|(?<=[，；。：、]))(?:力争|计划|用|通过)?(?P<n2>[两三四五六七八九十])年"
    r"(?=[新改建培补招完累投创实打全基形增减达提推选引])"
    r"|(?<=将)(?P<n3>[\d两三四五])年(?=[新改建培补招完累投创实打全基形增减达提推选引]))"  # 任城区将2年新改扩建
    r"|(?P<eoy>年底前|年内)"
    r"|(?:将|计划|拟|预计|力争|确保)\s*(?:于|在)\s*(?P<y4>\d{4})\s*年"  # 将于2020年开办, 计划于2020年9月1日投入使用
    r"|(?:^|(?<=[，；。：、]))\d{4}\s*[-—–~～至到]\s*(?P<y5>\d{4})\s*年(?=开工|新建|建成|完成|新增|改扩建|累计|投入|建设)"
    r"|(?:今(?=明两年))?(?<![说证发表标阐声透查聪文光])(?P<nx>明)(?:年(?![度级])|两年)"  # 明年 / 今明两年: the year after the issue year
)


@functools.lru_cache(maxsize=1)
def deadline_in_text() -> re.Pattern:
    """:data:`DEADLINE_IN_TEXT` with the timeline's 今年 / 本年度 phrase (group ``ty``), compiled on first use
    (reading the phrase file is no work for import time)."""
    phrases = pd.read_csv(resource_path("deadline_phrases.csv"), dtype=str, keep_default_na=False)
    (this_year,) = [p for p in phrases["pattern"] if "(?P<ty>" in p]
    (plan_period,) = [p for p in phrases["pattern"] if "(?P<fyp>" in p]
    (work_date,) = [p for p in phrases["pattern"] if "(?P<yw>" in p]  # 2020年秋季投入使用…
    return re.compile(DEADLINE_IN_TEXT + "|" + this_year + "|" + plan_period + "|" + work_date)


#: Pieces of the patterns that read a year in its place: a list number (二、 / （一） / 3.), a speaker's words
#: (刘绍辉介绍，), a place (合肥市 / 全省).
NUMBERING = r"[（(]?[一二三四五六七八九十\d]{1,3}[)）、.．]"
SPEAKER_PREFIX = r"(?:[^，。；]{0,20}?(?:介绍|表示|指出|透露|说)[，,：:]\s*)?"
PLACE_PREFIX = r"(?:全[市省区县]|[\u4e00-\u9fff]{1,5}?[市省县区州])?"


#: A deadline to come in a look-back paragraph (近年来，…。到2022年，将新增幼儿园55所): the sentence plans, although the
#: paragraph reports.
RE_FUTURE_DEADLINE = re.compile(
    r"(?:^|[，,；;。])\s*(?:(?:到|至)\s*(?P<y>20\d{2})\s*年(?:底|末)?(?:前)?|今年|明年)"
    r"\s*[，,]?\s*[^，。；]{0,10}?(?:将|要|力争|确保|计划)"
)  # …表示，今年广西将大力发展…: this year's or next year's work to come


def plans_ahead(text: str, *, ref: int | None) -> bool:
    """Whether a sentence of a look-back paragraph states a deadline to come (from ``ref``, the plan's start or
    the issue year, on; any year when neither is known; 今年/明年 always)."""
    return any(m["y"] is None or ref is None or int(m["y"]) >= ref for m in RE_FUTURE_DEADLINE.finditer(text))


#: A heading naming a year's work (一、2020年重点项目, 2021年重点工作, “十四五”时期任务, or the time alone: 2022年——):
#: it dates the items of its section; not a look back (2020年工作回顾, “十三五”主要成就).
RE_HEADING_YEAR_OF_WORK = re.compile(
    rf"^\s*(?:{NUMBERING}\s*)?"
    r"(?:(?P<y>20\d{2})\s*年(?:度)?|“?(?P<fyp>十[一二三四五六七八九])五”?(?:时期|期间)?)(?:的)?"
    r"(?:(?:全[市省区县])?(?:教育)?(?:重点|主要|工作|目标|任务|计划|特色|拟|民生|为民|亮点|项目)"
    r"(?![^，。；]{0,8}(?:回顾|总结|完成|成效|成绩|成就|进展|情况))"
    r"|\s*(?:——|—|–|：|:)\s*$)"  # a news report's subhead of the time alone: “十四五”期间—— / 2022年——
)
#: An unnumbered heading ending as a title does (2018年全省教育工作要点): the document's title restated, not a section.
RE_TITLE_RESTATED = re.compile(r"(?:要点|计划|方案|意见|安排)\s*$")
RE_NUMBERED_HEADING = re.compile(rf"^\s*{NUMBERING}")


def heading_year_match(text: str) -> re.Match | None:
    """:data:`RE_HEADING_YEAR_OF_WORK` on a heading, unless it restates the title (二、2021年教育项目建设计划 is a
    section; 2018年全省教育工作要点 under the title is the title again)."""
    m = RE_HEADING_YEAR_OF_WORK.match(text)
    if m is None or (RE_TITLE_RESTATED.search(text) and not RE_NUMBERED_HEADING.match(text)):
        return None
    return m


#: The period an amount is per, between a bound and its number (不低于每生每年720元).
RE_PER_PERIOD_TAIL = re.compile(r"(?:每生|每人|每校|每班)?每(?:年|学年|学期|月|天|日)$")

RE_BOUND_VERB = re.compile(r"(?P<b>不少于|不低于|至少|最少|不超过|不高于|超过)(?P<v>[\u4e00-\u9fff]{1,3})$")
#: 每年至少专题研究教师工作一次: 至少 binds a count further on in its clause (not 超过, which may be a condition).
RE_AT_LEAST_FAR = re.compile(r"(?P<b>至少|不少于)[\u4e00-\u9fff]{4,14}$")


#: 不低于符合条件教师总数的10%: a bound whose reference quantity sits between it and the number.
RE_BOUND_OF = re.compile(r"(?P<b>不少于|不低于|不超过|不高于|超过|低于|高于)[^，。；]{1,25}的$")


RE_GLOBAL_PUNCT = re.compile(r"^[、，；：\s]+|[、，；：\s]+$")


@dataclass(frozen=True)
class TargetRules:
    quote_pairs: tuple[str, ...]
    named: re.Pattern
    conditions: re.Pattern
    numeral_places: re.Pattern
    achievement_sections: re.Pattern
    achievement_sections_future: re.Pattern
    achievement_review_words: re.Pattern
    achievement_sentence: re.Pattern
    achievement_five_year: re.Pattern
    achievement_clause: re.Pattern
    achievement_status: re.Pattern
    strip_prefixes: re.Pattern
    strip_suffixes: re.Pattern
    build_verbs: re.Pattern
    per_year: re.Pattern
    chinese_units: re.Pattern
    units: tuple[str, ...]
    unit_kind: dict
    unit_canonical: dict
    comp_before: tuple[tuple[str, str], ...]
    comp_after: tuple[tuple[str, str], ...]
    table: dict = field(default_factory=dict)


@functools.lru_cache(maxsize=1)
def target_rules() -> TargetRules:
    cfg = yaml.safe_load(resource_path("target_rules.yaml").read_text(encoding="utf-8"))
    units = pd.read_csv(resource_path("units.csv"), dtype=str, keep_default_na=False)
    comps = pd.read_csv(resource_path("comparators.csv"), dtype=str, keep_default_na=False)
    before = tuple(
        sorted(
            ((r.phrase, r.comparator) for r in comps.itertuples() if r.position == "before"),
            key=lambda x: -len(x[0]),
        )
    )
    after = tuple(
        sorted(
            ((r.phrase, r.comparator) for r in comps.itertuples() if r.position == "after"),
            key=lambda x: -len(x[0]),
        )
    )
    return TargetRules(
        quote_pairs=tuple(cfg["quote_pairs"]),
        named=re.compile("|".join(f"(?:{p})" for p in cfg["named_patterns"])),
        conditions=re.compile("|".join(f"(?:{p})" for p in cfg["condition_patterns"])),
        numeral_places=re.compile(
            "|".join(map(re.escape, sorted(cfg["numeral_place_names"], key=len, reverse=True)))
        ),
        achievement_sections=re.compile(cfg["achievement_sections"]),
        achievement_sections_future=re.compile(cfg["achievement_sections_future"]),
        achievement_review_words=re.compile(cfg["achievement_review_words"]),
        achievement_sentence=re.compile(cfg["achievement_sentence"]),
        achievement_five_year=re.compile(cfg["achievement_five_year"]),
        achievement_clause=re.compile(cfg["achievement_clause"]),
        achievement_status=re.compile(cfg["achievement_status"]),
        strip_prefixes=re.compile(cfg["strip_prefixes"]),
        strip_suffixes=re.compile(cfg["strip_suffixes"]),
        build_verbs=re.compile(cfg["build_verbs"]),
        per_year=re.compile(cfg["per_year"]),
        chinese_units=re.compile(rf"^(?:{cfg['chinese_numeral_units']})"),
        units=tuple(sorted(units["unit"], key=len, reverse=True)),
        unit_kind=dict(zip(units["unit"], units["kind"], strict=True)),
        unit_canonical=dict(zip(units["unit"], units["canonical"], strict=True)),
        comp_before=before,
        comp_after=after,
        table=cfg["table"],
    )


#: Inside quotation marks, a clause separator: the quote cites tasks (“新建改扩建幼儿园80所，建成投用38所公办园”
#: 民生实事项目), it does not name a programme (“12345”思政工程). Titles in 《》 are names whatever they hold.
RE_QUOTED_CLAUSES = re.compile(r"[，；,;]")


def inside_quotes(text: str, pos: int, pairs: tuple[str, ...]) -> bool:
    """Whether ``pos`` is inside a quoted name (see :data:`RE_QUOTED_CLAUSES` for quotes that cite tasks)."""
    for pair in pairs:
        op, cl = pair[0], pair[1]
        if op == cl:
            if text[:pos].count(op) % 2 == 1:
                close = text.find(cl, pos)
                quoted = text[text.rfind(op, 0, pos) + 1 : close if close >= 0 else len(text)]
                if not RE_QUOTED_CLAUSES.search(quoted) or op == "《":
                    return True
            continue
        depth, opened = 0, -1
        for i, ch in enumerate(text[:pos]):
            if ch == op:
                depth += 1
                opened = i if depth == 1 else opened
            elif ch == cl and depth:
                depth -= 1
        if depth:
            if op == "《":
                return True
            close = text.find(cl, pos)
            quoted = text[opened + 1 : close if close >= 0 else len(text)]
            if not RE_QUOTED_CLAUSES.search(quoted):
                return True
    return False


#: Where a clause begins (after ，；, or a colon) and where a list item of a sentence ends (；).
CLAUSE_BREAKS = "，,；;：:"
RE_ITEM_BREAK = re.compile(r"[；;]")
RE_CLAUSE_BREAK = re.compile(r"[，,；;：:]")


def _clause_start(text: str, pos: int) -> int:
    """Where the clause holding ``pos`` begins (after the last break before it)."""
    return max(text.rfind(c, 0, pos) for c in CLAUSE_BREAKS) + 1


def achievement_spans(text: str, rules: TargetRules, *, ref: int | None = None) -> list[tuple[int, int]]:
    """The spans of a sentence that report results, not targets (see ``achievement_sentence``,
    ``achievement_five_year``, ``achievement_clause`` and ``achievement_status`` in ``target_rules.yaml``): from
    the clause of the phrase to the end of the sentence, to the end of its list item (；), or to the end of the
    clause.

    Args:
        text: The sentence.
        rules: :func:`target_rules`.
        ref: The first year of the document's plan, else its issue year: a five-year plan's 期间 ending on or
            after it is the document's own years, not a look back.
    """
    spans = []
    for m in rules.achievement_five_year.finditer(text):
        n = cn_number(m["fyp"])
        end = five_year_plan_years(n)[1] if n else None
        if m["when"] == "以来" or (end is not None and (end < ref if ref is not None else n == 13)):
            spans.append((_clause_start(text, m.start()), len(text)))
    for pattern, stop_at in (
        (rules.achievement_sentence, None),
        (rules.achievement_clause, RE_ITEM_BREAK),
        (rules.achievement_status, RE_CLAUSE_BREAK),
    ):
        for m in pattern.finditer(text):
            start = _clause_start(text, m.start())
            stop = None if stop_at is None else stop_at.search(text, m.end())
            spans.append((start, len(text) if stop is None else stop.start()))
    return spans


def covered_by(pattern: re.Pattern, text: str, a: int, b: int) -> bool:
    return any(m.start() <= a and m.end() >= b for m in pattern.finditer(text) if m.end() > m.start())


def unit_after(text: str, pos: int, rules: TargetRules) -> tuple[str, int, bool]:
    """Unit right after a number: (unit, end offset, approx-marker 多/余 seen)."""
    i = pos
    approx = False
    while i < len(text) and text[i] == " ":
        i += 1
    if i < len(text) and text[i] in "多余":
        approx = True
        i += 1
    for unit in rules.units:
        if text.startswith(unit, i):
            return rules.unit_canonical.get(unit, unit), i + len(unit), approx
    return "", pos, False


def comparator_of(pre: str, post: str, rules: TargetRules) -> tuple[str | None, int, int]:
    """Comparator from the words before/after a number; returns (comparator, len before, len after)."""
    after = None
    n_after = 0
    p = post.lstrip()
    for phrase, comp in rules.comp_after:
        if p.startswith(phrase):
            after, n_after = comp, len(post) - len(p) + len(phrase)
            break
    before = None
    n_before = 0
    q = pre.rstrip()
    for phrase, comp in rules.comp_before:
        if q.endswith(phrase):
            before, n_before = comp, len(pre) - len(q) + len(phrase)
            break
    if before is None:
        # 不低于每生每年720元: a bound, then the period the amount is per
        per = RE_PER_PERIOD_TAIL.sub("", q)
        if per != q:
            for phrase, comp in rules.comp_before:
                if per.endswith(phrase):
                    before, n_before = comp, 0
                    break
    if before is None:
        # 至少配备1名, 不少于新增5所: a bound followed by a short verb
        m = RE_BOUND_VERB.search(q) or RE_BOUND_OF.search(q) or RE_AT_LEAST_FAR.search(q)
        if m:
            before = rules_bound(m["b"], rules)
            n_before = 0
    if after in (">=", "<=", "approx"):
        return after, n_before, n_after
    return before or after, n_before, n_after


def rules_bound(phrase: str, rules: TargetRules) -> str | None:
    """Comparator of a bound phrase (不少于 → >=)."""
    return dict(rules.comp_before).get(phrase)


def clean_indicator(s: str, rules: TargetRules) -> str:
    s = RE_SPACE.sub("", s)
    prev = None
    while prev != s:
        prev = s
        s = rules.strip_prefixes.sub("", s)
        s = rules.strip_suffixes.sub("", s)
        s = deadline_in_text().sub("", s)
        s = RE_GLOBAL_PUNCT.sub("", s)
        s = re.sub(r"^各|等$", "", s)
    return s


def is_share(unit: str, rules: TargetRules) -> bool:
    return rules.unit_kind.get(unit, "") in ("share", "multiple")
