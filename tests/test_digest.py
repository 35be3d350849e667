"""The manager's digest renders in Chinese and English with a chart, and is sent once a day."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from handlers.digest import build_digest, try_handle, user_language
from handlers.messages import IncomingMessage
from handlers.services import Services
from scheduler import jobs
from store.models import Account, OutboxMessage, User

NOW = dt.datetime(2026, 11, 1, 9)
PNG = b"\x89PNG\r\n\x1a\n"


def _managers(s) -> tuple[User, User]:
    ms = s.scalars(select(User).where(User.role == "manager").order_by(User.handle)).all()
    zh = next(m for m in ms if user_language(m, "Asia/Shanghai") == "zh")
    en = next(m for m in ms if user_language(m, "Asia/Shanghai") == "en")
    return zh, en


def test_digest_in_chinese_and_english_with_chart(demo_services: Services) -> None:
    with demo_services.session_factory.begin() as s:
        zh_mgr, en_mgr = _managers(s)
        zh = build_digest(demo_services, s, zh_mgr, NOW)
        en = build_digest(demo_services, s, en_mgr, NOW)
    assert zh.language == "zh" and en.language == "en"
    assert [h for h, _b in zh.sections] == [
        "流失风险",
        "续约",
        "未确认的提醒",
        "完成的访谈",
        "客户等级变化",
    ]
    assert [h for h, _b in en.sections][:2] == ["Risks", "Renewals"]
    for reply in (zh, en):
        assert reply.chart is not None and reply.chart.png.startswith(PNG)
        assert reply.data["risks"] > 0


def test_digest_counts_only_the_managers_team(demo_services: Services) -> None:
    with demo_services.session_factory.begin() as s:
        zh_mgr, en_mgr = _managers(s)
        a = build_digest(demo_services, s, zh_mgr, NOW).data
        b = build_digest(demo_services, s, en_mgr, NOW).data
        in_30 = s.scalars(
            select(Account.id).where(
                Account.contract_end >= NOW.date(),
                Account.contract_end <= NOW.date() + dt.timedelta(days=30),
            )
        ).all()
    assert a["renewals_30d"] + b["renewals_30d"] <= len(in_30)


def test_digest_chat_and_job_send_once(demo_services: Services) -> None:
    with demo_services.session_factory.begin() as s:
        zh_mgr, _ = _managers(s)
        handle = zh_mgr.handle
    reply = try_handle(demo_services, IncomingMessage(user=handle, text="日报", as_of=NOW.date()))
    assert reply[0].kind == "digest" and reply[0].language == "zh"
    assert jobs.digests(demo_services, NOW)["messages"] >= 2
    assert jobs.digests(demo_services, NOW)["messages"] == 0
    sent = jobs.send_outbox(demo_services, NOW)
    # no chat platform configured: delivered to the log, and said so (not "sent")
    assert sent["logged"] >= 2 and sent["sent"] == 0 and sent["failed"] == 0
    with demo_services.session_factory.begin() as s:
        statuses = set(
            s.scalars(select(OutboxMessage.status).where(OutboxMessage.key.like("digest:%")))
        )
    assert statuses == {"logged"}
