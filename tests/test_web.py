"""The production web server over real HTTP (waitress on a free loopback port): health, the push
API with its token, and the routes that are off unless configured."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import func, select

from bot.web import make_wsgi_app
from handlers.services import Services
from store.models import Account, Event
from tests.slack_harness import run_waitress

TOKEN = "push-token-123"


@pytest.fixture
def web(services: Services) -> Iterator[tuple[str, Services]]:
    svc = dataclasses.replace(
        services, settings=services.settings.model_copy(update={"api_token": SecretStr(TOKEN)})
    )
    url, stop = run_waitress(make_wsgi_app(svc))
    yield url, svc
    stop()


@pytest.fixture
def web_without_token(services: Services) -> Iterator[str]:
    url, stop = run_waitress(make_wsgi_app(services))
    yield url
    stop()


AUTH = {"Authorization": f"Bearer {TOKEN}"}
ACCOUNTS = [
    {"account_id": "API-1", "name": "Orchid Labs", "industry": "fintech", "arr": "¥50,000"},
    {"account_id": "API-2", "name": "某某科技有限公司", "city": "上海", "arr": "1.2万"},
]


def _count(svc: Services, model) -> int:  # noqa: ANN001
    with svc.session_factory() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_healthz_answers_with_the_database_state(web: tuple[str, Services]) -> None:
    url, _ = web
    resp = httpx.get(f"{url}/healthz")
    assert resp.status_code == 200
    assert resp.json()["ok"] is True and resp.json()["database"] == "ok"


def test_push_needs_the_bearer_token(web: tuple[str, Services]) -> None:
    url, svc = web
    assert httpx.post(f"{url}/api/v1/accounts", json=ACCOUNTS).status_code == 401
    wrong = httpx.post(
        f"{url}/api/v1/accounts", json=ACCOUNTS, headers={"Authorization": "Bearer nope"}
    )
    assert wrong.status_code == 401
    assert "PROFILEBOT_API_TOKEN" in wrong.json()["error"]
    assert _count(svc, Account) == 0


def test_pushed_accounts_are_imported_and_a_resend_changes_nothing(
    web: tuple[str, Services],
) -> None:
    url, svc = web
    resp = httpx.post(f"{url}/api/v1/accounts", json=ACCOUNTS, headers=AUTH)
    assert resp.status_code == 200, resp.text
    report = resp.json()
    assert report["inserted"] == 2 and report["rejected"] == []
    with svc.session_factory() as s:
        arr = dict(s.execute(select(Account.external_id, Account.arr)).all())
    assert arr == {"API-1": 50000.0, "API-2": 12000.0}
    again = httpx.post(f"{url}/api/v1/accounts", json=ACCOUNTS, headers=AUTH).json()
    assert again["inserted"] == 0 and again["updated"] == 0
    assert _count(svc, Account) == 2


def test_pushed_events_with_an_event_id_are_harmless_to_resend(web: tuple[str, Services]) -> None:
    url, svc = web
    httpx.post(f"{url}/api/v1/accounts", json=ACCOUNTS, headers=AUTH).raise_for_status()
    events = [
        {"event_id": "e-1", "account": "API-1", "timestamp": "2026-10-30 10:00", "type": "login"},
        {"event_id": "e-2", "account": "orchid labs", "timestamp": "2026-10-31", "type": "login"},
    ]
    first = httpx.post(f"{url}/api/v1/events", json=events, headers=AUTH)
    assert first.status_code == 200, first.text
    second = httpx.post(f"{url}/api/v1/events", json=events, headers=AUTH)
    assert second.status_code == 200
    assert _count(svc, Event) == 2


def test_a_batch_with_a_bad_row_is_rejected_whole_with_the_row_named(
    web: tuple[str, Services],
) -> None:
    url, svc = web
    rows = [*ACCOUNTS, {"account_id": "API-3", "name": "Bad Co", "employees": "lots"}]
    resp = httpx.post(f"{url}/api/v1/accounts", json=rows, headers=AUTH)
    assert resp.status_code == 422
    bad = resp.json()["rejected"]
    assert bad and bad[0]["column"] == "employees"
    assert _count(svc, Account) == 0  # one transaction: nothing kept


def test_push_rejects_what_is_not_a_list_of_rows(web: tuple[str, Services]) -> None:
    url, _ = web
    not_json = httpx.post(f"{url}/api/v1/accounts", content=b"name,arr\nA,1", headers=AUTH)
    assert not_json.status_code == 400
    not_rows = httpx.post(f"{url}/api/v1/accounts", json={"name": "A"}, headers=AUTH)
    assert not_rows.status_code == 400
    assert httpx.post(f"{url}/api/v1/widgets", json=[], headers=AUTH).status_code == 404
    assert httpx.get(f"{url}/api/v1/accounts", headers=AUTH).status_code == 405


def test_push_is_off_without_a_token(web_without_token: str) -> None:
    resp = httpx.post(f"{web_without_token}/api/v1/accounts", json=ACCOUNTS, headers=AUTH)
    assert resp.status_code == 404
    assert "PROFILEBOT_API_TOKEN" in resp.json()["error"]


def test_slack_and_wecom_routes_say_when_they_are_off(web_without_token: str) -> None:
    slack = httpx.post(f"{web_without_token}/slack/events", content=b"{}")
    assert slack.status_code == 404 and "Slack is not enabled" in slack.json()["error"]
    wecom = httpx.get(f"{web_without_token}/wecom/callback")
    assert wecom.status_code == 404 and "serve wecom" in wecom.json()["error"]
    assert httpx.get(f"{web_without_token}/nope").status_code == 404
