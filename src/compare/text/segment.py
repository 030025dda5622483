"""Split a cleaned document into passages (headings, items, paragraphs, tables, responsibility lines) and
sentences, keeping character offsets into the cleaned text.

Heading styles of Chinese government documents are ranked (第X章 > 一、 > （一） > 1. / 1、 > （1）); the
section path of a passage lists the labels of the headings above it, e.g. ``二/（三）/9``. A paragraph
that opens with a short lead sentence ("坚持党对教育工作的全面领导。…", the bold leads of web versions) is an
``item`` whose heading is that lead. A run of short cell lines with many numbers is a flattened table and
becomes one ``table`` passage, so its numbers stay out of prose statistics.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from compare.core.schemas import PASSAGES, SENTENCES, str_array, validate
from compare.text.cells import BINDING_END_RE, PHRASE_CELL_RE, RATIO_CELL_RE, is_level_cell

CN_NUM = "一二三四五六七八九十百零〇"
# (style rank, regex): lower rank = higher in the hierarchy
HEADING_STYLES: tuple[tuple[int, re.Pattern], ...] = (
    (0, re.compile(rf"^(第[{CN_NUM}]+[章编篇]|第[{CN_NUM}]+部分)\s*")),
    (1, re.compile(rf"^([{CN_NUM}]+)[、．.](?!\d)\s*")),
    (2, re.compile(rf"^（([{CN_NUM}]+)）\s*")),
    (3, re.compile(rf"^(第[{CN_NUM}]+条)\s*")),
    (3, re.compile(r"^(\d{1,3})(?:[、．]|\.(?!\d))\s*")),
    (4, re.compile(r"^（(\d{1,3})）\s*")),
    (5, re.compile(r"^([①-⑳])\s*")),
)
UNNUMBERED_RANK = 5.5
LEAD_STYLE_RANK = 6
DATE_LINE_RE = re.compile(r"^\d{4}年\d{1,2}月\d{1,2}日$")
#: A number with a unit of quantity: a short line holding one is a row of a form or list, not a heading.
QUANTITY_IN_LINE_RE = re.compile(
    r"\d(?:[\d.]*)\s*(?:%|％|‰|所|个|人次|人|名|万元|亿元|元|平方米|㎡|学时|学分|项|家)"
)
RESPONSIBILITY_RE = re.compile(
    r"^[（(]?\s*(?:主要)?(?:牵头单位|责任单位|牵头部门|责任部门|配合单位|参与单位|实施单位|主要责任单位)\s*[:：]"
)
TRAILING_RESPONSIBILITY_RE = re.compile(
    r"[（(]\s*(?:牵头单位|责任单位|牵头部门|责任部门)\s*[:：][^（）()]*[）)]\s*$"
)
LEAD_RE = re.compile(r"^([^。；：！？;:]{2,24})。(?=.)")
NUMERIC_CELL_RE = re.compile(r"^[<>＜＞≥≤约]?\s*[\d.]+\s*%?(?:\s*/\s*[<>＜＞≥≤]?\s*[\d.]*\s*%?)*\s*$")
BINDING_CELL_RE = re.compile(r"^(约束性|预期性|約束性|預期性)$")
TABLE_TITLE_RE = re.compile(r"(指标|指標|一览表|一覽表|表\s*\d*$)")
SENTENCE_END = set("。！？；")
OPENERS = {"“": "”", "‘": "’", "（": "）", "《": "》", "【": "】", "「": "」", "『": "』", "(": ")"}
CLOSERS = "".join(OPENERS.values())
SPECIAL_CHAR_RE = re.compile("[" + re.escape("".join(OPENERS) + CLOSERS + "".join(SENTENCE_END)) + "\n]")
MAX_BRACKET_SPAN = 150
MAX_HEADING_CHARS = 40
MIN_TABLE_LINES = 8
MAX_CELL_CHARS = 40


@dataclass
class _Line:
    start: int
    end: int
    text: str


def _lines(text: str) -> list[_Line]:
    out, pos = [], 0
    for raw in text.split("\n"):
        out.append(_Line(pos, pos + len(raw), raw))
        pos += len(raw) + 1
    return [ln for ln in out if ln.text.strip()]


def _is_cell(line: str) -> bool:
    s = line.strip()
    if any(pattern.match(s) for rank, pattern in HEADING_STYLES if rank <= 2):
        return False  # a section heading ends a table
    if is_level_cell(s):  # 小学3.8，初中4.6
        return True
    return len(s) <= MAX_CELL_CHARS and not any(ch in SENTENCE_END for ch in s) and "，" not in s


def _is_numeric_cell(line: str) -> bool:
    s = line.strip()
    return bool(
        NUMERIC_CELL_RE.match(s)
        or BINDING_CELL_RE.match(s)
        or PHRASE_CELL_RE.match(s)
        or RATIO_CELL_RE.match(s)
        or is_level_cell(s)
    )


def find_table_blocks(lines: list[str]) -> list[tuple[int, int]]:
    """Find flattened tables: runs of short cell lines of which at least 30 % are numbers or 约束性/预期性.

    Args:
        lines: The non-empty lines of a document.

    Returns:
        ``(first, last)`` line indexes (inclusive) of each table block, including a table title line
        (…指标…/…表) just above it.
    """
    blocks, i, n = [], 0, len(lines)
    while i < n:
        if not _is_cell(lines[i]):
            i += 1
            continue
        j = i
        while j + 1 < n and _is_cell(lines[j + 1]):
            j += 1
        run = lines[i : j + 1]
        numeric = sum(_is_numeric_cell(x) for x in run)
        if len(run) >= MIN_TABLE_LINES and numeric / len(run) >= 0.3:
            # trim leading non-table lines (headings) until the first title/cell pattern
            first = i
            while (
                first < j
                and not TABLE_TITLE_RE.search(lines[first])
                and not _is_numeric_cell(lines[first + 1])
            ):
                if HEADING_STYLES[1][1].match(lines[first]) or HEADING_STYLES[2][1].match(lines[first]):
                    first += 1
                else:
                    break
            blocks.append((first, j))
        i = j + 1
    return blocks


def _heading_match(line: str) -> tuple[int, str, int] | None:
    for rank, pattern in HEADING_STYLES:
        m = pattern.match(line)
        if m:
            label = m.group(0).strip()
            label = re.sub(r"[、．.]$", "", label)
            return rank, label, m.end()
    return None


def split_passages(
    text: str, *, doc_id: str, text_original: str | None = None, source_sha256: str = "", check: bool = True
) -> pd.DataFrame:
    """Split a cleaned document into passages.

    Args:
        text: Cleaned simplified text (``documents.text``).
        doc_id: Document id used to build passage ids.
        text_original: The same text in the original script (same length); defaults to ``text``.
        source_sha256: SHA-256 of the raw file, recorded on every row.
        check: Validate the result against the schema (the build validates once per table instead).

    Returns:
        The passages table (see :data:`compare.core.schemas.PASSAGES`).
    """
    original = text if text_original is None else text_original
    if len(original) != len(text):
        raise ValueError(
            f"{doc_id}: text and text_original differ in length ({len(text)} vs {len(original)})"
        )
    lines = _lines(text)
    tables = {first: last for first, last in find_table_blocks([ln.text for ln in lines])}
    rows: list[dict] = []
    stack: list[tuple[int, str, str]] = []  # (rank, label, heading text)
    lead_counter: dict[tuple, int] = {}

    def path() -> str:
        return "/".join(label for _, label, _ in stack if label)

    def add(kind: str, start: int, end: int, heading: str | None) -> None:
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if end <= start:
            return
        rows.append(
            {
                "kind": kind,
                "start": start,
                "end": end,
                "section_path": path(),
                "heading": heading if heading is not None else (stack[-1][2] if stack else None),
                "level": len(stack),
            }
        )

    i = 0
    while i < len(lines):
        ln = lines[i]
        if i in tables:
            last = tables[i]
            add(
                "table",
                ln.start,
                lines[last].end,
                lines[i].text.strip() if TABLE_TITLE_RE.search(ln.text) else None,
            )
            i = last + 1
            continue
        s = ln.text
        if RESPONSIBILITY_RE.match(s.strip()):
            add("responsibility", ln.start, ln.end, None)
            i += 1
            continue
        # a trailing "（牵头单位：…；责任单位：…）" becomes its own responsibility passage
        body_end = ln.end
        resp = TRAILING_RESPONSIBILITY_RE.search(s)
        if resp and resp.start() > 0:
            body_end = ln.start + resp.start()
        body = text[ln.start : body_end]
        hm = _heading_match(body)
        if hm:
            rank, label, mend = hm
            while stack and stack[-1][0] >= rank:
                stack.pop()
            rest = body[mend:].strip()
            is_heading = (
                len(rest) <= MAX_HEADING_CHARS
                and not any(ch in SENTENCE_END for ch in rest.rstrip("。"))
                # a numbered row of an indicator table (1.学前教育毛入园率（%）99% 99%以上 约束性) is no heading
                and not (len(QUANTITY_IN_LINE_RE.findall(rest)) >= 2 or BINDING_END_RE.search(rest))
            )
            if is_heading:
                stack.append((rank, label, rest.rstrip("。")))
                add("heading", ln.start, body_end, rest.rstrip("。"))
            else:
                lead = LEAD_RE.match(rest)
                heading = lead.group(1) if lead else None
                stack.append((rank, label, heading or ""))
                add("item", ln.start, body_end, heading)
        else:
            stripped = body.strip()
            lead = LEAD_RE.match(stripped)
            short_line = (
                len(stripped) <= MAX_HEADING_CHARS
                and stripped[-1] not in SENTENCE_END
                and stripped[-1] not in "：:，"
                and "，" not in stripped
                and not DATE_LINE_RE.match(stripped)
                # a row of a form or list with a quantity (项目按计划完成率100%) is no heading
                and not QUANTITY_IN_LINE_RE.search(stripped)
            )
            if short_line and i + 1 < len(lines):
                # an unnumbered sub-heading ("——建立健全…学前教育体系"): adds no label to the section path
                while stack and stack[-1][0] >= UNNUMBERED_RANK:
                    stack.pop()
                title = stripped.lstrip("—-－ ")
                stack.append((UNNUMBERED_RANK, "", title))
                add("heading", ln.start, body_end, title)
            elif lead and stack:
                while stack and stack[-1][0] >= LEAD_STYLE_RANK:
                    stack.pop()
                key = tuple(label for _, label, _ in stack if label)
                lead_counter[key] = lead_counter.get(key, 0) + 1
                stack.append((LEAD_STYLE_RANK, str(lead_counter[key]), lead.group(1).lstrip("—-－ ")))
                add("item", ln.start, body_end, lead.group(1).lstrip("—-－ "))
            else:
                add("paragraph", ln.start, body_end, None)
        if body_end < ln.end:
            add("responsibility", body_end, ln.end, None)
        i += 1

    if not rows:
        return PASSAGES.empty()
    n = len(rows)
    cols = {key: [r[key] for r in rows] for key in rows[0]}
    for key in ("kind", "section_path", "heading"):
        cols[key] = str_array(cols[key])
    df = pd.DataFrame(
        {
            **cols,
            "doc_id": str_array([doc_id] * n),
            "seq": range(n),
            "passage_id": str_array([f"{doc_id}/p{k + 1:04d}" for k in range(n)]),
            "text": str_array([text[r["start"] : r["end"]] for r in rows]),
            "text_original": str_array([original[r["start"] : r["end"]] for r in rows]),
            "source_sha256": str_array([source_sha256] * n),
        }
    )
    return validate(df, PASSAGES) if check else df[PASSAGES.names]


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Sentence boundaries in a passage: after 。！？； and at line ends, never inside quotes or brackets.

    Numbers are never split because "." is not a boundary. A bracket or quote left open for more than
    150 characters (OCR damage) stops protecting its content.

    Args:
        text: Passage text.

    Returns:
        ``(start, end)`` offsets of each non-blank sentence within ``text``.
    """
    spans, start, stack, opened_at = [], 0, [], 0
    for m in SPECIAL_CHAR_RE.finditer(text):  # only brackets, quotes and end marks matter
        i, ch = m.start(), m.group()
        if stack and i - opened_at > MAX_BRACKET_SPAN:
            stack.clear()
        if ch in OPENERS:
            if not stack:
                opened_at = i
            stack.append(OPENERS[ch])
        elif stack and ch == stack[-1]:
            stack.pop()
        if ch == "\n" or (ch in SENTENCE_END and not stack):
            spans.append((start, i if ch == "\n" else i + 1))
            start = i + 1
    spans.append((start, len(text)))
    out = []
    for a, b in spans:
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if b > a:
            out.append((a, b))
    return out


