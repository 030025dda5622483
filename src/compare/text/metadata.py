"""Infer document metadata (title, place, period, genre, issue date, script) from a plan's text.

All functions are pure and work on cleaned text; place, period and genre expect simplified script (run OpenCC
``t2s`` first), :func:`detect_script` expects the text in its original script. Vocabularies live in
``compare/resources``: ``gazetteer.csv`` (34 province-level divisions, every prefecture-level division, and the
4 municipalities once more as city-level rows so that a Beijing plan has city 北京 and province 北京) and
``genres.csv`` (genre labels and the title endings that signal them).

``city_label`` rule: ``城市(省)`` whenever a city is known (``泰州(江苏)``, ``台州(浙江)``), the bare name for a
municipality (``北京``), ``未具名(省)`` when only the province is known, and ``未具名`` when nothing is known.
"""

from __future__ import annotations

import csv
import functools
import re
from collections import Counter
from functools import cache
from pathlib import Path

import numpy as np
import opencc

from compare.core.config import resource_path
from compare.text.dates import DATE_LINE_RE, cn_number, infer_issue_date

# ----------------------------------------------------------------------------------------------------------
# Regexes (compiled once)
# ----------------------------------------------------------------------------------------------------------
HAN_FIRST, HAN_LAST = "\u4e00", "\u9fff"
WS_RE = re.compile(r"[\s\u3000]+")
# Lines that are web/viewer chrome, never a title.
CHROME_RE = re.compile(
    r"当前位置|索引号|主题分类|组配分类|公开形式|公开方式|公开范围|信息来源|发布时间|发布机构|生成日期|浏览次数|"
    r"打印本页|关闭窗口|扫一扫|由会员分享|在线阅读|^\s*首页|^\s*>|^\s*\|?\s*$"
)
# docx bookmark artefacts left by conversion, e.g. [bookmark: _GoBack].
BOOKMARK_RE = re.compile(r"\[bookmark:[^\]]*\]")
# A draft / publication note in parentheses, e.g. （公开征求意见稿）, (此件公开发布).
NOTE_RE = re.compile(r"[（(][^（）()]{0,12}(?:稿|发布|印发|公开)[）)]")
# Trailing parenthetical such as (2023—2025年) or （试行）.
TRAILING_PAREN_RE = re.compile(r"\s*[（(][^（）()]{0,20}[）)]\s*$")
# Forwarding notice: 关于印发《X》的通知 (also 转发).
WRAPPER_RE = re.compile(
    r"关于(?:印发|转发|发布|下发)?.{0,4}《(?P<inner>[^《》]{4,80})》.{0,8}通知"
    # without 《》: 关于印发盘锦市“十四五”特殊教育发展提升行动计划实施方案的通知
    r"|关于(?:印发|转发|发布|下发)(?P<bare>[^《》，。；]{6,80}?(?:方案|规划|计划|意见|要点|办法|细则|措施))的通知"
)
QUOTED_TITLE_RE = re.compile(r"《(?P<inner>[^《》]{4,80}?)(?:\.(?:docx?|pdf|txt|html?))?》")
#: The verb of a page reporting a plan right before its 《title》 (近日，…联合印发《…》).
PUBLISHED_BEFORE_RE = re.compile(
    r"出台|印发|发布|制定|制订|出炉|公布|推出|通过|颁布|下发|编制|实施|转发|关于"
)
LIST_MARK_RE = re.compile(
    r"^\s*(?:\d{1,3}\s*[、.．]|[一二三四五六七八九十]+、|[（(][一二三四五六七八九十\d]+[）)])\s*"
)
SENTENCE_PUNCT_RE = re.compile(r"[。；;：:，,！？]")
ORG_END_RE = re.compile(r"(?:政府|委员会|局|厅|委|办公室|办|部|中心|学校|大学|学院)$")
# Period patterns.
RANGE_RE = re.compile(
    r"(?P<a>(?:19|20)\d{2})\s*年?\s*[—–\-－~～至到]{1,2}\s*(?P<b>(?:19|20)\d{2})(?!\d|[-－/.]\d)\s*年?"
)
GLUED_RANGE_RE = re.compile(r"[（(]\s*(?P<a>20\d{2})(?P<b>20\d{2})\s*年?\s*[）)]")
FYP_RE = re.compile(r"(?P<n>十[一二三四五六七八九])(?:个五年|五)")
#: A document for one year, named in its title: work points and plans (2023年工作要点), and the annual task
#: lists and programmes of a year (2020年为民办实事项目, 2021年新建公办幼儿园、中小学实施方案, 2022年学位建设情况).
YEAR_PLAN_RE = re.compile(
    r"(?P<y>20\d{2})\s*年(?:度)?[^，。；,;—–\-~～至到]{0,16}?"
    r"(?:工作要点|工作意见|工作计划|工作安排|工作重点|要点|为民办实事|民生实事|实事项目|重点任务|任务清单|建设任务|建设计划"
    r"|建设情况|实施方案|行动方案|工作方案|推进方案|重点工作|目标任务|任务分解"
    r"|绩效(?:评价)?(?:目标|指标)表|项目基本信息|部门项目)"
)
#: The first line opening on a year and a comma, and the words of one year's work that make it a one-year report.
YEAR_COMMA_OPENING_RE = re.compile(r"^\s*(?P<y>20\d{2})\s*年\s*[，,]")
ANNUAL_WORK_RE = re.compile(r"年度|民生实事|实事项目|工作要点|重点工作")
#: A headline that opens on a place and a year and announces that year's work (衡水2022年将完成……, 2017年贵州……将全覆盖);
#: not a deadline (到2025年), a span (2021—2025年) or a look back (2022年完成了……).
HEADLINE_YEAR_RE = re.compile(
    r"^\s*[^，。；：\d]{0,12}?(?<![到至])(?P<y>20\d{2})\s*年(?!\s*[—–\-~～至到底末前内以])"
    r"[^，。；\d]{0,30}?(?:将|要(?!点|求)|拟|力争)"
)
FOUR_DIGIT_YEAR_RE = re.compile(r"(?<!\d)(?:19|20)\d{2}(?!\d)")
#: The opening of a report planning its year's work: 2018年规划建设…, 2023年我省将投资…, 2024年计划新建….
REPORT_YEAR_RE = re.compile(
    r"(?:(?<!\d)(?<![到至])(?P<y>20\d{2})\s*年(?:度)?(?![底末前内以—–\-~～至到])|(?P<ty>今年)(?!以来|是))"
    r"(?:[^，。；\d]{0,8}?(?:规划建设|计划|将|要(?!点|求|素)|拟|力争|工作重点|重点工作)"
    r"|[，,]?[^。；]{0,24}?(?:民生实事|为民办实事|实事项目|实事工程)"  # 2017年，我市30所学校……列入为民办实事工程
    r"|[^，。；\d]{0,12}?(?P<meeting>工作会议|工作会))"  # 2023年长沙市教育工作会透露……: a year's work meeting
)
REPORT_OPENING_CHARS = 400
#: A form's year on its own line under its title: （2020年度）.
YEAR_LINE_RE = re.compile(r"^\s*[（(]\s*(?P<y>20\d{2})\s*年度?\s*[)）]\s*\|?\s*$")
#: The opening names the document's own one-year plan: 特拟定我县2017年度教育扶贫专项实施方案.
OWN_YEAR_PLAN_RE = re.compile(r"(?:拟定|制定|制订|编制)[^，。；《》]{0,6}?" + YEAR_PLAN_RE.pattern)
DURATION_RE = re.compile(r"(?P<n>[一二三四五六七八九十两\d]{1,2})\s*年(?:的)?(?:行动|努力|内|攻坚|时间)")
TARGET_YEAR_RE = re.compile(r"到\s*(?P<y>20\d{2})\s*年")
# Dates.
# Alias (single-character city abbreviation) evidence: 在甬高校, 留泰就业, “甬学保”.
ALIAS_CONTEXT_TEMPLATE = r"(?:在|来|留|赴|驻|援|返){a}(?:高校|院校|大学|企业|就业|创业|工作|发展|投资|就读|求学|在籍|人才|学子|单位|机构)"
ALIAS_QUOTED_TEMPLATE = r"[“\"「]{a}[\u4e00-\u9fff]{{1,7}}[”\"」]"

