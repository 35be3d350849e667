"""Key people: buying roles (EB, TB, UB), attitudes and job titles, in English and Chinese.

One module for every door that reads a key person: the question parser (a role, an attitude or a
title in a question), the interview and quick notes (a person named in free text), the importer (a
role or attitude cell) and hand edits (a role typed by a person). Each table says which reader
reads which column and why the columns differ: a word that is safe in a whole cell ("user", "用户")
is not safe inside a question, and a verb that marks a role in an interview answer ("signs off",
"拍板") is not a role's name. `EXAMPLES` is the corpus every reader must read alike
(tests/test_lang.py).
"""

from __future__ import annotations

import re

ROLES = ("EB", "TB", "UB")

# words naming a buying role, read by every door (questions, cells, the read-back of a reply's label).
# The first Chinese word is the role's Chinese label.
ROLE_WORDS: dict[str, tuple[str, ...]] = {
    "EB": (
        "eb",
        "economic buyer",
        "decision maker",
        "decision-maker",
        "决策人",
        "决策者",
        "拍板人",
    ),
    "TB": (
        "tb",
        "technical buyer",
        "tech buyer",
        "technical evaluator",
        "evaluator",
        "技术评估人",
        "技术负责人",
        "技术决策人",
    ),
    "UB": ("ub", "user buyer", "daily user", "使用者", "日常用户"),
}
# how a reply names a role: (English, Chinese); the Chinese is ROLE_WORDS' first Chinese word
ROLE_LABELS: dict[str, tuple[str, str]] = {
    "EB": ("economic buyer", "决策人"),
    "TB": ("technical buyer", "技术评估人"),
    "UB": ("user buyer", "使用者"),
}

# further words a whole cell may use for a role (an import, an edit), too loose for a question
# ("user", "用户") or only ever seen in files
ROLE_CELL_WORDS: dict[str, tuple[str, ...]] = {
    "EB": ("经济决策人", "经济买家", "预算决策人", "budget holder"),
    "TB": (
        "technical decision maker",
        "技术决策者",
        "技术评估",
        "技术评估者",
        "技术把关人",
        "评估者",
        "评估人",
    ),
    "UB": ("user", "用户", "使用人", "最终用户", "end user", "日常使用者"),
}

# job titles of key people: each group is one title in its spellings and languages (a CFO is a
# Chief Financial Officer and a 首席财务官, not a finance director / 财务总监, which is its own title)
TITLE_WORDS: dict[str, tuple[str, ...]] = {
    "CFO": ("cfo", "chief financial officer", "首席财务官"),
    "finance director": ("finance director", "director of finance", "财务总监"),
    "head of finance": ("head of finance", "财务负责人"),
    "VP finance": ("vp finance", "vp of finance", "finance vp", "财务vp", "财务副总裁"),
    "CEO": ("ceo", "chief executive officer", "chief executive", "首席执行官"),
    "general manager": ("general manager", "总经理"),
    "president": ("president", "总裁"),
    "CTO": ("cto", "chief technology officer", "首席技术官"),
    "technical director": ("technical director", "technology director", "技术总监"),
    "CIO": ("cio", "chief information officer", "首席信息官"),
    "IT director": ("it director", "it总监", "信息总监"),
    "COO": ("coo", "chief operating officer", "首席运营官"),
    "operations director": ("operations director", "运营总监"),
    "CMO": ("cmo", "chief marketing officer", "首席营销官", "首席市场官"),
    "marketing director": ("marketing director", "市场总监"),
    "VP": ("vp", "vice president", "副总裁"),
    "procurement manager": ("procurement manager", "purchasing manager", "采购经理"),
    "head of procurement": ("head of procurement", "procurement director", "采购总监", "采购负责人"),
}  # fmt: skip
# how much a key person weighs in the decision (a contact's influence cell)
INFLUENCE_WORDS: dict[str, tuple[str, ...]] = {
    "high": ("高",),
    "medium": ("中", "mid"),
    "low": ("低",),
}

