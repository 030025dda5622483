"""Cross-city alignment of target indicators.

Targets that measure the same thing in different documents are grouped: first by the curated vocabulary
``resources/indicators.yaml`` (regex patterns → canonical name, unit, theme), then, for the rest, by
character n-gram TF-IDF cosine similarity between indicator texts of different documents with the same unit.
Each group gets a canonical name, unit and theme; within a group a target's *ambition* is its level against
the other cities' levels and its increase over its own baseline.
"""

from __future__ import annotations

import functools
import re

import numpy as np
import pandas as pd
import yaml

from compare.core.config import resource_path
from compare.core.schemas import C, TableSchema, register, validate

__all__ = [
    "ALIGNED",
    "align_indicators",
    "aligned_rows",
    "alignment_keys",
    "assign_groups",
    "load_vocabulary",
    "match_vocabulary",
    "prepare_targets",
    "side_by_side",
]

ALIGNED = register(
    TableSchema(
        "aligned_indicators",
        (
            C("indicator_id", "str", "canonical indicator id (vocabulary id, sim_<n> or single_<n>)"),
            C("canonical_name", "str", "canonical indicator name"),
            C("canonical_unit", "str", "unit of the canonical indicator", nullable=True),
            C("theme", "str", "theme code of the indicator", nullable=True),
            C(
                "match_method",
                "str",
                "how the record joined the group",
                allowed=("vocabulary", "similarity", "none"),
            ),
            C(
                "similarity",
                "float",
                "cosine similarity to the group's closest member (similarity groups)",
                nullable=True,
            ),
            C("doc_id", "str", "document"),
            C("city_label", "str", "city label (keeps 泰州(江苏) and 台州(浙江) apart)", nullable=True),
            C("target_id", "str", "the target record"),
            C("indicator", "str", "indicator as extracted"),
            C("level", "str", "table sub-level", nullable=True),
            C("value", "float", "target value", nullable=True),
            C("value_max", "float", "upper end of a range", nullable=True),
            C("unit", "str", "unit as stated", nullable=True),
            C("comparator", "str", "comparator"),
            C("target_year", "int", "deadline year", nullable=True),
            C("per_year", "bool", "a quantity per year"),
            C("baseline_value", "float", "baseline", nullable=True),
            C("baseline_year", "int", "baseline year", nullable=True),
            C("is_masked", "bool", "value hidden in the source"),
            C("quote", "str", "original-script quote"),
            C("n_cities", "int", "documents in the group", min=1),
            C("comparable", "bool", "the group has ≥2 documents with a value in the same unit and level"),
            C(
                "ambition_rank",
                "int",
                "1 = most ambitious among the documents with a comparable value",
                nullable=True,
            ),
            C(
                "ambition_vs_median",
                "float",
                "value minus the median of the OTHER documents' values",
                nullable=True,
            ),
            C("increase_over_baseline", "float", "value minus baseline_value", nullable=True),
            C("flag", "str", "suspicious value flag carried from the targets table", nullable=True),
        ),
        unique=("target_id",),
        doc="Targets grouped into canonical indicators across documents, with ambition measures.",
    )
)

#: Minimum character n-gram cosine similarity for two unmatched indicators to share a group.
DEFAULT_MIN_SIMILARITY = 0.55


@functools.lru_cache(maxsize=1)
def load_vocabulary() -> tuple[dict, ...]:
    """The curated indicator vocabulary (compiled patterns under ``_re``)."""
    data = yaml.safe_load(resource_path("indicators.yaml").read_text(encoding="utf-8"))
    out = []
    for entry in data["indicators"]:
        e = dict(entry)
        e["_re"] = [re.compile(p) for p in entry["patterns"]]
        e.setdefault("direction", "higher")
        # levels (shares) are comparable across cities; counts only when the entry says so
        e.setdefault("compare", e.get("unit") in ("%", "‰", "‱"))
        out.append(e)
    return tuple(out)


