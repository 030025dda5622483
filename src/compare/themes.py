"""Theme tagging with the education-policy codebook (``resources/themes.yaml``).

Sentences are matched against each theme's lexicon on the cleaned simplified text (longest term wins, a
term inside a longer matched term or blocker is ignored), with the codebook's coding rules: passing
mentions and slogans carry no theme, bare enumerations count half, school-level names (and a level's own
terms that modify a cross-cutting measure) are only a setting when the sentence is about a cross-cutting
theme, subject reform pilots keep their subject, overlapping hits of one theme count once, only quantified
sentences of an overall-goal paragraph and specific results of a review section count, declared co-tags and
(conditional, clause-scoped) absorptions. Codebook v3 adds: a level gets its own project when named with a
supply term (rule 4), a construction verb with a school building as object is school_supply without a count,
a level's own structure words (专业, 招生, 办学水平 ...) count for the level named with them (rule 3), a degree
as staff qualification is not higher education, and a platform that is only used is not digital (rule 10).
Codebook v4 adds: a level's own mission (rule 3: universities acting on their research, transfer, disciplines,
talent training or social service are higher education besides the function's theme), enumerations that name
a programme's components are not bare lists (rule 1), a project phase between a school building and its verb,
and a level named right before the building it builds is its own project (rule 4).
Codebook v5 adds: collocations in one clause (``phrases``: "纳入…考核", "配备…教师"), other senses of a term
(``senses``: "通过…督导评估" is passed, "编制…规划" is drafted, "加大…投入" is vague), the vocational schools' own
mission, goals stated as complete, shortcomings in review sections, review subsections of a general section, counts
before a field of education, and a level named with its own structure in a clause of its own.
Every tag carries its evidence (matched terms with weights, or the rule that fired) and a score. Passages get
the union of their sentences' tags (plus themes that only accumulate over several sentences) and a primary
theme.

A TF-IDF model over passage tokens is a separate second opinion: it suggests themes for passages that
the lexicon left untagged but that sit close to a theme's tagged passages; it is reported in its own
table (``theme_suggestions``), never merged into the tags.

Stage hooks for :mod:`compare.build`: :func:`document_tables` and :func:`corpus_tables`.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import yaml

from compare.config import resource_path
from compare.schemas import SHA, TableSchema, register
from compare.schemas import C as _C

if TYPE_CHECKING:
    from compare.store import TableSink

LOG = logging.getLogger(__name__)

#: Digits, masks or Chinese numerals followed by a measure word: a level gets its own count (rule 4).
#: A quoted numeral is a slogan ("四个融合"), and a count after a conjunction belongs to the next item
#: ("高职院校和10所中职学校"), so neither quotes nor 和/与/及/或 may stand between the name and its count.
COUNT_AFTER_RE = re.compile(
    r"^[^，。；、“”\"‘’《》和与及或]{0,3}?(?:[0-9]+|\*+|[一二三四五六七八九十百千万两]+)(?:-[0-9]+)?\s*(?:所|个|家|座|万个)"
)
COUNT_BEFORE_RE = re.compile(
    r"(?:[0-9]+|\*+|[一二三四五六七八九十百千万两]+)\s*(?:所|个|家|座)[^，。；、]{0,2}$"
)
#: What may stand between two coordinated level names ("高等学校、职业院校", "小学和初中").
COORDINATION_RE = re.compile(r"[、和与及或]?")
#: Clause separators used to find bare enumerations (rule 1).
CLAUSE_SPLIT_RE = re.compile(r"[，,；;：:。！？!?（）()]")
ENUM_SEP = "、"
#: End of a clause (brackets do not end it).
CLAUSE_END_RE = re.compile(r"[，,；;：:。！？!?]")
#: Items with a number (or mask) are counted measures, not a bare enumeration.
DIGIT_RE = re.compile(r"[0-9*]")
#: Between a construction verb and its object, and what may follow the object noun ("建设特殊教育学校。").
OBJECT_GAP = r"[^，。；：、\s]"
OBJECT_END = r"(?=[，。；：、和及与等）)]|$)"
#: Short bracketed insertions ("新（改、扩）建"), ignored when looking for construction verbs.
SHORT_BRACKET_RE = re.compile(r"[（(][^（）()]{0,6}[）)]")
#: A quantified target (digits, masks, percentages or a Chinese numeral with a measure word): in an overall goal
#: section only such sentences are specific goal clauses (rule 2).
QUANTIFIED_RE = re.compile(r"[0-9*％%]|百分之|[一二三四五六七八九十百千万两]+\s*(?:所|个|家|座|项|万人|成)")
#: A passage without a heading may have its heading glued to its text ("一、指导思想坚持…"): look this far.
GLUED_HEADING_CHARS = 10
#: Punctuation trimmed from snippets when locating labels.
SPACE_RE = re.compile(r"\s+")

# --------------------------------------------------------------------------------------------------
# Schemas of the tables this stage writes
# --------------------------------------------------------------------------------------------------
_DOC = _C("doc_id", "str", "document id")
_PAS = _C("passage_id", "str", "passage id")
_SEN = _C("sentence_id", "str", "sentence id")
_THEME = _C("theme_code", "str", "codebook theme code")
_LABEL = _C("theme_label", "str", "Chinese theme label")

THEME_TAGS_SENTENCE = register(
    TableSchema(
        "theme_tags_sentence",
        (
            _DOC,
            _PAS,
            _SEN,
            _THEME,
            _LABEL,
            _C("score", "float", "summed weight of the distinct matched terms (or rule score)", min=0),
            _C("evidence", "str", "matched terms with weights and rules, e.g. '托育(1.0); rule:setting'"),
            SHA,
        ),
        unique=("sentence_id", "theme_code"),
        doc="Theme tags of sentences (long format, one row per sentence x theme).",
    )
)
THEME_TAGS_PASSAGE = register(
    TableSchema(
        "theme_tags_passage",
        (
            _DOC,
            _PAS,
            _THEME,
            _LABEL,
            _C("score", "float", "summed sentence scores of the theme in the passage", min=0),
            _C("n_sentences", "int", "tagged sentences (measures) of the theme in the passage", min=0),
            _C("is_primary", "bool", "the passage's primary theme (rule 13)"),
            _C(
                "primary_rule", "str", "why primary: heading / most_measures / first_mentioned", nullable=True
            ),
            _C("evidence", "str", "matched terms and rules over the passage"),
            SHA,
        ),
        unique=("passage_id", "theme_code"),
        doc="Theme tags of passages with the primary theme flagged.",
    )
)
THEME_SUGGESTIONS = register(
    TableSchema(
        "theme_suggestions",
        (
            _DOC,
            _PAS,
            _THEME,
            _LABEL,
            _C(
                "similarity",
                "float",
                "cosine similarity of the passage to the theme's tagged passages",
                min=0,
            ),
            _C("nearest_passage_id", "str", "most similar tagged passage of the theme"),
            _C("evidence", "str", "top shared tokens"),
            _C(
                "exemplars_capped",
                "bool",
                "large corpora: the theme had more distinct tagged passages than the exemplar cap, so the "
                "passage was compared with the best-scored ones only (the nearest may be missed)",
            ),
        ),
        unique=("passage_id", "theme_code"),
        doc="TF-IDF second opinion: untagged passages close to a theme (not merged into the tags).",
    )
)


# --------------------------------------------------------------------------------------------------
# Lexicon matching shared by themes, instruments and strength
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Match:
    """One lexicon hit in a text."""

    start: int
    end: int
    term: str


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
        self._re = re.compile("(?=(" + "|".join(re.escape(t) for t in uniq) + "))") if uniq else None

    def find(self, text: str) -> list[Match]:
        """All maximal hits in ``text``, in text order."""
        if self._re is None or not text:
            return []
        hits = [Match(m.start(), m.start() + len(m.group(1)), m.group(1)) for m in self._re.finditer(text)]
        kept = [
            h
            for h in hits
            if not any(
                o is not h and o.start <= h.start and o.end >= h.end and (o.end - o.start) > (h.end - h.start)
                for o in hits
            )
        ]
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


def _in_spans(m: Match, spans: list[tuple[int, int]]) -> bool:
    return any(s <= m.start and m.end <= e for s, e in spans)


# --------------------------------------------------------------------------------------------------
# Codebook
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Theme:
    """One codebook theme."""

    code: str
    label: str
    description: str
    level: bool
    terms: Mapping[str, float]
    setting: tuple[str, ...] = ()


@dataclass(frozen=True)
class LevelMission:
    """A level's own mission (rule 3): its institutions named as the actor of one of their statutory functions
    ("高校科技成果转移转化", "在常院校常态化开展产学研对接") make the measure the level's own, even when it is also
    a cross-cutting theme's (see ``level_missions`` in ``resources/themes.yaml``)."""

    name: str
    level: str
    actors: frozenset[str]
    functions: frozenset[str]
    max_gap: int
    weight: float
    through: frozenset[str]
    used_by: tuple[str, ...]
    used_gap: int


