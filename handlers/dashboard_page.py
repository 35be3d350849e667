"""The dashboard page: one self-contained HTML document with server-drawn SVG charts.

Nothing is fetched from elsewhere — no script, no CDN, no web font service. Charts are SVG written
here; Chinese is drawn with a subset of the CJK font the install brings (served from
/dashboard/font, only the characters this page uses), so it reads the same on a machine with no
Chinese font of its own. The layout is a CSS grid that folds to one column on a phone.
"""

from __future__ import annotations

import hashlib
import io
import logging
import math
from collections import OrderedDict
from functools import lru_cache
from html import escape
from pathlib import Path
from threading import Lock
from typing import Any
from urllib.parse import urlencode

from handlers import charts
from handlers.dashboard import t

log = logging.getLogger(__name__)

PALETTE = ("#2a7ab9", "#f0a202", "#5cb85c", "#d9534f", "#8e6c8a", "#17a2b8", "#6c757d", "#c6a15b")
HEALTH_COLOURS = {"green": "#3c9d5d", "yellow": "#e0b100", "red": "#d9534f"}
FONT_FAMILY = "ProfilebotCJK"


def e(value: Any) -> str:
    """Text made safe for HTML and SVG (customer text included)."""
    return escape("" if value is None else str(value), quote=True)


def money(v: float | None) -> str:
    return "—" if v is None else f"¥{v:,.0f}"


def num(v: float | int | None) -> str:
    return "—" if v is None else f"{v:,.0f}"


def pct(v: float | None) -> str:
    return "—" if v is None else f"{v * 100:.0f}%"


# --------------------------------------------------------------------------- SVG charts


def pie_svg(rows: list[dict[str, Any]], colours: list[str], label: str) -> str:
    """A donut of counts (zero slices left out), with the total in the middle."""
    total = sum(r["count"] for r in rows)
    size, r_out, r_in = 200, 92, 52
    c = size / 2
    parts = [f'<svg viewBox="0 0 {size} {size}" class="pie" role="img" aria-label="{e(label)}">']
    if total == 0:
        parts.append(f'<circle cx="{c}" cy="{c}" r="{r_out}" fill="#e9ecef"/>')
    angle = -math.pi / 2
    for row, colour in zip(rows, colours, strict=False):
        if not row["count"]:
            continue
        frac = row["count"] / total
        if frac >= 0.9999:
            parts.append(f'<circle cx="{c}" cy="{c}" r="{r_out}" fill="{colour}"/>')
            continue
        a2 = angle + frac * 2 * math.pi
        large = 1 if frac > 0.5 else 0
        x1, y1 = c + r_out * math.cos(angle), c + r_out * math.sin(angle)
        x2, y2 = c + r_out * math.cos(a2), c + r_out * math.sin(a2)
        parts.append(
            f'<path d="M{c},{c} L{x1:.2f},{y1:.2f} A{r_out},{r_out} 0 {large} 1 {x2:.2f},{y2:.2f} Z"'
            f' fill="{colour}"><title>{e(row["label"])}: {num(row["count"])}</title></path>'
        )
        angle = a2
    parts.append(f'<circle cx="{c}" cy="{c}" r="{r_in}" fill="#fff"/>')
    parts.append(
        f'<text x="{c}" y="{c + 8}" text-anchor="middle" class="pie-total">{num(total)}</text>'
    )
    parts.append("</svg>")
    return "".join(parts)


def legend(rows: list[dict[str, Any]], colours: list[str], total: int | None = None) -> str:
    """The labels and counts beside a chart, as text a person (and a test) can read."""
    out = ['<ul class="legend">']
    for row, colour in zip(rows, colours, strict=False):
        share = f" · {row['count'] / total * 100:.0f}%" if total else ""
        out.append(
            f'<li><span class="swatch" style="background:{colour}"></span>'
            f'<span class="lbl">{e(row["label"])}</span>'
            f'<span class="val">{num(row["count"])}{share}</span></li>'
        )
    out.append("</ul>")
    return "".join(out)


