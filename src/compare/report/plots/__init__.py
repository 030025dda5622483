"""Chart functions (matplotlib and plotly). They draw tables computed elsewhere; no analysis here."""

from compare.report.plots.fonts import plotly_layout_defaults, setup_matplotlib_cjk

__all__ = ["plotly_layout_defaults", "setup_matplotlib_cjk"]
