"""Quantitative targets: one record per stated number a plan commits to (spec: shared/notes/targets.md).

A target is a level (覆盖率达90%), a count (新建幼儿园60所), a share, a minimum or maximum (不少于12次,
控制在万分之0.34以内) or a recurring quantity (每年评选30所). Numbers that are years, dates, headings, names
("12345"思政工程, 4个100, 1+4), conditions (1000人以下学校, 3-18岁) or past achievements (十三五) are not
targets. Each record keeps the quote in the document's original script and its offsets, so every figure in a
chart can be traced back to the sentence that states it.

Prose sentences are read by :func:`extract_sentence_targets`; flattened indicator tables (passages of kind
``table``) by :func:`extract_table_targets`. :func:`document_tables` / :func:`corpus_tables` are the build's
stage hooks (see docs/architecture.md).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import yaml

from compare.config import resource_path
from compare.numbers import NumberSpan, find_numbers, parse_number_text
from compare.schemas import C, TableSchema, register, validate

if TYPE_CHECKING:
    from compare.store import TableSink

__all__ = [
    "COMPARATORS",
    "TARGETS",
    "corpus_tables",
    "document_tables",
    "evaluate_targets",
    "extract_sentence_targets",
    "extract_table_targets",
    "extract_targets",
    "join_themes",
    "load_expected",
    "mark_repeats",
]

COMPARATORS = (">=", ">", "<=", "<", "=", "range", "approx")
DEADLINE_SOURCES = ("sentence", "paragraph", "plan", "none")

TARGETS = register(
    TableSchema(
        "targets",
        (
            C("doc_id", "str", "document"),
            C("target_id", "str", "'<sentence_id or passage_id>/t<k>'"),
            C("passage_id", "str", "passage stating the target"),
            C(
                "sentence_id",
                "str",
                "sentence stating the target (first sentence of a table row)",
                nullable=True,
            ),
            C(
                "source",
                "str",
                "text (a prose sentence) or table (an indicator table row)",
                allowed=("text", "table"),
            ),
            C("indicator", "str", "what is measured or built, simplified Chinese, from the sentence"),
            C("level", "str", "sub-level of a table row (学前段, 小学 …)", nullable=True),
            C(
                "value",
                "float",
                "the number, scale words applied; empty when masked or unreadable",
                nullable=True,
            ),
            C("value_max", "float", "upper end of a range", nullable=True),
            C("unit", "str", "unit as stated after scaling (%, 所, 人, 元 …)", nullable=True),
            C("comparator", "str", "relation to the value", allowed=COMPARATORS),
            C("target_year", "int", "deadline year", nullable=True, min=1949, max=2100),
            C("per_year", "bool", "a quantity per year (每年, 年均, 每学年, 逐年 …)"),
            C("deadline_text", "str", "the time phrase as written", nullable=True),
            C("deadline_source", "str", "where target_year comes from", allowed=DEADLINE_SOURCES),
            C("baseline_value", "float", "starting level stated by the plan", nullable=True),
            C("baseline_year", "int", "year of the baseline", nullable=True, min=1949, max=2100),
            C("binding", "str", "约束性 / 预期性 from an indicator table", nullable=True),
            C("is_masked", "bool", "the number is hidden (**) in the source"),
            C("is_repeat", "bool", "an earlier record of the same document states the same target"),
            C("repeat_of", "str", "target_id of the first mention", nullable=True),
            C("number_text", "str", "the number as written (simplified text)"),
            C("number_start", "int", "offset of the number in documents.text", min=0),
            C("quote", "str", "exact substring of documents.text_original stating the target"),
            C("start", "int", "offset of the quote in documents.text / text_original", min=0),
            C("end", "int", "end offset of the quote", min=0),
            C("themes", "str", "comma-separated theme codes of the passage (themes stage)", nullable=True),
            C(
                "flag",
                "str",
                "suspicious value: overflow, garbled_digits, suspect_lost_decimal …",
                nullable=True,
            ),
        ),
        unique=("target_id",),
        doc="One row per stated quantitative target (or masked target) of a document.",
    )
)

_CLAUSE_SEP = "，；。！？：\n"
_ITEM_SEP = "、，；。！？：\n"
RE_CLAUSE = re.compile(r"[^，；。！？：\n]+")
RE_SPACE = re.compile(r"\s+")
RE_YEAR_AFTER = re.compile(r"^\s*(?:年|年度|年底|年末|学年)")
RE_DATE_AFTER = re.compile(r"^\s*(?:月|日|号|时|点|分(?!之))")
RE_HEADING_NUMBER = re.compile(r"^\s*[.、．](?![0-9])")
RE_DEADLINE_IN_TEXT = re.compile(
    r"(?:到|至|截至|截止到?)\s*(?P<y1>\d{4})\s*年(?:底|末)?(?:前)?"
    r"|(?P<y2>\d{4})\s*年\s*(?:底|末|前|以前)"
    r"|(?:在|于)\s*(?P<y3>\d{4})\s*年(?:内|底前|前)"
    r"|(?P<rel>(?P<n>[一二两三四五六七八九十\d]{1,2})\s*年(?:内|之内))"
    r"|(?P<eoy>年底前|年内)"
)
RE_BOUND_VERB = re.compile(r"(?P<b>不少于|不低于|至少|最少|不超过|不高于|超过)(?P<v>[\u4e00-\u9fff]{1,3})$")
#: 不低于符合条件教师总数的10%: a bound whose reference quantity sits between it and the number.
RE_BOUND_OF = re.compile(r"(?P<b>不少于|不低于|不超过|不高于|超过|低于|高于)[^，。；]{1,25}的$")
RE_SIGN_BEFORE = re.compile(r"[>＞<＜≥≤]\s*$")
RE_GLOBAL_PUNCT = re.compile(r"^[、，；：\s]+|[、，；：\s]+$")
RE_PAREN_TAIL = re.compile(r"[（(][^）)]*$")
RE_QUOTED_TAIL = re.compile(r"^的")


@dataclass(frozen=True)
class _Rules:
    quote_pairs: tuple[str, ...]
    named: re.Pattern
    conditions: re.Pattern
    achievement_sections: re.Pattern
    achievement_sentence: re.Pattern
    strip_prefixes: re.Pattern
    strip_suffixes: re.Pattern
    build_verbs: re.Pattern
    per_year: re.Pattern
    chinese_units: re.Pattern
    units: tuple[str, ...]
    unit_kind: dict
    comp_before: tuple[tuple[str, str], ...]
    comp_after: tuple[tuple[str, str], ...]
    table: dict = field(default_factory=dict)


@functools.lru_cache(maxsize=1)
def _rules() -> _Rules:
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
    return _Rules(
        quote_pairs=tuple(cfg["quote_pairs"]),
        named=re.compile("|".join(f"(?:{p})" for p in cfg["named_patterns"])),
        conditions=re.compile("|".join(f"(?:{p})" for p in cfg["condition_patterns"])),
        achievement_sections=re.compile(cfg["achievement_sections"]),
        achievement_sentence=re.compile(cfg["achievement_sentence"]),
        strip_prefixes=re.compile(cfg["strip_prefixes"]),
        strip_suffixes=re.compile(cfg["strip_suffixes"]),
        build_verbs=re.compile(cfg["build_verbs"]),
        per_year=re.compile(cfg["per_year"]),
        chinese_units=re.compile(rf"^(?:{cfg['chinese_numeral_units']})"),
        units=tuple(sorted(units["unit"], key=len, reverse=True)),
        unit_kind=dict(zip(units["unit"], units["kind"], strict=True)),
        comp_before=before,
        comp_after=after,
        table=cfg["table"],
    )


# --------------------------------------------------------------------------------------------------
# prose sentences
# --------------------------------------------------------------------------------------------------


def _inside_quotes(text: str, pos: int, pairs: tuple[str, ...]) -> bool:
    for pair in pairs:
        op, cl = pair[0], pair[1]
        if op == cl:
            if text[:pos].count(op) % 2 == 1:
                return True
            continue
        depth = 0
        for ch in text[:pos]:
            if ch == op:
                depth += 1
            elif ch == cl and depth:
                depth -= 1
        if depth:
            return True
    return False


def _covered(pattern: re.Pattern, text: str, a: int, b: int) -> bool:
    return any(m.start() <= a and m.end() >= b for m in pattern.finditer(text) if m.end() > m.start())


def _unit_after(text: str, pos: int, rules: _Rules) -> tuple[str, int, bool]:
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
            return unit, i + len(unit), approx
    return "", pos, False


def _comparator(pre: str, post: str, rules: _Rules) -> tuple[str | None, int, int]:
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
        # 至少配备1名, 不少于新增5所: a bound followed by a short verb
        m = RE_BOUND_VERB.search(q) or RE_BOUND_OF.search(q)
        if m:
            before = rules_bound(m["b"], rules)
            n_before = 0
    if after in (">=", "<=", "approx"):
        return after, n_before, n_after
    return before or after, n_before, n_after


def rules_bound(phrase: str, rules: _Rules) -> str | None:
    """Comparator of a bound phrase (不少于 → >=)."""
    return dict(rules.comp_before).get(phrase)


def _clean_indicator(s: str, rules: _Rules) -> str:
    s = RE_SPACE.sub("", s)
    prev = None
    while prev != s:
        prev = s
        s = rules.strip_prefixes.sub("", s)
        s = rules.strip_suffixes.sub("", s)
        s = RE_DEADLINE_IN_TEXT.sub("", s)
        s = RE_GLOBAL_PUNCT.sub("", s)
        s = re.sub(r"^各|等$", "", s)
    return s


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


def _is_share(unit: str, rules: _Rules) -> bool:
    return rules.unit_kind.get(unit, "") in ("share", "multiple")


def _deadline_in(
    text: str, *, period_start: int | None, period_end: int | None
) -> tuple[int | None, str | None]:
    m = RE_DEADLINE_IN_TEXT.search(text)
    if m is None:
        return None, None
    year = m["y1"] or m["y2"] or m["y3"]
    if year:
        return int(year), m.group(0)
    if m["rel"]:
        n = parse_number_text(m["n"])
        if n is not None and period_start is not None and 0 < n < 50:
            return int(period_start + n - 1), m.group(0)
        return None, m.group(0)
    return period_end, m.group(0)


def _skip_reason(span: NumberSpan, sent: str, rules: _Rules) -> str | None:
    """Why a number span is not a target (None if it may be one)."""
    after = sent[span.end :]
    before = sent[: span.start]
    if span.is_chinese:
        if span.value is not None and span.value < 2 and span.text in ("一", "〇", "零"):
            return "single_one"
        if not rules.chinese_units.match(after):
            return "chinese_word"
        if before.endswith("第"):
            return "ordinal"
    if RE_YEAR_AFTER.match(after):
        return "year"
    if RE_DATE_AFTER.match(after):
        return "date"
    if (
        not span.is_masked
        and not span.unit
        and span.n_int_digits in (4, 8)
        and span.value
        and 1900 <= (span.value if span.n_int_digits == 4 else span.value // 10000) <= 2100
        and re.match(r"^\s*[—－-]", after)
    ):
        return "year"
    if RE_HEADING_NUMBER.match(after) and not span.unit:
        return "heading"
    if before.endswith("第"):
        return "ordinal"
    if _inside_quotes(sent, span.start, rules.quote_pairs):
        return "name_in_quotes"
    if _covered(rules.named, sent, span.start, span.end):
        return "named"
    if _covered(rules.conditions, sent, span.start, span.end):
        return "condition"
    return None


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


def extract_sentence_targets(
    text: str, *, period_start: int | None = None, period_end: int | None = None
) -> list[dict]:
    """Find the targets stated in one sentence.

    Args:
        text: The simplified sentence.
        period_start: First year of the plan (for 三年内).
        period_end: Last year of the plan (for 年底前 in a year's work points).

    Returns:
        One dict per target with local offsets (``number_start``, ``quote_start``, ``quote_end``) and the
        fields ``indicator, value, value_max, unit, comparator, per_year, target_year, deadline_text,
        is_masked, flag``. ``target_year`` is only set when the sentence states a deadline.
    """
    rules = _rules()
    out: list[dict] = []
    sent_year, sent_deadline = _deadline_in(text, period_start=period_start, period_end=period_end)
    spans = find_numbers(text)
    prev_item_end: dict[int, int] = {}
    prev_indicator: dict[int, str] = {}
    shared_verb: dict[int, str] = {}
    for span in spans:
        if _skip_reason(span, text, rules):
            continue
        unit = span.unit
        unit_end = span.end
        approx_marker = False
        if not unit:
            unit, unit_end, approx_marker = _unit_after(text, span.end, rules)
        if span.is_masked and not unit and span.scale:
            unit = "元"
        if not unit and not RE_SIGN_BEFORE.search(text[: span.start]):
            continue  # a bare number is a target only behind a comparison sign (>97, ≥90)
        if unit in ("年", "岁") or (unit and rules.unit_kind.get(unit) == "age"):
            continue
        # clause boundaries
        cs = max(text.rfind(ch, 0, span.start) for ch in _CLAUSE_SEP) + 1
        ce_candidates = [text.find(ch, unit_end) for ch in "，；。！？\n"]
        ce_candidates = [c for c in ce_candidates if c >= 0]
        ce = min(ce_candidates) if ce_candidates else len(text)
        item_start = prev_item_end.get(cs, cs)
        pre = text[item_start : span.start]
        post_full = text[unit_end:ce]
        comparator, n_before, n_after = _comparator(pre, post_full, rules)
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
        is_share = _is_share(unit, rules)
        verb_m = rules.build_verbs.search(pre_core)
        if verb_m is not None and cs not in shared_verb:
            shared_verb[cs] = verb_m.group(0)
        elif cs not in shared_verb and obj_after.strip() and 0 < len(_clean_indicator(pre_core, rules)) <= 6:
            shared_verb[cs] = _clean_indicator(pre_core, rules)  # 改善2所乡村学校办学条件、27所…
        verb = shared_verb.get(cs, "")
        if pre_core.endswith("各") and verb_m is not None:
            obj = pre_core[verb_m.end() : -1]
            head = obj.rsplit("等", 1)[0] if "等" in obj else obj
            tail = obj.rsplit("等", 1)[1] if "等" in obj else ""
            for cat in head.split("、"):
                categories.append((f"{verb}{_clean_indicator(cat, rules)}", tail))
        elif "各" in pre_core and verb_m is not None and pre_core.find("各") < verb_m.start():
            subjects = pre_core[: pre_core.find("各")]
            obj = _clean_indicator(pre_core[verb_m.start() :] + obj_after, rules)
            for subj in re.split(r"、", subjects):
                subj_c = _clean_indicator(subj, rules)
                if subj_c:
                    categories.append((f"{subj_c}{obj}", ""))
        if not categories:
            if is_share:
                ind = _clean_indicator(pre_core, rules)
                if ind and obj_after.startswith("的") and len(obj_after) > 2:
                    # 优质高中80%以上的招生指标按学区分配
                    ind = f"{ind}{_clean_indicator(obj_after[1:], rules)}比例"
                if not ind:
                    ind = _clean_indicator(re.sub(r"^的", "", obj_after), rules)
                    ind = f"{ind}比例" if ind else prev_indicator.get(cs, "")
            else:
                core = _clean_indicator(pre_core, rules)
                obj_c = _clean_indicator(obj_after, rules)
                if obj_c:  # 新建改扩建23所乡村学校 / 改善2所乡村学校办学条件、27所乡村学校食宿条件
                    ind = f"{core or verb}{obj_c}"
                elif core:
                    ind = core if (verb_m is not None or not verb) else f"{verb}{core}"
                else:
                    ind = prev_indicator.get(cs, "")
            if not ind and cs > 0:
                # 分别达到3.5%、10.5%: the indicator is the previous clause
                ps = max(text.rfind(ch, 0, cs - 1) for ch in _CLAUSE_SEP) + 1
                ind = _clean_indicator(text[ps : cs - 1], rules)
            categories = [(ind, "")]
        per_year = bool(rules.per_year.search(text[cs : span.start])) or bool(
            rules.per_year.search(text[:cs])
            and not re.search(r"[。；]", text[: span.start])
            and rules.per_year.search(text[max(0, cs - 12) : cs])
        )
        flags = list(span.flags)
        value = span.value
        if unit in ("%",) and value is not None and value > 100 and not is_share_over_ok(pre_core):
            flags.append("percent_over_100")
        deadline_year, deadline_text = sent_year, sent_deadline
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
                    "number_text": span.text,
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


def _doc_meta(documents: pd.DataFrame, doc_id: str) -> tuple[int | None, int | None]:
    row = documents.loc[documents["doc_id"] == doc_id]
    if row.empty:
        return None, None

    def year(v) -> int | None:
        return None if pd.isna(v) else int(v)

    return year(row["period_start"].iloc[0]), year(row["period_end"].iloc[0])


def _valid_year(y: int | None) -> tuple[int | None, str | None]:
    if y is None:
        return None, None
    if y < 1949:
        return None, "year_before_1949"
    if y > 2100:
        return None, "year_after_2100"
    return y, None


def achievement_passages(passages: pd.DataFrame) -> set[str]:
    """Passages inside a past-achievement section (主要成就, 十三五 …), per document."""
    rules = _rules()
    out: set[str] = set()
    if passages is None or passages.empty:
        return out
    for _, doc in passages.groupby("doc_id", sort=False):
        current: list[tuple[int, bool]] = []
        for row in doc.sort_values("seq").itertuples():
            if row.kind == "heading":
                lvl = int(row.level)
                current = [c for c in current if c[0] < lvl]
                current.append((lvl, bool(rules.achievement_sections.search(str(row.text)))))
            elif any(flag for _, flag in current):
                out.add(row.passage_id)
    return out


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
    rules = _rules()
    rows: list[dict] = []
    skip_passages: set[str] = set()
    if passages is not None and not passages.empty:
        kinds = dict(zip(passages["passage_id"], passages["kind"], strict=False))
        skip_passages = {p for p, k in kinds.items() if k in ("heading", "table", "responsibility")}
        skip_passages |= achievement_passages(passages)
    for doc_id, doc_sents in sentences.groupby("doc_id", sort=False):
        p_start, p_end = _doc_meta(documents, str(doc_id))
        for pid, psents in doc_sents.sort_values("seq").groupby("passage_id", sort=False):
            if pid in skip_passages:
                continue
            governing: tuple[int | None, str | None] = (None, None)
            for s in psents.itertuples():
                text = str(s.text)
                if rules.achievement_sentence.search(text):
                    continue
                found = extract_sentence_targets(text, period_start=p_start, period_end=p_end)
                sy, sd = _deadline_in(text, period_start=p_start, period_end=p_end)
                for k, t in enumerate(found):
                    flags = [t["flag"]] if t["flag"] else []
                    if t["deadline_text"] and t["target_year"] is not None:
                        source, year, dtext = "sentence", t["target_year"], t["deadline_text"]
                    elif governing[1]:
                        source, year, dtext = "paragraph", governing[0], governing[1]
                        if t["per_year"] and t["deadline_text"]:
                            dtext = t["deadline_text"]
                    elif p_end is not None:
                        source, year, dtext = "plan", p_end, t["deadline_text"]
                    else:
                        source, year, dtext = "none", None, t["deadline_text"]
                    year, yflag = _valid_year(year)
                    if yflag:
                        flags.append(yflag)
                    orig = str(s.text_original)
                    rows.append(
                        {
                            "doc_id": doc_id,
                            "target_id": f"{s.sentence_id}/t{k + 1}",
                            "passage_id": pid,
                            "sentence_id": s.sentence_id,
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
                            "baseline_value": None,
                            "baseline_year": None,
                            "binding": None,
                            "is_masked": t["is_masked"],
                            "is_repeat": False,
                            "repeat_of": None,
                            "number_text": t["number_text"],
                            "number_start": int(s.start) + t["number_start"],
                            "quote": orig[t["quote_start"] : t["quote_end"]],
                            "start": int(s.start) + t["quote_start"],
                            "end": int(s.start) + t["quote_end"],
                            "themes": None,
                            "flag": ",".join(flags) or None,
                        }
                    )
                if (
                    sd
                    and sy is not None
                    and re.match(r"^\s*(?:到|至|截至|在|于)?\s*\d{4}|^\s*[一二两三四五六七八九十]年内", text)
                ):
                    governing = (sy, sd)
    if not rows:
        return TARGETS.empty()
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------------
# flattened indicator tables
# --------------------------------------------------------------------------------------------------

RE_TABLE_VALUE = re.compile(r"^(?:/|(?:[<>＜＞≥≤]?\s*[0-9]+(?:\.[0-9]+)?\s*/?\s*)+)$")
RE_TABLE_CELL = re.compile(r"(?P<cmp>[<>＜＞≥≤]?)\s*(?P<num>[0-9]+(?:\.[0-9]+)?)")
RE_HEADER_YEAR = re.compile(r"^(?P<y>\d{4})\s*年?$")
RE_LABEL_UNIT = re.compile(r"[（(](?P<u>%|‰|万?人次|万?人|万?元|所|个|年|项|家|倍|[^（）()/]{1,3}?)[)）]\s*$")
_CMP_SIGN = {">": ">", "＞": ">", "<": "<", "＜": "<", "≥": ">=", "≤": "<=", "": "="}


def _split_levels(label: str, level_words: list[str]) -> tuple[list[str], str, str]:
    """'学前/义务教育学生公办学校就读率' → (['学前', '义务'], prefix, rest); no slash → ([], '', label)."""
    m = re.search(r"[（(]([^（）()]*/[^（）()]*)[)）]", label)
    if m:  # 差异系数（小/初）
        return [x.strip() for x in m.group(1).split("/")], label[: m.start()], label[m.end() :]
    if "/" not in label:
        return [], "", label
    parts = label.split("/")
    last = parts[-1]
    for w in sorted(level_words, key=len, reverse=True):
        if last.startswith(w):
            return [*(p.strip() for p in parts[:-1]), w], "", last[len(w) :]
    return [], "", label


def _cells(tokens: list[str]) -> list[tuple[str, float | None]]:
    out: list[tuple[str, float | None]] = []
    for tok in tokens:
        if tok.strip() == "/":
            out.append(("=", None))
            continue
        for m in RE_TABLE_CELL.finditer(tok):
            out.append((_CMP_SIGN.get(m["cmp"], "="), float(m["num"])))
    return out


def extract_table_targets(passages: pd.DataFrame, *, documents: pd.DataFrame) -> pd.DataFrame:
    """One target per indicator and level of the flattened indicator tables (passages of kind ``table``).

    A table flattened to one cell per line reads: header (领域 主要目标 2020年 2025年 指标属性), then per row
    an optional domain, the indicator with its unit in brackets, an optional sub-level, the baseline cell, the
    target cell and the 约束性/预期性 attribute. Merged cells hold several levels ("40.92/ 8250 >60/>95" is
    学前 / 义务); baseline and target are aligned by position. A percentage above 100 is flagged
    ``suspect_lost_decimal`` (8250 is 82.50 that lost its point), never silently corrected.

    Args:
        passages: The ``passages`` table (any documents); only ``kind == "table"`` rows are read.
        documents: The ``documents`` table (for the quote in the original script).

    Returns:
        A ``targets`` table with source ``table``.
    """
    rules = _rules()
    tcfg = rules.table
    attr_words = set(tcfg["attribute_words"])
    header_words = set(tcfg["header_words"])
    level_words = list(tcfg["level_words"])
    level_names = dict(tcfg.get("level_names", {}))
    if passages is None or passages.empty:
        return TARGETS.empty()
    tables = passages[passages["kind"] == "table"].sort_values(["doc_id", "seq"])
    rows: list[dict] = []
    for doc_id, dtab in tables.groupby("doc_id", sort=False):
        years: list[int] = []
        parent: tuple[str, str] | None = None  # (indicator, unit) of a row whose levels follow
        for p in dtab.itertuples():
            text, orig, base = str(p.text), str(p.text_original), int(p.start)
            toks = [(m.group(0).strip(), m.start(), m.end()) for m in re.finditer(r"[^\n]+", text)]
            toks = [t for t in toks if t[0]]
            labels: list[tuple[str, int, int]] = []
            values: list[tuple[str, int, int]] = []
            k = 0
            for tok, a, b in toks:
                ym = RE_HEADER_YEAR.match(tok)
                if ym and not values:
                    if len(years) >= 2:
                        years = []
                    years.append(int(ym["y"]))
                    continue
                if tok in header_words:
                    labels = []
                    continue
                if RE_TABLE_VALUE.match(tok.replace(" ", "")):
                    values.append((tok, a, b))
                    continue
                if tok in attr_words:
                    binding = tok
                    cells = _cells([v[0] for v in values])
                    lab = [x[0] for x in labels]
                    level_label = None
                    if lab and lab[-1] in level_words:
                        level_label = lab[-1]
                        if len(lab) >= 2:
                            unit_m = RE_LABEL_UNIT.search(lab[-2])
                            parent = (lab[-2], unit_m["u"] if unit_m else "")
                    elif lab:
                        unit_m = RE_LABEL_UNIT.search(lab[-1])
                        parent = (lab[-1], unit_m["u"] if unit_m else "")
                    if parent is None or not cells:
                        labels, values = [], []
                        continue
                    ind_label, unit_raw = parent
                    ind_base = RE_LABEL_UNIT.sub("", ind_label).strip()
                    levels, prefix, rest = _split_levels(ind_base, level_words)
                    n_levels = max(1, len(levels)) if level_label is None else 1
                    if len(cells) == 2 * n_levels:
                        base_cells, target_cells = cells[:n_levels], cells[n_levels:]
                    elif len(cells) == 1:
                        base_cells, target_cells = [("=", None)], cells
                    else:
                        n = len(cells) // 2
                        base_cells, target_cells = cells[:n], cells[n:]
                        n_levels = n
                    scale = 1.0
                    unit = unit_raw
                    if unit_raw.startswith("万") and len(unit_raw) > 1:
                        scale, unit = 1e4, unit_raw[1:]
                    elif unit_raw == "万元":
                        scale, unit = 1e4, "元"
                    q_start = labels[0][1] if labels else (values[0][1] if values else a)
                    q_end = b
                    quote = orig[q_start:q_end]
                    sentence_id = None
                    for li in range(n_levels):
                        if level_label is not None:
                            lvl = level_label
                            indicator = RE_SPACE.sub("", ind_base)
                        elif levels:
                            lvl = level_names.get(levels[li], levels[li]) if li < len(levels) else None
                            indicator = f"{prefix}{levels[li]}{rest}" if not prefix else f"{prefix}（{lvl}）"
                        else:
                            lvl = None
                            indicator = RE_SPACE.sub("", ind_base)
                        b_cmp, b_val = base_cells[li] if li < len(base_cells) else ("=", None)
                        t_cmp, t_val = target_cells[li] if li < len(target_cells) else ("=", None)
                        flags = []
                        for v in (b_val, t_val):
                            if v is not None and unit == "%" and v > 100:
                                flags.append(f"suspect_lost_decimal({v:g})")
                        if b_cmp != "=" and b_val is not None:
                            flags.append(f"baseline_comparator({b_cmp})")
                        rows.append(
                            {
                                "doc_id": doc_id,
                                "target_id": f"{p.passage_id}/t{k + 1}",
                                "passage_id": p.passage_id,
                                "sentence_id": sentence_id,
                                "source": "table",
                                "indicator": indicator,
                                "level": lvl,
                                "value": None if t_val is None else t_val * scale,
                                "value_max": None,
                                "unit": unit or None,
                                "comparator": t_cmp,
                                "target_year": years[1] if len(years) > 1 else None,
                                "per_year": False,
                                "deadline_text": f"{years[1]}年" if len(years) > 1 else None,
                                "deadline_source": "sentence" if len(years) > 1 else "none",
                                "baseline_value": None if b_val is None else b_val * scale,
                                "baseline_year": years[0] if years else None,
                                "binding": binding,
                                "is_masked": False,
                                "is_repeat": False,
                                "repeat_of": None,
                                "number_text": values[-1][0] if values else "",
                                "number_start": base + (values[-1][1] if values else q_start),
                                "quote": quote,
                                "start": base + q_start,
                                "end": base + q_end,
                                "themes": None,
                                "flag": ",".join(flags) or None,
                            }
                        )
                        k += 1
                    labels, values = [], []
                    continue
                # a label
                if values:  # labels after values without an attribute: a broken row; start over
                    values = []
                labels.append((tok, a, b))
    if not rows:
        return TARGETS.empty()
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------------
# repeats, themes, stage hooks
# --------------------------------------------------------------------------------------------------


def _bigrams(s: str) -> set[str]:
    s = re.sub(r"[^\u4e00-\u9fffA-Za-z0-9]", "", s or "")
    return {s[i : i + 2] for i in range(len(s) - 1)} or ({s} if s else set())


def mark_repeats(targets: pd.DataFrame, *, min_overlap: float = 0.5) -> pd.DataFrame:
    """Mark later mentions of the same target within a document (``is_repeat``, ``repeat_of``).

    Two records state the same target when value, value_max, unit, comparator and per_year agree and their
    indicators share at least ``min_overlap`` of the shorter one's character bigrams (公办幼儿园在园幼儿占比
    in the goals section and again in the tasks section). Masked records are never repeats.

    Args:
        targets: A ``targets`` table.
        min_overlap: Bigram overlap needed between two indicators.

    Returns:
        The table with ``is_repeat`` / ``repeat_of`` set. The original is the indicator-table row when there is
        one (it carries baseline and binding), else the first mention in document order.
    """
    if targets.empty:
        return targets
    out = targets.copy()
    out["_table_first"] = out["source"].ne("table")
    out = out.sort_values(["doc_id", "_table_first", "number_start", "target_id"]).drop(
        columns="_table_first"
    )
    is_rep = []
    rep_of = []
    seen: dict[tuple, list[tuple[str, set[str]]]] = {}
    for r in out.itertuples():
        if r.is_masked or pd.isna(r.value):
            is_rep.append(False)
            rep_of.append(None)
            continue
        level = None if pd.isna(r.level) else r.level
        key = (
            r.doc_id,
            r.value,
            None if pd.isna(r.value_max) else r.value_max,
            r.unit,
            r.comparator,
            r.per_year,
        )
        grams = _bigrams(f"{level or ''}{r.indicator}")
        hit = None
        for tid, g, start, lvl, src in seen.get(key, []):
            if (
                start == r.start
                or (src == "table" and r.source == "table")
                or (lvl and level and lvl != level)
            ):
                continue  # same sentence, two rows of one table, or another level of the same indicator
            small = min(len(g), len(grams)) or 1
            if len(g & grams) / small >= min_overlap:
                hit = tid
                break
        is_rep.append(hit is not None)
        rep_of.append(hit)
        if hit is None:
            seen.setdefault(key, []).append((r.target_id, grams, r.start, level, r.source))
    out["is_repeat"] = is_rep
    out["repeat_of"] = rep_of
    return out.sort_index()


def join_themes(targets: pd.DataFrame, theme_tags_passage: pd.DataFrame | None) -> pd.DataFrame:
    """Fill the ``themes`` column from the themes stage's ``theme_tags_passage`` (passage_id, theme_code).

    Args:
        targets: A ``targets`` (or ``timeline``) table with ``passage_id``.
        theme_tags_passage: The themes stage table, or None when that stage did not run.

    Returns:
        A copy with ``themes`` = comma-separated theme codes, the primary theme first (then by score; sorted
        when the table has neither), empty when unknown. Existing themes are kept when no table is given.
    """
    out = targets.copy()
    if theme_tags_passage is None or theme_tags_passage.empty or out.empty:
        if "themes" not in out:
            out["themes"] = None
        return out
    tags = theme_tags_passage.dropna(subset=["theme_code"])
    order = [c for c in ("is_primary", "score") if c in tags.columns]
    if order:  # the primary theme first, then by score: first_theme() is then the passage's main theme
        tags = tags.sort_values(order, ascending=False, kind="stable")
        codes = tags.groupby("passage_id", sort=False)["theme_code"].agg(
            lambda s: ",".join(dict.fromkeys(map(str, s)))
        )
    else:
        codes = tags.groupby("passage_id")["theme_code"].agg(lambda s: ",".join(sorted(set(map(str, s)))))
    out["themes"] = out["passage_id"].map(codes).where(lambda s: s.notna(), None)
    return out


def _finish(df: pd.DataFrame) -> pd.DataFrame:
    if df.empty:
        return TARGETS.empty()
    df = df.sort_values(["doc_id", "number_start", "target_id"]).reset_index(drop=True)
    return validate(df[TARGETS.names], TARGETS)


def targets_for(tables: dict[str, pd.DataFrame], *, documents: pd.DataFrame) -> pd.DataFrame:
    """All targets (prose + tables) of the documents in ``tables``, repeats marked.

    Args:
        tables: ``sentences`` and ``passages`` tables.
        documents: The ``documents`` table.

    Returns:
        A validated ``targets`` table.
    """
    sentences = tables.get("sentences")
    passages = tables.get("passages")
    parts = []
    if sentences is not None and not sentences.empty:
        parts.append(extract_targets(sentences, documents=documents, passages=passages))
    if passages is not None and not passages.empty:
        tab = extract_table_targets(passages, documents=documents)
        if not tab.empty and sentences is not None and not sentences.empty:
            tab = _attach_sentence(tab, sentences)
        parts.append(tab)
    parts = [p for p in parts if not p.empty]
    if not parts:
        return TARGETS.empty()
    df = pd.concat(parts, ignore_index=True)
    return _finish(mark_repeats(df))


def _attach_sentence(tab: pd.DataFrame, sentences: pd.DataFrame) -> pd.DataFrame:
    out = tab.copy()
    ids = []
    for r in out.itertuples():
        s = sentences[
            (sentences["doc_id"] == r.doc_id) & (sentences["start"] <= r.start) & (sentences["end"] > r.start)
        ]
        ids.append(s["sentence_id"].iloc[0] if not s.empty else None)
    out["sentence_id"] = ids
    return out


def document_tables(tables: dict[str, pd.DataFrame], *, documents: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Stage hook (per document): the ``targets`` and ``timeline`` tables of one document.

    Args:
        tables: ``passages``, ``sentences`` (and ``tokens``) of ONE document.
        documents: The ``documents`` table (at least that document's row).

    Returns:
        ``{"targets": ..., "timeline": ...}``.
    """
    from compare.timeline import extract_timeline

    targets = targets_for(tables, documents=documents)
    timeline = extract_timeline({**tables, "targets": targets}, documents=documents)
    return {"targets": targets, "timeline": timeline}


