"""The tests a number in a sentence passes before it is read as a target: the words around it that make it a
year, a date, a list number, an ordinal, a denominator, a baseline, a name or a condition (:func:`skip_reason`),
and the ratios and fractions it may be part of (:func:`ratios_in`, :func:`fractions_in`).
"""

from __future__ import annotations

import re

from compare.extraction.rules import TargetRules, covered_by, inside_quotes
from compare.text.cells import RATIO
from compare.text.numbers import NumberSpan, parse_number_text

RE_YEAR_AFTER = re.compile(r"^\s*(?:年|年度|年底|年末|学年)")


#: A level measured in years (平均受教育年限达到11.3年): the only numbers with unit 年 that are targets.
RE_YEARS_LEVEL = re.compile(
    r"(?:年限\s*(?:达到|提高到|提升到|达|为|超过|不低于)?"
    r"|(?:任职|任教|任期|连续)[\u4e00-\u9fff]{0,6}?(?:不超过|不得超过|最长))\s*$"  # 连续任职原则上不超过10年: a cap
)


#: 一 counts a thing built or named when a verb of doing stands right before it (办好一所, 建成一个, 配备一名);
#: elsewhere (一流, 一批, 一体化) it is a word.
RE_ONE_BUILT = re.compile(
    r"(?:办好|建成|建好|建设|新建|配备|配齐|设立|培育|打造|创建|建立|开设|认定|遴选|评选)\s*$"
)
RE_ONE_THING = re.compile(r"^\s*(?:所|个|名|项|门|套)")  # not 一支(队伍): an idiom
#: 一 of a frequency (开展一次, 举办一届, 开展一轮) is a schedule (每年开展一次…: a dated duty on the timeline,
#: not a level to reach) unless a floor makes it a minimum (每学期至少组织一次); an Arabic 1次 is a target.
RE_ONE_FLOOR = re.compile(r"(?:至少|不少于|最少)[\u4e00-\u9fff]{0,14}\s*$")  # 至少专题研究教师工作一次
RE_ONE_COUNT = re.compile(r"^\s*(?:所|届|次|个|名|项|门|场|套|节|期|轮)")


def _one_counts(before: str, after: str) -> bool:
    """Whether a Chinese 一 states a count: a floor before a measure word, or a thing built or named."""
    return bool(
        (RE_ONE_FLOOR.search(before) and RE_ONE_COUNT.match(after))
        or (RE_ONE_BUILT.search(before) and RE_ONE_THING.match(after))
    )


#: A Chinese-numeral count of times is a target only with a bound (每学期至少组织一次; not 每学期两次监测): the
#: project's one convention for frequencies (tests/data/composed/d/README.md).
RE_FREQUENCY_UNIT = re.compile(r"^\s*(?:次|轮)(?!以上|及以上)")
RE_BOUND_BEFORE = re.compile(r"(?:至少|不少于|不低于|最少|不超过|最多|超过)[^，。；]{0,14}$")

#: 每3000人 / 每百名学生 / 每2万人: the unit a standard is counted per.
RE_PER_DENOMINATOR = re.compile(r"^\s*(?:万)?(?:名|人|户|个班|班|平方米)")

#: 由3所增加到5所 / 由82%提高到90% / 从17所增加到60所: the number after 由 (从) is the baseline.
RE_FROM_BEFORE = re.compile(
    r"[由从]\s*(?:(?:19|20)\d{2}\s*年(?:底|末)?的?)?\s*(?:(?:每生|每人|生均)?每(?:年|学年|学期|月))?\s*$"
)  # 由每生每年6000元提高到8000元: the rate before is the baseline too
RE_FROM_AFTER = re.compile(
    r"^\s*[^\s，。；,;]{0,4}?(?:增加|提高|提升|增长|扩大|上升|下降|减少|降低|缩小|整合|调整|压减)(?:到|至|为)"
)


#: A ratio of staff to pupils (师生比1:12.5, 教职工与幼儿比1∶7, 生师比19:1): one side is 1, the other the level.
RE_RATIO = re.compile(rf"(?<![\d.:：∶]){RATIO}(?![\d.:：∶])")
#: What names a ratio in the clause before it (比, 比例, 按…配备, 与…): a clock time (8:30) has none of these.
RE_RATIO_CUE = re.compile(r"比|按|与|配备|配置")
#: Units of a ratio: ``1:x`` (value = x) and ``x:1``.
RATIO_UNITS = ("1:x", "x:1")


