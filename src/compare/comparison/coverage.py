"""Theme coverage per document, theme co-occurrence, what only one document has, and drill-down to quotes.

All functions are pure aggregations over the build's tables. Every function takes an optional ``docs``
selection; an empty selection, a document without tags or a theme nobody covers give an empty or
zero-filled table (with ``attrs["message"]`` saying why), never a division by zero. Coverage counts passages
and sentences tagged, shares of sentences and characters, presence, and an emphasis index (a document's
share over the mean share of the compared documents; 1 = average emphasis).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import pandas as pd

from compare.comparison.selection import EMPTY_SELECTION, empty_table, select_rows, selected_doc_ids
from compare.core.schemas import C as _C
from compare.core.schemas import TableSchema, register
from compare.tagging.codebook import load_codebook

LOG = logging.getLogger(__name__)


COVERAGE = register(
    TableSchema(
        "coverage",
        (
            _C("doc_id", "str", "document id"),
            _C("theme_code", "str", "theme code"),
            _C("theme_label", "str", "Chinese theme label"),
            _C("n_passages", "int", "passages tagged with the theme", min=0),
            _C("n_sentences", "int", "sentences tagged with the theme", min=0),
            _C("n_chars", "int", "characters of the tagged sentences", min=0),
            _C(
                "share_sentences",
                "float",
                "tagged sentences / taggable sentences of the document",
                min=0,
                max=1,
            ),
            _C(
                "share_chars",
                "float",
                "characters of tagged sentences / characters of taggable sentences",
                min=0,
                max=1,
            ),
            _C("present", "bool", "the document has at least one tagged sentence or passage"),
            _C(
                "emphasis",
                "float",
                "share_sentences / mean share_sentences over the compared documents",
                min=0,
            ),
            _C("doc_sentences", "int", "taggable sentences of the document", min=0),
            _C("doc_chars", "int", "characters of the taggable sentences of the document", min=0),
        ),
        unique=("doc_id", "theme_code"),
        doc="Coverage per document x theme (every theme listed, zeros included).",
    )
)


COOCCURRENCE = register(
    TableSchema(
        "theme_cooccurrence",
        (
            _C("doc_id", "str", "document id, or '_all' for the whole selection"),
            _C("theme_a", "str", "theme code"),
            _C("theme_b", "str", "theme code"),
            _C("n_passages", "int", "passages tagged with both themes", min=0),
        ),
        unique=("doc_id", "theme_a", "theme_b"),
        doc="Theme co-occurrence in passages (symmetric, diagonal = passages of the theme).",
    )
)


ONLY_HERE = register(
    TableSchema(
        "only_here",
        (
            _C("doc_id", "str", "the only document with the item"),
            _C("kind", "str", "theme or theme_instrument", allowed=("theme", "theme_instrument")),
            _C("theme_code", "str", "theme code"),
            _C("theme_label", "str", "Chinese theme label"),
            _C("instrument_code", "str", "instrument code (theme_instrument rows)", nullable=True),
            _C("instrument_label", "str", "instrument label", nullable=True),
            _C("n_sentences", "int", "tagged sentences in that document", min=0),
            _C("example", "str", "an example sentence", nullable=True),
        ),
        doc="Themes and theme x instrument measures only one of the compared documents has.",
    )
)


def coverage_table(
    sentence_tags: pd.DataFrame,
    *,
    passage_tags: pd.DataFrame | None,
    sentences: pd.DataFrame,
    documents: pd.DataFrame | None = None,
    docs: list[str] | None = None,
    taggable: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Coverage of every theme in every selected document, length-normalised.

    Args:
        sentence_tags: ``theme_tags_sentence``.
        passage_tags: ``theme_tags_passage`` (for ``n_passages``; None counts passages of tagged sentences).
        sentences: ``sentences`` (denominators: all sentences of the document, or ``taggable``).
        documents: ``documents`` (unused except to keep documents without sentences out; optional).
        docs: Restrict to these documents (None = all).
        taggable: Optional subset of sentences used as denominators (e.g. the ``strength`` table, which
            lists every sentence outside responsibility lines and general sections).

    Returns:
        The ``coverage`` table: one row per document x theme, zeros included.
    """
    cb = load_codebook()
    ids = selected_doc_ids(sentences, docs)
    if not ids:
        return empty_table(COVERAGE, EMPTY_SELECTION)
    sents = select_rows(sentences, ids)
    if taggable is not None and len(taggable):
        sents = sents[sents["sentence_id"].isin(set(taggable["sentence_id"]))]
    lens = sents.assign(n=sents["text"].fillna("").str.len())
    doc_sent = lens.groupby("doc_id").size().reindex(ids, fill_value=0)
    doc_chars = lens.groupby("doc_id")["n"].sum().reindex(ids, fill_value=0)
    st = select_rows(sentence_tags, ids) if sentence_tags is not None else None
    grid = pd.MultiIndex.from_product([ids, cb.codes], names=["doc_id", "theme_code"])
    if st is not None and len(st):
        st = st.merge(lens[["sentence_id", "n"]], on="sentence_id", how="left")
        g = st.groupby(["doc_id", "theme_code"]).agg(
            n_sentences=("sentence_id", "nunique"), n_chars=("n", "sum"), n_pas_s=("passage_id", "nunique")
        )
    else:
        g = pd.DataFrame(columns=["n_sentences", "n_chars", "n_pas_s"], index=grid[:0])
    g = g.reindex(grid, fill_value=0)
    pt = select_rows(passage_tags, ids) if passage_tags is not None else None
    if pt is not None and len(pt):
        npas = pt.groupby(["doc_id", "theme_code"])["passage_id"].nunique().reindex(grid, fill_value=0)
    else:
        npas = g["n_pas_s"]
    out = g.reset_index()
    out["n_passages"] = npas.to_numpy().astype(int)
    out["n_sentences"] = out["n_sentences"].astype(int)
    out["n_chars"] = out["n_chars"].fillna(0).astype(int)
    out["doc_sentences"] = out["doc_id"].map(doc_sent).astype(int)
    out["doc_chars"] = out["doc_id"].map(doc_chars).astype(int)
    out["share_sentences"] = _safe_div(out["n_sentences"], out["doc_sentences"])
    out["share_chars"] = _safe_div(out["n_chars"], out["doc_chars"])
    out["present"] = (out["n_sentences"] > 0) | (out["n_passages"] > 0)
    out = with_emphasis(out, mean=out.groupby("theme_code")["share_sentences"].mean())
    out["theme_label"] = out["theme_code"].map(cb.labels)
    out = out[COVERAGE.names]
    if not out["present"].any():
        out.attrs["message"] = "no theme tagged in the selected documents"
    return out