TITLE_SCAN_LINES = 40
#: Lines in which a plan cited in 《》 stands for the title of a page that has none (a news page's date,
#: source and share lines come first).
QUOTED_TITLE_SCAN_LINES = 8
TITLE_MAX_CHARS = 80
PERIOD_BODY_CHARS = 1500
MIN_SHORT_MENTIONS = 3
MIN_ALIAS_HITS = 2

METADATA_FIELDS = (
    "title",
    "genre",
    "level",
    "city",
    "city_label",
    "province",
    "names_city",
    "city_evidence",
    "period_start",
    "period_end",
    "issue_date",
    "script",
)
INFERABLE_FIELDS = ("title", "genre", "city", "province", "period_start", "period_end", "issue_date")


# ----------------------------------------------------------------------------------------------------------
# Resources
# ----------------------------------------------------------------------------------------------------------
@cache
def load_gazetteer(path: Path | None = None) -> tuple[dict, ...]:
    """Read the gazetteer of province- and prefecture-level divisions.

    Args:
        path: CSV to read; defaults to the packaged ``gazetteer.csv``.

    Returns:
        One dict per row with ``name, short, level, province, kind`` and ``aliases`` (a tuple).
    """
    with open(path or resource_path("gazetteer.csv"), encoding="utf-8", newline="") as f:
        rows = []
        for row in csv.DictReader(f):
            aliases = tuple(a for a in (row.get("alias") or "").split("|") if a)
            rows.append({**row, "aliases": aliases})
    return tuple(rows)


