"""Cleaning rules, each on the real seed example that motivated it (plus fixtures for the negative cases)."""

from __future__ import annotations

import re

import pytest

from compare.text.clean import MASK_RE, clean_text, to_simplified


def rules(result, name):
    return [r for r in result.repairs if r["rule"] == name]


def test_texts_have_equal_length_and_no_blank_lines(cleaned):
    for doc_id, r in cleaned.items():
        assert len(r.text) == len(r.text_original), doc_id
        assert "\n\n" not in r.text, doc_id
        assert not re.search(r"[ \t]{2,}", r.text), doc_id


def test_docx_bookmarks_removed(seed_raw, cleaned):
    r = cleaned["taizhou_js_2023"]
    assert seed_raw["taizhou_js_2023"].count("[bookmark:") == 8
    assert "bookmark" not in r.text
    assert len(rules(r, "docx_bookmark")) == 8
    assert r.text.startswith("贯彻落实党的二十大精神 推动泰州教育\n高质量发展行动方案")


def test_traditional_converted_original_kept(cleaned):
    r = cleaned["changzhou_2023"]
    assert "優質" in r.text_original and "優質" not in r.text
    assert "常州市深入推进“常有优学”三年行动方案（2023—2025年）" in r.text
    assert "鐘樓區" in r.text_original and "钟楼区" in r.text
    assert "7.6万个" in r.text  # decimal point kept, 萬 → 万


def test_simplified_seeds_unchanged_by_t2s(cleaned):
    for doc_id in ("taizhou_js_2023", "taizhou_zj_2021", "ningbo_2023", "unnamed_province_2023"):
        r = cleaned[doc_id]
        diff = [(a, b) for a, b in zip(r.text_original, r.text, strict=True) if a != b]
        assert diff == [], (doc_id, diff[:5])


@pytest.mark.parametrize(
    "text_in, text_out",
    [
        ("著力提升", "着力提升"),
        ("意味著", "意味着"),
        ("接著", "接着"),
        ("著眼於", "着眼于"),
        ("顯著", "显著"),
        ("著名", "著名"),
    ],
)
def test_t2s_zhe_fixes(text_in, text_out):
    assert to_simplified(text_in) == text_out


def test_fullwidth_alnum_and_punctuation_normalised():
    r = clean_text("到２０２５年，建成ＡＩ实验室3所,覆盖率达９０％;建设(国家级)试点")
    assert r.text == "到2025年，建成AI实验室3所，覆盖率达90%；建设（国家级）试点"
    assert clean_text("投入1,000万元，12:30开始").text == "投入1,000万元，12:30开始"


def test_spaces_collapsed_but_names_kept_apart(seed_raw, cleaned):
    assert "到 2025 年" in seed_raw["taizhou_js_2023"]
    assert "到 2025 年" not in cleaned["taizhou_js_2023"].text
    assert "到2025年，所有学校办学条件全部达标" in cleaned["taizhou_js_2023"].text
    assert "台州市发展和改革委员会 台州市教育局" in cleaned["taizhou_zj_2021"].text


def test_web_chrome_removed_table_cells_kept(cleaned):
    r = cleaned["taizhou_zj_2021"]
    for chrome in (
        "当前位置",
        "政务公开 >",
        "索引号",
        "主题分类",
        "公开形式",
        "浏览次数",
        "打印本页",
        "关闭窗口",
        "规划.pdf",
    ):
        assert chrome not in r.text, chrome
    assert {x["rule"] for x in r.repairs} >= {"web_chrome", "file_link"}
    # breadcrumb rule must not eat indicator-table cells like ">97"
    assert "\n>97\n" in r.text and "\n>60/>95\n" in r.text
    assert "掃一掃" not in cleaned["changzhou_2023"].text_original
    # the share bar's lone "|" line under it is chrome too, not a passage
    assert "\n|" not in cleaned["changzhou_2023"].text and not cleaned["changzhou_2023"].text.endswith("|")
    assert any(x["before"] == "|" for x in cleaned["changzhou_2023"].repairs)
    kept = clean_text("一、总体要求\n——\n坚持立德树人，到2025年新建学校10所。\n|  |\n━━━━\n").text
    assert kept == "一、总体要求\n坚持立德树人，到2025年新建学校10所。"


