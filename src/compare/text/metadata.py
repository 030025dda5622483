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
from compare.text.dates import DATE_LINE_RE, infer_issue_date
from compare.text.plan_years import (  # noqa: F401  (five_year_plan_years, infer_period: part of this module's API)
    SHORT_NAME_NOTE,
    TITLE_MAX_CHARS,
    YEAR_IS_RE,
    citing,
    five_year_plan_years,
    infer_period,
    report_year,
)

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
#: The verb of a page reporting a plan right before its 《title》 (近日，…联合印发《…》); 编制 only once done
#: (编制了《…》): 编制《…》和《…》 is a task the page lists, not the plan it reports.
PUBLISHED_BEFORE_RE = re.compile(
    r"出台|印发|发布|制定|制订|出炉|公布|推出|通过|颁布|下发|编制(?:了|完成|出)|实施|转发|关于"
)
#: …《…规划》已于近日发布: the plan a news page reports, named before its verb.
PUBLISHED_AFTER_RE = re.compile(SHORT_NAME_NOTE + r"[^，。；]{0,6}?(?:发布|印发|出台|公布|出炉)")
LIST_MARK_RE = re.compile(
    r"^\s*(?:\d{1,3}\s*[、.．]|[一二三四五六七八九十]+、|[（(][一二三四五六七八九十\d]+[）)])\s*"
)
SENTENCE_PUNCT_RE = re.compile(r"[。；;：:，,！？]")
ORG_END_RE = re.compile(r"(?:政府|委员会|局|厅|委|办公室|办|部|中心|学校|大学|学院)$")
# Dates.
# Alias (single-character city abbreviation) evidence: 在甬高校, 留泰就业, “甬学保”.
ALIAS_CONTEXT_TEMPLATE = r"(?:在|来|留|赴|驻|援|返){a}(?:高校|院校|大学|企业|就业|创业|工作|发展|投资|就读|求学|在籍|人才|学子|单位|机构)"
ALIAS_QUOTED_TEMPLATE = r"[“\"「]{a}[\u4e00-\u9fff]{{1,7}}[”\"」]"

TITLE_SCAN_LINES = 40
#: Lines in which a plan cited in 《》 stands for the title of a page that has none (a news page's date,
#: source and share lines come first).
QUOTED_TITLE_SCAN_LINES = 8
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
        if YEAR_IS_RE.match(body.lstrip()):
            continue  # 2021年是“十四五”规划开局之年: a statement about the year, not a title
        m = re.match(r"^(?P<t>[^。；，,：:]{4,60}?" + _genre_end_re().pattern.rstrip("$") + ")", body)
        if m:
            return _norm(m.group("t"))
    for line in lines[:QUOTED_TITLE_SCAN_LINES]:  # a news page reporting a plan: 近日，…出台《…实施方案》
        for m in QUOTED_TITLE_RE.finditer(line):  # 出台《…》, not 纳入《…》: a plan the page only cites
            if (
                _genre_end_re().search(m.group("inner"))
                and not citing(line, m.start())  # 根据…联合印发《…》: a plan the page works from
                and (
                    m.start() == 0
                    or PUBLISHED_BEFORE_RE.search(line[max(0, m.start() - 8) : m.start()])
                    or PUBLISHED_AFTER_RE.match(line, m.end())
                )
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
    issue_date = infer_issue_date(text, raw=raw)
    issued = int(issue_date[:4]) if issue_date else None
    start, end, period_evidence = infer_period(text, title=title, issue_year=issued)
    if start is None:
        start, end, period_evidence = report_year(text, issue_year=issued)
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
