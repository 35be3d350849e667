"""Slack over real HTTP: waitress serving the Bolt app on a free loopback port, requests signed
with the signing secret, the Web API answered and recorded by a stand-in Slack on loopback."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from handlers import router
from handlers.actions import ActionId
from handlers.help import is_help
from handlers.messages import AccountRow, Button, IncomingMessage, Reply
from handlers.services import Services
from store.models import Account, Alert, User
from store.query import run, scope_for
from store.spec import Sort, Spec
from store.users import upsert_user
from tests.slack_harness import SlackServer, fixture_json, start_server

ALICE, BOB, CAROL, MIA, STRANGER = "UALICE01", "UBOB0001", "UCAROL01", "UMIA0001", "USTRANGE1"
ALICE_ACCOUNTS = ("Alpha Tech", "Apex Foods")
OTHER_ACCOUNTS = ("Beta Bank", "Cedar Retail")


def _book(services: Services) -> None:
    with services.session_factory.begin() as s:
        upsert_user(s, handle="mia", role="manager", email="mia@example.com", slack_id=MIA)
        upsert_user(s, handle="alice", role="sales", manager="mia", slack_id=ALICE)
        upsert_user(s, handle="bob", role="sales", manager="mia", slack_id=BOB)
        upsert_user(s, handle="carol", role="sales", email="carol@example.com")
        for ext, name, owner, arr in (
            ("A-1", "Alpha Tech", "alice", 120000.0),
            ("A-2", "Apex Foods", "alice", 50000.0),
            ("B-1", "Beta Bank", "bob", 300000.0),
            ("C-1", "Cedar Retail", "carol", 80000.0),
        ):
            s.add(Account(external_id=ext, name=name, name_norm=name.lower(), owner=owner, arr=arr))


def scoped_answer(services: Services, msg: IncomingMessage) -> list[Reply]:
    """Stands in for the ask handler: the asker's visible accounts through the real scope.

    When an understander is configured it is consulted first (the slow-LLM case)."""
    if not msg.user or is_help(msg.text):
        return router.handle(services, msg)
    if services.understander is not None:
        services.understander.understand(msg.text, msg.language, {})
    with services.session_factory.begin() as s:
        result = run(s, Spec(sort=[Sort(field="arr")]), scope_for(s, msg.user), services.today())
    rows = [
        AccountRow(r.id, r.account_id, r.name, {"ARR": f"{r.values['arr']:,.0f}"})
        for r in result.rows
    ]
    return [
        Reply(
            text=f"{result.total} accounts",
            title="Your accounts",
            rows=rows,
            context="accounts you may see, sorted by ARR",
            buttons=[Button("Open profile", ActionId.OPEN_PROFILE, {"account_id": rows[0].id})],
            kind="answer",
            private=True,
            language=msg.language,
        )
    ]


@pytest.fixture
def slack(services: Services) -> Iterator[SlackServer]:
    _book(services)
    srv, stop = start_server(services, handle=scoped_answer)
    srv.standin.add_user(CAROL, email="carol@example.com", name="Carol")
    srv.standin.add_user(STRANGER, email="stranger@elsewhere.com", name="Stranger")
    yield srv
    stop()


def mention(user: str, text: str, event_id: str, channel: str = "C111") -> dict:
    body = fixture_json("event_app_mention.json")
    body["event"].update(user=user, text=f"<@UBOT0000> {text}", channel=channel)
    body["event_id"] = event_id
    return body


def all_recorded_text(srv: SlackServer) -> str:
    return "\n".join(c.all_text() for c in srv.standin.calls)


# --------------------------------------------------------------------------- verification


def test_url_verification_challenge_is_echoed(slack: SlackServer) -> None:
    body = fixture_json("event_url_verification.json")
    resp = slack.post_event(body)
    assert resp.status_code == 200
    assert resp.json() == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}


def test_forged_signature_is_refused_and_nothing_is_posted(slack: SlackServer) -> None:
    resp = slack.post_event(mention(ALICE, "my accounts", "EvForged"), secret="not-the-secret")
    assert resp.status_code == 401
    time.sleep(0.5)
    assert not slack.standin.calls_to("chat.postMessage", "chat.postEphemeral")


def test_replayed_request_with_old_timestamp_is_refused(slack: SlackServer) -> None:
    # a correct signature, but over a timestamp ten minutes old: a replay
    resp = slack.post_event(
        mention(ALICE, "my accounts", "EvReplay"), timestamp=int(time.time()) - 600
    )
    assert resp.status_code == 401
    time.sleep(0.5)
    assert not slack.standin.calls_to("chat.postMessage", "chat.postEphemeral")


def test_unsigned_request_is_refused(slack: SlackServer) -> None:
    body = json.dumps(mention(ALICE, "my accounts", "EvUnsigned"))
    resp = slack.post_raw(body, "", headers={"Content-Type": "application/json"})
    assert resp.status_code == 401


# --------------------------------------------------------------------------- answers


def test_channel_mention_answers_only_the_asker_with_blocks_in_the_thread(
    slack: SlackServer,
) -> None:
    body = mention(ALICE, "which accounts are mine?", "EvMention1")
    resp = slack.post_event(body)
    assert resp.status_code == 200
    (call,) = slack.standin.wait_for("chat.postEphemeral")
    assert call.args["channel"] == "C111"
    assert call.args["user"] == ALICE
    assert call.args["thread_ts"] == body["event"]["ts"]
    blocks = call.blocks()
    assert blocks[0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "Your accounts", "emoji": True},
    }
    text = call.blocks_text()
    for name in ALICE_ACCOUNTS:
        assert name in text
    for name in OTHER_ACCOUNTS:
        assert name not in all_recorded_text(slack)
    rows = [b for b in blocks if b["type"] == "section" and b.get("fields")]
    assert rows[0]["fields"][0]["text"] == "*ARR*\n120,000"  # sorted by ARR, with its field
    context = [b for b in blocks if b["type"] == "context"]
    assert "accounts you may see, sorted by ARR" in json.dumps(context)
    (actions,) = [b for b in blocks if b["type"] == "actions"]
    assert actions["elements"][0]["action_id"] == "open_profile"
    # nothing with customer data went to the channel itself
    assert not slack.standin.calls_to("chat.postMessage")


def test_help_in_a_channel_may_be_public(slack: SlackServer) -> None:
    slack.post_event(mention(ALICE, "help", "EvHelp"))
    (call,) = slack.standin.wait_for("chat.postMessage")
    assert call.args["channel"] == "C111"
    assert "show churn-risk accounts" in call.all_text()


def test_unknown_user_gets_an_explanation_and_no_data(slack: SlackServer) -> None:
    slack.post_event(mention(STRANGER, "show all accounts", "EvStranger"))
    (call,) = slack.standin.wait_for("chat.postEphemeral")
    assert call.args["user"] == STRANGER
    assert "not set up as a profilebot user" in call.all_text()
    recorded = all_recorded_text(slack)
    for name in ALICE_ACCOUNTS + OTHER_ACCOUNTS:
        assert name not in recorded
    assert slack.standin.calls_to("users.info")  # looked up by email before refusing


def test_user_found_by_email_is_remembered_by_slack_id(slack: SlackServer) -> None:
    slack.post_event(mention(CAROL, "my accounts", "EvCarol"))
    (call,) = slack.standin.wait_for("chat.postEphemeral")
    assert "Cedar Retail" in call.blocks_text()
    assert "Alpha Tech" not in call.blocks_text()
    with slack.services.session_factory() as s:
        carol = s.scalars(select(User).where(User.handle == "carol")).one()
        assert carol.slack_id == CAROL


def test_dm_is_answered_in_the_dm_thread(slack: SlackServer) -> None:
    body = fixture_json("event_message_im_top_level.json")
    body["event"].update(user=ALICE, text="my accounts")
    body["event_id"] = "EvDm1"
    slack.post_event(body)
    (call,) = slack.standin.wait_for("chat.postMessage")
    assert call.args["channel"] == "D111"
    assert call.args["thread_ts"] == body["event"]["ts"]
    assert "Alpha Tech" in call.blocks_text()


def test_a_retried_event_is_answered_once(slack: SlackServer) -> None:
    body = mention(ALICE, "my accounts", "EvRetry")
    slack.post_event(body)
    slack.standin.wait_for("chat.postEphemeral")
    slack.post_event(body)  # Slack's retry of the same event id
    time.sleep(1.0)
    assert len(slack.standin.calls_to("chat.postEphemeral")) == 1


class SlowUnderstander:
    """An LLM stand-in that takes 5 seconds."""

    def __init__(self) -> None:
        self.calls = 0

    def understand(self, text: str, language: str, context: dict) -> None:
        self.calls += 1
        time.sleep(5)
        return None

    def extract(self, text: str, fields: dict, language: str) -> None:
        return None


def test_ack_comes_within_3_seconds_while_a_slow_llm_works(slack: SlackServer) -> None:
    slow = SlowUnderstander()
    slack.services.understander = slow
    slack.app._profilebot_adapter.services.understander = slow
    started = time.monotonic()
    resp = slack.post_event(mention(ALICE, "my accounts", "EvSlow"))
    acked = time.monotonic() - started
    assert resp.status_code == 200
    assert acked < 3.0, f"ack took {acked:.1f}s"
    (call,) = slack.standin.wait_for("chat.postEphemeral", timeout=20)
    assert call.at - started >= 5.0  # the answer came after the slow work, not before the ack
    assert "Alpha Tech" in call.blocks_text()
    assert slow.calls == 1


def test_slash_command_answers_through_the_response_url(slack: SlackServer) -> None:
    fields = dict(
        __import__("urllib.parse").parse.parse_qsl(
            (
                __import__("pathlib").Path(__file__).parent
                / "fixtures/slack/slash_command_body.txt"
            ).read_text()
        )
    )
    fields.update(
        command="/profile",
        text="ask my accounts",
        user_id=ALICE,
        response_url=slack.standin.response_url("cmd1"),
    )
    resp = slack.post_form(fields)
    assert resp.status_code == 200
    (call,) = slack.standin.wait_for("respond:cmd1")
    assert call.args["response_type"] == "ephemeral"
    assert "Alpha Tech" in call.blocks_text()
    assert "Beta Bank" not in call.blocks_text()


# --------------------------------------------------------------------------- buttons


def _alert(services: Services, assignee: str) -> int:
    with services.session_factory.begin() as s:
        acc = s.scalars(select(Account).where(Account.name == "Alpha Tech")).one()
        alert = Alert(
            kind="alert",
            account_id=acc.id,
            title="Alpha Tech has not logged in for 16 days",
            body="No login since 2026-10-16.",
            assignee=assignee,
            status="open",
            history=[],
        )
        s.add(alert)
        s.flush()
        return alert.id


def click(user: str, action: str, value: dict, channel: str = "D111", ts: str = "111.222") -> dict:
    body = fixture_json("interaction_block_actions_button.json")
    body["user"]["id"] = user
    body["container"].update(channel_id=channel, message_ts=ts, is_ephemeral=False)
    body["channel"]["id"] = channel
    body["actions"][0].update(action_id=action, value=json.dumps(value))
    body["response_url"] = "http://127.0.0.1:9/unused"  # the stand-in's, set per test
    return body


def test_acknowledge_button_updates_the_message_in_place(slack: SlackServer) -> None:
    alert_id = _alert(slack.services, "alice")
    body = click(ALICE, "alert_ack", {"alert_id": alert_id})
    body["response_url"] = slack.standin.response_url("click1")
    resp = slack.post_interaction(body)
    assert resp.status_code == 200
    (call,) = slack.standin.wait_for("chat.update")
    assert call.args["channel"] == "D111" and call.args["ts"] == "111.222"
    assert "acknowledged" in call.all_text()
    assert "alice" in call.all_text()  # who clicked
    with slack.services.session_factory() as s:
        alert = s.get(Alert, alert_id)
        assert alert.status == "acknowledged"
        assert alert.acknowledged_by == "alice"


def test_a_user_who_may_not_act_is_refused_and_the_message_is_left_alone(
    slack: SlackServer,
) -> None:
    alert_id = _alert(slack.services, "alice")
    body = click(BOB, "alert_resolve", {"alert_id": alert_id}, channel="C111")
    body["response_url"] = slack.standin.response_url("click2")
    slack.post_interaction(body)
    (call,) = slack.standin.wait_for("respond:click2")
    assert call.args["response_type"] == "ephemeral"
    assert "may not" in call.all_text()
    assert not slack.standin.calls_to("chat.update")
    with slack.services.session_factory() as s:
        assert s.get(Alert, alert_id).status == "open"


def test_snooze_opens_a_modal_and_its_reason_is_recorded(slack: SlackServer) -> None:
    alert_id = _alert(slack.services, "alice")
    slack.post_interaction(click(ALICE, "alert_snooze", {"alert_id": alert_id}))
    (opened,) = slack.standin.wait_for("views.open")
    view = (
        json.loads(opened.args["view"])
        if isinstance(opened.args["view"], str)
        else opened.args["view"]
    )
    assert view["callback_id"] == "alert_snooze_modal"
    submission = fixture_json("interaction_view_submission.json")
    submission["user"]["id"] = ALICE
    submission["view"].update(
        callback_id="alert_snooze_modal",
        private_metadata=view["private_metadata"],
        state={
            "values": {
                "snooze_days": {
                    "snooze_days": {"type": "static_select", "selected_option": {"value": "3"}}
                },
                "snooze_reason": {
                    "snooze_reason": {"type": "plain_text_input", "value": "customer on holiday"}
                },
            }
        },
    )
    resp = slack.post_interaction(submission)
    assert resp.status_code == 200
    (call,) = slack.standin.wait_for("chat.update")
    assert call.args["ts"] == "111.222"
    with slack.services.session_factory() as s:
        alert = s.get(Alert, alert_id)
        assert alert.status == "snoozed"
        assert alert.snooze_reason == "customer on holiday"
        assert alert.snoozed_until - slack.services.now() == dt.timedelta(days=3)


def test_snooze_without_a_reason_is_sent_back_to_the_form(slack: SlackServer) -> None:
    submission = fixture_json("interaction_view_submission.json")
    submission["user"]["id"] = ALICE
    submission["view"].update(
        callback_id="alert_snooze_modal",
        private_metadata=json.dumps({"alert_id": 1}),
        state={"values": {"snooze_reason": {"snooze_reason": {"value": "  "}}}},
    )
    resp = slack.post_interaction(submission)
    assert resp.status_code == 200
    assert resp.json()["response_action"] == "errors"
    assert "snooze_reason" in resp.json()["errors"]


# --------------------------------------------------------------------------- App Home and retries


def test_app_home_shows_my_open_alerts_and_the_team_for_a_manager(slack: SlackServer) -> None:
    _alert(slack.services, "mia")
    body = fixture_json("event_app_mention.json")
    body["event"] = {"type": "app_home_opened", "user": MIA, "channel": "D999", "tab": "home"}
    body["event_id"] = "EvHome1"
    slack.post_event(body)
    (call,) = slack.standin.wait_for("views.publish")
    assert call.args["user_id"] == MIA
    view = call.args["view"]
    view = json.loads(view) if isinstance(view, str) else view
    text = json.dumps(view, ensure_ascii=False)
    assert view["type"] == "home"
    assert "Alpha Tech has not logged in for 16 days" in text
    assert "My team" in text
    assert "alice" in text and "bob" in text
    assert "Cedar Retail" not in text  # carol is not on mia's team


def test_app_home_for_an_unknown_user_holds_no_data(slack: SlackServer) -> None:
    body = fixture_json("event_app_mention.json")
    body["event"] = {"type": "app_home_opened", "user": STRANGER, "channel": "D998", "tab": "home"}
    body["event_id"] = "EvHome2"
    slack.post_event(body)
    (call,) = slack.standin.wait_for("views.publish")
    text = json.dumps(call.args["view"], ensure_ascii=False)
    assert "not set up as a profilebot user" in text
    for name in ALICE_ACCOUNTS + OTHER_ACCOUNTS:
        assert name not in text


def test_rate_limited_post_is_retried_after_retry_after(slack: SlackServer) -> None:
    slack.standin.rate_limit("chat.postEphemeral", times=1, retry_after=1)
    slack.post_event(mention(ALICE, "my accounts", "EvLimited"))
    (ok,) = slack.standin.wait_for("chat.postEphemeral", timeout=20)
    limited = [
        c for c in slack.standin.calls if c.method == "chat.postEphemeral" and c.status == 429
    ]
    assert len(limited) == 1
    assert ok.at - limited[0].at >= 0.9  # waited for Retry-After before trying again
    assert "Alpha Tech" in ok.blocks_text()


# --------------------------------------------------------------------------- the real router


@pytest.fixture
def demo_slack(demo_services: Services) -> Iterator[SlackServer]:
    srv, stop = start_server(demo_services)  # the shared router, no stand-in handler
    yield srv
    stop()


def _sales_user(services: Services) -> tuple[User, set[str], set[str]]:
    """A demo salesperson with accounts, the names they may see and those they may not."""
    with services.session_factory() as s:
        for user in s.scalars(select(User).where(User.role == "sales").order_by(User.handle)):
            scope = scope_for(s, user.handle)
            mine = set(s.scalars(select(Account.name).where(scope.clause())))
            if mine:
                others = set(s.scalars(select(Account.name))) - mine
                return user, mine, others
    raise AssertionError("the demo book has no salesperson with accounts")


def test_real_question_in_a_channel_shows_only_the_askers_accounts(
    demo_slack: SlackServer,
) -> None:
    user, mine, others = _sales_user(demo_slack.services)
    demo_slack.post_event(mention(user.slack_id, "top 10 accounts by ARR", "EvReal1"))
    (call,) = demo_slack.standin.wait_for("chat.postEphemeral", timeout=30)
    assert call.args["user"] == user.slack_id
    text = call.blocks_text()
    assert any(name in text for name in mine)
    leaked = [name for name in others if name in all_recorded_text(demo_slack)]
    assert leaked == []
    assert not demo_slack.standin.calls_to("chat.postMessage")


def test_a_spreadsheet_shared_in_a_dm_is_imported_with_the_report_as_reply(
    demo_slack: SlackServer,
) -> None:
    user, _, _ = _sales_user(demo_slack.services)
    with demo_slack.services.session_factory.begin() as s:
        s.get(User, user.id).role = "admin"  # imports are for admins
    csv = "account_id,name,industry,arr\nSL-1,Slack Upload Ltd,fintech,12000\n"
    demo_slack.standin.files["T111/accounts.csv"] = csv.encode()
    body = fixture_json("event_message_im_top_level.json")
    body["event"].update(
        user=user.slack_id,
        text="",
        subtype="file_share",
        files=[
            {
                "id": "F1",
                "name": "accounts.csv",
                "size": len(csv),
                "url_private_download": f"{demo_slack.standin.base}/files/T111/accounts.csv",
            }
        ],
    )
    body["event_id"] = "EvFile1"
    demo_slack.post_event(body)
    (download,) = demo_slack.standin.wait_for("download:T111/accounts.csv")
    assert download.headers["authorization"] == "Bearer xoxb-test-token"
    (call,) = demo_slack.standin.wait_for("chat.postMessage", timeout=30)
    assert call.args["channel"] == "D111"
    assert "accounts.csv (accounts): imported" in call.blocks_text()
    assert "1 inserted" in call.blocks_text()
    with demo_slack.services.session_factory() as s:
        assert s.scalar(select(Account.name).where(Account.external_id == "SL-1")) == (
            "Slack Upload Ltd"
        )


@pytest.fixture
def slack_router(services: Services) -> Iterator[SlackServer]:
    """The Bolt app over HTTP with the real router behind it (not the scoped stand-in)."""
    _book(services)
    srv, stop = start_server(services)
    yield srv
    stop()


def test_a_typed_alert_command_in_a_dm_acts_like_the_button(slack_router: SlackServer) -> None:
    """Slack keeps parity with WeCom and the terminal: `ack 92` / `暂缓 92 3天` typed in a DM."""
    slack = slack_router
    first, second = _alert(slack.services, "alice"), _alert(slack.services, "alice")
    body = fixture_json("event_message_im_top_level.json")
    body["event"].update(user=ALICE, text=f"ack {first}")
    body["event_id"] = "EvTypedAck"
    slack.post_event(body)
    (call,) = slack.standin.wait_for("chat.postMessage")
    assert f"Acknowledged #{first}" in call.all_text()
    body = fixture_json("event_message_im_top_level.json")
    body["event"].update(
        user=ALICE, text=f"暂缓 {second} 3天 原因：客户休假", ts="1700000001.000200"
    )
    body["event_id"] = "EvTypedSnooze"
    slack.post_event(body)
    calls = slack.standin.wait_for("chat.postMessage", count=2)
    assert f"已暂缓 #{second}" in calls[1].all_text() and "客户休假" in calls[1].all_text()
    with slack.services.session_factory() as s:
        assert s.get(Alert, first).status == "acknowledged"
        assert s.get(Alert, second).snooze_reason == "客户休假"


def test_sign_in_goes_through_the_identity_resolver_by_display_name(slack: SlackServer) -> None:
    """Dave was added by name only (no email, no Slack id); Slack knows him as 'ＤＡＶＥ ＷＵ'
    (full width, upper case): the one resolver signs him in and remembers his Slack id."""
    dave = "UDAVE001"
    with slack.services.session_factory.begin() as s:
        upsert_user(s, handle="dave", role="sales", name="Dave Wu")
        s.add(
            Account(
                external_id="D-1",
                name="Delta Dairy",
                name_norm="delta dairy",
                owner="dave",
                arr=1.0,
            )
        )
    slack.standin.add_user(dave, email=None, name="ＤＡＶＥ ＷＵ")
    slack.post_event(mention(dave, "my accounts", "EvDave"))
    (call,) = slack.standin.wait_for("chat.postEphemeral")
    assert "Delta Dairy" in call.blocks_text()
    assert "not set up as a profilebot user" not in call.all_text()
    with slack.services.session_factory() as s:
        assert s.scalars(select(User).where(User.handle == "dave")).one().slack_id == dave
