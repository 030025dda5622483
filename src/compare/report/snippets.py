"""HTML snippets of the briefing: headings, headlines, notes and tables, always escaped.

Document text may contain markup; every snippet runs it through :func:`html.escape`, so it shows as text and
never runs. Tables behind a chart are ``<details class="pc-alt">`` (opened when printed); drill-downs to the
quoted sentences are ``<details class="pc-drill">`` (left closed on paper, see the print CSS in
:mod:`compare.report.notebooks`).
"""

from __future__ import annotations

import html
from collections.abc import Iterable

import pandas as pd

__all__ = ["heading_html", "headline_html", "note_html", "table_html"]

NOTE_STYLES = {
    "source": "color:#555;font-size:0.9em;margin:0.3em 0 1em 0",
    "missing": "background:#fff4e5;border-left:4px solid #e69f00;padding:0.6em 1em;margin:0.8em 0",
    "guide": "background:#eef5fb;border-left:4px solid #0b3d62;padding:0.5em 1em;margin:0.5em 0",
    "text": "margin:0.4em 0",
    "print": "color:#555;font-size:0.9em;margin:0.3em 0",
}


def heading_html(text: str, *, level: int = 2) -> str:
    """A section heading (``<h2>`` by default), escaped."""
    return f"<h{level}>{html.escape(text)}</h{level}>"


def headline_html(text: str) -> str:
    """The headline sentence as an escaped HTML block."""
    return f'<p class="pc-headline" style="font-size:1.25em;font-weight:600;margin:0.6em 0">{html.escape(text)}</p>'


def note_html(text: str, *, kind: str = "source") -> str:
    """A note: ``source`` (under a chart), ``missing`` (not available), ``guide`` (reading guide), ``text``."""
    css = f"pc-{kind} pc-print-only" if kind == "print" else f"pc-{kind}"
    return f'<p class="{css}" style="{NOTE_STYLES[kind]}">{html.escape(text)}</p>'


def table_html(
    df: pd.DataFrame,
    *,
    max_rows: int = 60,
    caption: str | None = None,
    percent: Iterable[str] = (),
    drill: bool = False,
    more: str = "… {n} more rows in the workbook.",
) -> str:
    """A table alternative for a chart (or, ``drill=True``, a drill-down): escaped HTML, at most ``max_rows``.

    Args:
        df: The table (headers as they should be shown).
        max_rows: Rows shown; the rest are in the workbook (``more`` says how many, ``{n}``).
        caption: Summary line of a collapsible ``<details>``; None shows the table as it is.
        percent: Columns holding shares, shown as ``42%``.
        drill: A drill-down to quotes (closed on paper) rather than the table behind a chart.
    """
    shown = df.head(max_rows).copy()
    # pandas writes a line break inside a cell as a literal "\n": show it as a cell separator instead
    shown = shown.map(lambda v: v.replace("\n", " ｜ ") if isinstance(v, str) else v)
    for col in percent:
        if col in shown.columns:
            shown[col] = shown[col].map(lambda v: "" if pd.isna(v) else f"{v:.0%}")
    body = shown.to_html(index=False, escape=True, na_rep="", border=0, classes="pc-table")
    rest = (
        f"<p style='color:#555'>{html.escape(more.format(n=len(df) - max_rows))}</p>"
        if len(df) > max_rows
        else ""
    )
    if not caption:
        return body + rest
    kind = "pc-drill" if drill else "pc-alt"
    return f'<details class="{kind}"><summary>{html.escape(caption)}</summary>{body}{rest}</details>'