# a person named by an attitude: read alone in a question ("which accounts have a blocker")
ATTITUDE_PERSON_WORDS: dict[str, tuple[str, ...]] = {
    "blocker": (
        "blocker",
        "blockers",
        "detractor contact",
        "opponent",
        "opponents",
        "反对者",
        "阻碍者",
        "反对派",
        "持反对态度",
    ),
    "supporter": (
        "supporter",
        "supporters",
        "champion contact",
        "advocate",
        "advocates",
        "支持者",
        "持支持态度",
    ),
}
# bare attitude words (支持 is also "support", 中立 is rare elsewhere): in a question an attitude only
# after an attitude cue ("关键人态度为反对", "attitude is neutral", "态度中立")
ATTITUDE_WORDS: dict[str, tuple[str, ...]] = {
    "blocker": (
        "反对",
        "阻碍",
        "负面",
        "消极",
        "negative",
        "opposed",
        "opposed to us",
        "opposes",
        "opposes us",
        "opposing",
        "unsupportive",
        "against",
        "against us",
        "hostile",
        "blocking",
    ),
    "supporter": (
        "支持",
        "正面",
        "积极",
        "positive",
        "supportive",
        "supportive of us",
        "supports us",
        "favourable",
        "favorable",
    ),
    "neutral": ("中立", "中性", "neutral", "观望", "undecided"),
}
# words that say an attitude is meant: "关键人态度为反对", "attitude is neutral", "反对的立场"
ATTITUDE_CUES: tuple[str, ...] = (
    "attitude",
    "attitudes",
    "stance",
    "position",
    "sentiment",
    "态度",
    "立场",
    "意见",
    "持",  # 持中立态度: holds a neutral attitude
)
# a key person (关键人) of an account, whatever their role
KEY_PERSON_NOUNS: tuple[str, ...] = (
    "key person",
    "key people",
    "key persons",
    "key contact",
    "key contacts",
    "contact",
    "contacts",
    "contact person",
    "contact people",
    "stakeholder",
    "stakeholders",
    "关键人",
    "关键联系人",
    "联系人",
    "对接人",
    "干系人",
)


# an attitude as a whole cell (an import, an edit) or a reply's label read back; a cell also reads
# the question words above ("opponent", "negative"). "support" alone is no attitude in a text.
# after a user's name, the accounts are theirs ("张伟负责的客户", "李娜跟进的客户"); 名下 and "'s" are
# filler words already
OWNER_WORDS: tuple[str, ...] = (
    "负责",
    "负责的",
    "跟进",
    "跟进的",
    "管理",
    "管理的",
    "服务",
    "服务的",
)
# the corpus: (question, what it reads with the users alice (Alice Chen, sales), 张伟 (sales),
# bob (csm) and rocco (manager)): "owner=alice", "csm=bob", "team=rocco", "owner!=zhangwei"
OWNER_EXAMPLES: tuple[tuple[str, str], ...] = (
    ("alice's accounts", "owner=alice"),
    ("accounts of alice chen", "owner=alice"),
    ("张伟负责的客户", "owner=zhangwei"),
    ("张伟名下的客户", "owner=zhangwei"),
    ("张伟跟进的客户有几个", "owner=zhangwei"),
    ("bob accounts", "csm=bob"),
    ("except alice", "owner!=alice"),
    ("除了张伟以外的客户", "owner!=zhangwei"),
    ("不是张伟负责的客户", "owner!=zhangwei"),
    ("不是alice的客户", "owner!=alice"),
    ("bob的客户", "csm=bob"),
    ("rocco accounts", "team=rocco"),
    ("张伟和alice的客户", "owner=zhangwei|alice"),
    ("accounts of alice or zhangwei", "owner=alice|zhangwei"),
    ("除了张伟和alice以外的客户", "owner!=zhangwei|alice"),
)

ATTITUDE_CELL_WORDS: dict[str, tuple[str, ...]] = {
    "supporter": ("supporter", "support", "champion", "支持", "支持者"),
    "neutral": ("neutral", "中立", "中性"),
    "blocker": ("blocker", "opponent", "反对", "反对者", "阻碍", "阻碍者"),
}

