"""Charts as PNG bytes, drawn with matplotlib's Agg renderer (the optional ``report`` extra).

matplotlib is imported only here, and only when a chart is drawn, so ``policytag
predict`` never pays for it. Figures are built with :class:`matplotlib.figure.Figure`
and rendered by the Agg canvas directly: no pyplot, no global figure state, no
display needed. Chinese names (documents, custom labels) need a font with CJK glyphs;
the first one installed from a list of common ones is used, else W021 is warned once
per chart.
"""
from __future__ import annotations

import io
import re
import warnings
from contextlib import contextmanager
from functools import lru_cache
from typing import Any, Iterator, Sequence

from ..errors import PolicytagError

#: Fonts with CJK glyphs, most preferred first (Debian, macOS, Windows names).
CJK_FONTS = (
    "Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans SC", "Source Han Sans SC", "Source Han Sans CN",
    "WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "Droid Sans Fallback", "AR PL UMing CN", "AR PL UKai CN",
    "PingFang SC", "Hiragino Sans GB", "Heiti SC", "Microsoft YaHei", "SimHei", "SimSun",
)
_NON_LATIN = re.compile(r"[^\u0000-\u024f\u2000-\u206f]")

#: Colours that stay apart for colour-blind readers (Okabe–Ito).
MODEL_COLOUR, LEXICON_COLOUR, POSITIVE_COLOUR, NEGATIVE_COLOUR = "#0072B2", "#E69F00", "#009E73", "#CC79A7"


def require_matplotlib(what: str) -> Any:
    """Import matplotlib, or raise E051 naming ``pip install "policytag[report]"``."""
    try:
        import matplotlib
    except ImportError:
        raise PolicytagError("E051", what=what) from None
    return matplotlib


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """The family name of an installed font with Chinese glyphs, or None."""
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FONTS if name in installed), None)


def needs_cjk(texts: Sequence[str]) -> bool:
    """True when any text has characters beyond Latin script (Chinese names, say)."""
    return any(_NON_LATIN.search(t) for t in texts)


@contextmanager
def figure(width: float, height: float, what: str, texts: Sequence[str] = ()) -> Iterator[Any]:
    """A fresh matplotlib Figure, with a CJK font first when ``texts`` need one."""
    matplotlib = require_matplotlib(what)
    from matplotlib.figure import Figure

    font = cjk_font() if needs_cjk(texts) else None
    if font is None and needs_cjk(texts):
        from ..errors import warn

        warn("W021", stacklevel=3)
    families = ([font] if font else []) + ["DejaVu Sans"]
    with matplotlib.rc_context({"font.family": "sans-serif", "font.sans-serif": families, "font.size": 9}):
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from")  # W021 says it once
            yield Figure(figsize=(width, height), layout="constrained")


def png_bytes(fig: Any, dpi: int = 110) -> bytes:
    """Render a figure with the Agg canvas and return the PNG file's bytes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from")
        fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def grid(n: int, ncols: int = 3) -> tuple[int, int]:
    """Rows and columns for ``n`` small panels."""
    ncols = max(1, min(ncols, n))
    return -(-n // ncols), ncols
