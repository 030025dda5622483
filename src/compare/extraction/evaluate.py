"""Evaluate extracted targets against hand-checked records: precision, recall and field accuracy per
document, and the mismatches to audit.
"""

from __future__ import annotations

import re

import pandas as pd

from compare.text.clean import strip_inline_residue


def load_expected(path) -> pd.DataFrame:
    """Read a hand-checked ``expected_targets_<doc_id>.csv``.

    Columns: ``doc_id, context, number_text, indicator, value, value_max, unit, comparator, target_year,
    per_year, note``. ``context`` is a short snippet of the simplified document text that contains
    ``number_text`` once and occurs once in the document; it locates the number without hand-typed offsets.
    """
    df = pd.read_csv(
        path,
        dtype={"number_text": str, "context": str, "unit": str, "comparator": str, "deadline_source": str},
        keep_default_na=False,
    )
    for col in ("value", "value_max"):
        df[col] = pd.to_numeric(df[col].replace("", None), errors="coerce")
    df["target_year"] = pd.to_numeric(df["target_year"].replace("", None), errors="coerce").astype("Int64")
    return df


#: Half-width punctuation and its full-width form read as one character when a label is located (cleaning
#: turns 学(xué) into 学（xué）; a label copied from the raw file keeps the half-width form). One character for
#: one, so offsets do not move.
_FOLD = str.maketrans({chr(0xFF01 + i): chr(0x21 + i) for i in range(94)} | {"\u3000": " "})


def _locate(expected: pd.DataFrame, documents: pd.DataFrame, *, field: str = "number_text") -> pd.Series:
    """Offset of each expected record's ``field`` in its document, found through its unique ``context``.

    The context is looked up in the simplified text, then in the original script (labels copied from a
    traditional-script file); both have the same offsets. Full- and half-width forms count as the same.
    """
    texts = {
        doc: (str(t).translate(_FOLD), (str(o) if isinstance(o, str) else str(t)).translate(_FOLD))
        for doc, t, o in zip(
            documents["doc_id"],
            documents["text"],
            documents["text_original"] if "text_original" in documents else documents["text"],
            strict=False,
        )
    }
    pos = []
    for doc, context, needle in zip(expected["doc_id"], expected["context"], expected[field], strict=True):
        # a label copied from the raw file may hold residue the cleaning removed (a pinyin gloss 穩(wěn))
        context = strip_inline_residue(context).translate(_FOLD)
        needle = strip_inline_residue(needle).translate(_FOLD)
        j = context.find(needle)
        if j < 0:
            raise ValueError(f"{doc}: {needle!r} not in context {context!r}")
        # spacing may differ from the raw file the label was copied from (cleaning collapses it)
        pattern = re.compile(
            "".join(r"\s*" if ch.isspace() else re.escape(ch) for ch in context[:j])
            + "(?P<needle>)"
            + "".join(r"\s*" if ch.isspace() else re.escape(ch) for ch in context[j:])
        )
        found = None
        for text in texts.get(doc, ("",)):
            hits = list(pattern.finditer(text))
            if len(hits) > 1:
                raise ValueError(f"{doc}: context {context!r} is not unique in the document")
            if hits:
                found = hits[0].start("needle")
                break
        if found is None:
            raise ValueError(f"{doc}: context {context!r} is not in the document")
        pos.append(found)
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
                **_counts_row(doc, ne, npred, nm),
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


def load_commitments(path) -> pd.DataFrame:
    """Read hand-checked dated commitments: ``doc_id, context, deadline_text, kind, year, note``.

    ``context`` contains ``deadline_text`` and occurs once in the document; ``year`` is the resolved year
    (empty for recurring duties and unresolvable phrases).
    """
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df["year"] = pd.to_numeric(df["year"].replace("", None), errors="coerce").astype("Int64")
    return df


def _event_spans(timeline: pd.DataFrame, documents: pd.DataFrame) -> list[tuple[str, int, int, dict]]:
    """Where each timeline event's phrase stands: ``(doc_id, start, end, row)``.

    An event records its sentence and phrase; the phrase is looked up inside the sentence (its first
    occurrence after the previous event of the same sentence).
    """
    texts = dict(zip(documents["doc_id"], documents["text"], strict=False))
    out = []
    last: dict[tuple, int] = {}
    for r in timeline.to_dict("records"):
        doc, text = r["doc_id"], str(texts.get(r["doc_id"], ""))
        phrase = str(r["deadline_text"] or "")
        if pd.isna(r["start"]):
            out.append((doc, -1, -1, r))
            continue
        s0, s1 = int(r["start"]), int(r["end"])
        key = (doc, s0)
        i = text.find(phrase, last.get(key, s0), s1) if phrase else -1
        if i < 0:
            i = text.find(phrase, s0, s1) if phrase else -1
        if i < 0:
            out.append((doc, s0, s1, r))
            continue
        last[key] = i + len(phrase)
        out.append((doc, i, i + len(phrase), r))
    return out


