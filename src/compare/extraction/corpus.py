"""The corpus step of the ``targets`` stage: passage themes joined onto targets and timeline, and the
aligned-indicator table; in memory for small corpora, one chunk at a time for large ones.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from compare.core.schemas import validate
from compare.extraction.target_schema import TARGETS
from compare.extraction.targets import TAG_COLUMNS, join_themes

if TYPE_CHECKING:
    from compare.core.store import TableSink


def corpus_tables(
    tables: dict[str, pd.DataFrame],
    *,
    parts: Sequence[Mapping[str, Path]] | None = None,
    sink: TableSink | None = None,
) -> dict[str, pd.DataFrame]:
    """Stage hook (whole corpus): themes joined onto targets/timeline and the aligned-indicator table.

    Args:
        tables: Every table built so far (``documents``, ``targets``, ``timeline``, optionally
            ``theme_tags_passage``); with ``parts`` only ``documents``.
        parts: Large corpora: one ``{table: Parquet part}`` per chunk, in corpus order, read one chunk at a
            time instead of ``tables`` (:func:`stream_corpus_tables`; same tables).
        sink: With ``parts``: write the tables into this :class:`compare.core.store.TableSink` instead of
            returning them.

    Returns:
        ``{"targets": ..., "timeline": ..., "aligned_indicators": ...}`` (targets/timeline only when given;
        nothing when written to ``sink``).
    """
    from compare.extraction.align import align_indicators
    from compare.extraction.timeline import TIMELINE

    if parts is not None:
        return stream_corpus_tables(parts, documents=tables.get("documents"), sink=sink)
    out: dict[str, pd.DataFrame] = {}
    themes = tables.get("theme_tags_passage")
    targets = tables.get("targets")
    if targets is None:
        targets = TARGETS.empty()
    targets = validate(join_themes(targets, themes), TARGETS)
    out["targets"] = targets
    timeline = tables.get("timeline")
    if timeline is not None:
        out["timeline"] = validate(join_themes(timeline, themes), TIMELINE)
    out["aligned_indicators"] = align_indicators(targets, documents=tables.get("documents"))
    return out


def stream_corpus_tables(
    parts: Sequence[Mapping[str, Path]], *, documents: pd.DataFrame | None, sink: TableSink | None = None
) -> dict[str, pd.DataFrame]:
    """:func:`corpus_tables` of a large corpus, one chunk in memory at a time.

    Pass 1 joins each chunk's passage themes onto its targets and timeline, writes them, and keeps only the
    compact keys the alignment needs (:func:`compare.extraction.align.alignment_keys`: no quotes, ids or sentences).
    The groups and ambition are computed once over those keys (:func:`compare.extraction.align.assign_groups`). Pass 2
    reads the written targets back one chunk at a time and writes their ``aligned_indicators`` rows.

    Args:
        parts: One ``{table: Parquet part}`` per chunk, in corpus order (``targets``, ``timeline``,
            ``theme_tags_passage``).
        documents: The ``documents`` table (city labels).
        sink: Where the tables are written; None: a temporary one, read back into the returned tables.

    Returns:
        ``{}`` with a sink; else ``targets``, ``timeline`` (when built) and ``aligned_indicators``.
    """
    from compare.core.memory import release_memory
    from compare.core.store import TableSink, read_part
    from compare.extraction.align import aligned_rows, alignment_keys, assign_groups, prepare_targets
    from compare.extraction.timeline import TIMELINE

    if sink is None:
        return TableSink.collect(lambda own: stream_corpus_tables(parts, documents=documents, sink=own))
    sink.write("targets", None)
    keys = []
    for part in parts:
        tags = None
        if part.get("theme_tags_passage") is not None:
            tags = read_part(part["theme_tags_passage"], "theme_tags_passage", columns=TAG_COLUMNS)
        targets = read_part(part.get("targets"), "targets")
        if targets is not None and len(targets):
            targets = validate(join_themes(targets, tags), TARGETS)
            sink.write("targets", targets)
            keys.append(alignment_keys(prepare_targets(targets, documents=documents)))
        timeline = read_part(part.get("timeline"), "timeline")
        if timeline is not None:
            sink.write("timeline", validate(join_themes(timeline, tags), TIMELINE))
        del tags, targets, timeline
        release_memory()
    sink.write("aligned_indicators", None)
    if not keys:
        return {}
    groups = assign_groups(_concat_keys(keys))
    del keys
    lo = 0
    for targets in sink.frames("targets"):
        prepared = prepare_targets(targets, documents=documents)
        hi = lo + len(prepared)
        sink.write("aligned_indicators", aligned_rows(prepared, groups.iloc[lo:hi]))
        lo = hi
    return {}


def _concat_keys(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate alignment keys, keeping categorical columns categorical (union of their categories)."""
    from pandas.api.types import union_categoricals

    out = pd.concat(frames, ignore_index=True)
    for col in frames[0].columns:
        if isinstance(frames[0][col].dtype, pd.CategoricalDtype):
            out[col] = pd.Categorical(union_categoricals([f[col] for f in frames], ignore_order=True))
    return out