# a job title in free text (an interview answer, a note) -> the buying role it implies; the words
# find a person ("the CFO Li Na", "财务总监李娜")
TITLE_ROLES: dict[str, tuple[str, ...]] = {
    "EB": (
        "ceo",
        "cfo",
        "coo",
        "president",
        "founder",
        "owner",
        "general manager",
        "gm",
        "managing director",
        "finance director",
        "head of finance",
        "procurement director",
        "head of procurement",
        "vp sales",
        "vp of sales",
        "vp",
        "chairman",
        "boss",
        "首席执行官",
        "首席财务官",
        "财务总监",
        "财务负责人",
        "总经理",
        "副总经理",
        "董事长",
        "总裁",
        "副总裁",
        "老板",
        "采购总监",
        "运营总监",
        "创始人",
        "老总",
        "财务vp",
    ),
    "TB": (
        "cto",
        "cio",
        "it director",
        "it manager",
        "head of it",
        "head of engineering",
        "engineering manager",
        "head of data",
        "tech lead",
        "technical lead",
        "architect",
        "security lead",
        "技术总监",
        "技术负责人",
        "首席技术官",
        "it总监",
        "it经理",
        "it负责人",
        "信息部经理",
        "信息中心主任",
        "数据负责人",
        "架构师",
        "研发总监",
    ),
    "UB": (
        "ops manager",
        "operations manager",
        "ops specialist",
        "analyst",
        "team lead",
        "sales manager",
        "dispatcher",
        "end user",
        "运营经理",
        "运营专员",
        "数据分析师",
        "销售经理",
        "客服主管",
        "调度员",
        "业务主管",
        "操作员",
    ),
}
# what a person does in a sentence that gives their role ("Li Na signs off", "王总拍板")
ROLE_VERBS: dict[str, tuple[str, ...]] = {
    "EB": (
        "signs off",
        "sign off",
        "signs",
        "approves",
        "decides",
        "final say",
        "holds the budget",
        "decision maker",
        "拍板",
        "审批",
        "签字",
        "决策",
        "说了算",
        "批预算",
    ),
    "TB": ("evaluates", "evaluating", "assesses", "tests", "technical", "评估", "选型", "技术把关"),
    "UB": (
        "daily",
        "day to day",
        "day-to-day",
        "uses it",
        "use it",
        "日常使用",
        "天天用",
        "每天用",
        "一线使用",
    ),
}
# an attitude in a sentence about a person (an interview answer, a note); blocker words first:
# "不支持" is read before "支持"
ATTITUDE_TEXT_WORDS: dict[str, tuple[str, ...]] = {
    "blocker": (
        "blocker",
        "blocks",
        "against",
        "opposes",
        "opposed",
        "resists",
        "skeptical",
        "sceptical",
        "hostile",
        "negative",
        "不支持",
        "反对",
        "阻碍",
        "抵触",
        "质疑",
        "不看好",
        "阻力",
    ),
    "supporter": (
        "supporter",
        "supportive",
        "supports",
        "champion",
        "fan",
        "positive",
        "likes us",
        "on our side",
        "支持",
        "认可",
        "看好",
        "积极",
        "力挺",
    ),
    "neutral": ("neutral", "undecided", "on the fence", "wait and see", "中立", "观望", "无所谓"),
}
# how a reply names an attitude: (English, Chinese)
ATTITUDE_LABELS = {
    "supporter": ("supporter", "支持"),
    "neutral": ("neutral", "中立"),
    "blocker": ("blocker", "反对"),
}

# the corpus: a word -> the role or attitude every reader reads it as (tests/test_lang.py)
ROLE_EXAMPLES: tuple[tuple[str, str], ...] = (
    ("决策人", "EB"),
    ("拍板人", "EB"),
    ("economic buyer", "EB"),
    ("decision maker", "EB"),
    ("EB", "EB"),
    ("技术评估人", "TB"),
    ("technical buyer", "TB"),
    ("tech buyer", "TB"),
    ("TB", "TB"),
    ("使用者", "UB"),
    ("日常用户", "UB"),
    ("user buyer", "UB"),
    ("daily user", "UB"),
)
ATTITUDE_EXAMPLES: tuple[tuple[str, str], ...] = (
    ("blocker", "blocker"),
    ("反对者", "blocker"),
    ("反对", "blocker"),
    ("supporter", "supporter"),
    ("支持者", "supporter"),
    ("支持", "supporter"),
    ("neutral", "neutral"),
    ("中立", "neutral"),
    ("opponent", "blocker"),
    ("阻碍者", "blocker"),
    ("advocate", "supporter"),
)


