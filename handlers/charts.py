"""Charts as PNG bytes (matplotlib, Agg backend), titled in the reader's language.

Chinese text is drawn with the CJK font the package ships (handlers/fonts/, a subset of Noto Sans
CJK SC under the SIL OFL), registered with matplotlib's font manager when this module is imported,
so `pip install .` is enough on a machine with no system CJK font. Should the file be missing, an
installed CJK font is used, and failing that the chart falls back to English labels rather than
drawing empty boxes.
"""

from __future__ import annotations

import io
import logging
import re
from functools import lru_cache
from pathlib import Path

from handlers.messages import Chart

log = logging.getLogger(__name__)

PACKAGED_FONT = "ProfileBot CJK SC"
_FONT_FILE = Path(__file__).with_name("fonts") / "ProfileBotCJKSC-Regular.otf"

CJK_FONTS = (
    PACKAGED_FONT,
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
    "Heiti SC",
    "Arial Unicode MS",
)
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def cjk_font_path() -> Path | None:
    """The packaged CJK font file (OpenType, OFL), e.g. for a web page's @font-face; None if absent."""
    return _FONT_FILE if _FONT_FILE.is_file() else None


@lru_cache(maxsize=1)
def _register_packaged_font() -> bool:
    path = cjk_font_path()
    if path is None:
        log.warning("packaged CJK font missing at %s", _FONT_FILE)
        return False
    from matplotlib import font_manager

    if not any(Path(f.fname) == path for f in font_manager.fontManager.ttflist):
        font_manager.fontManager.addfont(str(path))
    return True


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """The name of a font that can draw Chinese (the packaged one first), or None."""
    from matplotlib import font_manager

    _register_packaged_font()
    names = {f.name for f in font_manager.fontManager.ttflist}
    return next((n for n in CJK_FONTS if n in names), None)


def chart_rc() -> dict:
    """matplotlib rc settings that draw Chinese and Latin text with the CJK font."""
    font = cjk_font()
    return {
        "font.family": ["sans-serif"],
        "font.sans-serif": [font, "DejaVu Sans"] if font else ["DejaVu Sans"],
        "axes.unicode_minus": False,
    }


def _pick(zh: str, en: str, lang: str) -> str:
    if lang == "zh" and (cjk_font() or not _CJK.search(zh)):
        return zh
    return en


def _safe(label: str) -> str:
    """A label drawable without a CJK font (CJK characters dropped, never empty)."""
    if cjk_font() or not _CJK.search(label):
        return label
    cleaned = _CJK.sub("", label).strip(" -_·")
    return cleaned or "?"


def compact_number(v: float) -> str:
    """Axis ticks people read at a glance: 2.5M, 800k, 40."""
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(v) >= size:
            return f"{v / size:.1f}".rstrip("0").rstrip(".") + suffix
    return f"{v:.0f}"


def bar_chart(
    *,
    title_zh: str,
    title_en: str,
    labels: list[str],
    values: list[float],
    lang: str,
    xlabel_zh: str = "",
    xlabel_en: str = "",
) -> Chart:
    """A horizontal bar chart, largest on top."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    title = _pick(title_zh, title_en, lang)
    xlabel = _pick(xlabel_zh, xlabel_en, lang)
    with plt.rc_context(chart_rc()):
        fig, ax = plt.subplots(figsize=(7, max(2.2, 0.45 * len(labels) + 1.2)), dpi=100)
        try:
            pairs = list(zip(labels, values, strict=False))[::-1]
            ys = range(len(pairs))
            ax.barh(
                list(ys),
                [v for _l, v in pairs],
                color="#d9534f" if "risk" in title_en.lower() else "#2a7ab9",
            )
            ax.set_yticks(list(ys), [_safe(lbl) for lbl, _v in pairs])
            ax.set_title(title)
            if xlabel:
                ax.set_xlabel(xlabel)
            for y, (_l, v) in zip(ys, pairs, strict=False):
                ax.text(v, y, f" {v:,.0f}", va="center", fontsize=8)
            if not pairs:
                ax.text(0.5, 0.5, "—", ha="center", va="center", transform=ax.transAxes)
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: compact_number(v)))
            ax.spines[["top", "right"]].set_visible(False)
            fig.tight_layout()
            buf = io.BytesIO()
            fig.savefig(buf, format="png")
        finally:
            plt.close(fig)
    alt = "; ".join(f"{lbl}: {v:,.0f}" for lbl, v in zip(labels, values, strict=False))
    return Chart(title=title, png=buf.getvalue(), alt=alt)


def comparison_chart(
    *,
    title_zh: str,
    title_en: str,
    labels: list[str],
    segment: list[float],
    baseline: list[float],
    segment_name: str,
    baseline_name: str,
    lang: str,
) -> Chart:
    """Paired horizontal bars: each trait's share in the segment and in the baseline."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    from matplotlib.ticker import PercentFormatter

    title = _pick(title_zh, title_en, lang)
    with plt.rc_context(chart_rc()):
        height = max(2.6, 0.62 * len(labels) + 1.6)
        fig, ax = plt.subplots(figsize=(8.5, height), dpi=100)
        try:
            n = len(labels)
            ys = list(range(n))[::-1]
            h = 0.38
            ax.barh(
                [y + h / 2 for y in ys],
                segment,
                height=h,
                color="#d9534f",
                label=_safe(segment_name),
            )
            ax.barh(
                [y - h / 2 for y in ys],
                baseline,
                height=h,
                color="#9aa5b1",
                label=_safe(baseline_name),
            )
            for y, a, b in zip(ys, segment, baseline, strict=False):
                ax.text(a, y + h / 2, f" {a * 100:.0f}%", va="center", fontsize=8)
                ax.text(b, y - h / 2, f" {b * 100:.0f}%", va="center", fontsize=8, color="#555")
            ax.set_yticks(ys, [_safe(_wrap(lbl)) for lbl in labels])
            ax.set_xlim(0, min(1.0, max([*segment, *baseline, 0.1]) * 1.18))
            ax.xaxis.set_major_formatter(PercentFormatter(1.0))
            ax.set_title(_wrap(title, 48))
            ax.legend(
                loc="upper center",
                bbox_to_anchor=(0.5, -0.08),
                ncol=2,
                fontsize=8,
                frameon=False,
            )
            ax.spines[["top", "right"]].set_visible(False)
            fig.tight_layout()
            buf = io.BytesIO()
            fig.savefig(buf, format="png")
        finally:
            plt.close(fig)
    alt = "; ".join(
        f"{lbl}: {a * 100:.0f}% / {b * 100:.0f}%"
        for lbl, a, b in zip(labels, segment, baseline, strict=False)
    )
    return Chart(title=title, png=buf.getvalue(), alt=alt)


