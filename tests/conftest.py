"""Fixtures shared by every tier: a database on SQLite and on PostgreSQL (same tests, a
parameter), Services around it, and a demo book.

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