def with_emphasis(coverage: pd.DataFrame, *, mean: pd.Series) -> pd.DataFrame:
    """``emphasis`` of coverage rows: a document's ``share_sentences`` over the theme's mean share.

    Args:
        coverage: Coverage rows (any subset of the corpus: a large corpus sets it one piece at a time).
        mean: Mean ``share_sentences`` of every theme over the compared documents, by theme code.
    """
    return coverage.assign(
        emphasis=_safe_div(coverage["share_sentences"], coverage["theme_code"].map(mean).astype(float))
    )


def in_corpus_order(df: pd.DataFrame, doc_ids: Iterable[str]) -> pd.DataFrame:
    """Rows ordered by document as the documents come in ``doc_ids`` (first appearance; the corpus order),
    keeping the order of rows within a document.

    Cross-document tables list documents in corpus order, so a large corpus's tables can be written one
    chunk of documents at a time and still equal the in-memory ones.
    """
    rank = {d: i for i, d in enumerate(dict.fromkeys(doc_ids))}
    return df.sort_values("doc_id", key=lambda s: s.map(rank), kind="stable").reset_index(drop=True)


def _safe_div(num: pd.Series, den: pd.Series) -> pd.Series:
    den = den.astype(float)
    return (num.astype(float) / den.where(den > 0)).fillna(0.0)


def coverage_matrix(
    coverage: pd.DataFrame, *, value: str = "share_sentences", labels: bool = True
) -> pd.DataFrame:
    """Pivot coverage to documents (rows) x themes (columns, codebook order).

    Args:
        coverage: Output of :func:`coverage_table`.
        value: Column to show (``share_sentences``, ``emphasis``, ``n_sentences`` …).
        labels: Use Chinese theme labels as column names.
    """
    cb = load_codebook()
    if coverage is None or coverage.empty:
        return pd.DataFrame()
    wide = coverage.pivot(index="doc_id", columns="theme_code", values=value)
    wide = wide.reindex(
        index=list(dict.fromkeys(coverage["doc_id"])), columns=[c for c in cb.codes if c in wide.columns]
    )
    if labels:
        wide.columns = [cb.labels[c] for c in wide.columns]
    return wide


