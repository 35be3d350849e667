"""Pure units of the Slack adapter: Block Kit builders, text clean-up, /profile parsing, privacy,
and the request-signing algorithm against Slack's published vector."""

from __future__ import annotations

import json
from unittest import mock

import yaml

from bot.slack_app import clean_text, is_private, parse_value, profile_command_text
from bot.slack_blocks import (
    AlertLine,
    HomeSummary,
    TeamLine,
    form_modal,
    home_view,
    reply_blocks,
    snooze_modal,
    view_values,
)
from handlers.actions import ActionId
from handlers.messages import AccountRow, Button, Chart, Reply
from tests.conftest import ROOT
from tests.slack_harness import FIXTURES, signature


def _answer(n_rows: int = 3, lang: str = "en") -> Reply:
    return Reply(
        text=f"{n_rows} accounts renew in the next 30 days",
        title="Renewals",
        rows=[
            AccountRow(i, f"A-{i}", f"Account <{i}> & co", {"ARR": f"{i * 1000:,}", "days": str(i)})
            for i in range(1, n_rows + 1)
        ],
        context="accounts where days to renewal between 0 and 30, sorted by ARR",
        buttons=[
            Button("Open profile", ActionId.OPEN_PROFILE, {"account_id": 1}),
            Button("Open profile", ActionId.OPEN_PROFILE, {"account_id": 2}),
            Button("Resolve", ActionId.ALERT_RESOLVE, {"alert_id": 9}, style="primary"),
        ],
        kind="answer",
        language=lang,
    )


def test_reply_blocks_have_header_rows_context_and_buttons() -> None:
    blocks = reply_blocks(_answer())
    assert [b["type"] for b in blocks] == [
        "header",
        "section",
        "divider",
        "section",
        "section",
        "section",
        "context",
        "actions",
    ]
    assert blocks[0]["text"]["text"] == "Renewals"
    first = blocks[3]
    assert first["text"]["text"] == "*1. Account &lt;1&gt; &amp; co*  `A-1`"  # mrkdwn escaped
    assert first["fields"] == [
        {"type": "mrkdwn", "text": "*ARR*\n1,000"},
        {"type": "mrkdwn", "text": "*days*\n1"},
    ]
    assert "Understood as: accounts where days to renewal" in blocks[6]["elements"][0]["text"]
    ids = [e["action_id"] for e in blocks[7]["elements"]]
    assert ids == ["open_profile", "open_profile:1", "alert_resolve"]  # unique within the block
    assert json.loads(blocks[7]["elements"][1]["value"]) == {"account_id": 2}
    assert blocks[7]["elements"][2]["style"] == "primary"


def test_context_line_is_in_chinese_for_a_chinese_reply() -> None:
    blocks = reply_blocks(_answer(lang="zh"))
    ctx = [b for b in blocks if b["type"] == "context"][0]
    assert "理解为" in ctx["elements"][0]["text"]


def test_many_rows_stay_within_slacks_block_limit_and_say_how_many_are_hidden() -> None:
    blocks = reply_blocks(_answer(n_rows=80))
    assert len(blocks) <= 50
    more = [b for b in blocks if b["type"] == "context" and "more not shown" in str(b)]
    shown = sum(1 for b in blocks if b["type"] == "section" and "fields" in b)
    assert more and f"…and {80 - shown} more not shown" in more[0]["elements"][0]["text"]


def test_long_text_is_split_into_sections_slack_accepts() -> None:
    text = "\n".join(f"line {i} " + "x" * 80 for i in range(200))
    blocks = reply_blocks(Reply(text=text))
    assert all(len(b["text"]["text"]) <= 3000 for b in blocks)
    assert "".join(b["text"]["text"] for b in blocks).count("line ") == 200


def test_home_view_for_an_unknown_user_has_no_sections_of_data() -> None:
    view = home_view(HomeSummary(user=None, known=False))
    text = json.dumps(view)
    assert view["type"] == "home"
    assert "not set up as a profilebot user" in text
    assert "Accounts at risk" not in text


def test_home_view_shows_team_only_for_managers() -> None:
    risky = [AccountRow(1, "A-1", "Alpha", {"ARR": "120,000"})]
    alerts = [AlertLine(5, "Alpha went quiet", "open", "Alpha")]
    sales = home_view(HomeSummary(user="alice", at_risk=risky, alerts=alerts))
    assert "Alpha went quiet" in json.dumps(sales)
    assert "My team" not in json.dumps(sales)
    ack = [b for b in sales["blocks"] if b.get("accessory")][0]["accessory"]
    assert ack["action_id"] == "alert_ack" and json.loads(ack["value"]) == {"alert_id": 5}
    manager = home_view(
        HomeSummary(user="mia", team=[TeamLine("alice", 2, 1, 170000.0)], language="zh")
    )
    text = json.dumps(manager, ensure_ascii=False)
    assert "团队概览" in text and "alice" in text and "170,000" in text