def split_sentences(passages: pd.DataFrame, *, check: bool = True) -> pd.DataFrame:
    """Split every passage into sentences; a table passage gives one sentence per cell line.

    Args:
        passages: A passages table (one or more documents).
        check: Validate the result against the schema (the build validates once per table instead).

    Returns:
        The sentences table (see :data:`compare.core.schemas.SENTENCES`).
    """
    cols: dict[str, list] = {name: [] for name in SENTENCES.names}
    seqs: dict[str, int] = {}  # sentences numbered per document, in passage order
    columns = ("doc_id", "passage_id", "kind", "text", "text_original", "start", "source_sha256")
    for doc_id, passage_id, kind, text, original, p_start, sha in zip(
        *(passages[c].tolist() for c in columns), strict=True
    ):
        if kind == "table":
            spans, pos = [], 0
            for line in text.split("\n"):
                if line.strip():
                    spans.append((pos, pos + len(line)))
                pos += len(line) + 1
        else:
            spans = sentence_spans(text)
        seq = seqs.get(doc_id, 0)
        for a, b in spans:
            seq += 1
            cols["doc_id"].append(doc_id)
            cols["passage_id"].append(passage_id)
            cols["sentence_id"].append(f"{doc_id}/s{seq:05d}")
            cols["seq"].append(seq - 1)
            cols["text"].append(text[a:b])
            cols["text_original"].append(original[a:b])
            cols["start"].append(p_start + a)
            cols["end"].append(p_start + b)
            cols["source_sha256"].append(sha)
        seqs[doc_id] = seq
    if not cols["sentence_id"]:
        return SENTENCES.empty()
    for key in ("doc_id", "passage_id", "sentence_id", "text", "text_original", "source_sha256"):
        cols[key] = str_array(cols[key])
    df = pd.DataFrame(cols)
    return validate(df, SENTENCES) if check else df
