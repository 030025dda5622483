"""Cross-document theme tables streamed from the chunk parts (large-corpus mode) against the in-memory path."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.preprocessing import normalize as sklearn_normalize

from compare.comparison import coverage, distinctive, similarity, streaming, term_counts
from compare.comparison.streaming import theme_corpus_tables
from compare.comparison.term_counts import CONTENT_FILTER, TermCounts, select_exemplars
from compare.core import vectors
from compare.core.schemas import validate
from compare.core.store import read_part
from compare.extraction import grouping
from compare.pipeline.build import build
from compare.pipeline.outputs import chunk_parts
from tests.conftest import RAW

CORPUS_TABLES = (
    "coverage",
    "theme_cooccurrence",
    "theme_suggestions",
    "similarity",
    "distinctive_terms",
    "only_here",
    "theme_instrument",
    "strength_shares",
    "targets",
    "timeline",
    "aligned_indicators",
)


@pytest.fixture(scope="module")
def streamed(tmp_path_factory):
    """The seeds built in two-document chunks with the corpus stages streamed from the parts."""
    out = tmp_path_factory.mktemp("streamed")
    return build(RAW, out, gather=False, use_cache=False, write_csv=False, chunk_size=2)


def _chunk_parts(out_dir: Path) -> list[dict[str, Path]]:
    """``{table: part}`` per chunk, from the published ``parts/`` dataset."""
    parts = chunk_parts(out_dir)
    assert all(set(p) >= {"documents", "tokens"} for p in parts)
    return parts


def test_streamed_tables_equal_the_gathered_ones_exactly(streamed, built):
    info = json.loads((streamed.out_dir / "build_info.json").read_text(encoding="utf-8"))
    assert info["run"]["gathered"] is False and info["run"]["chunks"] == 3
    for name in CORPUS_TABLES:
        got = pd.read_parquet(streamed.out_dir / f"{name}.parquet")
        want = pd.read_parquet(built.out_dir / f"{name}.parquet")
        assert len(want), name
        pd.testing.assert_frame_equal(got, want, check_dtype=False, check_exact=True, obj=name)


def test_streaming_keeps_no_corpus_wide_token_or_sentence_table(streamed):
    held = set(streamed.tables.in_memory)
    assert not held & {"tokens", "sentences", "passages", "repairs", "theme_tags_sentence", "strength"}
    # the corpus stages wrote their tables piece by piece: none of them is held either
    assert not held & {"coverage", "similarity", "theme_suggestions", "distinctive_terms", "strength_shares"}
    assert "text" not in streamed.tables["documents"].columns
    # …but every table can still be read from the result, from the published files
    assert len(streamed.tables["coverage"]) == streamed.rows["coverage"]
    # the per-document tables are still published in full
    assert streamed.rows["tokens"] == len(pd.read_parquet(streamed.out_dir / "tokens.parquet"))


def test_top_k_similarity_keeps_each_documents_nearest(streamed, built):
    full = built.tables["similarity"]
    top = theme_corpus_tables(_chunk_parts(streamed.out_dir), documents=built.tables["documents"], top_k=2)
    sim = validate(top["similarity"], "similarity")
    ids = list(built.tables["documents"]["doc_id"])
    for method in ("tfidf_tokens", "theme_profile"):
        square = full[full["method"] == method].pivot(index="doc_a", columns="doc_b", values="similarity")
        rows = sim[sim["method"] == method]
        for doc in ids:
            mine = rows[rows["doc_a"] == doc]
            assert len(mine) == 3 and doc in set(mine["doc_b"])  # itself + its 2 nearest
            assert list(mine["doc_b"]) == [d for d in ids if d in set(mine["doc_b"])]  # corpus order
            others = square.loc[doc].drop(doc).sort_values(ascending=False, kind="stable")
            kept = mine[mine["doc_b"] != doc]
            assert sorted(kept["similarity"], reverse=True) == pytest.approx(list(others.iloc[:2]), abs=1e-12)
            assert kept["similarity"].min() >= others.iloc[2] - 1e-12
            for b, s in zip(mine["doc_b"], mine["similarity"], strict=True):
                assert s == pytest.approx(square.loc[doc, b], abs=1e-12)


def test_top_k_does_not_depend_on_the_block_size(streamed, built, monkeypatch):
    parts = _chunk_parts(streamed.out_dir)
    docs = built.tables["documents"]
    big = theme_corpus_tables(parts, documents=docs, top_k=3)["similarity"]
    monkeypatch.setattr(similarity, "SIMILARITY_BLOCK_CELLS", 5)  # one row per block
    small = theme_corpus_tables(parts, documents=docs, top_k=3)["similarity"]
    pd.testing.assert_frame_equal(big, small)
    assert len(big) == 2 * 5 * 4


def test_top_k_ties_keep_the_earlier_document():
    x = np.array([[1.0, 0.0], [1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    out = similarity.similarity_long_from_blocks(
        similarity.cosine_rows(x), ids=["a", "b", "c", "d"], method="tfidf_tokens", top_k=1
    )
    pairs = list(zip(out["doc_a"], out["doc_b"], strict=True))
    # a, b, c are identical: each keeps the earliest other one; d is 0 to all and keeps a
    assert pairs == [
        ("a", "a"),
        ("a", "b"),
        ("b", "a"),
        ("b", "b"),
        ("c", "a"),
        ("c", "c"),
        ("d", "a"),
        ("d", "d"),
    ]


def test_distinctive_terms_from_counts_match_the_token_version(tables):
    import scipy.sparse as sp

    tok = tables["tokens"]
    content = tok[~tok["is_stopword"] & ~tok["is_number"]]
    counts = content.groupby(["doc_id", "token"]).size()
    ids = list(dict.fromkeys(content["doc_id"]))
    terms = sorted(set(content["token"]))
    col = {t: i for i, t in enumerate(terms)}
    row = {d: i for i, d in enumerate(ids)}
    mat = sp.csr_matrix(
        (
            counts.to_numpy(dtype=float),
            ([row[d] for d, _ in counts.index], [col[t] for _, t in counts.index]),
        ),
        shape=(len(ids), len(terms)),
    )
    exclude = distinctive.place_names(tables["documents"])
    got = distinctive.distinctive_terms_from_counts(mat, terms=terms, ids=ids, top_n=10, exclude=exclude)
    want = distinctive.distinctive_terms(content, top_n=10, exclude=exclude)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    one = distinctive.distinctive_terms_from_counts(mat[:1], terms=terms, ids=ids[:1])
    assert one.empty and "two documents" in one.attrs["message"]


def _align_input(tables) -> pd.DataFrame:
    from compare.extraction.align import match_vocabulary

    df = tables["targets"]
    df = df[~df["is_repeat"].astype(bool)].reset_index(drop=True)
    return df[[match_vocabulary(s) is None for s in df["indicator"]]]


def _groups_by_every_pair(df: pd.DataFrame, min_similarity: float):
    """The alignment groups by definition: every pair of targets compared, dense, in a Python loop."""
    import re

    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics.pairwise import cosine_similarity

    texts = [re.sub(r"[^\u4e00-\u9fffA-Za-z0-9]", "", s or "") or "?" for s in df["indicator"]]
    sim = cosine_similarity(TfidfVectorizer(analyzer="char", ngram_range=(2, 3)).fit_transform(texts))
    docs, units = df["doc_id"].tolist(), df["unit"].fillna("").tolist()
    n = len(df)
    parent, best = list(range(n)), [None] * n

    def find(x: int) -> int:
        while parent[x] != x:
            x = parent[x]
        return x

    for i in range(n):
        for j in range(i + 1, n):
            if docs[i] != docs[j] and units[i] == units[j] and sim[i, j] >= min_similarity:
                parent[find(i)] = find(j)
                for k in (i, j):
                    best[k] = sim[i, j] if best[k] is None else max(best[k], sim[i, j])
    groups: dict[int, list[int]] = {}
    for k in range(n):
        groups.setdefault(find(k), []).append(k)
    return sorted(groups.values()), best


@pytest.mark.parametrize("cells", [1_000_000, 7])
def test_similarity_groups_equal_comparing_every_pair(tables, monkeypatch, cells):
    from compare.extraction import align

    rest = _align_input(tables)
    # the seeds' unmatched targets; the same again as if from two more documents; and rows shuffled over
    # four documents with repeats inside one document (keys of one document, shared keys, isolated twins)
    copies = pd.concat([rest, *(rest.assign(doc_id=rest["doc_id"] + f"_copy{k}") for k in range(2))])
    shuffled = pd.concat([copies, copies.sample(frac=0.3, random_state=1)], ignore_index=True)
    shuffled["doc_id"] = np.random.default_rng(1).choice(["a", "b", "c", "d"], len(shuffled))
    # one document's two wordings are closer to each other than to another document's: a row's best
    # similarity is the other document's, and the twin within one document is not grouped on its own
    own = pd.DataFrame(
        {
            "indicator": [
                "义务教育学校体育场地开放率",
                "义务教育学校体育场地对外开放率",
                "义务教育学校体育场馆开放率",
                "心理健康教师配备率",
            ]
            * 2,
            "doc_id": ["a", "a", "b", "c", "a", "a", "b", "c"],
            "unit": "%",
        }
    )
    monkeypatch.setattr(grouping, "GROUP_BLOCK_CELLS", cells)
    for df in (rest, copies.reset_index(drop=True), shuffled, own):
        roots, best = grouping.similarity_groups(df, min_similarity=align.DEFAULT_MIN_SIMILARITY)
        want_groups, want_best = _groups_by_every_pair(df, align.DEFAULT_MIN_SIMILARITY)
        groups: dict[int, list[int]] = {}
        for k, root in enumerate(roots):
            groups.setdefault(root, []).append(k)
        assert sorted(groups.values()) == want_groups
        assert all(root == members[0] for root, members in groups.items())  # the root is the first row
        assert [b is None for b in best] == [b is None for b in want_best]
        # the same cosines up to rounding (dense products here, sparse ones there)
        assert np.allclose([b or 0 for b in best], [b or 0 for b in want_best], rtol=0, atol=1e-12)
        if df is own:  # 0.61 to its own document's wording, 0.58 to document b's: b's counts
            assert sorted(groups.values()) == [[0, 2, 4, 6], [1], [3], [5], [7]]
            assert best[0] == best[2] and 0.57 < best[0] < 0.59 and best[1] is None


# --------------------------------------------------------------------------------------------------
# TF-IDF second opinion against a bounded set of exemplars per theme
# --------------------------------------------------------------------------------------------------
def _term_counts(parts, **options) -> TermCounts:
    """The chunks fed to a :class:`TermCounts` as :func:`stream_theme_tables` feeds them."""
    counts = TermCounts(**options)
    for part in parts:
        counts.add_chunk(
            read_part(
                part["tokens"], "tokens", columns=["doc_id", "passage_id", "token"], filters=CONTENT_FILTER
            ),
            read_part(part["passages"], "passages"),
            read_part(part["theme_tags_passage"], "theme_tags_passage"),
        )
    return counts


@pytest.fixture(scope="module")
def passage_tfidf(tables):
    """The gathered passage TF-IDF (as ``themes.tfidf_suggestions`` fits it) and each passage's row."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    from compare.tagging.codebook import load_codebook
    from compare.tagging.context import passage_context as passage_context

    ctx = passage_context(tables["passages"], load_codebook())
    tok = tables["tokens"]
    content = tok[
        ~tok["is_stopword"] & ~tok["is_number"] & ~tok["passage_id"].isin(ctx.loc[ctx["skip"], "passage_id"])
    ]
    docs = content.groupby("passage_id", sort=False)["token"].apply(list)
    mat = TfidfVectorizer(analyzer=lambda x: x, min_df=1, sublinear_tf=True).fit_transform(docs.tolist())
    return mat, {p: i for i, p in enumerate(docs.index)}, docs