def test_sharing_banner_and_page_markers(seed_raw, cleaned):
    raw, r = seed_raw["unnamed_province_2023"], cleaned["unnamed_province_2023"]
    assert "由会员分享" in raw and "由会员分享" not in r.text
    assert "县域普\n7、通高中" in raw.replace("县域普\n", "县域普\n") or "县域普\n7、通高中" in raw
    assert "县域普通高中办学质量显著提升" in r.text
    assert "基础能力建设水平进一步提高" in r.text
    assert len(rules(r, "page_marker")) == 19
    # real list items survive, on their own lines
    assert "\n3、加强体育、美育、劳动教育" in r.text
    assert "\n（一）推进立德树人提升行动" in r.text


def test_list_items_not_taken_for_page_markers():
    text = "一、目标\n1、加强党建。\n2、提升质量。\n3、加强体育。\n4、保障安全。"
    r = clean_text(text)
    assert r.text == text
    assert not rules(r, "page_marker")


def test_ocr_repairs_on_seed(cleaned):
    r = cleaned["unnamed_province_2023"]
    assert "每年补充1000名保教人员" in r.text
    assert "教师总数的10%。优化" in r.text
    assert "财政支出比例第一位" in r.text
    assert "\n（八）教育数字化推进行动" in r.text
    assert "\n（一）加强组织领导" in r.text
    assert "（A类）" in r.text  # not a heading: left alone
    log = {
        (x["before"], x["after"])
        for x in r.repairs
        if x["action"] == "repaired" and x["rule"].startswith("ocr")
    }
    assert log >= {
        ("IOOO", "1000"),
        ("0%o", "0%。"),
        ("第T立", "第一位"),
        ("（A）", "（八）"),
        ("（-）", "（一）"),
    }


def test_ocr_repairs_only_in_unambiguous_context():
    # "IO" is not followed by a unit; "(A)" is not the next heading number; "IOS" is a word
    r = clean_text("一、总体要求\n（一）目标\nIOS系统接入IO设备。\n（A）类学校\n（三）任务")
    assert "IOS系统接入IO设备" in r.text
    assert "（A）类学校" in r.text
    assert not [x for x in r.repairs if x["rule"].startswith("ocr")]


def test_a_flattened_table_row_is_no_cut_sentence_and_its_bars_no_digits():
    text = (
        "某县2024年重点民生实事项目完成情况公示如下：\n"
        "乡镇中小学品质提升项目。 | 2024年完成大瑶中学建设，2025年全面完成。 | 已完成大瑶中学建设 | 100 |\n"
        "2024年12月9日\n"
        "新建学校IOOO人。\n"
    )
    r = clean_text(text)
    assert "| 100 |\n2024年12月9日" in r.text  # the row ends at its bar; the date line stays a line
    assert "12024" not in r.text and "| 2024年完成" in r.text
    assert "新建学校1000人" in r.text  # a look-alike inside a number followed by a unit is still read


def test_masked_numbers_kept_and_logged(seed_raw, cleaned):
    raw, r = seed_raw["ningbo_2023"], cleaned["ningbo_2023"]
    n = len(MASK_RE.findall(raw))
    assert n > 20
    assert len(MASK_RE.findall(r.text)) == n
    assert len(rules(r, "masked_number")) == n
    assert "新增学位****个" in r.text or "****个" in r.text


def test_wrapped_web_lines_rejoined(cleaned):
    r = cleaned["taizhou_zj_2021"]
    assert "科学谋划标杆，实施换道超车" in r.text
    assert rules(r, "wrapped_line_join")


def test_clean_is_pure(seed_raw):
    text = seed_raw["ningbo_2023"]
    assert clean_text(text) == clean_text(text)
