"""Chart functions (matplotlib and plotly). They draw tables computed elsewhere; no analysis here.

``corpus`` (corpus overview), ``themes`` (coverage, instruments, strength, similarity, distinctive terms) and
``targets`` (target levels, timelines) are imported on first use: ``compare.plots.themes.heatmap_plotly(...)``
works after a bare ``import compare``.
"""

import importlib

from compare.report.plots.fonts import plotly_layout_defaults, setup_matplotlib_cjk

__all__ = ["corpus", "plotly_layout_defaults", "setup_matplotlib_cjk", "targets", "themes"]

_CHARTS = ("corpus", "targets", "themes")


def __getattr__(name: str):
    if name in _CHARTS:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
