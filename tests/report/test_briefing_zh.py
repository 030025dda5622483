"""Issue 16: a Chinese briefing a policy office can hand on.

Uses the report run shared with ``test_notebooks.py`` (the briefing executes once per session, in Chinese,
the default language): no English word in what a reader sees, the instrument and strength sections, the
target comparison, headlines that cannot contradict each other, the methods box's validation figures and the
A4 print to PDF.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import unicodedata
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from compare.core.errors import InputError
from compare.report import briefing, methods, printing, sections, wording
from compare.report import notebooks as report
from compare.report.plots import targets as target_charts
from tests.paths import DATA
from tests.report.test_notebooks import report_suite, suite_tables  # noqa: F401  (shared fixtures)

#: Latin words a Chinese reader may see: file and table names, units and formats, cited authors.
ALLOWED = {
    "SHA", "SHA-256", "UTC", "Python", "F1", "xlsx", "csv", "yaml", "json", "data", "processed", "briefing_tables",
    "Rothwell", "Zegveld", "k", "e",
}  # fmt: skip
RE_LATIN = re.compile(r"[A-Za-z][A-Za-z0-9_\-]*")
RE_HIDDEN = re.compile(r"<(script|style)\b.*?</\1\s*>", re.DOTALL | re.IGNORECASE)
#: plotly figure keys whose text is drawn or shown on hover.
PLOTLY_TEXT_KEYS = ("text", "name", "hovertemplate", "hovertext", "ticktext", "x", "y", "title")


def _visible_text(page: str) -> str:
    body = RE_HIDDEN.sub(" ", page)
    body = re.sub(r"<title>.*?</title>", " ", body, flags=re.DOTALL)
    return html.unescape(re.sub(r"<[^>]+>", " ", body))


def _plotly_strings(node, key: str = "") -> list[str]:
    """Every string under a text-bearing key of a plotly figure (titles, axes, legends, hovers, ticks)."""
    out: list[str] = []
    if isinstance(node, dict):
        for k, v in node.items():
            out += _plotly_strings(v, k)
    elif isinstance(node, list):
        for v in node:
            out += _plotly_strings(v, key)
    elif isinstance(node, str) and key in PLOTLY_TEXT_KEYS:
        out.append(node)
    return out


def _figures(executed: Path) -> list[dict]:
    nb = nbformat.read(executed, as_version=4)
    return [
        out["data"]["application/vnd.plotly.v1+json"]
        for cell in nb.cells
        for out in cell.get("outputs", [])
        if "application/vnd.plotly.v1+json" in out.get("data", {})
    ]


def _figure_text(fig: dict) -> str:
    text = " ".join(_plotly_strings(fig))
    text = re.sub(r"%\{[^}]*\}", " ", text)  # hover placeholders
    text = re.sub(r"<[^>]+>", " ", text)  # <br>, <extra>, <b>, <sup>
    return html.unescape(text)


def _allowed(tables: dict[str, pd.DataFrame], build_info: dict) -> set[str]:
    """Code names and units: doc ids, theme / instrument codes, table and file names, packages, and every
    Latin word of the documents themselves (quotes are shown as written)."""
    words = set(ALLOWED) | set(tables)
    docs = tables["documents"]
    for col in ("doc_id", "file"):
        words |= set(RE_LATIN.findall(" ".join(docs[col].astype(str))))
    for text in (docs["text"], docs["text_original"]):
        words |= set(RE_LATIN.findall(" ".join(text.astype(str))))
    words |= set(RE_LATIN.findall(" ".join(tables["coverage"]["theme_code"])))
    words |= set(RE_LATIN.findall(" ".join(tables["instrument_tags"]["instrument_code"])))
    words |= set(RE_LATIN.findall(" ".join(methods.RESOURCE_FILES)))
    words |= set(
        RE_LATIN.findall(" ".join(f"{k} {v}" for k, v in (build_info.get("packages") or {}).items()))
    )
    words |= set(RE_LATIN.findall(str(build_info.get("python", ""))))
    words |= set(RE_LATIN.findall(str(build_info.get("pipeline_fingerprint", ""))))
    words |= {w for sha in docs["source_sha256"] for w in RE_LATIN.findall(sha)}
    sets = pd.read_csv(DATA / "composed" / "sets.csv", dtype=str)  # validation set names (a, b)
    words |= set(sets["set"])
    return words


@pytest.fixture(scope="module")
def page(report_suite) -> str:  # noqa: F811
    return (report_suite["out"] / "00_briefing.html").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def figures(report_suite) -> list[dict]:  # noqa: F811
    return _figures(report_suite["out"] / report.EXECUTED_DIR / "00_briefing.ipynb")


@pytest.fixture(scope="module")
def bt(suite_tables) -> dict:  # noqa: F811
    return briefing.briefing_tables(suite_tables)


# --------------------------------------------------------------------------------------------------
# 1. language
# --------------------------------------------------------------------------------------------------
def _keys(node, prefix=()) -> dict[tuple, str]:
    """Every leaf of the language block: path → text."""
    if isinstance(node, dict):
        return {k: t for key, v in node.items() for k, t in _keys(v, (*prefix, key)).items()}
    return {prefix: str(node)}


def test_wording_file_has_the_same_entries_and_fields_in_both_languages():
    zh, en = wording.wording("zh"), wording.wording("en")
    zk, ek = _keys(zh.data), _keys(en.data)
    assert set(zk) == set(ek)
    fields = re.compile(r"\{(\w+)\}")
    for key, text in zk.items():
        assert set(fields.findall(text)) == set(fields.findall(ek[key])), key
    with pytest.raises(ValueError, match="zh, en"):
        wording.wording("fr")
    for term in ("主题覆盖", "政策工具", "承诺强度", "量化目标", "时间节点", "数据来源", "方法说明"):
        assert term in json.dumps(zh.data, ensure_ascii=False), term


def test_language_is_a_papermill_parameter_chinese_by_default(report_suite):  # noqa: F811
    executed = nbformat.read(report_suite["out"] / report.EXECUTED_DIR / "00_briefing.ipynb", as_version=4)
    injected = [c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert injected and 'lang = "zh"' in injected[0].source
    from compare.cli import _parser

    args = _parser().parse_args(["report", "--lang", "en", "--pdf"])
    assert args.lang == "en" and args.pdf
    assert _parser().parse_args(["report"]).lang == "zh"
    with pytest.raises(InputError, match="unknown language"):
        report.run_report(processed=report_suite["processed"], out=report_suite["out"] / "x", lang="fr")


def test_chinese_briefing_shows_no_english_word(report_suite, suite_tables, page, figures):  # noqa: F811
    allowed = _allowed(suite_tables, briefing.load_build_info(report_suite["processed"]))
    text = _visible_text(page)
    leaks = sorted(set(RE_LATIN.findall(text)) - allowed)
    assert leaks == [], f"English in the visible text of the Chinese briefing: {leaks}"
    assert len(figures) >= 8
    quoted = " ".join(suite_tables["documents"]["text"])  # hovers wrap quotes: a word may be cut in two
    for fig in figures:
        leaks = sorted(w for w in set(RE_LATIN.findall(_figure_text(fig))) - allowed if w not in quoted)
        title = fig.get("layout", {}).get("title", {})
        assert leaks == [], (title, leaks)
    titles = re.findall(r"<title>(.*?)</title>", page)
    assert titles and titles[0] == wording.wording("zh")("page.title")


def test_every_section_heading_and_chart_title_comes_from_the_wording_file(page, figures):
    w = wording.wording("zh")
    text = _visible_text(page)
    for key in (
        "corpus",
        "coverage",
        "instruments",
        "strength",
        "targets",
        "timeline",
        "only_here",
        "methods",
    ):
        assert w(f"sections.{key}") in text, key
    drawn = {
        html.unescape(re.sub(r"<[^>]+>.*", "", str(f["layout"].get("title", {}).get("text", ""))))
        for f in figures
    }
    for chart in ("document_length", "coverage", "instruments", "instrument_shares", "strength", "strength_themes",
                  "targets", "timeline", "only_here"):  # fmt: skip
        assert w(f"charts.{chart}.title") in drawn, chart


def test_english_headlines_and_tables_are_english(bt):
    n = len(bt["summary"])
    for text in (
        briefing.corpus_headline(bt["summary"], lang="en"),
        briefing.instruments_headline(bt["instrument_shares"], n_docs=n, lang="en"),
        briefing.targets_headline(bt["aligned_indicators"], lang="en"),
    ):
        assert not re.search(r"[个份句项]", text), text
    from compare.report.tables import section_table

    assert "instrument type" not in section_table(bt, "instruments", lang="zh").columns
    assert "supply-side" in section_table(bt, "instruments", lang="en").columns


# --------------------------------------------------------------------------------------------------
# 2. instruments and commitment strength
# --------------------------------------------------------------------------------------------------
def test_instrument_and_strength_sections_have_headline_chart_note_table_and_quotes(page, bt, suite_tables):  # noqa: F811
    n = len(bt["summary"])
    text = html.unescape(page)
    assert briefing.instruments_headline(bt["instrument_shares"], n_docs=n) in text
    assert briefing.strength_headline(bt["strength_by_city"]) in text
    for table in ("instrument_tags", "strength"):
        assert f"数据表 {table}（" in text
    w = wording.wording("zh")
    for cap in ("instruments", "instruments_drill", "strength", "strength_themes", "strength_drill"):
        assert html.escape(w(f"captions.{cap}")) in page, cap
    assert page.count('class="pc-drill"') >= 5 and page.count('class="pc-alt"') >= 6
    # every drill-down quote is a sentence of the documents
    sentences = set(suite_tables["sentences"]["text"])
    assert set(bt["instrument_examples"]["text"]) <= sentences
    assert set(bt["strength_examples"]["text"]) <= sentences
    assert set(bt["instrument_categories"]["category"]) == set(sections.CATEGORIES)


def test_instrument_and_strength_counts_add_up(bt, suite_tables):  # noqa: F811
    s = bt["strength_by_city"]
    assert (s[[f"n_{c}" for c in sections.STRENGTHS]].sum(axis=1) == s["n_sentences"]).all()
    assert s["n_sentences"].sum() == len(suite_tables["strength"])
    shares = bt["instrument_shares"]
    alls = shares[shares["doc_id"] == "_all"]
    assert alls["n_tagged"].iloc[0] == suite_tables["instrument_tags"]["sentence_id"].nunique()
    assert (alls["n_sentences"] <= alls["n_tagged"]).all()


# --------------------------------------------------------------------------------------------------
# 3. target comparison
# --------------------------------------------------------------------------------------------------
def test_shared_indicators_first_sorted_by_gap_units_never_mixed(bt):
    spread = bt["target_spread"]
    assert len(spread) and (spread["n_cities"] >= 2).all()
    assert list(spread["spread"]) == sorted(spread["spread"], reverse=True)
    fig = target_charts.target_comparison_figure(bt["aligned_indicators"], spread, documents=bt["documents"])
    units = list(dict.fromkeys(spread["unit"]))
    axes = [k for k in fig.layout.to_plotly_json() if k.startswith("xaxis")]
    assert len(axes) == len(units)  # one panel (one x axis) per unit
    for tr in fig.data:  # every marker on a panel is in that panel's unit
        k = int((tr.xaxis or "x")[1:] or 1)
        unit = re.search(r"（(.*)）", fig.layout.annotations[k - 1].text).group(1)
        for h in tr.hovertext:
            assert re.search(rf"\d{re.escape(unit)}", html.unescape(h)), (unit, h)
    from compare.report.tables import section_table

    single = section_table(bt, "targets_single", lang="en")
    groups = sections.target_groups(bt["aligned_indicators"])
    assert len(single) == int((~groups["shared"]).sum())


# --------------------------------------------------------------------------------------------------
# 4. headlines cannot contradict each other
# --------------------------------------------------------------------------------------------------
def test_each_headline_states_one_finding_with_its_denominator(bt):
    n = len(bt["summary"])
    cov = bt["coverage"]
    n_themes = cov["theme_code"].nunique()
    per_theme = cov[cov["present"]].groupby("theme_code")["doc_id"].nunique()
    head = briefing.coverage_headline(cov)
    assert head == f"{n_themes}个主题中有{int((per_theme == n).sum())}个见于全部{n}份规划。"
    groups = sections.target_groups(bt["aligned_indicators"])
    n_shared = groups.loc[groups["shared"], "indicator_id"].nunique()
    assert f"中有{n_shared}个由两个及以上城市" in briefing.targets_headline(bt["aligned_indicators"])
    assert n_shared == bt["target_spread"]["indicator_id"].nunique()  # the chart's rows, same definition
    only = briefing.only_here_headline(bt["only_here"], n_docs=n, n_themes=n_themes)
    single_themes = int((per_theme == 1).sum())
    if single_themes:
        assert f"{n_themes}个主题中有{single_themes}个仅见于一份规划" in only
    headlines = [
        briefing.corpus_headline(bt["summary"]),
        head,
        briefing.instruments_headline(bt["instrument_shares"], n_docs=n),
        briefing.strength_headline(bt["strength_by_city"]),
        briefing.targets_headline(bt["aligned_indicators"]),
        briefing.timeline_headline(bt["timeline"], n_docs=n),
        only,
    ]
    for h in headlines:
        assert f"{n}份规划" in h, h  # the scope of every count is stated
        assert h.count("。") == 1 and h.endswith("。"), h  # one sentence


# --------------------------------------------------------------------------------------------------
# 5. methods box: target validation read from validation.csv, blind row first
# --------------------------------------------------------------------------------------------------
def _csv(tmp_path: Path, rows: list[dict]) -> Path:
    path = tmp_path / "validation.csv"
    pd.DataFrame(rows, columns=list(methods.VALIDATION_COLUMNS)).to_csv(path, index=False)
    return path


ROW = dict(n_docs=3, n_expected=113, precision=0.99, recall=1.0, unit_exact=1.0, comparator_exact=0.99,
           year_exact=1.0, commitment_precision=0.9, commitment_recall=0.8)  # fmt: skip


def test_blind_set_is_shown_first_with_a_reading_guide(tmp_path):
    w = wording.wording("zh")
    rows = [{"set": "seeds", **ROW}, {"set": "tuned", **ROW}, {"set": "blind", **ROW, "precision": 0.812}]
    box = html.unescape(methods.targets_validation_html(methods.read_validation(_csv(tmp_path, rows))))
    assert w("methods.blind_title") in box and "精确率 81.2%" in box
    assert w("methods.reading_guide") in box
    assert box.index("81.2%") < box.index("99.0%")
    assert box.index("盲测集") < box.index("调校集")


def test_without_blind_row_or_file_the_box_says_so(tmp_path):
    w = wording.wording("zh")
    seeds_only = methods.read_validation(_csv(tmp_path, [{"set": "seeds", **ROW}]))
    box = html.unescape(methods.targets_validation_html(seeds_only))
    assert w("methods.no_blind") in box and w("methods.blind_title") not in box
    absent = methods.read_validation(tmp_path / "nope.csv")
    assert w("methods.no_file") in html.unescape(methods.targets_validation_html(absent))
    (tmp_path / "bad.csv").write_text("set,precision\nblind,x\n", encoding="utf-8")
    bad = methods.targets_validation_html(methods.read_validation(tmp_path / "bad.csv"))
    assert "验证结果文件无法读取" in html.unescape(bad)


def test_briefing_methods_box_reads_the_project_validation_file(page):
    v = methods.read_validation()
    text = html.unescape(page)
    w = wording.wording("zh")
    if v.attrs.get("message") == "missing":
        assert w("methods.no_file") in text
    elif (v["set"] == "blind").any():
        assert w("methods.blind_title") in text and w("methods.reading_guide") in text
    else:
        assert w("methods.no_blind") in text


# --------------------------------------------------------------------------------------------------
# 6. print view and PDF
# --------------------------------------------------------------------------------------------------
def test_print_css_lays_out_a4_and_opens_the_tables(page):
    assert "@media print" in page and "size: A4" in page
    assert "details.pc-alt::details-content" in page and "beforeprint" in page
    assert "break-inside: avoid" in page


@pytest.fixture(scope="module")
def briefing_pdf(report_suite) -> Path:  # noqa: F811
    return printing.print_pdf(
        report_suite["out"] / "00_briefing.html", report_suite["out"] / "00_briefing.pdf"
    )


def test_pdf_has_pages_and_every_chart_title(briefing_pdf, figures, tmp_path):
    from pypdf import PdfReader

    reader = PdfReader(briefing_pdf)
    assert len(reader.pages) >= 5
    box = reader.pages[0].mediabox
    assert abs(float(box.width) - 595) < 3 and abs(float(box.height) - 842) < 3  # A4 in points
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", "".join(p.extract_text() for p in reader.pages)))
    for fig in figures:
        title = html.unescape(re.sub(r"<br>.*", "", str(fig["layout"]["title"]["text"])))
        assert re.sub(r"\s+", "", unicodedata.normalize("NFKC", title)) in text, title
    exe = shutil.which("pdftoppm")
    if exe:  # the pages also render as images (pypdf's text check above stands alone without poppler)
        subprocess.run(
            [exe, "-png", "-r", "30", "-f", "1", "-l", "2", str(briefing_pdf), str(tmp_path / "p")],
            check=True,
        )
        pngs = sorted(tmp_path.glob("p*.png"))
        assert len(pngs) == 2 and all(p.stat().st_size > 2_000 for p in pngs)


def test_missing_chromium_is_a_one_line_error(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("CHROMIUM", raising=False)
    with pytest.raises(InputError, match="headless Chromium is needed for --pdf") as exc:
        printing.find_chromium()
    assert "\n" not in str(exc.value)
