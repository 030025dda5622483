"""Evaluate extracted targets against hand-checked records: precision, recall and field accuracy per
document, and the mismatches to audit.
"""

from __future__ import annotations

import pandas as pd


def load_expected(path) -> pd.DataFrame:
    """Read a hand-checked ``expected_targets_<doc_id>.csv``.

    Columns: ``doc_id, context, number_text, indicator, value, value_max, unit, comparator, target_year,
    per_year, note``. ``context`` is a short snippet of the simplified document text that contains
    ``number_text`` once and occurs once in the document; it locates the number without hand-typed offsets.
    """
    df = pd.read_csv(
        path,
        dtype={"number_text": str, "context": str, "unit": str, "comparator": str},
        keep_default_na=False,
    )
    for col in ("value", "value_max"):
        df[col] = pd.to_numeric(df[col].replace("", None), errors="coerce")
    df["target_year"] = pd.to_numeric(df["target_year"].replace("", None), errors="coerce").astype("Int64")
    return df


def _locate(expected: pd.DataFrame, documents: pd.DataFrame) -> pd.Series:
    texts = dict(zip(documents["doc_id"], documents["text"], strict=False))
    pos = []
    for r in expected.itertuples():
        text = texts.get(r.doc_id, "")
        i = text.find(r.context)
        if i < 0 or text.find(r.context, i + 1) >= 0:
            raise ValueError(f"{r.doc_id}: context {r.context!r} is not unique in the document ({i})")
        j = r.context.find(r.number_text)
        if j < 0:
            raise ValueError(f"{r.doc_id}: {r.number_text!r} not in context {r.context!r}")
        pos.append(i + j)
    return pd.Series(pos, index=expected.index, dtype="int64")


def evaluate_targets(
    predicted: pd.DataFrame, expected: pd.DataFrame, *, documents: pd.DataFrame
) -> pd.DataFrame:
    """Precision, recall and value/unit/comparator/year accuracy of extracted targets vs expectations.

    A predicted and an expected record match when they are in the same document and their numbers start at
    the same offset (several records may share a number: 各10家; they are paired in order).

    Args:
        predicted: A ``targets`` table (only the documents present in ``expected`` are scored).
        expected: From :func:`load_expected` (one or more documents).
        documents: The ``documents`` table (to locate the expected numbers).

    Returns:
        One row per document plus ``ALL``: ``n_expected, n_predicted, n_matched, precision, recall,
        value_exact, unit_exact, comparator_exact, year_exact`` (accuracies over matched records).
    """
    exp = expected.copy()
    exp["number_start"] = _locate(exp, documents)
    docs = sorted(exp["doc_id"].unique())
    pred = predicted[predicted["doc_id"].isin(docs)].copy()
    rows = []
    details = []
    for doc in docs:
        e = exp[exp["doc_id"] == doc]
        p = pred[pred["doc_id"] == doc]
        matched = []
        for pos, eg in e.groupby("number_start"):
            pg = p[p["number_start"] == pos]
            for (_, er), (_, pr) in zip(eg.iterrows(), pg.iterrows(), strict=False):
                matched.append((er, pr))
        details.append((doc, len(e), len(p), matched))
    for doc, ne, npred, matched in [
        *details,
        ("ALL", sum(d[1] for d in details), sum(d[2] for d in details), [m for d in details for m in d[3]]),
    ]:
        nm = len(matched)

        def acc(fn, matched=matched, nm=nm) -> float:
            return float(sum(bool(fn(er, pr)) for er, pr in matched) / nm) if nm else float("nan")

        rows.append(
            {
                "doc_id": doc,
                "n_expected": ne,
                "n_predicted": npred,
                "n_matched": nm,
                "precision": nm / npred if npred else float("nan"),
                "recall": nm / ne if ne else float("nan"),
                "value_exact": acc(
                    lambda er, pr: _same(er["value"], pr["value"]) and _same(er["value_max"], pr["value_max"])
                ),
                "unit_exact": acc(
                    lambda er, pr: (
                        (er["unit"] or None) == (pr["unit"] if isinstance(pr["unit"], str) else None)
                    )
                ),
                "comparator_exact": acc(lambda er, pr: er["comparator"] == pr["comparator"]),
                "year_exact": acc(lambda er, pr: _same(er["target_year"], pr["target_year"])),
            }
        )
    return pd.DataFrame(rows)


def _same(a, b) -> bool:
    a_na, b_na = pd.isna(a), pd.isna(b)
    if a_na or b_na:
        return bool(a_na and b_na)
    return abs(float(a) - float(b)) <= 1e-9 * max(1.0, abs(float(a)))


