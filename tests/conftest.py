"""Fixtures shared by every tier: a database on SQLite and on PostgreSQL (same tests, a
parameter), Services around it, and a demo book; and the two tiers.

Tiers. `pytest` runs the fast tier: units and the SQLite store tests, all in this process.
`pytest --full` (or PROFILEBOT_FULL_TESTS=1, or any `-m` expression) runs everything; .ci/run runs
it with PostgreSQL. The fast tier leaves out (deselects) what `tier_marks` below marks:
  postgresql  - the PostgreSQL case of every store test (needs PROFILEBOT_TEST_POSTGRES_URL)
  integration - the real CLI in a subprocess, servers over HTTP (Slack, WeCom, push API)
  slow        - the held-out books (a whole book imported and ~100 questions asked through the CLI)
A test can also carry `@pytest.mark.slow` or `@pytest.mark.integration` itself.

PostgreSQL cases run when PROFILEBOT_TEST_POSTGRES_URL is set (.ci/run sets it); each test gets a
schema of its own, so concurrent runs never see each other's rows.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from handlers.services import Services
from store.db import init_schema, make_engine, make_session_factory
from store.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
PG_ENV = "PROFILEBOT_TEST_POSTGRES_URL"
AS_OF = dt.date(2026, 11, 1)
FULL_ENV = "PROFILEBOT_FULL_TESTS"

# fixtures that start a process or a server: a test using one is in the full tier
INTEGRATION_FIXTURES = {
    "cli_env": "runs the profilebot CLI in a subprocess",
    "slack": "a Slack app over HTTP against a stand-in Slack API",
    "demo_slack": "a Slack app over HTTP against a stand-in Slack API",
    "web": "the push API over HTTP (waitress)",
    "web_without_token": "the push API over HTTP (waitress)",
    "wecom": "the WeCom callback over HTTP against a stand-in send API",
}
# whole modules in the full tier (module name prefix -> why)
FULL_MODULES = {
    "test_unseen_book": ("slow", "a held-out book imported and questioned through the CLI"),
    "test_slack_serve": ("integration", "`profilebot serve slack` processes"),
    "test_dashboard_browser": ("integration", "headless Chromium against `profilebot serve web`"),
}
# single tests in the full tier (node id without parameters -> (mark, why)): the slowest of the
# fast tier as measured with --durations
FULL_TESTS = {
    "test_scheduler.py::test_two_schedulers_race_on_sqlite": ("integration", "two processes"),
    "test_scheduler.py::test_two_schedulers_race_on_postgresql": ("integration", "two processes"),
    "test_ask_eval.py::test_question_set_exact_match_rate": ("slow", "the whole question set"),
    "test_import.py::test_one_bad_row_at_the_end_of_100k_commits_nothing": ("slow", "100k rows"),
    "test_vectorised.py::test_health_columns_equal_per_account_scores": ("slow", "5k accounts"),
    "test_foundation.py::test_demo_book_is_realistic_and_deterministic": ("slow", "two books"),
}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--full",
        action="store_true",
        help="run the full tier: PostgreSQL cases, CLI processes, HTTP servers, held-out books",
    )


def full_tier(config: pytest.Config) -> bool:
    return bool(
        config.getoption("--full") or os.environ.get(FULL_ENV) or config.getoption("markexpr")
    )


def pytest_report_header(config: pytest.Config) -> str:
    if full_tier(config):
        return "tier: full (PostgreSQL, processes, HTTP, held-out books)"
    return (
        "tier: fast (units and SQLite store tests; `pytest --full` adds PostgreSQL, CLI "
        "processes, HTTP servers and the held-out books)"
    )


def tier_marks(item: pytest.Item) -> None:
    """Mark a collected test `postgresql`, `integration` or `slow` by what it uses."""
    callspec = getattr(item, "callspec", None)
    if callspec is not None and callspec.params.get("db_url") == "postgresql":
        item.add_marker(pytest.mark.postgresql)
    if INTEGRATION_FIXTURES.keys() & set(getattr(item, "fixturenames", ())):
        item.add_marker(pytest.mark.integration)
    module = item.module.__name__.rsplit(".", 1)[-1] if getattr(item, "module", None) else ""
    for prefix, (mark, _why) in FULL_MODULES.items():
        if module.startswith(prefix):
            item.add_marker(getattr(pytest.mark, mark))
    test = f"{item.path.name}::{getattr(item, 'originalname', item.name)}"
    if test in FULL_TESTS:
        item.add_marker(getattr(pytest.mark, FULL_TESTS[test][0]))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        tier_marks(item)
    if full_tier(config):
        return
    full = ("postgresql", "integration", "slow")
    keep = [i for i in items if not any(i.get_closest_marker(m) for m in full)]
    if len(keep) < len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in keep])
        items[:] = keep


def postgres_url() -> str | None:
    return os.environ.get(PG_ENV) or None


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database URL on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'profilebot.db'}"
        return
    base = postgres_url()
    if not base and os.environ.get("CI"):
        pytest.fail(f"CI must run the PostgreSQL cases: set {PG_ENV}")
    if not base:
        pytest.skip(
            f"PostgreSQL not configured: set {PG_ENV} (e.g. postgresql://postgres@127.0.0.1:5432/test)"
        )
    schema = "t_" + uuid.uuid4().hex[:12]
    admin = make_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    yield f"{base}{sep}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    init_schema(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def session_factory(engine: Engine):
    return make_session_factory(engine)


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings.from_env(database_url=db_url, openai_api_key=None)


@pytest.fixture
def services(settings: Settings, session_factory) -> Services:
    return Services(settings=settings, session_factory=session_factory, as_of=AS_OF)


@pytest.fixture
def demo_services(services: Services) -> Services:
    """Services over a small deterministic demo book (60 accounts) as of AS_OF."""
    from store.defaults import install_defaults
    from store.demo import generate

    with services.session_factory.begin() as s:
        install_defaults(s)
        generate(s, accounts=60, seed=3, today=AS_OF)
    return services


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Environment for running the `profilebot` command against a temp SQLite file."""
    env = dict(os.environ)
    env["PROFILEBOT_DATABASE_URL"] = f"sqlite:///{tmp_path / 'cli.db'}"
    env.pop("OPENAI_API_KEY", None)
    monkeypatch.chdir(tmp_path)
    return env
