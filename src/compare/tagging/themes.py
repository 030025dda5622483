"""Theme tags of sentences and passages (tables ``theme_tags_sentence`` and ``theme_tags_passage``).

Each sentence is scored against the codebook (:mod:`compare.tagging.scoring`) within its section context
(:mod:`compare.tagging.context`). Passages get the union of their sentences' tags, plus themes that only
accumulate over several sentences, and a primary theme (rule 13).
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from compare.core.frames import rows_by
from compare.core.schemas import SHA, TableSchema, register
from compare.core.schemas import C as _C
from compare.tagging.codebook import Codebook, load_codebook
from compare.tagging.context import general_sentences, passage_context
from compare.tagging.scoring import Candidate, score_sentence, tag_sentence

# --------------------------------------------------------------------------------------------------
# Schemas of the tables this stage writes
# --------------------------------------------------------------------------------------------------
_DOC = _C("doc_id", "str", "document id")


_PAS = _C("passage_id", "str", "passage id")


_SEN = _C("sentence_id", "str", "sentence id")


_THEME = _C("theme_code", "str", "codebook theme code")


_LABEL = _C("theme_label", "str", "Chinese theme label")


THEME_TAGS_SENTENCE = register(
    TableSchema(
        "theme_tags_sentence",
        (
            _DOC,
            _PAS,
            _SEN,
            _THEME,
            _LABEL,
            _C("score", "float", "summed weight of the distinct matched terms (or rule score)", min=0),
            _C("evidence", "str", "matched terms with weights and rules, e.g. '托育(1.0); rule:setting'"),
            SHA,
        ),
        unique=("sentence_id", "theme_code"),
        doc="Theme tags of sentences (long format, one row per sentence x theme).",
    )
)


THEME_TAGS_PASSAGE = register(
    TableSchema(
        "theme_tags_passage",
        (
            _DOC,
            _PAS,
            _THEME,
            _LABEL,
            _C("score", "float", "summed sentence scores of the theme in the passage", min=0),
            _C("n_sentences", "int", "tagged sentences (measures) of the theme in the passage", min=0),
            _C("is_primary", "bool", "the passage's primary theme (rule 13)"),
            _C(
                "primary_rule", "str", "why primary: heading / most_measures / first_mentioned", nullable=True
            ),
            _C("evidence", "str", "matched terms and rules over the passage"),
            SHA,
        ),
        unique=("passage_id", "theme_code"),
        doc="Theme tags of passages with the primary theme flagged.",
    )
)


def tag_sentences(
    sentences: pd.DataFrame,
    *,
    passages: pd.DataFrame | None = None,
    codebook: Codebook | None = None,
    context: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Tag every sentence with codebook themes.

    Args:
        sentences: The ``sentences`` table (``doc_id, passage_id, sentence_id, text``).
        passages: The ``passages`` table; used for the kind and section context (responsibility lines are
            skipped, sentences in general sections and in the preamble carry no theme).
        codebook: Codebook to use (default: packaged).
        context: :func:`compare.tagging.context.passage_context` of ``passages`` when already computed.

    Returns:
        The ``theme_tags_sentence`` table.
    """
    cb = codebook or load_codebook()
    if sentences is None or sentences.empty:
        return THEME_TAGS_SENTENCE.empty()
    from compare.tagging.context import taggable_sentences

    ctx = None
    general_sents: set[str] = set()
    if passages is not None and not passages.empty:
        ctx = context if context is not None else passage_context(passages, cb)
        general_sents = general_sentences(sentences, ctx, cb)
    rows = []
    for doc, pid, sid, text, h in taggable_sentences(sentences, passages, context=ctx):
        if sid in general_sents:
            continue
        for code, score, ev in tag_sentence(text, codebook=cb):
            rows.append(
                (doc, pid, sid, code, cb.themes[code].label, score, ev, h if isinstance(h, str) else "")
            )
    if not rows:
        return THEME_TAGS_SENTENCE.empty()
    return pd.DataFrame(rows, columns=THEME_TAGS_SENTENCE.names)


def _title_of(passage: Mapping, first_sentence: str | None) -> list[str]:
    """Heading candidates of a passage: an item's own short lead sentence, then its section heading."""
    out = []
    if passage.get("kind") in ("item", "heading") and first_sentence and len(first_sentence) <= 30:
        out.append(first_sentence)
    head = passage.get("heading")
    if isinstance(head, str) and head:
        out.append(head)
    return out


