"""Issue 15, hostile text: markup and spreadsheet formulas in documents, file names and manifest fields
(title, city …) come out as text: escaped in every HTML page the report writes, never a formula in the
Excel workbook, unchanged in the tables."""

from __future__ import annotations

import csv
import html
import re
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from compare.core.config import NOTEBOOKS_DIR
from compare.pipeline.build import build
from compare.report import briefing
from compare.report.notebooks import run_report, workbook_tables, write_workbook

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
FORMULAS = ('=HYPERLINK("http://x","y")', "=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(1)")
PAYLOADS = (SCRIPT, IMG, *FORMULAS)
#: What must never appear in a page: the payloads' markup, live (cleaning turns "(" into "（" in the text).
LIVE_MARKUP = re.compile(r"<script>alert[(（]1[)）]|<img src=x onerror", re.IGNORECASE)
FILE_A = f"{IMG}.txt"  # "/" cannot be in a file name, the rest can
FILE_B = "=HYPERLINK(1) +1+1 @SUM(1).txt"
MANIFEST = {
    "hostile_a": {"file": FILE_A, "city": FORMULAS[1], "city_label": SCRIPT, "province": FORMULAS[4],
                  "title": SCRIPT, "source": FORMULAS[2], "notes": FORMULAS[0]},
    "hostile_b": {"file": FILE_B, "city": IMG, "city_label": FORMULAS[0], "province": FORMULAS[3],
                  "title": FORMULAS[1], "source": "", "notes": IMG},
}  # fmt: skip


def _plan(city: str) -> str:
    lines = [f"{city}教育高质量发展行动方案（2023—2025年）", "一、总体要求"]
    for i, payload in enumerate(PAYLOADS):
        lines += [payload, f"{payload}到2025年，普惠性幼儿园覆盖率达到9{i}%以上。"]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """A built corpus of hostile plans (+ one ordinary plan) and the briefing report made from it."""
    root = tmp_path_factory.mktemp("hostile")
    raw = root / "raw"
    raw.mkdir()
    (raw / FILE_A).write_text(_plan("某市"), encoding="utf-8")
    (raw / FILE_B).write_text(_plan("另一市"), encoding="utf-8")
    (raw / "plain.txt").write_text(_plan("泰州市"), encoding="utf-8")
    columns = ["doc_id", "file", "city", "city_label", "province", "title", "source", "notes"]
    with (raw / "manifest.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(columns)
        for doc_id, row in MANIFEST.items():
            writer.writerow([doc_id, *(row[c] for c in columns[1:])])
    processed = root / "processed"
    result = build(raw, processed, use_cache=False)
    assert result.errors.empty
    report = run_report(  # the one export: the briefing page, the index and the workbook
        notebooks_dir=NOTEBOOKS_DIR,
        processed=processed,
        out=root / "reports",
        only=["00_briefing"],
        force=True,
    )
    assert [r.status for r in report.runs] == ["executed"], [r.error for r in report.runs]
    return {"tables": dict(result.tables), "reports": root / "reports", "root": root}


def test_payloads_are_kept_verbatim_in_the_tables(hostile):
    docs = hostile["tables"]["documents"].set_index("doc_id")
    for doc_id, row in MANIFEST.items():
        for column, value in row.items():
            assert docs.loc[doc_id, column] == (value or None), (doc_id, column)
    text = "\n".join(hostile["tables"]["sentences"]["text"])
    for payload in PAYLOADS:
        assert payload.replace("(", "（").replace(")", "）") in text, payload


def _assert_text_not_markup(page: str, where: str) -> None:
    assert not LIVE_MARKUP.search(page), (where, LIVE_MARKUP.search(page))
    shown = html.unescape(page)
    assert "<script>alert(1)</script>" in shown and IMG in shown, where  # there, as text
    assert FORMULAS[0] in shown and FORMULAS[1] in shown, where


def test_every_html_page_of_the_report_shows_the_payloads_as_text(hostile):
    pages = sorted(hostile["reports"].glob("*.html"))
    assert {p.name for p in pages} >= {"00_briefing.html", "index.html"}
    briefing_page = (hostile["reports"] / "00_briefing.html").read_text(encoding="utf-8")
    _assert_text_not_markup(briefing_page, "00_briefing.html")
    for page in pages:
        assert not LIVE_MARKUP.search(page.read_text(encoding="utf-8")), page.name


def test_the_briefing_html_snippets_escape_every_table(hostile):
    bt = briefing.briefing_tables(hostile["tables"])
    blocks = [briefing.headline_html(briefing.corpus_headline(bt["summary"]))]
    blocks += [briefing.table_html(df, max_rows=1000) for df in bt.values() if hasattr(df, "to_html")]
    blocks.append(briefing.note_html(SCRIPT + IMG))
    page = "\n".join(blocks)
    _assert_text_not_markup(page, "briefing snippets")


def _assert_no_formula(path: Path) -> dict[str, int]:
    """No cell is a formula (openpyxl's view and the sheet XML); returns text cells per leading = + - @."""
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            if name.startswith("xl/worksheets/"):
                assert not re.search(rb"<(?:\w+:)?f[ >]", zf.read(name)), name  # no <f> element anywhere
    starts = dict.fromkeys("=+-@", 0)
    for ws in load_workbook(path).worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str) and cell.value[:1] in starts:
                    assert cell.data_type == "s", (ws.title, cell.coordinate)
                    starts[cell.value[0]] += 1
    return starts


def test_the_report_workbook_holds_no_formula(hostile):
    starts = _assert_no_formula(hostile["reports"] / "briefing_tables.xlsx")
    assert all(starts.values()), starts  # each kind of payload reached the workbook, as text


def test_a_workbook_of_every_key_table_holds_no_formula_even_in_headers(hostile, tmp_path):
    sheets = workbook_tables(hostile["tables"])
    assert any(str(c).startswith("=") for df in sheets.values() for c in df.columns)  # a pivot's headers
    path = write_workbook(sheets, tmp_path / "tables.xlsx")
    starts = _assert_no_formula(path)
    assert all(starts.values()), starts
    values = {c.value for ws in load_workbook(path).worksheets for row in ws.iter_rows() for c in row}
    assert set(FORMULAS[:2]) <= values  # stored exactly as the manifest gave them
