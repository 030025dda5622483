"""Tests of compare.text.readers on the real seeds and on fixtures each test builds in tmp_path."""

from __future__ import annotations

import hashlib
import os
import zipfile
from pathlib import Path

import docx
import pytest
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from compare.core.config import RAW_DATA_DIR
from compare.core.errors import InputError
from compare.text.readers import RawDocument, plausibility, read_document, sha256_file

SEEDS = sorted(RAW_DATA_DIR.glob("*.txt"))
TRADITIONAL_SEED = RAW_DATA_DIR / "changzhou_2023_action_plan.txt"
SIMPLIFIED_SEED = RAW_DATA_DIR / "ningbo_2023_work_points.txt"


def _seed_text(path: Path) -> str:
    return path.read_text(encoding="utf-8").replace("\r\n", "\n")


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _assert_error(path: Path, *phrases: str) -> InputError:
    with pytest.raises(InputError) as info:
        read_document(path)
    message = str(info.value)
    assert str(path) in message
    assert info.value.path == str(path)
    for phrase in phrases:
        assert phrase in message, message
    return info.value


# --------------------------------------------------------------------------------------------------- seeds


def test_seeds_are_read_as_utf8_with_their_hash() -> None:
    assert len(SEEDS) == 5
    for seed in SEEDS:
        doc = read_document(seed)
        assert isinstance(doc, RawDocument)
        assert doc.format == "txt"
        assert doc.encoding == "utf-8"
        assert doc.text == _seed_text(seed)
        assert doc.sha256 == sha256_file(seed) == hashlib.sha256(seed.read_bytes()).hexdigest()
        assert doc.n_bytes == seed.stat().st_size


def test_reading_never_modifies_the_file(tmp_path: Path) -> None:
    fixtures = [
        *SEEDS,
        _write(tmp_path, "big5.txt", _seed_text(TRADITIONAL_SEED).encode("big5")),
        _write(tmp_path, "page.html", "<html><body><p>教育强市</p></body></html>".encode("gb18030")),
        _docx(tmp_path / "doc.docx", ["第一段"], [["甲", "乙"]], ["第二段"]),
        _pdf_with_text(tmp_path / "text.pdf", ["Plan 2023-2025"]),
    ]
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns, p.stat().st_mode) for p in fixtures}
    for path in fixtures:
        read_document(path)
    after = {p: (p.read_bytes(), p.stat().st_mtime_ns, p.stat().st_mode) for p in fixtures}
    assert after == before
    assert sorted(os.listdir(tmp_path)) == sorted(p.name for p in fixtures if p.parent == tmp_path)


# ----------------------------------------------------------------------------------------------------- txt


@pytest.mark.parametrize(
    ("seed", "codec", "expected"),
    [
        (SIMPLIFIED_SEED, "utf-8", "utf-8"),
        (SIMPLIFIED_SEED, "utf-8-sig", "utf-8-sig"),
        (SIMPLIFIED_SEED, "gb18030", "gb18030"),
        (SIMPLIFIED_SEED, "gbk", "gb18030"),  # GB18030 is a superset of GBK: same text
        (TRADITIONAL_SEED, "big5", "big5"),
        (SIMPLIFIED_SEED, "utf-16", "utf-16"),  # with BOM
        (TRADITIONAL_SEED, "utf-16-le", "utf-16-le"),  # without BOM
    ],
)
def test_txt_encodings_are_detected(tmp_path: Path, seed: Path, codec: str, expected: str) -> None:
    text = _seed_text(seed)
    path = _write(tmp_path, f"plan_{codec}.txt", text.encode(codec))
    doc = read_document(path)
    assert doc.encoding == expected
    assert doc.text == text
    assert "\ufeff" not in doc.text


def test_big5_bytes_are_not_taken_for_gb18030(tmp_path: Path) -> None:
    raw = _seed_text(TRADITIONAL_SEED).encode("big5")
    garbage = raw.decode("gb18030")  # the trap: decodes without error, into nonsense
    assert plausibility(garbage) < 0.6 < 0.95 < plausibility(raw.decode("big5"))
    for n_chars in (6, 20, 200):
        snippet = _seed_text(TRADITIONAL_SEED)[300 : 300 + n_chars]
        doc = read_document(_write(tmp_path, f"short{n_chars}.txt", snippet.encode("big5")))
        assert (doc.encoding, doc.text) == ("big5", snippet)