def _index(*tables: dict[str, tuple[str, ...]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for table in tables:
        for canon, words in table.items():
            out.setdefault(canon.lower(), canon)
            for w in words:
                out.setdefault(w.lower(), canon)
    return out


_ROLE_INDEX = _index(ROLE_WORDS, ROLE_CELL_WORDS)
_ATTITUDE_INDEX = _index(ATTITUDE_CELL_WORDS, ATTITUDE_PERSON_WORDS, ATTITUDE_WORDS)
_INFLUENCE_INDEX = _index(INFLUENCE_WORDS)


def _read_cell(index: dict[str, str], raw: str) -> str | None:
    key = str(raw).strip().lower()
    if key in index:
        return index[key]
    for part in re.split(r"[\s/()（）\-:：,，、|]+", key):
        if part in index:
            return index[part]
    return None


def read_role(cell: str) -> str | None:
    """A role cell or typed role to EB/TB/UB: the whole text, else any part ('EB (决策者)')."""
    return _read_cell(_ROLE_INDEX, cell)


def read_attitude(cell: str) -> str | None:
    """An attitude cell to supporter/neutral/blocker: the whole text, else any part."""
    return _read_cell(_ATTITUDE_INDEX, cell)


def read_influence(cell: str) -> str | None:
    """An influence cell to high/medium/low: the whole text, else any part ('高 (high)')."""
    return _read_cell(_INFLUENCE_INDEX, cell)


def attitude_words(attitude: str) -> tuple[str, ...]:
    """Every word read as this attitude in a cell, its Chinese label first (a reply's label)."""
    label = ATTITUDE_LABELS.get(attitude, (attitude, attitude))[1]
    words = [w for w, att in _ATTITUDE_INDEX.items() if att == attitude]
    return (label, *[w for w in words if w != label])


def attitude_in_text(text: str) -> str | None:
    """The attitude a sentence about a person gives ('Li Na is against it', '王总不看好'), or None;
    blocker words first, so "不支持" is no supporter."""
    low = text.lower()
    for attitude in ("blocker", "supporter", "neutral"):
        for w in (*ATTITUDE_TEXT_WORDS[attitude], *ATTITUDE_PERSON_WORDS.get(attitude, ())):
            if w in low if not w.isascii() else re.search(rf"\b{re.escape(w)}\b", low):
                return attitude
    return None


def role_label(role: str, language: str, *, code: bool = False) -> str:
    """How a reply names a role ('economic buyer' / '决策人'); with `code`, 'economic buyer (EB)' /
    '决策人（EB）'. An unknown role as given."""
    if role not in ROLE_LABELS:
        return role
    en, zh = ROLE_LABELS[role]
    if not code:
        return zh if language == "zh" else en
    return f"{zh}（{role}）" if language == "zh" else f"{en} ({role})"


def attitude_label(attitude: str, language: str) -> str:
    """How a reply names an attitude ('blocker' / '反对'); an unknown one as given."""
    en, zh = ATTITUDE_LABELS.get(attitude, (attitude, attitude))
    return zh if language == "zh" else en


# a job title written out after a cue ("a contact titled Solutions Architect", "职位是解决方案架构师的
# 联系人"): any title, not only those of TITLE_WORDS; the title is read up to the next clause word
TITLE_CUE_RX = (
    r"(?:\btitled|\bwith\s+(?:the\s+)?(?:job\s+)?title(?:\s+of)?|\bwhose\s+(?:job\s+)?title\s+is"
    r"|\bjob\s+title(?:\s+is)?)\s+[\"“']?(?P<title>[a-z][a-z0-9&/.\- ]*?)[\"”']?"
    r"(?=\s*(?:$|[,?.;!]|\b(?:and|or|but|who|whose|that|in|at|from|with|without|on|as)\b))"
    r"|(?:职位|职务|头衔|岗位|title)\s*(?:是|为|叫)\s*[\"“']?(?P<title_zh>[\u4e00-\u9fffa-z0-9 ]+?)"
    r"[\"”']?(?=的|$|[，,、;；?？]|且|并且|而且|但)"
)

TITLE_CUE_EXAMPLES: tuple[tuple[str, str], ...] = (
    ("accounts with a contact titled solutions architect", "solutions architect"),
    ("contacts titled head of it in shanghai", "head of it"),
    ("a key person whose job title is vp sales", "vp sales"),
    ("customers with the title “procurement lead” on file", "procurement lead"),
    ("职位是解决方案架构师的联系人", "解决方案架构师"),
    ("有职务为采购总监的关键人的客户", "采购总监"),
    ("头衔是it主管的联系人", "it主管"),
)


def title_after_cue(text: str) -> str | None:
    """The title a cue introduces ("titled X", "职位是X"), as written; None when there is none."""
    m = re.search(TITLE_CUE_RX, text.lower())
    if m is None:
        return None
    return (m.group("title") or m.group("title_zh") or "").strip() or None