@dataclass(frozen=True)
class Phrase:
    """A collocation (v5): a governing word and a theme word in one clause ("将…实施情况纳入…考核",
    "配备1名专职…教师") make a measure of ``theme`` that neither word is alone (see ``phrases`` in
    ``resources/themes.yaml``)."""

    name: str
    theme: str
    first: tuple[str, ...]
    second: tuple[str, ...]
    max_gap: int
    weight: float
    unless: tuple[str, ...]


@dataclass(frozen=True)
class Sense:
    """Another reading of a theme term (v5): the term counts nothing when a cue word stands before it
    (``preceded_by``) or after it (``followed_by``) in its clause, at most ``max_gap`` characters away
    ("通过…督导评估" passes an evaluation, "编制…规划" drafts a plan); with ``clause_end_within`` the term must also
    close its clause (see ``senses`` in ``resources/themes.yaml``)."""

    name: str
    terms: frozenset[str]
    preceded_by: tuple[str, ...]
    followed_by: tuple[str, ...]
    max_gap: int
    clause_end_within: int | None


@dataclass(frozen=True)
class Codebook:
    """The parsed theme codebook (see ``resources/themes.yaml`` for every field)."""

    version: int
    themes: Mapping[str, Theme]
    threshold: float
    bare_list_factor: float
    bare_list_min_items: int
    bare_list_max_item_chars: int
    programme_verbs: tuple[str, ...]
    programme_heads: tuple[str, ...]
    setting_weight_with_subject: float
    setting_weight_alone: float
    setting_count_weight: float
    modifier_gap: int
    modifier_breaks: tuple[str, ...]
    subject_reform_terms: frozenset[str]
    subject_reform_gap: int
    passage_threshold: float
    general_heading_re: re.Pattern | None
    goal_heading_re: re.Pattern | None
    review_heading_re: re.Pattern | None
    review_marker_re: re.Pattern | None
    skip_kinds: frozenset[str]
    mask_res: tuple[re.Pattern, ...]
    blockers: frozenset[str]
    overlaps: Mapping[str, tuple[str, ...]]
    co_tag_rules: tuple[dict, ...]
    taught_subjects: frozenset[str]
    construction_verbs: tuple[str, ...]
    construction_theme: str | None
    taught_heads: tuple[str, ...]
    absorb_rules: tuple[dict, ...]
    construction_object_res: tuple[re.Pattern, ...]
    level_building_chars: int
    usage_terms: frozenset[str]
    usage_verbs: tuple[str, ...]
    usage_gap: int
    qualification_terms: frozenset[str]
    qualification_heads: tuple[str, ...]
    level_terms: frozenset[str]
    level_term_weight: float
    level_missions: tuple[LevelMission, ...]
    phrases: tuple[Phrase, ...]
    senses: tuple[Sense, ...]
    uncountable_settings: frozenset[str]
    goal_marker_re: re.Pattern | None
    matcher: TermMatcher = field(repr=False, compare=False)
    #: term -> list of (theme, weight, is_setting)
    term_index: Mapping[str, tuple[tuple[str, float, bool], ...]] = field(repr=False, compare=False)

    @property
    def codes(self) -> list[str]:
        """Theme codes in codebook order."""
        return list(self.themes)

    @property
    def labels(self) -> dict[str, str]:
        """Theme code -> Chinese label."""
        return {c: t.label for c, t in self.themes.items()}

    def claims(self) -> dict[str, list[str]]:
        """Term -> themes that list it (setting names included)."""
        out: dict[str, list[str]] = {}
        for code, th in self.themes.items():
            for t in [*th.terms, *th.setting]:
                out.setdefault(t, []).append(code)
        return out


def parse_codebook(data: Mapping) -> Codebook:
    """Build a :class:`Codebook` from the parsed YAML mapping.

    Raises:
        ValueError: If a theme has no terms or a weight is not positive.
    """
    themes: dict[str, Theme] = {}
    for code, spec in data["themes"].items():
        terms = {str(k): float(v) for k, v in (spec.get("terms") or {}).items()}
        setting = tuple(str(s) for s in spec.get("setting") or ())
        if not terms and not setting:
            raise ValueError(f"theme {code!r} has no terms")
        if any(w <= 0 for w in terms.values()):
            raise ValueError(f"theme {code!r} has a non-positive weight")
        themes[code] = Theme(
            code, spec["label"], spec.get("description", ""), bool(spec.get("level")), terms, setting
        )
    index: dict[str, list[tuple[str, float, bool]]] = {}
    for code, th in themes.items():
        for t, w in th.terms.items():
            index.setdefault(t, []).append((code, w, False))
        for t in th.setting:
            index.setdefault(t, []).append((code, 1.0, True))
    blockers = frozenset(str(b) for b in data.get("blockers") or ())
    heads = data.get("general_section_headings") or []
    goal_heads = data.get("overall_goal_headings") or []
    goal_markers = data.get("overall_goal_markers") or []
    reform = data.get("subject_reform") or {}
    quals = data.get("staff_qualifications") or {}
    usage = data.get("usage_only") or {}
    review = data.get("review_sections") or {}
    structure = data.get("level_structure") or {}
    level_terms = frozenset(str(t) for t in structure.get("terms") or ())
    missions = tuple(_level_mission(spec, themes) for spec in data.get("level_missions") or ())
    return Codebook(
        version=int(data.get("version", 1)),
        themes=themes,
        threshold=float(data.get("threshold", 1.0)),
        bare_list_factor=float(data.get("bare_list_factor", 0.5)),
        bare_list_min_items=int(data.get("bare_list_min_items", 3)),
        bare_list_max_item_chars=int(data.get("bare_list_max_item_chars", 8)),
        programme_verbs=tuple((data.get("bare_list_programme") or {}).get("verbs") or ()),
        programme_heads=tuple((data.get("bare_list_programme") or {}).get("heads") or ()),
        setting_weight_with_subject=float(data.get("setting_weight_with_subject", 0.34)),
        setting_weight_alone=float(data.get("setting_weight_alone", 0.5)),
        setting_count_weight=float(data.get("setting_count_weight", 1.0)),
        modifier_gap=int(data.get("level_modifier_gap", 0)),
        modifier_breaks=tuple(data.get("level_modifier_breaks") or ()),
        subject_reform_terms=frozenset(reform.get("terms") or ()),
        subject_reform_gap=int(reform.get("max_gap", 2)),
        passage_threshold=float(data.get("passage_threshold", 2.0)),
        general_heading_re=re.compile("|".join(map(re.escape, heads))) if heads else None,
        goal_heading_re=re.compile("|".join(map(re.escape, goal_heads))) if goal_heads else None,
        review_heading_re=re.compile(_alternation(review["headings"])) if review.get("headings") else None,
        review_marker_re=re.compile(_alternation(review["markers"])) if review.get("markers") else None,
        skip_kinds=frozenset(data.get("skip_kinds") or ()),
        mask_res=tuple(re.compile(p, re.M) for p in data.get("mask_patterns") or ()),
        blockers=blockers,
        overlaps={str(k): tuple(v) for k, v in (data.get("overlaps") or {}).items()},
        co_tag_rules=tuple(data.get("co_tag_rules") or ()),
        construction_verbs=tuple(data.get("construction_verbs") or ()),
        construction_theme=data.get("construction_theme"),
        taught_subjects=frozenset((data.get("taught_subjects") or {}).get("terms") or ()),
        taught_heads=tuple((data.get("taught_subjects") or {}).get("heads") or ()),
        absorb_rules=tuple(data.get("absorb_rules") or ()),
        construction_object_res=_construction_object_res(data.get("construction_objects") or {}),
        level_building_chars=int((data.get("construction_objects") or {}).get("level_before_chars", 0)),
        usage_terms=frozenset(usage.get("terms") or ()),
        usage_verbs=tuple(usage.get("verbs") or ()),
        usage_gap=int(usage.get("max_gap", 8)),
        qualification_terms=frozenset(quals.get("terms") or ()),
        qualification_heads=tuple(quals.get("heads") or ()),
        level_terms=level_terms,
        level_term_weight=float(structure.get("weight", 0.5)),
        level_missions=missions,
        phrases=tuple(_phrase(spec, themes) for spec in data.get("phrases") or ()),
        senses=tuple(_sense(spec) for spec in data.get("senses") or ()),
        uncountable_settings=frozenset(str(t) for t in data.get("uncountable_settings") or ()),
        goal_marker_re=re.compile(_alternation(goal_markers)) if goal_markers else None,
        matcher=TermMatcher([*index, *blockers, *level_terms, *(f for m in missions for f in m.functions)]),
        term_index={k: tuple(v) for k, v in index.items()},
    )


