"""The briefing's words in one place: ``resources/briefing_text.yaml``, one block per language.

:func:`wording` returns a :class:`Wording` for ``zh`` (default) or ``en``; headlines, charts, tables and the
methods box take every heading, label and template from it, so the notebook and the chart functions hold no
reader-facing strings. Numbers are formatted here too (``1,234``, ``42%``), the same way in every section.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping

import pandas as pd
import yaml

from compare.core.config import resource_path

#: Line breaks of a folded YAML string after Chinese punctuation become spaces; they are dropped again.
RE_CJK_BREAK = re.compile(r"(?<=[，。；：、（）“”])\s+|\s+(?=[，。；：、（）“”])")

__all__ = ["DEFAULT_LANG", "LANGUAGES", "TEXT_FILE", "Wording", "pct", "wording"]

TEXT_FILE = "briefing_text.yaml"
DEFAULT_LANG = "zh"
LANGUAGES = ("zh", "en")


def pct(value: float | None, *, digits: int = 0) -> str:
    """``0.4213`` → ``42%`` (empty for a missing value)."""
    if value is None or pd.isna(value):
        return ""
    return f"{float(value):.{digits}%}"


@functools.lru_cache(maxsize=1)
def _load() -> dict:
    return yaml.safe_load(resource_path(TEXT_FILE).read_text(encoding="utf-8"))


class Wording:
    """The words of one language: ``w("headlines.coverage", n_docs=5, …)`` fills a template.

    Attributes:
        lang: ``zh`` or ``en``.
        data: The language's block of ``briefing_text.yaml``.
    """

    def __init__(self, lang: str, data: Mapping) -> None:
        self.lang = lang
        self.data = data

    def get(self, key: str):
        """The raw entry at a dotted ``key`` (a string or a mapping); KeyError naming the key if absent."""
        node = self.data
        for part in key.split("."):
            if not isinstance(node, Mapping) or part not in node:
                raise KeyError(f"{TEXT_FILE}: no entry {self.lang}.{key}")
            node = node[part]
        return node

    def __call__(self, key: str, **fields) -> str:
        """The template at ``key`` with ``fields`` filled in (numbers formatted with thousands separators)."""
        text = str(self.get(key)).strip()
        if fields:
            text = text.format(**{k: self.number(v) for k, v in fields.items()})
        if self.lang == "zh":
            text = RE_CJK_BREAK.sub("", text)
        elif key.startswith("headlines."):  # a sentence may open with a filled-in word
            text = text[:1].upper() + text[1:]
        return text

    def values(self, key: str) -> dict[str, str]:
        """A mapping of code → label (``values.strength``, ``charts.coverage`` …) as a plain dict."""
        return {str(k): str(v) for k, v in dict(self.get(key)).items()}

    def value(self, group: str, code) -> str:
        """The label of ``code`` in ``values.<group>`` (the code itself when the group has no entry)."""
        return self.values(f"values.{group}").get(str(code), str(code))

    def column(self, name: str) -> str:
        """The table header of column ``name`` (the name itself when the file has none)."""
        return str(self.data.get("columns", {}).get(name, name))

    def columns(self, df: pd.DataFrame) -> pd.DataFrame:
        """``df`` with its column headers in this language."""
        return df.rename(columns={c: self.column(c) for c in df.columns})

    def join(self, items: Iterable[str], *, limit: int = 4) -> str:
        """Items joined with the language's list separator, at most ``limit`` of them named."""
        items = list(items)
        sep = str(self.get("words.list_sep"))
        if len(items) > limit:
            return sep.join(items[:limit]) + self("words.and_more", n=len(items) - limit)
        return sep.join(items)

    @staticmethod
    def number(value) -> str:
        """Integers with thousands separators; other values as they are."""
        if isinstance(value, bool) or not isinstance(value, int | float):
            return value
        if isinstance(value, float) and not value.is_integer():
            return f"{value:g}"
        return f"{int(value):,}"


def wording(lang: str = DEFAULT_LANG) -> Wording:
    """The briefing's words in ``lang``.

    Raises:
        ValueError: An unknown language, naming the ones available.
    """
    data = _load()
    if lang not in LANGUAGES or lang not in data:
        raise ValueError(f"unknown briefing language {lang!r}: choose one of {', '.join(LANGUAGES)}")
    return Wording(lang, data[lang])
