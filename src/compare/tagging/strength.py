"""Commitment strength of sentences from degree words (``resources/strength.yaml``).

Binding (确保, 必须, 全面, 严格 …), aspirational (力争, 争取, 努力, 逐步, 积极 …) and exploratory (探索, 鼓励,
支持, 试点, 研究 …) words are matched on the sentence text (longest first; blockers such as 研究生 claim their
span). A sentence's label is the class with most distinct hits, ties going to the stronger class; sentences
without a degree word are ``none``. :func:`strength_shares` gives the share of each class per document and
theme.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from compare.core.config import resource_path
from compare.core.schemas import SHA, TableSchema, register
from compare.core.schemas import C as _C
from compare.tagging.matcher import TermMatcher

CLASSES = ("binding", "aspirational", "exploratory", "none")

STRENGTH = register(
    TableSchema(
        "strength",
        (
            _C("doc_id", "str", "document id"),
            _C("passage_id", "str", "passage id"),
            _C("sentence_id", "str", "sentence id"),
            _C("strength", "str", "binding / aspirational / exploratory / none", allowed=CLASSES),
            _C("strength_label", "str", "Chinese label (约束性 / 期望性 / 探索性 / 未表态)"),
            _C("n_binding", "int", "distinct binding words", min=0),
            _C("n_aspirational", "int", "distinct aspirational words", min=0),
            _C("n_exploratory", "int", "distinct exploratory words", min=0),
            _C("evidence", "str", "matched degree words with their class", nullable=True),
            SHA,
        ),
        unique=("sentence_id",),
        doc="Commitment strength of every (taggable) sentence.",
    )
)
STRENGTH_SHARES = register(
    TableSchema(
        "strength_shares",
        (
            _C("doc_id", "str", "document id"),
            _C("theme_code", "str", "theme code, or '_all' for every sentence of the document"),
            _C("theme_label", "str", "Chinese theme label (全部 for '_all')"),
            _C("strength", "str", "strength class", allowed=CLASSES),
            _C("n_sentences", "int", "sentences of the class", min=0),
            _C("share", "float", "n_sentences / sentences of the document x theme", min=0, max=1),
        ),
        unique=("doc_id", "theme_code", "strength"),
        doc="Share of binding / aspirational / exploratory / none sentences per document and theme.",
    )
)


@dataclass(frozen=True)
class StrengthLexicon:
    """Parsed ``strength.yaml``."""

    version: int
    order: tuple[str, ...]
    labels: Mapping[str, str]
    classes: Mapping[str, tuple[str, ...]]
    blockers: frozenset[str]
    matcher: TermMatcher = field(repr=False, compare=False)
    index: Mapping[str, str] = field(repr=False, compare=False)


def parse_strength(data: Mapping) -> StrengthLexicon:
    """Build a :class:`StrengthLexicon` from the parsed YAML.

    Raises:
        ValueError: If a word is in two classes or a class is empty.
    """
    classes = {k: tuple(str(t) for t in v) for k, v in data["classes"].items()}
    index: dict[str, str] = {}
    for cls, words in classes.items():
        if not words:
            raise ValueError(f"strength class {cls!r} has no words")
        for w in words:
            if w in index:
                raise ValueError(f"degree word {w!r} is in {index[w]!r} and {cls!r}")
            index[w] = cls
    blockers = frozenset(str(b) for b in data.get("blockers") or ())
    return StrengthLexicon(
        version=int(data.get("version", 1)),
        order=tuple(data.get("order") or classes),
        labels=dict(data.get("labels") or {}),
        classes=classes,
        blockers=blockers,
        matcher=TermMatcher([*index, *blockers]),
        index=index,
    )


@functools.lru_cache(maxsize=8)
def _load_cached(path: str) -> StrengthLexicon:
    with open(path, encoding="utf-8") as fh:
        return parse_strength(yaml.safe_load(fh))


def load_strength(path: str | Path | None = None) -> StrengthLexicon:
    """Load the degree-word lexicon (default: packaged ``strength.yaml``)."""
    return _load_cached(str(path or resource_path("strength.yaml")))


def strength_of(text: str, *, lexicon: StrengthLexicon | None = None) -> tuple[str, dict[str, int], str]:
    """Commitment strength of one sentence.

    Args:
        text: Sentence text.
        lexicon: Degree-word lexicon (default: packaged).
        context: :func:`compare.tagging.context.passage_context` of ``passages`` when already computed.

    Returns:
        ``(class, counts per class, evidence)``; class is ``none`` without degree words.
    """
    lex = lexicon or load_strength()
    found: dict[str, list[str]] = {c: [] for c in lex.order}
    for h in lex.matcher.find(text or ""):
        cls = lex.index.get(h.term)
        if cls and h.term not in found[cls]:
            found[cls].append(h.term)
    counts = {c: len(v) for c, v in found.items()}
    best = max(counts.values(), default=0)
    label = next((c for c in lex.order if counts[c] == best), "none") if best else "none"
    evidence = "; ".join(f"{w}({c})" for c in lex.order for w in found[c])
    return label, counts, evidence


def sentence_strength(
    sentences: pd.DataFrame,
    *,
    passages: pd.DataFrame | None = None,
    lexicon: StrengthLexicon | None = None,
    context: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Commitment strength of every sentence (responsibility lines and general sections skipped).

    Args:
        sentences: The ``sentences`` table.
        passages: The ``passages`` table (skip rules of the theme codebook).
        lexicon: Degree-word lexicon (default: packaged).

    Returns:
        The ``strength`` table.
    """
    from compare.tagging.context import taggable_sentences

    lex = lexicon or load_strength()
    if sentences is None or sentences.empty:
        return STRENGTH.empty()
    rows = []
    for doc, pid, sid, text, h in taggable_sentences(sentences, passages, context=context):
        label, counts, ev = strength_of(text, lexicon=lex)
        rows.append(
            (
                doc,
                pid,
                sid,
                label,
                lex.labels.get(label, label),
                counts.get("binding", 0),
                counts.get("aspirational", 0),
                counts.get("exploratory", 0),
                ev or None,
                h if isinstance(h, str) else "",
            )
        )
    if not rows:
        return STRENGTH.empty()
    return pd.DataFrame(rows, columns=STRENGTH.names)