def _level_mission(spec: Mapping, themes: Mapping[str, Theme]) -> LevelMission:
    """Parse one ``level_missions`` entry.

    Raises:
        ValueError: If its level is not a level theme, an actor is not one of the level's names, a function
            is missing or a `through` theme is unknown.
    """
    name, level = str(spec["name"]), str(spec["level"])
    if level not in themes or not themes[level].level:
        raise ValueError(f"level mission {name!r}: {level!r} is not a level theme")
    actors = frozenset(str(a) for a in spec.get("actors") or ())
    own = {*themes[level].setting, *themes[level].terms}
    if not actors or not actors <= own:
        raise ValueError(f"level mission {name!r}: actors must be names of {level!r}: {sorted(actors - own)}")
    functions = frozenset(str(f) for f in spec.get("functions") or ())
    through = frozenset(str(t) for t in spec.get("through") or ())
    if not functions or not through <= set(themes):
        raise ValueError(f"level mission {name!r} needs functions and known `through` themes")
    used = spec.get("used_by") or {}
    return LevelMission(
        name=name,
        level=level,
        actors=actors,
        functions=functions,
        max_gap=int(spec.get("max_gap", 8)),
        weight=float(spec.get("weight", 1.0)),
        through=through,
        used_by=tuple(str(v) for v in used.get("verbs") or ()),
        used_gap=int(used.get("max_gap", 4)),
    )


def _phrase(spec: Mapping, themes: Mapping[str, Theme]) -> Phrase:
    """Parse one ``phrases`` entry.

    Raises:
        ValueError: If its theme is unknown or a word list is empty.
    """
    name, theme = str(spec["name"]), str(spec["theme"])
    first, second = tuple(spec.get("first") or ()), tuple(spec.get("second") or ())
    if theme not in themes or not first or not second:
        raise ValueError(f"phrase {name!r} needs a known theme and both word lists")
    return Phrase(
        name=name,
        theme=theme,
        first=first,
        second=second,
        max_gap=int(spec.get("max_gap", 16)),
        weight=float(spec.get("weight", 1.0)),
        unless=tuple(spec.get("unless") or ()),
    )


def _sense(spec: Mapping) -> Sense:
    """Parse one ``senses`` entry.

    Raises:
        ValueError: If it has no terms or no cue words.
    """
    name = str(spec["name"])
    terms = frozenset(str(t) for t in spec.get("terms") or ())
    before, after = tuple(spec.get("preceded_by") or ()), tuple(spec.get("followed_by") or ())
    if not terms or not (before or after):
        raise ValueError(f"sense {name!r} needs terms and cue words")
    end = spec.get("clause_end_within")
    return Sense(
        name=name,
        terms=terms,
        preceded_by=before,
        followed_by=after,
        max_gap=int(spec.get("max_gap", 16)),
        clause_end_within=None if end is None else int(end),
    )


def _alternation(words: Iterable[str]) -> str:
    return "(?:" + "|".join(map(re.escape, sorted(words, key=len, reverse=True))) + ")"


def _construction_object_res(spec: Mapping) -> tuple[re.Pattern, ...]:
    """Patterns of a construction verb with a school building as its object (rule 4): verb + noun
    ("建设特殊教育学校", "新建幼儿园") and noun + verb ("配套幼儿园建设", "校区建设", with an optional infix
    such as a project phase: "校园一期建设"), the noun not named after a brand ("智慧校园建设", "清廉学校建设"
    are not buildings)."""
    verbs, nouns = spec.get("verbs") or (), spec.get("nouns") or ()
    if not verbs or not nouns:
        return ()
    gap = int(spec.get("max_gap", 2))
    brands = spec.get("brand_modifiers") or ()
    not_brand = "".join(f"(?<!{re.escape(b)})" for b in brands)
    verb_noun = f"{_alternation(verbs)}{OBJECT_GAP}{{0,{gap}}}?{_alternation(nouns)}{OBJECT_END}"
    noun_verb = (
        not_brand
        + _alternation(spec.get("nouns_before_verb") or nouns)
        + _alternation(spec.get("infixes") or ["的"])
        + "?"
        + _alternation(spec.get("verbs_after_noun") or verbs)
    )
    return re.compile(verb_noun), re.compile(noun_verb)


@functools.lru_cache(maxsize=8)
def _load_codebook_cached(path: str) -> Codebook:
    with open(path, encoding="utf-8") as fh:
        return parse_codebook(yaml.safe_load(fh))


def load_codebook(path: str | Path | None = None) -> Codebook:
    """Load the theme codebook (default: the packaged ``themes.yaml``).

    Args:
        path: Another codebook file (same format).

    Returns:
        The parsed codebook (cached per path).
    """
    return _load_codebook_cached(str(path or resource_path("themes.yaml")))


# --------------------------------------------------------------------------------------------------
# Sentence tagging
# --------------------------------------------------------------------------------------------------
@dataclass
class _Cand:
    score: float = 0.0
    terms: dict[str, float] = field(default_factory=dict)
    rules: list[str] = field(default_factory=list)

    def evidence(self) -> str:
        parts = [f"{t}({w:.2g})" for t, w in self.terms.items()]
        return "; ".join(parts + [f"rule:{r}" for r in self.rules])


def is_general_section(heading: str | None, *, codebook: Codebook | None = None) -> bool:
    """Whether a section heading marks general statements that carry no theme (rules 1-2)."""
    cb = codebook or load_codebook()
    return bool(heading and cb.general_heading_re is not None and cb.general_heading_re.search(heading))


def _merge_overlaps(hits: list[tuple[Match, float]]) -> list[tuple[Match, float]]:
    """One theme's hits with partly overlapping hits merged (中等职业教育 is one mention, not 中等职业 + 职业教育):
    of two overlapping hits only the heavier (on a tie, the first) is kept."""
    kept: list[tuple[Match, float]] = []
    for h, w in sorted(hits, key=lambda x: (x[0].start, -x[1])):
        if kept and h.start < kept[-1][0].end:
            if w > kept[-1][1]:
                kept[-1] = (h, w)
            continue
        kept.append((h, w))
    return kept


def _cand(hits: list[tuple[Match, float]]) -> _Cand:
    cand = _Cand()
    for h, w in _merge_overlaps(hits):
        cand.terms[h.term] = max(cand.terms.get(h.term, 0.0), w)
    cand.score = sum(cand.terms.values())
    return cand


def _clause_no(text: str, pos: int) -> int:
    return len(CLAUSE_END_RE.findall(text[:pos]))


def _clause_text(text: str, pos: int) -> str:
    """The clause (between clause separators) around position ``pos``."""
    start = max((m.end() for m in CLAUSE_END_RE.finditer(text, 0, pos)), default=0)
    end = CLAUSE_END_RE.search(text, pos)
    return text[start : end.start() if end else len(text)]


def _same_clause(text: str, start: int, end: int) -> bool:
    return start <= end and not CLAUSE_END_RE.search(text[start:end])