def test_idf_from_document_frequencies_equals_the_fitted_one(tables):
    tok = tables["tokens"]
    content = tok[~tok["is_stopword"] & ~tok["is_number"]]
    counts, _terms = vectors.count_matrix(
        content.groupby("passage_id", sort=False)["token"].apply(list).tolist()
    )
    want, fitted = vectors.tfidf_rows(counts)
    df = np.bincount(counts.indices, minlength=counts.shape[1])
    tf = vectors.tfidf_from_frequencies(df, n_rows=counts.shape[0])
    assert np.array_equal(tf.idf, fitted.idf)
    half = counts.shape[0] // 2  # rows transformed in two blocks: the same values, bit for bit
    for lo, hi in ((0, half), (half, counts.shape[0])):
        got = tf.transform(counts[lo:hi])
        assert np.array_equal(got.indices, want[lo:hi].indices)
        assert np.array_equal(got.data, want[lo:hi].data)


def test_exemplars_are_the_top_scored_distinct_passages_of_each_theme(
    streamed, tables, passage_tfidf, tmp_path
):
    _, row, docs = passage_tfidf
    counts = _term_counts(_chunk_parts(streamed.out_dir), exemplars=2, spill_dir=tmp_path)
    # expected, from the gathered tables: passages with content tokens, one exemplar per distinct content
    # (ranked by its best member: highest score, then smallest id; named by its smallest id), the 2
    # best-ranked per theme
    pt = tables["theme_tags_passage"]
    pt = pt[pt["passage_id"].isin(row)].assign(
        content=lambda d: [frozenset(Counter(docs[p]).items()) for p in d["passage_id"]]
    )
    ranked = pt.sort_values(["score", "passage_id"], ascending=[False, True])
    best = ranked.groupby(["theme_code", "content"]).agg(
        score=("score", "first"), first=("passage_id", "first"), passage_id=("passage_id", "min")
    )
    best = best.reset_index().sort_values(["theme_code", "score", "first"], ascending=[True, False, True])
    want = best.groupby("theme_code").head(2)[["theme_code", "passage_id", "score"]].reset_index(drop=True)
    got = counts.exemplar_table()
    pd.testing.assert_frame_equal(got, want, check_dtype=False, check_exact=True)
    per_theme = best.groupby("theme_code").size()
    assert (per_theme > 2).sum() >= 3 and (got.groupby("theme_code").size() == 2).all()  # the cap bites
    assert counts.capped == set(per_theme.index[per_theme > 2])
    assert not _term_counts(_chunk_parts(streamed.out_dir), exemplars=None).capped
    assert len(list(tmp_path.glob("candidates-*.npz"))) == 3  # one file of candidates per chunk


