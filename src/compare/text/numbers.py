"""Find and parse number spans in Chinese policy text.

Only the spans found here are ever converted: running text is never transformed (``cn2an.transform``
damages 进一步, 二十大, headings …). A span is Arabic digits (half- or full-width, decimals), Chinese numerals
(二〇三五, 两, 一万二, 十五), a percentage or per-mille (90%, 百分之九十, 万分之0.34, 8‰), a range (1-2, 5～6,
1至2) or a mask (``**``). Scale words (万, 亿, 千) that follow a number are applied to its value.

The result is a list of :class:`NumberSpan`; what the number *means* (a target, a year, a heading) is decided
by :mod:`compare.extraction.targets` and :mod:`compare.timeline`.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field

import cn2an

__all__ = [
    "MAX_ABS_VALUE",
    "NumberSpan",
    "find_numbers",
    "parse_chinese_numeral",
    "parse_number_text",
]

#: Values larger than this are reported as overflow (no plan states a quantity above 10^15).
MAX_ABS_VALUE = 1e15

_CN_DIGITS = "零〇一二两三四五六七八九"
_CN_UNITS = "十百千万亿"
_CN_CHARS = _CN_DIGITS + _CN_UNITS + "点"

# Arabic number: half/full-width digits, optional decimal part.
_ARABIC = r"[0-9０-９]+(?:[.．][0-9０-９]+)?"
# Chinese numeral run (needs at least one digit or 十/百 char; 点 only inside).
_CHINESE = rf"[{_CN_DIGITS}十百千][{_CN_CHARS}]*"
_RANGE_SEP = r"\s*(?:-|－|—|–|~|～|〜|至|到|一)\s*"
_SCALE = r"[万亿千]"

#: A character every number span holds (a digit, a mask's *, a Chinese numeral's first character): a text
#: without one has no number.
RE_NUMBER_CHAR = re.compile(rf"[0-9０-９*{_CN_DIGITS}十百千]")

#: Masked number (the mask token kept by cleaning), optionally followed by a scale word.
RE_MASK = re.compile(r"\*{2,}")
#: 百分之九十, 百分之90, 万分之0.34, 千分之五.
RE_FRACTION_WORD = re.compile(rf"(?P<den>百|千|万)分之(?P<num>{_ARABIC}|{_CHINESE})")
#: Tenths written 八成 / 7成 (a share: 八成以上 = 80 % or more); not 成员, 成为, 成功, 成果 …
RE_TENTHS = re.compile(
    r"(?P<num>[一二三四五六七八九]|(?<![\d.])[1-9](?![\d.]))成(?![员为功绩果本立长都效熟型品就])"
)
#: Arabic number with optional range, scale word and percent / per-mille sign.
RE_ARABIC = re.compile(
    rf"(?P<lo>{_ARABIC})(?:(?P<sep>{_RANGE_SEP})(?P<hi>{_ARABIC}))?"
    rf"(?P<scale>{_SCALE}(?![分]))?(?P<pct>%o|％o|%|％|‰|‱)?"
)
#: Chinese numeral with optional range (三至五, 三四个 is not handled) and scale.
RE_CHINESE = re.compile(rf"(?P<lo>{_CHINESE})(?:(?P<sep>至|到)(?P<hi>{_CHINESE}))?")

_FRACTION_UNIT = {"百": "%", "千": "‰", "万": "‱"}
#: Digits with OCR letters inside (1O0, 2l5): read as digits and flagged, never silently trusted.
RE_GARBLED_DIGITS = re.compile(r"(?<![A-Za-z])[0-9][0-9]*[OoIl]+[0-9OoIl]*(?![A-Za-z])")
_OCR_DIGIT = str.maketrans({"O": "0", "o": "0", "I": "1", "l": "1"})

_PCT_UNIT = {"%": "%", "％": "%", "%o": "%", "％o": "%", "‰": "‰", "‱": "‱"}
_SCALE_VALUE = {"万": 1e4, "亿": 1e8, "千": 1e3}


@dataclass(frozen=True)
class NumberSpan:
    """One number found in a text.

    Attributes:
        start: Offset of the first character of the span in the text searched.
        end: Offset just after the span (scale word and %/‰ included).
        text: The span as written.
        value: The number (scale words applied), None when masked or unparseable.
        value_max: Upper end of a range, else None.
        unit: ``%``, ``‰`` or ``‱`` when the span itself carries it, else "" (units such as 所 follow the span).
        scale: The scale word applied (万, 亿, 千) or "".
        is_masked: The number is hidden by ``**``.
        is_chinese: Written in Chinese numerals.
        is_range: Written as a range (1-2, 1至2, 1一2).
        n_int_digits: Number of digits before the decimal point (Arabic only; 0 otherwise).
        flags: Problems noticed while parsing (overflow, unparseable …).
    """

    start: int
    end: int
    text: str
    value: float | None
    value_max: float | None = None
    unit: str = ""
    scale: str = ""
    is_masked: bool = False
    is_chinese: bool = False
    is_range: bool = False
    n_int_digits: int = 0
    flags: tuple[str, ...] = field(default_factory=tuple)


def _checked(value: float | None, flags: list[str]) -> float | None:
    if value is None:
        return None
    if math.isnan(value) or math.isinf(value) or abs(value) > MAX_ABS_VALUE:
        flags.append("overflow")
        return None
    return value


def parse_chinese_numeral(text: str) -> float | None:
    """Convert a bare Chinese numeral (二〇三五, 两, 一万二, 十五, 百, 七点六万) to a number.

    Args:
        text: The numeral only (no unit, no surrounding text).

    Returns:
        The value, or None if it is not a numeral cn2an (plus scale handling) can read.
    """
    s = text.strip()
    if not s:
        return None
    if s in ("百", "千", "万", "亿"):
        return {"百": 100.0, "千": 1000.0, "万": 1e4, "亿": 1e8}[s]
    try:
        return float(cn2an.cn2an(s, "smart"))
    except (ValueError, KeyError, IndexError, TypeError):
        pass
    # 七点六万: mantissa with a decimal point followed by a scale word.
    if len(s) > 1 and s[-1] in _SCALE_VALUE:
        head = parse_chinese_numeral(s[:-1])
        if head is not None:
            return head * _SCALE_VALUE[s[-1]]
    return None


def _arabic(text: str) -> float | None:
    s = unicodedata.normalize("NFKC", text).replace("．", ".")
    try:
        return float(s)
    except ValueError:
        return None


def parse_number_text(text: str) -> float | None:
    """Parse one number written in Arabic or Chinese numerals (no unit, no range).

    Args:
        text: E.g. ``"7.6"``, ``"７６"``, ``"二〇三五"``, ``"两"``.

    Returns:
        The value or None.
    """
    s = text.strip()
    if not s:
        return None
    if re.fullmatch(_ARABIC, s):
        return _arabic(s)
    return parse_chinese_numeral(s)


def _int_digits(text: str) -> int:
    s = unicodedata.normalize("NFKC", text)
    return len(s.split(".")[0].replace("．", ""))


#: Two neighbouring Chinese digits without 十 (一两, 两三, 三四, 三五, 七八): "one or two", a range of counts.
_CN_DIGIT = {"一": 1, "两": 2, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
RE_CN_ABOUT = re.compile(r"一[两二]|[两二]三|三[四五]|四五|五六|六七|七八|八九")


def find_numbers(text: str, *, chinese: bool = True) -> list[NumberSpan]:
    """Find every number span in a text, left to right, without overlaps.

    Args:
        text: A sentence or passage (simplified or traditional; digits are the same).
        chinese: Also look for numbers written in Chinese numerals. Callers decide whether such a span is a
            quantity (三年内, 两所) or part of a word (进一步, 一体化): this function only reads them.

    Returns:
        The spans, sorted by start offset.
    """
    spans: list[NumberSpan] = []
    if not RE_NUMBER_CHAR.search(text):
        return spans
    taken = [False] * (len(text) + 1)

    def free(a: int, b: int) -> bool:
        return not any(taken[a:b])

    def take(span: NumberSpan) -> None:
        for i in range(span.start, span.end):
            taken[i] = True
        spans.append(span)

    for m in RE_MASK.finditer(text):
        end = m.end()
        scale = ""
        if end < len(text) and text[end] in _SCALE_VALUE:
            scale = text[end]
            end += 1
        take(NumberSpan(m.start(), end, text[m.start() : end], None, scale=scale, is_masked=True))

    for m in RE_GARBLED_DIGITS.finditer(text):
        if not free(m.start(), m.end()):
            continue
        flags = ["garbled_digits"]
        value = _checked(_arabic(m.group(0).translate(_OCR_DIGIT)), flags)
        take(
            NumberSpan(
                m.start(), m.end(), m.group(0), value, n_int_digits=m.end() - m.start(), flags=tuple(flags)
            )
        )

    for m in RE_FRACTION_WORD.finditer(text):
        if not free(m.start(), m.end()):
            continue
        flags: list[str] = []
        value = _checked(parse_number_text(m["num"]), flags)
        if value is None and not flags:
            flags.append("unparseable")
        take(
            NumberSpan(
                m.start(),
                m.end(),
                m.group(0),
                value,
                unit=_FRACTION_UNIT[m["den"]],
                is_chinese=not re.match(_ARABIC, m["num"]),
                flags=tuple(flags),
            )
        )

    for m in RE_TENTHS.finditer(text):
        if not free(m.start(), m.end()):
            continue
        num = m["num"]
        tenths = _CN_DIGIT.get(num) or int(num)
        take(
            NumberSpan(
                m.start(),
                m.end(),
                m.group(0),
                float(tenths * 10),
                unit="%",
                is_chinese=num in _CN_DIGIT,
            )
        )

    for m in RE_ARABIC.finditer(text):
        if not free(m.start(), m.end()):
            continue
        flags = []
        hi_text = m["hi"]
        sep = m["sep"] or ""
        # 1一2个 is an OCR'd range; "2023—2025" also is a range (a period; callers tell it from a quantity).
        lo = _arabic(m["lo"])
        hi = _arabic(hi_text) if hi_text else None
        if hi is not None and lo is not None and hi < lo:
            # "10-5" is not a range (a list, a code): keep only the first number.
            m_end = m.start() + len(m["lo"])
            take(
                NumberSpan(m.start(), m_end, text[m.start() : m_end], _checked(lo, flags), flags=tuple(flags))
            )
            continue
        factor = _SCALE_VALUE.get(m["scale"] or "", 1.0)
        value = _checked(lo * factor if lo is not None else None, flags)
        vmax = _checked(hi * factor if hi is not None else None, flags)
        take(
            NumberSpan(
                m.start(),
                m.end(),
                m.group(0),
                value,
                vmax,
                unit=_PCT_UNIT.get(m["pct"] or "", ""),
                scale=m["scale"] or "",
                is_range=bool(hi_text) and bool(sep),
                n_int_digits=_int_digits(m["lo"]),
                flags=tuple(flags),
            )
        )

    if chinese:
        for m in RE_CHINESE.finditer(text):
            if not free(m.start(), m.end()):
                continue
            flags = []
            value = _checked(parse_chinese_numeral(m["lo"]), flags)
            if value is None:
                continue
            vmax = _checked(parse_chinese_numeral(m["hi"]), flags) if m["hi"] else None
            if vmax is None and (near := RE_CN_ABOUT.fullmatch(m["lo"])):
                # 一两项 / 两三个 / 三五所: "one or two", an approximate range, not 12 / 23 / 35
                value, vmax = float(_CN_DIGIT[near[0][0]]), float(_CN_DIGIT[near[0][1]])
            take(
                NumberSpan(
                    m.start(),
                    m.end(),
                    m.group(0),
                    value,
                    vmax,
                    is_chinese=True,
                    is_range=vmax is not None,
                    flags=tuple(flags),
                )
            )

    spans.sort(key=lambda s: s.start)
    return spans
