"""One frozen Settings object, read from the environment once at start-up and passed down."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_database_url() -> str:
    """A SQLite file in the working directory."""
    return f"sqlite:///{Path(os.getcwd()) / 'profilebot.db'}"


class Settings(BaseSettings):
    """Everything profilebot reads from its environment; secrets are masked in repr."""

    model_config = SettingsConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    database_url: str = Field(default_factory=default_database_url, alias="PROFILEBOT_DATABASE_URL")
    api_token: SecretStr | None = Field(default=None, alias="PROFILEBOT_API_TOKEN")
    default_timezone: str = Field(default="Asia/Shanghai", alias="PROFILEBOT_TIMEZONE")
    webhook_secret: SecretStr | None = Field(default=None, alias="PROFILEBOT_WEBHOOK_SECRET")
    # dashboard links (issue 16): signed with this secret (else the webhook secret), based here
    dashboard_secret: SecretStr | None = Field(default=None, alias="PROFILEBOT_DASHBOARD_SECRET")
    public_url: str | None = Field(default=None, alias="PROFILEBOT_PUBLIC_URL")
    # scheduler / outbox (issue 6)
    outbox_log: str | None = Field(default=None, alias="PROFILEBOT_OUTBOX_LOG")
    escalate_after_hours: float = Field(default=24.0, alias="PROFILEBOT_ESCALATE_AFTER_HOURS")
    outbox_max_attempts: int = Field(default=6, alias="PROFILEBOT_OUTBOX_MAX_ATTEMPTS")
    outbox_lease_seconds: int = Field(default=600, alias="PROFILEBOT_OUTBOX_LEASE_SECONDS")
    digest_hour: int = Field(default=9, alias="PROFILEBOT_DIGEST_HOUR")

    openai_api_key: SecretStr | None = Field(default=None, alias="OPENAI_API_KEY")
    openai_base_url: str | None = Field(default=None, alias="OPENAI_BASE_URL")
    llm_model: str = Field(default="gpt-4o-mini", alias="PROFILEBOT_LLM_MODEL")
    llm_timeout: float = Field(default=20.0, alias="PROFILEBOT_LLM_TIMEOUT")

    slack_bot_token: SecretStr | None = Field(default=None, alias="SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr | None = Field(default=None, alias="SLACK_SIGNING_SECRET")
    slack_app_token: SecretStr | None = Field(default=None, alias="SLACK_APP_TOKEN")
    slack_api_url: str | None = Field(default=None, alias="SLACK_API_URL")

    wecom_corp_id: str | None = Field(default=None, alias="WECOM_CORP_ID")
    wecom_agent_id: str | None = Field(default=None, alias="WECOM_AGENT_ID")
    wecom_secret: SecretStr | None = Field(default=None, alias="WECOM_SECRET")
    wecom_token: SecretStr | None = Field(default=None, alias="WECOM_TOKEN")
    wecom_aes_key: SecretStr | None = Field(default=None, alias="WECOM_AES_KEY")
    wecom_api_url: str | None = Field(default=None, alias="WECOM_API_URL")

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        """Read the environment (overrides win, by field name)."""
        base = cls()
        if not overrides:
            return base
        return base.model_copy(update=overrides)

    @property
    def llm_enabled(self) -> bool:
        return self.openai_api_key is not None and bool(self.openai_api_key.get_secret_value())