def score_sentence(text: str, *, codebook: Codebook | None = None) -> dict[str, _Cand]:
    """Score every theme for one sentence (all candidates, including those below the threshold).

    Args:
        text: Sentence text (simplified).
        codebook: Codebook to use (default: packaged).

    Returns:
        Theme code -> candidate with ``score``, matched ``terms`` and fired ``rules``.
    """
    cb = codebook or load_codebook()
    masked = apply_masks(text, cb.mask_res)
    found = _drop_partial_overlaps(cb.matcher.find(masked), cb)
    hits = [h for h in found if h.term in cb.term_index]
    structure_hits = [h for h in found if h.term in cb.level_terms]
    lists = bare_list_spans(
        masked,
        min_items=cb.bare_list_min_items,
        max_item_chars=cb.bare_list_max_item_chars,
        programme_verbs=cb.programme_verbs,
        programme_heads=cb.programme_heads,
    )
    asides = [(m.start(), m.end()) for m in SHORT_BRACKET_RE.finditer(masked)]
    subj_hits: dict[str, list[tuple[Match, float]]] = {}
    setting_hits: dict[str, list[tuple[Match, float]]] = {}
    rules: dict[str, list[str]] = {}
    taught_rule = qual_rule = False
    for h in hits:
        sense = _other_sense(masked, h, cb)
        if sense is not None:
            # v5: the term is read in another sense ("通过…督导评估" is passed, "编制…规划" is drafted)
            for code, _, _ in cb.term_index[h.term]:
                if sense not in rules.get(code, []):
                    rules.setdefault(code, []).append(sense)
            continue
        if h.term in cb.usage_terms:
            before = CLAUSE_END_RE.split(masked[max(0, h.start - cb.usage_gap) : h.start])[-1]
            if any(v in before for v in cb.usage_verbs):
                # rule 10: using a platform ("依托/推广…平台") is not building one
                for code, _, _ in cb.term_index[h.term]:
                    if "platform_use" not in rules.get(code, []):
                        rules.setdefault(code, []).append("platform_use")
                continue
        factor = cb.bare_list_factor if _in_spans(h, lists) else 1.0
        if h.term in cb.taught_subjects:
            rest = CLAUSE_END_RE.split(masked[h.end :], maxsplit=1)[0]
            if any(head in rest for head in cb.taught_heads):
                taught_rule = True
                continue
        if h.term in cb.qualification_terms and any(
            head in _clause_text(masked, h.start) for head in cb.qualification_heads
        ):
            # a degree as the qualification of staff ("教师研究生学历比例") is a teachers measure (rule 3)
            qual_rule = True
            continue
        for code, w, is_setting in cb.term_index[h.term]:
            if is_setting:
                # a level named in a short bracket ("民办学校（幼儿园）") is an aside: it counts like a list item
                aside = cb.bare_list_factor if _in_spans(h, asides) else 1.0
                setting_hits.setdefault(code, []).append((h, factor * aside))
            else:
                subj_hits.setdefault(code, []).append((h, w * factor))
    for phrase in cb.phrases:
        # v5: a governing word and a theme word in one clause ("纳入…考核", "配备…教师")
        for m in _phrase_hits(masked, phrase):
            factor = cb.bare_list_factor if _in_spans(m, lists) else 1.0
            subj_hits.setdefault(phrase.theme, []).append((m, phrase.weight * factor))
            if phrase.name not in rules.get(phrase.theme, []):
                rules.setdefault(phrase.theme, []).append(phrase.name)
    subj_hits = {code: _merge_overlaps(hs) for code, hs in subj_hits.items()}
    # rule 5: a reform pilot named after a subject ("学校体育综合改革试点") belongs to that subject
    reform_code = next((c for c, th in cb.themes.items() if cb.subject_reform_terms & set(th.terms)), None)
    if reform_code in subj_hits:
        others = [h for c, hs in subj_hits.items() if c != reform_code for h, _ in hs]
        others += [h for hs in setting_hits.values() for h, _ in hs]
        kept = []
        for h, w in subj_hits[reform_code]:
            if h.term in cb.subject_reform_terms and any(
                0 <= h.start - o.end <= cb.subject_reform_gap and _same_clause(masked, o.end, h.start)
                for o in others
            ):
                rules.setdefault(reform_code, []).append("subject_reform")
                continue
            kept.append((h, w))
        subj_hits[reform_code] = kept
    subject = {code: _cand(hs) for code, hs in subj_hits.items() if hs}
    cross_codes = {
        code for code, c in subject.items() if c.score >= cb.threshold and not cb.themes[code].level
    }
    # rule 3: a level's own term that modifies a cross-cutting measure ("公办园…编制教师", "高中教育…质量监测",
    # "托育机构消防安全") is only its setting
    if cb.modifier_gap and cross_codes:
        # (building or expanding the level's own schools is its project, rule 4: "公办园普惠园扩容计划")
        heads = sorted(h.start for c in cross_codes - {cb.construction_theme} for h, _ in subj_hits[c])
        for code in [c for c in subject if cb.themes[c].level]:
            new = []
            for h, w in subj_hits[code]:
                nxt = next((s for s in heads if s >= h.end), None)
                if (
                    nxt is not None
                    and nxt - h.end <= cb.modifier_gap
                    and _same_clause(masked, h.end, nxt)
                    and not any(b in masked[h.end : nxt] for b in cb.modifier_breaks)
                    and w > cb.setting_weight_with_subject
                ):
                    w = cb.setting_weight_with_subject
                    if "level_modifier" not in rules.get(code, []):
                        rules.setdefault(code, []).append("level_modifier")
                new.append((h, w))
            subj_hits[code] = new
            subject[code] = _cand(new)
    if taught_rule:
        for code in subject:
            rules.setdefault(code, []).append("taught_subject_setting")
    if qual_rule:
        for code in subject:
            rules.setdefault(code, []).append("staff_qualification_setting")
    cross = bool(cross_codes)
    # a level named with its own structure (an access rate, enrolment, curriculum) in a clause without a cross-cutting
    # term is not the setting of a measure in another clause (v5, rule 3): the clauses of a goal sentence are
    # separate goals ("新增公办学位1.5万个，义务教育巩固率达到98.5%")
    cross_clauses = {_clause_no(masked, h.start) for c in cross_codes for h, _ in subj_hits[c]}
    own_clauses = {_clause_no(masked, h.start) for h in structure_hits} - cross_clauses
    counted = False
    # rule 4: a level named in a clause with a full-weight supply term gets its own project
    # ("制定高中学校基本建设攻坚行动方案", "改善高校办学条件", "优化职业学校布局")
    # (a bare construction verb is not a project: "新建或改扩建中小学及幼儿园" is school building in general)
    project_clauses = {
        _clause_no(masked, h.start)
        for h, w in subj_hits.get(cb.construction_theme or "", [])
        if w >= cb.threshold and not any(v in h.term for v in cb.construction_verbs)
    }
    for code, shits in setting_hits.items():
        weighted = []
        for h, factor in shits:
            # a count before the name of a field of education counts the noun after it ("2个学前教育教研
            # 责任区"): only school types take a count before them (v5)
            if COUNT_AFTER_RE.match(masked[h.end :]) or (
                h.term not in cb.uncountable_settings
                and COUNT_BEFORE_RE.search(masked[max(0, h.start - 8) : h.start])
            ):
                w = cb.setting_count_weight
                counted = True
            elif _clause_no(masked, h.start) in project_clauses:
                w = cb.setting_count_weight
                if "level_project" not in rules.get(code, []):
                    rules.setdefault(code, []).append("level_project")
            elif not cross or _clause_no(masked, h.start) in own_clauses:
                w = cb.setting_weight_alone
            else:
                w = cb.setting_weight_with_subject
            weighted.append((h, w * factor))
        merged = _merge_overlaps(weighted)
        # a name repeated in the sentence counts once, with its best weight ("普通高中6所…普通高中新增学位")
        best: dict[str, float] = {}
        for h, w in merged:
            best[h.term] = max(best.get(h.term, 0.0), w)
        setting_score = sum(best.values())
        cand = subject.setdefault(code, _Cand())
        for h, w in merged:
            cand.terms.setdefault(h.term, 0.0)
            cand.terms[h.term] = max(cand.terms[h.term], w)
        cand.score = sum(w for t, w in cand.terms.items() if t not in {h.term for h, _ in merged})
        cand.score += setting_score
        if cross:
            rules.setdefault(code, []).append("setting")
    # rule 3: a level's own structure (programmes, enrolment, standing) belongs to the level named last before
    # it in its clause ("高校…重点学科建设"; "示范高中办学质量、录取…高校人数" is the 高中's), else the first after it
    # (levels coordinated right before it share it: "高等学校、职业院校办学层次")
    mentions = sorted(
        (h.start, h.end, code)
        for code, hs in [*setting_hits.items(), *subj_hits.items()]
        if cb.themes[code].level
        for h, _ in hs
    )
    for h in structure_hits:
        clause = _clause_no(masked, h.start)
        same = [m for m in mentions if _clause_no(masked, m[0]) == clause]
        before = [m for m in same if m[1] <= h.start]
        owners: list[str] = []
        if before:
            owners.append(before[-1][2])
            for prev, nxt in zip(before[-2::-1], before[:0:-1], strict=True):
                if not COORDINATION_RE.fullmatch(masked[prev[1] : nxt[0]]):
                    break
                owners.append(prev[2])
        else:
            owners = [m[2] for m in same if m[0] >= h.end][:1]
        w = cb.level_term_weight * (cb.bare_list_factor if _in_spans(h, lists) else 1.0)
        for owner in dict.fromkeys(owners):
            cand = subject.setdefault(owner, _Cand())
            if w > cand.terms.get(h.term, 0.0):
                cand.score += w - cand.terms.get(h.term, 0.0)
                cand.terms[h.term] = w
                if "level_structure" not in rules.get(owner, []):
                    rules.setdefault(owner, []).append("level_structure")
    _apply_level_missions(masked, found, subj_hits, setting_hits, subject, rules, lists, cb)
    # absorption (rules 7, 9, 11 ...): generic words of `theme` stay with `by` when `by` is tagged
    for rule in cb.absorb_rules:
        by, theme = rule["by"], rule["theme"]
        if theme not in subject or by not in subject or subject[by].score < cb.threshold:
            continue
        if rule.get("when") and not any(t in masked for t in rule["when"]):
            continue
        cand = subject[theme]
        dropped = [t for t in cand.terms if t in set(rule["terms"])]
        if rule.get("scope") == "clause":
            # only words in a clause that also names `by` ("设立…专项资金，用好…编制" keeps its fund)
            by_clauses = {
                _clause_no(masked, h.start) for h, _ in [*subj_hits.get(by, []), *setting_hits.get(by, [])]
            }
            dropped = [
                t
                for t in dropped
                if any(_clause_no(masked, h.start) in by_clauses for h, _ in subj_hits[theme] if h.term == t)
            ]
        if dropped:
            for t in dropped:
                cand.score -= cand.terms.pop(t)
            cand.score = max(cand.score, 0.0)
            rules.setdefault(theme, []).append(f"{rule['name']}_absorbed")
    for code, rs in rules.items():
        if code in subject:
            subject[code].rules.extend(rs)
    built = cb.construction_theme
    unbracketed = SHORT_BRACKET_RE.sub("", masked)
    objects = [m.group(0) for pat in cb.construction_object_res for m in pat.finditer(unbracketed)]
    if built and objects:
        cand = subject.setdefault(built, _Cand())
        if cand.score < cb.threshold:
            cand.score = cb.threshold
            cand.rules.append("construction_object:" + "/".join(dict.fromkeys(objects)))
    if built:
        for code, name in _levels_building(unbracketed, cb):
            cand = subject.setdefault(code, _Cand())
            if cb.setting_count_weight > cand.terms.get(name, 0.0):
                cand.score += cb.setting_count_weight - cand.terms.get(name, 0.0)
                cand.terms[name] = cb.setting_count_weight
            if "level_building" not in cand.rules:
                cand.rules.append("level_building")
    if counted and built and any(v in unbracketed for v in cb.construction_verbs):
        cand = subject.setdefault(built, _Cand())
        if cand.score < cb.threshold:
            cand.score = cb.threshold
            cand.rules.append("construction_count")
    for rule in cb.co_tag_rules:
        src, add = rule["if_tagged"], rule["add"]
        if src in subject and subject[src].score >= cb.threshold and any(t in masked for t in rule["terms"]):
            cand = subject.setdefault(add, _Cand())
            if cand.score < cb.threshold:
                cand.score = cb.threshold
                cand.rules.append(rule["name"])
    return subject


