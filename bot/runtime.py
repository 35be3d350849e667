"""Build the Services a command, server or job runs with."""

from __future__ import annotations

import datetime as dt
import logging

from handlers.services import Services
from store.db import init_schema, make_engine, make_session_factory, schema_ready
from store.redact import install_log_redaction
from store.settings import Settings

log = logging.getLogger(__name__)


class SchemaMissing(RuntimeError):
    """The database has no schema yet."""


def build_services(
    settings: Settings | None = None,
    *,
    as_of: dt.date | None = None,
    init: bool = False,
    with_llm: bool = True,
) -> Services:
    """Engine, sessions, the optional LLM understander; init=True creates the schema if needed."""
    settings = settings or Settings.from_env()
    install_log_redaction(settings_secrets(settings))
    engine = make_engine(settings.database_url)
    if init:
        init_schema(engine)
    elif not schema_ready(engine):
        raise SchemaMissing(
            "the database has no profilebot schema yet — run `profilebot init` "
            "(or `profilebot demo` for demo data)"
        )
    understander = None
    if with_llm and settings.llm_enabled:
        from bot.llm import OpenAIUnderstander

        understander = OpenAIUnderstander(settings)
    return Services(
        settings=settings,
        session_factory=make_session_factory(engine),
        understander=understander,
        as_of=as_of,
    )


def settings_secrets(settings: Settings) -> list[str]:
    """Every secret value in the settings (tokens, keys, the database password)."""
    from pydantic import SecretStr
    from sqlalchemy.engine import make_url

    values = [
        v.get_secret_value()
        for v in (getattr(settings, name) for name in type(settings).model_fields)
        if isinstance(v, SecretStr)
    ]
    try:
        values.append(make_url(settings.database_url).password or "")
    except Exception:  # an unparsable URL fails later with its own message
        log.debug("database URL not parsed for its password")
    return [v for v in values if v]