def test_snooze_modal_round_trips_its_values() -> None:
    view = snooze_modal(7, "en", {"channel": "D1", "ts": "1.2"})
    assert json.loads(view["private_metadata"])["alert_id"] == 7
    state = {
        "values": {
            "snooze_days": {"snooze_days": {"selected_option": {"value": "3"}}},
            "snooze_reason": {"snooze_reason": {"value": "on holiday"}},
        }
    }
    assert view_values({"state": state}) == {"snooze_days": "3", "snooze_reason": "on holiday"}


def test_form_modal_builds_inputs_from_questions() -> None:
    view = form_modal(
        {
            "title": "Interview",
            "questions": [
                {"key": "pains", "label": "Main pains?", "type": "long"},
                {"key": "price_sensitivity", "label": "Price", "choices": ["low", "high"]},
            ],
            "metadata": {"session": 3},
        },
        "en",
    )
    assert view["callback_id"] == "interview_form"
    assert [b["element"]["type"] for b in view["blocks"]] == ["plain_text_input", "static_select"]
    assert json.loads(view["private_metadata"]) == {"session": 3}


def test_clean_text_drops_mentions_and_unwraps_links() -> None:
    assert clean_text("<@UBOT0000> tell me about <http://acme.com|acme.com>") == (
        "tell me about acme.com"
    )
    assert clean_text("<@U1|bot> mail <mailto:a@b.com|a@b.com> &lt;3") == "mail a@b.com <3"


def test_profile_subcommands_become_router_text() -> None:
    assert profile_command_text("") == ("help", False)
    assert profile_command_text("ask top 10 accounts by ARR") == ("top 10 accounts by ARR", False)
    assert profile_command_text("interview Acme form") == ("interview Acme", True)
    assert profile_command_text("访谈 某某科技") == ("访谈 某某科技", False)
    assert profile_command_text("alerts") == ("alerts", False)
    assert profile_command_text("rules if no login for 15 days then tag x") == (
        "if no login for 15 days then tag x",
        False,
    )
    assert profile_command_text("rules list") == ("rules list", False)
    assert profile_command_text("which accounts churn?") == ("which accounts churn?", False)


def test_only_plain_help_is_public() -> None:
    assert not is_private(Reply(text="help", kind="help"))
    assert is_private(Reply(text="3 accounts", kind="answer"))
    assert is_private(Reply(text="x", kind="help", rows=[AccountRow(1, None, "A")]))
    assert is_private(Reply(text="x", kind="help", chart=Chart("c", b"png")))
    assert is_private(Reply(text="x", kind="text"))


def test_button_values_parse_safely() -> None:
    assert parse_value('{"alert_id": 3}') == {"alert_id": 3}
    assert parse_value("click_me_123") == {"value": "click_me_123"}
    assert parse_value(None) == {}


def test_signing_matches_slacks_published_vector() -> None:
    vector = json.loads((FIXTURES / "signing_vector.json").read_text())
    got = signature(
        vector["signing_secret"], vector["x_slack_request_timestamp"], vector["raw_body"]
    )
    assert got == vector["x_slack_signature"]
    assert signature(vector["signing_secret"], vector["x_slack_request_timestamp"], "x") != got


def test_slack_sdk_verifier_accepts_the_vector_and_refuses_it_later() -> None:
    from slack_sdk.signature import SignatureVerifier

    vector = json.loads((FIXTURES / "signing_vector.json").read_text())
    ts = int(vector["x_slack_request_timestamp"])
    headers = {
        "x-slack-request-timestamp": vector["x_slack_request_timestamp"],
        "x-slack-signature": vector["x_slack_signature"],
    }
    at_the_time = SignatureVerifier(vector["signing_secret"], clock=mock.Mock(now=lambda: ts + 10))
    assert at_the_time.is_valid_request(vector["raw_body"], headers)
    assert not at_the_time.is_valid_request(vector["raw_body"] + "------", headers)
    later = SignatureVerifier(vector["signing_secret"], clock=mock.Mock(now=lambda: ts + 301))
    assert not later.is_valid_request(vector["raw_body"], headers)


def test_manifest_declares_what_the_adapter_listens_to() -> None:
    manifest = yaml.safe_load((ROOT / "slack" / "manifest.yml").read_text())
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {"app_mentions:read", "chat:write", "commands", "im:history", "users:read.email"} <= (
        scopes
    )
    assert set(manifest["settings"]["event_subscriptions"]["bot_events"]) == {
        "app_mention",
        "message.im",
        "app_home_opened",
    }
    assert manifest["features"]["slash_commands"][0]["command"] == "/profile"
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert manifest["settings"]["socket_mode_enabled"] is True