def hbars_svg(rows: list[dict[str, Any]], colours: list[str], label: str) -> str:
    """Horizontal bars, each under its full label, the count at the end of the bar."""
    n = max(len(rows), 1)
    row_h, width = 40, 400
    height = n * row_h + 4
    top = max((r["count"] for r in rows), default=0) or 1
    parts = [
        f'<svg viewBox="0 0 {width} {height}" class="bars" role="img" aria-label="{e(label)}">'
    ]
    for i, (row, colour) in enumerate(zip(rows, colours, strict=False)):
        y = i * row_h
        w = max((width - 60) * row["count"] / top, 1.5 if row["count"] else 0)
        text = num(row["count"])
        parts.append(
            f'<text x="0" y="{y + 15}" class="axis">{e(row["label"])}</text>'
            f'<rect x="0" y="{y + 20}" width="{w:.1f}" height="14" rx="3" fill="{colour}">'
            f"<title>{e(row['label'])}: {text}</title></rect>"
            f'<text x="{w + 6:.1f}" y="{y + 32}" class="num">{text}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def columns_svg(rows: list[dict[str, Any]], label: str) -> str:
    """Vertical bars of money per month, the amount above each bar."""
    width, height, bottom, top_pad = 400, 200, 26, 22
    n = max(len(rows), 1)
    slot = width / n
    top = max((r["arr"] for r in rows), default=0) or 1
    parts = [
        f'<svg viewBox="0 0 {width} {height}" class="cols" role="img" aria-label="{e(label)}">',
        f'<line x1="0" y1="{height - bottom}" x2="{width}" y2="{height - bottom}" class="grid"/>',
    ]
    for i, row in enumerate(rows):
        h = (height - bottom - top_pad) * row["arr"] / top
        x = i * slot + slot * 0.18
        w = slot * 0.64
        y = height - bottom - h
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" rx="3" fill="#d9534f">'
            f"<title>{e(row['label'])}: {money(row['arr'])}</title></rect>"
            f'<text x="{x + w / 2:.1f}" y="{y - 6:.1f}" text-anchor="middle" class="num">'
            f"{charts.compact_number(row['arr'])}</text>"
            f'<text x="{x + w / 2:.1f}" y="{height - 10}" text-anchor="middle" class="axis">'
            f"{e(row['label'])}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def lines_svg(weeks: list[str], series: list[dict[str, Any]], label: str, width: int = 900) -> str:
    """One line per series over the weeks, with a light grid and the week starts below."""
    height, left, bottom, top_pad, right = 260, 44, 30, 12, 24
    n = max(len(weeks), 2)
    top = max((max(s["values"] or [0]) for s in series), default=0) or 1
    step = 10 ** max(0, int(math.log10(top)))
    top = math.ceil(top / step) * step

    def xy(i: int, v: float) -> tuple[float, float]:
        x = left + (width - left - right) * i / (n - 1)
        y = height - bottom - (height - bottom - top_pad) * v / top
        return x, y

    parts = [
        f'<svg viewBox="0 0 {width} {height}" class="lines" role="img" aria-label="{e(label)}">'
    ]
    for k in range(5):
        v = top * k / 4
        _x, y = xy(0, v)
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" class="grid"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" class="axis">'
            f"{charts.compact_number(v)}</text>"
        )
    for i, w in enumerate(weeks):
        if i % 2 == 0:
            x, _y = xy(i, 0)
            parts.append(
                f'<text x="{x:.1f}" y="{height - 10}" text-anchor="middle" class="axis">'
                f"{e(w[5:])}</text>"
            )
    for s in series:
        colour = HEALTH_COLOURS.get(s["key"], PALETTE[0])
        pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in (xy(i, v) for i, v in enumerate(s["values"])))
        parts.append(
            f'<polyline points="{pts}" fill="none" stroke="{colour}" stroke-width="2.5">'
            f"<title>{e(s['label'])}</title></polyline>"
        )
    parts.append("</svg>")
    return "".join(parts)