def _drop_partial_overlaps(found: list[Match], cb: Codebook) -> list[Match]:
    """A level name that partly overlaps a strictly longer hit loses to it (v5), as in a longest-match
    segmentation: "五大学科竞赛" reads 学科竞赛, not 大学. Other terms keep partial overlaps ("义务教育质量监测" is a
    compulsory measure and a monitoring measure), and so do hits of equal length (中等职业 + 职业教育, merged later)."""
    return [
        h
        for h in found
        if not (
            h.term in cb.term_index
            and all(is_setting for _, _, is_setting in cb.term_index[h.term])
            and any(
                (o.end - o.start) > (h.end - h.start) and o.start < h.end and h.start < o.end for o in found
            )
        )
    ]


def _other_sense(masked: str, h: Match, cb: Codebook) -> str | None:
    """Name of the ``senses`` rule that reads hit ``h`` in another sense (cue word in its clause), else None."""
    for sense in cb.senses:
        if h.term not in sense.terms:
            continue
        rest = CLAUSE_END_RE.split(masked[h.end :], maxsplit=1)[0]
        if sense.clause_end_within is not None and len(rest) > sense.clause_end_within:
            continue
        longest = max(map(len, (*sense.preceded_by, *sense.followed_by)))
        before = CLAUSE_END_RE.split(masked[max(0, h.start - sense.max_gap - longest) : h.start])[-1]
        after = rest[: sense.max_gap + longest]
        if any(c in before for c in sense.preceded_by) or any(c in after for c in sense.followed_by):
            return sense.name
    return None


def _phrase_hits(masked: str, phrase: Phrase) -> list[Match]:
    """Hits of a collocation: each ``second`` word with a ``first`` word at most ``max_gap`` characters before it in
    its clause and no ``unless`` word between them (the hit spans the ``second`` word and is named after it)."""
    out = []
    longest = max(map(len, phrase.first))
    for word in phrase.second:
        start = masked.find(word)
        while start >= 0:
            window = CLAUSE_END_RE.split(masked[max(0, start - phrase.max_gap - longest) : start])[-1]
            for first in phrase.first:
                pos = window.rfind(first)
                if pos >= 0 and not any(u in window[pos:] for u in phrase.unless):
                    out.append(Match(start, start + len(word), word))
                    break
            start = masked.find(word, start + 1)
    return out


def _apply_level_missions(
    masked: str,
    found: list[Match],
    subj_hits: Mapping[str, list[tuple[Match, float]]],
    setting_hits: Mapping[str, list[tuple[Match, float]]],
    subject: dict[str, _Cand],
    rules: dict[str, list[str]],
    lists: list[tuple[int, int]],
    cb: Codebook,
) -> None:
    """Rule 3, a level's own mission: a function word whose nearest preceding level name in its clause is one of
    the mission's actors (at most ``max_gap`` characters before it, no other cross-cutting theme's term in between,
    the actor not the object of a verb of use such as 依托) gives the level ``weight`` (in place)."""
    if not cb.level_missions:
        return
    levels = sorted(
        (h.start, h.end, h.term, code)
        for code, hs in [*setting_hits.items(), *subj_hits.items()]
        if cb.themes[code].level
        for h, _ in hs
    )
    for mission in cb.level_missions:
        between_ok = {mission.level, *mission.through}
        blocking = [
            h
            for code, hs in subj_hits.items()
            if code not in between_ok and not cb.themes[code].level
            for h, _ in hs
            if h.term not in mission.functions
        ]
        for f in (h for h in found if h.term in mission.functions):
            before = [m for m in levels if m[1] <= f.start and _same_clause(masked, m[1], f.start)]
            if not before:
                continue
            start, end, actor, code = before[-1]
            if code != mission.level or actor not in mission.actors or f.start - end > mission.max_gap:
                continue
            if any(end <= b.start < f.start for b in blocking):
                continue  # the actor is the setting of another measure ("高校艺术课程纳入人才培养方案")
            lead = CLAUSE_END_RE.split(masked[max(0, start - mission.used_gap) : start])[-1]
            if any(v in lead for v in mission.used_by):
                continue  # the institution is used, not acting ("依托高校学科优势开展教师培训")
            w = mission.weight * (cb.bare_list_factor if _in_spans(f, lists) else 1.0)
            cand = subject.setdefault(code, _Cand())
            if w > cand.terms.get(actor, 0.0):
                cand.score += w - cand.terms.get(actor, 0.0)
                cand.terms[actor] = w
                if mission.name not in rules.get(code, []):
                    rules.setdefault(code, []).append(mission.name)


def _levels_building(text: str, cb: Codebook) -> list[tuple[str, str]]:
    """Rule 4: a level named right before the school building it builds ("**大学校园建设", "普通高中校舍改造",
    "高校学生宿舍建设") gets its own project: ``(level theme, level name)`` of each such building (noun + verb
    pattern of ``construction_objects``; a generic 中小学 is a blocker, not a level)."""
    if not cb.construction_object_res or not cb.level_building_chars:
        return []
    out = []
    for m in cb.construction_object_res[-1].finditer(text):
        window = text[max(0, m.start() - cb.level_building_chars) : m.start()]
        last = [h for h in cb.matcher.find(window) if h.end == len(window)]
        for h in last[-1:]:
            out += [
                (code, h.term)
                for code, _, is_setting in cb.term_index.get(h.term, ())
                if is_setting and cb.themes[code].level
            ]
    return out


def tag_sentence(text: str, *, codebook: Codebook | None = None) -> list[tuple[str, float, str]]:
    """Themes of one sentence that reach the threshold.

    Args:
        text: Sentence text (simplified).
        codebook: Codebook to use (default: packaged).

    Returns:
        ``(theme_code, score, evidence)`` tuples in codebook order.
    """
    cb = codebook or load_codebook()
    cands = score_sentence(text, codebook=cb)
    return [
        (code, round(cands[code].score, 4), cands[code].evidence())
        for code in cb.codes
        if code in cands and cands[code].score >= cb.threshold
    ]


def _section_headings(passages: pd.DataFrame) -> list[list[str]]:
    """For each passage: its own heading and the headings of every enclosing section (from the heading
    passages whose section path is a prefix of its own), so items under "（二）基本理念" know their section."""
    get = {
        c: passages[c] if c in passages else pd.Series(None, index=passages.index)
        for c in ("doc_id", "section_path", "heading", "kind", "text")
    }
    sections: dict[tuple, str] = {}
    for doc, path, kind, text, head in zip(
        get["doc_id"], get["section_path"], get["kind"], get["text"], get["heading"], strict=True
    ):
        if kind == "heading" and isinstance(path, str) and path:
            sections[(doc, path)] = (
                head if isinstance(head, str) and head else (text if isinstance(text, str) else "")
            )
    out = []
    for doc, path, head, text in zip(
        get["doc_id"], get["section_path"], get["heading"], get["text"], strict=True
    ):
        names = (
            [head]
            if isinstance(head, str) and head
            else [text[:GLUED_HEADING_CHARS] if isinstance(text, str) else ""]
        )
        if isinstance(path, str) and path:
            parts = path.split("/")
            names += [sections.get((doc, "/".join(parts[:k]))) or "" for k in range(1, len(parts) + 1)]
        out.append([n for n in names if n])
    return out


def _reviews_only(heading: str, cb: Codebook) -> bool:
    """Whether a heading names a review section and nothing general ("发展成就", not "发展基础和面临形势")."""
    return bool(cb.review_heading_re is not None and cb.review_heading_re.search(heading)) and not (
        is_general_section(heading, codebook=cb)
    )