def match_vocabulary(indicator: str) -> dict | None:
    """The first vocabulary entry whose pattern matches an indicator text, or None."""
    for entry in load_vocabulary():
        if any(r.search(indicator or "") for r in entry["_re"]):
            return entry
    return None


def _similarity_groups(df: pd.DataFrame, *, min_similarity: float) -> tuple[list[int], list[float | None]]:
    """Union-find over records of different documents, same unit, similarity ≥ threshold.

    Computed blockwise with sparse products (:func:`compare.extraction.grouping.similarity_groups`), so a national
    corpus's targets never make a dense targets² matrix.
    """
    from compare.extraction.grouping import similarity_groups

    return similarity_groups(df, min_similarity=min_similarity)


#: Columns of the per-target keys that grouping and ambition need (see :func:`alignment_keys`).
KEY_COLUMNS = (
    "doc_id",
    "indicator",
    "indicator_id",
    "unit",
    "level",
    "value",
    "is_masked",
    "per_year",
    "number_start",
    "direction",
    "_compare",
)
#: Columns :func:`assign_groups` gives each target row.
GROUP_COLUMNS = (
    "indicator_id",
    "canonical_name",
    "canonical_unit",
    "match_method",
    "similarity",
    "n_cities",
    "comparable",
    "ambition_rank",
    "ambition_vs_median",
)


def align_indicators(
    targets: pd.DataFrame,
    *,
    documents: pd.DataFrame | None = None,
    min_similarity: float = DEFAULT_MIN_SIMILARITY,
) -> pd.DataFrame:
    """Group targets measuring the same thing across documents and score their ambition.

    Repeated mentions (``is_repeat``) are left out so a city is not counted twice.

    Args:
        targets: The ``targets`` table of the corpus.
        documents: The ``documents`` table (for ``city_label``); optional.
        min_similarity: Threshold of the TF-IDF similarity grouping.

    Returns:
        A validated ``aligned_indicators`` table, one row per (non-repeated) target.
    """
    if targets is None or targets.empty:
        return ALIGNED.empty()
    df = prepare_targets(targets, documents=documents)
    groups = assign_groups(alignment_keys(df), min_similarity=min_similarity)
    return aligned_rows(df, groups)


def prepare_targets(targets: pd.DataFrame, *, documents: pd.DataFrame | None = None) -> pd.DataFrame:
    """The per-row part of the alignment: non-repeated targets with city label, vocabulary match and theme.

    Rows of different documents are independent here, so a large corpus is prepared one chunk at a time.

    Args:
        targets: ``targets`` rows (any subset of whole documents).
        documents: The ``documents`` table (for ``city_label``); optional.

    Returns:
        The non-repeated rows (index reset) with the vocabulary's ``indicator_id`` (None when unmatched),
        ``canonical_name``, ``canonical_unit``, ``theme``, ``direction``, ``_compare``, ``match_method`` and
        ``city_label``.
    """
    df = targets[~targets["is_repeat"].astype(bool)].copy().reset_index(drop=True)
    if "flag" not in df:
        df["flag"] = None
    labels = (
        {} if documents is None else dict(zip(documents["doc_id"], documents["city_label"], strict=False))
    )
    df["city_label"] = df["doc_id"].map(labels).where(lambda s: s.notna(), df["doc_id"])
    texts = df["indicator"].fillna("")  # each wording matched once: a corpus repeats its indicators
    matched = {text: match_vocabulary(text) for text in pd.unique(texts)}
    vocab = [matched[text] for text in texts]
    df["indicator_id"] = [v["id"] if v else None for v in vocab]
    df["canonical_name"] = [v["name"] if v else None for v in vocab]
    df["canonical_unit"] = [v["unit"] if v else None for v in vocab]
    df["theme"] = [v["theme"] if v else None for v in vocab]
    df["direction"] = [v["direction"] if v else "higher" for v in vocab]
    df["_compare"] = [
        bool(v["compare"]) and v["unit"] == u if v else True for v, u in zip(vocab, df["unit"], strict=True)
    ]
    df["match_method"] = ["vocabulary" if v else "none" for v in vocab]
    # themes: from the vocabulary, else the passage's first theme
    if "themes" in df:
        fallback = df["themes"].fillna("").str.split(",").str[0].replace("", None)
        df["theme"] = df["theme"].where(df["theme"].notna(), fallback)
    return df


