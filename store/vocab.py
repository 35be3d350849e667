"""Value synonyms across languages: 上海 = Shanghai, 金融科技 = fintech.

The parser maps a word in a question to a canonical value; the compiler expands an equality on a
text field to every variant, so a book imported with Chinese city names answers an English question
and the other way round. Comparisons are case-folded.
"""

from __future__ import annotations

# canonical (lower-case English) -> variants (any language, compared lower-cased)
CITIES: dict[str, tuple[str, ...]] = {
    "shanghai": ("上海", "上海市", "sh"),
    "beijing": ("北京", "北京市", "peking", "bj"),
    "shenzhen": ("深圳", "深圳市", "sz"),
    "guangzhou": ("广州", "广州市", "canton", "gz"),
    "hangzhou": ("杭州", "杭州市", "hz"),
    "chengdu": ("成都", "成都市"),
    "wuhan": ("武汉", "武汉市"),
    "nanjing": ("南京", "南京市"),
    "suzhou": ("苏州", "苏州市"),
    "xian": ("西安", "西安市", "xi'an", "xi’an"),
    "chongqing": ("重庆", "重庆市"),
    "tianjin": ("天津", "天津市"),
    "xiamen": ("厦门", "厦门市"),
    "qingdao": ("青岛", "青岛市"),
    "changsha": ("长沙", "长沙市"),
    "hefei": ("合肥", "合肥市"),
    "ningbo": ("宁波", "宁波市"),
    "dalian": ("大连", "大连市"),
    "zhengzhou": ("郑州", "郑州市"),
    "jinan": ("济南", "济南市"),
    "fuzhou": ("福州", "福州市"),
    "kunming": ("昆明", "昆明市"),
    "shenyang": ("沈阳", "沈阳市"),
    "harbin": ("哈尔滨", "哈尔滨市"),
    "dongguan": ("东莞", "东莞市"),
    "foshan": ("佛山", "佛山市"),
    "wuxi": ("无锡", "无锡市"),
    "hong kong": ("香港", "hk", "hongkong"),
    "taipei": ("台北", "台北市"),
    "singapore": ("新加坡",),
    "tokyo": ("东京",),
    "london": ("伦敦",),
    "new york": ("纽约", "nyc"),
    "san francisco": ("旧金山", "sf"),
}

INDUSTRIES: dict[str, tuple[str, ...]] = {
    "fintech": ("金融科技", "financial technology", "fin-tech", "fin tech"),
    "finance": ("金融", "financial services", "financial", "金融服务"),
    "banking": ("银行", "bank", "banks"),
    "insurance": ("保险",),
    "ecommerce": ("电商", "电子商务", "e-commerce", "online retail"),
    "retail": ("零售",),
    "manufacturing": ("制造", "制造业", "智能制造"),
    "logistics": ("物流", "供应链", "supply chain"),
    "healthcare": ("医疗", "医疗健康", "医药", "health care", "medical", "医疗保健"),
    "education": ("教育", "在线教育", "edtech", "ed tech"),
    "saas": ("软件", "企业服务", "software", "企业软件"),
    "technology": ("科技", "技术", "tech", "technolgy", "it", "信息技术"),
    "internet": ("互联网",),
    "gaming": ("游戏", "games"),
    "media": ("传媒", "媒体", "entertainment", "文娱"),
    "real estate": ("房地产", "地产", "realestate", "property"),
    "energy": ("能源", "新能源", "clean energy", "renewables", "renewable energy"),
    "automotive": ("汽车", "auto", "automobile"),
    "telecom": ("电信", "通信", "telecommunications", "telecommunication"),
    "government": ("政府", "政务", "public sector"),
    "consulting": ("咨询",),
    "marketing": ("营销", "广告", "advertising"),
    "travel": ("旅游", "出行", "hospitality"),
    "food": ("餐饮", "食品", "food & beverage", "f&b"),
    "construction": ("建筑",),
    "agriculture": ("农业",),
    "cybersecurity": ("网络安全", "信息安全", "security", "cyber security"),
    "devtools": ("开发者工具", "developer tools"),
    "hr": ("人力资源", "human resources"),
    "legal": ("法律",),
}

PLANS: dict[str, tuple[str, ...]] = {
    "enterprise": ("企业版", "旗舰版"),
    "pro": ("专业版", "professional"),
    "basic": ("基础版", "标准版", "standard", "starter"),
    "free": ("免费版", "trial", "试用版"),
}

COUNTRIES: dict[str, tuple[str, ...]] = {
    "china": ("中国", "cn", "prc"),
    "us": ("美国", "usa", "united states", "america"),
    "uk": ("英国", "united kingdom", "gb", "britain"),
    "japan": ("日本", "jp"),
    "singapore": ("新加坡", "sg"),
    "germany": ("德国", "de"),
    "france": ("法国", "fr"),
    "india": ("印度", "in"),
    "australia": ("澳大利亚", "au"),
    "canada": ("加拿大", "ca"),
}

BY_FIELD: dict[str, dict[str, tuple[str, ...]]] = {
    "city": CITIES,
    "industry": INDUSTRIES,
    "plan": PLANS,
    "country": COUNTRIES,
}


def _index(table: dict[str, tuple[str, ...]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for canon, variants in table.items():
        out[canon] = canon
        for v in variants:
            out.setdefault(v.lower(), canon)
    return out


_INDEX = {name: _index(table) for name, table in BY_FIELD.items()}


def canonical(field: str, value: str) -> str | None:
    """The canonical value for a word in this field's vocabulary, or None."""
    index = _INDEX.get(field)
    if not index:
        return None
    return index.get(value.strip().lower())


def variants(field: str, value: str) -> set[str]:
    """Every lower-cased spelling that means the same value (the value itself included)."""
    v = value.strip().lower()
    out = {v}
    canon = canonical(field, v)
    if canon:
        out.add(canon)
        out.update(x.lower() for x in BY_FIELD[field][canon])
    return out
