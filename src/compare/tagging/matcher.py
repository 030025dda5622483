"""Longest-match term finding for lexicons: :class:`TermMatcher` finds every term of a lexicon in a text
(longest term wins, a term inside a longer match is ignored); masks and bare enumeration lists.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

#: Clause separators used to find bare enumerations (rule 1).
CLAUSE_SPLIT_RE = re.compile(r"[，,；;：:。！？!?（）()]")


ENUM_SEP = "、"


#: Items with a number (or mask) are counted measures, not a bare enumeration.
DIGIT_RE = re.compile(r"[0-9*]")


# --------------------------------------------------------------------------------------------------
# Lexicon matching shared by themes, instruments and strength
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Match:
    """One lexicon hit in a text."""

    start: int
    end: int
    term: str


def trie_pattern(terms: Iterable[str]) -> str:
    """One regular expression for a set of terms, shaped as their prefix tree: it matches the longest term
    that starts at a position (法治(?:教育)? finds 法治教育 before 法治), as the flat alternation of the terms
    sorted longest first does, but tries one branch per character instead of every term.
    """
    trie: dict = {}
    for term in terms:
        node = trie
        for ch in term:
            node = node.setdefault(ch, {})
        node[""] = {}  # a term ends here

    def build(node: dict) -> str:
        kids = sorted(k for k in node if k)
        if not kids:
            return ""
        alts = [re.escape(k) + build(node[k]) for k in kids]
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        return f"(?:{body})?" if "" in node else body

    return build(trie)


class TermMatcher:
    """Find lexicon terms in text: at each position the longest term, then drop hits inside longer hits.

    Matching on the text (not on tokens) means a term jieba would split still matches; dropping contained
    hits means a longer term or a blocker claims its span (法治教育 hides 法治, 体育局 hides 体育).

    Args:
        terms: Every term to find (blockers included; the caller decides what a term means).
    """

    def __init__(self, terms: Iterable[str]) -> None:
        uniq = sorted({t for t in terms if t}, key=lambda t: (-len(t), t))
        self.terms = tuple(uniq)
        self._re = re.compile("(?=(" + trie_pattern(uniq) + "))") if uniq else None

    def find(self, text: str) -> list[Match]:
        """All maximal hits in ``text``, in text order."""
        if self._re is None or not text:
            return []
        # one hit per start (the longest term there, the alternation being longest first); a hit is inside a
        # longer one exactly when a hit that starts before it ends at or after its end
        kept = []
        reach = -1
        for m in self._re.finditer(text):
            start = m.start()
            term = m.group(1)
            end = start + len(term)
            if end > reach:
                kept.append(Match(start, end, term))
                reach = end
        return kept


def apply_masks(text: str, patterns: Iterable[re.Pattern]) -> str:
    """Replace masked spans with spaces (offsets are kept)."""
    for pat in patterns:
        text = pat.sub(lambda m: " " * len(m.group(0)), text)
    return text


def bare_list_spans(
    text: str,
    *,
    min_items: int,
    max_item_chars: int,
    programme_verbs: Sequence[str] = (),
    programme_heads: Sequence[str] = (),
) -> list[tuple[int, int]]:
    """Spans of clauses that are bare enumerations ("A、B、C等…") with short items.

    An enumeration launched by a programme verb and closed by a programme head ("实施名校、名师、名专业工程")
    names the components of a programme (rule 1: a named programme counts), so it is not a bare list.

    Args:
        text: Sentence text.
        min_items: Minimum number of 、-separated items.
        max_item_chars: Maximum length of every item but the last.
        programme_verbs: Verbs that launch a programme, looked for in the first item ("实施", "开展").
        programme_heads: Heads that close a programme, looked for right after the last item ("工程", "行动").

    Returns:
        ``(start, end)`` spans of the enumerated items.
    """
    spans: list[tuple[int, int]] = []
    pos = 0
    for part in CLAUSE_SPLIT_RE.split(text):
        items = part.split(ENUM_SEP)
        middle = items[1:-1]
        if (
            len(items) >= min_items
            and all(0 < len(i) <= max_item_chars for i in middle)
            and len(items[0]) > 0
            and not any(DIGIT_RE.search(i) for i in items)
            and not (
                any(v in items[0] for v in programme_verbs)
                and any(0 < items[-1].find(h) <= max_item_chars for h in programme_heads)
            )
        ):
            # a verb before the first item ("推动课后服务与体育、美育、劳动教育…") does not stop the
            # enumeration: the first item is its last characters, as long as the longest middle item
            first = min(len(items[0]), max(map(len, middle)) + 1, max_item_chars)
            start = pos + len(items[0]) - first
            end = pos + len(part) - len(items[-1]) + min(len(items[-1]), max_item_chars)
            spans.append((start, end))
        pos += len(part) + 1
    return spans


def in_spans(m: Match, spans: list[tuple[int, int]]) -> bool:
    return any(s <= m.start and m.end <= e for s, e in spans)
