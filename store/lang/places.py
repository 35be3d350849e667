"""Places as people name them: groups of cities and provinces (江浙沪, 北上广深, the Yangtze River
Delta, tier-1 cities) and the words saying where an account is (based in, located in, 位于).

A group is the cities and provinces it stands for, as canonical keys of store/vocab.py (the
compiler expands each key to every spelling a book holds). An account is in a group when its
city or its province is one of the group's. `EXAMPLES` is the corpus the question parser must read
alike in both languages (tests/test_lang.py).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CityGroup:
    words: tuple[str, ...]  # how people name the group, both languages
    cities: tuple[str, ...]  # canonical city keys (store/vocab.py CITIES)
    provinces: tuple[str, ...] = ()  # canonical province keys (store/vocab.py PROVINCES)


_JIANGSU = ("nanjing", "suzhou", "wuxi", "changzhou", "nantong", "xuzhou", "yangzhou")
_JIANGSU += ("zhenjiang", "yancheng", "kunshan")
_ZHEJIANG = ("hangzhou", "ningbo", "wenzhou", "shaoxing", "jiaxing", "jinhua", "huzhou")
_PRD = ("guangzhou", "shenzhen", "zhuhai", "foshan", "dongguan", "huizhou", "zhongshan")

CITY_GROUPS: dict[str, CityGroup] = {
    "jiangzhehu": CityGroup(
        ("江浙沪", "苏浙沪", "江浙沪地区", "jiangzhehu", "jiangsu zhejiang shanghai"),
        ("shanghai", *_JIANGSU, *_ZHEJIANG),
        ("jiangsu", "zhejiang", "shanghai"),
    ),
    "jiangzhe": CityGroup(
        ("江浙", "苏浙", "江浙地区", "jiangsu and zhejiang", "jiangsu zhejiang"),
        (*_JIANGSU, *_ZHEJIANG),
        ("jiangsu", "zhejiang"),
    ),
    "yangtze river delta": CityGroup(
        ("长三角", "长三角地区", "长江三角洲", "yangtze river delta", "yangtze delta"),
        ("shanghai", *_JIANGSU, *_ZHEJIANG, "hefei", "wuhu"),
        ("shanghai", "jiangsu", "zhejiang", "anhui"),
    ),
    "tier 1 cities": CityGroup(
        ("北上广深", "一线城市", "tier 1 cities", "tier-1 cities", "tier one cities")
        + ("first-tier cities", "first tier cities"),
        ("beijing", "shanghai", "guangzhou", "shenzhen"),
    ),
    "beishangguang": CityGroup(("北上广", "beishangguang"), ("beijing", "shanghai", "guangzhou")),
    "pearl river delta": CityGroup(
        ("珠三角", "珠三角地区", "珠江三角洲", "pearl river delta"), _PRD
    ),
    "greater bay area": CityGroup(
        ("大湾区", "粤港澳大湾区", "greater bay area"),
        (*_PRD, "hong kong", "macau"),
        ("hong kong", "macau"),
    ),
    "jingjinji": CityGroup(
        ("京津冀", "京津冀地区", "jingjinji", "beijing tianjin hebei"),
        ("beijing", "tianjin", "shijiazhuang", "tangshan", "baoding"),
        ("beijing", "tianjin", "hebei"),
    ),
    "chengyu": CityGroup(("成渝", "成渝地区", "chengyu"), ("chengdu", "chongqing")),
}

# where an account is: "based in Shanghai", "位于上海" (before the place; "in"/"在" are stop words)
LOCATED: tuple[str, ...] = (
    "based in",
    "based",
    "located in",
    "located",
    "headquartered in",
    "headquartered",
    "situated in",
    "位于",
    "地处",
    "来自",
    "总部在",
    "总部位于",
    "属于",
)

# a two-letter country code is a word too ("us", "uk"): a country only after "the", "in", "from",
# "non-", "outside" or before an account noun ("uk accounts", "us-based customers"), and "us" not
# after these words, where it is the asker ("show us accounts", "for us")
COUNTRY_CODES: tuple[str, ...] = ("us", "uk")
# with the two-letter codes a book stores ("de customers"), but never these words
CODE_NOT: frozenset[str] = frozenset({"in", "it", "is", "me", "my", "no", "or", "id", "am", "hi"})
CODE_AFTER: tuple[str, ...] = ("the ", "in ", "from ", "non-", "non ", "non", "outside ")
US_PRONOUN_AFTER: tuple[str, ...] = (
    "show",
    "give",
    "tell",
    "send",
    "let",
    "help",
    "get",
    "find",
    "bring",
    "email",
    "ping",
    "for",
    "to",
    "with",
    "lets",
    "let's",
    "told",
    "gave",
    "showed",
    "sent",
    "helped",
    "owned",
    "by",
    "among",
)

# the corpus: (question, the group it names); the parser reads each as the group's cities and
# provinces (tests/test_lang.py)
EXAMPLES: tuple[tuple[str, str], ...] = (
    ("江浙沪的客户", "jiangzhehu"),
    ("accounts in jiangzhehu", "jiangzhehu"),
    ("北上广深的客户", "tier 1 cities"),
    ("accounts in tier 1 cities", "tier 1 cities"),
    ("一线城市的客户有多少", "tier 1 cities"),
    ("长三角的制造业客户", "yangtze river delta"),
    ("customers in the yangtze river delta", "yangtze river delta"),
    ("大湾区客户", "greater bay area"),
    ("accounts in the greater bay area", "greater bay area"),
    ("京津冀地区的客户", "jingjinji"),
    ("珠三角的客户", "pearl river delta"),
)
