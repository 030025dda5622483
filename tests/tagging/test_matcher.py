"""The prefix-tree pattern of :class:`TermMatcher` finds exactly what the flat longest-first alternation finds."""

from __future__ import annotations

import re

import pytest

from compare.tagging.codebook import load_codebook
from compare.tagging.instruments import load_instruments
from compare.tagging.matcher import Match, TermMatcher, trie_pattern
from compare.tagging.strength import load_strength


def flat_find(terms: tuple[str, ...], text: str) -> list[Match]:
    """The reference: one lookahead alternation of every term, longest first, then contained hits dropped."""
    pattern = re.compile("(?=(" + "|".join(re.escape(t) for t in terms) + "))")
    kept, reach = [], -1
    for m in pattern.finditer(text):
        end = m.start() + len(m.group(1))
        if end > reach:
            kept.append(Match(m.start(), end, m.group(1)))
            reach = end
    return kept


def test_longest_term_at_a_position_wins_and_contained_hits_are_dropped():
    m = TermMatcher(["法治", "法治教育", "教育", "体育", "体育局", "育"])
    assert [h.term for h in m.find("加强法治教育，市体育局牵头体育")] == ["法治教育", "体育局", "体育"]
    assert trie_pattern(["ab", "abc", "b"]) == "(?:ab(?:c)?|b)"
    assert TermMatcher([]).find("任何文本") == []


@pytest.mark.parametrize("lexicon", ["themes", "instruments", "strength"])
def test_prefix_tree_matches_the_flat_alternation_on_the_seeds(lexicon, tables):
    matcher = {
        "themes": lambda: load_codebook().matcher,
        "instruments": lambda: load_instruments().matcher,
        "strength": lambda: load_strength().matcher,
    }[lexicon]()
    sentences = tables["sentences"]["text"].astype(str).tolist()
    assert len(sentences) > 500 and len(matcher.terms) > 30
    hits = 0
    for text in sentences:
        got = matcher.find(text)
        assert got == flat_find(matcher.terms, text), text
        hits += len(got)
    assert hits > 100
