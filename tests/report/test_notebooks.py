"""The notebook suite and the HTML briefings, executed with papermill on the seeds plus two dropped-in files.

One build + report run is shared by this file and ``test_browser.py`` (:func:`report_suite`): the seeds, a
small extra plan dropped into a copy of ``data/raw`` without a manifest row (the suite must adapt without
code changes), and a file full of markup (it must show as text in the HTML, never run).
"""

from __future__ import annotations

import functools
import html
import json
import re
import shutil
import time
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from compare.core.errors import InputError
from compare.core.store import load_corpus
from compare.pipeline.build import build
from compare.report import briefing, overview
from compare.report import notebooks as report
from tests.paths import ROOT

NOTEBOOKS = ROOT / "notebooks"
RAW = ROOT / "data" / "raw"

EXTRA_FILE = "shaoxing_2024_work_points.txt"
EXTRA_TEXT = """绍兴市教育局2024年工作要点

2024年，全市教育系统坚持立德树人根本任务，深入推进教育高质量发展，办好人民满意的教育。

一、推进学前教育普及普惠
（一）扩大普惠性资源供给。新建改扩建幼儿园10所，新增学位3000个，普惠性幼儿园在园幼儿占比达到92%以上。
（二）提升保教质量。2024年底前，二级及以上幼儿园在园幼儿占比达到80%。
二、推动义务教育优质均衡发展
（三）深化集团化办学。紧密型教育集团覆盖率达到50%，推进城乡学校结对帮扶。
（四）落实“双减”工作，课后服务覆盖率保持100%。
三、加强教师队伍建设
（五）实施名师培养工程，培养骨干教师200名，中小学心理健康教师配备率达到100%。
四、强化保障措施
（六）加强组织领导。各区、县（市）要落实教育优先发展主体责任，保障教育经费投入。
"""
XSS_FILE = "markup_probe_2024.txt"
#: Each payload would set ``window.__pc_xss`` if it ever ran in a browser.
XSS_SCRIPT = "<script>window.__pc_xss=4</script>"
XSS_TEXT = f"""<script>window.__pc_xss=1</script>某市教育工作安排<img src=x onerror="window.__pc_xss=2">

为推动教育高质量发展，制定本安排。

一、总体要求<b onmouseover="window.__pc_xss=3">加强统筹</b>
（一）到2025年，普惠性幼儿园在园幼儿占比达到90%以上{XSS_SCRIPT}。
二、主要任务
（二）推进教师队伍建设<img src=x onerror="window.__pc_xss=5">，培训教师1000人次。
（三）推进集团化办学，紧密型教育集团覆盖率达到40%。
"""
SUBSET = ["changzhou_2023", "taizhou_js_2023"]
#: The licence header of the plotly.js bundle: present once per page that has charts.
RE_PLOTLY_BUNDLE = re.compile(r"\* plotly\.js v\d+\.\d+\.\d+")
#: Text that must never reach a rendered page.
FORBIDDEN = ("Traceback", "Building prefix dict", "Warning", "Error:")


@functools.cache
def suite(base: str) -> dict:
    """Build seeds + extra + markup files into ``base`` and run the whole report once (cached per session)."""
    root = Path(base)
    shutil.rmtree(root, ignore_errors=True)
    raw = root / "raw"
    shutil.copytree(RAW, raw)
    for p in raw.iterdir():
        p.chmod(0o644)
    (raw / EXTRA_FILE).write_text(EXTRA_TEXT, encoding="utf-8")
    (raw / XSS_FILE).write_text(XSS_TEXT, encoding="utf-8")
    processed = root / "processed"
    build(raw, processed, use_cache=False)
    out = root / "reports"
    cwd = Path.cwd()
    t0 = time.perf_counter()
    try:
        result = report.run_report(notebooks_dir=NOTEBOOKS, processed=processed, out=out)
    except report.ReportError as exc:  # test_every_notebook_executes_and_exports names the failure
        result = exc.result
    seconds = time.perf_counter() - t0
    return {
        "processed": processed,
        "out": out,
        "result": result,
        "seconds": seconds,
        "cwd": (cwd, Path.cwd()),
    }


@pytest.fixture(scope="module")
def report_suite(tmp_path_factory) -> dict:
    """The shared build + report run (see :func:`suite`)."""
    return suite(str(tmp_path_factory.getbasetemp() / "report_suite"))


@pytest.fixture(scope="module")
def suite_tables(report_suite) -> dict[str, pd.DataFrame]:
    return load_corpus(report_suite["processed"])