def alignment_keys(prepared: pd.DataFrame) -> pd.DataFrame:
    """The columns of prepared targets that grouping and ambition need (:data:`KEY_COLUMNS`), compactly.

    The indicator text is kept only where no vocabulary entry matched (only those are grouped by
    similarity), as a categorical; a large corpus keeps these keys for every target, not the full rows.
    """
    keys = prepared[list(KEY_COLUMNS)].copy()
    keys["indicator"] = keys["indicator"].where(keys["indicator_id"].isna(), None)
    for col in ("doc_id", "indicator", "indicator_id", "unit", "level", "direction"):
        keys[col] = _categorical(keys[col])  # object categories even when all missing
    return keys


def assign_groups(keys: pd.DataFrame, *, min_similarity: float = DEFAULT_MIN_SIMILARITY) -> pd.DataFrame:
    """The cross-document part of the alignment: groups, canonical names and ambition of every target.

    Works on integer codes (documents, groups, units, levels) so a national corpus's millions of targets
    cost tens of bytes each; only the unmatched indicator texts are handled as strings.

    Args:
        keys: :func:`alignment_keys` of every prepared target of the corpus, in corpus order.
        min_similarity: Threshold of the TF-IDF similarity grouping.

    Returns:
        One row per key row (same index) with :data:`GROUP_COLUMNS` (strings as categoricals).
    """
    n = len(keys)
    vocab = keys["indicator_id"]
    rest_mask = vocab.isna().to_numpy()
    group = vocab.cat.codes.to_numpy().astype(np.int64)  # vocabulary entries first, then similarity groups
    labels = list(vocab.cat.categories)
    method = np.where(rest_mask, 1, 0).astype(np.int8)  # 0 vocabulary, 1 none, 2 similarity
    similarity = np.full(n, np.nan)
    name_codes = np.full(n, -1, dtype=np.int64)
    names: list[str] = []
    if rest_mask.any():
        rest = pd.DataFrame(
            {
                "indicator": keys["indicator"][rest_mask].astype(object),
                "doc_id": keys["doc_id"][rest_mask],
                "unit": keys["unit"][rest_mask].astype(object),
            }
        )
        rest["unit"] = rest["unit"].where(rest["unit"].notna(), None)
        roots, best = _similarity_groups(rest, min_similarity=min_similarity)
        # groups numbered in the order of their first target; a group of one document is "single_"
        number = pd.factorize(np.asarray(roots))[0]
        multi = pd.Series(rest["doc_id"].cat.codes.to_numpy()).groupby(number).nunique().gt(1).to_numpy()
        text = rest["indicator"].fillna("")
        shortest = (  # canonical name: the shortest indicator text of the group (then the first in order)
            pd.DataFrame({"group": number, "len": text.str.len().to_numpy(), "name": text.to_numpy()})
            .sort_values(["group", "len", "name"], kind="stable")
            .drop_duplicates("group")["name"]
            .replace("", "(unnamed)")
            .to_numpy()
        )
        name_code, names = pd.factorize(shortest)
        names = list(names)
        name_codes[rest_mask] = name_code[number]
        group[rest_mask] = len(labels) + number
        labels += [f"{'sim' if m else 'single'}_{g:03d}" for g, m in enumerate(multi)]
        sim_rows = np.flatnonzero(rest_mask)[multi[number]]
        method[sim_rows] = 2
        similarity[sim_rows] = np.asarray(best, dtype=float)[multi[number]]
    doc = keys["doc_id"].cat.codes.to_numpy()
    n_docs = pd.DataFrame({"g": group, "d": doc}).drop_duplicates().groupby("g").size()
    codes = pd.DataFrame(
        {
            "indicator_id": group,
            "doc_id": doc,
            "unit": keys["unit"].cat.codes.to_numpy(),
            "level": keys["level"].cat.codes.to_numpy(),
            "value": keys["value"].to_numpy(dtype=float, na_value=np.nan),
            "is_masked": keys["is_masked"].fillna(False).to_numpy(dtype=bool),
            "per_year": keys["per_year"].fillna(False).to_numpy(dtype=bool),
            "_compare": keys["_compare"].to_numpy(dtype=bool),
            "number_start": keys["number_start"],
            "lower": (keys["direction"] == "lower").to_numpy(dtype=bool),
        },
        index=keys.index,
    )
    codes = _ambition(codes)
    canonical_unit = (
        keys["unit"].astype(object).where(pd.Series(rest_mask, index=keys.index) & keys["unit"].notna())
    )
    out = pd.DataFrame(
        {
            "indicator_id": pd.Categorical.from_codes(group, categories=pd.Index(labels, dtype=object)),
            "canonical_name": pd.Categorical.from_codes(name_codes, categories=pd.Index(names, dtype=object)),
            "canonical_unit": _categorical(canonical_unit),
            "match_method": pd.Categorical.from_codes(
                method, categories=pd.Index(["vocabulary", "none", "similarity"], dtype=object)
            ),
            "similarity": similarity,
            "n_cities": n_docs.reindex(group).to_numpy(),
            "comparable": codes["comparable"].to_numpy(),
            "ambition_rank": codes["ambition_rank"].to_numpy(),
            "ambition_vs_median": codes["ambition_vs_median"].to_numpy(),
        },
        index=keys.index,
    )
    out["ambition_rank"] = out["ambition_rank"].astype("Int64")
    return out


