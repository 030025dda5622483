"""The numpy/scipy vectors give bit for bit what scikit-learn gives (the project's figures were made with it);
scikit-learn is a test dependency only."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from compare.core import vectors

sklearn_text = pytest.importorskip("sklearn.feature_extraction.text")
sklearn_pairwise = pytest.importorskip("sklearn.metrics.pairwise")
sklearn_pre = pytest.importorskip("sklearn.preprocessing")


def same(a, b) -> None:
    """Identical sparse matrices: shape, every stored entry in the same order, the same bits."""
    a, b = sp.csr_matrix(a), sp.csr_matrix(b)
    assert a.shape == b.shape
    assert np.array_equal(a.indptr, b.indptr) and np.array_equal(a.indices, b.indices)
    assert a.data.dtype == b.data.dtype and np.array_equal(a.data, b.data)


@pytest.fixture(scope="module")
def passage_tokens(tables) -> list[list[str]]:
    tok = tables["tokens"]
    content = tok[~tok["is_stopword"].astype(bool) & ~tok["is_number"].astype(bool)]
    docs = content.groupby("passage_id", sort=False)["token"].apply(list)
    return [d for d in docs if d]


@pytest.mark.parametrize("sublinear", [True, False])
def test_tfidf_of_the_seed_passages_is_scikit_learns(passage_tokens, sublinear):
    vec = sklearn_text.TfidfVectorizer(analyzer=lambda x: x, min_df=1, sublinear_tf=sublinear)
    want = vec.fit_transform(passage_tokens)
    got, terms = vectors.tfidf_matrix(passage_tokens, sublinear_tf=sublinear)
    assert len(passage_tokens) > 200 and terms == list(vec.get_feature_names_out())
    same(got, want)
    # cosine similarity, dense and sparse, of the whole matrix and of a block against it
    assert np.array_equal(vectors.cosine_similarity(got), sklearn_pairwise.cosine_similarity(want))
    same(
        vectors.cosine_similarity(got[10:60], got, dense_output=False),
        sklearn_pairwise.cosine_similarity(want[10:60], want, dense_output=False),
    )


def test_char_ngram_counts_are_scikit_learns(tables):
    texts = [*[t for t in tables["targets"]["indicator"].astype(str) if t][:300], "AB  cd", "x"]
    cv = sklearn_text.CountVectorizer(analyzer="char", ngram_range=(2, 3), min_df=1, dtype=np.float64)
    want = cv.fit_transform(texts)
    got, terms = vectors.count_matrix(vectors.char_ngrams(t) for t in texts)
    assert terms == list(cv.get_feature_names_out())
    same(got, want)


def test_normalize_and_frequency_fits_match_on_random_matrices():
    rng = np.random.default_rng(7)
    x = sp.random(400, 900, density=0.03, format="csr", random_state=3, dtype=np.float64)
    x.data = np.ceil(rng.random(x.nnz) * 5)
    x.data[x.indptr[5] : x.indptr[6]] = 0  # a zero row stays zero
    x.eliminate_zeros()
    same(vectors.l2_normalize(x), sklearn_pre.normalize(x))
    dense = x.toarray()
    assert np.array_equal(vectors.l2_normalize(dense), sklearn_pre.normalize(dense))
    tf = sklearn_text.TfidfTransformer(sublinear_tf=True).fit(x)
    ours = vectors.fit_tfidf(x)
    assert np.array_equal(ours.idf, tf.idf_)
    same(ours.transform(x[100:200]), tf.transform(x[100:200]))
    # an entry order that is not sorted (the streamed passages keep first-seen order) is kept, as sklearn keeps it
    shuffled = x.copy()
    for i in range(shuffled.shape[0]):
        a, b = shuffled.indptr[i], shuffled.indptr[i + 1]
        order = rng.permutation(b - a)
        shuffled.indices[a:b], shuffled.data[a:b] = shuffled.indices[a:b][order], shuffled.data[a:b][order]
    shuffled.has_sorted_indices = False
    same(ours.transform(shuffled), tf.transform(shuffled))
    with pytest.raises(ValueError, match="empty vocabulary"):
        vectors.count_matrix([[], []])


def test_a_build_does_not_import_scikit_learn(tmp_path):
    import subprocess
    import sys

    from tests.paths import ROOT

    code = (
        "import sys\nfrom compare.pipeline.build import build\n"
        f"build({str(ROOT / 'data' / 'raw')!r}, {str(tmp_path / 'out')!r})\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'sklearn', 'scipy'}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert done.stdout.strip().splitlines()[-1] == "['scipy']"  # the corpus steps ran, on scipy alone


def test_grouped_counts_are_the_count_matrix_of_the_lists(tables):
    tok = tables["tokens"]
    keys, words = tok["passage_id"].to_numpy(dtype=object), tok["token"].to_numpy(dtype=object)
    rows = list(dict.fromkeys(keys))
    lists = {r: [] for r in rows}
    for k, w in zip(keys, words, strict=True):
        lists[k].append(w)
    want, want_terms = vectors.count_matrix([lists[r] for r in rows])
    got, terms = vectors.grouped_count_matrix(keys, words, rows=rows)
    assert terms == want_terms and got.indices.dtype == want.indices.dtype
    same(got, want)
    # shuffled tokens, rows in another order, a row without tokens and a key that is no row
    rng = np.random.default_rng(0)
    perm = rng.permutation(len(keys))
    chosen = [*rng.permutation(rows[:40]), "no-such-row"]
    grouped = {r: [] for r in chosen}
    for k, w in zip(keys[perm], words[perm], strict=True):
        if k in grouped:
            grouped[k].append(w)
    want, want_terms = vectors.count_matrix([grouped[r] for r in chosen])
    got, terms = vectors.grouped_count_matrix(keys[perm], words[perm], rows=chosen)
    assert terms == want_terms and got.getrow(len(chosen) - 1).nnz == 0
    same(got, want)
    t1, _ = vectors.tfidf_matrix([lists[r] for r in rows])
    t2, _ = vectors.grouped_tfidf_matrix(keys, words, rows=rows)
    same(t1, t2)