# --------------------------------------------------------------------------- page


def ask(text: str, lang: str) -> str:
    """The bot's words for a figure: the question that gives it in chat."""
    return f'<p class="ask">{e(t("ask_me", lang))}: <q>{e(text)}</q></p>'


def _card(cls: str, title: str, body: str) -> str:
    return f'<section class="card {cls}"><h2>{e(title)}</h2>{body}</section>'


def _colours(rows: list[dict[str, Any]]) -> list[str]:
    return [
        HEALTH_COLOURS.get(str(r["key"]), PALETTE[i % len(PALETTE)]) for i, r in enumerate(rows)
    ]


def _table(head: list[str], rows: list[list[str]]) -> str:
    th = "".join(f"<th>{e(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f'<div class="scroll"><table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table></div>'


CSS = """
*{box-sizing:border-box}
body{margin:0;background:#f4f6f8;color:#1f2933;font-size:15px;line-height:1.45;
font-family:"__CJK__",-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,"Noto Sans",
"Noto Sans CJK SC","PingFang SC","Microsoft YaHei",sans-serif}
header{background:#1f3a5f;color:#fff;padding:14px 20px}
header h1{margin:0;font-size:20px}
header .sub{opacity:.85;font-size:13px;margin-top:2px}
header form{margin-top:8px;display:flex;gap:6px;flex-wrap:wrap;align-items:center}
header select,header button{font:inherit;font-size:14px;padding:4px 8px;border-radius:4px;border:0}
main{display:grid;grid-auto-flow:dense;grid-template-columns:repeat(auto-fit,minmax(330px,1fr));gap:14px;padding:14px;
max-width:1400px;margin:0 auto}
.card{background:#fff;border-radius:8px;padding:14px 16px;box-shadow:0 1px 3px rgba(0,0,0,.08);
min-width:0}
.card.wide{grid-column:1/-1}
.card h2{font-size:16px;margin:0 0 8px}
.kpi{font-size:26px;font-weight:600}
.kpi small{font-size:13px;font-weight:400;color:#52606d;margin-left:6px}
.pie-row{display:flex;gap:12px;align-items:center;flex-wrap:wrap}
svg{width:100%;height:auto;display:block;font-family:inherit}
svg.pie{width:160px;flex:0 0 160px}
svg text{font-family:inherit;font-size:13px;fill:#1f2933}
svg .pie-total{font-size:22px;font-weight:600}
svg .axis{fill:#52606d;font-size:12px}
svg .grid{stroke:#e4e7eb;stroke-width:1}
.legend{list-style:none;margin:0;padding:0;flex:1;min-width:150px}
.legend li{display:flex;gap:6px;align-items:center;padding:2px 0}
.legend .lbl{flex:1}
.legend .val{font-variant-numeric:tabular-nums;color:#323f4b}
.swatch{width:11px;height:11px;border-radius:2px;display:inline-block;flex:0 0 11px}
.ask{margin:8px 0 0;font-size:13px;color:#52606d}
.ask q{color:#1f3a5f;font-weight:500}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{text-align:left;padding:5px 6px;border-bottom:1px solid #eef0f2;white-space:nowrap}
td.n,th.n{text-align:right}
.sev-high{color:#d9534f;font-weight:600}
.band{display:inline-block;width:9px;height:9px;border-radius:50%;margin-right:4px}
.traits li{margin:4px 0}
.lift{font-weight:600;color:#d9534f}
footer{color:#7b8794;font-size:12px;text-align:center;padding:8px 14px 20px}
.on-narrow{display:none}
@media (max-width:700px){.on-wide{display:none}.on-narrow{display:block}}
@media (max-width:600px){main{padding:8px;gap:10px;grid-template-columns:1fr}
header{padding:12px}.card{padding:12px}svg.pie{width:130px;flex-basis:130px}}
"""


def render(data: dict[str, Any], *, token: str, font_version: str | None) -> str:
    """The whole page for one viewer's data (from handlers.dashboard.build)."""
    lang = data["language"]
    zh = lang == "zh"
    scope = data["scope"]
    sections: list[str] = []

    tiers = data["value_tiers"]
    cols = PALETTE[:4]
    tier_total = sum(r["count"] for r in tiers["rows"])
    body = '<div class="pie-row">' + pie_svg(tiers["rows"], list(cols), tiers["title"])
    body += legend(tiers["rows"], list(cols), tier_total) + "</div>"
    body += "".join(ask(r["ask"], lang) for r in tiers["rows"][:1])
    sections.append(_card("tiers", tiers["title"], body))

    risk = data["arr_at_risk"]
    total_risk = sum(r["arr"] for r in risk["rows"])
    body = (
        f'<div class="kpi">{money(total_risk)}<small>{e(risk["note"])}</small></div>'
        + columns_svg(risk["rows"], risk["title"])
        + _table(
            ["月份" if zh else "Month", t("col_arr", lang), "客户数" if zh else "Accounts"],
            [
                [e(r["label"]), f'<span class="n">{money(r["arr"])}</span>', num(r["count"])]
                for r in risk["rows"]
            ],
        )
        + ask(risk["rows"][1]["ask"] if len(risk["rows"]) > 1 else risk["rows"][0]["ask"], lang)
    )
    sections.append(_card("risk", risk["title"], body))

    for key in ("health", "rfm"):
        sec = data[key]
        colours = _colours(sec["rows"])
        if key == "health":
            body = '<div class="pie-row">' + pie_svg(sec["rows"], colours, sec["title"])
            body += legend(sec["rows"], colours, sec["total"]) + "</div>"
        else:
            body = hbars_svg(sec["rows"], colours, sec["title"])
        sections.append(_card(key, sec["title"], body + ask(sec["ask"], lang)))

    lg = data["logins"]
    body = (
        f'<div class="kpi">{num(lg["total_30d"])}<small>{e(lg["total_label"])}</small></div>'
        # a wide drawing for screens and a narrow one for phones, so the text stays legible
        + f'<div class="on-wide">{lines_svg(lg["weeks"], lg["series"], lg["title"], 900)}</div>'
        + f'<div class="on-narrow">{lines_svg(lg["weeks"], lg["series"], lg["title"], 420)}</div>'
        + legend(
            [{"label": s["label"], "count": sum(s["values"][-4:])} for s in lg["series"]],
            [HEALTH_COLOURS[s["key"]] for s in lg["series"]],
        )
        + ask(lg["ask"], lang)
    )
    sections.append(_card("logins wide", lg["title"], body))

    reg = data["regions"]
    body = hbars_svg(reg["rows"], [PALETTE[0]] * len(reg["rows"]), reg["title"]) + ask(
        reg["ask"], lang
    )
    sections.append(_card("regions", reg["title"], body))

    al = data["alerts"]
    if al["rows"]:
        rows = [
            [
                e(r["title"]),
                e((r["account"] or {}).get("name") or ""),
                e(r["assignee"] or ""),
                f'<span class="sev-{e(r["severity"])}">{e(r["severity"])}</span>',
                e(r["status"]),
            ]
            for r in al["rows"]
        ]
        table = _table(
            [
                t("col_title", lang),
                t("col_account", lang),
                t("col_assignee", lang),
                "级别" if zh else "Severity",
                t("col_status", lang),
            ],
            rows,
        )
    else:
        table = f"<p>{e(t('alerts_none', lang))}</p>"
    yours = f"其中 {al['yours']} 条是你的" if zh else f"{al['yours']} of them yours"
    body = (
        f'<div class="kpi">{num(al["count"])}<small>{e(yours)}</small></div>'
        + table
        + ask(al["ask"], lang)
    )
    sections.append(_card("alerts wide", al["title"], body))

    rn = data["renewals"]
    if rn["rows"]:
        rows = [
            [
                e(r["name"]),
                e(r["owner"] or ""),
                e(r["contract_end"] or ""),
                f'<span class="band" style="background:{HEALTH_COLOURS.get(r["health_band"] or "", "#ccc")}">'
                f"</span>{e(r['health_label'])}",
                money(r["arr"]),
            ]
            for r in rn["rows"]
        ]
        table = _table(
            [
                t("col_account", lang),
                t("col_owner", lang),
                t("col_end", lang),
                t("col_health", lang),
                t("col_arr", lang),
            ],
            rows,
        )
    else:
        table = f"<p>{e(t('renewals_none', lang))}</p>"
    head = (
        f"{num(rn['count'])} 个客户 · {money(rn['arr'])}"
        if zh
        else (f"{num(rn['count'])} accounts · {money(rn['arr'])}")
    )
    body = f'<div class="kpi">{e(head)}</div>' + table + ask(rn["ask"], lang)
    sections.append(_card("renewals wide", rn["title"], body))

    cp = data["completeness"]
    colours = ["#d9534f", "#f0a202", "#3c9d5d"]
    body = (
        f'<div class="kpi">{pct(cp["average"])}<small>{e(cp["average_label"])}</small></div>'
        + hbars_svg(cp["bands"], colours, cp["title"])
        + f"<h3>{e(t('lowest', lang))}</h3>"
        + _table(
            [t("col_account", lang), t("col_owner", lang), t("col_key", lang)],
            [[e(r["name"]), e(r["owner"] or ""), pct(r["completeness_key"])] for r in cp["lowest"]],
        )
        + ask(cp["ask"], lang)
    )
    sections.append(_card("completeness", cp["title"], body))

    ps = data["persona"]
    items = []
    for tr in ps["traits"]:
        lift = (
            f"×{tr['lift']:.1f}"
            if tr["lift"] is not None
            else ("仅见于此群" if zh else "only here")
        )
        items.append(
            f"<li><b>{e(tr['field_label'])}: {e(tr['value_label'])}</b> — "
            + e(t("trait_row", lang, share=pct(tr["share"]), base=pct(tr["baseline_share"])))
            + f' <span class="lift">{lift}</span> ({num(tr["count"])})'
            + ask(tr["ask"], lang)
            + "</li>"
        )
    body = f"<p>{e(ps['lead'])}</p>"
    if items:
        body += f'<ul class="traits">{"".join(items)}</ul><p class="ask">{e(ps["caveat"])}</p>'
    sections.append(_card("persona", ps["title"], body))

    # header: who, scope, as-of, and a manager's per-person filter (a plain GET form, no script)
    people = scope.get("people") or []
    form = ""
    if people and data["user"]["role"] in ("manager", "admin"):
        opts = [f'<option value="">{e(t("everyone", lang))}</option>']
        for p in people:
            sel = " selected" if p["handle"] == scope.get("person") else ""
            opts.append(f'<option value="{e(p["handle"])}"{sel}>{e(p["name"])}</option>')
        form = (
            '<form method="get" action="dashboard">'
            f'<input type="hidden" name="token" value="{e(token)}">'
            f'<label for="person">{e(t("person", lang))}</label>'
            f'<select id="person" name="person">{"".join(opts)}</select>'
            f'<button type="submit">{e(t("show", lang))}</button></form>'
        )
    sub = " · ".join(
        [
            e(scope["label"]),
            e(t("accounts_n", lang, n=f"{scope['accounts']:,}")),
            e(t("as_of", lang, d=data["as_of"])),
        ]
    )
    font_face = ""
    if font_version:
        # CSS is raw text, not HTML: no entities here; urlencode leaves nothing that could end
        # the string or the style element (quotes, backslashes and "<" are percent-encoded)
        params = {"token": token, "v": font_version, "lang": lang}
        if scope.get("person"):
            params["person"] = scope["person"]
        font_face = (
            f'@font-face{{font-family:"{FONT_FAMILY}";src:url("dashboard/font?'
            f'{urlencode(params)}") format("woff");font-display:swap}}'
        )
    name = data["user"]["name"] or data["user"]["handle"]
    return (
        f'<!doctype html><html lang="{"zh-CN" if zh else "en"}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        '<meta name="referrer" content="no-referrer"><link rel="icon" href="data:,">'
        f"<title>{e(t('title', lang))} · {e(name)}</title>"
        f"<style>{font_face}{CSS.replace('__CJK__', FONT_FAMILY)}</style></head><body>"
        f'<header><h1>{e(t("title", lang))} · {e(name)}</h1><div class="sub">{sub}</div>'
        f"{form}</header><main>{''.join(sections)}</main>"
        f"<footer>{e(t('footer', lang))}</footer></body></html>"
    )


# --------------------------------------------------------------------------- the CJK font


def cjk_font_file() -> Path | None:
    """The CJK font file the install brings (handlers.charts), else an installed one, or None."""
    packaged = getattr(charts, "cjk_font_path", None)
    if callable(packaged):
        path = packaged()
        if path:
            return Path(path)
    try:
        from matplotlib import font_manager

        name = charts.cjk_font()
        if name:
            return Path(font_manager.findfont(name, fallback_to_default=False))
    except Exception:  # noqa: BLE001 - no font is a normal outcome: the page uses system fonts
        log.debug("no CJK font found", exc_info=True)
    return None


def page_characters(html: str) -> str:
    """The characters outside ASCII that a page shows (what the font subset must hold)."""
    return "".join(sorted({ch for ch in html if ord(ch) > 0x7F}))


def font_version(chars: str) -> str:
    """A short name for one character set (the subset's cache key and URL version)."""
    return hashlib.sha256(chars.encode("utf-8")).hexdigest()[:16]


_SUBSETS: OrderedDict[str, bytes] = OrderedDict()
_SUBSETS_LOCK = Lock()
_CHARSETS: OrderedDict[str, str] = OrderedDict()


def remember_characters(chars: str) -> str:
    """Keep a page's character set for its font request; its version."""
    v = font_version(chars)
    with _SUBSETS_LOCK:
        _CHARSETS[v] = chars
        _CHARSETS.move_to_end(v)
        while len(_CHARSETS) > 256:
            _CHARSETS.popitem(last=False)
    return v


def characters_for(version: str) -> str | None:
    with _SUBSETS_LOCK:
        return _CHARSETS.get(version)


@lru_cache(maxsize=1)
def _font_available() -> bool:
    return cjk_font_file() is not None


def font_available() -> bool:
    """Whether a CJK font can be served (else the page relies on the reader's own fonts)."""
    return _font_available()


def font_subset(chars: str) -> bytes | None:
    """The CJK font cut down to these characters (plus ASCII), as WOFF; None without a font."""
    path = cjk_font_file()
    if path is None:
        return None
    v = font_version(chars)
    with _SUBSETS_LOCK:
        if v in _SUBSETS:
            _SUBSETS.move_to_end(v)
            return _SUBSETS[v]
    from fontTools import subset
    from fontTools.ttLib import TTFont

    opts = subset.Options()
    opts.flavor = "woff"
    opts.layout_features = ["*"]
    opts.name_IDs = ["*"]
    opts.notdef_outline = True
    font = TTFont(str(path), fontNumber=0)
    sub = subset.Subsetter(opts)
    sub.populate(text="".join(chr(c) for c in range(0x20, 0x7F)) + chars)
    sub.subset(font)
    buf = io.BytesIO()
    font.flavor = "woff"
    font.save(buf)
    data = buf.getvalue()
    with _SUBSETS_LOCK:
        _SUBSETS[v] = data
        while len(_SUBSETS) > 32:
            _SUBSETS.popitem(last=False)
    return data