def _categorical(s: pd.Series) -> pd.Categorical:
    """Strings as a categorical with object categories (None stays missing; empty input keeps its dtype)."""
    values = s.astype(object).where(s.notna(), None)
    return pd.Categorical(values, categories=pd.Index(pd.unique(values.dropna()), dtype=object))


def aligned_rows(prepared: pd.DataFrame, groups: pd.DataFrame) -> pd.DataFrame:
    """The ``aligned_indicators`` rows of prepared targets, given their :func:`assign_groups` rows.

    Args:
        prepared: :func:`prepare_targets` rows.
        groups: Their rows of :func:`assign_groups` (same order and length).

    Returns:
        A validated ``aligned_indicators`` table.
    """
    df = prepared.copy()
    vocab_name, vocab_unit = df["canonical_name"], df["canonical_unit"]
    for col in GROUP_COLUMNS:
        values = groups[col]
        if isinstance(values.dtype, pd.CategoricalDtype):
            values = values.astype(object).where(values.notna(), None)
        df[col] = values.to_numpy()
    matched = df["match_method"].eq("vocabulary").to_numpy()
    df["canonical_name"] = vocab_name.where(matched, df["canonical_name"])
    df["canonical_unit"] = vocab_unit.where(matched, df["canonical_unit"])
    suspect = df["flag"].fillna("").str.contains("suspect|overflow|garbled")
    df["increase_over_baseline"] = (df["value"] - df["baseline_value"]).where(~suspect)
    return validate(df[ALIGNED.names], ALIGNED)