#: Columns of ``theme_tags_passage`` that :func:`join_themes` uses.
TAG_COLUMNS = ["passage_id", "theme_code", "score", "is_primary"]


def corpus_tables(
    tables: dict[str, pd.DataFrame],
    *,
    parts: Sequence[Mapping[str, Path]] | None = None,
    sink: TableSink | None = None,
) -> dict[str, pd.DataFrame]:
    """Stage hook (whole corpus): themes joined onto targets/timeline and the aligned-indicator table.

    Args:
        tables: Every table built so far (``documents``, ``targets``, ``timeline``, optionally
            ``theme_tags_passage``); with ``parts`` only ``documents``.
        parts: Large corpora: one ``{table: Parquet part}`` per chunk, in corpus order, read one chunk at a
            time instead of ``tables`` (:func:`stream_corpus_tables`; same tables).
        sink: With ``parts``: write the tables into this :class:`compare.store.TableSink` instead of
            returning them.

    Returns:
        ``{"targets": ..., "timeline": ..., "aligned_indicators": ...}`` (targets/timeline only when given;
        nothing when written to ``sink``).
    """
    from compare.align import align_indicators
    from compare.timeline import TIMELINE

    if parts is not None:
        return stream_corpus_tables(parts, documents=tables.get("documents"), sink=sink)
    out: dict[str, pd.DataFrame] = {}
    themes = tables.get("theme_tags_passage")
    targets = tables.get("targets")
    if targets is None:
        targets = TARGETS.empty()
    targets = validate(join_themes(targets, themes), TARGETS)
    out["targets"] = targets
    timeline = tables.get("timeline")
    if timeline is not None:
        out["timeline"] = validate(join_themes(timeline, themes), TIMELINE)
    out["aligned_indicators"] = align_indicators(targets, documents=tables.get("documents"))
    return out