def _passage_context(passages: pd.DataFrame, cb: Codebook) -> pd.DataFrame:
    """Per passage: whether it is skipped (kind) or general (preamble, or a general section such as 指导思想)."""
    ctx = passages[["passage_id"]].copy()
    kinds = passages["kind"] if "kind" in passages else pd.Series("paragraph", index=passages.index)
    paths = passages["section_path"] if "section_path" in passages else pd.Series("", index=passages.index)
    ctx["skip"] = kinds.isin(cb.skip_kinds).to_numpy()
    has_path = paths.map(lambda p: isinstance(p, str) and p != "")
    docs = passages["doc_id"] if "doc_id" in passages else pd.Series("", index=passages.index)
    structured = has_path.groupby(docs).transform("any")
    preamble = (~has_path & structured).to_numpy()
    headings = _section_headings(passages)
    # a section reviewing past achievements (its own or its innermost section heading, so that "一、主要成就与
    # 赶超指向 / （二）赶超指向" is not one): only specific results count
    ctx["review"] = [
        bool(
            heads
            and cb.review_heading_re is not None
            and cb.review_heading_re.search(heads[0] + " " + heads[-1])
        )
        for heads in headings
    ]
    # a general section ("发展基础和面临形势") does not swallow a review subsection of its own ("（一）发展成就",
    # "（二）存在的短板"): there the review rule decides, unless that heading is general itself (v5, rule 2)
    ctx["general"] = [
        bool(pre)
        or (
            any(is_general_section(h, codebook=cb) for h in heads)
            and not (review and any(_reviews_only(h, cb) for h in (heads[0], heads[-1])))
        )
        for heads, pre, review in zip(headings, preamble, ctx["review"], strict=True)
    ]
    # the passage's own heading (or glued heading) names the overall goal: only quantified sentences count
    ctx["overall_goal"] = [
        bool(heads and cb.goal_heading_re is not None and cb.goal_heading_re.search(heads[0]))
        for heads in headings
    ]
    return ctx


def _general_sentences(sentences: pd.DataFrame, ctx: pd.DataFrame, cb: Codebook) -> set[str]:
    """Sentences of overall-goal passages without a quantified target, and sentences of review sections
    with neither a number nor a marker of a specific result ("列为", "率先", a quoted name) (rule 2)."""
    goal = set(ctx.loc[ctx["overall_goal"], "passage_id"])
    review = set(ctx.loc[ctx["review"], "passage_id"]) - goal if "review" in ctx else set()
    if not goal and not review:
        return set()
    sel = sentences[sentences["passage_id"].isin(goal | review)]
    out = set()
    for sid, pid, text in zip(sel["sentence_id"], sel["passage_id"], sel["text"], strict=True):
        text = text if isinstance(text, str) else ""
        if QUANTIFIED_RE.search(text):
            continue
        if pid in goal and cb.goal_marker_re is not None and cb.goal_marker_re.search(text):
            continue  # "办学条件全部达标", "实现全覆盖": a quantified goal in words (v5)
        if pid in review and cb.review_marker_re is not None and cb.review_marker_re.search(text):
            continue
        out.add(sid)
    return out


def tag_sentences(
    sentences: pd.DataFrame, *, passages: pd.DataFrame | None = None, codebook: Codebook | None = None
) -> pd.DataFrame:
    """Tag every sentence with codebook themes.

    Args:
        sentences: The ``sentences`` table (``doc_id, passage_id, sentence_id, text``).
        passages: The ``passages`` table; used for the kind and section context (responsibility lines are
            skipped, sentences in general sections and in the preamble carry no theme).
        codebook: Codebook to use (default: packaged).

    Returns:
        The ``theme_tags_sentence`` table.
    """
    cb = codebook or load_codebook()
    if sentences is None or sentences.empty:
        return THEME_TAGS_SENTENCE.empty()
    from compare.instruments import taggable_sentences  # instruments imports this module

    ctx = None
    general_sents: set[str] = set()
    if passages is not None and not passages.empty:
        ctx = _passage_context(passages, cb)
        general_sents = _general_sentences(sentences, ctx, cb)
    rows = []
    for doc, pid, sid, text, h in taggable_sentences(sentences, passages, context=ctx):
        if sid in general_sents:
            continue
        for code, score, ev in tag_sentence(text, codebook=cb):
            rows.append(
                (doc, pid, sid, code, cb.themes[code].label, score, ev, h if isinstance(h, str) else "")
            )
    if not rows:
        return THEME_TAGS_SENTENCE.empty()
    return pd.DataFrame(rows, columns=THEME_TAGS_SENTENCE.names)


def _title_of(passage: Mapping, first_sentence: str | None) -> list[str]:
    """Heading candidates of a passage: an item's own short lead sentence, then its section heading."""
    out = []
    if passage.get("kind") in ("item", "heading") and first_sentence and len(first_sentence) <= 30:
        out.append(first_sentence)
    head = passage.get("heading")
    if isinstance(head, str) and head:
        out.append(head)
    return out


def tag_passages(
    sentence_tags: pd.DataFrame,
    *,
    sentences: pd.DataFrame,
    passages: pd.DataFrame,
    codebook: Codebook | None = None,
) -> pd.DataFrame:
    """Aggregate sentence tags to passages and choose each passage's primary theme (rule 13).

    A passage carries every theme of its sentences, plus a theme whose weights summed over its sentences
    reach ``passage_threshold`` although no single sentence did (rule ``passage_accumulation``).
    Primary theme: the theme of the passage's heading (an item's lead sentence or its section heading) if
    the passage carries it; else the theme with most tagged sentences; on a tie, the first mentioned.

    Args:
        sentence_tags: Output of :func:`tag_sentences`.
        sentences: The ``sentences`` table.
        passages: The ``passages`` table.
        codebook: Codebook to use (default: packaged).

    Returns:
        The ``theme_tags_passage`` table.
    """
    cb = codebook or load_codebook()
    if passages is None or passages.empty or sentences is None or sentences.empty:
        return THEME_TAGS_PASSAGE.empty()
    ctx = _passage_context(passages, cb)
    excluded = set(ctx.loc[ctx["skip"] | ctx["general"], "passage_id"])
    general_sents = _general_sentences(sentences, ctx, cb)
    seq = dict(zip(sentences["sentence_id"], sentences["seq"], strict=True)) if "seq" in sentences else {}
    by_pas: dict[str, list[tuple[str, str]]] = {}
    for pid, sid, text in zip(
        sentences["passage_id"], sentences["sentence_id"], sentences["text"], strict=True
    ):
        if sid not in general_sents:
            by_pas.setdefault(pid, []).append((sid, text if isinstance(text, str) else ""))
    tags_by_pas: dict[str, pd.DataFrame] = (
        dict(tuple(sentence_tags.groupby("passage_id", sort=False))) if len(sentence_tags) else {}
    )
    rows = []
    for p in passages.to_dict("records"):
        pid = p["passage_id"]
        if pid in excluded:
            continue
        sents = sorted(by_pas.get(pid, []), key=lambda s: seq.get(s[0], 0))
        st = tags_by_pas.get(pid)
        agg: dict[str, dict] = {}
        if st is not None:
            for r in st.itertuples(index=False):
                a = agg.setdefault(
                    r.theme_code, {"score": 0.0, "n": 0, "first": seq.get(r.sentence_id, 0), "ev": []}
                )
                a["score"] += float(r.score)
                a["n"] += 1
                a["first"] = min(a["first"], seq.get(r.sentence_id, 0))
                a["ev"].append(r.evidence)
        # accumulation over sentences
        acc: dict[str, _Cand] = {}
        for sid, text in sents:
            for code, cand in score_sentence(text, codebook=cb).items():
                if code in agg or cand.score <= 0:
                    continue
                # distinct terms over the passage: a term repeated in several sentences counts once
                a = acc.setdefault(code, _Cand())
                for t, w in cand.terms.items():
                    a.terms[t] = max(a.terms.get(t, 0.0), w)
                a.score = sum(a.terms.values())
                a.rules.append(sid)
        for code, a in acc.items():
            if a.score >= cb.passage_threshold:
                first = min(seq.get(s, 0) for s in a.rules)
                ev = "; ".join(f"{t}({w:.2g})" for t, w in a.terms.items()) + "; rule:passage_accumulation"
                agg[code] = {"score": a.score, "n": 0, "first": first, "ev": [ev]}
        if not agg:
            continue
        primary, why = _primary(agg, _title_of(p, sents[0][1] if sents else None), cb)
        sha = p.get("source_sha256", "")
        for code in sorted(agg, key=lambda c: (agg[c]["first"], cb.codes.index(c))):
            a = agg[code]
            ev = "; ".join(dict.fromkeys("; ".join(a["ev"]).split("; ")))
            rows.append(
                (
                    p["doc_id"],
                    pid,
                    code,
                    cb.themes[code].label,
                    round(a["score"], 4),
                    a["n"],
                    code == primary,
                    why if code == primary else None,
                    ev,
                    sha if isinstance(sha, str) else "",
                )
            )
    if not rows:
        return THEME_TAGS_PASSAGE.empty()
    return pd.DataFrame(rows, columns=THEME_TAGS_PASSAGE.names)


