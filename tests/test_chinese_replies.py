"""Chinese all the way: every value a Chinese reply shows is Chinese.

A set of representative Chinese conversations on the demo book (lists, breakdowns, profile
cards, alerts and typed commands, the digest, to-dos, rules) runs through the router; a recorder
around `handlers.router.handle` keeps every reply, and the test fails on any English enum value
the product itself writes (health bands, attitudes, roles, RFM segments, NPS classes, tags and
rule names, levels, plans that have a Chinese name) — customer-typed text aside.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from handlers import router
from handlers.messages import IncomingMessage, Reply
from handlers.services import Services
from store.alerts import my_alerts
from store.models import Account, AccountFigures, Contact
from store.rules import run_rules
from store.users import upsert_user

# the product's own English values; case-sensitive whole words (a Chinese character next to one
# is a boundary too), so customer names such as "Greenfield Co" or "profilebot" do not count
ENGLISH_ENUMS = re.compile(
    r"(?<![A-Za-z0-9_])(?:red|amber|yellow|green|blocker|supporter|neutral|promoter|passive|detractor"
    r"|Champions|Potential Loyalist|Loyal Customers|Promising|New Customers|Can't Lose Them"
    r"|At Risk|Need Attention|About To Sleep|Hibernating"
    r"|churn_risk|churn_warning|high_value|key_account"
    r"|EB|TB|UB|high|medium|low"
    r"|enterprise|growth|starter|standard|premium|professional|business"
    r"|open|acknowledged|snoozed|resolved|opened)(?![A-Za-z0-9_])"
)


def reply_text(reply: Reply) -> str:
    """Everything a reader sees of a reply (cards and markdown render these same parts)."""
    parts = [reply.title or "", reply.text, reply.context or ""]
    parts += [f"{h}\n{b}" for h, b in reply.sections]
    parts += [f"{k}: {v}" for k, v in reply.fields.items()]
    parts += [f"{r.name} " + " ".join(f"{k} {v}" for k, v in r.fields.items()) for r in reply.rows]
    parts += [b.label for b in reply.buttons]
    if reply.chart is not None:
        parts += [reply.chart.title, reply.chart.alt]
    return "\n".join(parts)


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Reply]]:
    """Every reply the router gives while the test runs, with the question."""
    seen: list[tuple[str, Reply]] = []
    real = router.handle

    def recording(services: Services, msg: IncomingMessage) -> list[Reply]:
        replies = real(services, msg)
        seen.extend((msg.text, r) for r in replies)
        return replies

    monkeypatch.setattr(router, "handle", recording)
    return seen


def _customer_text(services: Services) -> set[str]:
    """Names, titles and comments customers or importers typed: not ours to translate."""
    with services.session_factory.begin() as s:
        out = set(s.scalars(select(Account.name)))
        out |= {t for t in s.scalars(select(Contact.title)) if t}
        out |= {n for n in s.scalars(select(Contact.name)) if n}
        if hasattr(Account, "pains"):
            out |= {p for p in s.scalars(select(Account.pains)) if p}
    return out


def _scrub(text: str, customer: set[str]) -> str:
    for t in sorted(customer, key=len, reverse=True):
        if len(t) > 2:
            text = text.replace(t, "·")
    return re.sub(r"“[^”]*”", "“…”", text)  # quoted comments (NPS, notes) are the customer's


def test_chinese_conversations_show_no_english_values(demo_services, recorded) -> None:
    services = demo_services
    with services.session_factory.begin() as s:
        upsert_user(s, handle="admin", role="admin")
        some = s.scalars(
            select(Account.name).join(AccountFigures).where(AccountFigures.health_band == "red")
        ).first()
        english_name = next(
            (n for n in s.scalars(select(Account.name).order_by(Account.id)) if n[:1].isascii()),
            some,
        )
    with services.session_factory.begin() as s:
        run_rules(s, services.as_of, dt.datetime.combine(services.as_of, dt.time(9)))

    def say(user: str, text: str) -> list[Reply]:
        return router.handle(
            services, IncomingMessage(user=user, text=text, platform="wecom", as_of=services.as_of)
        )

    conversations = {
        "admin": [
            "有流失风险的客户",
            "按健康等级统计客户",
            "各RFM分群有多少客户",
            "按NPS类别统计客户",
            "按版本统计客户",
            "按价格敏感度统计客户",
            "按客户等级统计客户",
            "按客户状态统计客户",
            "按标签统计客户",
            f"{some}的客户画像",
            f"{english_name}的客户画像",
            "健康度红色的客户，显示健康等级、RFM分群、NPS类别、版本、价格敏感度",
            "规则",
            "如果15天没登录则打标签 流失预警 并给负责人建待办",
            "取消",
        ],
        "li": ["提醒", "待办", "更多"],
        "mia": ["日报", "提醒"],
    }
    for user, lines in conversations.items():
        for line in lines:
            say(user, line)
    # typed commands on li's first two alerts
    with services.session_factory.begin() as s:
        ids = [a.id for a in my_alerts(s, "li", limit=2).alerts]
    for text in (f"确认 {ids[0]}", f"暂缓 {ids[1]} 3天 原因：休假", f"解决 {ids[0]}"):
        say("li", text)

    customer = _customer_text(services)
    zh = [(q, r) for q, r in recorded if r.language == "zh"]
    assert len(zh) >= 25, "the conversations should give many Chinese replies"
    kinds = {r.kind for _q, r in zh}
    assert {"answer", "profile", "alert", "digest"} <= kinds, kinds
    bad = []
    for q, r in zh:
        text = _scrub(reply_text(r), customer)
        for m in ENGLISH_ENUMS.finditer(text):
            line = text[max(0, m.start() - 30) : m.end() + 30].replace("\n", " ")
            bad.append(f"{q!r} → {m.group(0)!r} in …{line}…")
    assert not bad, "English values in Chinese replies:\n" + "\n".join(bad[:40])


def test_the_digest_chart_names_people_by_their_display_names(demo_services) -> None:
    from handlers.digest import build_digest
    from store.query import find_user

    with demo_services.session_factory.begin() as s:
        run_rules(s, demo_services.as_of, dt.datetime.combine(demo_services.as_of, dt.time(9)))
        manager = find_user(s, "mia")
        reply = build_digest(
            demo_services, s, manager, dt.datetime.combine(demo_services.as_of, dt.time(9)), "zh"
        )
        names = {u.handle: u.name for u in [manager]}
    assert reply.chart is not None and reply.chart.png.startswith(b"\x89PNG")
    assert names["mia"]  # the demo's people have display names
    alt = reply.chart.alt
    assert alt and not re.search(r"\b(zhang|li|wang)\b", alt), alt
    assert any(n in alt for n in ("张伟", "李娜", "王磊")), alt


def test_english_replies_show_the_products_codes_as_words(demo_services) -> None:
    """The other way round: an English breakdown by tier says "high value", not the stored code
    "high_value"; the answer's data keeps the stored value for scripts."""
    with demo_services.session_factory.begin() as s:
        for acc in s.scalars(select(Account).order_by(Account.id).limit(4)):
            acc.tier = "high_value"
    reply = router.handle(demo_services, IncomingMessage(user="local", text="breakdown by tier"))[0]
    shown = reply.plain()
    assert "high value:" in shown and "high_value" not in shown
    assert any(r["key"] == "high_value" for r in reply.data["rows"])
