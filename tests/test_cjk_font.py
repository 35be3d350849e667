"""The CJK font ships with the package: Chinese charts draw with it, never with Latin fallbacks."""

from __future__ import annotations

import io
import warnings

import pytest

from handlers import charts


def test_packaged_font_file_is_there_with_its_licence():
    path = charts.cjk_font_path()
    assert path is not None and path.suffix == ".otf"
    assert path.stat().st_size > 5_000_000  # the GBK subset, not a stub
    licence = (path.parent / "OFL.txt").read_text(encoding="utf-8")
    assert "SIL Open Font License" in licence


def test_packaged_font_is_registered_and_preferred():
    from matplotlib import font_manager

    assert charts.cjk_font() == charts.PACKAGED_FONT
    entries = [f for f in font_manager.fontManager.ttflist if f.name == charts.PACKAGED_FONT]
    assert entries and all(str(charts.cjk_font_path()) == e.fname for e in entries)


@pytest.mark.parametrize(
    "labels",
    [
        ["华东", "华北", "华南", "西南"],
        ["张伟", "李娜", "王磊", "喆堃镕玥"],  # rarer name characters are in the GBK subset too
    ],
)
def test_chinese_chart_uses_packaged_font_without_missing_glyphs(labels):
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    from matplotlib import font_manager

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        chart = charts.bar_chart(
            title_zh="按地区的年合同额",
            title_en="ARR by region",
            labels=labels,
            values=[300, 200, 100, 50],
            lang="zh",
            xlabel_zh="年合同额（元）",
        )
        # the same text, drawn under the chart settings: which file does matplotlib pick for it?
        with plt.rc_context(charts.chart_rc()):
            fig, ax = plt.subplots()
            text = ax.text(0, 0, "".join(labels))
            fig.canvas.draw()
            picked = font_manager.findfont(text.get_fontproperties())
            plt.close(fig)
    missing = [str(w.message) for w in caught if "missing from font" in str(w.message)]
    assert missing == []
    assert chart.title == "按地区的年合同额"  # Chinese title, not the English fallback
    assert chart.png.startswith(b"\x89PNG")
    assert picked == str(charts.cjk_font_path())


def test_glyphs_drawn_are_not_tofu():
    """Each character draws its own shape: two different hanzi never rasterise identically."""
    import numpy as np
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextPath

    prop = FontProperties(fname=str(charts.cjk_font_path()))
    shapes = {c: TextPath((0, 0), c, prop=prop, size=40).vertices.round(1) for c in "客户画像流失"}
    assert all(len(v) > 8 for v in shapes.values())
    flat = [v.tobytes() for v in shapes.values()]
    assert len(set(flat)) == len(flat)
    assert not np.array_equal(shapes["客"], shapes["户"])


def test_chart_png_decodes(tmp_path):
    from matplotlib import image

    chart = charts.bar_chart(
        title_zh="价值分层", title_en="Value tiers", labels=["高", "中"], values=[3, 1], lang="zh"
    )
    arr = image.imread(io.BytesIO(chart.png), format="png")
    assert arr.shape[0] > 100 and arr.shape[1] > 100
