"""Row access without pandas per-row overhead: a table's rows as plain tuples, grouped by a key.

The per-document stages walk every sentence and passage; ``itertuples`` / ``iloc`` on many small groups
cost more than the work itself. These helpers read each needed column once (``tolist``) and group in Python.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd


def rows_by(
    table: pd.DataFrame, key: str, columns: Sequence[str], *, order: str | None = None
) -> dict[object, list[tuple]]:
    """Rows of ``table`` as tuples of ``columns``, grouped by ``key``.

    Args:
        table: Any table with ``key``, ``columns`` (and ``order``).
        key: Column to group by; groups keep the order of their first row.
        columns: Columns of each tuple, in this order.
        order: If set, rows within a group are sorted by this column (stable), else kept in table order.

    Returns:
        ``{key value: [(col1, col2, …), …]}``.
    """
    keys = table[key].tolist()
    cols = [table[c].tolist() for c in columns]
    idx: dict[object, list[int]] = {}
    for i, k in enumerate(keys):
        idx.setdefault(k, []).append(i)
    if order is not None:
        ranks = table[order].tolist()
        for rows in idx.values():
            rows.sort(key=ranks.__getitem__)
    return {k: [tuple(c[i] for c in cols) for i in rows] for k, rows in idx.items()}


def first_rows(table: pd.DataFrame, key: str, columns: Sequence[str]) -> dict[object, tuple]:
    """The first row (as a tuple of ``columns``) of every ``key`` value."""
    keys = table[key].tolist()
    cols = [table[c].tolist() for c in columns]
    out: dict[object, tuple] = {}
    for i, k in enumerate(keys):
        if k not in out:
            out[k] = tuple(c[i] for c in cols)
    return out


def lists_by(table: pd.DataFrame, key: str, column: str) -> dict[object, list]:
    """``{key value: [column values]}`` in first-seen key order and row order within a key: what
    ``table.groupby(key, sort=False)[column].apply(list)`` gives, in one pass over plain lists (a groupby
    apply pays per group, which a corpus of thousands of passages feels)."""
    out: dict[object, list] = {}
    for k, v in zip(table[key].tolist(), table[column].tolist(), strict=True):
        bucket = out.get(k)
        if bucket is None:
            out[k] = [v]
        else:
            bucket.append(v)
    return out