def tag_passages(
    sentence_tags: pd.DataFrame,
    *,
    sentences: pd.DataFrame,
    passages: pd.DataFrame,
    codebook: Codebook | None = None,
    context: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Aggregate sentence tags to passages and choose each passage's primary theme (rule 13).

    A passage carries every theme of its sentences, plus a theme whose weights summed over its sentences
    reach ``passage_threshold`` although no single sentence did (rule ``passage_accumulation``).
    Primary theme: the theme of the passage's heading (an item's lead sentence or its section heading) if
    the passage carries it; else the theme with most tagged sentences; on a tie, the first mentioned.

    Args:
        sentence_tags: Output of :func:`tag_sentences`.
        sentences: The ``sentences`` table.
        passages: The ``passages`` table.
        codebook: Codebook to use (default: packaged).
        context: :func:`compare.tagging.context.passage_context` of ``passages`` when already computed.

    Returns:
        The ``theme_tags_passage`` table.
    """
    cb = codebook or load_codebook()
    if passages is None or passages.empty or sentences is None or sentences.empty:
        return THEME_TAGS_PASSAGE.empty()
    ctx = context if context is not None else passage_context(passages, cb)
    excluded = set(ctx.loc[ctx["skip"] | ctx["general"], "passage_id"])
    general_sents = general_sentences(sentences, ctx, cb)
    seq = dict(zip(sentences["sentence_id"], sentences["seq"], strict=True)) if "seq" in sentences else {}
    by_pas: dict[str, list[tuple[str, str]]] = {}
    for pid, sid, text in zip(
        sentences["passage_id"].tolist(),
        sentences["sentence_id"].tolist(),
        sentences["text"].tolist(),
        strict=True,
    ):
        if sid not in general_sents:
            by_pas.setdefault(pid, []).append((sid, text if isinstance(text, str) else ""))
    tag_cols = ("theme_code", "score", "sentence_id", "evidence")
    tags_by_pas = rows_by(sentence_tags, "passage_id", tag_cols) if len(sentence_tags) else {}
    rows = []
    for p in passages.to_dict("records"):
        pid = p["passage_id"]
        if pid in excluded:
            continue
        sents = sorted(by_pas.get(pid, []), key=lambda s: seq.get(s[0], 0))
        st = tags_by_pas.get(pid)
        agg: dict[str, dict] = {}
        if st is not None:
            for theme_code, score, sentence_id, evidence in st:
                a = agg.setdefault(
                    theme_code, {"score": 0.0, "n": 0, "first": seq.get(sentence_id, 0), "ev": []}
                )
                a["score"] += float(score)
                a["n"] += 1
                a["first"] = min(a["first"], seq.get(sentence_id, 0))
                a["ev"].append(evidence)
        # accumulation over sentences
        acc: dict[str, Candidate] = {}
        for sid, text in sents:
            for code, cand in score_sentence(text, codebook=cb).items():
                if code in agg or cand.score <= 0:
                    continue
                # distinct terms over the passage: a term repeated in several sentences counts once
                a = acc.setdefault(code, Candidate())
                for t, w in cand.terms.items():
                    a.terms[t] = max(a.terms.get(t, 0.0), w)
                a.score = sum(a.terms.values())
                a.rules.append(sid)
        for code, a in acc.items():
            if a.score >= cb.passage_threshold:
                first = min(seq.get(s, 0) for s in a.rules)
                ev = "; ".join(f"{t}({w:.2g})" for t, w in a.terms.items()) + "; rule:passage_accumulation"
                agg[code] = {"score": a.score, "n": 0, "first": first, "ev": [ev]}
        if not agg:
            continue
        primary, why = _primary(agg, _title_of(p, sents[0][1] if sents else None), cb)
        sha = p.get("source_sha256", "")
        for code in sorted(agg, key=lambda c: (agg[c]["first"], cb.codes.index(c))):
            a = agg[code]
            ev = "; ".join(dict.fromkeys("; ".join(a["ev"]).split("; ")))
            rows.append(
                (
                    p["doc_id"],
                    pid,
                    code,
                    cb.themes[code].label,
                    round(a["score"], 4),
                    a["n"],
                    code == primary,
                    why if code == primary else None,
                    ev,
                    sha if isinstance(sha, str) else "",
                )
            )
    if not rows:
        return THEME_TAGS_PASSAGE.empty()
    return pd.DataFrame(rows, columns=THEME_TAGS_PASSAGE.names)


def _primary(agg: dict[str, dict], titles: list[str], cb: Codebook) -> tuple[str, str]:
    # a heading naming a level ("推进普通高中优质特色发展") maps to it: level names count alone here
    heading_min = min(cb.threshold, cb.setting_weight_alone)
    for title in titles:
        cands = score_sentence(title, codebook=cb)
        ranked = sorted(
            (c for c in cands if cands[c].score >= heading_min and c in agg), key=lambda c: -cands[c].score
        )
        if ranked:
            return ranked[0], "heading"
    best = max(agg.values(), key=lambda a: a["n"])["n"]
    top = [c for c in agg if agg[c]["n"] == best]
    if len(top) == 1:
        return top[0], "most_measures"
    return min(top, key=lambda c: (agg[c]["first"], cb.codes.index(c))), "first_mentioned"
