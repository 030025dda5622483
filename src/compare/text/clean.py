"""Clean a raw plan document: remove artefacts, repair OCR damage, normalise, convert to simplified script.

The result keeps two texts of equal length: ``text_original`` (cleaned, in the document's own script) and
``text`` (the same, converted to simplified Chinese with OpenCC ``t2s``). Offsets of passages and sentences
refer to both. Every change is logged in a repairs table (``action``, ``rule``, ``before``, ``after``,
``line``) so a researcher can see exactly what cleaning removed or fixed.

Rules are written for the genre (government web pages, docx exports, document-sharing scrapes) and their
patterns live in ``resources/cleaning.yaml``.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

import pandas as pd
import yaml

from compare.core.config import resource_path
from compare.text.cells import is_level_cell

MASK_RE = re.compile(r"\*{2,}")
"""A masked number: two or more asterisks (``**``, ``***``, ``****``)."""

CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
CJK_PUNCT = r"，。、；：？！“”‘’（）《》【】「」『』—…·　"
SENTENCE_END = "。！？；：…”’）)】」』"
FULLWIDTH_ALNUM_RE = re.compile(
    r"[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a\uff05\uff0a\uff0e\uff0b\uff1d\uff1c\uff1e]"
)
SPACE_RE = re.compile(r"[ \t\u00a0\u3000\u2002\u2003\u2009\u202f]+")
SPACE_RUN_RE = re.compile("[ ]+")
CJK_CHAR_RE = re.compile(f"[{CJK}]")
LATIN_OR_DIGIT_RE = re.compile("[0-9A-Za-z%*]")
HEADING_START_RE = re.compile(
    r"^(?:[一二三四五六七八九十]+[、．.]|（[一二三四五六七八九十]+）|\(?[一二三四五六七八九十]+\)|"
    r"\d{1,2}[、．.](?!\d)|（\d{1,2}）|\(\d{1,2}\)|第[一二三四五六七八九十百]+[章节条部分篇])"
)
# A heading glued into running text: split it onto its own line (scraped page dumps lose line breaks).
GLUED_HEADING_RE = re.compile(
    r"(?<=[。；！？])(?=(?:[一二三四五六七八九十]{1,3}、|[（(][一二三四五六七八九十]{1,3}[)）]|\d{1,2}、(?!\d)|"
    r"\d{1,2}\.(?!\d)|[一二三四五六七八九十]{1,3}\.(?!\d)))"
)
GLUED_SUBHEADING_RE = re.compile(rf"(?<=[{CJK}])(?=[（(][一二三四五六七八九十]{{1,3}}[)）][{CJK}])")
# the same place, found by matching characters instead of lookarounds at every position (a fast pre-check)
GLUED_SUBHEADING_ANY_RE = re.compile(rf"[（(][一二三四五六七八九十]{{1,3}}[)）][{CJK}]")
TOP_HEADING_AT_START_RE = re.compile(r"^[一二三四五六七八九十]{1,3}[、．.]")
HEADING_STREAM_RE = re.compile(
    r"(?P<top>(?:^|(?<=[。；！？]))[一二三四五六七八九十]{1,3}[、．.](?!\d))"
    r"|(?P<paren>[（(](?P<tok>[一二三四五六七八九十]{1,3}|[^\s（()）\u4e00-\u9fff]{1,2})[)）])"
)
INNER_PUNCT_RE = re.compile("[。，；]")
CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


@dataclass(frozen=True)
class CleanResult:
    """Output of :func:`clean_text`.

    Attributes:
        text_original: Cleaned text in the document's own script.
        text: The same text in simplified script (same length, same offsets).
        repairs: One dict per change (``action``, ``rule``, ``before``, ``after``, ``line``).
    """

    text_original: str
    text: str
    repairs: list[dict] = field(default_factory=list)

    def repairs_frame(self, *, doc_id: str, source_sha256: str, check: bool = True) -> pd.DataFrame:
        """The repairs as a table with the ``repairs`` schema columns.

        Args:
            doc_id: The document's id.
            source_sha256: SHA-256 of the raw file.
            check: Validate against the schema (the build validates once per chunk instead).
        """
        from compare.core.schemas import REPAIRS, validate

        if not self.repairs:
            return REPAIRS.empty()
        n = len(self.repairs)
        columns = {"doc_id": [doc_id] * n}
        for key in self.repairs[0]:  # built column by column: much faster than from a list of dicts
            columns[key] = [r[key] for r in self.repairs]
        columns["source_sha256"] = [source_sha256] * n
        df = pd.DataFrame(columns)
        return validate(df, REPAIRS) if check else df


@functools.lru_cache(maxsize=1)
def target_rules() -> dict:
    """Load and compile the cleaning rules once."""
    raw = yaml.safe_load(resource_path("cleaning.yaml").read_text(encoding="utf-8"))
    ocr = raw["ocr"]
    lookalikes = "".join(re.escape(k) for k in ocr["digit_lookalikes"])
    markers = raw["sharing_banner"]["markers"]
    lookalike_tokens = sorted(ocr["heading_numeral_lookalikes"], key=len, reverse=True)
    return {
        "chrome": _any_of(raw["web_chrome_lines"]),
        "file_link": re.compile(raw["file_link_line"]),
        "banner_markers": markers,
        "banner_any": re.compile("|".join(re.escape(m) for m in markers)),
        "banner_min": raw["sharing_banner"]["min_hits"],
        "inline": [(r["name"], re.compile(r["pattern"])) for r in raw["inline_residue"]],
        "page_marker": re.compile(raw["page_markers"]["pattern"]),
        "page_min_run": raw["page_markers"]["min_run"],
        "page_min_cut": raw["page_markers"]["min_cut_share"],
        "digit_map": ocr["digit_lookalikes"],
        # a run of digits and look-alike letters containing at least one letter and one more character
        "ocr_number": re.compile(
            rf"(?<![A-Za-z0-9.])(?=[0-9{lookalikes}]*[{lookalikes}])(?=[0-9{lookalikes}]*[0-9IO])"
            rf"([0-9{lookalikes}]{{2,}})(?![A-Za-z0-9])(?=\s*(?:{_unit_alternation()}))"
        ),
        "heading_lookalikes": ocr["heading_numeral_lookalikes"],
        # a "(X)" heading whose X is a look-alike: without one, the heading repair has nothing to do
        "heading_lookalike_any": re.compile(
            "[（(](?:" + "|".join(re.escape(t) for t in lookalike_tokens) + ")[)）]"
        ),
        "phrases": [(re.compile(p["pattern"]), p["replacement"]) for p in ocr["phrases"]],
        "percent_o": re.compile(ocr["percent_o"]),
        "t2s_fixes": raw["t2s_fixes"],
    }


def strip_inline_residue(text: str) -> str:
    """A phrase copied from a raw file as it reads after cleaning: the inline residue the cleaning removes
    (docx bookmarks, zero-width and control characters, pinyin glosses such as 穩(wěn)) taken out."""
    for _name, pattern in target_rules()["inline"]:
        text = pattern.sub("", text)
    return text


def _any_of(patterns: list[str]) -> tuple[re.Pattern, ...]:
    """At most two regexes that together match a line when any of ``patterns`` does.

    Patterns anchored with ``^`` are joined under one ``^`` (the engine then tries only the line start);
    the others are joined into a second regex.
    """
    anchored = [p[1:] for p in patterns if p.startswith("^")]
    floating = [p for p in patterns if not p.startswith("^")]
    regexes = [re.compile("|".join(f"(?:{p})" for p in floating))] if floating else []
    if anchored:
        regexes.insert(0, re.compile("^(?:" + "|".join(f"(?:{p})" for p in anchored) + ")"))
    return tuple(regexes)


def _unit_alternation() -> str:
    """Units that make a look-alike number unambiguous (a count or share follows it)."""
    units = ["%", "％", "‰", "名", "人", "所", "个", "個", "万", "萬", "亿", "億", "元", "家", "项", "項", "门",
             "門", "条", "條", "次", "期", "班", "套", "间", "間", "平方米", "米", "公里", "小时", "小時", "学时",
             "學時", "天", "年"]  # fmt: skip
    return "|".join(re.escape(u) for u in sorted(units, key=len, reverse=True))


@functools.lru_cache(maxsize=1)
def converter():
    import opencc

    return opencc.OpenCC("t2s")


def _log(repairs: list[dict], action: str, rule: str, before: str, after: str, line: int) -> None:
    repairs.append(
        {"action": action, "rule": rule, "before": before, "after": after, "line": max(int(line), 1)}
    )


def _halfwidth(s: str) -> str:
    return FULLWIDTH_ALNUM_RE.sub(lambda m: chr(ord(m.group()) - 0xFEE0), s)


@functools.lru_cache(maxsize=64)
def _multiline(pattern: re.Pattern) -> re.Pattern:
    """``pattern`` with ``^``/``$`` matching at line breaks: a search of the whole text finds every line match."""
    return re.compile(pattern.pattern, pattern.flags | re.MULTILINE)


def _in_any_line(pattern: re.Pattern, text: str) -> bool:
    """Whether ``pattern`` may match some line of ``text`` (one search of the whole text; may say yes wrongly,
    never no wrongly), so the per-line pass runs only for the rules that have something to do."""
    return _multiline(pattern).search(text) is not None


def _joined(lines: list[tuple[int, str]]) -> str:
    return "\n".join(line for _, line in lines)


def _ends_sentence(line: str) -> bool:
    return bool(line) and line.rstrip()[-1] in SENTENCE_END


def _drop_artefact_lines(lines: list[tuple[int, str]], repairs: list[dict]) -> list[tuple[int, str]]:
    rules = target_rules()
    text = _joined(lines)
    inline = [(name, p) for name, p in rules["inline"] if _in_any_line(p, text)]
    chrome, file_link, banner_any = rules["chrome"], rules["file_link"], rules["banner_any"]
    kept = []
    for no, line in lines:
        for name, pattern in inline:
            if pattern.search(line):
                for m in pattern.finditer(line):  # invisible characters are logged by code point
                    before = m.group() if m.group().isprintable() else f"U+{ord(m.group()[0]):04X}"
                    _log(repairs, "removed", name, before, "", no)
                line = pattern.sub("", line)
        stripped = line.strip()
        if not stripped:
            kept.append((no, ""))
            continue
        if any(p.search(stripped) for p in chrome):
            _log(repairs, "removed", "web_chrome", stripped, "", no)
            continue
        if file_link.match(stripped):
            _log(repairs, "removed", "file_link", stripped, "", no)
            continue
        if (
            banner_any.search(stripped)
            and sum(m in stripped for m in rules["banner_markers"]) >= rules["banner_min"]
        ):
            _log(repairs, "removed", "sharing_banner", stripped, "", no)
            continue
        kept.append((no, line))
    return kept


def _join_page_markers(lines: list[tuple[int, str]], repairs: list[dict]) -> list[tuple[int, str]]:
    """Strip "N、" page markers of scraped page dumps and rejoin the words they cut.

    A line-start "N、" is a page marker only when such numbers run consecutively (1、, 2、, 3、 …) over at least
    ``min_run`` non-empty lines and most of those lines continue a sentence the previous line left open.
    Real list items ("3、加强…") fail one of those tests and survive.
    """
    rules = target_rules()
    content = [(i, no, line) for i, (no, line) in enumerate(lines) if line.strip()]
    marked = []
    for k, (_i, _no, line) in enumerate(content):
        m = rules["page_marker"].match(line)
        if m:
            marked.append((k, int(m.group(1))))
    # find runs of consecutive content lines whose numbers increase by exactly 1
    runs, run = [], []
    for k, n in marked:
        if run and k == run[-1][0] + 1 and n == run[-1][1] + 1:
            run.append((k, n))
        else:
            if len(run) >= rules["page_min_run"]:
                runs.append(run)
            run = [(k, n)]
    if len(run) >= rules["page_min_run"]:
        runs.append(run)
    page_lines = set()
    for run in runs:
        cut = sum(1 for k, _ in run if k > 0 and not _ends_sentence(content[k - 1][2]))
        if cut / len(run) >= rules["page_min_cut"]:
            page_lines.update(k for k, _ in run)
    if not page_lines:
        return lines
    out: list[tuple[int, str]] = []
    for k, (_i, no, line) in enumerate(content):
        if k in page_lines:
            m = rules["page_marker"].match(line)
            body = line[m.end() :]
            _log(repairs, "removed", "page_marker", m.group(), "", no)
            if out and not _ends_sentence(out[-1][1]):
                prev_no, prev = out[-1]
                tail, head = prev[-4:], body[:4]
                _log(repairs, "joined", "page_break_join", f"{tail}|{head}", f"{tail}{head}", no)
                out[-1] = (prev_no, prev + body)
                continue
            line = body
        out.append((no, line))
    return out


def _split_glued_headings(lines: list[tuple[int, str]], repairs: list[dict]) -> list[tuple[int, str]]:
    """Put headings that lost their line break (e.g. "…提高。三、重点任务（一）推进…") on their own lines."""
    text = _joined(lines)
    if not GLUED_HEADING_RE.search(text) and not GLUED_SUBHEADING_ANY_RE.search(text):
        return lines  # nothing glued anywhere
    out = []
    for no, line in lines:
        parts = GLUED_HEADING_RE.split(line)
        pieces = []
        for part in parts:
            # "三、重点任务（一）推进…": a sub-heading glued to a top heading with no punctuation between
            if TOP_HEADING_AT_START_RE.match(part) and len(part) > 0:
                sub = GLUED_SUBHEADING_RE.split(part, maxsplit=1)
                if len(sub) == 2 and len(sub[0]) <= 20:
                    pieces.extend(sub)
                    continue
            pieces.append(part)
        pieces = [p for p in pieces if p]
        if len(pieces) > 1:
            for p in pieces[1:]:
                _log(repairs, "repaired", "split_glued_heading", p[:12], "\n" + p[:12], no)
        out.extend((no, p) for p in pieces)
    return out


def _join_wrapped_lines(lines: list[tuple[int, str]], repairs: list[dict]) -> list[tuple[int, str]]:
    """Rejoin paragraphs that a web page wrapped mid-sentence ("科学谋划标" / "杆,实施…")."""
    out: list[tuple[int, str]] = []
    for no, line in lines:
        if not line.strip():
            continue
        if out:
            prev_no, prev = out[-1]
            p = prev.rstrip()
            open_clause = p and p[-1] in "，,、"
            # a cut line: long, or carrying inner punctuation that a heading would not have
            long_cut = (
                (len(p) >= 40 or (len(p) >= 10 and INNER_PUNCT_RE.search(p, 0, len(p) - 1) is not None))
                and p[-1] not in SENTENCE_END
                and p[-1] != "|"  # a table row ends there (项目 | 进度 | 100 |), not a cut sentence
                and not HEADING_START_RE.match(p)
            )
            if (
                (open_clause or long_cut)
                and not HEADING_START_RE.match(line.strip())
                and not is_level_cell(p)  # 小学3.8，初中4.6: a table cell, not a wrapped sentence
            ):
                _log(repairs, "joined", "wrapped_line_join", f"{p[-4:]}|{line.strip()[:4]}", "", no)
                out[-1] = (prev_no, p + line.strip())
                continue
        out.append((no, line))
    return out


def _repair_ocr(lines: list[tuple[int, str]], repairs: list[dict]) -> list[tuple[int, str]]:
    rules = target_rules()
    digit_map = rules["digit_map"]
    text = _joined(lines)
    number = rules["ocr_number"] if _in_any_line(rules["ocr_number"], text) else None
    percent = rules["percent_o"] if _in_any_line(rules["percent_o"], text) else None
    phrases = [(p, r) for p, r in rules["phrases"] if _in_any_line(p, text)]
    if number is None and percent is None and not phrases:
        return _repair_heading_numerals(lines, repairs)
    out = []
    for no, line in lines:

        def fix_number(m: re.Match, no: int = no) -> str:
            fixed = "".join(digit_map.get(ch, ch) for ch in m.group(1))
            _log(repairs, "repaired", "ocr_digits", m.group(1), fixed, no)
            return fixed

        if number is not None:
            line = number.sub(fix_number, line)

        def fix_percent(m: re.Match, no: int = no) -> str:
            _log(repairs, "repaired", "ocr_percent_o", m.group(), f"{m.group(1)}%。", no)
            return f"{m.group(1)}%。"

        if percent is not None:
            line = percent.sub(fix_percent, line)
        for pattern, repl in phrases:
            for m in pattern.finditer(line):
                _log(repairs, "repaired", "ocr_phrase", m.group(), repl, no)
            line = pattern.sub(repl, line)
        out.append((no, line))
    return _repair_heading_numerals(out, repairs)


def _repair_heading_numerals(lines: list[tuple[int, str]], repairs: list[dict]) -> list[tuple[int, str]]:
    """Repair "(-)" → （一）, "(A)" → （八） only where the heading sequence expects that number.

    Headings are read as a stream: a top-level "三、" restarts the sub-heading count, each "（N）" sets the
    next expected number, and a look-alike is replaced only when its numeral is exactly the expected one.
    """
    rules = target_rules()
    if not rules["heading_lookalike_any"].search(_joined(lines)):
        return lines  # no look-alike "(X)" anywhere
    lookalikes = rules["heading_lookalikes"]
    expected = 1
    out = []
    for no, line in lines:
        pieces, last = [], 0
        for m in HEADING_STREAM_RE.finditer(line):
            if m.group("top"):
                expected = 1
                continue
            token = m.group("tok")
            value = _small_cn_number(token)
            if value is not None:
                expected = value + 1
                continue
            numeral = lookalikes.get(token)
            if numeral is not None and CN_DIGITS.get(numeral, 10 if numeral == "十" else 0) == expected:
                pieces.append(line[last : m.start()] + f"（{numeral}）")
                last = m.end()
                _log(repairs, "repaired", "ocr_heading_numeral", m.group(), f"（{numeral}）", no)
                expected += 1
        pieces.append(line[last:])
        out.append((no, "".join(pieces)))
    return out


def _small_cn_number(s: str) -> int | None:
    if s == "十":
        return 10
    if len(s) == 1:
        return CN_DIGITS.get(s)
    if len(s) == 2 and s[0] == "十":
        return 10 + CN_DIGITS.get(s[1], 0)
    if len(s) == 2 and s[1] == "十":
        return CN_DIGITS.get(s[0], 0) * 10
    return None


PUNCT_MAP = {",": "，", ";": "；", ":": "：", "?": "？", "!": "！", "(": "（", ")": "）"}
_CHINESE_BEFORE = rf"[{CJK}{CJK_PUNCT}\d%*]"  # a character after which punctuation is Chinese
_CHINESE_AFTER = rf"[{CJK}{CJK_PUNCT}]"  # a character before which punctuation is Chinese
# Half-width punctuation that stays half-width: nothing Chinese on either side ("a, b", "Q&A?"), or a comma /
# colon inside a number (1,000 / 12:30). Brackets always become full-width.
# (the mark is matched first and its context checked after, so the engine scans for the mark alone)
KEEP_ASCII_PUNCT_RE = re.compile(
    rf"[,;:?!](?:(?<!{_CHINESE_BEFORE}[,;:?!])(?!{_CHINESE_AFTER})|(?<=\d[,:])(?=\d))"
)


def _unify_punctuation(text: str) -> str:
    """Half-width punctuation in Chinese running text becomes full-width; numbers keep theirs (1,000 / 12:30).

    The text between the marks that stay half-width is converted with plain replacements.
    """
    out, last = [], 0
    for m in KEEP_ASCII_PUNCT_RE.finditer(text):
        out.append(_full_width_punct(text[last : m.start()]))
        out.append(m.group())
        last = m.end()
    if not out:
        return _full_width_punct(text)
    out.append(_full_width_punct(text[last:]))
    return "".join(out)


def _full_width_punct(text: str) -> str:
    for half, full in PUNCT_MAP.items():
        if half in text:
            text = text.replace(half, full)
    return text


def _drop_spaces_next_to_cjk(text: str) -> str:
    """Drop a space next to Chinese punctuation or between Chinese and a digit/Latin letter (``到 2025 年``).

    A space between two Chinese characters separates names or title parts and is kept. The neighbours of
    each run of spaces (few in Chinese text) are checked, instead of lookbehinds at every character.
    """
    if " " not in text:
        return text
    out, last = [], 0
    n = len(text)
    for m in SPACE_RUN_RE.finditer(text):
        i, j = m.start(), m.end()
        before = text[i - 1] if i else ""
        after = text[j] if j < n else ""
        if (
            (before and before in CJK_PUNCT)
            or (after and after in CJK_PUNCT)
            or (CJK_CHAR_RE.match(before) and LATIN_OR_DIGIT_RE.match(after))
            or (LATIN_OR_DIGIT_RE.match(before) and CJK_CHAR_RE.match(after))
        ):
            out.append(text[last:i])
            last = j
    if not out:
        return text
    out.append(text[last:])
    return "".join(out)


#: Cells of a table row pasted on one line, separated by wide spacing (ideographic spaces, tabs, 2+ spaces).
TABLE_CELL_SEP_RE = re.compile(r"\u3000+|\t+| {2,}")
#: A cell that holds a figure (93.5, >95, ≥90, 2025年).
TABLE_FIGURE_CELL_RE = re.compile(r"^[<>≥≤＞＜]?\s*\d")
#: Rows longer than this are prose with odd spacing, not table rows.
TABLE_ROW_MAX_CHARS = 120


def _split_spaced_table_rows(lines: list[tuple[int, str]], repairs: list[dict]) -> list[tuple[int, str]]:
    """A table row pasted on one line (指标　2020年　2025年　属性) becomes one cell per line, the layout the
    indicator-table reader knows; the cleaning would otherwise glue a label to its figures (率（%）93.5)."""
    out: list[tuple[int, str]] = []
    for no, line in lines:
        cells = [c for c in TABLE_CELL_SEP_RE.split(line.strip()) if c.strip()]
        if (
            len(cells) >= 3
            and len(line) <= TABLE_ROW_MAX_CHARS
            and any(TABLE_FIGURE_CELL_RE.match(c.strip()) for c in cells)
        ):
            _log(repairs, "repaired", "table_row_split", line.strip(), "\n".join(cells), no)
            out.extend((no, c) for c in cells)
        else:
            out.append((no, line))
    return out


def _normalise_lines(lines: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Collapse spaces, unify punctuation, drop spaces next to Chinese, strip — on every line.

    Three substitutions over the joined text: none of the patterns crosses a line break, and a line break
    counts as "not Chinese", like the start of a line.
    """
    if not lines:
        return lines
    text = _drop_spaces_next_to_cjk(_unify_punctuation(SPACE_RE.sub(" ", _joined(lines))))
    return [(no, line.strip()) for (no, _), line in zip(lines, text.split("\n"), strict=True)]