def mismatches(predicted: pd.DataFrame, expected: pd.DataFrame, *, documents: pd.DataFrame) -> pd.DataFrame:
    """The records behind the scores: missed, spurious and mismatched (for reading, not for scoring).

    Returns:
        Columns ``doc_id, kind (missed/spurious/value/unit/comparator/year), number_start, number_text,
        expected, predicted``.
    """
    exp = expected.copy()
    exp["number_start"] = _locate(exp, documents)
    pred = predicted[predicted["doc_id"].isin(exp["doc_id"].unique())]
    rows = []
    for doc in exp["doc_id"].unique():
        e = exp[exp["doc_id"] == doc]
        p = pred[pred["doc_id"] == doc]
        epos = e.groupby("number_start").size()
        ppos = p.groupby("number_start").size()
        for pos in sorted(set(epos.index) | set(ppos.index)):
            eg = e[e["number_start"] == pos]
            pg = p[p["number_start"] == pos]
            for i in range(max(len(eg), len(pg))):
                er = eg.iloc[i] if i < len(eg) else None
                pr = pg.iloc[i] if i < len(pg) else None
                if er is None:
                    rows.append(
                        {
                            "doc_id": doc,
                            "kind": "spurious",
                            "number_start": pos,
                            "number_text": pr["number_text"],
                            "expected": "",
                            "predicted": f"{pr['indicator']} {pr['comparator']} {pr['value']} {pr['unit']} | {pr['quote']}",
                        }
                    )
                    continue
                if pr is None:
                    rows.append(
                        {
                            "doc_id": doc,
                            "kind": "missed",
                            "number_start": pos,
                            "number_text": er["number_text"],
                            "expected": f"{er['indicator']} {er['comparator']} {er['value']} {er['unit']} | {er['context']}",
                            "predicted": "",
                        }
                    )
                    continue
                for kind, ok in (
                    ("value", _same(er["value"], pr["value"]) and _same(er["value_max"], pr["value_max"])),
                    ("unit", (er["unit"] or None) == (pr["unit"] if isinstance(pr["unit"], str) else None)),
                    ("comparator", er["comparator"] == pr["comparator"]),
                    ("year", _same(er["target_year"], pr["target_year"])),
                ):
                    if not ok:
                        rows.append(
                            {
                                "doc_id": doc,
                                "kind": kind,
                                "number_start": pos,
                                "number_text": er["number_text"],
                                "expected": f"{er['indicator']} {er['comparator']} {er['value']}-{er['value_max']} {er['unit']} {er['target_year']}",
                                "predicted": f"{pr['indicator']} {pr['comparator']} {pr['value']}-{pr['value_max']} {pr['unit']} {pr['target_year']}",
                            }
                        )
    return pd.DataFrame(
        rows, columns=["doc_id", "kind", "number_start", "number_text", "expected", "predicted"]
    )


#: Documents whose expectations were written before any tuning on them and never tuned on afterwards.
HELD_OUT_DOCS = ("changzhou_2023",)


def validation_report(
    targets: pd.DataFrame,
    *,
    documents: pd.DataFrame,
    expected_dir,
    held_out: tuple[str, ...] = HELD_OUT_DOCS,
) -> pd.DataFrame:
    """Scores against every ``expected_targets_<doc_id>.csv`` in a folder, tuned and held-out sets apart.

    Args:
        targets: The ``targets`` table.
        documents: The ``documents`` table.
        expected_dir: Folder of the hand-checked expectation files (``tests/data`` in the repository).
        held_out: Documents kept out of tuning (reported as their own set).

    Returns:
        One row per document, then ``ALL tuned`` and ``ALL held-out`` rows, with a ``set`` column; empty when
        the folder holds no expectations for the documents present.
    """
    from pathlib import Path

    files = sorted(Path(expected_dir).glob("expected_targets_*.csv"))
    present = set(documents["doc_id"])
    exp = [load_expected(f) for f in files]
    exp = [e for e in exp if not e.empty and e["doc_id"].iloc[0] in present]
    if not exp:
        return pd.DataFrame()
    allx = pd.concat(exp, ignore_index=True)
    out = []
    for name, mask in (
        ("tuned", ~allx["doc_id"].isin(held_out)),
        ("held-out", allx["doc_id"].isin(held_out)),
    ):
        if not mask.any():
            continue
        s = evaluate_targets(targets, allx[mask], documents=documents)
        s["doc_id"] = s["doc_id"].replace({"ALL": f"ALL {name}"})
        s.insert(0, "set", name)
        out.append(s)
    return pd.concat(out, ignore_index=True)


def select_docs(tables: dict[str, pd.DataFrame], docs: list[str] | None) -> dict[str, pd.DataFrame]:
    """The tables restricted to some documents (all when ``docs`` is None); tables without doc_id unchanged."""
    if docs is None:
        return dict(tables)
    keep = set(docs)
    return {k: (v[v["doc_id"].isin(keep)] if "doc_id" in v.columns else v) for k, v in tables.items()}