def test_capped_suggestions_are_the_nearest_exemplars(streamed, built, passage_tfidf, tmp_path):
    mat, row, _ = passage_tfidf
    counts = _term_counts(_chunk_parts(streamed.out_dir), exemplars=2, spill_dir=tmp_path)
    got = validate(counts.suggestions(), "theme_suggestions")
    exemplars = counts.exemplar_table().groupby("theme_code")["passage_id"].apply(sorted).to_dict()
    full = built.tables["theme_suggestions"]
    assert len(got) and len(got) < len(full)
    # the rows of capped themes say so (every theme with more than 2 distinct tagged passages)
    assert (
        counts.capped and got["exemplars_capped"].tolist() == got["theme_code"].isin(counts.capped).tolist()
    )
    assert got["exemplars_capped"].any() and not full["exemplars_capped"].any()
    assert all(n in exemplars[t] for t, n in zip(got["theme_code"], got["nearest_passage_id"], strict=True))
    # every candidate the full method suggests anything for: per theme, the most similar exemplar (first
    # in passage-id order on a tie) is suggested exactly when it reaches the threshold
    have = {(r.passage_id, r.theme_code): r for r in got.itertuples()}
    for pid in dict.fromkeys(full["passage_id"]):
        for code, ex in exemplars.items():
            sims = (mat[row[pid]] @ mat[[row[e] for e in ex]].T).toarray().ravel()
            top = int(np.argmax(sims))
            if sims[top] >= 0.15:
                r = have.pop((pid, code))
                assert r.nearest_passage_id == ex[top] and r.similarity == round(float(sims[top]), 4)
    assert not have
    # a suggestion whose full nearest passage is an exemplar is the same row in both
    full_rows = full[
        [n in exemplars[t] for t, n in zip(full["theme_code"], full["nearest_passage_id"], strict=True)]
    ]
    merged = full_rows.merge(got, on=["passage_id", "theme_code"], suffixes=("", "_capped"))
    assert len(merged) == len(full_rows)
    for col in ("similarity", "nearest_passage_id", "evidence"):
        assert merged[col].tolist() == merged[f"{col}_capped"].tolist()


