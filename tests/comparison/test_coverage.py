"""Cross-city comparison: coverage, co-occurrence, only-here, similarity, distinctive terms, drill-down."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from compare.comparison import coverage, distinctive, documents, similarity
from compare.core.schemas import validate
from compare.tagging.codebook import load_codebook

THREE = ["taizhou_js_2023", "changzhou_2023", "ningbo_2023"]


@pytest.fixture(scope="module")
def cov(tables) -> pd.DataFrame:
    return tables["coverage"]


def test_coverage_lists_every_document_x_theme(tables, cov):
    validate(cov, "coverage")
    assert len(cov) == 5 * 25
    assert set(cov["theme_code"]) == set(load_codebook().codes)


def test_coverage_counts_match_the_tags(tables, cov):
    st = tables["theme_tags_sentence"]
    row = cov.sort_values("n_sentences").iloc[-1]
    tagged = st[(st["doc_id"] == row["doc_id"]) & (st["theme_code"] == row["theme_code"])]
    assert row["n_sentences"] == tagged["sentence_id"].nunique()
    sents = tables["sentences"].set_index("sentence_id")
    assert row["n_chars"] == sents.loc[tagged["sentence_id"], "text"].str.len().sum()
    assert row["share_sentences"] == pytest.approx(row["n_sentences"] / row["doc_sentences"])
    assert row["share_chars"] == pytest.approx(row["n_chars"] / row["doc_chars"])
    pt = tables["theme_tags_passage"]
    assert (
        row["n_passages"]
        == pt[(pt["doc_id"] == row["doc_id"]) & (pt["theme_code"] == row["theme_code"])].shape[0]
    )


def test_emphasis_is_share_over_mean_share(cov):
    for _, g in cov.groupby("theme_code"):
        mean = g["share_sentences"].mean()
        expected = g["share_sentences"] / mean if mean > 0 else 0 * g["share_sentences"]
        assert np.allclose(g["emphasis"], expected)
        if mean > 0:
            assert g["emphasis"].mean() == pytest.approx(1.0)


def test_theme_nobody_covers_and_document_without_tags(tables):
    st = tables["theme_tags_sentence"]
    st = st[(st["theme_code"] != "safety") & (st["doc_id"] != "ningbo_2023")]
    pt = tables["theme_tags_passage"]
    pt = pt[(pt["theme_code"] != "safety") & (pt["doc_id"] != "ningbo_2023")]
    cov = coverage.coverage_table(st, passage_tags=pt, sentences=tables["sentences"])
    safety = cov[cov["theme_code"] == "safety"]
    assert (safety["emphasis"] == 0).all() and not safety["present"].any()
    ningbo = cov[cov["doc_id"] == "ningbo_2023"]
    assert not ningbo["present"].any() and (ningbo["share_sentences"] == 0).all()
    assert np.isfinite(cov[["share_sentences", "share_chars", "emphasis"]].to_numpy()).all()


def test_one_document_and_empty_selection(tables):
    st, pt, s = tables["theme_tags_sentence"], tables["theme_tags_passage"], tables["sentences"]
    one = coverage.coverage_table(st, passage_tags=pt, sentences=s, docs=["changzhou_2023"])
    present = one[one["present"]]
    assert len(one) == 25 and (present["emphasis"] == 1.0).all()
    empty = coverage.coverage_table(st, passage_tags=pt, sentences=s, docs=[])
    assert empty.empty and empty.attrs["message"] == coverage.EMPTY_SELECTION
    assert (
        coverage.only_here(one, sentence_tags=st, sentences=s).attrs["message"].startswith("only-here needs")
    )
    assert distinctive.distinctive_terms(tables["tokens"], docs=["changzhou_2023"]).empty
    sim = similarity.similarity_tokens(tables["tokens"], docs=["changzhou_2023"])
    assert sim.shape == (1, 1) and sim.iat[0, 0] == pytest.approx(1.0)
    assert similarity.similarity_tokens(tables["tokens"], docs=[]).empty


def test_cooccurrence_is_symmetric_with_theme_counts_on_the_diagonal(tables):
    co = coverage.cooccurrence(tables["theme_tags_passage"])
    validate(co, "theme_cooccurrence")
    allc = co[co["doc_id"] == "_all"].set_index(["theme_a", "theme_b"])["n_passages"]
    for (a, b), n in allc.items():
        assert allc[(b, a)] == n
    pt = tables["theme_tags_passage"]
    assert allc[("teachers", "teachers")] == (pt["theme_code"] == "teachers").sum()


def test_only_here_items_are_really_only_in_one_document(tables, cov):
    sub = cov[cov["doc_id"].isin(THREE)]
    oh = coverage.only_here(
        sub,
        sentence_tags=tables["theme_tags_sentence"],
        sentences=tables["sentences"],
        theme_instrument=tables["theme_instrument"],
    )
    validate(oh, "only_here")
    themes_only = oh[oh["kind"] == "theme"]
    for _, r in themes_only.iterrows():
        present = sub[(sub["theme_code"] == r["theme_code"]) & sub["present"]]["doc_id"].tolist()
        assert present == [r["doc_id"]]
        assert isinstance(r["example"], str) and r["example"]
    ti = tables["theme_instrument"]
    ti = ti[ti["doc_id"].isin(THREE)]
    for _, r in oh[oh["kind"] == "theme_instrument"].iterrows():
        cell = ti[(ti["theme_code"] == r["theme_code"]) & (ti["instrument_code"] == r["instrument_code"])]
        assert cell["doc_id"].tolist() == [r["doc_id"]] and r["n_sentences"] >= 2


def test_similarity_matrices(tables, cov):
    tok = similarity.similarity_tokens(tables["tokens"])
    prof = similarity.similarity_profiles(cov)
    for m in (tok, prof):
        assert m.shape == (5, 5)
        assert np.allclose(np.diag(m), 1.0) and np.allclose(m, m.T)
        assert ((m.to_numpy() >= 0) & (m.to_numpy() <= 1 + 1e-9)).all()
    assert (tok.to_numpy()[~np.eye(5, dtype=bool)] < 0.9).all()
    sim = tables["similarity"]
    validate(sim, "similarity")
    assert set(sim["method"]) == {"tfidf_tokens", "theme_profile"}


def test_profile_similarity_of_a_document_without_tags_is_zero(tables, cov):
    blank = cov.copy()
    blank.loc[blank["doc_id"] == "ningbo_2023", "share_sentences"] = 0.0
    prof = similarity.similarity_profiles(blank)
    assert prof.loc["ningbo_2023", "ningbo_2023"] == 1.0
    assert (prof.loc["ningbo_2023"].drop("ningbo_2023") == 0).all()


def test_distinctive_terms_follow_monroe(tables):
    tokens = tables["tokens"]
    dt = distinctive.distinctive_terms(tokens, docs=THREE, top_n=None, min_count=1)
    validate(dt, "distinctive_terms")
    assert set(dt["doc_id"]) == set(THREE)
    # recompute one term by hand (prior alpha_w = n_w)
    content = similarity.content_tokens(tokens[tokens["doc_id"].isin(THREE)])
    counts = content.groupby(["token", "doc_id"]).size().unstack(fill_value=0)
    row = dt.iloc[0]
    yi = counts.loc[row["term"], row["doc_id"]]
    total = counts.sum(axis=1)
    a = total.loc[row["term"]]
    a0 = total.sum()
    ni = counts[row["doc_id"]].sum()
    nj = a0 - ni
    yj = a - yi
    delta = np.log((yi + a) / (ni + a0 - yi - a)) - np.log((yj + a) / (nj + a0 - yj - a))
    assert row["log_odds"] == pytest.approx(delta)
    assert row["z"] == pytest.approx(delta / np.sqrt(1 / (yi + a) + 1 / (yj + a)))
    assert not dt["term"].str.fullmatch(r"[\d.%*]+").any()
    assert (dt["term"].str.len() > 1).all()


def test_place_names_are_excluded_from_distinctive_terms(tables):
    names = distinctive.place_names(tables["documents"])
    assert {"泰州", "常州"} <= names
    assert not tables["distinctive_terms"]["term"].isin(names).any()


def test_drill_down_returns_the_sentences_behind_a_cell(tables, cov):
    st, s = tables["theme_tags_sentence"], tables["sentences"]
    row = cov.sort_values("n_sentences").iloc[-1]
    dd = coverage.drill_down(
        st, sentences=s, doc_id=row["doc_id"], theme_code=row["theme_code"], strength=tables["strength"]
    )
    assert len(dd) == row["n_sentences"] and dd["text"].str.len().gt(0).all()
    assert dd["strength"].notna().all()
    ti = tables["theme_instrument"].sort_values("n_sentences").iloc[-1]
    dd2 = coverage.drill_down(
        st,
        sentences=s,
        doc_id=ti["doc_id"],
        theme_code=ti["theme_code"],
        instrument_code=ti["instrument_code"],
        instrument_tags=tables["instrument_tags"],
    )
    assert len(dd2) == ti["n_sentences"] and dd2["instrument_evidence"].str.len().gt(0).all()
    assert coverage.drill_down(st, sentences=s, doc_id="no_such_doc", theme_code="safety").empty
    with pytest.raises(ValueError, match="instrument_tags"):
        coverage.drill_down(
            st, sentences=s, doc_id=ti["doc_id"], theme_code="safety", instrument_code="standards"
        )


def test_example_sentences_one_per_cell(tables):
    ex = coverage.example_sentences(
        tables["theme_tags_sentence"], sentences=tables["sentences"], max_chars=40
    )
    assert not ex.duplicated(["doc_id", "theme_code"]).any()
    assert (ex["example"].str.len() <= 40).all()


@pytest.mark.parametrize("docs", [None, ["changzhou_2023"], [], ["no_such_doc"]])
def test_compare_documents_for_any_selection(tables, docs):
    out = documents.compare_documents(tables, docs=docs)
    n = {None: 5, ("changzhou_2023",): 1}.get(tuple(docs) if docs is not None else None, 0)
    assert out["coverage"]["doc_id"].nunique() == n
    assert len(out["doc_labels"]) == n
    if n == 0:
        assert out["coverage"].attrs["message"] == coverage.EMPTY_SELECTION
        assert all(v.empty for v in out.values())
    if n == 5:
        assert out["similarity_tokens"].shape == (5, 5)
        assert set(out["distinctive_terms"]["doc_id"]) == set(out["doc_labels"].index)


def test_content_tokens_computed_once_give_the_same_tables(tables):
    from compare.comparison.distinctive import distinctive_terms
    from compare.comparison.similarity import content_tokens, similarity_long

    tokens = tables["tokens"]
    content = content_tokens(tokens)
    pd.testing.assert_frame_equal(
        similarity_long(tokens=tokens, coverage=None, content=content),
        similarity_long(tokens=tokens, coverage=None),
    )
    pd.testing.assert_frame_equal(distinctive_terms(tokens, content=content), distinctive_terms(tokens))
