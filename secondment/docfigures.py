"""A document's charts as PNG images, drawn on the server with matplotlib (no browser, no outside service).

Chinese labels need a font with CJK glyphs: ``SECONDMENT_CJK_FONT`` (a font file's path or a family name) if set,
else the first of the usual families the system has (Noto Sans CJK SC from Debian's ``fonts-noto-cjk``, Source Han
Sans, WenQuanYi, SimHei, Microsoft YaHei, PingFang). Without one the chart is still drawn; CJK shows as boxes.
Labels are data: matplotlib's mathtext is off, so ``$x$`` in a department's name stays ``$x$``.
"""
from __future__ import annotations

import io
import os
from functools import lru_cache

FAMILIES = ("Noto Sans CJK SC", "Noto Sans CJK JP", "Source Han Sans SC", "Source Han Sans CN", "WenQuanYi Zen Hei",
            "WenQuanYi Micro Hei", "SimHei", "Microsoft YaHei", "PingFang SC")
RED = "#c00000"
COLOURS = ("#c00000", "#1f4e79", "#b08d2a", "#5b7f4a", "#7a4e8c", "#3d7ea6")


@lru_cache(maxsize=1)
def font_family() -> str | None:
    from matplotlib import font_manager

    wanted = os.environ.get("SECONDMENT_CJK_FONT", "").strip()
    if wanted and os.path.isfile(wanted):
        font_manager.fontManager.addfont(wanted)
        return font_manager.FontProperties(fname=wanted).get_name()
    names = {f.name for f in font_manager.fontManager.ttflist}
    for family in ((wanted,) if wanted else ()) + FAMILIES:
        if family in names:
            return family
    return None


def _literal(text) -> str:
    return str(text).replace("$", r"\$")


def png(chart: dict, *, width_cm: float = 15.0, height_cm: float = 8.0) -> bytes:
    """One chart ({kind: bar|barh, title, labels, series[{name, values}]}) as a PNG at 200 dpi."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    from matplotlib.figure import Figure

    family = font_family()
    rc = {"font.family": [family, "DejaVu Sans"] if family else ["DejaVu Sans"], "axes.unicode_minus": False,
          "text.parse_math": False, "svg.fonttype": "none"}
    with matplotlib.rc_context(rc):
        fig = Figure(figsize=(width_cm / 2.54, height_cm / 2.54), dpi=200)
        ax = fig.add_subplot()
        labels = [_literal(x) for x in chart.get("labels", [])]
        series = chart.get("series", []) or [{"name": "", "values": []}]
        n = max(len(series), 1)
        width = 0.8 / n
        positions = list(range(len(labels)))
        for i, s in enumerate(series):
            values = [v or 0 for v in s.get("values", [])][: len(labels)]
            offset = [p - 0.4 + width * (i + 0.5) for p in positions[: len(values)]]
            colour = COLOURS[i % len(COLOURS)]
            if chart.get("kind") == "barh":
                bars = ax.barh(offset, values, height=width, color=colour, label=_literal(s.get("name", "")))
            else:
                bars = ax.bar(offset, values, width=width, color=colour, label=_literal(s.get("name", "")))
            ax.bar_label(bars, fontsize=7, padding=2)
        if chart.get("kind") == "barh":
            ax.set_yticks(positions, labels, fontsize=8)
            ax.invert_yaxis()
        else:
            ax.set_xticks(positions, labels, fontsize=8, rotation=30 if len(labels) > 6 else 0,
                          ha="right" if len(labels) > 6 else "center")
        ax.set_title(_literal(chart.get("title", "")), fontsize=10)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        if n > 1:
            ax.legend(fontsize=7, frameon=False)
        fig.tight_layout()
        out = io.BytesIO()
        fig.savefig(out, format="png", metadata={"Software": None})
    return out.getvalue()