def stream_corpus_tables(
    parts: Sequence[Mapping[str, Path]], *, documents: pd.DataFrame | None, sink: TableSink | None = None
) -> dict[str, pd.DataFrame]:
    """:func:`corpus_tables` of a large corpus, one chunk in memory at a time.

    Pass 1 joins each chunk's passage themes onto its targets and timeline, writes them, and keeps only the
    compact keys the alignment needs (:func:`compare.align.alignment_keys`: no quotes, ids or sentences).
    The groups and ambition are computed once over those keys (:func:`compare.align.assign_groups`). Pass 2
    reads the written targets back one chunk at a time and writes their ``aligned_indicators`` rows.

    Args:
        parts: One ``{table: Parquet part}`` per chunk, in corpus order (``targets``, ``timeline``,
            ``theme_tags_passage``).
        documents: The ``documents`` table (city labels).
        sink: Where the tables are written; None: a temporary one, read back into the returned tables.

    Returns:
        ``{}`` with a sink; else ``targets``, ``timeline`` (when built) and ``aligned_indicators``.
    """
    from compare.align import aligned_rows, alignment_keys, assign_groups, prepare_targets
    from compare.corpus_stats import read_part, release_memory
    from compare.store import TableSink
    from compare.timeline import TIMELINE

    if sink is None:
        return TableSink.collect(lambda own: stream_corpus_tables(parts, documents=documents, sink=own))
    sink.write("targets", None)
    keys = []
    for part in parts:
        tags = None
        if part.get("theme_tags_passage") is not None:
            tags = read_part(part["theme_tags_passage"], "theme_tags_passage", columns=TAG_COLUMNS)
        targets = read_part(part.get("targets"), "targets")
        if targets is not None and len(targets):
            targets = validate(join_themes(targets, tags), TARGETS)
            sink.write("targets", targets)
            keys.append(alignment_keys(prepare_targets(targets, documents=documents)))
        timeline = read_part(part.get("timeline"), "timeline")
        if timeline is not None:
            sink.write("timeline", validate(join_themes(timeline, tags), TIMELINE))
        del tags, targets, timeline
        release_memory()
    sink.write("aligned_indicators", None)
    if not keys:
        return {}
    groups = assign_groups(_concat_keys(keys))
    del keys
    lo = 0
    for targets in sink.frames("targets"):
        prepared = prepare_targets(targets, documents=documents)
        hi = lo + len(prepared)
        sink.write("aligned_indicators", aligned_rows(prepared, groups.iloc[lo:hi]))
        lo = hi
    return {}