def _ambition(df: pd.DataFrame) -> pd.DataFrame:
    """``comparable``, ``ambition_rank`` and ``ambition_vs_median`` of every row (numpy per group)."""
    n = len(df)
    comparable = np.zeros(n, dtype=bool)
    rank = np.zeros(n, dtype=np.int64)
    vs_median = np.full(n, np.nan)
    usable = (
        df["value"].notna() & ~df["is_masked"].astype(bool) & ~df["per_year"].astype(bool) & df["_compare"]
    ).to_numpy()
    rows = np.flatnonzero(usable)
    starts = df["number_start"].to_numpy()
    docs = df["doc_id"].to_numpy()
    values = df["value"].to_numpy(dtype=float, na_value=np.nan)
    lower = df["lower"].to_numpy()
    groups = df.iloc[rows].groupby(["indicator_id", "unit", "level"]).indices  # integer codes, -1: none
    for members in groups.values():
        pos = rows[members]
        # one value per document: its first (non-repeated) statement, as sort_values + drop_duplicates pick it
        pos = pos[np.argsort(starts[pos], kind="quicksort")]
        _, first_at = np.unique(docs[pos], return_index=True)
        first = pos[np.sort(first_at)]
        if len(first) < 2:
            continue
        lower_better = bool(lower[first[0]])
        vals = values[first]
        key = vals if lower_better else -vals  # rank 1: the most ambitious; ties share the lowest rank
        comparable[first] = True
        rank[first] = np.searchsorted(np.sort(key), key, side="left") + 1
        diff = vals - median_of_others(vals)
        vs_median[first] = -diff if lower_better else diff
    df["comparable"] = comparable
    df["ambition_rank"] = pd.Series(rank, index=df.index, dtype="Int64").where(comparable, pd.NA)
    df["ambition_vs_median"] = vs_median
    return df


def median_of_others(values: np.ndarray) -> np.ndarray:
    """For each value, the median of all the OTHER values (as ``numpy.median`` gives it), in O(n log n).

    Removing the value at sorted position k from the sorted values shifts every later value down by one,
    so the middle of the rest is read off the sorted array directly instead of re-sorting n times.
    """
    v = np.asarray(values, dtype=float)
    n = len(v)
    if n < 2:
        return np.full(n, np.nan)
    order = np.argsort(v, kind="stable")
    s = v[order]
    k = np.empty(n, dtype=np.int64)
    k[order] = np.arange(n)
    m = n - 1
    lo, hi = (m - 1) // 2, m // 2
    a = np.where(lo < k, s[lo], s[lo + 1])
    b = np.where(hi < k, s[hi], s[min(hi + 1, n - 1)])
    return (a + b) / 2


def side_by_side(aligned: pd.DataFrame, *, min_cities: int = 2) -> pd.DataFrame:
    """Canonical indicator × city table for reading: "≥90% (2025; 2020: 85)" per cell.

    Args:
        aligned: The ``aligned_indicators`` table.
        min_cities: Keep indicators stated by at least this many documents.

    Returns:
        A wide table indexed by (theme, canonical_name) with one column per city label; cells list every
        statement of the city (joined by " / ").
    """
    if aligned.empty:
        return pd.DataFrame()
    df = aligned[aligned["n_cities"] >= min_cities].copy()
    if df.empty:
        return pd.DataFrame()
    sign = {">=": "≥", ">": ">", "<=": "≤", "<": "<", "=": "", "approx": "约", "range": ""}

    def cell(r) -> str:
        if r["is_masked"]:
            v = "**"
        elif pd.isna(r["value"]):
            v = "?"
        else:
            v = f"{r['value']:g}" + (f"–{r['value_max']:g}" if pd.notna(r["value_max"]) else "")
        s = f"{sign.get(r['comparator'], '')}{v}{r['unit'] or ''}"
        if pd.notna(r["level"]):
            s = f"{r['level']}: {s}"
        extra = []
        if pd.notna(r["target_year"]):
            extra.append(str(int(r["target_year"])))
        if r["per_year"]:
            extra.append("每年")
        if pd.notna(r["baseline_value"]):
            extra.append(
                f"{int(r['baseline_year']) if pd.notna(r['baseline_year']) else '基线'}: {r['baseline_value']:g}"
            )
        return s + (f" ({'; '.join(extra)})" if extra else "")

    df["cell"] = df.apply(cell, axis=1)
    df["theme"] = df["theme"].fillna("")
    wide = df.pivot_table(
        index=["theme", "canonical_name"],
        columns="city_label",
        values="cell",
        aggfunc=lambda s: " / ".join(s),
    )
    return wide.fillna("")
