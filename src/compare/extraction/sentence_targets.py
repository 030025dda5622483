"""Targets in prose sentences.

A target is a level (覆盖率达90%), a count (新建幼儿园60所), a share, a minimum or maximum (不少于12次,
控制在万分之0.34以内) or a recurring quantity (每年评选30所). Numbers that are years, dates, headings, names
("12345"思政工程, 4个100, 1+4), conditions (1000人以下学校, 3-18岁) or past achievements (十三五) are not
targets. Each record keeps the quote in the document's original script and its offsets, so every figure in a
chart can be traced back to the sentence that states it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from compare.core.frames import rows_by
from compare.extraction.number_cues import (
    RE_COEFFICIENT_BEFORE,
    RE_SIGN_BEFORE,
    RE_YEARS_LEVEL,
    fractions_in,
    ratios_in,
    skip_reason,
)
from compare.extraction.periods import achievement_passages, review_passages
from compare.extraction.rules import (
    PLACE_PREFIX,
    SPEAKER_PREFIX,
    achievement_spans,
    clean_indicator,
    comparator_of,
    deadline_in_text,
    plans_ahead,
    target_rules,
    unit_after,
)
from compare.extraction.rules import (
    is_share as is_share_unit,
)
from compare.extraction.scopes import (
    RE_YEAR_OF_WORK,
    deadlines_in,
    inherited_scopes,
    issue_year,
    resolve_deadline,
)
from compare.extraction.target_schema import TARGETS
from compare.text.cells import BINDING_END_RE
from compare.text.numbers import NumberSpan, find_numbers

_CLAUSE_SEP = "，；。！？：\n"


#: A line that ends as a sentence, not as a title.
RE_SENTENCE_END = re.compile(r"[。；;！!]\s*$")


def _until_item_sep(text: str) -> str:
    """Text up to the next list separator 、 (outside brackets) or the next number."""
    depth = 0
    for i, ch in enumerate(text):
        if ch in "（(“《":
            depth += 1
        elif ch in "）)”》" and depth:
            depth -= 1
        elif depth == 0 and (ch == "、" or ch.isdigit() or ch == "*"):
            return text[:i]
    return text


@dataclass
class _Raw:
    start: int
    end: int
    number: NumberSpan
    unit: str
    value: float | None
    value_max: float | None
    comparator: str
    indicator: str
    per_year: bool
    deadline_year: int | None
    deadline_text: str | None
    clause_start: int
    clause_end: int
    flag: str | None


#: The rest of a list of bare numbers after one of them (21、13、18所: 、13、18).
RE_NUMBER_LIST_AFTER = re.compile(r"(?:\s*、\s*\d+(?:\.\d+)?)+(?=\s*[^\d\s、])")

#: A sentence opening with a deadline (到2025年，…… / 2023年底前…… / 三年内…… / 今年，……) dates the sentences after it
#: in its paragraph.
RE_FOUR_DIGITS = re.compile(r"\d{4}")
#: Words of money right before an amount (总投资超40亿): its unit is 元 even when the text leaves it out.
RE_MONEY_BEFORE = re.compile(r"(?:投资|投入|资金|经费|拨付|筹集|预算)[^，。；\d]{0,6}$")
#: A sentence breaking down the one before it (其中，… / 其中:…).
RE_BREAKDOWN_OPENING = re.compile(r"^\s*其中(?!的)")
#: How a sentence the segmenter cut inside a longer one ends (at a list item's ；).
ITEM_ENDS = ("；", ";")
RE_CLAUSE_COMMA = re.compile(r"[，,；;]")
#: A clause that names where the news comes from (记者从…会上获悉，/ 据悉，/ 某某介绍，): the sentence's lead follows it.
RE_SOURCE_CLAUSE = re.compile(r"(?:获悉|了解到|据悉|介绍|表示|指出|透露)[，,：:]")
#: A sentence setting out goals to a year (…印发《…》，提出到2025年，…): the sentences after it in its paragraph
#: state more of them.
RE_SETS_GOALS = re.compile(r"(?:提出|明确|要求|目标是|目标为)\s*[，,：:]?\s*(?=(?:到|至)\s*\d{4}\s*年)")
RE_GOVERNING_OPENING = re.compile(
    r"^\s*(?:到|至|截至|在|于)?\s*\d{4}|^\s*[一二两三四五六七八九十]年内|^\s*(?:今年|本年度)"
)


#: A sentence opening on a bare year (after a speaker, a place): 2023年我市共新改扩建幼儿园32所. Before the plan
#: (or the page) it reports that year, and so do the sentences after it in its paragraph, until one states a
#: time of its own.
RE_YEAR_OPENING = re.compile(
    rf"^\s*{SPEAKER_PREFIX}[“\"「]?{PLACE_PREFIX}"
    r"(?P<y>(?:19|20)\d{2})\s*年(?:度)?(?![底末前内起以—–\-~～至到\d])"
)


#: The header of an indicator table laid out one row per line: 指  标 2020年 2025年 属性.
RE_ROW_TABLE_HEADER = re.compile(
    r"(?P<a>(?:19|20)\d{2})\s*年\s*(?P<b>(?:19|20)\d{2})\s*年(?:\s*(?:属性|指标属性|备注))?\s*$"
)
RE_ROW_LABEL_TRIM = re.compile(r"^\s*\d{1,2}[.、．]\s*|[（(](?:%|‰|年|人|所|个|元)[)）]|[:：\s]+$|^[:：\s]+")


def _row_targets(found: list[dict], *, text: str, years: tuple[int, int], binding: str) -> list[dict]:
    """The targets of one row of an indicator table laid out by rows: of its 2k numbers the first k are the
    baselines (the first year column) and the last k the targets (the second), aligned by position
    (幼儿教师专科及以上学历比例 其中:本科及以上 97.74% 49.85% 100% 50%). A row with an odd count is left as read."""
    if len(found) < 2 or len(found) % 2:
        return found
    k = len(found) // 2
    label = RE_ROW_LABEL_TRIM.sub("", text[: found[0]["number_start"]]).strip()
    names = [RE_ROW_LABEL_TRIM.sub("", n).strip() for n in label.split("其中")] if k > 1 else [label]
    if len(names) != k or not all(names):
        names = [t["indicator"] for t in found[k:]]
    out = []
    for base, t, name in zip(found[:k], found[k:], names, strict=True):
        out.append(
            {
                **t,
                "indicator": name,
                "baseline_value": base["value"],
                "baseline_year": years[0],
                "target_year": t["target_year"] if t["target_year"] is not None else years[1],
                "deadline_text": t["deadline_text"] or f"{years[1]}年",
                "binding": binding,
                "row_table": True,
            }
        )
    return out


def extract_sentence_targets(
    text: str, *, period_start: int | None = None, period_end: int | None = None, issued: int | None = None
) -> list[dict]:
    """Find the targets stated in one sentence.

    Args:
        text: The simplified sentence.
        period_start: First year of the plan (for 三年内).
        period_end: Last year of the plan (for 年底前 in a year's work points).
        issued: The year the document was issued (今年 / 明年, and a year heading a clause of a document
            without a plan period).

    Returns:
        One dict per target with local offsets (``number_start``, ``quote_start``, ``quote_end``) and the
        fields ``indicator, value, value_max, unit, comparator, per_year, target_year, deadline_text,
        is_masked, flag``. ``target_year`` is only set when the sentence states a deadline.
    """
    rules = target_rules()
    out: list[dict] = []
    spans = find_numbers(text)
    if not spans:
        return out  # no number, no target
    deadlines = deadlines_in(text, period_start=period_start, period_end=period_end, issued=issued)
    ratios = ratios_in(text)
    ratio_inner = {m.start("b") for m, _v, _u in ratios.values()}  # the second number of a ratio
    for start, (m, pct) in fractions_in(text).items():
        ratios.setdefault(start, (m, pct, "%"))  # a fraction reads as a share, its numerals as one number
        ratio_inner |= {i for i in range(start + 1, m.end())}
    prev_item_end: dict[int, int] = {}
    prev_indicator: dict[int, str] = {}
    shared_verb: dict[int, str] = {}
    for span in spans:
        ratio = ratios.get(span.start)
        if span.start in ratio_inner or (ratio is None and skip_reason(span, text, rules)):
            continue
        unit = span.unit
        unit_end = span.end
        approx_marker = False
        if ratio is not None:
            unit, unit_end = ratio[2], ratio[0].end()
        elif not unit:
            unit, unit_end, approx_marker = unit_after(text, span.end, rules)
            if not unit and (listed := RE_NUMBER_LIST_AFTER.match(text, span.end)):
                # 分别为21、13、18所: the numbers of a list share the unit written after the last one
                unit, _, approx_marker = unit_after(text, listed.end(), rules)
        if not unit and span.scale and (span.is_masked or RE_MONEY_BEFORE.search(text, 0, span.start)):
            unit = "元"  # 投资**亿 / 预计总投资超40亿: an amount of money written without 元
        if not unit and not (
            RE_SIGN_BEFORE.search(text[: span.start]) or RE_COEFFICIENT_BEFORE.search(text[: span.start])
        ):
            continue  # a bare number is a target only behind a comparison sign (>97, ≥90)
        if unit == "岁" or (unit and rules.unit_kind.get(unit) == "age"):
            continue
        if unit == "年" and not RE_YEARS_LEVEL.search(text[: span.start]):
            continue  # 满3年, 3年以上: a duration that conditions; 受教育年限达到11.3年 is a level
        # clause boundaries
        cs = max(text.rfind(ch, 0, span.start) for ch in _CLAUSE_SEP) + 1
        ce_candidates = [text.find(ch, unit_end) for ch in "，；。！？\n"]
        ce_candidates = [c for c in ce_candidates if c >= 0]
        ce = min(ce_candidates) if ce_candidates else len(text)
        item_start = prev_item_end.get(cs, cs)
        pre = text[item_start : span.start]
        post_full = text[unit_end:ce]
        comparator, n_before, n_after = comparator_of(pre, post_full, rules)
        if span.is_range and span.value_max is not None:
            comparator = "range"
        elif approx_marker:
            comparator = "approx"
        comparator = comparator or "="
        # the object that follows the count (23所乡村学校), up to the next list item
        post = post_full[n_after:]
        obj_after = _until_item_sep(post)
        pre_core = pre[: len(pre) - n_before] if n_before else pre
        # 各: one record per listed category
        categories: list[tuple[str, str]] = []
        is_share = is_share_unit(unit, rules)
        verb_m = rules.build_verbs.search(pre_core)
        if verb_m is not None and cs not in shared_verb:
            shared_verb[cs] = verb_m.group(0)
        elif cs not in shared_verb and obj_after.strip() and 0 < len(clean_indicator(pre_core, rules)) <= 6:
            shared_verb[cs] = clean_indicator(pre_core, rules)  # 改善2所乡村学校办学条件、27所…
        verb = shared_verb.get(cs, "")
        if pre_core.endswith("各") and verb_m is not None:
            obj = pre_core[verb_m.end() : -1]
            head = obj.rsplit("等", 1)[0] if "等" in obj else obj
            tail = obj.rsplit("等", 1)[1] if "等" in obj else ""
            for cat in head.split("、"):
                categories.append((f"{verb}{clean_indicator(cat, rules)}", tail))
        elif "各" in pre_core and verb_m is not None and pre_core.find("各") < verb_m.start():
            subjects = pre_core[: pre_core.find("各")]
            obj = clean_indicator(pre_core[verb_m.start() :] + obj_after, rules)
            for subj in re.split(r"、", subjects):
                subj_c = clean_indicator(subj, rules)
                if subj_c:
                    categories.append((f"{subj_c}{obj}", ""))
        if not categories:
            if is_share:
                ind = clean_indicator(pre_core, rules)
                if ind and obj_after.startswith("的") and len(obj_after) > 2:
                    # 优质高中80%以上的招生指标按学区分配
                    ind = f"{ind}{clean_indicator(obj_after[1:], rules)}比例"
                if not ind:
                    ind = clean_indicator(re.sub(r"^的", "", obj_after), rules)
                    ind = f"{ind}比例" if ind else prev_indicator.get(cs, "")
            else:
                core = clean_indicator(pre_core, rules)
                obj_c = clean_indicator(obj_after, rules)
                if obj_c:  # 新建改扩建23所乡村学校 / 改善2所乡村学校办学条件、27所乡村学校食宿条件
                    ind = f"{core or verb}{obj_c}"
                elif core:
                    ind = core if (verb_m is not None or not verb) else f"{verb}{core}"
                else:
                    ind = prev_indicator.get(cs, "")
            if not ind and cs > 0:
                # 分别达到3.5%、10.5%: the indicator is the previous clause
                ps = max(text.rfind(ch, 0, cs - 1) for ch in _CLAUSE_SEP) + 1
                ind = clean_indicator(text[ps : cs - 1], rules)
            categories = [(ind, "")]
        per_year = bool(rules.per_year.search(text[cs : span.start])) or bool(
            rules.per_year.search(text[:cs])
            and not re.search(r"[。；]", text[: span.start])
            and rules.per_year.search(text[max(0, cs - 12) : cs])
        )
        flags = list(span.flags)
        value = span.value if ratio is None else ratio[1]
        if unit in ("%",) and value is not None and value > 100 and not is_share_over_ok(pre_core):
            flags.append("percent_over_100")
        # the deadline nearest before the number's clause ends dates it; one stated only in a later clause
        # (小班25人…，2023年底前全部消除超大班额) dates that clause's commitment, not this number
        stated = [d for d in deadlines if d[0] < ce]
        deadline_year, deadline_text = (stated[-1][1], stated[-1][2]) if stated else (None, None)
        if per_year and not deadline_text:
            pm = rules.per_year.search(text[: span.start])
            deadline_text = pm.group(0) if pm else None
        qs = cs  # the quote is the whole clause: list items share its verb and deadline
        qe = max(ce, unit_end)
        for ind, _tail in categories:
            out.append(
                {
                    "indicator": ind or "",
                    "value": value,
                    "value_max": span.value_max,
                    "unit": unit or None,
                    "comparator": comparator,
                    "per_year": per_year,
                    "target_year": deadline_year,
                    "deadline_text": deadline_text,
                    "is_masked": span.is_masked,
                    "flag": ",".join(flags) or None,
                    "number_text": span.text if ratio is None else ratio[0].group(0),
                    "number_start": span.start,
                    "quote_start": qs,
                    "quote_end": qe,
                }
            )
        prev_item_end[cs] = unit_end + n_after + (len(obj_after) if obj_after.strip() and not is_share else 0)
        prev_indicator[cs] = categories[-1][0]
    return out


def is_share_over_ok(pre: str) -> bool:
    """Whether a percentage above 100 is plausible (增长, 增幅 …): those are not flagged."""
    return bool(re.search(r"增长|增幅|增加|提高|提升|倍", pre))


def _doc_periods(documents: pd.DataFrame) -> dict[str, tuple[int | None, int | None]]:
    """Plan period (start, end) of every document; the first row wins when a doc_id repeats."""
    out: dict[str, tuple[int | None, int | None]] = {}
    if documents is None or documents.empty:
        return out

    def year(v) -> int | None:
        return None if pd.isna(v) else int(v)

    starts = documents["period_start"] if "period_start" in documents else [None] * len(documents)
    ends = documents["period_end"] if "period_end" in documents else [None] * len(documents)
    for doc, ps, pe in zip(documents["doc_id"].astype(str), starts, ends, strict=True):
        out.setdefault(doc, (year(ps), year(pe)))
    return out


def _sentences_by_passage(sentences: pd.DataFrame):
    """``(doc_id, {passage_id: [(sentence_id, text, text_original, start), …]})`` per document.

    Documents in order of first appearance; within a document passages in order of their first sentence
    by ``seq`` and sentences by ``seq``.
    """
    cols = ("passage_id", "sentence_id", "text", "text_original", "start")
    for doc, rows in rows_by(sentences, "doc_id", cols, order="seq").items():
        by_passage: dict = {}
        for pid, sid, text, orig, start in rows:
            by_passage.setdefault(pid, []).append((sid, str(text), str(orig), int(start)))
        yield doc, by_passage


#: A deadline this many years after the plan's end (or the issue year) is flagged ``year_far_future``.
FAR_FUTURE_YEARS = 15


def _lead_deadline(
    text: str, *, period_start: int | None, period_end: int | None, issued: int | None
) -> tuple[int, str] | None:
    """The deadline a sentence states for the sentences after it in its paragraph: one it opens with (到2025年，…),
    else one it sets out goals to (去年9月，省政府印发《…》，提出到2025年，…); ``(year, phrase)`` or None."""
    starts = [0] if RE_GOVERNING_OPENING.match(text) else []
    if goals := RE_SETS_GOALS.search(text):
        starts.append(goals.end())
    for pos in starts:
        year, phrase, _ = resolve_deadline(
            text, period_start=period_start, period_end=period_end, issued=issued, pos=pos
        )
        if phrase and year is not None:
            return year, phrase
    return None


def _leads(text: str, phrase: str) -> bool:
    """Whether ``phrase`` (a deadline of ``text``) stands in the sentence's first clause, or the first after a
    colon (…会上获悉：宁波拟至2020年，…): a deadline that governs the whole sentence."""
    pos = text.find(phrase)
    lead = max(text.rfind("：", 0, pos), text.rfind(":", 0, pos)) + 1
    lead = max([lead, *(m.end() for m in RE_SOURCE_CLAUSE.finditer(text, 0, max(pos, 0)))])
    return pos >= 0 and not RE_CLAUSE_COMMA.search(text, lead, pos)


def _year_flags(year: int | None, *, issued: int | None, period_end: int | None) -> list[str]:
    """Flags of an implausible deadline: before the document was issued, or far beyond its horizon."""
    if year is None:
        return []
    flags = []
    if issued is not None and year < issued:
        flags.append("deadline_before_issue")
    ref = period_end if period_end is not None else issued
    if ref is not None and year > ref + FAR_FUTURE_YEARS:
        flags.append("year_far_future")
    return flags


def _issue_years(documents: pd.DataFrame) -> dict[str, int | None]:
    """Year of each document's ``issue_date`` (None when unknown)."""
    if documents is None or documents.empty or "issue_date" not in documents:
        return {}
    out: dict[str, int | None] = {}
    for doc, value in zip(documents["doc_id"].astype(str), documents["issue_date"], strict=True):
        out.setdefault(doc, issue_year(value))
    return out


def _valid_year(y: int | None) -> tuple[int | None, str | None]:
    if y is None:
        return None, None
    if y < 1949:
        return None, "year_before_1949"
    if y > 2100:
        return None, "year_after_2100"
    return y, None


def extract_targets(
    sentences: pd.DataFrame, *, documents: pd.DataFrame, passages: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Targets stated in the prose sentences of one or more documents.

    Args:
        sentences: The ``sentences`` table (simplified ``text``, ``text_original``, offsets).
        documents: The ``documents`` table (plan period for default deadlines).
        passages: The ``passages`` table; headings, responsibility lines, tables and past-achievement
            sections are skipped when given.

    Returns:
        A ``targets`` table (source ``text``), not yet marked for repeats.
    """
    rules = target_rules()
    rows: list[dict] = []
    skip_passages: set[str] = set()
    if passages is not None and not passages.empty:
        kinds = dict(zip(passages["passage_id"], passages["kind"], strict=False))
        texts = dict(zip(passages["passage_id"], passages["text"], strict=False))
        # a numbered line that ends as a sentence (1.新建幼儿园12所。) is a list item the segmenter may call a
        # heading: its numbers are read; a title line (一、总体要求) is not
        skip_passages = {
            p
            for p, k in kinds.items()
            if k in ("table", "responsibility")
            or (k == "heading" and not RE_SENTENCE_END.search(str(texts[p])))
        }
        looking_back = achievement_passages(passages)
    else:
        looking_back = set()
    periods = _doc_periods(documents)
    issued = _issue_years(documents)
    if passages is not None and not passages.empty:
        looking_back |= review_passages(passages, periods, issued=issued)
    scopes = (
        inherited_scopes(passages, sentences, periods=periods, issued=issued) if passages is not None else {}
    )
    for doc_id, by_passage in _sentences_by_passage(sentences):
        p_start, p_end = periods.get(str(doc_id), (None, None))
        year_issued = issued.get(str(doc_id))
        row_years: tuple[int, int] | None = None  # the year columns of an indicator table laid out by rows
        for pid, psents in by_passage.items():
            for _sid, text, _orig, _start in psents[
                :1
            ]:  # a table's header line is a heading: read it all the same
                if hm := RE_ROW_TABLE_HEADER.search(text):
                    row_years = (int(hm["a"]), int(hm["b"]))
            if pid in skip_passages:
                continue
            back = pid in looking_back  # a look-back paragraph: only its sentences that plan ahead are read
            scope = scopes.get(pid)
            governing: tuple[int | None, str | None] = (None, None)
            reviewing = False  # after a sentence opening on a year before the plan (or the page)
            ref = p_start if p_start is not None else year_issued
            prev_text: str | None = None
            for sentence_id, text, orig, s_start in psents:
                if back and not plans_ahead(text, ref=ref):
                    continue
                # 其中，新增幼儿园学位2.6万个…: a breakdown of the sentence before takes its deadline; so does the
                # next item of a sentence the segmenter cut at its ；(…拟至2020年，全面建成…；学前三年…达到99%以上)
                breakdown = None
                continued = prev_text is not None and prev_text.rstrip().endswith(ITEM_ENDS)
                if prev_text is not None and (continued or RE_BREAKDOWN_OPENING.match(text)):
                    by, bd, _ = resolve_deadline(
                        prev_text, period_start=p_start, period_end=p_end, issued=year_issued
                    )
                    breakdown = (by, bd) if bd and by is not None else None
                    if continued and breakdown is not None and not _leads(prev_text, bd):
                        breakdown = (
                            None  # 实施…计划，三年内完成…；: one clause's deadline, not the sentence's
                        )
                prev_text = text
                if (yo := RE_YEAR_OPENING.match(text)) and ref is not None:
                    reviewing = int(yo["y"]) < ref
                elif reviewing and (deadline_in_text().search(text) or RE_YEAR_OPENING.match(text)):
                    reviewing = False
                if reviewing:
                    continue
                past = achievement_spans(text, rules, ref=ref)
                if any(a == 0 and b == len(text) for a, b in past):
                    continue
                found = extract_sentence_targets(
                    text, period_start=p_start, period_end=p_end, issued=year_issued
                )
                if past:  # 巢湖市新建3所，目前完工4所: the results of the sentence are no targets
                    found = [t for t in found if not any(a <= t["number_start"] < b for a, b in past)]
                if row_years is not None and (rm := BINDING_END_RE.search(text)):
                    found = _row_targets(found, text=text, years=row_years, binding=rm["binding"])
                # a sentence of duties per period (每年培训…人次) recurs over the plan: the deadline of an
                # earlier sentence of its paragraph does not date it
                recurring = bool(found) and bool(rules.per_year.search(text))
                for k, t in enumerate(found):
                    flags = [t["flag"]] if t["flag"] else []
                    if t["deadline_text"] and t["target_year"] is not None:
                        source, year, dtext = "sentence", t["target_year"], t["deadline_text"]
                        if t.get("row_table") and t["deadline_text"] == f"{year}年":
                            source = "section"  # the table's year column heads it
                        if p_end is None and year_issued is not None and not RE_FOUR_DIGITS.search(dtext):
                            source = "issue date"  # 今年 / 年底前 of a document without a plan period
                    elif t["deadline_text"] and not t["per_year"] and p_end is None:
                        # 年底前 / 三年内 in a document without a plan period: from the issue date, if known
                        year, _, rflags = resolve_deadline(
                            t["deadline_text"], period_start=None, period_end=None, issued=year_issued
                        )
                        source, dtext = ("issue date" if year is not None else "none"), t["deadline_text"]
                        flags.extend(rflags)
                    elif breakdown is not None and not recurring:
                        source, year, dtext = (
                            "sentence" if continued else "passage",
                            breakdown[0],
                            breakdown[1],
                        )
                    elif governing[1] and not recurring:
                        source, year, dtext = "passage", governing[0], governing[1]
                        if t["per_year"] and t["deadline_text"]:
                            dtext = t["deadline_text"]
                    elif scope is not None:
                        source, year, dtext = scope.source, scope.year, scope.text
                        if t["per_year"] and t["deadline_text"]:
                            dtext = t["deadline_text"]
                        flags.extend(scope.flags)
                    elif p_end is not None:
                        source, year, dtext = "plan period", p_end, t["deadline_text"]
                    else:
                        source, year, dtext = "none", None, t["deadline_text"]
                    year, yflag = _valid_year(year)
                    if yflag:
                        flags.append(yflag)
                    flags.extend(_year_flags(year, issued=year_issued, period_end=p_end))
                    rows.append(
                        {
                            "doc_id": doc_id,
                            "target_id": f"{sentence_id}/t{k + 1}",
                            "passage_id": pid,
                            "sentence_id": sentence_id,
                            "source": "text",
                            "indicator": t["indicator"],
                            "level": None,
                            "value": t["value"],
                            "value_max": t["value_max"],
                            "unit": t["unit"],
                            "comparator": t["comparator"],
                            "target_year": year,
                            "per_year": t["per_year"],
                            "deadline_text": dtext,
                            "deadline_source": source,
                            "baseline_value": t.get("baseline_value"),
                            "baseline_year": t.get("baseline_year"),
                            "binding": t.get("binding"),
                            "is_masked": t["is_masked"],
                            "is_repeat": False,
                            "repeat_of": None,
                            "number_text": t["number_text"],
                            "number_start": s_start + t["number_start"],
                            "quote": orig[t["quote_start"] : t["quote_end"]],
                            "start": s_start + t["quote_start"],
                            "end": s_start + t["quote_end"],
                            "themes": None,
                            "flag": ",".join(flags) or None,
                        }
                    )
                if (
                    lead := _lead_deadline(text, period_start=p_start, period_end=p_end, issued=year_issued)
                ) is not None:
                    governing = lead
                elif RE_YEAR_OF_WORK.match(text.lstrip()):
                    # 2023年，厦门将加快……: a year of the plan's (or the report's) work opening a sentence
                    # dates the sentences after it in its paragraph
                    opening = deadlines_in(
                        text.lstrip()[:24], period_start=p_start, period_end=p_end, issued=year_issued
                    )
                    if opening and opening[0][0] == 0 and opening[0][1] is not None:
                        governing = (opening[0][1], opening[0][2])
    if not rows:
        return TARGETS.empty()
    return pd.DataFrame(rows)
