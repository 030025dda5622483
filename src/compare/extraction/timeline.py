"""Timelines: the plan period, the vision year and every dated commitment of a document.

Events are found with the phrase list ``resources/deadline_phrases.csv`` (到2025年, 2023年底, 年底前, 三年内,
两年左右, 从2018年秋季开学起, 每年 …) and kept whether or not the sentence states a number
(2023年底全面取消幼儿临时照护点 is an event, not a target). Relative phrases are resolved against the plan
period (三年内 from the plan start; 年底前 in a year's work points → that year). Years outside 1949–2100 are
kept as events with an empty year and a ``flag``.
"""

from __future__ import annotations

import functools
import re

import pandas as pd

from compare.core.config import resource_path
from compare.core.frames import first_rows, rows_by
from compare.core.schemas import C, TableSchema, register, validate
from compare.extraction.periods import (
    RE_CITED_TITLE,
    achievement_passages,
    five_year_plan,
    one_year_phrase_at,
    plan_period,
    review_passages,
)
from compare.extraction.rules import heading_year_match, plans_ahead
from compare.extraction.scopes import (
    RE_FUTURE_AFTER,
    current_year,
    inherited_scopes,
    issue_year,
    relative_year,
)
from compare.text.numbers import parse_chinese_numeral, parse_number_text

EVENT_KINDS = (
    "plan_period",
    "vision",
    "deadline",
    "start",
    "within_years",
    "about_years",
    "this_year",
    "recurring",
)


TIMELINE = register(
    TableSchema(
        "timeline",
        (
            C("doc_id", "str", "document"),
            C("event_id", "str", "'<sentence_id or doc_id>/e<k>'"),
            C("passage_id", "str", "passage of the event", nullable=True),
            C("sentence_id", "str", "sentence of the event", nullable=True),
            C(
                "kind",
                "str",
                "plan_period / vision / deadline / start / within_years / …",
                allowed=EVENT_KINDS,
            ),
            C(
                "year_start",
                "int",
                "first year (plan period, start dates)",
                nullable=True,
                min=1949,
                max=2100,
            ),
            C(
                "year",
                "int",
                "year of the event (deadline, end of period)",
                nullable=True,
                min=1949,
                max=2100,
            ),
            C("deadline_text", "str", "the time phrase as written"),
            C("has_target", "bool", "the sentence also states a quantitative target"),
            C("quote", "str", "the sentence in the original script", nullable=True),
            C("start", "int", "offset of the quote in documents.text", nullable=True, min=0),
            C("end", "int", "end offset of the quote", nullable=True, min=0),
            C("themes", "str", "comma-separated theme codes of the passage", nullable=True),
            C("flag", "str", "year outside 1949–2100 …", nullable=True),
        ),
        unique=("event_id",),
        doc="One row per dated commitment, plan period or vision year of a document.",
    )
)


#: A year heading a column of a flattened indicator table (2020年 / 2025年, one cell per line).
RE_TABLE_HEADER_YEAR = re.compile(r"(?m)^\s*(?P<y>(?:19|20)\d{2})\s*年\s*$")


#: The start of a trend (由2013年的…增加到…), in the clause before a deadline phrase.
RE_TREND_FROM = re.compile(r"[由从]\s*(?:19|20)\d{2}\s*年(?:底|末)?的[^，。；]*$")


#: The year a heading names (compare.extraction.rules.heading_year_match), as its event's phrase.
RE_YEAR_AT = re.compile(r"(?P<y>20\d{2})\s*年(?:度)?")


#: Every phrase of ``deadline_phrases.csv`` (and a heading's year) holds one of these characters: a sentence
#: without any states no time, and the phrase patterns are not run on it (tested on every labelled text).
RE_EVENT_ANCHOR = re.compile(r"[年月季每毎五秋期]")


@functools.lru_cache(maxsize=1)
def _phrases() -> tuple[tuple[str, re.Pattern], ...]:
    df = pd.read_csv(resource_path("deadline_phrases.csv"), dtype=str, keep_default_na=False)
    return tuple((r.kind, re.compile(r.pattern)) for r in df.itertuples())


def _checked(year: int | None, flags: list[str]) -> int | None:
    if year is None:
        return None
    if year < 1949:
        flags.append(f"year_before_1949({year})")
        return None
    if year > 2100:
        flags.append(f"year_after_2100({year})")
        return None
    return year


