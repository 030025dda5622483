"""The date a document was issued: a signature line, a date field of the page, or a page's date line.

Also the small Chinese numerals the dates (and plan periods) are written with.
"""

from __future__ import annotations

import re

from compare.text.clean import strip_inline_residue

DATE_LINE_RE = re.compile(r"^\s*(?P<y>(?:19|20)\d{2})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日\s*$")
CN_DATE_LINE_RE = re.compile(
    r"^\s*(?P<y>[〇○零一二三四五六七八九]{4})年(?P<m>[一二三四五六七八九十]{1,3})月(?P<d>[一二三四五六七八九十]{1,3})日\s*$"
)
#: A page's date line (2023-03-15 17:52:15, 2022/8/11 来源:…): a news page prints its publication date at the
#: start of a line, alone or before its source.
ISO_DATE_LINE_RE = re.compile(
    r"^\s*(?P<y>(?:19|20)\d{2})(?P<sep>[-/.])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})(?!\d)"
    r"(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?(?:\s|$)"
)
#: A page's source or time line with its date (来源:市场星报 2018-11-20 01:00 / 时间: 2017-02-10 14:40).
SOURCE_DATE_LINE_RE = re.compile(
    r"^\s*(?:来源\s*[:：]\s*[^\s\d]{1,20}|时间|日期)\s*[:：]?\s*"
    r"(?P<y>(?:19|20)\d{2})(?P<sep>[-/.])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})(?!\d)"
)
#: A page's date line written with 年月日 before its source or author (2017年04月10日 来源:广西日报 作者:…); a date
#: opening a sentence (2017年4月10日，全市…) is an event's, not the page's.
CN_SOURCE_DATE_LINE_RE = re.compile(
    r"^\s*(?P<y>(?:19|20)\d{2})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日\s*(?:\d{1,2}:\d{2}(?::\d{2})?\s*)?"
    r"(?:来源|來源|作者|编辑|編輯|稿源|发布|發布|浏览|瀏覽|点击|點擊|字号|字號)"
)
#: A stamp of when a page was last updated (更新:2023-09-21 07:50:41, 最后修改时间: …): a mirror's date, not the
#: text's.
UPDATE_STAMP_RE = re.compile(r"^\s*(?:最后|最近)?(?:更新|修改)(?:时间|時間|日期)?\s*[:：]")
#: Four digits that can be a year (not part of a longer number).
FOUR_DIGIT_YEAR_RE = re.compile(r"(?<!\d)(?:19|20)\d{2}(?!\d)")
#: A year the text names: four digits before 年 or in a range of years (not 1950万元, not an index number).
YEAR_MENTION_RE = re.compile(r"(?<!\d)(?:19|20)\d{2}(?=\s*(?:年|[-—–~～至到、]\s*(?:19|20)\d{2}))")


def _update_stamp_fits(line: str, text: str) -> bool:
    """Whether a page's update stamp can be its date: the text names no year, or names the stamp's year or
    the one before (更新时间:2019-06-10 on a page of 去年…2018-2022年规划 … 今年). A stamp years after every year
    the text names is a mirror's (更新:2023-09-21 on a page of 2018年…为民办实事项目)."""
    stamp = FOUR_DIGIT_YEAR_RE.search(line)
    named = {int(y) for y in YEAR_MENTION_RE.findall(text)}
    return stamp is None or not named or bool(named & {int(stamp[0]), int(stamp[0]) - 1})


#: A page's stamp: a date and a time in a short line (源丰都日报2018-09-18 11:21, 2024年04月28日18:26  来源:…).
PAGE_STAMP_RE = re.compile(
    r"(?P<y>(?:19|20)\d{2})(?:(?P<sep>[-/.])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})\s*|年(?P<m2>\d{1,2})月(?P<d2>\d{1,2})日\s*)"
    r"\d{1,2}:\d{2}"
)  # also 洛阳网 2021.01.15 11:58 / 2020/3/5 09:12
PAGE_STAMP_MAX_LINE = 60
#: The same date written day first (04.02.2017  03:09), as some page templates print it.
DMY_DATE_LINE_RE = re.compile(
    r"^\s*(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>(?:19|20)\d{2})(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?\s*$"
)
#: A stamp of a time then a day-first date in a short line (哈尔滨10:16 05.03.2016 新浪黑龙江).
DMY_STAMP_RE = re.compile(r"\d{1,2}:\d{2}\s+(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>(?:19|20)\d{2})(?!\d)")
DATE_FIELD_RE = re.compile(
    r"(?P<field>成文日期|发文日期|印发日期|生成日期|发布日期|发布时间|發布日期|發布時間|发表于|發表於|发布于|(?<![止截期])日期)\s*[:：|]?\s*"  # | : a page's field table (发文日期 | 2022-07-14 |)
    r"(?P<y>(?:19|20)\d{2})\s*[-年./]\s*(?P<m>\d{1,2})\s*[-月./]\s*(?P<d>\d{1,2})"
)