def evaluate_commitments(
    timeline: pd.DataFrame, expected: pd.DataFrame, *, documents: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Precision, recall and year accuracy of the timeline's dated commitments against hand-checked ones.

    An expected and a predicted commitment match when they are in the same document and their phrases
    overlap in the text (one event per expected phrase, nearest first). Plan periods stated only in the
    manifest (no quote) match an expected ``plan_period`` of the same end year.

    Returns:
        ``(scores, misses)``: one score row per document plus ``ALL`` (``n_expected, n_predicted,
        n_matched, precision, recall, year_exact``: of the matched commitments whose label has a year), and
        the missed / spurious / wrong-year records.
    """
    exp = expected.copy()
    exp["start"] = _locate(exp, documents, field="deadline_text")
    exp["end"] = exp["start"] + exp["deadline_text"].str.len()
    docs = sorted(exp["doc_id"].unique())
    pred = timeline[timeline["doc_id"].isin(docs)]
    spans = _event_spans(pred, documents)
    rows, misses, totals = [], [], [0, 0, 0, 0, 0]
    for doc in docs:
        e = exp[exp["doc_id"] == doc].sort_values("start")
        p = [sp for sp in spans if sp[0] == doc]
        used: set[int] = set()
        n_match = n_year = n_dated = 0
        for er in e.to_dict("records"):
            hit = None
            for k, (_, a, b, pr) in enumerate(p):
                if k in used:
                    continue
                overlap = a >= 0 and a < er["end"] and er["start"] < b
                manifest_period = (
                    a < 0
                    and er["kind"] == "plan_period"
                    and pr["kind"] == "plan_period"
                    and not pd.isna(pr["year"])
                    and not pd.isna(er["year"])
                    and int(pr["year"]) == int(er["year"])
                )
                if overlap or manifest_period:
                    hit = k
                    break
            if hit is None:
                misses.append(
                    {
                        "doc_id": doc,
                        "kind": "missed",
                        "text": er["deadline_text"],
                        "expected": er["year"],
                        "predicted": None,
                        "context": er["context"],
                    }
                )
                continue
            used.add(hit)
            n_match += 1
            pr = p[hit][3]
            if pd.isna(er["year"]):  # a recurring duty or an unresolvable phrase: no year to score
                continue
            n_dated += 1
            same = not pd.isna(pr["year"]) and int(er["year"]) == int(pr["year"])
            n_year += same
            if not same:
                misses.append(
                    {
                        "doc_id": doc,
                        "kind": "year",
                        "text": er["deadline_text"],
                        "expected": er["year"],
                        "predicted": pr["year"],
                        "context": er["context"],
                    }
                )
        for k, (_, _a, _b, pr) in enumerate(p):
            if k not in used:
                misses.append(
                    {
                        "doc_id": doc,
                        "kind": "spurious",
                        "text": pr["deadline_text"],
                        "expected": None,
                        "predicted": pr["year"],
                        "context": str(pr["quote"])[:40],
                    }
                )
        rows.append(_commitment_row(doc, len(e), len(p), n_match, n_year, n_dated))
        for i, v in enumerate((len(e), len(p), n_match, n_year, n_dated)):
            totals[i] += v
    rows.append(_commitment_row("ALL", *totals))
    return pd.DataFrame(rows), pd.DataFrame(
        misses, columns=["doc_id", "kind", "text", "expected", "predicted", "context"]
    )


def _counts_row(doc: str, ne: int, npred: int, nm: int) -> dict:
    """``doc_id, n_expected, n_predicted, n_matched, precision, recall`` of one document (or ``ALL``)."""
    return {
        "doc_id": doc,
        "n_expected": ne,
        "n_predicted": npred,
        "n_matched": nm,
        "precision": nm / npred if npred else float("nan"),
        "recall": nm / ne if ne else float("nan"),
    }


def _commitment_row(doc: str, ne: int, npred: int, nm: int, ny: int, nd: int) -> dict:
    return {**_counts_row(doc, ne, npred, nm), "year_exact": ny / nd if nd else float("nan")}


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
