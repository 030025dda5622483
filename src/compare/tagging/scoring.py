"""Score one sentence against the codebook's themes (``resources/themes.yaml``) with its coding rules.

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
Every candidate carries its evidence (matched terms with weights, or the rule that fired) and a score.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from compare.tagging.codebook import Codebook, Phrase, load_codebook
from compare.tagging.matcher import Match, apply_masks, bare_list_spans, in_spans

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


#: End of a clause (brackets do not end it).
CLAUSE_END_RE = re.compile(r"[，,；;：:。！？!?]")


#: Short bracketed insertions ("新（改、扩）建"), ignored when looking for construction verbs.
SHORT_BRACKET_RE = re.compile(r"[（(][^（）()]{0,6}[）)]")


# --------------------------------------------------------------------------------------------------
# Sentence tagging
# --------------------------------------------------------------------------------------------------
@dataclass
class Candidate:
    score: float = 0.0
    terms: dict[str, float] = field(default_factory=dict)
    rules: list[str] = field(default_factory=list)

    def evidence(self) -> str:
        parts = [f"{t}({w:.2g})" for t, w in self.terms.items()]
        return "; ".join(parts + [f"rule:{r}" for r in self.rules])


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


def _cand(hits: list[tuple[Match, float]]) -> Candidate:
    cand = Candidate()
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


#: Sentences whose scores a codebook keeps (a document repeats its headings and a sentence is scored for the
#: sentence tags, the passage accumulation and the primary theme); beyond this the memo starts afresh.
SCORE_MEMO_SIZE = 50_000


def score_sentence(text: str, *, codebook: Codebook | None = None) -> dict[str, Candidate]:
    """Score every theme for one sentence (all candidates, including those below the threshold).

    A sentence is scored once per codebook and process: the result is kept and returned again for the same
    text, so callers must not modify it.

    Args:
        text: Sentence text (simplified).
        codebook: Codebook to use (default: packaged).

    Returns:
        Theme code -> candidate with ``score``, matched ``terms`` and fired ``rules``.
    """
    cb = codebook or load_codebook()
    memo = cb.score_memo
    found = memo.get(text)
    if found is None:
        if len(memo) >= SCORE_MEMO_SIZE:
            memo.clear()
        found = memo[text] = _score_sentence(text, cb)
    return found


def _score_sentence(text: str, cb: Codebook) -> dict[str, Candidate]:
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
        factor = cb.bare_list_factor if in_spans(h, lists) else 1.0
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
                aside = cb.bare_list_factor if in_spans(h, asides) else 1.0
                setting_hits.setdefault(code, []).append((h, factor * aside))
            else:
                subj_hits.setdefault(code, []).append((h, w * factor))
    for phrase in cb.phrases:
        # v5: a governing word and a theme word in one clause ("纳入…考核", "配备…教师")
        for m in _phrase_hits(masked, phrase):
            factor = cb.bare_list_factor if in_spans(m, lists) else 1.0
            subj_hits.setdefault(phrase.theme, []).append((m, phrase.weight * factor))
            if phrase.name not in rules.get(phrase.theme, []):
                rules.setdefault(phrase.theme, []).append(phrase.name)
    subj_hits = {code: _merge_overlaps(hs) for code, hs in subj_hits.items()}
    # rule 5: a reform pilot named after a subject ("学校体育综合改革试点") belongs to that subject
    reform_code = cb.reform_code
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
        cand = subject.setdefault(code, Candidate())
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
        w = cb.level_term_weight * (cb.bare_list_factor if in_spans(h, lists) else 1.0)
        for owner in dict.fromkeys(owners):
            cand = subject.setdefault(owner, Candidate())
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
        cand = subject.setdefault(built, Candidate())
        if cand.score < cb.threshold:
            cand.score = cb.threshold
            cand.rules.append("construction_object:" + "/".join(dict.fromkeys(objects)))
    if built:
        for code, name in _levels_building(unbracketed, cb):
            cand = subject.setdefault(code, Candidate())
            if cb.setting_count_weight > cand.terms.get(name, 0.0):
                cand.score += cb.setting_count_weight - cand.terms.get(name, 0.0)
                cand.terms[name] = cb.setting_count_weight
            if "level_building" not in cand.rules:
                cand.rules.append("level_building")
    if counted and built and any(v in unbracketed for v in cb.construction_verbs):
        cand = subject.setdefault(built, Candidate())
        if cand.score < cb.threshold:
            cand.score = cb.threshold
            cand.rules.append("construction_count")
    for rule in cb.co_tag_rules:
        src, add = rule["if_tagged"], rule["add"]
        if src in subject and subject[src].score >= cb.threshold and any(t in masked for t in rule["terms"]):
            cand = subject.setdefault(add, Candidate())
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
    subject: dict[str, Candidate],
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
            w = mission.weight * (cb.bare_list_factor if in_spans(f, lists) else 1.0)
            cand = subject.setdefault(code, Candidate())
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
