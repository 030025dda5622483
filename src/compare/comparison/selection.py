"""Selecting documents for a comparison, and the empty table a comparison returns when there is nothing to
compare (with a message saying why, in ``attrs["message"]``)."""

from __future__ import annotations

import logging

import pandas as pd

from compare.core.schemas import TableSchema

LOG = logging.getLogger(__name__)

#: Message of a comparison asked for documents none of which are in its tables.
EMPTY_SELECTION = "no documents selected"


def select_rows(df: pd.DataFrame | None, docs: list[str] | None) -> pd.DataFrame | None:
    """The rows of ``df`` whose ``doc_id`` is in ``docs`` (all rows when ``docs`` is None)."""
    if df is None or docs is None:
        return df
    return df[df["doc_id"].isin(docs)]


def selected_doc_ids(sentences: pd.DataFrame | None, docs: list[str] | None) -> list[str]:
    """Documents of ``sentences`` (in their order), restricted to ``docs`` when given (in the order of ``docs``)."""
    have = list(dict.fromkeys(sentences["doc_id"])) if sentences is not None and len(sentences) else []
    return have if docs is None else [d for d in docs if d in set(have)]


def empty_table(schema: TableSchema, message: str) -> pd.DataFrame:
    """An empty table of ``schema`` carrying ``message`` (why it is empty) in ``attrs["message"]``."""
    out = schema.empty()
    out.attrs["message"] = message
    LOG.info("%s: %s", schema.name, message)
    return out
