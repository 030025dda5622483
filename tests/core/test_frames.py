"""Row helpers of compare.core.frames."""

from __future__ import annotations

import numpy as np
import pandas as pd

from compare.core.frames import lists_by


def test_lists_by_is_a_groupby_apply_list_in_first_seen_order():
    df = pd.DataFrame({"p": ["b", "a", "b", "c", "a"], "t": ["x", "y", "z", "w", "v"]}).astype(
        "string[pyarrow]"
    )
    expected = df.groupby("p", sort=False)["t"].apply(list).to_dict()
    got = lists_by(df, "p", "t")
    assert list(got) == ["b", "a", "c"] == list(expected)
    assert got == expected


def test_shared_terms_of_two_rows_are_their_elementwise_product():
    import scipy.sparse as sp

    from compare.comparison.suggestions import _shared_terms

    rng = np.random.default_rng(0)
    m = sp.random(6, 40, density=0.3, random_state=1, format="csr")
    m.data = rng.uniform(-1, 1, m.data.size)
    for i in range(6):
        for j in range(6):
            prod = m[i].multiply(m[j]).tocoo()
            order = np.argsort(prod.col, kind="stable")
            cols, vals = prod.col[order], prod.data[order]
            want = (cols[vals > 0], vals[vals > 0])
            got = _shared_terms(m, i, j)
            assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1])
