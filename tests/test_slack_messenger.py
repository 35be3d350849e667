"""The Slack Messenger the scheduler's outbox uses, against the stand-in Slack on loopback."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from bot.slack_messenger import SlackMessenger, SlackUserUnknown, api_base_url, make_web_client
from handlers.actions import ActionId
from handlers.messages import Button, Chart, Reply
from handlers.services import Services
from store.users import upsert_user
from tests.slack_standin import SlackStandIn


@pytest.fixture
def standin() -> Iterator[SlackStandIn]:
    s = SlackStandIn().start()
    yield s
    s.stop()


@pytest.fixture
def messenger(services: Services, standin: SlackStandIn) -> SlackMessenger:
    with services.session_factory.begin() as s:
        upsert_user(s, handle="alice", role="sales", slack_id="UALICE01")
        upsert_user(s, handle="nobody", role="sales")
    settings = services.settings.model_copy(
        update={"slack_bot_token": SecretStr("xoxb-t"), "slack_api_url": standin.api_url[:-1]}
    )
    return SlackMessenger(make_web_client(settings), services.session_factory)


def _alert_reply() -> Reply:
    return Reply(
        text="No login for 16 days.",
        title="Alpha Tech went quiet",
        buttons=[Button("Acknowledge", ActionId.ALERT_ACK, {"alert_id": 4})],
        kind="alert",
    )


def test_api_url_always_ends_with_a_slash(services: Services) -> None:
    s = services.settings.model_copy(update={"slack_api_url": "https://slack-gov.com/api"})
    assert api_base_url(s) == "https://slack-gov.com/api/"
    assert api_base_url(services.settings.model_copy(update={"slack_api_url": None})) == (
        "https://slack.com/api/"
    )


def test_dm_opens_the_conversation_and_posts_blocks(
    messenger: SlackMessenger, standin: SlackStandIn
) -> None:
    ref = messenger.dm("alice", _alert_reply())
    (opened,) = standin.calls_to("conversations.open")
    assert opened.args["users"] == "UALICE01"
    (posted,) = standin.calls_to("chat.postMessage")
    assert posted.args["channel"] == "DUALICE01"
    assert posted.headers["authorization"] == "Bearer xoxb-t"
    assert posted.blocks()[0]["text"]["text"] == "Alpha Tech went quiet"
    actions = [b for b in posted.blocks() if b["type"] == "actions"][0]
    assert json.loads(actions["elements"][0]["value"]) == {"alert_id": 4}
    assert ref == {"channel": "DUALICE01", "ts": ref["ts"]} and ref["ts"]


def test_update_replaces_the_message_in_place(
    messenger: SlackMessenger, standin: SlackStandIn
) -> None:
    messenger.update({"channel": "D1", "ts": "1.5"}, Reply(text="Acknowledged by alice"))
    (call,) = standin.calls_to("chat.update")
    assert (call.args["channel"], call.args["ts"]) == ("D1", "1.5")
    assert "Acknowledged by alice" in call.all_text()


def test_a_chart_is_uploaded_in_the_thread_of_its_message(
    messenger: SlackMessenger, standin: SlackStandIn
) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"0" * 64
    reply = Reply(text="Tiers", chart=Chart("Tier distribution", png, "bars per tier"))
    ref = messenger.post("C1", reply)
    (get_url,) = standin.calls_to("files.getUploadURLExternal")
    assert int(get_url.args["length"]) == len(png)
    uploads = [c for c in standin.calls if c.method.startswith("upload:")]
    assert len(uploads) == 1 and png in uploads[0].raw
    (done,) = standin.calls_to("files.completeUploadExternal")
    assert done.args["channel_id"] == "C1"
    assert done.args["thread_ts"] == ref["ts"]


def test_an_export_and_a_persona_chart_are_uploaded_as_files(
    messenger: SlackMessenger, standin: SlackStandIn
) -> None:
    from handlers.charts import bar_chart
    from handlers.messages import Attachment

    chart = bar_chart(
        title_zh="按地区的年合同额",
        title_en="ARR",
        labels=["华东", "华北"],
        values=[2, 1],
        lang="zh",
    )
    sheet = Attachment("流失客户.xlsx", b"PK\x03\x04" + b"1" * 40, "application/vnd.ms-excel")
    ref = messenger.post("D9", Reply(text="已导出 2 个客户", chart=chart, files=[sheet]))
    uploads = [c for c in standin.calls if c.method.startswith("upload:")]
    assert len(uploads) == 2
    assert chart.png in uploads[0].raw and sheet.data in uploads[1].raw
    names = [c.args["filename"] for c in standin.calls_to("files.getUploadURLExternal")]
    assert names == ["chart.png", "流失客户.xlsx"]
    done = standin.calls_to("files.completeUploadExternal")
    assert [d.args["thread_ts"] for d in done] == [ref["ts"], ref["ts"]]


def test_a_rate_limited_call_is_retried(messenger: SlackMessenger, standin: SlackStandIn) -> None:
    standin.rate_limit("chat.postMessage", times=2, retry_after=0)
    messenger.post("C1", Reply(text="hello"))
    statuses = [c.status for c in standin.calls if c.method == "chat.postMessage"]
    assert statuses == [429, 429, 200]


def test_a_user_without_a_slack_id_is_a_clear_error(messenger: SlackMessenger) -> None:
    with pytest.raises(SlackUserUnknown, match="--slack-id"):
        messenger.dm("nobody", Reply(text="hi"))