def _event_year(
    kind: str, m: re.Match, *, p_start: int | None, p_end: int | None, issued: int | None = None
) -> int | None:
    groups = m.groupdict()
    if groups.get("ty") or groups.get("nx"):  # 今年 / 明年: from the issue year, else a one-year document's
        this = current_year(issued=issued, period_start=p_start, period_end=p_end)
        return None if this is None else this + (1 if groups.get("nx") else 0)
    if groups.get("y"):
        return int(groups["y"])
    if groups.get("yb") or groups.get("yw"):
        return int(groups.get("yb") or groups["yw"])
    if groups.get("yc"):
        return int(groups["yc"])
    if groups.get("cn"):
        v = parse_chinese_numeral(groups["cn"])
        return None if v is None else int(v)
    if groups.get("fyp"):
        years = five_year_plan(groups["fyp"])
        return None if years is None else years[1]
    if groups.get("every") or groups.get("pend"):  # 规划期末: the plan's last year
        return p_end
    if groups.get("n"):
        n = parse_number_text(groups["n"])
        if n is None:
            return None
        return relative_year(n, start=p_start, issued=issued)
    if groups.get("mo"):  # 从3月起: a month of a one-year document (work points)
        return p_end if p_start is not None and p_start == p_end else None
    if kind == "this_year":  # the document's (last) year, else the year it was issued
        return p_end if p_end is not None else issued
    if kind == "recurring":
        return p_end
    return None


def _event_row(
    doc_id: str,
    k: int,
    *,
    passage_id: str | None,
    sentence_id: str | None,
    kind: str,
    year_start: int | None,
    year: int | None,
    text: str,
    has_target: bool,
    quote: str | None,
    start: int | None,
    end: int | None,
    flag: str | None,
) -> dict:
    """One row of the ``timeline`` table (``k``: the event's number in its document)."""
    return {
        "doc_id": doc_id,
        "event_id": f"{doc_id}/e{k:04d}",
        "passage_id": passage_id,
        "sentence_id": sentence_id,
        "kind": kind,
        "year_start": year_start,
        "year": year,
        "deadline_text": text,
        "has_target": has_target,
        "quote": quote,
        "start": start,
        "end": end,
        "themes": None,
        "flag": flag,
    }