@cache
def load_genres(path: Path | None = None) -> tuple[tuple[str, re.Pattern], ...]:
    """Read the genre vocabulary: ``(genre, compiled title-ending pattern)`` in priority order."""
    with open(path or resource_path("genres.csv"), encoding="utf-8", newline="") as f:
        return tuple((r["genre"], re.compile(r["pattern"])) for r in csv.DictReader(f))


@cache
def _genre_end_re() -> re.Pattern:
    """Regex matching any genre word at the end of a title (after an optional trailing parenthetical)."""
    words = sorted({g for g, _ in load_genres()}, key=len, reverse=True)
    return re.compile(r"(?:" + "|".join(map(re.escape, words)) + r")(?:\s*[（(][^（）()]{0,20}[）)])?$")


@cache
def _converter(config: str) -> opencc.OpenCC:
    return opencc.OpenCC(config)


def _prefectures() -> list[dict]:
    return [r for r in load_gazetteer() if r["level"] == "prefecture"]


def _provinces() -> dict[str, dict]:
    return {r["short"]: r for r in load_gazetteer() if r["level"] == "province"}


# ----------------------------------------------------------------------------------------------------------
# Title and genre
# ----------------------------------------------------------------------------------------------------------
def _norm(s: str) -> str:
    return WS_RE.sub(" ", s).strip()


def _strip_notes(line: str) -> str:
    return _norm(NOTE_RE.sub("", BOOKMARK_RE.sub("", line)))


def _is_title_line(line: str) -> bool:
    if not line or len(line) > TITLE_MAX_CHARS or CHROME_RE.search(line) or LIST_MARK_RE.match(line):
        return False
    core = TRAILING_PAREN_RE.sub("", line)
    return not SENTENCE_PUNCT_RE.search(core) and bool(_genre_end_re().search(line))


def _starts_with_place(line: str) -> bool:
    return any(line.startswith(r["short"]) for r in load_gazetteer())