def _wrap(text: str, width: int = 26) -> str:
    """Break a long label over lines (CJK text counts double; Latin text breaks at spaces)."""
    if not _CJK.search(text):
        import textwrap

        return textwrap.fill(text, width) or text
    out, line, size = [], "", 0
    for ch in text:
        w = 2 if _CJK.match(ch) else 1
        if size + w > width and ch != " ":
            out.append(line.rstrip())
            line, size = "", 0
        line += ch
        size += w
    out.append(line)
    return "\n".join(s for s in out if s)


PALETTE = ("#2a7ab9", "#d9534f", "#5cb85c", "#f0ad4e", "#8e6cc4", "#46b8da", "#9aa5b1", "#c17d3c")


def pie_chart(
    *, title_zh: str, title_en: str, labels: list[str], values: list[float], lang: str
) -> Chart:
    """A pie of shares (value tiers, RFM segments), labelled with counts and percentages."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    title = _pick(title_zh, title_en, lang)
    pairs = [(lbl, v) for lbl, v in zip(labels, values, strict=False) if v > 0]
    total = sum(v for _l, v in pairs) or 1
    # slivers under 3% share one "other" slice, so no label sits on another
    small = [(lbl, v) for lbl, v in pairs if v / total < 0.03]
    if len(small) > 1:
        pairs = [(lbl, v) for lbl, v in pairs if v / total >= 0.03]
        pairs.append((_pick("其他", "other", lang), sum(v for _l, v in small)))
    with plt.rc_context(chart_rc()):
        fig, ax = plt.subplots(figsize=(7, 5), dpi=100)
        try:
            if pairs:
                ax.pie(
                    [v for _l, v in pairs],
                    labels=[f"{_safe(lbl)}\n{v:,.0f} ({v / total:.0%})" for lbl, v in pairs],
                    colors=[PALETTE[i % len(PALETTE)] for i in range(len(pairs))],
                    startangle=90,
                    counterclock=False,
                    wedgeprops={"linewidth": 1, "edgecolor": "white"},
                    textprops={"fontsize": 9},
                )
                ax.axis("equal")
            else:
                ax.text(0.5, 0.5, "—", ha="center", va="center", transform=ax.transAxes)
                ax.axis("off")
            ax.set_title(title, pad=18)
            fig.tight_layout()
            buf = io.BytesIO()
            fig.savefig(buf, format="png")
        finally:
            plt.close(fig)
    alt = "; ".join(f"{lbl}: {v:,.0f}" for lbl, v in pairs)
    return Chart(title=title, png=buf.getvalue(), alt=alt)


def line_chart(
    *,
    title_zh: str,
    title_en: str,
    labels: list[str],
    values: list[float],
    lang: str,
    ylabel_zh: str = "",
    ylabel_en: str = "",
) -> Chart:
    """A trend line over time (logins per week), each point labelled."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    title = _pick(title_zh, title_en, lang)
    ylabel = _pick(ylabel_zh, ylabel_en, lang)
    with plt.rc_context(chart_rc()):
        fig, ax = plt.subplots(figsize=(8, 3.8), dpi=100)
        try:
            xs = list(range(len(values)))
            ax.plot(xs, values, marker="o", color="#2a7ab9", linewidth=2)
            ax.fill_between(xs, values, color="#2a7ab9", alpha=0.08)
            for x, v in zip(xs, values, strict=False):
                ax.annotate(
                    f"{v:,.0f}",
                    (x, v),
                    textcoords="offset points",
                    xytext=(0, 6),
                    ha="center",
                    fontsize=8,
                )
            ax.set_xticks(xs, [_safe(lbl) for lbl in labels], rotation=0, fontsize=8)
            ax.set_ylim(bottom=0, top=max([*values, 1]) * 1.2)
            ax.set_title(_wrap(title, 60))
            if ylabel:
                ax.set_ylabel(ylabel)
            ax.spines[["top", "right"]].set_visible(False)
            fig.tight_layout()
            buf = io.BytesIO()
            fig.savefig(buf, format="png")
        finally:
            plt.close(fig)
    alt = "; ".join(f"{lbl}: {v:,.0f}" for lbl, v in zip(labels, values, strict=False))
    return Chart(title=title, png=buf.getvalue(), alt=alt)