def ratios_in(text: str) -> dict[int, tuple[re.Match, float, str]]:
    """Ratios stated in a sentence, by the offset of their first number: ``(match, value, unit)``."""
    out = {}
    for m in RE_RATIO.finditer(text):
        a, b = float(m["a"]), float(m["b"])
        # the ratio is named in its clause or earlier in its sentence (师生比达到1:350，农村学校不低于1:400)
        if not RE_RATIO_CUE.search(text[: m.start()]) or (a == 1) == (b == 1):
            continue
        out[m.start()] = (m, b, "1:x") if a == 1 else (m, a, "x:1")
    return out


#: A share written as a fraction (三分之一, 三分之二) or 一半: a percentage (33.33, 66.67, 50).
RE_FRACTION = re.compile(
    r"(?P<d>[二三四五六七八九十]|\d+)\s*分之\s*(?P<n>[一二三四五六七八九]|\d+)|(?P<half>一半)"
)
#: A fraction is a target share behind a bound or 占 (占三分之一以上, 不少于三分之一的), or before 以上 / 以下.
RE_FRACTION_BEFORE = re.compile(r"(?:占|达到|达|超过|不少于|不低于|至少|提高到|提高至)\s*$")
RE_FRACTION_AFTER = re.compile(r"^\s*(?:以上|以下|左右)")


def fractions_in(text: str) -> dict[int, tuple[re.Match, float]]:
    """Fractions that state a share, by offset: ``(match, percentage rounded to two decimals)``."""
    out = {}
    for m in RE_FRACTION.finditer(text):
        if not (RE_FRACTION_BEFORE.search(text[: m.start()]) or RE_FRACTION_AFTER.match(text[m.end() :])):
            continue
        if m["half"]:
            out[m.start()] = (m, 50.0)
            continue
        d, n = parse_number_text(m["d"]), parse_number_text(m["n"])
        if d and n is not None and 0 < n < d:
            out[m.start()] = (m, round(100 * n / d, 2))
    return out


RE_DATE_AFTER = re.compile(r"^\s*(?:月|日|号|时|点)")
#: 8时30分: minutes of a time of day (a score is written 60分 with no hour before it).
RE_CLOCK_MINUTES = re.compile(r"\d{1,2}\s*[时点]\s*$")
#: 11:58 (a time of day on a page stamp: 11:58分享到微信): its minutes are no score.
RE_CLOCK_BEFORE = re.compile(r"(?<!\d)\d{1,2}\s*[:：]\s*$")
#: 分 of a word, not a score (CN1分区, 分批, 分类, 分别).
RE_FEN_WORD_AFTER = re.compile(r"^\s*分(?:区|批|类|别|期|步|层|级|配|解|析)")
#: A length of time stated (共5个月, 为期3个月, 历时2年): how long something lasts, not a level to reach.
RE_DURATION_BEFORE = re.compile(r"(?:共|为期|历时|用时|耗时)\s*$")
RE_DURATION_UNIT = re.compile(r"^\s*(?:个月|个星期|周|天|日|年)")


RE_HEADING_NUMBER = re.compile(r"^\s*[.、．](?![0-9])")


RE_SIGN_BEFORE = re.compile(r"[>＞<＜≥≤]\s*$")

#: A coefficient has no unit: 差异系数小学不高于0.50、初中不高于0.45 states two targets.
RE_COEFFICIENT_BEFORE = re.compile(
    r"(?:系数|指数)[^，。；]{0,20}?(?:不高于|不超过|低于|小于|控制在|不低于|达到)\s*$"
)


#: 这30所学校 / 上述3所: a count the text stated before, pointed back at.
RE_POINTS_BACK = re.compile(r"(?:这|该|上述|前述)\s*$")
#: 等9部门出台《…》 / 5个单位联合印发: the bodies that issued a document.
RE_ISSUERS_AFTER = re.compile(
    r"^\s*(?:个|家)?(?:部门|单位|厅局)(?:联合)?(?:出台|印发|发布|制定|制订|下发|发文)"
)
#: The size of a year's programme (丹阳2024年政府民生实事项目40项, 选出10件民生实事): the list, not a target in it.
RE_PROGRAMME_BEFORE = re.compile(r"(?:实事|实事项目|实事工程|惠民工程|民心工程)\s*$")
RE_ITEMS_UNIT = re.compile(r"^\s*(?:项|件|个)")
RE_PROGRAMME_AFTER = re.compile(r"^\s*(?:项|件|个|大)[^，。；\d]{0,10}?(?:实事|惠民工程|民心工程)")
#: The count of a list's items (共安排十方面共32项。/ 涉及教育5项工作任务 / 三十条措施) in a sentence about a year's
#: programme or plan: how the list is laid out, not a level to reach.
RE_LIST_ITEMS_AFTER = re.compile(
    r"^\s*(?:项|条)(?:工作任务|目标任务|重点任务|任务|措施|举措)?(?=[，,。；;、：:|]|包括|$)"
)
RE_LIST_CONTEXT_BEFORE = re.compile(r"实事|行动计划|工作任务|目标任务|工作要点|减负")
#: Idioms with numeral characters (千家万户, 千方百计): words, not counts.
RE_NUMERAL_IDIOM = re.compile(
    r"千家万户|千方百计|千千万万|万无一失|万众一心|百年大计|千秋万代|成千上万|千头万绪"
)