def _page(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _outputs_text(executed: Path) -> str:
    nb = nbformat.read(executed, as_version=4)
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.output_type == "stream":
                parts.append(out.text)
            elif out.output_type == "error":
                parts.append(f"{out.ename}: {out.evalue}")
            else:
                parts.append(out.get("data", {}).get("text/plain", ""))
    return "\n".join(parts)


def test_every_notebook_executes_and_exports(report_suite):
    result, out = report_suite["result"], report_suite["out"]
    names = sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb"))
    assert {"00_briefing", "01_corpus_overview"} <= set(names)
    assert [r.name for r in result.runs] == names
    for run in result.runs:
        assert run.status == "executed", (run.name, run.error)
        assert run.html.exists() and run.html.stat().st_size > 10_000
        text = _outputs_text(out / report.EXECUTED_DIR / f"{run.name}.ipynb")
        for word in ("Traceback", "Building prefix dict", "Warning"):
            assert word not in text, (run.name, word)
    index = _page(result.index)
    for run in result.runs:
        assert f'href="{run.html.name}"' in index
    assert report.WORKBOOK_NAME in index
    before, after = report_suite["cwd"]
    assert after == before  # notebooks ran in parallel without moving the caller's working directory


def test_pages_are_offline_and_plotly_is_embedded_once(report_suite):
    for run in report_suite["result"].runs:
        page = _page(run.html)
        assert 'src="http' not in page, run.name  # no CDN script (require.js, MathJax, plotly)
        if "plotly-graph-div" in page:
            assert RE_PLOTLY_BUNDLE.findall(page) and len(RE_PLOTLY_BUNDLE.findall(page)) == 1, run.name


def test_briefing_has_no_code_and_computed_headlines(report_suite, suite_tables):
    page = _page(report_suite["out"] / "00_briefing.html")
    assert "notebook_setup()" not in page and "import compare" not in page
    bt = briefing.briefing_tables(suite_tables)
    labels = dict(zip(bt["labels"]["doc_id"], bt["labels"]["label"], strict=True))
    headlines = [
        briefing.corpus_headline(bt["summary"]),
        briefing.coverage_headline(bt["coverage"]),
        briefing.instruments_headline(bt["instrument_shares"], n_docs=len(bt["summary"])),
        briefing.strength_headline(bt["strength_by_city"]),
        briefing.targets_headline(bt["aligned_indicators"]),
        briefing.timeline_headline(bt["timeline"], labels=labels, n_docs=len(bt["summary"])),
        briefing.only_here_headline(
            bt["only_here"],
            labels=labels,
            n_docs=len(bt["summary"]),
            n_themes=bt["coverage"]["theme_code"].nunique(),
        ),
    ]
    text = html.unescape(page)
    for h in headlines:
        assert h in text, h
    assert "暂无此项" not in page
    # methods box: rule versions, validation figures, provenance
    for sha in suite_tables["documents"]["source_sha256"]:
        assert sha in page
    assert "themes.yaml" in page and "主题标注（段落，微平均）" in page


def test_adding_a_document_is_dropping_a_file(report_suite, suite_tables):
    docs = suite_tables["documents"].set_index("doc_id")
    extra = Path(EXTRA_FILE).stem
    assert extra in docs.index and docs.loc[extra, "metadata_source"] == "inferred"
    label = docs.loc[extra, "city_label"]
    assert label and "绍兴" in label
    brief = _page(report_suite["out"] / "00_briefing.html")
    assert f"本简报比较{len(docs)}份规划" in brief
    assert html.escape(label) in brief
    assert html.escape(label) in _page(report_suite["out"] / "01_corpus_overview.html")
    bt = briefing.briefing_tables(suite_tables)
    assert extra in set(bt["coverage"]["doc_id"])
    from openpyxl import load_workbook

    wb = load_workbook(report_suite["out"] / report.WORKBOOK_NAME, read_only=True)
    ids = [row[0] for row in wb["documents"].iter_rows(min_row=2, values_only=True)]
    assert ids == list(docs.index)


def test_workbook_has_one_sheet_per_key_table(report_suite, suite_tables):
    from openpyxl import load_workbook

    expected = report.workbook_tables(suite_tables)
    wb = load_workbook(report_suite["out"] / report.WORKBOOK_NAME, read_only=True)
    assert wb.sheetnames == list(expected)
    for name, df in expected.items():
        assert wb[name].max_row == len(df) + 1, name
    assert {"documents", "theme_coverage", "indicators_side_by_side", "timeline", "only_here"} <= set(
        wb.sheetnames
    )


def test_document_markup_is_escaped(report_suite):
    for run in report_suite["result"].runs:
        page = _page(run.html)
        assert "<script>window.__pc_xss" not in page, run.name
        assert "<img src=x onerror" not in page, run.name
    brief = _page(report_suite["out"] / "00_briefing.html")
    assert html.escape(XSS_SCRIPT) in brief  # shown as text in the drill-down table


def test_warm_rerun_skips_unchanged_notebooks(report_suite):
    out = report_suite["out"]
    before = {p.name: p.stat().st_mtime_ns for p in out.glob("*.html") if p.name != "index.html"}
    t0 = time.perf_counter()
    again = report.run_report(notebooks_dir=NOTEBOOKS, processed=report_suite["processed"], out=out)
    seconds = time.perf_counter() - t0
    assert [r.status for r in again.runs] == ["skipped"] * len(again.runs)
    assert {p.name: p.stat().st_mtime_ns for p in out.glob("*.html") if p.name != "index.html"} == before
    assert seconds < report_suite["seconds"] / 3
    cache = json.loads((out / report.CACHE_FILE).read_text(encoding="utf-8"))
    assert set(cache) >= {f"{r.name}.ipynb" for r in again.runs}


def test_parameterised_subset_run(report_suite, suite_tables, tmp_path):
    out = tmp_path / "subset"
    result = report.run_report(
        notebooks_dir=NOTEBOOKS, processed=report_suite["processed"], out=out, docs=SUBSET,
        only=["00_briefing", "01_corpus_overview"],
    )  # fmt: skip
    assert [r.status for r in result.runs] == ["executed", "executed"]
    executed = nbformat.read(out / report.EXECUTED_DIR / "00_briefing.ipynb", as_version=4)
    injected = [c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert injected and "changzhou_2023" in injected[0].source
    page = _page(out / "00_briefing.html")
    bt = briefing.briefing_tables(suite_tables, docs=SUBSET)
    assert briefing.corpus_headline(bt["summary"]) in html.unescape(page)
    assert briefing.coverage_headline(bt["coverage"]) in html.unescape(page)
    assert "本简报比较2份规划，来自2个地区" in page
    others = set(overview.document_labels(suite_tables["documents"]).values()) - set(bt["labels"]["label"])
    for label in others:
        assert html.escape(label) not in page, label
    from openpyxl import load_workbook

    wb = load_workbook(out / report.WORKBOOK_NAME, read_only=True)
    assert sorted(r[0] for r in wb["documents"].iter_rows(min_row=2, values_only=True)) == sorted(SUBSET)


def test_briefing_degrades_without_theme_and_target_tables(report_suite, tmp_path):
    processed = tmp_path / "foundation_only"
    processed.mkdir()
    for name in ("documents", "passages", "sentences", "tokens", "repairs", "errors"):
        shutil.copy(report_suite["processed"] / f"{name}.parquet", processed)
    shutil.copy(report_suite["processed"] / "build_info.json", processed)
    out = tmp_path / "reports"
    result = report.run_report(notebooks_dir=NOTEBOOKS, processed=processed, out=out, only=["00_briefing"])
    assert result.runs[0].status == "executed"
    page = _page(out / "00_briefing.html")
    assert "暂无此项：请以 主题标注（themes）阶段重新构建数据" in page
    assert "暂无此项：请以 目标抽取（targets）阶段重新构建数据" in page
    assert "Traceback" not in page and "KeyError" not in page


def test_unknown_doc_id_is_a_clear_error(report_suite):
    with pytest.raises(InputError, match=r"unknown doc id.*no_such_doc"):
        report.run_report(
            notebooks_dir=NOTEBOOKS, processed=report_suite["processed"], out=report_suite["out"] / "x",
            docs=["no_such_doc"],
        )  # fmt: skip
    with pytest.raises(InputError, match="no document of city 广州"):
        report.run_report(
            notebooks_dir=NOTEBOOKS, processed=report_suite["processed"], out=report_suite["out"] / "x",
            cities=["广州"],
        )  # fmt: skip
    from compare.cli import main

    assert main(["report", "--processed", str(report_suite["processed"]), "--docs", "no_such_doc"]) == 2


def test_workbook_keeps_formula_like_text_as_text(tmp_path):
    from openpyxl import load_workbook

    df = pd.DataFrame(
        {"comparator": ["=", ">="], "quote": ['=HYPERLINK("http://x")', "普惠性幼儿园\x0b占比"]}
    )
    path = report.write_workbook({"targets": df, "a/b:c": df}, tmp_path / "t.xlsx")
    wb = load_workbook(path)
    assert wb.sheetnames == ["targets", "a_b_c"]
    ws = wb["targets"]
    assert ws["A2"].value == "=" and ws["A2"].data_type == "s"
    assert ws["B2"].data_type == "s" and ws["B3"].value == "普惠性幼儿园占比"