def _can_prefix(prev: str) -> bool:
    """Whether ``prev`` can be the first half of a title broken over two lines."""
    return (
        0 < len(prev) <= 40
        and not CHROME_RE.search(prev)
        and not SENTENCE_PUNCT_RE.search(prev)
        and not LIST_MARK_RE.match(prev)
        and not ORG_END_RE.search(prev)
        and not DATE_LINE_RE.match(prev)
        and not re.fullmatch(r"[（(].*[）)]", prev)
        and not _genre_end_re().search(prev)
    )


def infer_title(text: str) -> str | None:
    """Find the plan's own title in the first lines of a document.

    Skips web chrome, joins a title broken over two lines, and prefers the title inside 《》 of a forwarding
    notice (关于印发《…》的通知) over the notice itself.

    Args:
        text: Cleaned document text.

    Returns:
        The title with whitespace collapsed, or ``None`` when no line looks like a title.
    """
    lines = [_strip_notes(ln) for ln in text.splitlines()]
    lines = [ln for ln in lines if ln][:TITLE_SCAN_LINES]
    standalone: list[str] = []
    wrapped: list[str] = []
    for i, line in enumerate(lines):
        wrapper = WRAPPER_RE.search(line)
        if wrapper:
            wrapped.append(_norm(wrapper.group("inner") or wrapper.group("bare")))
            continue
        if _is_title_line(line):
            title = line
            prev = lines[i - 1] if i else ""
            if _can_prefix(prev) and not _starts_with_place(line) and not line.startswith("关于"):
                title = f"{prev} {line}" if re.search(r"[\u3000 ]$", prev) else prev + line
            standalone.append(_norm(title))
    squash = {t.replace(" ", ""): t for t in standalone}
    for inner in wrapped:
        if inner.replace(" ", "") in squash:
            return squash[inner.replace(" ", "")]
    if standalone:
        return standalone[0]
    if wrapped:
        return wrapped[0]
    # Title glued to the body (scraped documents): "教育…三年行动计划(20232025年)为全面…".
    for line in lines[:5]:
        if CHROME_RE.search(line):
            continue
        body = LIST_MARK_RE.sub("", line)
        m = re.match(r"^(?P<t>[^。；，,：:]{4,60}?" + _genre_end_re().pattern.rstrip("$") + ")", body)
        if m:
            return _norm(m.group("t"))
    for line in lines[:QUOTED_TITLE_SCAN_LINES]:  # a news page reporting a plan: 近日，…出台《…实施方案》
        for m in QUOTED_TITLE_RE.finditer(line):  # 出台《…》, not 纳入《…》: a plan the page only cites
            if _genre_end_re().search(m.group("inner")) and (
                m.start() == 0 or PUBLISHED_BEFORE_RE.search(line[max(0, m.start() - 8) : m.start()])
            ):
                return _norm(m.group("inner"))
    return None


def infer_genre(title: str | None) -> str | None:
    """Classify a title into a genre (行动方案, 五年规划, 工作要点 …) using ``genres.csv``.

    Args:
        title: Document title (simplified); a trailing parenthetical such as (2023—2025年) is ignored.

    Returns:
        The first genre whose pattern matches the end of the title, or ``None``.
    """
    if not title:
        return None
    core = _strip_notes(title)
    while TRAILING_PAREN_RE.search(core):
        core = TRAILING_PAREN_RE.sub("", core)
    for genre, pattern in load_genres():
        if pattern.search(core):
            return genre
    return None


# ----------------------------------------------------------------------------------------------------------
# Place
# ----------------------------------------------------------------------------------------------------------
def _count_short(text: str, short: str) -> int:
    if short not in text:  # cheap test first: most of the ~370 names never occur
        return 0
    return len(re.findall(re.escape(short) + r"(?!省|自治区)", text))