def _primary(agg: dict[str, dict], titles: list[str], cb: Codebook) -> tuple[str, str]:
    # a heading naming a level ("推进普通高中优质特色发展") maps to it: level names count alone here
    heading_min = min(cb.threshold, cb.setting_weight_alone)
    for title in titles:
        cands = score_sentence(title, codebook=cb)
        ranked = sorted(
            (c for c in cands if cands[c].score >= heading_min and c in agg), key=lambda c: -cands[c].score
        )
        if ranked:
            return ranked[0], "heading"
    best = max(agg.values(), key=lambda a: a["n"])["n"]
    top = [c for c in agg if agg[c]["n"] == best]
    if len(top) == 1:
        return top[0], "most_measures"
    return min(top, key=lambda c: (agg[c]["first"], cb.codes.index(c))), "first_mentioned"


# --------------------------------------------------------------------------------------------------
# TF-IDF second opinion
# --------------------------------------------------------------------------------------------------
def tfidf_suggestions(
    passage_tags: pd.DataFrame,
    *,
    tokens: pd.DataFrame,
    passages: pd.DataFrame,
    min_similarity: float = 0.15,
    codebook: Codebook | None = None,
) -> pd.DataFrame:
    """Suggest themes for passages with no lexicon tag that are close to a theme's tagged passages.

    A TF-IDF model is fitted on the passages' content tokens (stopwords and numbers excluded). Each theme
    is represented by its tagged passages; an untagged passage is suggested the theme of its most similar
    tagged passage when the cosine similarity reaches ``min_similarity``.

    Args:
        passage_tags: Output of :func:`tag_passages`.
        tokens: The ``tokens`` table.
        passages: The ``passages`` table (responsibility lines and general sections are not suggested).
        min_similarity: Cosine threshold.
        codebook: Codebook to use (default: packaged).

    Returns:
        The ``theme_suggestions`` table (separate from the tags).
    """
    from sklearn.feature_extraction.text import TfidfVectorizer

    cb = codebook or load_codebook()
    if (
        tokens is None
        or tokens.empty
        or passages is None
        or passages.empty
        or passage_tags is None
        or passage_tags.empty
    ):
        return THEME_SUGGESTIONS.empty()
    content = tokens[~tokens["is_stopword"].astype(bool) & ~tokens["is_number"].astype(bool)]
    docs = content.groupby("passage_id", sort=False)["token"].apply(list)
    docs = docs[docs.map(len) > 0]
    if len(docs) < 2:
        return THEME_SUGGESTIONS.empty()
    vec = TfidfVectorizer(analyzer=lambda x: x, min_df=1, sublinear_tf=True)
    mat = vec.fit_transform(docs.tolist())
    vocab = np.array(vec.get_feature_names_out())
    pid_index = {p: i for i, p in enumerate(docs.index)}
    tagged = passage_tags.groupby("passage_id")["theme_code"].apply(set).to_dict()
    ctx = _passage_context(passages, cb)
    candidates = [
        p for p in ctx.loc[~ctx["skip"] & ~ctx["general"], "passage_id"] if p not in tagged and p in pid_index
    ]
    kinds = dict(
        zip(passages["passage_id"], passages.get("kind", pd.Series("", index=passages.index)), strict=True)
    )
    candidates = [p for p in candidates if kinds.get(p) != "heading"]
    tagged_ids = [p for p in tagged if p in pid_index]
    if not candidates or not tagged_ids:
        return THEME_SUGGESTIONS.empty()
    doc_of = dict(zip(passages["passage_id"], passages["doc_id"], strict=True))
    return suggestions_from_vectors(
        mat,
        vocab=vocab,
        pid_index=pid_index,
        candidates=candidates,
        tagged={p: tagged[p] for p in tagged_ids},
        doc_of=doc_of,
        min_similarity=min_similarity,
        codebook=cb,
    )


#: Cells of one block of candidate x tagged similarities (bounds the memory of the TF-IDF second opinion).
SUGGESTION_BLOCK_CELLS = 1_000_000


