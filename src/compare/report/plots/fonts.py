"""CJK font set-up shared by every chart.

matplotlib draws tofu boxes for Chinese unless a CJK font is registered; we register the pip-installed
``noto-cjk-sans-otc`` font (pinned in the dependencies) and name the *SC* face explicitly, so glyphs take
simplified-Chinese forms. plotly text is drawn by the browser, so figures get a CJK-capable font stack.
"""

from __future__ import annotations

import functools
import logging

import matplotlib as mpl
from matplotlib import font_manager

LOG = logging.getLogger(__name__)

CJK_FAMILY = "Noto Sans CJK SC"
MPL_SANS = [CJK_FAMILY, "Noto Sans CJK JP", "DejaVu Sans"]
PLOTLY_FONT_STACK = (
    '"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", '
    '"Hiragino Sans GB", "WenQuanYi Micro Hei", "Heiti SC", SimHei, sans-serif'
)


@functools.lru_cache(maxsize=1)
def setup_matplotlib_cjk() -> str:
    """Register the bundled Noto Sans CJK font with matplotlib and make it the default sans-serif.

    Returns:
        The font family name in use.
    """
    try:
        from noto_cjk_sans_otc import FONT_PATH
    except ImportError:  # pragma: no cover - the dependency is pinned; keep a clear message anyway
        LOG.warning("noto-cjk-sans-otc is not installed: Chinese labels may render as boxes")
        return "DejaVu Sans"
    font_manager.fontManager.addfont(str(FONT_PATH))
    mpl.rcParams["font.family"] = "sans-serif"
    mpl.rcParams["font.sans-serif"] = MPL_SANS
    mpl.rcParams["axes.unicode_minus"] = False
    return CJK_FAMILY


def plotly_layout_defaults() -> dict:
    """Layout settings every plotly figure of the project uses (CJK font stack, white template)."""
    return {"font": {"family": PLOTLY_FONT_STACK, "size": 13}, "template": "plotly_white"}
