"""Classes of accounts as people name them: tags, NPS classes, health bands and RFM segments.

A class is a value the product (or a book's import) puts on an account: a tag ("churn risk",
"流失风险", "vip"), the NPS class of its latest answer (promoter / passive / detractor, 推荐者 /
被动者 / 贬损者), the band of its health score (green / yellow / red, 绿色 / 黄色 / 红色) and its RFM
segment (Champions, 冠军客户). The question parser's tagger (handlers/understand/tags.py) reads
these tables; a reply's Chinese label of the same value (store/vocab.py SHOWN) reads back as it.
`EXAMPLES` is the corpus every reader must read alike (tests/test_lang.py).
"""

from __future__ import annotations

import re

# tag -> words naming it in a question. The default rules set churn_risk; high_value and
# churn_warning may be a tag or the tier/status a rule sets (TAG_ALSO_FIELD), so a question asks
# for either. A book's own tags are read beside these (handlers.parser.book_tags).
TAG_WORDS: dict[str, tuple[str, ...]] = {
    "churn_risk": (
        "churn risk",
        "churn-risk",
        "churn_risk",
        "risk of churn",
        "risk of churning",
        "likely to churn",
        "may churn",
        "might churn",
        "could churn",
        "about to churn",
        "at risk of leaving",
        "会流失",
        "容易流失",
        "at risk",
        "at-risk",
        "risky",
        "churning",
        "high risk",
        "high-risk",
        "churn risks",
        "flight risk",
        "流失风险",
        "风险客户",
        "高风险",
        "可能流失",
        "流失可能",
        "风险",
    ),
    "high_value": ("high value", "high-value", "high_value", "高价值", "高价值客户"),
    "churn_warning": ("churn warning", "churn-warning", "churn_warning", "流失预警", "预警"),
}
TAG_ALSO_FIELD: dict[str, str] = {"high_value": "tier", "churn_warning": "status"}


def tag_key(tag: str) -> str:
    """One spelling of a tag however it is written: "Churn-Risk" = "churn risk" = "churn_risk"."""
    return re.sub(r"[\s\-_]+", "_", tag.strip().lower())


# words saying a tag is meant, beside the field word "tag" / "标签": "tagged vip", "打了高价值标签"
TAG_CUES: tuple[str, ...] = (
    "tagged",
    "tagged as",
    "tagged with",
    "labelled",
    "labeled",
    "labelled as",
    "labeled as",
    "with the tag",
    "with tag",
    "标签为",
    "标签是",
    "打了",
    "打上",
    "带有",
    "tag =",
    "tags =",
    "标签 =",
)
# no tag at all: "untagged accounts", "没打标签的客户"
UNTAGGED: tuple[str, ...] = ("untagged", "unlabelled", "unlabeled", "没打标签", "未打标签")

NPS_CLASS_WORDS: dict[str, tuple[str, ...]] = {
    "detractor": ("detractors", "detractor", "贬损者", "批评者", "贬损"),
    "promoter": ("promoters", "promoter", "推荐者", "推荐者客户", "promoter accounts"),
    "passive": ("passives", "passive", "被动者", "中立者"),
}
HEALTH_WORDS: dict[str, tuple[str, ...]] = {
    "red": (
        "red",
        "unhealthy",
        "poor health",
        "bad health",
        "红色",
        "红灯",
        "不健康",
        "健康度低",
        "健康度差",
        "健康度较低",
        "低健康度",
        "健康状况差",
        "红色 风险",  # a reply's label 红色（风险） as the question reads it
    ),
    "yellow": ("yellow", "amber", "黄色", "黄灯", "健康度一般", "黄色 关注"),
    "green": (
        "green",
        "healthy",
        "good health",
        "绿色",
        "绿灯",
        "健康度高",
        "健康度良好",
        "健康的",
        "绿色 健康",
    ),
}
# RFM segments (store/rfm.py names them) said alone. New Customers, Promising, At Risk, Lost and
# Others are left out: said alone they are a new account, a plain word, the churn-risk tag, a
# churned stage.
RFM_WORDS: dict[str, tuple[str, ...]] = {
    "Champions": ("champions", "champion accounts", "champion customers", "冠军客户"),
    "Loyal Customers": ("loyal customers", "loyal accounts", "忠诚客户"),
    "Potential Loyalist": ("potential loyalist", "potential loyalists", "潜在忠诚客户"),
    "Need Attention": ("need attention", "needs attention"),
    "About To Sleep": ("about to sleep", "即将沉睡"),
    "Can't Lose Them": ("can not lose them", "cannot lose them", "不能流失的客户"),
}

# the corpus: (question, field, value) — every reader reads the class alike (the question parser;
# a reply's label read back, store/vocab.py)
EXAMPLES: tuple[tuple[str, str, str], ...] = (
    ("流失风险客户", "tag", "churn_risk"),
    ("show churn-risk accounts", "tag", "churn_risk"),
    ("accounts at risk of churning", "tag", "churn_risk"),
    ("high value accounts", "tag", "high_value"),
    ("detractors", "nps_class", "detractor"),
    ("贬损者有哪些", "nps_class", "detractor"),
    ("promoters in the list", "nps_class", "promoter"),
    ("被动者客户", "nps_class", "passive"),
    ("red accounts", "health_band", "red"),
    ("健康度为红色的客户", "health_band", "red"),
    ("amber health accounts", "health_band", "yellow"),
    ("绿灯客户", "health_band", "green"),
    ("champions", "rfm_segment", "Champions"),
    ("忠诚客户有哪些", "rfm_segment", "Loyal Customers"),
    ("can't lose them accounts", "rfm_segment", "Can't Lose Them"),
    ("重要客户", "tag", "vip"),  # a book's vip tag by its label
    ("即将沉睡的客户", "rfm_segment", "About To Sleep"),
)