def extract_timeline(
    tables: dict[str, pd.DataFrame], *, documents: pd.DataFrame, check: bool = True
) -> pd.DataFrame:
    """Timeline events of the documents in ``tables``.

    Args:
        tables: ``sentences`` and ``passages`` (one or more documents); ``targets`` optional (sets
            ``has_target``).
        documents: The ``documents`` table (plan period from the manifest/metadata, text for the period).
        check: Validate the table against its schema (the build validates each chunk's tables once).

    Returns:
        A ``timeline`` table (validated unless ``check`` is off), ordered by document and position.
    """
    sentences = tables.get("sentences")
    passages = tables.get("passages")
    targets = tables.get("targets")
    if sentences is None or sentences.empty:
        return TIMELINE.empty()
    past = set() if passages is None else achievement_passages(passages)
    passages_by_doc = {} if passages is None else dict(tuple(passages.groupby("doc_id", sort=False)))
    kinds = {} if passages is None else dict(zip(passages["passage_id"], passages["kind"], strict=False))
    target_sents = set() if targets is None or targets.empty else set(targets["sentence_id"].dropna())
    rows: list[dict] = []
    doc_cols = [
        c for c in ("text", "text_original", "period_start", "period_end", "issue_date") if c in documents
    ]
    doc_rows = {
        k: dict(zip(doc_cols, v, strict=True)) for k, v in first_rows(documents, "doc_id", doc_cols).items()
    }
    sent_cols = ("sentence_id", "passage_id", "text", "text_original", "start", "end")
    split: dict = {}

    def sentences_of(doc) -> pd.DataFrame:  # grouped once, and only if a multi-year plan needs its sections
        if not split:
            split.update(tuple(sentences.groupby("doc_id", sort=False)))
        return split[doc]

    for doc_id, doc_sents in rows_by(sentences, "doc_id", sent_cols, order="seq").items():
        doc = doc_rows.get(doc_id)
        text = str(doc["text"]) if doc is not None and "text" in doc else ""
        orig = str(doc["text_original"]) if doc is not None and "text_original" in doc else text
        t_start, t_end, t_phrase = plan_period(text)
        t_at = text.find(t_phrase) if t_phrase else -1
        m_start = None if doc is None or pd.isna(doc["period_start"]) else int(doc["period_start"])
        m_end = None if doc is None or pd.isna(doc["period_end"]) else int(doc["period_end"])
        p_start = m_start if m_start is not None else t_start
        p_end = m_end if m_end is not None else t_end
        issued = issue_year(doc.get("issue_date")) if doc is not None else None
        if not t_phrase and p_start is not None and p_start == p_end:  # a one-year report: where it says so
            t_phrase, t_at = one_year_phrase_at(text, p_end, issued=issued) or (None, -1)
        # a section of a multi-year plan that names its year (2、2021年无锡将开工……) dates its months and 年底前
        sections = (
            {
                pid: s.year
                for pid, s in inherited_scopes(
                    passages_by_doc[doc_id],
                    sentences_of(doc_id),
                    periods={str(doc_id): (p_start, p_end)},
                    issued={str(doc_id): issued},
                ).items()
                if s.source == "section" and s.year is not None
            }
            if p_start is not None and p_end is not None and p_start != p_end and doc_id in passages_by_doc
            else {}
        )
        reviews = (
            review_passages(
                passages_by_doc.get(doc_id), {str(doc_id): (p_start, p_end)}, issued={str(doc_id): issued}
            )
            if passages_by_doc.get(doc_id) is not None
            else set()
        )
        k = 0
        if p_start is not None or p_end is not None:
            flags: list[str] = []
            quote, qs, qe, sid, pid = None, None, None, None, None
            if t_phrase:
                i = t_at
                for sent_id, pas_id, _t, _o, s_start, s_end in doc_sents:
                    if s_start <= i < s_end:
                        sid, pid, qs, qe = sent_id, pas_id, int(s_start), int(s_end)
                        quote = orig[qs:qe]
                        break
            k += 1
            year_start, year = _checked(p_start, flags), _checked(p_end, flags)
            rows.append(
                _event_row(
                    doc_id,
                    k,
                    passage_id=pid,
                    sentence_id=sid,
                    kind="plan_period",
                    year_start=year_start,
                    year=year,
                    text=t_phrase or f"{p_start}–{p_end}",
                    has_target=False,
                    quote=quote,
                    start=qs,
                    end=qe,
                    flag=",".join(flags) or None,
                )
            )
        for s_id, s_pid, s_text, s_orig, s_start, s_end in doc_sents:
            if kinds.get(s_pid) == "responsibility":
                continue
            if (s_pid in past or s_pid in reviews) and not plans_ahead(
                str(s_text), ref=p_start if p_start is not None else issued
            ):
                continue  # a look-back paragraph: only a sentence that plans ahead (到2022年，将…) dates work
            stext = str(s_text)
            if kinds.get(s_pid) == "table":  # an indicator table: its last year column is the deadline
                header = list(RE_TABLE_HEADER_YEAR.finditer(stext))
                if len(header) >= 2:
                    m = header[-1]
                    k += 1
                    rows.append(
                        _event_row(
                            doc_id,
                            k,
                            passage_id=s_pid,
                            sentence_id=s_id,
                            kind="deadline",
                            year_start=None,
                            year=_checked(int(m["y"]), []),
                            text=m.group(0).strip(),
                            has_target=s_id in target_sents,
                            quote=str(s_orig),
                            start=int(s_start),
                            end=int(s_end),
                            flag=None,
                        )
                    )
                continue
            if not RE_EVENT_ANCHOR.search(stext):
                continue
            taken = [False] * (len(stext) + 1)
            for q in RE_CITED_TITLE.finditer(stext):  # years inside 《…》 name another document
                for i in range(q.start(), q.end()):
                    taken[i] = True
            found = []
            title_at = t_at
            if s_start <= title_at < s_end and stext[title_at - s_start :].startswith(t_phrase):
                for i in range(title_at - s_start, title_at - s_start + len(t_phrase)):
                    taken[i] = True  # the plan period's own phrase is its event already
            if (
                kinds.get(s_pid) == "heading"
                and (h := heading_year_match(stext))
                and not (s_start <= title_at < s_end)  # the title's own year is the plan period's event
            ):
                if h["y"]:  # the event is the year itself (2020年), unless it lies before the plan
                    h = (
                        None
                        if p_start is not None and int(h["y"]) < p_start
                        else RE_YEAR_AT.match(stext, h.start("y"))
                    )
                if h is not None:
                    for i in range(*h.span()):
                        taken[i] = True
                    found.append((h.start(), "this_year" if h.groupdict().get("y") else "deadline", h))
            for kind, pat in _phrases():
                for m in pat.finditer(stext):
                    if m.end() == m.start() or any(taken[m.start() : m.end()]):
                        continue
                    for i in range(m.start(), m.end()):
                        taken[i] = True
                    found.append((m.start(), kind, m))
            stated_start = (
                None  # 今年起，将2年新建……: a start the sentence states counts its relative deadlines
            )
            for _pos, kind, m in sorted(found, key=lambda x: x[0]):
                flags = []
                start = stated_start if kind == "within_years" and stated_start is not None else p_start
                year = _checked(_event_year(kind, m, p_start=start, p_end=p_end, issued=issued), flags)
                if (
                    kind == "this_year"
                    and s_pid in sections
                    and not (m.groupdict().get("ty") or m.groupdict().get("nx"))
                ):
                    year = sections[s_pid]  # 7月开工 under 2021年…: that year, not the plan's last
                if year is not None and (kind == "start" or stext.startswith(("起", "开始"), m.end())):
                    stated_start = year  # 从2024年起 / 今年起
                if (m.groupdict().get("yb") or m.groupdict().get("yw")) and (
                    year is None or (p_start is not None and year < p_start)
                ):
                    continue  # 2022年完成…: a bare year before the plan starts reports, it does not commit
                ref = p_start if p_start is not None else issued
                if m.groupdict().get("yc") and (
                    year is None
                    or (ref is None and not RE_FUTURE_AFTER.match(stext, m.end()))
                    or (ref is not None and year < ref)
                ):
                    continue  # 2021年，全区…达98.19%: a year before the plan (or the page) reports
                if (
                    year is not None
                    and ref is not None
                    and year < ref
                    and RE_TREND_FROM.search(stext[: m.start()])
                ):
                    continue  # 由2013年的1.44亿元增加到2016年的3.6亿元: a trend that ended before the plan
                ev_kind = kind
                if kind == "deadline" and year is not None and p_end is not None and year > p_end + 2:
                    ev_kind = "vision"
                year_start = year if kind == "start" else None
                k += 1
                rows.append(
                    _event_row(
                        doc_id,
                        k,
                        passage_id=s_pid,
                        sentence_id=s_id,
                        kind=ev_kind,
                        year_start=year_start,
                        year=year,
                        text=m.group(0).strip(),
                        has_target=s_id in target_sents,
                        quote=str(s_orig),
                        start=int(s_start),
                        end=int(s_end),
                        flag=",".join(flags) or None,
                    )
                )
    if not rows:
        return TIMELINE.empty()
    df = pd.DataFrame(rows)
    return validate(df, TIMELINE) if check else df[TIMELINE.names]


def deadline_counts(timeline: pd.DataFrame, *, documents: pd.DataFrame | None = None) -> pd.DataFrame:
    """Dated events (plan periods and recurring duties left out) per year, theme and city.

    Returns:
        Columns ``city_label, year, theme, n_events`` (theme = the passage's first theme or ``unclassified``).
    """
    cols = ["city_label", "year", "theme", "n_events"]
    if timeline.empty:
        return pd.DataFrame(columns=cols)
    t = timeline[~timeline["kind"].isin(["plan_period", "recurring"]) & timeline["year"].notna()].copy()
    labels = (
        {} if documents is None else dict(zip(documents["doc_id"], documents["city_label"], strict=False))
    )
    t["city_label"] = t["doc_id"].map(labels).fillna(t["doc_id"])
    t["theme"] = t["themes"].fillna("").astype(str).str.split(",").str[0].replace("", "unclassified")
    t["year"] = t["year"].astype(int)
    return t.groupby(["city_label", "year", "theme"]).size().rename("n_events").reset_index()[cols]