def skip_reason(span: NumberSpan, sent: str, rules: TargetRules) -> str | None:
    """Why a number span is not a target (None if it may be one)."""
    after = sent[span.end :]
    before = sent[: span.start]
    if span.is_chinese and covered_by(rules.numeral_places, sent, span.start, span.end):
        return "place_name"  # 五家渠城区将有5所: 五 is part of the place's name
    if span.is_chinese and not span.unit:  # a bare numeral (八成 carries its share unit)
        if covered_by(RE_NUMERAL_IDIOM, sent, span.start, span.end):
            return "chinese_word"
        if (
            span.value is not None
            and span.value < 2
            and span.text in ("一", "〇", "零")
            and not (span.text == "一" and _one_counts(before, after))
        ):
            return "single_one"
        if not rules.chinese_units.match(after):
            return "chinese_word"
        if RE_FREQUENCY_UNIT.match(after) and not RE_BOUND_BEFORE.search(before):
            return (
                "bare_frequency"  # 每学期两次免费视力监测: a schedule (a timeline duty), not a level to reach
            )
        if before.endswith("第"):
            return "ordinal"
    if RE_CLOCK_BEFORE.search(before) and span.n_int_digits == 2 and not span.unit:
        return "date"  # 2021.01.15 11:58: a time of day
    if not span.unit and RE_FEN_WORD_AFTER.match(after):
        return "word"  # CN1分区
    if RE_DURATION_BEFORE.search(before) and RE_DURATION_UNIT.match(after):
        return "duration"  # 共5个月
    if RE_POINTS_BACK.search(before):
        return "points_back"  # 这30所学校包括…: the count stated before, not a new one
    if (RE_PROGRAMME_BEFORE.search(before) and RE_ITEMS_UNIT.match(after)) or RE_PROGRAMME_AFTER.match(after):
        return "programme_size"  # 民生实事项目40项 / 40项民生实事项目: the size of the list
    if RE_LIST_ITEMS_AFTER.match(after) and RE_LIST_CONTEXT_BEFORE.search(before):
        return "programme_size"  # 为民办实事项目，共安排十方面共32项: the items of the list
    if RE_ISSUERS_AFTER.match(after):
        return "issuers"  # 等9部门出台《…》
    if before.endswith("每") and RE_PER_DENOMINATOR.match(after):
        return "denominator"  # 每3000人设置1所, 每百名学生拥有: the base of a standard, not a level
    if RE_FROM_BEFORE.search(before) and RE_FROM_AFTER.match(after):
        return "baseline"  # 由3所增加到5所: 3 is where the plan starts, 5 the target
    if RE_YEAR_AFTER.match(after) and not RE_YEARS_LEVEL.search(before):  # 年限达到11.3年: a level
        return "year"
    if RE_DATE_AFTER.match(after) or (after.lstrip().startswith("分") and RE_CLOCK_MINUTES.search(before)):
        return "date"
    if (
        not span.is_masked
        and not span.unit
        and span.n_int_digits in (4, 8)
        and span.value
        and 1900 <= (span.value if span.n_int_digits == 4 else span.value // 10000) <= 2100
        and re.match(r"^\s*[—－-]", after)
    ):
        return "year"
    if RE_HEADING_NUMBER.match(after) and not span.unit and "." not in span.text:  # 0.50、: a list
        return "heading"
    if before.endswith("第"):
        return "ordinal"
    if inside_quotes(sent, span.start, rules.quote_pairs):
        return "name_in_quotes"
    if covered_by(rules.named, sent, span.start, span.end):
        return "named"
    if covered_by(rules.conditions, sent, span.start, span.end):
        return "condition"
    return None
