"""Number spans: Arabic and Chinese numerals, scale words, percentages, ranges, masks, bad input."""

from __future__ import annotations

import re

import pytest

from compare.text.numbers import find_numbers, parse_chinese_numeral, parse_number_text


def spans(text: str) -> list[tuple]:
    return [(s.text, s.value, s.value_max, s.unit) for s in find_numbers(text)]


@pytest.mark.parametrize(
    ("numeral", "value"),
    [
        ("二〇三五", 2035),
        ("两", 2),
        ("一万二", 12000),
        ("十五", 15),
        ("百", 100),
        ("七点六万", 76000),
        ("九十", 90),
    ],
)
def test_chinese_numerals(numeral, value):
    assert parse_chinese_numeral(numeral) == value


def test_not_a_numeral_is_none():
    assert parse_chinese_numeral("进步") is None
    assert parse_number_text("") is None


def test_scale_word_applied_in_changzhou_sentence():
    # 常州: 到2025年，全市新增中小学、幼儿园学位不低于7.6万个。
    found = spans("到2025年，全市新增中小学、幼儿园学位不低于7.6万个。")
    assert ("7.6万", 76000.0, None, "") in found
    assert ("10亿", 1e9, None, "") in spans("园区实现技术合同登记额超10亿元")


def test_percent_forms():
    assert spans("覆盖率达百分之九十")[0][1:] == (90.0, None, "%")
    assert spans("非正常死亡率控制在万分之0.34以内")[0][1:] == (0.34, None, "‱")
    assert spans("占比达90%及以上")[0][1:] == (90.0, None, "%")
    assert spans("不低于总数的10%o优化")[0][1:] == (10.0, None, "%")  # OCR'd %o
    assert spans("千分之五")[0][1:] == (5.0, None, "‰")


@pytest.mark.parametrize(
    ("text", "lo", "hi"),
    [
        ("建成省级示范实验区2-3个", 2, 3),  # 泰州
        ("新增四星级普通高中5-6所", 5, 6),
        ("每位学生至少学会1至2项艺术技能", 1, 2),  # 台州
        ("力争1－2个区（县、市）通过复核评估", 1, 2),  # 宁波, full-width dash
        ("力争培育1一2个国家级科技创新平台", 1, 2),  # 002, OCR'd dash
        ("打造3～4个全国一流学科", 3, 4),
    ],
)
def test_ranges(text, lo, hi):
    span = next(s for s in find_numbers(text) if not s.is_chinese)
    assert (span.value, span.value_max, span.is_range) == (lo, hi, True)


def test_masks_are_kept_without_value():
    found = find_numbers("新改扩建中小学**所，新增学位****个；力争完成***亿固定投资任务")
    assert [s.is_masked for s in found] == [True, True, True]
    assert all(s.value is None for s in found)
    assert found[2].scale == "亿"


def test_full_width_digits_and_decimals():
    assert spans("比例达到９９.５％")[0][1:] == (99.5, None, "%")


def test_overflow_is_flagged_not_raised():
    span = find_numbers("新增学位" + "9" * 400 + "个")[0]
    assert span.value is None
    assert "overflow" in span.flags


def test_garbage_between_digits_is_flagged():
    span = find_numbers("建成1O0所学校")[0]
    assert span.value == 100
    assert "garbled_digits" in span.flags


def test_chinese_numerals_can_be_switched_off():
    text = "进一步深化，新建两所学校"
    assert [s.text for s in find_numbers(text, chinese=False)] == []
    assert [s.text for s in find_numbers(text)] == ["一", "两"]  # read, not judged: targets decide


def test_every_number_span_holds_a_number_character():
    """find_numbers returns nothing for a text without RE_NUMBER_CHAR: every span it finds in every labelled
    text (searched with the check switched off) must hold one."""
    from pathlib import Path

    from compare.text import numbers

    root = Path(__file__).resolve().parents[2]
    files = [
        *sorted((root / "data" / "raw").glob("*.txt")),
        *sorted((root / "tests" / "data").rglob("*.txt")),
    ]
    everything = re.compile(r"[\s\S]")
    n = 0
    original = numbers.RE_NUMBER_CHAR
    try:
        numbers.RE_NUMBER_CHAR = everything  # find every span, prefilter off
        for f in files:
            for line in f.read_text(encoding="utf-8", errors="replace").splitlines():
                for span in find_numbers(line):
                    n += 1
                    assert original.search(span.text), (f.name, span.text)
    finally:
        numbers.RE_NUMBER_CHAR = original
    assert n > 5000


def test_two_neighbouring_chinese_digits_are_an_approximate_range():
    spans = {
        n.text: n
        for n in find_numbers("掌握一两项运动技能，培养两三个特长，建设三五所学校，新建十二所，到二〇三五年")
    }
    assert (spans["一两"].value, spans["一两"].value_max, spans["一两"].is_range) == (1, 2, True)
    assert (spans["两三"].value, spans["两三"].value_max) == (2, 3)
    assert (spans["三五"].value, spans["三五"].value_max) == (3, 5)
    assert (spans["十二"].value, spans["十二"].is_range) == (12, False)
    assert spans["二〇三五"].value == 2035


def test_tenths_are_a_share():
    spans = {
        n.text: n for n in find_numbers("力争八成以上，目前近7成已开工，满足超九成学生；建成10所，成员八人")
    }
    assert (spans["八成"].value, spans["八成"].unit) == (80, "%")
    assert (spans["7成"].value, spans["九成"].value) == (70, 90)
    assert "八" in spans and spans["八"].unit == ""  # 成员: not a share
