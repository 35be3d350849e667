"""Function words: presence, absence, "is there any", and the conjunctions that end a clause.

Data only, in both languages. The question parser's tagger (handlers/understand/tags.py) reads
these tables beside store/lang/negation.py; a negation binds to what follows it inside its own
clause.
"""

from __future__ import annotations

# presence: "have an EB", "key people on file", "录入了决策人"
PRESENCE: tuple[str, ...] = (
    "have",
    "has",
    "having",
    "got",
    "with",
    "on file",
    "on record",
    "recorded",
    "listed",
    "entered",
    "among",
    "identified",
    "identify",
    "mapped",
    "named",
    "有",
    "存在",
    "录入",
    "录入了",
    "录了",
    "登记",
    "登记了",
    "填写",
    "填了",
    "记录",
)
# absence, said after the thing ("the EB is unknown", "决策人未知", "关键人都没录入", "行业为空") or
# before it ("没填城市", "blank phone")
ABSENCE_AFTER: tuple[str, ...] = (
    "unknown",
    "not known",
    "missing",
    "is missing",
    "not identified",
    "not recorded",
    "not on file",
    "not set",
    "未知",
    "不详",
    "缺失",
    "空缺",
    "没录入",
    "未录入",
    "没有录入",
    "没填",
    "未填写",
    "没有填写",
    "未填",
    "没填写",
    "没有填",
    "empty",
    "is empty",
    "blank",
    "is blank",
    "null",
    "not filled",
    "not filled in",
    "为空",
    "是空的",
    "空白",
)
# words after a field that only say it is the value meant: "no industry set", "没有电话信息"
FIELD_AFTER: tuple[str, ...] = (
    "set",
    "filled",
    "filled in",
    "info",
    "information",
    "data",
    "信息",
    "数据",
    "字段",
)
# "is there any …" — a question, not a negation (有没有 holds 没有)
QUESTION_ANY: tuple[str, ...] = (
    "有没有",
    "有无",
    "是否有",
    "是不是有",
    "are there any",
    "is there any",
    "are there",
    "is there",
)
# words and marks that end a clause: a window or a negation binds inside its own clause
CONJUNCTIONS: tuple[str, ...] = (
    "and",
    "but",
    "or",
    "while",
    "whereas",
    "plus",
    "并且",
    "而且",
    "但是",
    "但",
    "且",
    "或者",
    "或",
    "以及",
    "同时",
    "另外",
    ";",
    "；",
)
# marks that end a clause for the pattern table too (a list "EB, TB" is two people)
CLAUSE_MARKS: tuple[str, ...] = (",", "，")
# a ranking said by a word: "the most logins", "least active", "top 10 by logins", "登录次数最多"
SUPERLATIVES: tuple[str, ...] = (
    "most", "least", "fewest", "top", "bottom", "rank", "ranked", "sort", "sorted", "order by",
    "最多", "最少", "最高", "最低", "最不", "最久", "排名", "排行", "排序",
)  # fmt: skip
# a figure summed or averaged over the accounts: "total logins", "average purchases", "登录次数合计"
AGGREGATES: tuple[str, ...] = (
    "total", "sum", "sum of", "average", "avg", "mean", "median", "合计", "总计", "总和", "平均",
    "平均值", "均值", "总数",
)  # fmt: skip
