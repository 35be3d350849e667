"""Delivery you can trust: the commands that send go through the configured chat platform (here
the stand-in Slack Web API on loopback), the log only when none is configured — and say so —,
`--dry-run` leaves nothing behind, and a message whose recipient is missing or unreachable goes
to a manager, then an admin, recorded in the outbox and the audit log. Real outbox, both
databases, the real `profilebot` command."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
from pydantic import SecretStr
from sqlalchemy import func, select

from handlers.services import Services
from store import rules
from store.importer import run_import_rows
from store.models import Alert, AuditEntry, OutboxMessage
from store.users import upsert_user
from tests.slack_standin import SlackStandIn

AS_OF = "2026-11-01"
END = (dt.date(2026, 11, 1) + dt.timedelta(days=20)).isoformat()


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    s = SlackStandIn().start()
    yield s
    s.stop()


def _book(services: Services) -> None:
    """bob is on Slack; amy is not (her manager boss is); Orphan Co has no owner at all."""
    with services.session_factory.begin() as s:
        upsert_user(s, handle="root", role="admin", name="Ada Admin", slack_id="U0ROOT")
        upsert_user(s, handle="boss", role="manager", name="Mia Boss", slack_id="U0BOSS")
        upsert_user(s, handle="bob", role="sales", name="Bob Li", slack_id="U0BOB", manager="boss")
        upsert_user(s, handle="amy", role="sales", name="Amy Wu", manager="boss")
    rows = [
        {"account_id": "A1", "name": "Alpha Ltd", "owner": "Bob Li", "contract_end": END},
        {"account_id": "A2", "name": "Beta Ltd", "owner": "amy", "contract_end": END},
        {"account_id": "A3", "name": "Orphan Co", "owner": "", "contract_end": END},
    ]
    assert run_import_rows(services.session_factory, "accounts", rows).inserted == 3
    rule = {
        "name": "renewing soon",
        "if": {"all": [{"field": "contract_end", "op": "le", "value": {"days": 30}}]},
        "then": [{"dm": "owner"}],
    }
    with services.session_factory.begin() as s:
        rules.save_rule(s, rules.RuleDef.model_validate(rule), actor="root")


def _env(db_url: str, tmp_path, slack: SlackStandIn | None = None) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "WECOM_", "OPENAI_", "PROFILEBOT_"))
    }
    env["PROFILEBOT_DATABASE_URL"] = db_url
    env["PROFILEBOT_OUTBOX_LOG"] = str(tmp_path / "outbox.jsonl")
    if slack is not None:
        env["SLACK_BOT_TOKEN"] = "xoxb-test-token"
        env["SLACK_API_URL"] = slack.api_url
    return env


def _cli(env: dict[str, str], *args: str) -> str:
    p = subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert p.returncode == 0, p.stderr[-3000:] + p.stdout[-2000:]
    return p.stdout


def _outbox(services: Services) -> dict[str, tuple[str | None, str, dict]]:
    with services.session_factory.begin() as s:
        return {
            m.payload.get("account", m.key): (m.recipient, m.status, m.result or {})
            for m in s.scalars(select(OutboxMessage))
        }


def _dm_channels(slack: SlackStandIn) -> list[str]:
    return sorted(c.args.get("channel") for c in slack.calls_to("chat.postMessage"))


def test_rules_run_send_goes_through_slack_with_fallbacks(
    services: Services, db_url: str, tmp_path, slack: SlackStandIn
) -> None:
    """The defect: `rules run --send` wrote to the log and marked rows sent; nobody got a DM."""
    _book(services)
    out = json.loads(
        _cli(_env(db_url, tmp_path, slack), "rules", "run", "--as-of", AS_OF, "--send", "--json")
    )
    # bob directly; amy is on no platform -> her manager; nobody owns Orphan Co -> the admin
    assert _dm_channels(slack) == ["DU0BOB", "DU0BOSS", "DU0ROOT"]
    texts = {c.args["channel"]: c.args.get("text", "") for c in slack.calls_to("chat.postMessage")}
    assert "Alpha Ltd" in texts["DU0BOB"]
    # (the default timezone is Asia/Shanghai: users without a language read Chinese)
    assert texts["DU0BOSS"].startswith("（转给你：amy 收不到这条消息。）")
    assert texts["DU0ROOT"].startswith("（转给你：Orphan Co 没有负责人。）")
    rows = _outbox(services)
    assert {st for _to, st, _r in rows.values()} == {"sent"}
    assert {r["platform"] for _to, _st, r in rows.values()} == {"slack"}
    assert (
        rows["Beta Ltd"][2]["to"] == "boss"
        and rows["Beta Ltd"][2]["fallback"]["meant_for"] == "amy"
    )
    assert rows["Orphan Co"][0] == "root"
    summary = out["summary"]
    assert summary["sent"] == {"slack": 3} and summary["to_log"] == 0
    assert summary["fallback"] == 2 and not summary["log_only"]
    with services.session_factory.begin() as s:
        audited = s.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "outbox.fallback")
        )
    assert audited == 1  # amy's, redirected at send time (Orphan Co's was addressed to root)
    assert not (tmp_path / "outbox.jsonl").exists()  # nothing went to the log


def test_without_a_platform_messages_are_logged_and_the_command_says_so(
    services: Services, db_url: str, tmp_path
) -> None:
    _book(services)
    out = _cli(_env(db_url, tmp_path), "rules", "run", "--as-of", AS_OF, "--send")
    assert "no chat platform is configured" in out
    assert "written to the log" in out and "outbox.jsonl" in out
    rows = _outbox(services)
    assert {st for _to, st, _r in rows.values()} == {"logged"}  # never "sent" to a log
    logged = [json.loads(x) for x in (tmp_path / "outbox.jsonl").read_text().splitlines()]
    assert sorted(x["to"] for x in logged) == ["amy", "bob", "root"]


def test_dry_run_saves_nothing_and_sends_nothing(
    services: Services, db_url: str, tmp_path, slack: SlackStandIn
) -> None:
    _book(services)
    env = _env(db_url, tmp_path, slack)
    out = _cli(env, "rules", "run", "--as-of", AS_OF, "--send", "--dry-run")
    assert "dry run" in out and "would be sent: 3 to slack" in out
    report = json.loads(_cli(env, "scheduler", "--once", "--as-of", AS_OF, "--dry-run", "--json"))
    assert report["summary"]["dry_run"] is True
    assert report["summary"]["sent"].get("slack", 0) >= 3
    digest = json.loads(
        _cli(env, "digest", "--user", "boss", "--as-of", AS_OF, "--dry-run", "--json")
    )
    assert digest["queued"] is False and digest["dry_run"] is True
    assert slack.calls_to("chat.postMessage") == []
    with services.session_factory.begin() as s:
        assert s.scalar(select(func.count()).select_from(OutboxMessage)) == 0
        assert s.scalar(select(func.count()).select_from(Alert)) == 0


def test_digest_for_a_user_goes_to_their_slack(
    services: Services, db_url: str, tmp_path, slack: SlackStandIn
) -> None:
    """The defect: `digest --user U` delivered through the log even with Slack configured."""
    _book(services)
    out = json.loads(
        _cli(
            _env(db_url, tmp_path, slack),
            "digest",
            "--user",
            "Mia Boss",
            "--as-of",
            AS_OF,
            "--json",
        )
    )
    assert out["status"] == "sent" and out["summary"]["sent"] == {"slack": 1}
    assert _dm_channels(slack) == ["DU0BOSS"]


def test_scheduler_once_prints_a_readable_summary(
    services: Services, db_url: str, tmp_path
) -> None:
    _book(services)
    env = _env(db_url, tmp_path)
    text = _cli(env, "scheduler", "--once", "--as-of", AS_OF)
    assert "jobs run: rules, renewals, inactivity, escalations, digests, outbox" in text
    assert "no chat platform is configured" in text and "written to the log" in text
    assert not text.lstrip().startswith("{")
    again = json.loads(_cli(env, "scheduler", "--once", "--as-of", AS_OF, "--json"))
    summary = again["summary"]
    assert summary["log_only"] is True and summary["queued"] == {} and summary["to_log"] == 0
    with services.session_factory.begin() as s:
        statuses = set(s.scalars(select(OutboxMessage.status)))
    assert statuses == {"logged"}


def test_a_channel_post_goes_to_the_channel_not_to_a_fallback(
    services: Services, slack: SlackStandIn
) -> None:
    """An interview summary posted to the channel it ran in reaches that channel on Slack."""
    from bot.slack_messenger import SlackMessenger, make_web_client
    from scheduler import jobs
    from store import outbox

    _book(services)
    settings = services.settings.model_copy(
        update={"slack_bot_token": SecretStr("xoxb-test"), "slack_api_url": slack.api_url}
    )
    services.settings = settings
    services.messengers = {
        "slack": SlackMessenger(make_web_client(settings), services.session_factory)
    }
    now = dt.datetime(2026, 11, 1, 9)
    with services.session_factory.begin() as s:
        payload = {"kind": "interview_summary", "how": "post", "text": "Summary: Alpha Ltd"}
        outbox.enqueue(s, "interview:1:post:C0SALES", "slack", "C0SALES", payload, now)
    stats = jobs.send_outbox(services, now)
    assert stats["by_platform"] == {"slack": 1} and stats["fallback"] == 0
    posts = slack.calls_to("chat.postMessage")
    assert [c.args["channel"] for c in posts] == ["C0SALES"]
    assert "Summary: Alpha Ltd" in posts[0].args.get("text", "")


def test_an_alert_for_an_account_without_a_csm_goes_to_a_manager_and_is_told(
    services: Services,
) -> None:
    """The defect: an alert for an account with no CSM got no assignee and nobody was told."""
    _book(services)
    rule = {
        "name": "csm check",
        "if": {"all": [{"field": "contract_end", "op": "le", "value": {"days": 30}}]},
        "then": [{"alert": "csm"}],
    }
    now = dt.datetime(2026, 11, 1, 9)
    with services.session_factory.begin() as s:
        rules.save_rule(s, rules.RuleDef.model_validate(rule), actor="root")
        rules.run_rules(s, dt.date(2026, 11, 1), now, rule_ref="csm check")
    with services.session_factory.begin() as s:
        alerts = {
            a.title.split(" — ")[1]: a
            for a in s.scalars(select(Alert).where(Alert.kind == "alert"))
        }
        assert {k: a.assignee for k, a in alerts.items()} == {
            "Alpha Ltd": "boss",  # Bob Li's manager
            "Beta Ltd": "boss",  # amy's manager
            "Orphan Co": "root",  # nobody named: an admin
        }
        assert all(a.history[-1]["action"] == "assigned" for a in alerts.values())
        audited = s.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "alert.fallback")
        )
        told = set(
            s.scalars(select(OutboxMessage.recipient).where(OutboxMessage.key.like("alert:%")))
        )
    assert audited == 3
    assert told == {"boss", "root"}
    # a second run changes nothing and records nothing twice
    with services.session_factory.begin() as s:
        rules.run_rules(s, dt.date(2026, 11, 1), now, rule_ref="csm check")
        assert (
            s.scalar(
                select(func.count())
                .select_from(AuditEntry)
                .where(AuditEntry.action == "alert.fallback")
            )
            == 3
        )
