"""Policy-instrument tags after Rothwell & Zegveld (supply / environment / demand side).

Each sentence is matched against the instrument lexicons of ``resources/instruments.yaml`` (on the text,
longest term first, blockers claim their span) and gets every instrument whose distinct matched terms reach
the threshold, with the evidence. :func:`theme_instrument_matrix` crosses instrument tags with theme tags
per document.
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
from compare.tagging.codebook import load_codebook
from compare.tagging.context import taggable_sentences
from compare.tagging.matcher import TermMatcher

CATEGORIES = ("supply", "environment", "demand")


INSTRUMENT_TAGS = register(
    TableSchema(
        "instrument_tags",
        (
            _C("doc_id", "str", "document id"),
            _C("passage_id", "str", "passage id"),
            _C("sentence_id", "str", "sentence id"),
            _C("instrument_code", "str", "instrument code (resources/instruments.yaml)"),
            _C("instrument_label", "str", "Chinese instrument label"),
            _C("category", "str", "supply / environment / demand", allowed=CATEGORIES),
            _C("score", "float", "summed weight of the distinct matched terms", min=0),
            _C("evidence", "str", "matched terms with weights"),
            SHA,
        ),
        unique=("sentence_id", "instrument_code"),
        doc="Policy-instrument tags of sentences (Rothwell & Zegveld).",
    )
)


THEME_INSTRUMENT = register(
    TableSchema(
        "theme_instrument",
        (
            _C("doc_id", "str", "document id"),
            _C("theme_code", "str", "theme code"),
            _C("theme_label", "str", "Chinese theme label"),
            _C("instrument_code", "str", "instrument code"),
            _C("instrument_label", "str", "Chinese instrument label"),
            _C("category", "str", "supply / environment / demand", allowed=CATEGORIES),
            _C("n_sentences", "int", "sentences tagged with both the theme and the instrument", min=0),
            _C(
                "share_of_theme",
                "float",
                "n_sentences / sentences of the theme in the document",
                min=0,
                max=1,
            ),
        ),
        unique=("doc_id", "theme_code", "instrument_code"),
        doc="Theme x instrument matrix per document (long format).",
    )
)


@dataclass(frozen=True)
class Instrument:
    """One instrument of the framework."""

    code: str
    label: str
    category: str
    terms: Mapping[str, float]


@dataclass(frozen=True)
class InstrumentLexicon:
    """Parsed ``instruments.yaml``."""

    version: int
    threshold: float
    categories: Mapping[str, str]
    instruments: Mapping[str, Instrument]
    blockers: frozenset[str]
    matcher: TermMatcher = field(repr=False, compare=False)
    index: Mapping[str, tuple[tuple[str, float], ...]] = field(repr=False, compare=False)

    @property
    def labels(self) -> dict[str, str]:
        """Instrument code -> Chinese label."""
        return {c: i.label for c, i in self.instruments.items()}


def parse_instruments(data: Mapping) -> InstrumentLexicon:
    """Build an :class:`InstrumentLexicon` from the parsed YAML.

    Raises:
        ValueError: If an instrument has no terms or an unknown category.
    """
    insts = {}
    index: dict[str, list[tuple[str, float]]] = {}
    for code, spec in data["instruments"].items():
        if spec["category"] not in CATEGORIES:
            raise ValueError(f"instrument {code!r}: unknown category {spec['category']!r}")
        terms = {str(k): float(v) for k, v in (spec.get("terms") or {}).items()}
        if not terms:
            raise ValueError(f"instrument {code!r} has no terms")
        insts[code] = Instrument(code, spec["label"], spec["category"], terms)
        for t, w in terms.items():
            index.setdefault(t, []).append((code, w))
    blockers = frozenset(str(b) for b in data.get("blockers") or ())
    return InstrumentLexicon(
        version=int(data.get("version", 1)),
        threshold=float(data.get("threshold", 1.0)),
        categories=dict(data.get("categories") or {}),
        instruments=insts,
        blockers=blockers,
        matcher=TermMatcher([*index, *blockers]),
        index={k: tuple(v) for k, v in index.items()},
    )


@functools.lru_cache(maxsize=8)
def _load_cached(path: str) -> InstrumentLexicon:
    with open(path, encoding="utf-8") as fh:
        return parse_instruments(yaml.safe_load(fh))


def load_instruments(path: str | Path | None = None) -> InstrumentLexicon:
    """Load the instrument lexicon (default: packaged ``instruments.yaml``)."""
    return _load_cached(str(path or resource_path("instruments.yaml")))


def instruments_of(text: str, *, lexicon: InstrumentLexicon | None = None) -> list[tuple[str, float, str]]:
    """Instruments of one sentence.

    Args:
        text: Sentence text (simplified).
        lexicon: Instrument lexicon (default: packaged).
        context: :func:`compare.tagging.context.passage_context` of ``passages`` when already computed.

    Returns:
        ``(instrument_code, score, evidence)`` in lexicon order.
    """
    lex = lexicon or load_instruments()
    cb = load_codebook()
    from compare.tagging.matcher import apply_masks

    masked = apply_masks(text or "", cb.mask_res)
    found: dict[str, dict[str, float]] = {}
    for h in lex.matcher.find(masked):
        for code, w in lex.index.get(h.term, ()):
            terms = found.setdefault(code, {})
            terms[h.term] = max(terms.get(h.term, 0.0), w)
    out = []
    for code in lex.instruments:
        if code in found:
            score = sum(found[code].values())
            if score >= lex.threshold:
                out.append(
                    (code, round(score, 4), "; ".join(f"{t}({w:.2g})" for t, w in found[code].items()))
                )
    return out


def tag_instruments(
    sentences: pd.DataFrame,
    *,
    passages: pd.DataFrame | None = None,
    lexicon: InstrumentLexicon | None = None,
    context: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Tag every sentence with policy instruments (responsibility lines and general sections skipped).

    Args:
        sentences: The ``sentences`` table.
        passages: The ``passages`` table (for the skip rules of the theme codebook).
        lexicon: Instrument lexicon (default: packaged).

    Returns:
        The ``instrument_tags`` table.
    """
    lex = lexicon or load_instruments()
    if sentences is None or sentences.empty:
        return INSTRUMENT_TAGS.empty()
    rows = []
    for doc, pid, sid, text, h in taggable_sentences(sentences, passages, context=context):
        for code, score, ev in instruments_of(text, lexicon=lex):
            inst = lex.instruments[code]
            rows.append(
                (doc, pid, sid, code, inst.label, inst.category, score, ev, h if isinstance(h, str) else "")
            )
    if not rows:
        return INSTRUMENT_TAGS.empty()
    return pd.DataFrame(rows, columns=INSTRUMENT_TAGS.names)


