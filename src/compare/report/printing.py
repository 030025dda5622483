"""Print an exported briefing to an A4 PDF with headless Chromium (no network, no browser download).

The page's own print CSS (in :data:`compare.report.notebooks.TEMPLATE`) lays it out: charts at page width
and never split, the table behind each chart opened, tables wrapped inside the page. Chromium is the system
browser (``chromium`` or ``chromium-browser`` on PATH, or ``$CHROMIUM``); every network request is refused
by a proxy that does not exist, so printing works, and only works, offline.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from compare.core.errors import InputError

__all__ = ["CHROMIUM_NAMES", "find_chromium", "print_pdf"]

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
#: Window width (CSS px) the page is laid out at before printing: the A4 text width, so charts fit.
PRINT_WINDOW = "680,1000"
TIMEOUT_SECONDS = 180


def find_chromium() -> str:
    """The Chromium executable (``$CHROMIUM`` first, then PATH).

    Raises:
        InputError: No Chromium, with the one-line remedy.
    """
    env = os.environ.get("CHROMIUM")
    if env and Path(env).exists():
        return env
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    raise InputError(
        Path("chromium"),
        "headless Chromium is needed for --pdf: install it (Debian: apt-get install chromium fonts-noto-cjk, "
        "or ./scripts/ensure-test-tools) or set CHROMIUM=/path/to/chromium",
    )


def print_pdf(page: str | Path, pdf: str | Path, *, chromium: str | None = None) -> Path:
    """Print the HTML ``page`` to ``pdf`` (A4, the page's print CSS, no header or footer).

    Args:
        page: An exported briefing (``reports/00_briefing.html``).
        pdf: Where to write the PDF (written atomically).
        chromium: The browser executable (default: :func:`find_chromium`).

    Returns:
        The PDF path.

    Raises:
        InputError: No Chromium, or Chromium did not write a PDF (its last error line is quoted).
    """
    exe = chromium or find_chromium()
    page, pdf = Path(page).resolve(), Path(pdf)
    pdf.parent.mkdir(parents=True, exist_ok=True)
    tmp = pdf.with_suffix(".pdf.tmp")
    tmp.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="pc-chromium-") as profile:
        cmd = [
            exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-extensions", "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
            f"--user-data-dir={profile}", f"--window-size={PRINT_WINDOW}", "--hide-scrollbars",
            "--run-all-compositor-stages-before-draw", "--virtual-time-budget=15000",
            "--no-pdf-header-footer", f"--print-to-pdf={tmp}", page.as_uri(),
        ]  # fmt: skip
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False)
        except subprocess.TimeoutExpired as exc:
            raise InputError(page, f"chromium did not finish printing within {TIMEOUT_SECONDS} s") from exc
    if not tmp.exists() or tmp.stat().st_size == 0:
        lines = [ln for ln in (proc.stderr or "").splitlines() if ln.strip()]
        raise InputError(
            page, f"chromium wrote no PDF (exit {proc.returncode}): {lines[-1] if lines else ''}"
        )
    os.replace(tmp, pdf)
    return pdf
