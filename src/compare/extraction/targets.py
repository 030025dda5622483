"""All targets of a document (prose and tables), repeated statements marked, and passage themes joined on."""

from __future__ import annotations

import re

import pandas as pd

from compare.core.schemas import validate
from compare.extraction.sentence_targets import extract_targets
from compare.extraction.table_targets import extract_table_targets
from compare.extraction.target_schema import TARGETS


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
    cols = ["doc_id", "source", "number_start", "target_id", "is_masked", "value", "value_max", "unit"]
    cols += ["comparator", "per_year", "level", "indicator", "start"]
    rows = list(zip(*(targets[c].tolist() for c in cols), strict=True))
    # documents, then each document's indicator-table rows first, then by position
    order = sorted(
        range(len(rows)), key=lambda i: (rows[i][0], rows[i][1] != "table", rows[i][2], rows[i][3])
    )
    is_rep = [False] * len(rows)
    rep_of: list[str | None] = [None] * len(rows)
    seen: dict[tuple, list[tuple[str, set[str], int, str | None, str]]] = {}
    for i in order:
        doc, source, _pos, target_id, masked, value, value_max, unit, comp, per_year, level, ind, start = (
            rows[i]
        )
        if masked or pd.isna(value):
            continue
        level = None if pd.isna(level) else level
        key = (doc, value, None if pd.isna(value_max) else value_max, unit, comp, per_year)
        grams = _bigrams(f"{level or ''}{ind}")
        hit = None
        for tid, g, seen_start, lvl, src in seen.get(key, []):
            if (
                seen_start == start
                or (src == "table" and source == "table")
                or (lvl and level and lvl != level)
            ):
                continue  # same sentence, two rows of one table, or another level of the same indicator
            small = min(len(g), len(grams)) or 1
            if len(g & grams) / small >= min_overlap:
                hit = tid
                break
        is_rep[i], rep_of[i] = hit is not None, hit
        if hit is None:
            seen.setdefault(key, []).append((target_id, grams, start, level, source))
    out = targets.copy()
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


def _finish(df: pd.DataFrame, *, check: bool = True) -> pd.DataFrame:
    if df.empty:
        return TARGETS.empty()
    df = df.sort_values(["doc_id", "number_start", "target_id"]).reset_index(drop=True)
    return validate(df[TARGETS.names], TARGETS) if check else df[TARGETS.names]


def targets_for(
    tables: dict[str, pd.DataFrame], *, documents: pd.DataFrame, check: bool = True
) -> pd.DataFrame:
    """All targets (prose + tables) of the documents in ``tables``, repeats marked.

    Args:
        tables: ``sentences`` and ``passages`` tables.
        documents: The ``documents`` table.
        check: Validate the table against its schema (the build skips it: it validates each chunk's
            tables once).

    Returns:
        A ``targets`` table (validated unless ``check`` is off).
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
    return _finish(mark_repeats(df), check=check)


def _attach_sentence(tab: pd.DataFrame, sentences: pd.DataFrame) -> pd.DataFrame:
    """The sentence each table target starts in (the first such sentence in table order), else None."""
    spans: dict = {}
    for doc, sid, start, end in zip(
        sentences["doc_id"].tolist(),
        sentences["sentence_id"].tolist(),
        sentences["start"].tolist(),
        sentences["end"].tolist(),
        strict=True,
    ):
        spans.setdefault(doc, []).append((int(start), int(end), sid))
    ids = []
    for doc, pos in zip(tab["doc_id"].tolist(), tab["start"].tolist(), strict=True):
        hit = None
        for start, end, sid in spans.get(doc, ()):
            if start <= pos < end:
                hit = sid
                break
        ids.append(hit)
    out = tab.copy()
    out["sentence_id"] = ids
    return out


#: Columns of ``theme_tags_passage`` that :func:`join_themes` uses.
TAG_COLUMNS = ["passage_id", "theme_code", "score", "is_primary"]
