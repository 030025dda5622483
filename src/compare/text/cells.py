"""What a cell of a flattened indicator table looks like, shared by the cleaning (which must not glue table
lines into prose), the segmenter (which finds table blocks) and the table reader.

- a figure: ``93.5``, ``>95``, ``≥90%``, ``40.92/ 8250``;
- a ratio: ``18.6:1``, ``1:12``;
- a target written as a short phrase: ``提高到95%以上``, ``控制在17:1以内``, ``增加至3所及以上``;
- a cell of school levels, as the national 优质均衡 standard writes them: ``小学3.8，初中4.6``,
  ``小学4.2以上，初中5.3以上``, ``小学≤0.50，初中≤0.45``, ``小学、初中均达到1人以上``.
"""

from __future__ import annotations

import re

#: A number, or a ratio of two (18.6:1, 1:12).
NUMBER = r"[0-9]+(?:\.[0-9]+)?(?:\s*[:：∶]\s*[0-9]+(?:\.[0-9]+)?)?"

#: A target cell written as a short phrase (提高到95%以上, 稳定在99%以上, 增加至3所及以上): one number in it.
PHRASE_CELL_RE = re.compile(
    r"^(?:提高到|提高至|提升到|提升至|达到|力争达到|稳定在|保持在?|增加到|增加至|增至|不低于|不少于|不高于|超过|控制在)?"
    rf"[<>＜＞≥≤]?\s*{NUMBER}\s*(?:%|‰|[\u4e00-\u9fff]{{1,2}})?\s*(?:及以上|以上|以下|以内|左右)?$"
)

#: A ratio of two numbers (18.6:1, 1:12): ``a`` and ``b``.
RATIO = r"(?P<a>[0-9]+(?:\.[0-9]+)?)\s*[:：∶]\s*(?P<b>[0-9]+(?:\.[0-9]+)?)"
RATIO_RE = re.compile(RATIO)

#: A bare ratio cell (18.6:1).
#: A row of an indicator table laid out on one line ends on its attribute (… 99%以上 约束性).
BINDING_END_RE = re.compile(r"[\d%％）)\s](?P<binding>约束性|预期性)\s*$")
RATIO_CELL_RE = re.compile(rf"^[<>＜＞≥≤]?\s*{RATIO}$")

#: School levels a cell may name before its figure.
LEVEL_WORDS = r"(?:小学|初中|普通高中|高中|学前教育|学前|义务教育|中职|高职)"

#: One level part of a level cell: 小学3.8 / 初中5.3以上 / 小学≤0.50 / 小学、初中均达到1人以上.
LEVEL_PART = (
    rf"(?P<levels>{LEVEL_WORDS}(?:[、和]{LEVEL_WORDS})*)\s*(?P<all>均)?"
    r"(?P<verb>达到|不低于|不少于|不高于|不超过|控制在|为)?\s*(?P<cmp>[<>＜＞≥≤]?)\s*"
    rf"(?P<num>{NUMBER})\s*(?P<unit>%|‰|(?![以及])[\u4e00-\u9fff]{{1,3}}?)?\s*(?P<tail>及以上|以上|以下|以内)?"
)
LEVEL_PART_RE = re.compile(LEVEL_PART)

#: A whole cell of level parts separated by ，/ ,/ ；.
LEVEL_CELL_RE = re.compile(rf"^\s*{LEVEL_PART}(?:\s*[，,；;]\s*{LEVEL_PART.replace('?P<', '?P<_')})*\s*$")


def is_level_cell(text: str) -> bool:
    """Whether a line is a cell of school levels with their figures (小学3.8，初中4.6)."""
    s = text.strip()
    return len(s) <= 40 and LEVEL_CELL_RE.match(s) is not None