@pytest.mark.parametrize(("seed", "codec"), [(SIMPLIFIED_SEED, "gb18030"), (TRADITIONAL_SEED, "big5")])
def test_short_snippets_are_detected(tmp_path: Path, seed: Path, codec: str) -> None:
    # charset-normalizer alone gets about 160 of 200 six-character snippets right (it answers UTF-16 or
    # the other CJK encoding); the plausibility re-ranking must get nearly all of them.
    text = _seed_text(seed)
    snippets = [text[start : start + 6] for start in range(0, 100 * 53, 53)]
    path = tmp_path / "snippet.txt"
    right = 0
    for snippet in snippets:
        path.write_bytes(snippet.encode(codec))
        right += read_document(path).text == snippet
    assert right >= 97, right


def test_txt_line_endings_are_normalised(tmp_path: Path) -> None:
    path = _write(tmp_path, "crlf.txt", "一、总体要求\r\n（一）指导思想\r二、主要任务\n".encode("gb18030"))
    assert read_document(path).text == "一、总体要求\n（一）指导思想\n二、主要任务\n"


def test_extension_is_case_insensitive(tmp_path: Path) -> None:
    path = _write(tmp_path, "PLAN.TXT", "教育强市建设".encode())
    assert read_document(path).format == "txt"


# ---------------------------------------------------------------------------------------------------- html

PAGE = """<!DOCTYPE html>
<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<title>网页标题</title><style>.x {{ color: red }}</style>
<script>var tracker = "统计代码";</script></head>
<body>
<header><div class="logo">某市人民政府门户网站</div></header>
<nav><a href="/">首页</a> <a href="/zw">政务公开</a></nav>
<div class="breadcrumb">当前位置：首页 &gt; 政策文件</div>
<ul id="main-menu"><li>菜单一</li></ul>
<article><header><h1>{title}</h1></header>
<p>为加快推进教育现代化，
制定本规划。</p>
<p>到2025年，<b>新增学位</b>7.6万个。<br>第二行</p>
<table><tr><th>指标</th><th>2025年</th></tr><tr><td>学前教育毛入园率</td><td>&gt;97%</td></tr></table>
<p class="main-text unavailable-note">Plan
2023—2025</p>
<div style="display:none">隐藏内容</div>
<!-- 注释 -->
<noscript>请启用脚本</noscript>
</article>
<footer>版权所有 主办单位</footer>
<script>document.write("脚本文字")</script>
</body></html>
"""


def test_html_keeps_body_text_and_drops_chrome(tmp_path: Path) -> None:
    path = _write(tmp_path, "page.htm", PAGE.format(title="台州市教育事业发展“十四五”规划").encode("gb18030"))
    doc = read_document(path)
    assert (doc.format, doc.encoding) == ("html", "gb18030")
    assert doc.text.split("\n") == [
        "台州市教育事业发展“十四五”规划",
        "为加快推进教育现代化，制定本规划。",
        "到2025年，新增学位7.6万个。",
        "第二行",
        "指标",
        "2025年",
        "学前教育毛入园率",
        ">97%",
        "Plan 2023—2025",
    ]
    for dropped in (
        "统计代码",
        "脚本文字",
        "color",
        "网页标题",
        "门户网站",
        "首页",
        "当前位置",
        "菜单",
        "版权所有",
        "隐藏",
        "注释",
        "请启用",
    ):
        assert dropped not in doc.text


def test_html_without_declared_charset_is_detected(tmp_path: Path) -> None:
    page = "<html><body><p>常州市深入推進“常有優學”三年行動方案</p></body></html>"
    doc = read_document(_write(tmp_path, "big5.html", page.encode("big5")))
    assert (doc.encoding, doc.text) == ("big5", "常州市深入推進“常有優學”三年行動方案")


def test_html_with_wrong_declared_charset_falls_back_to_detection(tmp_path: Path) -> None:
    page = '<html><head><meta charset="utf-8"></head><body><p>义务教育优质均衡发展</p></body></html>'
    doc = read_document(_write(tmp_path, "wrong.html", page.encode("gb18030")))
    assert (doc.encoding, doc.text) == ("gb18030", "义务教育优质均衡发展")


# ---------------------------------------------------------------------------------------------------- docx


def _docx(path: Path, before: list[str], table: list[list[str]], after: list[str]) -> Path:
    document = docx.Document()
    for text in before:
        document.add_paragraph(text)
    grid = document.add_table(rows=len(table), cols=len(table[0]))
    for r, row in enumerate(table):
        for c, value in enumerate(row):
            grid.cell(r, c).text = value
    for text in after:
        document.add_paragraph(text)
    document.save(path)
    return path


def test_docx_paragraphs_and_table_cells_in_document_order(tmp_path: Path) -> None:
    path = _docx(
        tmp_path / "plan.docx",
        ["一、主要目标"],
        [["指标", "2025年"], ["学前教育毛入园率", ">97%"]],
        ["二、重点任务"],
    )
    doc = read_document(path)
    assert (doc.format, doc.encoding) == ("docx", "docx")
    assert doc.text.split("\n") == [
        "一、主要目标",
        "指标",
        "2025年",
        "学前教育毛入园率",
        ">97%",
        "二、重点任务",
    ]