def test_spilled_candidates_and_batch_size_give_the_same_suggestions(streamed, tmp_path, monkeypatch):

    parts = _chunk_parts(streamed.out_dir)
    on_disk = _term_counts(parts, exemplars=3, spill_dir=tmp_path).suggestions()
    in_memory = _term_counts(parts, exemplars=3)
    assert len(on_disk)
    pd.testing.assert_frame_equal(on_disk, in_memory.suggestions(), check_exact=True)
    monkeypatch.setattr(term_counts, "SUGGESTION_BATCH_ROWS", 1)  # one chunk per batch
    pd.testing.assert_frame_equal(on_disk, in_memory.suggestions(), check_exact=True)


def test_select_exemplars_merges_duplicates_and_breaks_ties_by_passage_id():
    tags = pd.DataFrame(
        {
            "theme_code": ["A", "A", "A", "A", "B", "B"],
            "passage_id": ["d/p3", "d/p1", "d/p2", "d/p4", "d/p5", "d/p1"],
            "score": [2.0, 1.0, 2.0, 5.0, 1.0, 3.0],
            "content": [b"x", b"y", b"z", b"y", b"x", b"x"],
        }
    )
    got = select_exemplars(tags, cap=2)
    # A: p1 and p4 have the same content (one exemplar: score 5, id p1); p2 and p3 tie on 2.0 -> p2
    assert list(zip(got["theme_code"], got["passage_id"], got["score"], strict=True)) == [
        ("A", "d/p1", 5.0),
        ("A", "d/p2", 2.0),
        ("B", "d/p1", 3.0),
    ]
    # merged chunk by chunk (the kept rows + the next chunk's) gives the same ranking; with nothing
    # dropped, the same names too
    first = select_exemplars(tags.iloc[:3], cap=2)
    merged = select_exemplars(pd.concat([first, tags.iloc[3:]]), cap=2)
    cols = ["theme_code", "score", "best", "content"]
    pd.testing.assert_frame_equal(merged[cols], got[cols])
    assert merged["passage_id"].tolist() == ["d/p4", "d/p2", "d/p1"]  # p1 (content y) had been dropped
    whole = select_exemplars(tags, cap=3)
    merged = select_exemplars(pd.concat([select_exemplars(tags.iloc[:3], cap=3), tags.iloc[3:]]), cap=3)
    pd.testing.assert_frame_equal(merged, whole)
    assert len(select_exemplars(tags, cap=None)) == 4