def cooccurrence(passage_tags: pd.DataFrame, *, docs: list[str] | None = None) -> pd.DataFrame:
    """Theme co-occurrence in passages, per document and over the selection (``doc_id='_all'``).

    Returns:
        The ``theme_cooccurrence`` table (pairs with at least one shared passage, both orders, diagonal).
    """
    pt = select_rows(passage_tags, docs)
    if pt is None or pt.empty:
        return empty_table(COOCCURRENCE, "no tagged passages in the selection")
    pairs = pt[["doc_id", "passage_id", "theme_code"]].merge(
        pt[["passage_id", "theme_code"]], on="passage_id", suffixes=("_a", "_b")
    )
    per_doc = (
        pairs.groupby(["doc_id", "theme_code_a", "theme_code_b"]).size().rename("n_passages").reset_index()
    )
    per_doc = in_corpus_order(per_doc, pt["doc_id"])
    total = (
        pairs.groupby(["theme_code_a", "theme_code_b"])
        .size()
        .rename("n_passages")
        .reset_index()
        .assign(doc_id="_all")
    )
    out = pd.concat([per_doc, total], ignore_index=True).rename(
        columns={"theme_code_a": "theme_a", "theme_code_b": "theme_b"}
    )
    return out[COOCCURRENCE.names]


def only_here(
    coverage: pd.DataFrame,
    *,
    sentence_tags: pd.DataFrame | None = None,
    sentences: pd.DataFrame | None = None,
    theme_instrument: pd.DataFrame | None = None,
    instrument_tags: pd.DataFrame | None = None,
    docs: list[str] | None = None,
    min_sentences: int = 2,
) -> pd.DataFrame:
    """Themes, and theme x instrument measures, that exactly one of the compared documents has.

    Args:
        coverage: Output of :func:`coverage_table`.
        sentence_tags: ``theme_tags_sentence`` (for an example sentence).
        sentences: ``sentences`` (example text).
        theme_instrument: ``theme_instrument`` table (for measure-level rows).
        instrument_tags: ``instrument_tags`` (an example sentence for measure-level rows).
        docs: Restrict to these documents (None = all in ``coverage``).
        min_sentences: A theme x instrument cell counts as a measure from this many sentences.

    Returns:
        The ``only_here`` table; with fewer than two documents it is empty with a message.
    """
    cov = select_rows(coverage, docs)
    if cov is None or cov.empty:
        return empty_table(ONLY_HERE, EMPTY_SELECTION)
    ids = list(dict.fromkeys(cov["doc_id"]))
    if len(ids) < 2:
        return empty_table(ONLY_HERE, "only-here needs at least two documents")
    text = (
        dict(zip(sentences["sentence_id"], sentences["text"], strict=True)) if sentences is not None else {}
    )
    rows = []
    pres = cov[cov["present"]]
    n_docs = pres.groupby("theme_code")["doc_id"].nunique()
    for code in n_docs[n_docs == 1].index:
        r = pres[pres["theme_code"] == code].iloc[0]
        ex = _example(sentence_tags, text, r["doc_id"], code)
        rows.append((r["doc_id"], "theme", code, r["theme_label"], None, None, int(r["n_sentences"]), ex))
    ti = select_rows(theme_instrument, ids)
    if ti is not None and len(ti):
        nd = ti.groupby(["theme_code", "instrument_code"])["doc_id"].nunique()
        for code, inst in nd[nd == 1].index:
            r = ti[(ti["theme_code"] == code) & (ti["instrument_code"] == inst)].iloc[0]
            if code in set(n_docs[n_docs == 1].index) or r["n_sentences"] < min_sentences:
                continue
            ex = None
            if instrument_tags is not None and len(instrument_tags):
                ids_i = set(instrument_tags.loc[instrument_tags["instrument_code"] == inst, "sentence_id"])
                ex = _example(sentence_tags, text, r["doc_id"], code, only=ids_i)
            rows.append(
                (
                    r["doc_id"],
                    "theme_instrument",
                    code,
                    r["theme_label"],
                    inst,
                    r["instrument_label"],
                    int(r["n_sentences"]),
                    ex,
                )
            )
    if not rows:
        return empty_table(ONLY_HERE, "every covered theme appears in more than one document")
    return pd.DataFrame(rows, columns=ONLY_HERE.names)


def _example(
    sentence_tags: pd.DataFrame | None,
    text: dict,
    doc_id: str,
    code: str,
    *,
    only: set[str] | None = None,
) -> str | None:
    """The highest-scoring tagged sentence of a document x theme (restricted to ``only`` sentence ids)."""
    if sentence_tags is None or sentence_tags.empty:
        return None
    s = sentence_tags[(sentence_tags["doc_id"] == doc_id) & (sentence_tags["theme_code"] == code)]
    if only is not None:
        s = s[s["sentence_id"].isin(only)]
    if s.empty:
        return None
    best = s.sort_values("score", ascending=False).iloc[0]
    return text.get(best["sentence_id"])