@functools.lru_cache(maxsize=1)
def _names_re() -> re.Pattern:
    """Every prefecture name and short name, longest first (a name inside a longer match is not reported)."""
    names = {r["short"] for r in _prefectures()} | {r["name"] for r in _prefectures()}
    return re.compile("|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)))


def _label(city: str | None, province: str | None) -> str:
    if city:
        return city if city == province else f"{city}({province})"
    return f"未具名({province})" if province else "未具名"


def _alias_evidence(text: str) -> tuple[dict | None, list[str]]:
    hits: dict[str, list[str]] = {}
    chars = set(text)
    for row in _prefectures():
        for alias in row["aliases"]:
            if alias not in chars:
                continue
            a = re.escape(alias)
            found = re.findall(ALIAS_CONTEXT_TEMPLATE.format(a=a), text)
            found += [q.strip('“”"「」') for q in re.findall(ALIAS_QUOTED_TEMPLATE.format(a=a), text)]
            if found:
                hits.setdefault(row["name"], []).extend(found)
    ranked = sorted(hits.items(), key=lambda kv: len(kv[1]), reverse=True)
    if not ranked or len(ranked[0][1]) < MIN_ALIAS_HITS:
        return None, []
    if len(ranked) > 1 and len(ranked[1][1]) == len(ranked[0][1]):
        return None, []
    row = next(r for r in _prefectures() if r["name"] == ranked[0][0])
    return row, list(dict.fromkeys(ranked[0][1]))


#: The body that issues a document (in its title, first lines or signature): 浙江省教育厅, 宁波市人民政府办公室,
#: 中共某市委 某市人民政府, 某县教育局. ``place`` ends with the division's short name.
RE_ISSUER = re.compile(
    r"(?P<place>[\u4e00-\u9fff]{2,12}?)(?P<kind>省|自治区|市|自治州|州|地区|盟|自治县|县|区|旗)"
    r"(?:委(?:员会)?|人民政府|政府|教育厅|教育局|教育委员会|教育和体育局|教育体育局|教体局|教育工作领导小组)"
)
#: Cities that are province-level divisions (直辖市): their 市教育委员会 issues provincial documents.
MUNICIPALITIES = ("北京", "天津", "上海", "重庆")
#: Division kinds of an issuer → administrative level of the document.
ISSUER_LEVELS = {
    "省": "province",
    "自治区": "province",
    "市": "city",
    "自治州": "city",
    "州": "city",
    "地区": "city",
    "盟": "city",
    "自治县": "county",
    "县": "county",
    "区": "county",
    "旗": "county",
}
#: Lines read for the issuing body: the first lines (title, 发文机关) and the last (signature).
ISSUER_HEAD_LINES, ISSUER_TAIL_LINES = 6, 8


def infer_issuer(text: str, *, title: str | None = None) -> dict | None:
    """The body that issued a document, from its title, first lines or signature.

    Args:
        text: Cleaned simplified text.
        title: The document title, if known.

    Returns:
        ``{"level": province|city|county, "city": short name or None, "province": short name or None,
        "issuer": the words matched}``, or None when no issuing body is named.
    """
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    candidates = [title or "", *lines[:ISSUER_HEAD_LINES], *lines[-ISSUER_TAIL_LINES:]]
    provinces = _provinces()
    cities = {r["short"]: r for r in _prefectures()}
    for line in candidates:
        for m in RE_ISSUER.finditer(line):
            place, kind = m["place"], m["kind"]
            level = ISSUER_LEVELS[kind]
            if kind == "市" and any(place.endswith(c) for c in MUNICIPALITIES):
                short = next(c for c in MUNICIPALITIES if place.endswith(c))
                return {"level": "province", "city": None, "province": short, "issuer": m.group(0)}
            if level == "province":
                short = max((p for p in provinces if place.endswith(p)), key=len, default=None)
                if short:
                    return {"level": "province", "city": None, "province": short, "issuer": m.group(0)}
                continue
            if level == "city":
                short = max((c for c in cities if place.endswith(c)), key=len, default=None)
                if short:
                    row = cities[short]
                    return {"level": "city", "city": short, "province": row["province"], "issuer": m.group(0)}
                continue
            if level == "county" and len(place) >= 2 and not place.endswith(("城", "新")):
                return {"level": "county", "city": None, "province": None, "issuer": m.group(0)}
    return None


def provinces_named_in(title: str | None, province: str) -> bool:
    """Whether a title names the province itself (青海省, 广西壮族自治区, or starts with its short name)."""
    if not title:
        return False
    row = _provinces().get(province)
    return bool(row) and (row["name"] in title or title.startswith(province))


def infer_place(text: str, *, title: str | None = None) -> dict:
    """Infer the city and province a plan belongs to, using the gazetteer.

    A city named in the title wins; otherwise mentions in the text are scored (full names such as 宁波市
    count three times, bare names once; a bare name alone must occur at least three times). When no city is
    named, single-character abbreviations used in telling contexts (在甬高校, “甬学保”) identify it, with
    ``names_city`` False. With no city, the province is taken from an explicit province name, if any.

    Args:
        text: Cleaned simplified text.
        title: The document title, if known (see :func:`infer_title`).

    Returns:
        Dict with ``city, province, names_city, city_evidence, city_label, level`` (``province``, ``city`` or
        ``county``: from the issuing body, see :func:`infer_issuer`, else from the place found).
    """
    title = title or ""
    best, best_key, evidence = None, None, None
    # one scan for every gazetteer name finds the few that occur; only those are counted one by one
    present = set(_names_re().findall(text))
    for row in _prefectures():
        in_title = row["short"] in title
        if not in_title and row["short"] not in present and row["name"] not in present:
            continue
        full = text.count(row["name"])
        short = _count_short(text, row["short"])
        if not (in_title or full or short >= MIN_SHORT_MENTIONS):
            continue
        first = text.find(row["short"])
        key = (in_title, 3 * full + short, -first)
        if best_key is None or key > best_key:
            best, best_key = row, key
            evidence = (
                "named in title; " if in_title else ""
            ) + f"{row['name']}×{full}, {row['short']}×{short}"
    issuer = infer_issuer(text, title=title)
    if issuer is not None and issuer["city"] and not (best_key and best_key[0]):
        # a municipal document is the issuing city's, whatever other cities its text names
        row = next(r for r in _prefectures() if r["short"] == issuer["city"])
        return {
            "city": row["short"],
            "province": row["province"],
            "names_city": True,
            "city_evidence": f"issued by {issuer['issuer']}",
            "city_label": _label(row["short"], row["province"]),
            "level": "city",
        }
    if best:
        province = best["province"]
        return {
            "city": best["short"],
            "province": province,
            "names_city": True,
            "city_evidence": evidence,
            "city_label": _label(best["short"], province),
            "level": (
                "province"  # a 直辖市 is a province-level division
                if best["short"] in MUNICIPALITIES
                else issuer["level"]
                if issuer and issuer["level"] == "county"
                else "city"
            ),
        }
    row, found = _alias_evidence(text)
    if row:
        alias = "|".join(row["aliases"])
        return {
            "city": row["short"],
            "province": row["province"],
            "names_city": False,
            "city_evidence": f"city not named; abbreviation {alias} ({row['short']}) used in: "
            + ", ".join(found),
            "city_label": _label(row["short"], row["province"]),
            "level": "city",
        }
    if issuer is not None and issuer["level"] == "province":
        return {
            "city": None,
            "province": issuer["province"],
            "names_city": False,
            "city_evidence": f"province-level document: issued by {issuer['issuer']}",
            "city_label": f"{issuer['province']}(省级)",
            "level": "province",
        }
    province = None
    scores = Counter()
    for short, row in _provinces().items():
        if short in title:
            scores[short] += 100
        scores[short] += 3 * text.count(row["name"]) + text.count(short + "省")
    if scores and scores.most_common(1)[0][1] > 0:
        top = scores.most_common(2)
        if len(top) == 1 or top[0][1] > top[1][1]:
            province = top[0][0]
    level = issuer["level"] if issuer is not None else None
    if (
        level is None
        and province is not None
        and (provinces_named_in(title, province) or text.count("全省") >= MIN_SHORT_MENTIONS)
    ):
        level = "province"  # 2018年青海省教育工作要点, or “全省” throughout: a provincial document
    return {
        "city": None,
        "province": province,
        "names_city": False,
        "city_evidence": "province-level document" if level == "province" else None,
        "city_label": f"{province}(省级)" if level == "province" else _label(None, province),
        "level": level,
    }


# ----------------------------------------------------------------------------------------------------------
# Period
# ----------------------------------------------------------------------------------------------------------


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


def infer_period(text: str, *, title: str | None = None) -> tuple[int | None, int | None, str | None]:
    """Infer the plan period (first and last year).

    Order of evidence: a year range in the title (2023—2025年, OCR-damaged (20232025年)); a five-year plan
    number in the title (十四五 → 2021–2025); a single-year work plan (2023年工作要点 → 2023–2023); a range in
    the opening of the text; an N-year duration (三年行动, 通过三年的努力) ending at the most frequent
    "到YYYY年" target year.

    Args:
        text: Cleaned simplified text.
        title: The document title, if known.

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
    for line in head_lines[:8]:
        if (len(line) <= TITLE_MAX_CHARS or line.find("(") < 60) and (r := _range(line[:TITLE_MAX_CHARS])):
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
        and ANNUAL_WORK_RE.search(head_lines[0][:160])
    ):
        y = int(m.group("y"))
        return y, y, f"opening: {m.group(0)}"
    # a news headline announcing one year's work: 衡水2022年将完成新改扩建中小学幼儿园16所
    if (
        head_lines
        and len(head_lines[0]) <= TITLE_MAX_CHARS
        and (m := HEADLINE_YEAR_RE.match(head_lines[0]))
        and len(set(FOUR_DIGIT_YEAR_RE.findall(head_lines[0]))) == 1
    ):
        y = int(m.group("y"))
        return y, y, f"headline: {m.group(0)}"
    for line in head_lines[:6]:  # a form: 绩效目标表 / （2020年度）
        if m := YEAR_LINE_RE.match(line):
            y = int(m.group("y"))
            return y, y, f"opening: {m.group(0).strip()}"
    if m := OWN_YEAR_PLAN_RE.search(head):
        y = int(m.group("y"))
        return y, y, f"opening: {m.group(0)}"
    targets = Counter(int(y) for y in TARGET_YEAR_RE.findall(text))
    dur = DURATION_RE.search(title) or DURATION_RE.search(head)
    if dur and targets:
        n = cn_number(dur.group("n"))
        end = targets.most_common(1)[0][0]
        if n and 1 <= n <= 15:
            return end - n + 1, end, f"{dur.group(0)} + 到{end}年×{targets[end]}"
    return None, None, None


# ----------------------------------------------------------------------------------------------------------
# Script
# ----------------------------------------------------------------------------------------------------------
@functools.cache
def _changed_table(config: str) -> np.ndarray:
    """Whether OpenCC ``config`` changes each Han character U+4E00–U+9FFF, as a boolean array (built once:
    the characters are converted one per line in a single call, so no phrase rule applies)."""
    chars = [chr(c) for c in range(ord(HAN_FIRST), ord(HAN_LAST) + 1)]
    converted = _converter(config).convert("\n".join(chars)).split("\n")
    if len(converted) != len(chars):  # never seen; fall back to one call per character
        converted = [_converter(config).convert(c) for c in chars]
    return np.fromiter((a != b for a, b in zip(chars, converted, strict=True)), dtype=bool, count=len(chars))


def detect_script(text: str, *, threshold: float = 0.9, min_han: int = 20) -> str:
    """Tell simplified from traditional text by character statistics.

    Counts Han characters that OpenCC ``t2s`` would change (traditional-only) and those ``s2t`` would change
    (simplified-only); the traditional share of these decides.

    Args:
        text: Text in its original script.
        threshold: Share at or above which the text is called traditional (or simplified, mirrored).
        min_han: Fewer Han characters than this gives ``"unknown"``.

    Returns:
        ``"simplified"``, ``"traditional"``, ``"mixed"`` or ``"unknown"``.
    """
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)  # code points
    han = codes[(codes >= ord(HAN_FIRST)) & (codes <= ord(HAN_LAST))] - ord(HAN_FIRST)
    if len(han) < min_han:
        return "unknown"
    trad = int(_changed_table("t2s")[han].sum())
    simp = int(_changed_table("s2t")[han].sum())
    if trad + simp == 0:
        return "simplified"
    share = trad / (trad + simp)
    if share >= threshold:
        return "traditional"
    if share <= 1 - threshold:
        return "simplified"
    return "mixed"


# ----------------------------------------------------------------------------------------------------------
# Everything at once
# ----------------------------------------------------------------------------------------------------------
def suggest_doc_id(file_name: str) -> str:
    """A doc_id suggestion from the file stem: lower case, non-alphanumerics to ``_`` (CJK kept)."""
    stem = Path(file_name).stem.lower()
    return re.sub(r"[^0-9a-z\u4e00-\u9fff]+", "_", stem).strip("_") or "doc"


def _report_year(text: str, *, issue_year: int) -> tuple[int | None, int | None, str | None]:
    """A news report or page of one year's work: its opening plans work of the year it was issued
    (合肥市2018年规划建设公办幼儿园61所 on a page of 2018-11-20) — a one-year document of that year."""
    m = REPORT_YEAR_RE.search(text[:REPORT_OPENING_CHARS])
    if m is None or (not m["ty"] and int(m["y"]) != issue_year):  # 今年: the year it was issued
        return None, None, None
    return issue_year, issue_year, f"opening: {m.group(0)} (issued {issue_year})"


def _meeting_year(text: str) -> tuple[int | None, int | None, str | None]:
    """A report of a year's work meeting (今天召开的2023年长沙市教育工作会透露……), even without a date."""
    m = REPORT_YEAR_RE.search(text[:REPORT_OPENING_CHARS])
    if m is None or not m["meeting"] or not m["y"]:
        return None, None, None
    return int(m["y"]), int(m["y"]), f"opening: {m.group(0)}"


def infer_metadata(
    text: str, *, file_name: str, original: str | None = None, raw: str | None = None
) -> tuple[dict, list[str]]:
    """Infer every metadata field of one document.

    Args:
        text: Cleaned simplified text.
        file_name: Source file name (used for the doc_id suggestion).
        original: Text in its original script for :func:`detect_script`; defaults to ``text``.
        raw: The decoded raw text, for date fields the cleaning dropped (:func:`infer_issue_date`).

    Returns:
        ``(fields, missing)``: ``fields`` has ``doc_id`` plus :data:`METADATA_FIELDS` and ``period_evidence``;
        ``missing`` lists the fields of :data:`INFERABLE_FIELDS` that could not be inferred.
    """
    title = infer_title(text)
    place = infer_place(text, title=title)
    start, end, period_evidence = infer_period(text, title=title)
    issue_date = infer_issue_date(text, raw=raw)
    if start is None and issue_date is not None:
        start, end, period_evidence = _report_year(text, issue_year=int(issue_date[:4]))
    if start is None:
        start, end, period_evidence = _meeting_year(text)
    fields = {
        "doc_id": suggest_doc_id(file_name),
        "title": title,
        "genre": infer_genre(title),
        **place,
        "period_start": start,
        "period_end": end,
        "period_evidence": period_evidence,
        "issue_date": issue_date,
        "script": detect_script(original if original is not None else text),
    }
    missing = [f for f in INFERABLE_FIELDS if fields.get(f) is None]
    return fields, missing