def _only_here_streamed(cov: pd.DataFrame, ti: pd.DataFrame, groups: list[list[str]]) -> pd.DataFrame:
    from compare.comparison.streaming import OnlyHereRows

    rare = OnlyHereRows()
    for docs in groups:
        rare.add(cov[cov["doc_id"].isin(docs)], ti[ti["doc_id"].isin(docs)])
    assert len(rare.cov) <= 2 * cov["theme_code"].nunique() + 2 + len(set(rare.ti["doc_id"]))
    assert len(rare.ti) <= 2 * len(ti.groupby(["theme_code", "instrument_code"]))
    return coverage.only_here(rare.cov, theme_instrument=rare.ti)


@pytest.mark.parametrize("size", [1, 2, 3])
def test_only_here_from_bounded_rows_equals_the_whole_tables(tables, size):
    cov, ti = tables["coverage"], tables["theme_instrument"]
    want = coverage.only_here(cov, theme_instrument=ti)
    assert len(want)
    ids = list(dict.fromkeys(cov["doc_id"]))
    got = _only_here_streamed(cov, ti, [ids[i : i + size] for i in range(0, len(ids), size)])
    pd.testing.assert_frame_equal(got, want, check_exact=True)


def test_only_here_from_bounded_rows_on_a_late_lone_theme():
    """A theme only the last of six documents covers, and one the first and the last cover."""
    codes = ["a", "b", "c"]
    docs = [f"d{i}" for i in range(6)]
    cov = pd.DataFrame([(d, c) for d in docs for c in codes], columns=["doc_id", "theme_code"])
    cov["present"] = [
        c == "a" or (c == "b" and d == "d5") or (c == "c" and d in ("d0", "d5"))
        for d, c in zip(cov["doc_id"], cov["theme_code"], strict=True)
    ]
    cov["n_sentences"] = cov["present"].astype(int) * 3
    cov["theme_label"] = cov["theme_code"].str.upper()
    ti = pd.DataFrame(
        {
            "doc_id": ["d1", "d4", "d4", "d5"],
            "theme_code": ["a", "a", "c", "a"],
            "theme_label": ["A", "A", "C", "A"],
            "instrument_code": ["x", "y", "y", "x"],
            "instrument_label": ["X", "Y", "Y", "X"],
            "n_sentences": [2, 5, 2, 2],
        }
    )
    want = coverage.only_here(cov, theme_instrument=ti)
    assert list(zip(want["doc_id"], want["kind"], want["theme_code"], strict=True)) == [
        ("d5", "theme", "b"),
        ("d4", "theme_instrument", "a"),
        ("d4", "theme_instrument", "c"),
    ]
    for size in (1, 2, 4):
        got = _only_here_streamed(cov, ti, [docs[i : i + size] for i in range(0, len(docs), size)])
        pd.testing.assert_frame_equal(got, want, check_exact=True, obj=f"chunks of {size}")