def strength_shares(
    strength: pd.DataFrame, *, sentence_tags: pd.DataFrame | None = None, docs: list[str] | None = None
) -> pd.DataFrame:
    """Share of each strength class per document, overall (``_all``) and per theme.

    Args:
        strength: Output of :func:`sentence_strength`.
        sentence_tags: ``theme_tags_sentence`` (None: only the ``_all`` rows).
        docs: Restrict to these documents (None = all).

    Returns:
        The ``strength_shares`` table (every class present for every document x theme, zeros included).
    """
    from compare.tagging.codebook import load_codebook

    if strength is None or strength.empty:
        return STRENGTH_SHARES.empty()
    sg = strength if docs is None else strength[strength["doc_id"].isin(docs)]
    if sg.empty:
        return STRENGTH_SHARES.empty()
    parts = [
        sg.assign(theme_code="_all", theme_label="全部")[["doc_id", "theme_code", "theme_label", "strength"]]
    ]
    if sentence_tags is not None and not sentence_tags.empty:
        m = sentence_tags[["sentence_id", "theme_code", "theme_label"]].merge(
            sg[["doc_id", "sentence_id", "strength"]], on="sentence_id"
        )
        parts.append(m[["doc_id", "theme_code", "theme_label", "strength"]])
    allp = pd.concat(parts, ignore_index=True)
    counts = allp.groupby(["doc_id", "theme_code", "theme_label", "strength"]).size().rename("n_sentences")
    keys = allp[["doc_id", "theme_code", "theme_label"]].drop_duplicates()
    full = keys.merge(pd.DataFrame({"strength": list(CLASSES)}), how="cross")
    full = full.merge(
        counts.reset_index(), on=["doc_id", "theme_code", "theme_label", "strength"], how="left"
    )
    full["n_sentences"] = full["n_sentences"].fillna(0).astype(int)
    tot = full.groupby(["doc_id", "theme_code"])["n_sentences"].transform("sum")
    full["share"] = (full["n_sentences"] / tot.where(tot > 0)).fillna(0.0)
    order = {c: i for i, c in enumerate(["_all", *load_codebook().codes])}
    docs = {d: i for i, d in enumerate(dict.fromkeys(sg["doc_id"]))}  # documents in corpus order
    full = full.sort_values(
        ["doc_id", "theme_code", "strength"],
        key=lambda s: (
            s.map(order)
            if s.name == "theme_code"
            else s.map({c: i for i, c in enumerate(CLASSES)})
            if s.name == "strength"
            else s.map(docs)
        ),
    )
    return full[STRENGTH_SHARES.names].reset_index(drop=True)