def test_docx_merged_cells_appear_once(tmp_path: Path) -> None:
    document = docx.Document()
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).merge(table.cell(0, 1)).text = "合并标题"
    table.cell(1, 0).text = "左"
    table.cell(1, 1).text = "右"
    document.save(tmp_path / "merged.docx")
    assert read_document(tmp_path / "merged.docx").text.split("\n") == ["合并标题", "左", "右"]


# ----------------------------------------------------------------------------------------------------- pdf


def _pdf_with_text(path: Path, lines: list[str]) -> Path:
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    page = canvas.Canvas(str(path))
    for i, line in enumerate(lines):
        page.setFont("STSong-Light", 12)
        page.drawString(72, 760 - 20 * i, line)
    page.showPage()
    page.save()
    return path


def test_pdf_text_layer_is_extracted_including_chinese(tmp_path: Path) -> None:
    lines = [
        "常州市教育高质量发展行动方案（2023—2025年）",
        "到2025年，新增学位不低于7.6万个。",
        "Plan 2023-2025",
    ]
    doc = read_document(_pdf_with_text(tmp_path / "plan.pdf", lines))
    assert (doc.format, doc.encoding) == ("pdf", "pdf")
    assert doc.text.split("\n") == lines


def test_pdf_without_text_layer_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "scan.pdf"
    page = canvas.Canvas(str(path))
    page.rect(100, 100, 300, 400, fill=1)
    page.showPage()
    page.save()
    _assert_error(path, "has no text layer (scanned PDF?)", "1 page")


def test_file_that_is_not_a_pdf_is_refused(tmp_path: Path) -> None:
    _assert_error(_write(tmp_path, "fake.pdf", "这不是PDF".encode()), "is not a readable PDF")


# ----------------------------------------------------------------------------------------------- bad input


def test_empty_file(tmp_path: Path) -> None:
    _assert_error(_write(tmp_path, "empty.txt", b""), "empty (0 bytes)")


def test_blank_text_file(tmp_path: Path) -> None:
    _assert_error(_write(tmp_path, "blank.txt", b" \r\n\t\n"), "contains no text")


def test_binary_file_with_nul_bytes(tmp_path: Path) -> None:
    data = bytes(range(256)) * 8
    _assert_error(_write(tmp_path, "data.txt", data), "binary file", "NUL bytes")


def test_binary_file_with_control_characters(tmp_path: Path) -> None:
    data = bytes(range(1, 32)) * 40 + "教育".encode()
    _assert_error(_write(tmp_path, "control.txt", data), "binary file", "control characters")


def test_known_binary_format_under_txt_name(tmp_path: Path) -> None:
    _assert_error(_write(tmp_path, "report.txt", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj"), "binary", "PDF")


def test_undecodable_bytes(tmp_path: Path) -> None:
    data = "教育高质量发展".encode("gb18030") + b"\x80\xff\x80" + "三年行动".encode("gb18030")
    _assert_error(_write(tmp_path, "broken.txt", data), "undecodable encoding", "UTF-8")


def test_unknown_encoding_giving_garbage(tmp_path: Path) -> None:
    data = "Les élèves du collège étudient la géographie".encode("latin-1")
    assert "閘" in data.decode("gb18030")  # decodes strictly, but into rare characters
    _assert_error(
        _write(tmp_path, "latin1.txt", data), "unknown encoding", "gb18030", "re-save the file as UTF-8"
    )


def test_latin1_text_that_no_candidate_decodes(tmp_path: Path) -> None:
    data = "Résumé: École élémentaire, année scolaire".encode("latin-1")
    _assert_error(_write(tmp_path, "latin1.txt", data), "undecodable encoding")


def test_docx_that_is_not_a_zip(tmp_path: Path) -> None:
    _assert_error(
        _write(tmp_path, "plan.docx", "一份文本".encode()), "is not a valid .docx (not a zip archive)"
    )


def test_zip_without_word_document(tmp_path: Path) -> None:
    path = tmp_path / "archive.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")
    _assert_error(path, "is not a valid .docx", "without a Word document")


def test_unknown_extension(tmp_path: Path) -> None:
    _assert_error(_write(tmp_path, "plan.doc", b"\xd0\xcf\x11\xe0"), "unsupported file type: '.doc'", ".docx")
    _assert_error(_write(tmp_path, "plan.xlsx", b"PK\x03\x04"), "unsupported file type: '.xlsx'")


def test_missing_file(tmp_path: Path) -> None:
    _assert_error(tmp_path / "absent.txt", "file not found")