@pytest.mark.parametrize("group_rows", [1, 2, 3])
@pytest.mark.parametrize("top_k", [1, 2, None])
def test_grouped_similarity_equals_the_whole_matrix(group_rows, top_k):
    import scipy.sparse as sp

    # identical rows in different groups (ties), a zero row, and rows sharing some terms
    x = sp.csr_matrix(
        np.array(
            [
                [1.0, 0, 0, 2],
                [1, 0, 0, 2],
                [0, 3, 1, 0],
                [0, 0, 0, 0],
                [1, 0, 0, 2],
                [0, 1, 1, 1],
                [2, 1, 0, 0],
            ]
        )
    )
    ids = [f"d{i}" for i in range(x.shape[0])]
    normed = sklearn_normalize(x)

    def groups():
        for lo in range(0, x.shape[0], group_rows):
            yield lo, normed[lo : lo + group_rows]

    want = similarity.similarity_long_from_blocks(
        similarity.cosine_rows(x), ids=ids, method="tfidf_tokens", top_k=top_k
    )
    got = pd.concat(
        list(similarity.grouped_similarity_blocks(groups, ids=ids, method="tfidf_tokens", top_k=top_k)),
        ignore_index=True,
    )
    pd.testing.assert_frame_equal(got, want, check_exact=True)


def test_document_vectors_on_disk_give_the_same_tables(streamed, built, tmp_path, monkeypatch):
    from compare.comparison.streaming import stream_theme_tables

    parts = _chunk_parts(streamed.out_dir)
    docs = built.tables["documents"]
    for top_k in (2, None):
        want = theme_corpus_tables(parts, documents=docs, top_k=top_k)
        with monkeypatch.context() as m:
            m.setattr(streaming, "DOCUMENT_VECTOR_BYTES", 1)  # every chunk on disk, one per group
            spill = tmp_path / f"spill-{top_k}"
            spill.mkdir()
            got = stream_theme_tables(parts, documents=docs, top_k=top_k, spill_dir=spill)
        assert len(list(spill.glob("vectors-*.npz"))) == 3 and len(list(spill.glob("documents-*.npz"))) == 3
        for name in ("similarity", "distinctive_terms"):
            assert len(want[name]), name
            pd.testing.assert_frame_equal(got[name], want[name], check_exact=True, obj=name)


def test_stacked_rows_equal_scipy_vstack_and_keep_the_entry_order():
    import scipy.sparse as sp

    from compare.core.vectors import stack_rows as stack_rows

    parts = [sp.random(3, 6, density=0.5, format="csr", random_state=i) for i in range(3)]
    parts.append(sp.csr_matrix((0, 6)))
    parts[0].indices[:2] = parts[0].indices[:2][::-1]  # unsorted entries stay in their order
    want = sp.vstack(parts, format="csr")
    got = stack_rows(list(parts))
    assert got.shape == want.shape
    for attr in ("data", "indices", "indptr"):
        assert np.array_equal(getattr(got, attr), getattr(want, attr)), attr