def suggestions_from_vectors(
    mat,
    *,
    vocab: np.ndarray,
    pid_index: Mapping[str, int],
    candidates: list[str],
    tagged: Mapping[str, set[str]],
    doc_of: Mapping[str, str],
    min_similarity: float = 0.15,
    codebook: Codebook | None = None,
) -> pd.DataFrame:
    """The ``theme_suggestions`` rows from fitted TF-IDF passage vectors (the core of :func:`tfidf_suggestions`).

    Each candidate gets, per theme, its most similar tagged passage of that theme (ties: the smallest
    passage id) when the cosine similarity reaches ``min_similarity``. Candidates are scored in blocks of at
    most :data:`SUGGESTION_BLOCK_CELLS` similarities, so memory does not grow with candidates x tagged.

    Args:
        mat: L2-normalised sparse TF-IDF rows of the passages.
        vocab: Term of each column.
        pid_index: Row of each passage id in ``mat``.
        candidates: Untagged passages to score (in output order before the final sort).
        tagged: Theme codes of each tagged passage that has a row in ``mat``.
        doc_of: Document of each passage.
        min_similarity: Cosine threshold.
        codebook: Codebook (labels).

    Returns:
        The ``theme_suggestions`` table, sorted by document (in the order of ``candidates``), passage,
        similarity (descending) and theme.
    """
    cb = codebook or load_codebook()
    tagged_ids = sorted(tagged)
    if not candidates or not tagged_ids:
        return THEME_SUGGESTIONS.empty()
    tmat = mat[[pid_index[p] for p in tagged_ids]]
    # the tagged passages of each theme (columns of the similarity block), in passage-id order
    by_code: dict[str, list[int]] = {}
    for j, tid in enumerate(tagged_ids):
        for code in tagged[tid]:
            by_code.setdefault(code, []).append(j)
    theme_cols = {code: np.asarray(cols, dtype=np.int64) for code, cols in sorted(by_code.items())}
    block = max(1, SUGGESTION_BLOCK_CELLS // len(tagged_ids))
    rows = []
    for lo in range(0, len(candidates), block):
        cands = candidates[lo : lo + block]
        sims = (mat[[pid_index[p] for p in cands]] @ tmat.T).toarray()
        for code, cols in theme_cols.items():
            # per candidate the most similar tagged passage of the theme; ties: the first in passage-id order
            sub = sims[:, cols]
            best = np.argmax(sub, axis=1)
            top = sub[np.arange(len(cands)), best]
            for i in np.flatnonzero(top >= min_similarity):
                pid, tid = cands[i], tagged_ids[cols[best[i]]]
                prod = mat[pid_index[pid]].multiply(mat[pid_index[tid]]).tocoo()
                order = np.argsort(prod.col, kind="stable")
                tcols, vals = prod.col[order], prod.data[order]
                tcols, vals = tcols[vals > 0], vals[vals > 0]
                terms = vocab[tcols[np.argsort(-vals, kind="stable")[:5]]]
                rows.append(
                    (
                        doc_of.get(pid, ""),
                        pid,
                        code,
                        cb.themes[code].label,
                        round(float(top[i]), 4),
                        tid,
                        "、".join(terms),
                    )
                )
    if not rows:
        return THEME_SUGGESTIONS.empty()
    out = pd.DataFrame(rows, columns=THEME_SUGGESTIONS.names[:-1]).assign(exemplars_capped=False)
    # deterministic order: identical inputs give identical files; documents in corpus order (the order of
    # the candidates), so a large corpus's suggestions can be written one batch at a time
    docs = {d: i for i, d in enumerate(dict.fromkeys(doc_of.get(p, "") for p in candidates))}
    out = out.assign(_doc=out["doc_id"].map(docs)).sort_values(
        ["_doc", "passage_id", "similarity", "theme_code"], ascending=[True, True, False, True], kind="stable"
    )
    return out.drop(columns="_doc").reset_index(drop=True)


# --------------------------------------------------------------------------------------------------
# Validation against hand labels
# --------------------------------------------------------------------------------------------------
def _norm(s: str) -> str:
    return SPACE_RE.sub("", s or "")


def read_labels(path: str | Path) -> pd.DataFrame:
    """Read hand labels (``doc_id, snippet, themes, split, note``; themes separated by ``;``)."""
    labels = pd.read_csv(path, dtype=str, keep_default_na=False)
    labels["themes"] = labels["themes"].fillna("")
    return labels


def locate_labels(labels: pd.DataFrame, passages: pd.DataFrame) -> pd.DataFrame:
    """Find the passage each label's snippet belongs to (first passage of the doc containing it).

    Returns:
        ``labels`` with a ``passage_id`` column (None when the snippet is not found).
    """
    out = labels.copy()
    texts = {
        d: list(zip(g["passage_id"], g["text"].map(_norm), strict=True))
        for d, g in passages.groupby("doc_id", sort=False)
    }
    found = []
    for doc, snip in zip(out["doc_id"], out["snippet"], strict=True):
        s = _norm(snip)
        pid = next((p for p, t in texts.get(doc, []) if s and s in t), None)
        found.append(pid)
    out["passage_id"] = found
    return out


def prf_table(
    expected: list[set[str]], predicted: list[set[str]], *, codes: list[str], labels: Mapping[str, str]
) -> pd.DataFrame:
    """Per-theme and micro/macro precision, recall and F1 for multi-label sets.

    Macro averages are over themes with at least one expected or predicted label (a theme nobody has
    and nobody predicts has no defined score).
    """
    rows = []
    tp_all = fp_all = fn_all = 0
    for code in codes:
        tp = sum(code in e and code in p for e, p in zip(expected, predicted, strict=True))
        fp = sum(code not in e and code in p for e, p in zip(expected, predicted, strict=True))
        fn = sum(code in e and code not in p for e, p in zip(expected, predicted, strict=True))
        tp_all, fp_all, fn_all = tp_all + tp, fp_all + fp, fn_all + fn
        prec = tp / (tp + fp) if tp + fp else np.nan
        rec = tp / (tp + fn) if tp + fn else np.nan
        f1 = 2 * tp / (2 * tp + fp + fn) if (2 * tp + fp + fn) else np.nan
        rows.append((code, labels.get(code, code), tp + fn, tp, fp, fn, prec, rec, f1))
    df = pd.DataFrame(
        rows, columns=["theme_code", "theme_label", "support", "tp", "fp", "fn", "precision", "recall", "f1"]
    )
    active = df[(df["support"] > 0) | (df["fp"] > 0)]
    micro_p = tp_all / (tp_all + fp_all) if tp_all + fp_all else np.nan
    micro_r = tp_all / (tp_all + fn_all) if tp_all + fn_all else np.nan
    micro_f = 2 * tp_all / (2 * tp_all + fp_all + fn_all) if (2 * tp_all + fp_all + fn_all) else np.nan
    summary = pd.DataFrame(
        [
            ("micro", "微平均", int(df["support"].sum()), tp_all, fp_all, fn_all, micro_p, micro_r, micro_f),
            (
                "macro",
                "宏平均",
                int(df["support"].sum()),
                tp_all,
                fp_all,
                fn_all,
                active["precision"].fillna(0).mean() if len(active) else np.nan,
                active["recall"].fillna(0).mean() if len(active) else np.nan,
                active["f1"].fillna(0).mean() if len(active) else np.nan,
            ),
        ],
        columns=df.columns,
    )
    return pd.concat([df, summary], ignore_index=True)


def validate_against_labels(
    passage_tags: pd.DataFrame,
    *,
    passages: pd.DataFrame,
    labels: pd.DataFrame,
    codebook: Codebook | None = None,
) -> pd.DataFrame:
    """Compare passage tags with hand labels: per-theme and micro/macro P/R/F1 per split.

    Args:
        passage_tags: Output of :func:`tag_passages`.
        passages: The ``passages`` table (to locate label snippets).
        labels: Hand labels (:func:`read_labels`), with a ``split`` column (e.g. ``tune``/``heldout``).
        codebook: Codebook (default: packaged).

    Returns:
        Long table with ``split`` (``all`` plus each split), the per-theme rows and ``micro``/``macro`` rows;
        ``attrs["unmatched"]`` lists label snippets not found in any passage.
    """
    cb = codebook or load_codebook()
    located = locate_labels(labels, passages)
    missing = located[located["passage_id"].isna()]
    located = located[located["passage_id"].notna()]
    pred = passage_tags.groupby("passage_id")["theme_code"].apply(set).to_dict() if len(passage_tags) else {}
    splits = {"all": located}
    if "split" in located:
        splits.update({s: g for s, g in located.groupby("split", sort=True)})
    parts = []
    for name, g in splits.items():
        exp = [set(filter(None, (t.strip() for t in th.split(";")))) for th in g["themes"]]
        prd = [pred.get(p, set()) for p in g["passage_id"]]
        t = prf_table(exp, prd, codes=cb.codes, labels=cb.labels)
        t.insert(0, "split", name)
        t.insert(1, "n_passages", len(g))
        parts.append(t)
    out = pd.concat(parts, ignore_index=True)
    out.attrs["unmatched"] = list(zip(missing["doc_id"], missing["snippet"], strict=True))
    return out


def label_comparison(
    passage_tags: pd.DataFrame, *, passages: pd.DataFrame, labels: pd.DataFrame
) -> pd.DataFrame:
    """Each labelled passage with expected and predicted themes, for auditing disagreements."""
    located = locate_labels(labels, passages)
    pred = (
        passage_tags.groupby("passage_id")["theme_code"].apply(lambda s: ";".join(sorted(s))).to_dict()
        if len(passage_tags)
        else {}
    )
    located["predicted"] = located["passage_id"].map(lambda p: pred.get(p, "") if p else "")
    located["expected"] = located["themes"].map(
        lambda s: ";".join(sorted(filter(None, (t.strip() for t in s.split(";")))))
    )
    located["agree"] = located["predicted"] == located["expected"]
    return located


# --------------------------------------------------------------------------------------------------
# Stage hooks
# --------------------------------------------------------------------------------------------------
def document_tables(tables: dict[str, pd.DataFrame], *, documents: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Per-document stage: theme tags (sentence + passage), instrument tags and commitment strength.

    Args:
        tables: ``passages``, ``sentences`` (and ``tokens``) of one document.
        documents: The documents table (unused; part of the hook signature).

    Returns:
        ``theme_tags_sentence``, ``theme_tags_passage``, ``instrument_tags``, ``strength``.
    """
    from compare import instruments, strength

    passages = tables.get("passages")
    sentences = tables.get("sentences")
    st = tag_sentences(sentences, passages=passages)
    pt = tag_passages(st, sentences=sentences, passages=passages)
    return {
        "theme_tags_sentence": st,
        "theme_tags_passage": pt,
        "instrument_tags": instruments.tag_instruments(sentences, passages=passages),
        "strength": strength.sentence_strength(sentences, passages=passages),
    }


def corpus_tables(
    tables: dict[str, pd.DataFrame],
    *,
    parts: Sequence[Mapping[str, Path]] | None = None,
    sink: TableSink | None = None,
) -> dict[str, pd.DataFrame]:
    """Cross-document stage: coverage, co-occurrence, theme x instrument, strength shares, similarity,
    distinctive terms and the TF-IDF second opinion.

    Args:
        tables: Every table built so far for the whole corpus (with ``parts``: at least ``documents``).
        parts: Large corpora: one ``{table: Parquet part}`` per chunk, in corpus order, read one chunk at
            a time instead of ``tables`` (see :mod:`compare.corpus_stats`; same values, similarity as
            top-k neighbours above :data:`compare.coverage.SIMILARITY_FULL_MAX_DOCS` documents).
        sink: With ``parts``: write the tables into this :class:`compare.store.TableSink`, piece by piece,
            instead of returning them (the driver then never holds a corpus-sized table).

    Returns:
        Named tables (see :mod:`compare.coverage`).
    """
    from compare import coverage, instruments, strength

    if parts is not None:
        from compare.corpus_stats import theme_corpus_tables

        return theme_corpus_tables(parts, documents=tables.get("documents"), sink=sink)
    sentences = tables.get("sentences")
    passages = tables.get("passages")
    tokens = tables.get("tokens")
    documents = tables.get("documents")
    st = tables.get("theme_tags_sentence")
    pt = tables.get("theme_tags_passage")
    it = tables.get("instrument_tags")
    sg = tables.get("strength")
    if st is None:
        st = tag_sentences(sentences, passages=passages)
    if pt is None:
        pt = tag_passages(st, sentences=sentences, passages=passages)
    if tokens is not None and passages is not None and len(tokens):
        ctx = _passage_context(passages, load_codebook())
        tokens = tokens[~tokens["passage_id"].isin(set(ctx.loc[ctx["skip"], "passage_id"]))]
    cov = coverage.coverage_table(st, passage_tags=pt, sentences=sentences, documents=documents, taggable=sg)
    ti = instruments.theme_instrument_matrix(st, it) if it is not None else None
    out = {
        "coverage": cov,
        "theme_cooccurrence": coverage.cooccurrence(pt),
        "theme_suggestions": tfidf_suggestions(pt, tokens=tokens, passages=passages),
        "similarity": coverage.similarity_long(tokens=tokens, coverage=cov),
        "distinctive_terms": coverage.distinctive_terms(tokens, exclude=coverage.place_names(documents)),
        "only_here": coverage.only_here(
            cov, sentence_tags=st, sentences=sentences, theme_instrument=ti, instrument_tags=it
        ),
    }
    if ti is not None:
        out["theme_instrument"] = ti
    if sg is not None:
        out["strength_shares"] = strength.strength_shares(sg, sentence_tags=st)
    return out