def _concat_keys(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate alignment keys, keeping categorical columns categorical (union of their categories)."""
    from pandas.api.types import union_categoricals

    out = pd.concat(frames, ignore_index=True)
    for col in frames[0].columns:
        if isinstance(frames[0][col].dtype, pd.CategoricalDtype):
            out[col] = pd.Categorical(union_categoricals([f[col] for f in frames], ignore_order=True))
    return out


# --------------------------------------------------------------------------------------------------
# validation against hand-checked expectations
# --------------------------------------------------------------------------------------------------


def load_expected(path) -> pd.DataFrame:
    """Read a hand-checked ``expected_targets_<doc_id>.csv``.

    Columns: ``doc_id, context, number_text, indicator, value, value_max, unit, comparator, target_year,
    per_year, note``. ``context`` is a short snippet of the simplified document text that contains
    ``number_text`` once and occurs once in the document; it locates the number without hand-typed offsets.
    """
    df = pd.read_csv(
        path,
        dtype={"number_text": str, "context": str, "unit": str, "comparator": str},
        keep_default_na=False,
    )
    for col in ("value", "value_max"):
        df[col] = pd.to_numeric(df[col].replace("", None), errors="coerce")
    df["target_year"] = pd.to_numeric(df["target_year"].replace("", None), errors="coerce").astype("Int64")
    return df


def _locate(expected: pd.DataFrame, documents: pd.DataFrame) -> pd.Series:
    texts = dict(zip(documents["doc_id"], documents["text"], strict=False))
    pos = []
    for r in expected.itertuples():
        text = texts.get(r.doc_id, "")
        i = text.find(r.context)
        if i < 0 or text.find(r.context, i + 1) >= 0:
            raise ValueError(f"{r.doc_id}: context {r.context!r} is not unique in the document ({i})")
        j = r.context.find(r.number_text)
        if j < 0:
            raise ValueError(f"{r.doc_id}: {r.number_text!r} not in context {r.context!r}")
        pos.append(i + j)
    return pd.Series(pos, index=expected.index, dtype="int64")


def evaluate_targets(
    predicted: pd.DataFrame, expected: pd.DataFrame, *, documents: pd.DataFrame
) -> pd.DataFrame:
    """Precision, recall and value/unit/comparator/year accuracy of extracted targets vs expectations.

    A predicted and an expected record match when they are in the same document and their numbers start at
    the same offset (several records may share a number: 各10家; they are paired in order).

    Args:
        predicted: A ``targets`` table (only the documents present in ``expected`` are scored).
        expected: From :func:`load_expected` (one or more documents).
        documents: The ``documents`` table (to locate the expected numbers).

    Returns:
        One row per document plus ``ALL``: ``n_expected, n_predicted, n_matched, precision, recall,
        value_exact, unit_exact, comparator_exact, year_exact`` (accuracies over matched records).
    """
    exp = expected.copy()
    exp["number_start"] = _locate(exp, documents)
    docs = sorted(exp["doc_id"].unique())
    pred = predicted[predicted["doc_id"].isin(docs)].copy()
    rows = []
    details = []
    for doc in docs:
        e = exp[exp["doc_id"] == doc]
        p = pred[pred["doc_id"] == doc]
        matched = []
        for pos, eg in e.groupby("number_start"):
            pg = p[p["number_start"] == pos]
            for (_, er), (_, pr) in zip(eg.iterrows(), pg.iterrows(), strict=False):
                matched.append((er, pr))
        details.append((doc, len(e), len(p), matched))
    for doc, ne, npred, matched in [
        *details,
        ("ALL", sum(d[1] for d in details), sum(d[2] for d in details), [m for d in details for m in d[3]]),
    ]:
        nm = len(matched)

        def acc(fn, matched=matched, nm=nm) -> float:
            return float(sum(bool(fn(er, pr)) for er, pr in matched) / nm) if nm else float("nan")

        rows.append(
            {
                "doc_id": doc,
                "n_expected": ne,
                "n_predicted": npred,
                "n_matched": nm,
                "precision": nm / npred if npred else float("nan"),
                "recall": nm / ne if ne else float("nan"),
                "value_exact": acc(
                    lambda er, pr: _same(er["value"], pr["value"]) and _same(er["value_max"], pr["value_max"])
                ),
                "unit_exact": acc(
                    lambda er, pr: (
                        (er["unit"] or None) == (pr["unit"] if isinstance(pr["unit"], str) else None)
                    )
                ),
                "comparator_exact": acc(lambda er, pr: er["comparator"] == pr["comparator"]),
                "year_exact": acc(lambda er, pr: _same(er["target_year"], pr["target_year"])),
            }
        )
    return pd.DataFrame(rows)


def _same(a, b) -> bool:
    a_na, b_na = pd.isna(a), pd.isna(b)
    if a_na or b_na:
        return bool(a_na and b_na)
    return abs(float(a) - float(b)) <= 1e-9 * max(1.0, abs(float(a)))


def mismatches(predicted: pd.DataFrame, expected: pd.DataFrame, *, documents: pd.DataFrame) -> pd.DataFrame:
    """The records behind the scores: missed, spurious and mismatched (for reading, not for scoring).

    Returns:
        Columns ``doc_id, kind (missed/spurious/value/unit/comparator/year), number_start, number_text,
        expected, predicted``.
    """
    exp = expected.copy()
    exp["number_start"] = _locate(exp, documents)
    pred = predicted[predicted["doc_id"].isin(exp["doc_id"].unique())]
    rows = []
    for doc in exp["doc_id"].unique():
        e = exp[exp["doc_id"] == doc]
        p = pred[pred["doc_id"] == doc]
        epos = e.groupby("number_start").size()
        ppos = p.groupby("number_start").size()
        for pos in sorted(set(epos.index) | set(ppos.index)):
            eg = e[e["number_start"] == pos]
            pg = p[p["number_start"] == pos]
            for i in range(max(len(eg), len(pg))):
                er = eg.iloc[i] if i < len(eg) else None
                pr = pg.iloc[i] if i < len(pg) else None
                if er is None:
                    rows.append(
                        {
                            "doc_id": doc,
                            "kind": "spurious",
                            "number_start": pos,
                            "number_text": pr["number_text"],
                            "expected": "",
                            "predicted": f"{pr['indicator']} {pr['comparator']} {pr['value']} {pr['unit']} | {pr['quote']}",
                        }
                    )
                    continue
                if pr is None:
                    rows.append(
                        {
                            "doc_id": doc,
                            "kind": "missed",
                            "number_start": pos,
                            "number_text": er["number_text"],
                            "expected": f"{er['indicator']} {er['comparator']} {er['value']} {er['unit']} | {er['context']}",
                            "predicted": "",
                        }
                    )
                    continue
                for kind, ok in (
                    ("value", _same(er["value"], pr["value"]) and _same(er["value_max"], pr["value_max"])),
                    ("unit", (er["unit"] or None) == (pr["unit"] if isinstance(pr["unit"], str) else None)),
                    ("comparator", er["comparator"] == pr["comparator"]),
                    ("year", _same(er["target_year"], pr["target_year"])),
                ):
                    if not ok:
                        rows.append(
                            {
                                "doc_id": doc,
                                "kind": kind,
                                "number_start": pos,
                                "number_text": er["number_text"],
                                "expected": f"{er['indicator']} {er['comparator']} {er['value']}-{er['value_max']} {er['unit']} {er['target_year']}",
                                "predicted": f"{pr['indicator']} {pr['comparator']} {pr['value']}-{pr['value_max']} {pr['unit']} {pr['target_year']}",
                            }
                        )
    return pd.DataFrame(
        rows, columns=["doc_id", "kind", "number_start", "number_text", "expected", "predicted"]
    )


# --------------------------------------------------------------------------------------------------
# summaries for charts and notebooks
# --------------------------------------------------------------------------------------------------


def _labels(documents: pd.DataFrame | None) -> dict:
    if documents is None or documents.empty:
        return {}
    return dict(zip(documents["doc_id"], documents["city_label"], strict=False))


def first_theme(themes: pd.Series, *, default: str = "unclassified") -> pd.Series:
    """The first theme code of a comma-separated ``themes`` column (``default`` when empty)."""
    return themes.fillna("").astype(str).str.split(",").str[0].replace("", default)


def targets_by_theme(
    targets: pd.DataFrame, *, documents: pd.DataFrame | None = None, aligned: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Number of distinct targets (repeats left out) per city and theme.

    Args:
        targets: The ``targets`` table.
        documents: For city labels.
        aligned: The ``aligned_indicators`` table; when given, an indicator's vocabulary theme is preferred
            to its passage's first theme (an indicator table is one passage but spans many themes).

    Returns:
        Columns ``city_label, theme, n_targets`` (theme code, or ``unclassified``).
    """
    if targets.empty:
        return pd.DataFrame(columns=["city_label", "theme", "n_targets"])
    t = targets[~targets["is_repeat"].astype(bool)].copy()
    t["city_label"] = t["doc_id"].map(_labels(documents)).fillna(t["doc_id"])
    t["theme"] = first_theme(t["themes"])
    if aligned is not None and not aligned.empty:
        vocab = aligned[aligned["match_method"] == "vocabulary"].set_index("target_id")["theme"]
        t["theme"] = t["target_id"].map(vocab).fillna(t["theme"])
    return t.groupby(["city_label", "theme"]).size().rename("n_targets").reset_index()


def target_shares(targets: pd.DataFrame, *, documents: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per city: distinct targets and the share with a stated deadline, per-year, binding, masked.

    A deadline is *stated* when it comes from the sentence or a governing phrase of the paragraph (not the
    plan's end year by default).

    Returns:
        Columns ``city_label, doc_id, n_targets, share_deadline, share_per_year, share_binding, share_masked``.
    """
    cols = [
        "city_label",
        "doc_id",
        "n_targets",
        "share_deadline",
        "share_per_year",
        "share_binding",
        "share_masked",
    ]
    if targets.empty:
        return pd.DataFrame(columns=cols)
    t = targets[~targets["is_repeat"].astype(bool)].copy()
    t["stated"] = t["deadline_source"].isin(["sentence", "paragraph"])
    t["bound"] = t["binding"].eq("约束性")
    g = t.groupby("doc_id")
    out = pd.DataFrame(
        {
            "n_targets": g.size(),
            "share_deadline": g["stated"].mean(),
            "share_per_year": g["per_year"].mean(),
            "share_binding": g["bound"].mean(),
            "share_masked": g["is_masked"].mean(),
        }
    ).reset_index()
    out["city_label"] = out["doc_id"].map(_labels(documents)).fillna(out["doc_id"])
    return out[cols]


#: Documents whose expectations were written before any tuning on them and never tuned on afterwards.
HELD_OUT_DOCS = ("changzhou_2023",)


def validation_report(
    targets: pd.DataFrame,
    *,
    documents: pd.DataFrame,
    expected_dir,
    held_out: tuple[str, ...] = HELD_OUT_DOCS,
) -> pd.DataFrame:
    """Scores against every ``expected_targets_<doc_id>.csv`` in a folder, tuned and held-out sets apart.

    Args:
        targets: The ``targets`` table.
        documents: The ``documents`` table.
        expected_dir: Folder of the hand-checked expectation files (``tests/data`` in the repository).
        held_out: Documents kept out of tuning (reported as their own set).

    Returns:
        One row per document, then ``ALL tuned`` and ``ALL held-out`` rows, with a ``set`` column; empty when
        the folder holds no expectations for the documents present.
    """
    from pathlib import Path

    files = sorted(Path(expected_dir).glob("expected_targets_*.csv"))
    present = set(documents["doc_id"])
    exp = [load_expected(f) for f in files]
    exp = [e for e in exp if not e.empty and e["doc_id"].iloc[0] in present]
    if not exp:
        return pd.DataFrame()
    allx = pd.concat(exp, ignore_index=True)
    out = []
    for name, mask in (
        ("tuned", ~allx["doc_id"].isin(held_out)),
        ("held-out", allx["doc_id"].isin(held_out)),
    ):
        if not mask.any():
            continue
        s = evaluate_targets(targets, allx[mask], documents=documents)
        s["doc_id"] = s["doc_id"].replace({"ALL": f"ALL {name}"})
        s.insert(0, "set", name)
        out.append(s)
    return pd.concat(out, ignore_index=True)


def select_docs(tables: dict[str, pd.DataFrame], docs: list[str] | None) -> dict[str, pd.DataFrame]:
    """The tables restricted to some documents (all when ``docs`` is None); tables without doc_id unchanged."""
    if docs is None:
        return dict(tables)
    keep = set(docs)
    return {k: (v[v["doc_id"].isin(keep)] if "doc_id" in v.columns else v) for k, v in tables.items()}
