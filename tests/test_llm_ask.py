"""The LLM door against a stand-in OpenAI-compatible server on loopback, with the real client."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from bot.llm import OpenAIUnderstander
from handlers import ask
from handlers.messages import IncomingMessage
from handlers.services import Services
from store.identity import normalise_name
from store.models import Account
from tests.conftest import AS_OF


class StandIn:
    """POST /v1/chat/completions answers with a canned tool call and records each request."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.arguments = "{}"
        self.tool_name = "query_accounts"
        self.probe: Any = None  # called on each request; its results land in `probed`
        self.probed: list[Any] = []
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                standin.requests.append({"path": self.path, "json": json.loads(body)})
                if standin.probe is not None:
                    standin.probed.append(standin.probe())
                if not self.path.endswith("/chat/completions"):
                    self.send_response(404)
                    self.end_headers()
                    return
                payload = {
                    "id": "chatcmpl-1",
                    "object": "chat.completion",
                    "created": 0,
                    "model": "stand-in",
                    "choices": [
                        {
                            "index": 0,
                            "finish_reason": "tool_calls",
                            "message": {
                                "role": "assistant",
                                "content": None,
                                "tool_calls": [
                                    {
                                        "id": "call_1",
                                        "type": "function",
                                        "function": {
                                            "name": standin.tool_name,
                                            "arguments": standin.arguments,
                                        },
                                    }
                                ],
                            },
                        }
                    ],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                }
                data = json.dumps(payload).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def standin() -> Iterator[StandIn]:
    s = StandIn()
    yield s
    s.close()


@pytest.fixture
def llm_services(services: Services, standin: StandIn) -> Services:
    settings = services.settings.model_copy(
        update={"openai_api_key": "sk-test", "openai_base_url": standin.url, "llm_timeout": 5.0}
    )
    with services.session_factory.begin() as s:
        for i, (name, industry, arr) in enumerate(
            [
                ("Secret Pay Ltd", "Fintech", 90000),
                ("Hidden Retail", "Retail", 50000),
                ("保密金融科技", "金融科技", 30000),
            ]
        ):
            s.add(
                Account(
                    name=name,
                    name_norm=normalise_name(name),
                    external_id=f"A{i}",
                    industry=industry,
                    arr=arr,
                )
            )
    from pydantic import SecretStr

    settings = settings.model_copy(update={"openai_api_key": SecretStr("sk-test")})
    return Services(
        settings=settings,
        session_factory=services.session_factory,
        understander=OpenAIUnderstander(settings),
        as_of=AS_OF,
    )


def _ask(svc: Services, text: str) -> dict[str, Any]:
    replies = ask.try_handle(svc, IncomingMessage(user="local", text=text, as_of=AS_OF))
    assert replies
    return replies[0].data


def test_model_fills_the_spec_through_a_tool_call(llm_services: Services, standin: StandIn) -> None:
    standin.arguments = json.dumps(
        {
            "where": {"all": [{"field": "industry", "op": "eq", "value": "fintech"}]},
            "sort": [{"field": "arr", "desc": True}],
        }
    )
    data = _ask(llm_services, "zorblat quux frobnicate")  # no parser could read this
    assert data["source"] == "llm"
    assert [a["name"] for a in data["accounts"]] == ["Secret Pay Ltd", "保密金融科技"]
    req = standin.requests[-1]["json"]
    tool = req["tools"][0]["function"]
    assert tool["name"] == "query_accounts"
    assert "where" in tool["parameters"]["properties"]
    assert req["tool_choice"]["function"]["name"] == "query_accounts"
    body = json.dumps(req, ensure_ascii=False)
    assert "2026-11-01" in body  # today's date for relative windows
    for name in ("Secret Pay", "Hidden Retail", "保密金融科技"):
        assert name not in body  # the model never sees rows


def test_invalid_tool_output_falls_back_to_the_parser(
    llm_services: Services, standin: StandIn
) -> None:
    standin.arguments = '{"where": {"bogus": true}, "limit": -3}'
    data = _ask(llm_services, "fintech accounts")
    assert data["source"] == "parser"
    assert {a["name"] for a in data["accounts"]} == {"Secret Pay Ltd", "保密金融科技"}


def test_unknown_field_from_the_model_falls_back(llm_services: Services, standin: StandIn) -> None:
    standin.arguments = json.dumps(
        {"where": {"all": [{"field": "shoe_size", "op": "gt", "value": 3}]}}
    )
    data = _ask(llm_services, "retail accounts")
    assert data["source"] == "parser"
    assert [a["name"] for a in data["accounts"]] == ["Hidden Retail"]


def test_unreachable_endpoint_falls_back(services: Services) -> None:
    from pydantic import SecretStr

    settings = services.settings.model_copy(
        update={
            "openai_api_key": SecretStr("sk-x"),
            "openai_base_url": "http://127.0.0.1:9/v1",
            "llm_timeout": 2.0,
        }
    )
    und = OpenAIUnderstander(settings)
    assert und.understand("fintech accounts", "en", {"today": "2026-11-01"}) is None


def test_extract_fills_fields_from_free_text(services: Services, standin: StandIn) -> None:
    from pydantic import SecretStr

    settings = services.settings.model_copy(
        update={"openai_api_key": SecretStr("sk-x"), "openai_base_url": standin.url}
    )
    standin.tool_name = "fill_fields"
    standin.arguments = json.dumps({"employees": 300, "budget": "2万", "made_up": 1})
    und = OpenAIUnderstander(settings)
    out = und.extract(
        "我们有300人，预算2万", {"employees": "employee count", "budget": "budget"}, "zh"
    )
    assert out == {"employees": 300, "budget": "2万"}
    assert standin.requests[-1]["json"]["tools"][0]["function"]["name"] == "fill_fields"


def test_the_model_is_asked_with_no_database_transaction_open(
    llm_services: Services, standin: StandIn, engine
) -> None:
    """A slow or hung LLM endpoint must hold no connection, lock or transaction."""
    standin.arguments = json.dumps(
        {"where": {"all": [{"field": "industry", "op": "eq", "value": "fintech"}]}}
    )
    standin.probe = engine.pool.checkedout  # connections checked out while the model is asked
    data = _ask(llm_services, "zorblat quux frobnicate")
    assert data["source"] == "llm" and standin.probed == [0]
    data = _ask(llm_services, "fintech accounts")  # the parser reads it too; the model still asked
    assert standin.probed == [0, 0]
