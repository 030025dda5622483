"""Cross-city comparison: theme coverage, co-occurrence, "only here", similarity, distinctive terms, drill-down.

All functions are pure aggregations over the tables of the build (sentences, tokens, theme and instrument
tags). Every function takes an optional ``docs`` selection; an empty selection, a document without tags or
a theme nobody covers give an empty or zero-filled table (with ``attrs["message"]`` saying why), never a
division by zero.

* Coverage: passages and sentences tagged, share of sentences and of characters, presence and an emphasis
  index (a document's share divided by the mean share over the compared documents; 1 = average emphasis).
* Similarity: TF-IDF cosine over content tokens, and cosine over theme profiles (share of sentences).
* Distinctive terms: weighted log-odds ratio with an informative Dirichlet prior (Monroe, Colaresi & Quinn
  2008), each document against all other selected documents, so any number of cities works at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator

import numpy as np
import pandas as pd

from compare.schemas import C as _C
from compare.schemas import TableSchema, register
from compare.themes import load_codebook

LOG = logging.getLogger(__name__)

EMPTY_SELECTION = "no documents selected"

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
SIMILARITY = register(
    TableSchema(
        "similarity",
        (
            _C("method", "str", "tfidf_tokens or theme_profile", allowed=("tfidf_tokens", "theme_profile")),
            _C("doc_a", "str", "document id"),
            _C("doc_b", "str", "document id"),
            _C("similarity", "float", "cosine similarity", min=0, max=1.000001),
        ),
        unique=("method", "doc_a", "doc_b"),
        doc="Document similarity matrices in long format.",
    )
)
DISTINCTIVE = register(
    TableSchema(
        "distinctive_terms",
        (
            _C("doc_id", "str", "document id"),
            _C("term", "str", "token"),
            _C("count", "int", "occurrences in the document", min=0),
            _C("count_rest", "int", "occurrences in the other selected documents", min=0),
            _C("log_odds", "float", "weighted log-odds ratio (document vs the rest)"),
            _C("z", "float", "z-score of the log-odds ratio"),
            _C("rank", "int", "rank by z within the document (1 = most distinctive)", min=1),
        ),
        unique=("doc_id", "term"),
        doc="Distinctive terms per document vs the rest (Monroe et al. 2008, informative Dirichlet prior).",
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


def _select(df: pd.DataFrame | None, docs: list[str] | None) -> pd.DataFrame | None:
    if df is None or docs is None:
        return df
    return df[df["doc_id"].isin(docs)]


def _doc_ids(sentences: pd.DataFrame | None, docs: list[str] | None) -> list[str]:
    have = list(dict.fromkeys(sentences["doc_id"])) if sentences is not None and len(sentences) else []
    return have if docs is None else [d for d in docs if d in set(have)]


def _empty(schema: TableSchema, message: str) -> pd.DataFrame:
    out = schema.empty()
    out.attrs["message"] = message
    LOG.info("%s: %s", schema.name, message)
    return out


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
    ids = _doc_ids(sentences, docs)
    if not ids:
        return _empty(COVERAGE, EMPTY_SELECTION)
    sents = _select(sentences, ids)
    if taggable is not None and len(taggable):
        sents = sents[sents["sentence_id"].isin(set(taggable["sentence_id"]))]
    lens = sents.assign(n=sents["text"].fillna("").str.len())
    doc_sent = lens.groupby("doc_id").size().reindex(ids, fill_value=0)
    doc_chars = lens.groupby("doc_id")["n"].sum().reindex(ids, fill_value=0)
    st = _select(sentence_tags, ids) if sentence_tags is not None else None
    grid = pd.MultiIndex.from_product([ids, cb.codes], names=["doc_id", "theme_code"])
    if st is not None and len(st):
        st = st.merge(lens[["sentence_id", "n"]], on="sentence_id", how="left")
        g = st.groupby(["doc_id", "theme_code"]).agg(
            n_sentences=("sentence_id", "nunique"), n_chars=("n", "sum"), n_pas_s=("passage_id", "nunique")
        )
    else:
        g = pd.DataFrame(columns=["n_sentences", "n_chars", "n_pas_s"], index=grid[:0])
    g = g.reindex(grid, fill_value=0)
    pt = _select(passage_tags, ids) if passage_tags is not None else None
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
    pt = _select(passage_tags, docs)
    if pt is None or pt.empty:
        return _empty(COOCCURRENCE, "no tagged passages in the selection")
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
    cov = _select(coverage, docs)
    if cov is None or cov.empty:
        return _empty(ONLY_HERE, EMPTY_SELECTION)
    ids = list(dict.fromkeys(cov["doc_id"]))
    if len(ids) < 2:
        return _empty(ONLY_HERE, "only-here needs at least two documents")
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
    ti = _select(theme_instrument, ids)
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
        return _empty(ONLY_HERE, "every covered theme appears in more than one document")
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
# Similarity
# --------------------------------------------------------------------------------------------------
def _content(tokens: pd.DataFrame) -> pd.DataFrame:
    keep = ~tokens["is_stopword"].astype(bool) & ~tokens["is_number"].astype(bool)
    toks = tokens[keep]
    return toks[toks["token"].str.len() > 1]


def similarity_tokens(tokens: pd.DataFrame, *, docs: list[str] | None = None) -> pd.DataFrame:
    """TF-IDF cosine similarity between documents over content tokens (stopwords, numbers, 1-char tokens out).

    Returns:
        Square DataFrame indexed and columned by doc_id (empty with a message for an empty selection).
    """
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics.pairwise import cosine_similarity

    tk = _select(tokens, docs)
    if tk is None or tk.empty:
        out = pd.DataFrame()
        out.attrs["message"] = EMPTY_SELECTION
        return out
    toks = _content(tk)
    ids = list(dict.fromkeys(tk["doc_id"]))
    bags = toks.groupby("doc_id")["token"].apply(list).reindex(ids)
    bags = bags.map(lambda x: x if isinstance(x, list) else [])
    if not any(len(b) for b in bags):
        return pd.DataFrame(np.eye(len(ids)), index=ids, columns=ids)
    vec = TfidfVectorizer(analyzer=lambda x: x, sublinear_tf=True)
    mat = vec.fit_transform(bags.tolist())
    sim = np.clip(cosine_similarity(mat), 0, 1)
    return pd.DataFrame(sim, index=ids, columns=ids)


def similarity_profiles(
    coverage: pd.DataFrame, *, docs: list[str] | None = None, value: str = "share_sentences"
) -> pd.DataFrame:
    """Cosine similarity between documents' theme profiles (share of sentences per theme).

    A document without any tagged theme has similarity 0 to the others (1 to itself).
    """
    cov = _select(coverage, docs)
    if cov is None or cov.empty:
        out = pd.DataFrame()
        out.attrs["message"] = EMPTY_SELECTION
        return out
    wide = coverage_matrix(cov, value=value, labels=False).fillna(0.0)
    x = wide.to_numpy(dtype=float)
    norms = np.linalg.norm(x, axis=1)
    safe = np.where(norms > 0, norms, 1.0)
    sim = (x @ x.T) / np.outer(safe, safe)
    np.fill_diagonal(sim, 1.0)
    return pd.DataFrame(np.clip(sim, 0, 1), index=wide.index, columns=wide.index)


def similarity_long(
    *, tokens: pd.DataFrame | None, coverage: pd.DataFrame | None, docs: list[str] | None = None
) -> pd.DataFrame:
    """Both similarity matrices in the long ``similarity`` table."""
    parts = []
    for method, mat in (
        ("tfidf_tokens", similarity_tokens(tokens, docs=docs) if tokens is not None else pd.DataFrame()),
        (
            "theme_profile",
            similarity_profiles(coverage, docs=docs) if coverage is not None else pd.DataFrame(),
        ),
    ):
        if mat.empty:
            continue
        mat = mat.rename_axis(index="doc_a", columns="doc_b")
        m = mat.stack().rename("similarity").reset_index()
        parts.append(m.assign(method=method))
    if not parts:
        return _empty(SIMILARITY, EMPTY_SELECTION)
    return pd.concat(parts, ignore_index=True)[SIMILARITY.names]


# --------------------------------------------------------------------------------------------------
# Distinctive terms (Monroe et al. 2008)
# --------------------------------------------------------------------------------------------------
def distinctive_terms(
    tokens: pd.DataFrame,
    *,
    docs: list[str] | None = None,
    top_n: int | None = 30,
    prior_scale: float = 1.0,
    min_count: int = 2,
    exclude: Iterable[str] = (),
) -> pd.DataFrame:
    """Distinctive terms of each document against all other selected documents.

    Weighted log-odds ratio with an informative Dirichlet prior (Monroe, Colaresi & Quinn 2008, eq. 22):
    the prior for word *w* is ``alpha_w = prior_scale * n_w`` where ``n_w`` is the word's count in the
    whole selection, ``alpha_0 = sum alpha_w``. For document *i* vs the rest *j*::

        delta_w = log((y_iw + a_w) / (n_i + a_0 - y_iw - a_w)) - log((y_jw + a_w) / (n_j + a_0 - y_jw - a_w))
        var_w   = 1 / (y_iw + a_w) + 1 / (y_jw + a_w)
        z_w     = delta_w / sqrt(var_w)

    Stopwords, numbers (including masks) and one-character tokens are excluded.

    Args:
        tokens: The ``tokens`` table.
        docs: Restrict to these documents (None = all). Needs at least two.
        top_n: Keep the top terms per document (None = all).
        prior_scale: Strength of the prior relative to the observed corpus counts.
        min_count: Minimum count of a term in the document to be listed.
        exclude: Terms left out (e.g. the documents' own place names, see :func:`place_names`).

    Returns:
        The ``distinctive_terms`` table (empty with a message for fewer than two documents).
    """
    tk = _select(tokens, docs)
    if tk is None or tk.empty:
        return _empty(DISTINCTIVE, EMPTY_SELECTION)
    toks = _content(tk)
    excluded = set(exclude)
    if excluded:
        toks = toks[~toks["token"].isin(excluded)]
    ids = list(dict.fromkeys(tk["doc_id"]))
    if len(ids) < 2:
        return _empty(DISTINCTIVE, "distinctive terms need at least two documents")
    counts = toks.groupby(["token", "doc_id"]).size().unstack(fill_value=0).reindex(columns=ids, fill_value=0)
    if counts.empty:
        return _empty(DISTINCTIVE, "no content tokens in the selection")
    y = counts.to_numpy(dtype=float)
    total = y.sum(axis=1)
    alpha = prior_scale * total
    a0 = alpha.sum()
    rows = []
    for k, doc in enumerate(ids):
        yi = y[:, k]
        yj = total - yi
        ni, nj = yi.sum(), yj.sum()
        if ni == 0 or nj == 0:
            continue
        d = np.log((yi + alpha) / (ni + a0 - yi - alpha)) - np.log((yj + alpha) / (nj + a0 - yj - alpha))
        var = 1.0 / (yi + alpha) + 1.0 / (yj + alpha)
        z = d / np.sqrt(var)
        df = pd.DataFrame(
            {
                "doc_id": doc,
                "term": counts.index,
                "count": yi.astype(int),
                "count_rest": yj.astype(int),
                "log_odds": d,
                "z": z,
            }
        )
        df = df[df["count"] >= min_count].sort_values("z", ascending=False)
        df["rank"] = np.arange(1, len(df) + 1)
        rows.append(df.head(top_n) if top_n else df)
    if not rows:
        return _empty(DISTINCTIVE, "no document has content tokens")
    return pd.concat(rows, ignore_index=True)[DISTINCTIVE.names]


def place_names(documents: pd.DataFrame | None) -> set[str]:
    """The documents' city and province names with their usual suffixes (泰州, 泰州市, 江苏, 江苏省 …)."""
    if documents is None or documents.empty:
        return set()
    names: set[str] = set()
    for col in ("city", "province"):
        if col in documents:
            for v in documents[col].dropna():
                v = str(v)
                base = v[:-1] if len(v) > 2 and v[-1] in "市省区县" else v
                names |= {v, base, base + "市", base + "省"}
    return {n for n in names if n}


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


# --------------------------------------------------------------------------------------------------
# One call for a notebook or report
# --------------------------------------------------------------------------------------------------
def compare_documents(
    tables: dict[str, pd.DataFrame], *, docs: list[str] | None = None
) -> dict[str, pd.DataFrame]:
    """Every comparison table for a selection of documents, from the processed tables of a build.

    Args:
        tables: Processed tables (``compare.load_corpus``): sentences, tokens, passages, documents,
            theme_tags_sentence, theme_tags_passage, instrument_tags, strength.
        docs: doc_ids to compare (None = every document). Unknown ids are ignored.

    Returns:
        ``coverage``, ``cooccurrence``, ``only_here``, ``theme_instrument``, ``strength_shares``,
        ``similarity_tokens``, ``similarity_profiles`` (square matrices), ``distinctive_terms``, ``examples``
        and ``doc_labels`` (doc_id -> city label, as a one-column frame). With an empty selection every table
        is empty and ``attrs["message"]`` of ``coverage`` says so.
    """
    from compare import instruments, strength

    st = tables.get("theme_tags_sentence")
    pt = tables.get("theme_tags_passage")
    sentences = tables.get("sentences")
    tokens = tables.get("tokens")
    passages = tables.get("passages")
    documents = tables.get("documents")
    if tokens is not None and passages is not None and len(tokens):
        skip = set(passages.loc[passages["kind"].isin(load_codebook().skip_kinds), "passage_id"])
        tokens = tokens[~tokens["passage_id"].isin(skip)]
    ids = _doc_ids(sentences, docs)
    cov = coverage_table(st, passage_tags=pt, sentences=sentences, docs=ids, taggable=tables.get("strength"))
    ti = instruments.theme_instrument_matrix(st, tables.get("instrument_tags"), docs=ids) if ids else None
    labels = pd.DataFrame(columns=["label"])
    if documents is not None and len(documents):
        col = "city_label" if "city_label" in documents else "doc_id"
        labels = documents.set_index("doc_id")[[col]].rename(columns={col: "label"}).reindex(ids)
        labels["label"] = labels["label"].fillna(pd.Series(labels.index, index=labels.index))
    sg = tables.get("strength")
    return {
        "coverage": cov,
        "cooccurrence": cooccurrence(pt, docs=ids),
        "only_here": only_here(
            cov,
            sentence_tags=st,
            sentences=sentences,
            theme_instrument=ti,
            instrument_tags=tables.get("instrument_tags"),
            docs=ids,
        ),
        "theme_instrument": ti if ti is not None else instruments.THEME_INSTRUMENT.empty(),
        "strength_shares": strength.strength_shares(sg, sentence_tags=st, docs=ids)
        if ids
        else strength.STRENGTH_SHARES.empty(),
        "similarity_tokens": similarity_tokens(tokens, docs=ids) if ids else pd.DataFrame(),
        "similarity_profiles": similarity_profiles(cov, docs=ids) if ids else pd.DataFrame(),
        "distinctive_terms": distinctive_terms(tokens, docs=ids, exclude=place_names(documents))
        if ids
        else _empty(DISTINCTIVE, EMPTY_SELECTION),
        "examples": example_sentences(_select(st, ids), sentences=sentences)
        if ids
        else pd.DataFrame(columns=["doc_id", "theme_code", "example"]),
        "doc_labels": labels,
    }


# --------------------------------------------------------------------------------------------------
# Scalable forms: similarity in blocks, distinctive terms from count matrices (large corpora)
# --------------------------------------------------------------------------------------------------
#: Corpora up to this many documents get the full similarity matrix; larger ones the top-k neighbours.
SIMILARITY_FULL_MAX_DOCS = 1000
#: Neighbours kept per document (besides itself) when the similarity matrix is not kept in full.
SIMILARITY_TOP_K = 50
#: Cells of one block of a similarity product (rows x documents): bounds the memory of top-k similarity.
SIMILARITY_BLOCK_CELLS = 1_000_000


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


def tfidf_rows(counts, *, fit=None):
    """TF-IDF rows exactly as ``TfidfVectorizer(sublinear_tf=True)`` makes them, from a count matrix.

    Args:
        counts: Sparse rows x terms counts (columns in sorted term order, as the vectorizer orders them).
        fit: Count matrix to fit the inverse document frequencies on (default: ``counts``).

    Returns:
        The L2-normalised sparse TF-IDF matrix of ``counts``' rows, and the fitted transformer.
    """
    from sklearn.feature_extraction.text import TfidfTransformer

    tf = TfidfTransformer(sublinear_tf=True).fit(counts if fit is None else fit)
    return tf.transform(counts), tf


def tfidf_from_frequencies(document_frequency: np.ndarray, *, n_rows: int, sublinear_tf: bool = True):
    """``TfidfTransformer(sublinear_tf=True)`` fitted from document frequencies instead of a count matrix.

    The inverse document frequencies are computed as ``fit`` computes them (smoothed, in float64, in the
    same order of operations), so ``transform`` gives the same values as a transformer fitted on the whole
    matrix, one block of rows at a time.

    Args:
        document_frequency: Rows containing each term (columns in the order of the matrices to transform).
        n_rows: Rows of the corpus the frequencies were counted over.

    Returns:
        The fitted transformer.
    """
    from sklearn.feature_extraction.text import TfidfTransformer

    df = np.asarray(document_frequency).astype(np.float64)
    df += 1.0  # smooth_idf: one extra row containing every term
    idf = np.full_like(df, fill_value=n_rows + 1, dtype=np.float64)
    idf /= df
    np.log(idf, out=idf)
    idf += 1.0
    tf = TfidfTransformer(sublinear_tf=sublinear_tf)
    tf.idf_ = idf
    tf.n_features_in_ = len(idf)
    return tf


def similarity_long_from_blocks(
    rows: Callable[[int, int], np.ndarray], *, ids: list[str], method: str, top_k: int | None = None
) -> pd.DataFrame:
    """One similarity measure in the long ``similarity`` format, full or as top-k neighbours.

    Args:
        rows: ``rows(lo, hi)`` gives the similarities of documents ``lo:hi`` to every document (dense
            ``(hi - lo) x len(ids)``), e.g. :func:`cosine_rows` or :func:`profile_rows_from_matrix`.
        ids: Document ids, in corpus order.
        method: Value of the ``method`` column.
        top_k: None: every pair (``doc_a`` major, ``doc_b`` in ``ids`` order), computed at once. Else each
            document keeps itself and its ``top_k`` most similar other documents (ties: the earlier
            document), listed in ``ids`` order; rows are computed in blocks of at most
            :data:`SIMILARITY_BLOCK_CELLS` cells, so memory does not grow with the square of the corpus.

    Returns:
        ``method, doc_a, doc_b, similarity`` (clipped to [0, 1]).
    """
    if not len(ids):
        return _empty(SIMILARITY, EMPTY_SELECTION)
    return pd.concat(list(similarity_blocks(rows, ids=ids, method=method, top_k=top_k)), ignore_index=True)


def similarity_blocks(
    rows: Callable[[int, int], np.ndarray], *, ids: list[str], method: str, top_k: int | None = None
) -> Iterator[pd.DataFrame]:
    """The rows of :func:`similarity_long_from_blocks`, one block of documents at a time (for writing them
    out as they are made; blocks of at most :data:`SIMILARITY_BLOCK_CELLS` cells, or one block for the full
    matrix)."""
    n = len(ids)
    ids_arr = np.asarray(ids, dtype=object)
    block = n if top_k is None else max(1, SIMILARITY_BLOCK_CELLS // max(n, 1))
    for lo in range(0, n, block):
        hi = min(n, lo + block)
        sim = np.clip(rows(lo, hi), 0, 1)
        if top_k is None:
            a = np.repeat(np.arange(lo, hi), n)
            b = np.tile(np.arange(n), hi - lo)
            vals = sim.ravel()
        else:
            k = min(top_k, n - 1)
            a_parts, b_parts, v_parts = [], [], []
            for r in range(hi - lo):
                me = lo + r
                row = sim[r].astype(float)
                row[me] = -np.inf
                if k < n - 1:  # candidates: everything at least as similar as the k-th best
                    kth = np.partition(row, n - 1 - k)[n - 1 - k]
                    cand = np.flatnonzero(row >= kth)
                else:
                    cand = np.flatnonzero(row > -np.inf)
                best = cand[np.argsort(-row[cand], kind="stable")[:k]]
                keep = np.sort(np.append(best, me))
                a_parts.append(np.full(len(keep), me))
                b_parts.append(keep)
                v_parts.append(sim[r][keep])
            a, b, vals = np.concatenate(a_parts), np.concatenate(b_parts), np.concatenate(v_parts)
        out = pd.DataFrame({"doc_a": ids_arr[a], "doc_b": ids_arr[b], "similarity": vals}).assign(
            method=method
        )
        yield out[SIMILARITY.names]


def grouped_similarity_blocks(
    groups: Callable[[], Iterator[tuple[int, object]]],
    *,
    ids: list[str],
    method: str,
    top_k: int | None = None,
) -> Iterator[pd.DataFrame]:
    """The rows of :func:`similarity_long_from_blocks` for cosine similarity of L2-normalised sparse rows
    that are not all in memory at once.

    ``groups()`` yields ``(first row, rows)`` for consecutive groups of documents covering ``ids`` in order
    (e.g. read from disk, each within a memory budget); it is called once per group of rows, for the
    columns. Each row of a group keeps its ``top_k`` best (value descending, then the earlier document)
    from every group of columns in turn, so only two groups and ``rows x top_k`` candidates are in memory;
    the selection and the values are those of :func:`similarity_long_from_blocks` over
    :func:`cosine_rows` of all the rows (a cell's value does not depend on the other rows of the
    product). Products are computed at most :data:`SIMILARITY_BLOCK_CELLS` cells at a time.

    Args:
        groups: Callable giving the groups, in order (several passes).
        ids: Document ids, in corpus order.
        method: Value of the ``method`` column.
        top_k: As in :func:`similarity_long_from_blocks` (None: every pair).
    """
    n = len(ids)
    ids_arr = np.asarray(ids, dtype=object)
    for r_lo, rows in groups():
        n_rows = rows.shape[0]
        if top_k is None:  # every pair: the rows' full width, one block of rows at a time
            step = max(1, SIMILARITY_BLOCK_CELLS // max(n, 1))
            for lo in range(0, n_rows, step):
                hi = min(n_rows, lo + step)
                sim = np.clip(np.hstack([(rows[lo:hi] @ cols.T).toarray() for _, cols in groups()]), 0, 1)
                a = np.repeat(np.arange(r_lo + lo, r_lo + hi), n)
                b = np.tile(np.arange(n), hi - lo)
                out = pd.DataFrame({"doc_a": ids_arr[a], "doc_b": ids_arr[b], "similarity": sim.ravel()})
                yield out.assign(method=method)[SIMILARITY.names]
            continue
        k = min(top_k, n - 1)
        best_val = np.full((n_rows, k), -np.inf)
        best_idx = np.full((n_rows, k), n, dtype=np.int64)
        diag = np.zeros(n_rows)
        for c_lo, cols in groups():
            n_cols = cols.shape[0]
            step = max(1, SIMILARITY_BLOCK_CELLS // max(n_cols, 1))
            for lo in range(0, n_rows, step):
                hi = min(n_rows, lo + step)
                sim = np.clip((rows[lo:hi] @ cols.T).toarray(), 0, 1)
                me = np.arange(r_lo + lo, r_lo + hi)
                mine = np.flatnonzero((me >= c_lo) & (me < c_lo + n_cols))
                diag[lo + mine] = sim[mine, me[mine] - c_lo]
                sim[mine, me[mine] - c_lo] = -np.inf
                col = np.broadcast_to(np.arange(c_lo, c_lo + n_cols), sim.shape)
                top = np.lexsort((col, -sim), axis=1)[:, :k]  # value descending, then the earlier document
                vals = np.concatenate([best_val[lo:hi], np.take_along_axis(sim, top, axis=1)], axis=1)
                idx = np.concatenate([best_idx[lo:hi], np.take_along_axis(col, top, axis=1)], axis=1)
                order = np.lexsort((idx, -vals), axis=1)[:, :k]
                best_val[lo:hi] = np.take_along_axis(vals, order, axis=1)
                best_idx[lo:hi] = np.take_along_axis(idx, order, axis=1)
        # each row: itself and its k neighbours, in corpus order
        me = np.arange(r_lo, r_lo + n_rows)
        idx = np.concatenate([best_idx, me[:, None]], axis=1)
        vals = np.concatenate([best_val, diag[:, None]], axis=1)
        order = np.argsort(idx, axis=1, kind="stable")
        idx, vals = np.take_along_axis(idx, order, axis=1), np.take_along_axis(vals, order, axis=1)
        out = pd.DataFrame(
            {
                "doc_a": ids_arr[np.repeat(me, k + 1)],
                "doc_b": ids_arr[idx.ravel()],
                "similarity": vals.ravel(),
            }
        ).assign(method=method)
        yield out[SIMILARITY.names]


def cosine_rows(vectors) -> Callable[[int, int], np.ndarray]:
    """Block function of :func:`similarity_long_from_blocks`: cosine similarity of sparse or dense rows
    (as sklearn's ``cosine_similarity`` computes it, so zero rows are 0 to every row, themselves included).

    The rows are normalised once, not once per block (``cosine_similarity`` would copy the whole matrix for
    every block); normalising is row by row, so the values are the same.
    """
    from sklearn.preprocessing import normalize
    from sklearn.utils.extmath import safe_sparse_dot

    normed = normalize(vectors, copy=True)
    return lambda lo, hi: safe_sparse_dot(normed[lo:hi], normed.T, dense_output=True)


def profile_rows_from_matrix(x: np.ndarray) -> Callable[[int, int], np.ndarray]:
    """Block function of :func:`similarity_long_from_blocks` for theme-profile similarity, from a documents x
    themes matrix (e.g. ``coverage_matrix(coverage, labels=False).fillna(0)``), computed as
    :func:`similarity_profiles` computes each cell (diagonal 1, zero profiles 0 to the others)."""
    norms = np.linalg.norm(x, axis=1)
    safe = np.where(norms > 0, norms, 1.0)

    def rows(lo: int, hi: int) -> np.ndarray:
        sim = (x[lo:hi] @ x.T) / np.outer(safe[lo:hi], safe)
        sim[np.arange(hi - lo), np.arange(lo, hi)] = 1.0
        return sim

    return rows


def distinctive_terms_from_counts(
    counts,
    *,
    terms: list[str],
    ids: list[str],
    top_n: int | None = 30,
    prior_scale: float = 1.0,
    min_count: int = 2,
    exclude: Iterable[str] = (),
) -> pd.DataFrame:
    """:func:`distinctive_terms` from a sparse documents x terms count matrix (same formula, same output).

    Only the terms a document uses at least ``min_count`` times are scored, so the work per document is
    proportional to its vocabulary, not the corpus's.

    Args:
        counts: Sparse documents (rows, ``ids`` order) x terms (``terms``, sorted) counts of content tokens.
        terms: Column terms, sorted.
        ids: Row document ids.
        top_n, prior_scale, min_count, exclude: As in :func:`distinctive_terms` (one-character terms are
            excluded as there).

    Returns:
        The ``distinctive_terms`` table.
    """
    if len(ids) < 2:
        return _empty(
            DISTINCTIVE, "distinctive terms need at least two documents" if ids else EMPTY_SELECTION
        )
    frames = distinctive_term_frames(
        counts,
        terms=terms,
        ids=ids,
        top_n=top_n,
        prior_scale=prior_scale,
        min_count=min_count,
        exclude=exclude,
    )
    first = next(frames, None)
    if first is None:
        return _empty(DISTINCTIVE, "no document has content tokens")
    if first.attrs.get("message"):
        return first
    return pd.concat([first, *frames], ignore_index=True)[DISTINCTIVE.names]


def distinctive_term_frames(
    counts,
    *,
    terms: list[str],
    ids: list[str],
    top_n: int | None = 30,
    prior_scale: float = 1.0,
    min_count: int = 2,
    exclude: Iterable[str] = (),
    total: np.ndarray | None = None,
) -> Iterator[pd.DataFrame]:
    """The rows of :func:`distinctive_terms_from_counts`, one document at a time (for writing them out as they
    are made). Yields one empty table with a message when no term is left, nothing when no document scores.

    ``total`` gives the corpus's count of each term (columns of ``counts``) when ``counts`` holds only some
    of its documents (a large corpus, one chunk at a time); default: the column sums of ``counts``.
    """
    import scipy.sparse as sp

    excluded = set(exclude)
    terms_arr = np.asarray(terms, dtype=object)
    keep = np.array([len(t) > 1 and t not in excluded for t in terms], dtype=bool)
    x = sp.csr_matrix(counts)[:, np.flatnonzero(keep)]
    x.sum_duplicates()
    x.sort_indices()
    terms_arr = terms_arr[keep]
    if total is None:
        total = np.asarray(x.sum(axis=0), dtype=float).ravel()
    else:
        total = np.asarray(total, dtype=float)[keep]
    present = total > 0
    if not present.any():
        yield _empty(DISTINCTIVE, "no content tokens in the selection")
        return
    alpha = prior_scale * total
    a0 = float(alpha[present].sum())
    n_all = float(total.sum())
    for k, doc in enumerate(ids):
        lo, hi = x.indptr[k], x.indptr[k + 1]
        cols = x.indices[lo:hi]
        yi_all = x.data[lo:hi].astype(float)
        ni = float(yi_all.sum())
        nj = n_all - ni
        if ni == 0 or nj == 0:
            continue
        sel = yi_all >= min_count
        cols, yi = cols[sel], yi_all[sel]
        a = alpha[cols]
        yj = total[cols] - yi
        d = np.log((yi + a) / (ni + a0 - yi - a)) - np.log((yj + a) / (nj + a0 - yj - a))
        var = 1.0 / (yi + a) + 1.0 / (yj + a)
        z = d / np.sqrt(var)
        df = pd.DataFrame(
            {
                "doc_id": doc,
                "term": terms_arr[cols],
                "count": yi.astype(int),
                "count_rest": yj.astype(int),
                "log_odds": d,
                "z": z,
            }
        )
        df = df.sort_values("z", ascending=False)
        df["rank"] = np.arange(1, len(df) + 1)
        yield (df.head(top_n) if top_n else df)[DISTINCTIVE.names]
