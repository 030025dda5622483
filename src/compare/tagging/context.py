"""The section context of passages and sentences for the taggers: which passages are skipped (kind), which
sit in a general section or the preamble, in a review of past results or under an overall-goal heading, and
which sentences the taggers read.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pandas as pd

from compare.tagging.codebook import Codebook, is_general_section, load_codebook

#: A quantified target (digits, masks, percentages or a Chinese numeral with a measure word): in an overall goal
#: section only such sentences are specific goal clauses (rule 2).
QUANTIFIED_RE = re.compile(r"[0-9*％%]|百分之|[一二三四五六七八九十百千万两]+\s*(?:所|个|家|座|项|万人|成)")


#: A passage without a heading may have its heading glued to its text ("一、指导思想坚持…"): look this far.
GLUED_HEADING_CHARS = 10


def section_headings(passages: pd.DataFrame) -> list[list[str]]:
    """For each passage: its own heading and the headings of every enclosing section (from the heading
    passages whose section path is a prefix of its own), so items under "（二）基本理念" know their section."""
    get = {
        c: passages[c] if c in passages else pd.Series(None, index=passages.index)
        for c in ("doc_id", "section_path", "heading", "kind", "text")
    }
    sections: dict[tuple, str] = {}
    for doc, path, kind, text, head in zip(
        get["doc_id"].tolist(),
        get["section_path"].tolist(),
        get["kind"].tolist(),
        get["text"].tolist(),
        get["heading"].tolist(),
        strict=True,
    ):
        if kind == "heading" and isinstance(path, str) and path:
            sections[(doc, path)] = (
                head if isinstance(head, str) and head else (text if isinstance(text, str) else "")
            )
    out = []
    for doc, path, head, text in zip(
        get["doc_id"].tolist(),
        get["section_path"].tolist(),
        get["heading"].tolist(),
        get["text"].tolist(),
        strict=True,
    ):
        names = (
            [head]
            if isinstance(head, str) and head
            else [text[:GLUED_HEADING_CHARS] if isinstance(text, str) else ""]
        )
        if isinstance(path, str) and path:
            parts = path.split("/")
            names += [sections.get((doc, "/".join(parts[:k]))) or "" for k in range(1, len(parts) + 1)]
        out.append([n for n in names if n])
    return out


def _reviews_only(heading: str, cb: Codebook) -> bool:
    """Whether a heading names a review section and nothing general ("发展成就", not "发展基础和面临形势")."""
    return bool(cb.review_heading_re is not None and cb.review_heading_re.search(heading)) and not (
        is_general_section(heading, codebook=cb)
    )


def passage_context(passages: pd.DataFrame, cb: Codebook) -> pd.DataFrame:
    """Per passage: whether it is skipped (kind) or general (preamble, or a general section such as 指导思想)."""
    ctx = passages[["passage_id"]].copy()
    kinds = passages["kind"] if "kind" in passages else pd.Series("paragraph", index=passages.index)
    paths = passages["section_path"] if "section_path" in passages else pd.Series("", index=passages.index)
    ctx["skip"] = kinds.isin(cb.skip_kinds).to_numpy()
    has_path = paths.map(lambda p: isinstance(p, str) and p != "")
    docs = passages["doc_id"] if "doc_id" in passages else pd.Series("", index=passages.index)
    structured = has_path.groupby(docs).transform("any")
    preamble = (~has_path & structured).to_numpy()
    headings = section_headings(passages)
    # a section reviewing past achievements (its own or its innermost section heading, so that "一、主要成就与
    # 赶超指向 / （二）赶超指向" is not one): only specific results count
    ctx["review"] = [
        bool(
            heads
            and cb.review_heading_re is not None
            and cb.review_heading_re.search(heads[0] + " " + heads[-1])
        )
        for heads in headings
    ]
    # a general section ("发展基础和面临形势") does not swallow a review subsection of its own ("（一）发展成就",
    # "（二）存在的短板"): there the review rule decides, unless that heading is general itself (v5, rule 2)
    ctx["general"] = [
        bool(pre)
        or (
            any(is_general_section(h, codebook=cb) for h in heads)
            and not (review and any(_reviews_only(h, cb) for h in (heads[0], heads[-1])))
        )
        for heads, pre, review in zip(headings, preamble, ctx["review"], strict=True)
    ]
    # the passage's own heading (or glued heading) names the overall goal: only quantified sentences count
    ctx["overall_goal"] = [
        bool(heads and cb.goal_heading_re is not None and cb.goal_heading_re.search(heads[0]))
        for heads in headings
    ]
    return ctx


def general_sentences(sentences: pd.DataFrame, ctx: pd.DataFrame, cb: Codebook) -> set[str]:
    """Sentences of overall-goal passages without a quantified target, and sentences of review sections
    with neither a number nor a marker of a specific result ("列为", "率先", a quoted name) (rule 2)."""
    goal = set(ctx.loc[ctx["overall_goal"], "passage_id"])
    review = set(ctx.loc[ctx["review"], "passage_id"]) - goal if "review" in ctx else set()
    if not goal and not review:
        return set()
    sel = sentences[sentences["passage_id"].isin(goal | review)]
    out = set()
    for sid, pid, text in zip(
        sel["sentence_id"].tolist(), sel["passage_id"].tolist(), sel["text"].tolist(), strict=True
    ):
        text = text if isinstance(text, str) else ""
        if QUANTIFIED_RE.search(text):
            continue
        if pid in goal and cb.goal_marker_re is not None and cb.goal_marker_re.search(text):
            continue  # "办学条件全部达标", "实现全覆盖": a quantified goal in words (v5)
        if pid in review and cb.review_marker_re is not None and cb.review_marker_re.search(text):
            continue
        out.add(sid)
    return out


def taggable_sentences(
    sentences: pd.DataFrame, passages: pd.DataFrame | None, *, context: pd.DataFrame | None = None
) -> Iterator[tuple[str, str, str, str, str]]:
    """``(doc_id, passage_id, sentence_id, text, source_sha256)`` of the sentences measures can be read from.

    Sentences of passages the theme codebook skips (responsibility lines, slogans, general sections) are left
    out, so instruments and commitment strength are read from the same sentences as themes.
    """
    skip: set[str] = set()
    if context is None and passages is not None and not passages.empty:
        from compare.tagging.context import passage_context

        context = passage_context(passages, load_codebook())
    if context is not None:
        skip = set(context.loc[context["skip"] | context["general"], "passage_id"])
    sha = sentences["source_sha256"] if "source_sha256" in sentences else pd.Series("", index=sentences.index)
    for doc, pid, sid, text, h in zip(
        sentences["doc_id"].tolist(),
        sentences["passage_id"].tolist(),
        sentences["sentence_id"].tolist(),
        sentences["text"].tolist(),
        sha.tolist(),
        strict=True,
    ):
        if pid not in skip and isinstance(text, str):
            yield doc, pid, sid, text, h