#: A news item's dateline with its year (荆楚网消息（记者 刘涛）2019年1月9日，… / 新华社北京3月5日电 is no year).
DATELINE_RE = re.compile(
    r"^\s*[^，。；\d]{0,20}?(?:消息|讯|电)\s*(?:[（(][^）)]{0,30}[)）])?\s*"
    r"(?P<y>(?:19|20)\d{2})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日"
)

DATE_SCAN_LINES = 40

CN_DIGITS = {
    "〇": 0,
    "○": 0,
    "零": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}


def cn_number(s: str) -> int | None:
    """Small Chinese numerals: 三 → 3, 十四 → 14, 二十 → 20, 二十九 → 29; digits pass through."""
    if s.isdigit():
        return int(s)
    if "十" in s:
        head, _, tail = s.partition("十")
        tens = CN_DIGITS.get(head, 1) if head else 1
        ones = CN_DIGITS.get(tail, 0) if tail else 0
        return tens * 10 + ones
    if len(s) == 1 and s in CN_DIGITS:
        return CN_DIGITS[s]
    return None


def _iso(y: int, m: int, d: int) -> str | None:
    if 1 <= m <= 12 and 1 <= d <= 31:
        return f"{y:04d}-{m:02d}-{d:02d}"
    return None


#: Date fields in order of preference: the date a document was written before the date a page published it.
DATE_FIELDS = (
    "成文日期", "发文日期", "印发日期", "生成日期", "发布日期", "發布日期", "发布时间", "發布時間", "发表于", "發表於",
    "发布于",
    "日期",
)  # fmt: skip


def infer_issue_date(text: str, *, raw: str | None = None) -> str | None:
    """Find the issue date: a signature line (2023年5月29日 / 二〇二三年五月二十九日) standing alone in the
    first or last lines, else a 成文日期 / 生成日期 / 发布日期 / 发布时间 / 发表于 field, else a page's date line
    (2023-03-15 17:52:15, 2022/8/11, 04.02.2017, 来源:某报 2018-11-20) in the first lines, else a news item's
    dateline (某网消息（记者 某某）2019年1月9日，…). Other dates inside sentences (deadlines such as 2023年5月底前) are
    never used.

    Args:
        text: Cleaned text.
        raw: The decoded raw text: its date fields are read too when the cleaning dropped them with the
            page's chrome (来源：… 发布时间：2019-12-27).

    Returns:
        ISO date ``yyyy-mm-dd`` or ``None``.
    """
    lines = [ln for ln in text.splitlines() if ln.strip()]
    for line in lines[:DATE_SCAN_LINES] + lines[-10:]:
        if m := DATE_LINE_RE.match(line):
            return _iso(int(m.group("y")), int(m.group("m")), int(m.group("d")))
        if m := CN_DATE_LINE_RE.match(line):
            y = int("".join(str(CN_DIGITS[c]) for c in m.group("y")))
            mm, dd = cn_number(m.group("m")), cn_number(m.group("d"))
            if mm and dd:
                return _iso(y, mm, dd)
    for source in (text, strip_inline_residue(raw or "")):  # 發(fā)布時間: a gloss splits the field name
        fields = {m.group("field"): m for m in DATE_FIELD_RE.finditer(source[:3000])}
        for name in DATE_FIELDS:
            if m := fields.get(name):
                return _iso(int(m.group("y")), int(m.group("m")), int(m.group("d")))
    raw_lines = [ln for ln in strip_inline_residue(raw or "").splitlines() if ln.strip()]
    for line in (
        lines[:DATE_SCAN_LINES] + raw_lines[:DATE_SCAN_LINES]
    ):  # the raw page's, if cleaning dropped it
        if UPDATE_STAMP_RE.match(line) and not _update_stamp_fits(line, text):
            continue  # 更新:2023-09-21 07:50:41 on a page of 2018's programme: when a mirror last touched it
        if (
            m := ISO_DATE_LINE_RE.match(line)
            or DMY_DATE_LINE_RE.match(line)
            or SOURCE_DATE_LINE_RE.match(line)
            or CN_SOURCE_DATE_LINE_RE.match(line)
        ):
            return _iso(int(m.group("y")), int(m.group("m")), int(m.group("d")))
        if len(line) <= PAGE_STAMP_MAX_LINE and (m := PAGE_STAMP_RE.search(line)):
            return _iso(int(m["y"]), int(m["m"] or m["m2"]), int(m["d"] or m["d2"]))
        if len(line) <= PAGE_STAMP_MAX_LINE and (m := DMY_STAMP_RE.search(line)):
            return _iso(int(m["y"]), int(m["m"]), int(m["d"]))
    for line in lines[:DATE_SCAN_LINES]:
        if m := DATELINE_RE.match(line):
            return _iso(int(m.group("y")), int(m.group("m")), int(m.group("d")))
    return None