def to_simplified(text: str) -> str:
    """Convert to simplified script with OpenCC ``t2s`` plus the 著→着 fixes, keeping the length.

    Args:
        text: Text in any Chinese script.

    Returns:
        Simplified text of exactly the same length (a line whose conversion would change its length is
        converted character by character instead).
    """
    conv = converter()
    fixes = target_rules()["t2s_fixes"]
    whole = conv.convert(text)
    if len(whole) == len(text) and not any(wrong in whole for wrong in fixes):
        return whole  # the usual case: one call into OpenCC
    out_lines = []
    for line in text.split("\n"):
        simp = conv.convert(line)
        if len(simp) != len(line):
            simp = "".join(c if len(c) == 1 else ch for ch, c in ((ch, conv.convert(ch)) for ch in line))
        for wrong, right in fixes.items():
            if wrong in simp and len(wrong) == len(right):
                simp = simp.replace(wrong, right)
        out_lines.append(simp)
    return "\n".join(out_lines)


def clean_text(raw: str) -> CleanResult:
    """Clean one decoded document.

    Steps: inline residue (docx bookmarks, zero-width characters) and chrome lines are removed; scraped
    page markers are stripped and the words they cut are rejoined; glued headings get their own line;
    wrapped lines are rejoined; OCR damage is repaired in unambiguous contexts; full-width letters/digits
    become half-width, punctuation is unified to full-width Chinese forms, whitespace collapsed and blank
    lines dropped; masked numbers (``**``) are kept and logged; finally the text is converted to
    simplified script.

    Args:
        raw: The decoded raw text.

    Returns:
        A :class:`CleanResult` with the original-script and simplified texts and the repairs log.
    """
    repairs: list[dict] = []
    raw = raw.replace("\r\n", "\n").replace("\r", "\n")
    lines = list(enumerate(_halfwidth(raw).replace("＊", "*").split("\n"), start=1))
    lines = _drop_artefact_lines(lines, repairs)
    lines = _split_spaced_table_rows(lines, repairs)
    lines = _join_page_markers(lines, repairs)
    lines = _normalise_lines(lines)
    lines = _join_wrapped_lines(lines, repairs)
    lines = _repair_ocr(lines, repairs)
    lines = _split_glued_headings(lines, repairs)
    lines = [(no, line) for no, line in lines if line]
    text_original = _joined(lines)
    if MASK_RE.search(text_original):
        for no, line in lines:
            for m in MASK_RE.finditer(line):
                _log(repairs, "masked", "masked_number", m.group(), m.group(), no)
    return CleanResult(text_original=text_original, text=to_simplified(text_original), repairs=repairs)
