"""Rebuild ProfileBotCJKSC-Regular.otf (not imported at run time; kept so the font can be remade).

Source: Noto Sans CJK SC Regular 2.004 (face 2 of NotoSansCJK-Regular.ttc, as shipped in the PyPI
package ``noto-cjk-sans-otc`` 0.0.1, SIL Open Font License 1.1). Subset to every character of GBK
(all simplified and traditional hanzi in common use) plus Latin, punctuation and full-width forms,
and renamed "ProfileBot CJK SC" as the OFL asks of modified versions (and because "Noto" is a
trademark of Google). Run: ``python handlers/fonts/make_font.py PATH/TO/NotoSansCJK-Regular.ttc``.
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

FAMILY = "ProfileBot CJK SC"
PS_NAME = "ProfileBotCJKSC-Regular"
OUT = Path(__file__).with_name(PS_NAME + ".otf")


def charset() -> str:
    chars: set[str] = set()
    for lead in range(0x81, 0xFF):
        for trail in range(0x40, 0xFF):
            with contextlib.suppress(UnicodeDecodeError):
                chars.add(bytes([lead, trail]).decode("gbk"))
    for lo, hi in (
        (0x20, 0x250),  # Latin, Latin-1, Latin Extended-A/B
        (0x370, 0x400),  # Greek
        (0x2000, 0x2070),  # general punctuation
        (0x20A0, 0x20C0),  # currency (¥ € …)
        (0x2100, 0x2200),  # letterlike, number forms, arrows
        (0x2460, 0x2500),  # enclosed numbers ①
        (0x25A0, 0x2600),  # geometric shapes ■ ▲ ●
        (0x3000, 0x3040),  # CJK symbols and punctuation
        (0xFF00, 0xFFF0),  # full-width forms
    ):
        chars.update(chr(c) for c in range(lo, hi))
    return "".join(sorted(chars))


def main(src: str) -> None:
    from fontTools import subset
    from fontTools.ttLib import TTFont

    font = TTFont(src, fontNumber=2) if src.endswith(".ttc") else TTFont(src)
    opts = subset.Options()
    opts.layout_features = ["*"]
    opts.name_IDs = ["*"]
    opts.name_languages = ["*"]
    opts.notdef_outline = True
    sub = subset.Subsetter(opts)
    sub.populate(text=charset())
    sub.subset(font)
    names = font["name"]
    for rec in list(names.names):
        if rec.nameID in (1, 4, 16):
            names.setName(FAMILY, rec.nameID, rec.platformID, rec.platEncID, rec.langID)
        elif rec.nameID == 3:
            names.setName(
                f"2.004;PB;{PS_NAME}", rec.nameID, rec.platformID, rec.platEncID, rec.langID
            )
        elif rec.nameID == 6:
            names.setName(PS_NAME, rec.nameID, rec.platformID, rec.platEncID, rec.langID)
        elif rec.nameID == 7:
            names.removeNames(nameID=7)
    if "CFF " in font:
        cff = font["CFF "].cff
        cff.fontNames = [PS_NAME]
        top = cff.topDictIndex[0]
        top.FullName = FAMILY
        top.FamilyName = FAMILY
        if hasattr(top, "CIDFontName"):
            top.CIDFontName = PS_NAME
    font.save(OUT)
    print(OUT, OUT.stat().st_size)


if __name__ == "__main__":
    main(sys.argv[1])