def theme_instrument_matrix(
    sentence_tags: pd.DataFrame,
    instrument_tags: pd.DataFrame,
    *,
    docs: list[str] | None = None,
    lexicon: InstrumentLexicon | None = None,
) -> pd.DataFrame:
    """Count sentences per document x theme x instrument.

    Args:
        sentence_tags: ``theme_tags_sentence``.
        instrument_tags: ``instrument_tags``.
        docs: Restrict to these documents (None = all).
        lexicon: Instrument lexicon (labels and categories).

    Returns:
        The ``theme_instrument`` table (only non-zero cells).
    """
    lex = lexicon or load_instruments()
    if sentence_tags is None or instrument_tags is None or sentence_tags.empty or instrument_tags.empty:
        return THEME_INSTRUMENT.empty()
    st = sentence_tags if docs is None else sentence_tags[sentence_tags["doc_id"].isin(docs)]
    it = instrument_tags if docs is None else instrument_tags[instrument_tags["doc_id"].isin(docs)]
    m = st[["doc_id", "sentence_id", "theme_code", "theme_label"]].merge(
        it[["sentence_id", "instrument_code"]], on="sentence_id"
    )
    if m.empty:
        return THEME_INSTRUMENT.empty()
    g = (
        m.groupby(["doc_id", "theme_code", "theme_label", "instrument_code"], sort=False)
        .size()
        .rename("n_sentences")
    )
    g = g.reset_index()
    per_theme = st.groupby(["doc_id", "theme_code"]).size().rename("n_theme").reset_index()
    g = g.merge(per_theme, on=["doc_id", "theme_code"])
    g["share_of_theme"] = g["n_sentences"] / g["n_theme"]
    g["instrument_label"] = g["instrument_code"].map(lex.labels)
    g["category"] = g["instrument_code"].map({c: i.category for c, i in lex.instruments.items()})
    return g[THEME_INSTRUMENT.names].reset_index(drop=True)


def instrument_matrix_wide(
    theme_instrument: pd.DataFrame, *, doc_id: str | None = None, value: str = "n_sentences"
) -> pd.DataFrame:
    """Pivot the long matrix to theme (rows) x instrument (columns) for one document or summed over all.

    Args:
        theme_instrument: Output of :func:`theme_instrument_matrix`.
        doc_id: One document, or None to sum over every document in the table.
        value: ``n_sentences`` (default).

    Returns:
        A wide DataFrame indexed by theme label with instrument labels as columns (zeros filled).
    """
    lex = load_instruments()
    cb = load_codebook()
    df = theme_instrument if doc_id is None else theme_instrument[theme_instrument["doc_id"] == doc_id]
    wide = df.pivot_table(
        index="theme_code", columns="instrument_code", values=value, aggfunc="sum", fill_value=0
    )
    wide = wide.reindex(
        index=[c for c in cb.codes if c in wide.index],
        columns=[c for c in lex.instruments if c in wide.columns],
    )
    wide.index = [cb.labels[c] for c in wide.index]
    wide.columns = [lex.labels[c] for c in wide.columns]
    return wide
