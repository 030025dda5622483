"""The education-policy theme codebook (``resources/themes.yaml``) parsed into a :class:`Codebook`: themes
with their lexicons and weights, level missions, phrases (collocations in one clause), senses, blockers and
the section-heading patterns the coding rules use.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from compare.core.config import resource_path
from compare.tagging.matcher import TermMatcher

#: Between a construction verb and its object, and what may follow the object noun ("建设特殊教育学校。").
OBJECT_GAP = r"[^，。；：、\s]"


OBJECT_END = r"(?=[，。；：、和及与等）)]|$)"


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
    #: The theme whose terms name subject reform pilots (rule 5), if any.
    reform_code: str | None = field(default=None, repr=False, compare=False)
    #: Scores of sentences already scored with this codebook (text -> candidates; see
    #: :func:`compare.tagging.scoring.score_sentence`).
    score_memo: dict = field(default_factory=dict, repr=False, compare=False)

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
        reform_code=next(
            (c for c, th in themes.items() if frozenset(reform.get("terms") or ()) & set(th.terms)),
            None,
        ),
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


def is_general_section(heading: str | None, *, codebook: Codebook | None = None) -> bool:
    """Whether a section heading marks general statements that carry no theme (rules 1-2)."""
    cb = codebook or load_codebook()
    return bool(heading and cb.general_heading_re is not None and cb.general_heading_re.search(heading))
