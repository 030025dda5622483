"""Execute the notebook suite headless and export standalone, offline HTML briefings.

:func:`run_report` executes every notebook of ``notebooks/`` with papermill (parameters injected into the
cell tagged ``parameters``), exports each to ``reports/<name>.html`` with nbconvert (the briefing without
code cells), writes ``reports/index.html`` linking them and ``reports/briefing_tables.xlsx`` (one sheet per
key table). Notebooks whose inputs (notebook file, processed data, library code, parameters) did not change
since the last run are skipped.

Offline: plotly figures use the ``plotly_mimetype+notebook`` renderer (plotly.js embedded once per page),
and the export template drops nbconvert's require.js / MathJax / mermaid CDN scripts, so a report opens on a
laptop without network. Notebooks call :func:`notebook_setup` first: it quiets library logging and warnings
so no warning text reaches an output cell.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import html
import json
import logging
import os
import re
import sys
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from compare.core.config import PACKAGE_ROOT
from compare.core.errors import InputError, PolicyCompareError

LOG = logging.getLogger(__name__)

__all__ = [
    "PLOTLY_RENDERER",
    "NotebookRun",
    "ReportError",
    "ReportResult",
    "data_fingerprint",
    "ensure_kernel",
    "export_html",
    "notebook_setup",
    "run_report",
    "show",
    "workbook_tables",
    "write_index",
    "write_workbook",
]

#: Renderer that keeps the native plotly output and embeds plotly.js once for exported HTML.
PLOTLY_RENDERER = "plotly_mimetype+notebook"
#: Name of the kernelspec this package registers inside the running Python's prefix.
KERNEL_NAME = "policy-compare"
CACHE_FILE = ".report_cache.json"
#: Facts of ``build_info.json`` that only change when the data changes (timings and cache counts do not).
STABLE_BUILD_KEYS = ("pipeline_fingerprint", "files", "rows", "packages", "python")
EXECUTED_DIR = "executed"
WORKBOOK_NAME = "briefing_tables.xlsx"
#: Bump when the export template or the export steps change (invalidates cached reports).
EXPORT_VERSION = "2"
#: Loggers of libraries that chat at INFO/WARNING level while a notebook runs.
QUIET_LOGGERS = ("jieba", "compare", "papermill", "traitlets", "matplotlib", "fontTools", "numexpr")
#: A script loaded from the network (nbconvert template leftovers); removed from exported pages.
RE_REMOTE_SCRIPT = re.compile(r"<script[^>]*\ssrc=\"https?://[^\"]*\"[^>]*>\s*</script>", re.IGNORECASE)
#: Excel sheet names: at most 31 characters, none of []:*?/\ .
RE_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")

TEMPLATE = """{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{% block extra_css %}
<style type="text/css">
  body { font-family: "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "PingFang SC",
         "Microsoft YaHei", "WenQuanYi Micro Hei", sans-serif; }
  .jp-RenderedHTMLCommon table.pc-table { font-size: 0.85em; }
  .pc-headline { color: #0b3d62; }
  .pc-print-only { display: none; }
  details > summary { cursor: pointer; color: #0b3d62; margin: 0.4em 0; }
  main { max-width: 1150px; margin: 0 auto; }
  /* pandas tables: each column as wide as its content, long text wrapped at 24em, the table scrolls sideways
     instead of squeezing a text column to a few characters per line */
  .jp-OutputArea-output:has(> table.dataframe), .jp-OutputArea-output:has(table.dataframe) { overflow-x: auto; }
  .jp-RenderedHTMLCommon table.dataframe { width: max-content; max-width: none; table-layout: auto; }
  .jp-RenderedHTMLCommon table.dataframe td { max-width: 24em; min-width: 2.5em; }
  /* print (A4): charts fit the page width and are never split, the table behind each chart is printed open
     and wraps inside the page, drill-downs to quotes print as their one-line summary */
  @media print {
    @page { size: A4; margin: 12mm 11mm 14mm 11mm; }
    html, body { background: #fff !important; }
    body { font-size: 10pt; }
    main { max-width: none; margin: 0; padding: 0; }
    .pc-print-only { display: block; }
    .jp-Cell, .jp-Cell-outputWrapper, .jp-OutputArea-child, .jp-OutputArea-output { padding: 0 !important; margin: 0 !important; }
    h1, h2, h3, h4, .pc-headline { break-after: avoid; page-break-after: avoid; }
    h2 { margin-top: 0.9em; }
    .js-plotly-plot, .plotly-graph-div, .jp-RenderedImage, .pc-blind { break-inside: avoid; page-break-inside: avoid; }
    .js-plotly-plot, .plotly-graph-div { max-width: 100% !important; overflow: hidden; }
    .modebar-container, .modebar { display: none !important; }
    .jp-OutputArea-output:has(table.dataframe), .jp-OutputArea-output:has(table.pc-table) { overflow: visible !important; }
    .jp-RenderedHTMLCommon table.dataframe, .jp-RenderedHTMLCommon table.pc-table {
      width: 100% !important; max-width: 100% !important; table-layout: auto; font-size: 7.5pt; }
    .jp-RenderedHTMLCommon table.pc-table td, .jp-RenderedHTMLCommon table.pc-table th {
      max-width: none !important; min-width: 0 !important; white-space: normal !important; overflow-wrap: anywhere;
      padding: 1px 3px !important; }
    .jp-RenderedHTMLCommon table.pc-table tr { break-inside: avoid; }
    .jp-RenderedHTMLCommon table.pc-table thead { display: table-header-group; }
    details.pc-alt::details-content { content-visibility: visible; display: contents; }
    details.pc-drill > summary { color: #555; }
  }
</style>
<script>
/* Printing: charts laid out at the width of an A4 page and the tables behind them opened; restored after. */
(function () {
  var PRINT_WIDTH = 640, opened = [];
  function plots() { return Array.prototype.slice.call(document.querySelectorAll(".js-plotly-plot")); }
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details.pc-alt:not([open])").forEach(function (d) { d.open = true; opened.push(d); });
    if (window.Plotly) { plots().forEach(function (d) { window.Plotly.relayout(d, {width: PRINT_WIDTH}); }); }
  });
  window.addEventListener("afterprint", function () {
    opened.forEach(function (d) { d.open = false; }); opened = [];
    if (window.Plotly) { plots().forEach(function (d) { window.Plotly.relayout(d, {width: null, autosize: true}); }); }
  });
})();
</script>
{% endblock extra_css %}
"""


class ReportError(PolicyCompareError):
    """One or more notebooks failed to execute (their partial output is kept in ``reports/executed``)."""

    def __init__(self, message: str, result: ReportResult | None = None) -> None:
        super().__init__(message)
        self.result = result


@dataclass
class NotebookRun:
    """What happened to one notebook.

    Attributes:
        name: Notebook stem, e.g. ``00_briefing``.
        title: The notebook's first Markdown heading.
        html: Exported page.
        status: ``executed``, ``skipped`` (inputs unchanged) or ``failed``.
        seconds: Execution + export time (0 when skipped).
        error: The error message when failed.
    """

    name: str
    title: str
    html: Path
    status: str
    seconds: float = 0.0
    error: str | None = None


@dataclass
class ReportResult:
    """Every notebook run, the index page, the workbook and the total time."""

    runs: list[NotebookRun]
    index: Path
    workbook: Path | None
    seconds: float
    failed: list[NotebookRun] = field(default_factory=list)


# --------------------------------------------------------------------------------------------------
# inside the notebooks
# --------------------------------------------------------------------------------------------------
def notebook_setup() -> None:
    """Prepare a notebook kernel: quiet logging/warnings, plotly renderer for offline export, CJK fonts.

    Call it in the first code cell. jieba's "Building prefix dict…" and library warnings go to the log at
    ERROR level only, so no warning text ends up in an output cell.
    """
    import plotly.io as pio

    from compare.report.plots.fonts import setup_matplotlib_cjk

    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    warnings.filterwarnings("ignore", category=UserWarning, module=r"(matplotlib|pandas|plotly|openpyxl)")
    warnings.filterwarnings("ignore", message=r".*[Gg]lyph .* missing from font")
    with contextlib.suppress(ImportError):  # jieba logs "Building prefix dict…" through its own logger
        import jieba

        jieba.setLogLevel(logging.ERROR)
    pio.renderers.default = os.environ.get("PLOTLY_RENDERER") or PLOTLY_RENDERER
    setup_matplotlib_cjk()
    pd.set_option("display.max_colwidth", 80)
    pd.set_option("display.max_rows", 80)


def show(fig) -> None:
    """Display a figure once: plotly as an interactive chart, matplotlib as an embedded PNG.

    A matplotlib ``Figure`` is rendered to PNG here (it need not be attached to pyplot's inline backend)
    and closed, so it is neither lost nor shown twice.
    """
    from IPython.display import Image, display
    from matplotlib.figure import Figure

    if isinstance(fig, Figure):
        import io

        import matplotlib.pyplot as plt

        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
        plt.close(fig)
        display(Image(data=buf.getvalue(), format="png"))
        return
    display(fig)


# --------------------------------------------------------------------------------------------------
# fingerprints and kernel
# --------------------------------------------------------------------------------------------------
def data_fingerprint(processed: str | Path) -> str:
    """Fingerprint of a processed folder, stable across rebuilds of unchanged inputs.

    Uses the stable facts of ``build_info.json`` (source hashes, pipeline fingerprint, package versions,
    row counts) plus the bytes of ``documents.parquet`` (manifest metadata); without ``build_info.json``,
    the bytes of every table.
    """
    folder = Path(processed)
    info = folder / "build_info.json"
    h = hashlib.sha256()
    if info.exists():
        data = json.loads(info.read_text(encoding="utf-8"))
        stable = {k: data.get(k) for k in STABLE_BUILD_KEYS}
        h.update(json.dumps(stable, sort_keys=True, ensure_ascii=False, default=str).encode())
        paths = [folder / "documents.parquet"]
    else:
        paths = sorted(folder.glob("*.parquet"))
    for path in paths:
        if path.exists():
            h.update(path.name.encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:16]


def _folder_fingerprint(folder: Path) -> str:
    h = hashlib.sha256()
    if folder.is_dir():
        for path in sorted(folder.glob("*.csv")):
            h.update(path.name.encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:16]


def _library_fingerprint() -> str:
    from compare.pipeline.cache import pipeline_fingerprint

    return pipeline_fingerprint()


def ensure_kernel(name: str = KERNEL_NAME) -> str:
    """Make sure a kernelspec ``name`` runs *this* Python (the venv's), registering it if needed.

    The spec is written to ``<sys.prefix>/share/jupyter/kernels/<name>`` (the ``--sys-prefix`` location);
    jupyter finds it there whenever this interpreter runs papermill.

    Returns:
        The kernel name to pass to papermill.
    """
    folder = Path(sys.prefix) / "share" / "jupyter" / "kernels" / name
    spec = {
        # log level CRITICAL: no "Kernel is running over TCP…" or shutdown "KeyboardInterrupt caught" lines
        "argv": [
            sys.executable,
            "-m",
            "ipykernel_launcher",
            "-f",
            "{connection_file}",
            "--IPKernelApp.log_level=CRITICAL",
        ],
        "display_name": "Python (policy-compare)",
        "language": "python",
        "metadata": {"debugger": False},
    }
    path = folder / "kernel.json"
    if not path.exists() or json.loads(path.read_text(encoding="utf-8")).get("argv") != spec["argv"]:
        folder.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(spec, indent=1), encoding="utf-8")
    return name


@contextlib.contextmanager
def _kernel_env() -> Iterator[None]:
    """Environment for the kernels: the offline plotly renderer and the package importable."""
    src = str(PACKAGE_ROOT.parent)
    parts = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    if src not in parts:
        parts.insert(0, src)
    wanted = {"PLOTLY_RENDERER": PLOTLY_RENDERER, "PYTHONPATH": os.pathsep.join(parts)}
    old = {k: os.environ.get(k) for k in wanted}
    os.environ.update(wanted)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


# --------------------------------------------------------------------------------------------------
# execute and export
# --------------------------------------------------------------------------------------------------
#: The first page heading a notebook's code displays (the briefing writes its headings in the chosen language).
RE_H1 = re.compile(r"<h1[^>]*>(.*?)</h1>", re.DOTALL)


def _title(nb) -> str:
    """The first Markdown heading, else the first ``<h1>`` an output displays, else ``metadata.title``."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
        for out in cell.get("outputs", []):
            m = RE_H1.search(str(out.get("data", {}).get("text/html", "")))
            if m:
                return html.unescape(re.sub(r"<[^>]+>", "", m.group(1))).strip()
    return str(nb.metadata.get("title", ""))


def _hide_input(nb, name: str) -> bool:
    meta = nb.metadata.get("policy_compare", {})
    return bool(meta.get("hide_input", "briefing" in name))


def export_html(executed: Path, out_html: Path, *, hide_input: bool) -> Path:
    """Export an executed notebook to one standalone HTML page (no CDN scripts).

    Args:
        executed: The executed ``.ipynb``.
        out_html: Where to write the page.
        hide_input: Leave code cells and prompts out (the briefing).
    """
    import nbformat
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    nb = nbformat.read(executed, as_version=4)
    exporter = HTMLExporter(
        template_name="lab",
        extra_loaders=[DictLoader({"policy_compare.html.j2": TEMPLATE})],
        template_file="policy_compare.html.j2",
        exclude_input=hide_input,
        exclude_input_prompt=hide_input,
        exclude_output_prompt=hide_input,
    )
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": _title(nb) or executed.stem}})
    body = RE_REMOTE_SCRIPT.sub("", body)
    out_html.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_html.with_suffix(".html.tmp")
    tmp.write_text(body, encoding="utf-8")
    os.replace(tmp, out_html)
    return out_html


def _execute(src: Path, dst: Path, *, parameters: dict, kernel_name: str) -> None:
    import papermill as pm

    dst.parent.mkdir(parents=True, exist_ok=True)
    pm.execute_notebook(
        # the kernel starts in the notebook's folder (nbclient's resources path) without papermill's
        # process-wide chdir, which is not safe while notebooks run in parallel threads
        str(src), str(dst), parameters=parameters, kernel_name=kernel_name,
        resources={"metadata": {"path": str(src.parent)}},
        progress_bar=False, log_output=False, request_save_on_cell_execute=False,
    )  # fmt: skip


def _declared_parameters(src: Path) -> set[str]:
    import papermill as pm

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return set(pm.inspect_notebook(str(src)))


# --------------------------------------------------------------------------------------------------
# index and workbook
# --------------------------------------------------------------------------------------------------
def write_index(runs: list[NotebookRun], out_dir: Path, *, build_info: dict, docs: list[str] | None) -> Path:
    """Write ``index.html`` linking every exported notebook (all text escaped)."""
    items = []
    for r in runs:
        status = {"executed": "", "skipped": " (unchanged, not re-run)", "failed": " — FAILED"}[r.status]
        err = f"<br><code>{html.escape(r.error or '')}</code>" if r.status == "failed" else ""
        items.append(
            f'<li><a href="{html.escape(r.html.name)}">{html.escape(r.title or r.name)}</a>'
            f" <small>{html.escape(r.name)}.ipynb{html.escape(status)}</small>{err}</li>"
        )
    files = build_info.get("files", {})
    sel = ", ".join(docs) if docs else "all documents"
    page = f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>policy-compare reports</title>
<style>body{{font-family:"Noto Sans CJK SC","PingFang SC","Microsoft YaHei",sans-serif;max-width:900px;margin:2em auto;}}
li{{margin:0.5em 0}}</style></head><body>
<h1>policy-compare reports</h1>
<p>Data built at {html.escape(str(build_info.get("built_at", "unknown")))} from {len(files)} document(s);
selection: {html.escape(sel)}. Generated {html.escape(dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))}.</p>
<ul>
{chr(10).join(items)}
</ul>
<p>Key tables for spreadsheets: <a href="{WORKBOOK_NAME}">{WORKBOOK_NAME}</a>.
Every page opens offline (charts embedded).</p>
</body></html>
"""
    path = out_dir / "index.html"
    path.write_text(page, encoding="utf-8")
    return path


def workbook_tables(
    tables: dict[str, pd.DataFrame], *, docs: list[str] | None = None
) -> dict[str, pd.DataFrame]:
    """The key tables for policy staff (one sheet each), for the whole corpus or a selection.

    Returns:
        ``{sheet name: DataFrame}``: documents, sections, cleaning log summary and, when built, theme
        coverage, aligned indicators side by side, indicator detail with quotes, timeline, only-here.
    """
    from compare.report import briefing, overview

    bt = briefing.briefing_tables(tables, docs=docs)
    sel = overview.select_documents(tables, docs)
    labels = dict(zip(bt["labels"]["doc_id"], bt["labels"]["label"], strict=True))
    out = {
        "documents": bt["summary"],
        "sections": overview.passages_by_section(sel["passages"]),
        "cleaning": overview.repairs_by_rule(sel["repairs"]),
    }
    if "coverage" in bt:
        from compare.comparison.coverage import coverage_matrix

        wide = coverage_matrix(bt["coverage"], value="share_sentences").reset_index()
        wide.insert(1, "city_label", wide["doc_id"].map(labels))
        out["theme_coverage"] = wide
    if "side_by_side" in bt and len(bt["side_by_side"]):
        out["indicators_side_by_side"] = bt["side_by_side"]
    if "aligned_indicators" in bt:
        out["indicators_detail"] = bt["aligned_indicators"]
    if "timeline" in bt:
        out["timeline"] = bt["timeline"].drop(columns=["start", "end"], errors="ignore")
    if "only_here" in bt:
        out["only_here"] = bt["only_here"]
    return out


def write_workbook(sheets: dict[str, pd.DataFrame], path: Path) -> Path:
    """Write one sheet per table with openpyxl (text that looks like a formula stays text)."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    used: set[str] = set()
    for name, df in sheets.items():
        title = RE_SHEET_BAD.sub("_", name)[:31] or "sheet"
        k = 2
        while title in used:
            title = f"{title[:28]}_{k}"
            k += 1
        used.add(title)
        ws = wb.create_sheet(title)
        flat = df.copy()
        if isinstance(flat.columns, pd.MultiIndex):
            flat.columns = [" / ".join(map(str, c)) for c in flat.columns]
        ws.append([str(c) for c in flat.columns])
        for row in flat.itertuples(index=False):
            values = []
            for v in row:
                if v is None or (not isinstance(v, str) and pd.api.types.is_scalar(v) and pd.isna(v)):
                    values.append(None)
                elif isinstance(v, str):
                    values.append(ILLEGAL_CHARACTERS_RE.sub("", v))
                elif hasattr(v, "item"):
                    values.append(v.item())
                else:
                    values.append(v)
            ws.append(values)
        for col in ws.iter_cols(min_row=1):  # headers too: a pivot has city labels as column names
            for cell in col:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.data_type = "s"
        for i, c in enumerate(flat.columns, start=1):
            width = max([len(str(c))] + [len(str(v)) for v in flat[c].head(200).tolist()])
            ws.column_dimensions[get_column_letter(i)].width = min(max(8, width * 1.6), 60)
        ws.freeze_panes = "A2"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".xlsx.tmp")
    wb.save(tmp)
    os.replace(tmp, path)
    return path


# --------------------------------------------------------------------------------------------------
# the main command
# --------------------------------------------------------------------------------------------------
def _key(*parts: str) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p.encode())
        h.update(b"\0")
    return h.hexdigest()[:24]


def run_report(
    *,
    notebooks_dir: str | Path | None = None,
    processed: str | Path | None = None,
    out: str | Path | None = None,
    docs: list[str] | None = None,
    cities: list[str] | None = None,
    labels_dir: str | Path | None = None,
    only: list[str] | None = None,
    force: bool = False,
    kernel_name: str | None = None,
    jobs: int | None = None,
    lang: str = "zh",
    pdf: bool = False,
) -> ReportResult:
    """Execute the notebooks and export the HTML reports, the index page and the workbook.

    Args:
        notebooks_dir: Folder of ``*.ipynb`` (default: the project's ``notebooks/``).
        processed: Processed tables (default: ``data/processed``); built beforehand.
        out: Report folder (default: ``reports/``).
        docs: Compare only these doc ids (injected as the ``docs`` parameter).
        cities: Compare only the documents of these cities (``city`` or ``city_label``; added to ``docs``).
        labels_dir: Hand-checked labels for the validation figures (default: the project's ``tests/data``).
        only: Run only notebooks whose name contains one of these strings.
        force: Re-run notebooks even when their inputs did not change.
        kernel_name: Kernelspec to use (default: register/use :data:`KERNEL_NAME` for this Python).
        jobs: Notebooks executed at the same time (default: number of CPU cores).
        lang: Language of the briefing (``zh`` or ``en``), injected as the ``lang`` parameter into every
            notebook that declares it.
        pdf: Also print the briefing to ``<out>/00_briefing.pdf`` with headless Chromium
            (:func:`compare.report.printing.print_pdf`).

    Returns:
        A :class:`ReportResult`.

    Raises:
        InputError: No processed tables, no notebooks, unknown doc ids or language, or (``pdf``) no Chromium.
        ReportError: A notebook failed (the others are still exported, and so is the index).
    """
    from compare.core import config
    from compare.core.store import load_corpus
    from compare.report.briefing import load_build_info
    from compare.report.overview import unknown_documents

    t0 = time.perf_counter()
    from compare.report.wording import LANGUAGES

    if lang not in LANGUAGES:
        raise InputError(Path("--lang"), f"unknown language {lang!r}: choose one of {', '.join(LANGUAGES)}")
    if pdf:
        from compare.report.printing import find_chromium

        find_chromium()  # fail before any work when no browser can print
    nb_dir = Path(notebooks_dir) if notebooks_dir else config.NOTEBOOKS_DIR
    processed = Path(processed) if processed else config.PROCESSED_DATA_DIR
    out_dir = Path(out) if out else config.REPORTS_DIR
    labels = Path(labels_dir) if labels_dir else config.PROJ_ROOT / "tests" / "data"
    notebooks = sorted(p for p in nb_dir.glob("*.ipynb") if not p.name.startswith("."))
    if only:
        notebooks = [p for p in notebooks if any(s in p.stem for s in only)]
    if not notebooks:
        raise InputError(nb_dir, "no notebooks to run")
    tables = load_corpus(processed)
    if cities:
        from compare.report.overview import docs_for_cities

        by_city, unknown = docs_for_cities(tables["documents"], cities)
        if unknown:
            have = ", ".join(dict.fromkeys(tables["documents"]["city_label"].dropna()))
            raise InputError(processed, f"no document of city {', '.join(unknown)} (built: {have})")
        docs = [*(docs or []), *by_city]
    missing = unknown_documents(tables["documents"], docs)
    if missing:
        have = ", ".join(tables["documents"]["doc_id"])
        raise InputError(processed, f"unknown doc id(s): {', '.join(missing)} (built: {have})")
    docs = list(dict.fromkeys(docs)) if docs else None
    for name in ("papermill", "traitlets", "nbconvert"):  # e.g. "Alternative text is missing on 2 image(s)"
        logging.getLogger(name).setLevel(logging.ERROR)

    out_dir.mkdir(parents=True, exist_ok=True)
    cache_path = out_dir / CACHE_FILE
    cache = json.loads(cache_path.read_text(encoding="utf-8")) if cache_path.exists() else {}
    data_fp, lib_fp = data_fingerprint(processed), _library_fingerprint()
    labels_fp = _folder_fingerprint(labels)
    build_info = load_build_info(processed)
    base_params = {
        "processed": str(processed.resolve()), "docs": docs, "labels_dir": str(labels.resolve()), "lang": lang,
    }  # fmt: skip
    kernel = kernel_name or ensure_kernel()

    import nbformat

    runs: list[NotebookRun] = []
    todo: list[tuple[NotebookRun, Path, object, dict, str]] = []
    for src in notebooks:
        nb = nbformat.read(src, as_version=4)
        declared = _declared_parameters(src)
        params = {k: v for k, v in base_params.items() if k in declared}
        html_path = out_dir / f"{src.stem}.html"
        key = _key(
            hashlib.sha256(src.read_bytes()).hexdigest(), data_fp, lib_fp, EXPORT_VERSION,
            json.dumps(params, sort_keys=True, ensure_ascii=False), labels_fp if "labels_dir" in params else "",
        )  # fmt: skip
        run = NotebookRun(src.stem, _title(nb), html_path, "executed")
        runs.append(run)
        if not force and cache.get(src.name) == key and html_path.exists():
            run.status = "skipped"
        else:
            todo.append((run, src, nb, params, key))

    def one(item) -> None:
        run, src, nb, params, _ = item
        t1 = time.perf_counter()
        executed = out_dir / EXECUTED_DIR / src.name
        executed.unlink(missing_ok=True)
        try:
            _execute(src, executed, parameters=params, kernel_name=kernel)
        except Exception as exc:  # keep going: the other notebooks still export
            run.status, run.error = "failed", _short_error(exc)
        if executed.exists():
            run.title = _title(nbformat.read(executed, as_version=4)) or run.title
            export_html(executed, run.html, hide_input=_hide_input(nb, src.stem))
        run.seconds = time.perf_counter() - t1
        LOG.info("%s: %s in %.1f s", src.stem, run.status, run.seconds)

    n_jobs = max(1, min(jobs or os.cpu_count() or 1, len(todo) or 1))
    # environment and warning filters are process-wide: set them once here, not in the worker threads
    with _kernel_env(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if n_jobs == 1:
            for item in todo:
                one(item)
        else:
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(max_workers=n_jobs) as pool:
                list(pool.map(one, todo))
    for run, src, _, _, key in todo:
        if run.status == "executed":
            cache[src.name] = key
        else:
            cache.pop(src.name, None)

    workbook = out_dir / WORKBOOK_NAME
    wb_key = _key(data_fp, lib_fp, json.dumps(docs, ensure_ascii=False))
    if force or cache.get(WORKBOOK_NAME) != wb_key or not workbook.exists():
        write_workbook(workbook_tables(tables, docs=docs), workbook)
        cache[WORKBOOK_NAME] = wb_key
    briefing = next((r for r in runs if "briefing" in r.name and r.status != "failed"), None)
    if pdf and briefing is not None:
        from compare.report.printing import print_pdf

        print_pdf(briefing.html, briefing.html.with_suffix(".pdf"))
    index = write_index(runs, out_dir, build_info=build_info, docs=docs)
    cache_path.write_text(json.dumps(cache, indent=1, ensure_ascii=False), encoding="utf-8")
    failed = [r for r in runs if r.status == "failed"]
    result = ReportResult(runs, index, workbook, time.perf_counter() - t0, failed)
    if failed:
        names = "; ".join(f"{r.name}: {r.error}" for r in failed)
        raise ReportError(f"{len(failed)} notebook(s) failed (see {out_dir / EXECUTED_DIR}): {names}", result)
    return result


def _short_error(exc: BaseException) -> str:
    ename = getattr(exc, "ename", None)
    evalue = getattr(exc, "evalue", None)
    if ename:
        return f"{ename}: {evalue}"
    return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