def example_sentences(
    sentence_tags: pd.DataFrame, *, sentences: pd.DataFrame, max_chars: int = 80
) -> pd.DataFrame:
    """The highest-scoring sentence per document x theme (for chart hovers).

    Returns:
        ``doc_id, theme_code, example`` (truncated to ``max_chars``).
    """
    if sentence_tags is None or sentence_tags.empty:
        return pd.DataFrame(columns=["doc_id", "theme_code", "example"])
    best = sentence_tags.sort_values("score", ascending=False).drop_duplicates(["doc_id", "theme_code"])
    text = dict(zip(sentences["sentence_id"], sentences["text"], strict=True))
    ex = best["sentence_id"].map(text).fillna("")
    best = best.assign(example=[t if len(t) <= max_chars else t[: max_chars - 1] + "…" for t in ex])
    return best[["doc_id", "theme_code", "example"]].reset_index(drop=True)


# --------------------------------------------------------------------------------------------------
# Drill-down
# --------------------------------------------------------------------------------------------------
def drill_down(
    sentence_tags: pd.DataFrame,
    *,
    sentences: pd.DataFrame,
    doc_id: str,
    theme_code: str,
    instrument_code: str | None = None,
    instrument_tags: pd.DataFrame | None = None,
    strength: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The sentences behind one (document, theme[, instrument]) cell of any aggregate.

    Args:
        sentence_tags: ``theme_tags_sentence``.
        sentences: ``sentences``.
        doc_id: Document.
        theme_code: Theme code.
        instrument_code: Optional instrument code (needs ``instrument_tags``).
        instrument_tags: ``instrument_tags``.
        strength: Optional ``strength`` table to add each sentence's commitment strength.

    Returns:
        ``doc_id, passage_id, sentence_id, theme_code, score, evidence, text`` (+ ``instrument_evidence``,
        ``strength``) in document order; empty when the cell is empty.

    Raises:
        ValueError: If ``instrument_code`` is given without ``instrument_tags``.
    """
    cols = ["doc_id", "passage_id", "sentence_id", "theme_code", "score", "evidence", "text"]
    if instrument_code is not None and instrument_tags is None:
        raise ValueError("drill_down by instrument needs instrument_tags")
    if sentence_tags is None or sentence_tags.empty:
        return pd.DataFrame(columns=cols)
    st = sentence_tags[(sentence_tags["doc_id"] == doc_id) & (sentence_tags["theme_code"] == theme_code)]
    out = st.merge(sentences[["sentence_id", "seq", "text"]], on="sentence_id", how="left")
    if instrument_code is not None:
        it = instrument_tags[instrument_tags["instrument_code"] == instrument_code][
            ["sentence_id", "evidence"]
        ]
        out = out.merge(it.rename(columns={"evidence": "instrument_evidence"}), on="sentence_id")
        cols = [*cols, "instrument_evidence"]
    if strength is not None and len(strength):
        out = out.merge(strength[["sentence_id", "strength"]], on="sentence_id", how="left")
        cols = [*cols, "strength"]
    return out.sort_values("seq")[cols].reset_index(drop=True)


def only_here_examples(
    rows: pd.DataFrame,
    *,
    sentence_tags: pd.DataFrame | None,
    sentences: pd.DataFrame | None,
    instrument_tags: pd.DataFrame | None,
) -> pd.DataFrame:
    """Fill the ``example`` of ``only_here`` rows from the tables of (some of) their documents.

    Rows whose document is not in ``sentence_tags`` are returned unchanged, so the examples of a large
    corpus can be filled one chunk at a time; the result is what :func:`only_here` gives with every table.
    """
    if rows is None or rows.empty or sentence_tags is None or sentence_tags.empty:
        return rows
    text = (
        dict(zip(sentences["sentence_id"], sentences["text"], strict=True)) if sentences is not None else {}
    )
    have = set(sentence_tags["doc_id"])
    out = rows.copy()
    for i, r in zip(out.index, out.itertuples(index=False), strict=True):
        if r.doc_id not in have:
            continue
        if r.kind == "theme":
            out.at[i, "example"] = _example(sentence_tags, text, r.doc_id, r.theme_code)
        elif instrument_tags is not None and len(instrument_tags):
            ids_i = set(
                instrument_tags.loc[instrument_tags["instrument_code"] == r.instrument_code, "sentence_id"]
            )
            out.at[i, "example"] = _example(sentence_tags, text, r.doc_id, r.theme_code, only=ids_i)
    return out
