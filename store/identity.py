"""How an account is recognised: normalised names and domains (某某科技有限公司 = 某某科技)."""

from __future__ import annotations

import re
import unicodedata

# Legal-form suffixes dropped when comparing company names, longest first.
_ZH_SUFFIXES = (
    "股份有限公司",
    "有限责任公司",
    "集团有限公司",
    "集团股份有限公司",
    "有限公司",
    "集团公司",
    "股份公司",
    "分公司",
    "总公司",
    "公司",
    "集团",
)
_EN_SUFFIXES = (
    "incorporated",
    "corporation",
    "company",
    "limited",
    "holdings",
    "group",
    "gmbh",
    "inc",
    "corp",
    "co",
    "ltd",
    "llc",
    "plc",
    "ag",
    "sa",
    "bv",
    "pte",
    "kk",
    "srl",
    "oy",
    "ab",
)
# Words a company's name ends with beyond its legal form: the trade it names ("华夏星辰科技",
# "Zenith Technologies"). A question naming "<something>科技" asks for one company, not for the
# technology industry, unless <something> is itself a filter ("上海科技": Shanghai, technology).
_ZH_TRADE_WORDS = (
    "科技",
    "信息",
    "技术",
    "网络",
    "数据",
    "软件",
    "电子",
    "智能",
    "传媒",
    "文化",
    "实业",
    "贸易",
    "控股",
    "股份",
    "服务",
    "咨询",
    "工业",
    "制造",
    "物流",
    "医疗",
    "医药",
    "生物",
    "教育",
    "金融",
    "资本",
    "投资",
    "能源",
    "电商",
)
_EN_TRADE_WORDS = (
    "technologies",
    "technology",
    "tech",
    "systems",
    "solutions",
    "software",
    "labs",
    "networks",
    "industries",
    "enterprises",
    "partners",
    "ventures",
    "capital",
    "media",
    "logistics",
    "analytics",
    "digital",
    "international",
)
_PUNCT = re.compile(r"[\s\-_.,'\"“”‘’()（）\[\]【】&/·、，。:：;；!！?？]+")


def normalise_name(name: str) -> str:
    """Fold case, width and spacing and drop legal suffixes: 'ACME Co., Ltd.' -> 'acme'."""
    s = unicodedata.normalize("NFKC", name or "").strip().lower()
    s = re.sub(r"[（(][^)）]*[)）]$", "", s).strip()  # trailing "(中国)" / "(Shanghai)"
    changed = True
    while changed:
        changed = False
        for suf in _ZH_SUFFIXES:
            if s.endswith(suf) and len(s) > len(suf):
                s = s[: -len(suf)].strip()
                changed = True
        words = re.split(r"[\s,.]+", s.strip(" ,."))
        while len(words) > 1 and words[-1] in _EN_SUFFIXES:
            words.pop()
            changed = True
        if changed:
            s = " ".join(words) if words else s
    return _PUNCT.sub("", s)


def normalise_domain(value: str | None) -> str | None:
    """'https://www.Acme.cn/about' -> 'acme.cn'; emails give their domain; blank -> None."""
    if not value:
        return None
    s = str(value).strip().lower()
    if not s:
        return None
    if "@" in s and "/" not in s:
        s = s.rsplit("@", 1)[1]
    s = re.sub(r"^[a-z][a-z0-9+.-]*://", "", s)
    s = s.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    s = s.split(":", 1)[0].strip(".")
    if s.startswith("www."):
        s = s[4:]
    return s or None


def company_form(text: str) -> tuple[str, str] | None:
    """(stem, form) when a text is written like a company name: it ends with a legal form or a
    trade word after at least two characters of its own ("华夏星辰科技" -> ("华夏星辰", "科技"),
    "Zenith Quantum Inc" -> ("zenith quantum", "inc")); None otherwise."""
    s = unicodedata.normalize("NFKC", text or "").strip().lower().strip(" ,.")
    s = re.sub(r"[（(][^)）]*[)）]$", "", s).strip()
    for suf in sorted((*_ZH_SUFFIXES, *_ZH_TRADE_WORDS), key=len, reverse=True):
        if s.endswith(suf):
            stem = s[: -len(suf)].strip()
            return (stem, suf) if len(stem) >= 2 else None
    words = re.split(r"[\s,]+", s)
    if len(words) >= 2 and words[-1].rstrip(".") in (*_EN_SUFFIXES, *_EN_TRADE_WORDS):
        return " ".join(words[:-1]).strip(" ,."), words[-1].rstrip(".")
    return None
