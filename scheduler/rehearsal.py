"""Dry runs and delivery summaries for the commands that send (rules run, digest, scheduler).

A dry run is the real thing rehearsed: every job, rule and the outbox sender run as usual on one
database connection whose transaction is rolled back at the end, and the configured messengers are
replaced by stand-ins of the same platforms that only count. So it routes, renders and falls back
exactly as a real run would, and leaves nothing behind: no outbox rows, no alerts, no messages.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator
from typing import Any

from sqlalchemy.orm import sessionmaker

from handlers.delivery import LOG_NAMES, chat_messengers
from handlers.messages import Reply
from handlers.services import Services

SENDER_JOB = "outbox"


class RehearsalMessenger:
    """Stands in for a platform during a dry run: records what would be sent, sends nothing."""

    def __init__(self, platform: str) -> None:
        self.platform = platform
        self.sent: list[tuple[str, Reply]] = []

    def dm(self, user_handle: str, reply: Reply) -> dict[str, Any]:
        self.sent.append((user_handle, reply))
        return {"channel": self.platform, "dry_run": True}

    def post(self, channel: str, reply: Reply) -> dict[str, Any]:
        return self.dm(f"#{channel}", reply)

    def update(self, ref: dict[str, Any], reply: Reply) -> None:
        return None


@contextlib.contextmanager
def dry_run(services: Services) -> Iterator[Services]:
    """Services whose every transaction is rolled back at the end and whose messengers only
    record (same platforms as configured, so routing is the real one)."""
    engine = services.session_factory.kw["bind"]
    with engine.connect() as conn:
        outer = conn.begin()
        if conn.dialect.name == "sqlite":
            # pysqlite starts transactions lazily, and a SAVEPOINT outside one would commit on
            # RELEASE: open the real transaction now so every job's savepoint nests inside it
            conn.exec_driver_sql("BEGIN")
        factory = sessionmaker(
            bind=conn, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )
        stand_ins: dict[str, Any] = {
            name: RehearsalMessenger(getattr(m, "platform", name))
            for name, m in chat_messengers(services).items()
        }
        stand_ins["log"] = RehearsalMessenger("log")
        try:
            yield dataclasses.replace(services, session_factory=factory, messengers=stand_ins)
        finally:
            outer.rollback()


def delivery_target(services: Services) -> dict[str, Any]:
    """Where messages go: the configured chat platforms, or the log (its file, if any)."""
    platforms = sorted(chat_messengers(services))
    return {
        "platforms": platforms,
        "log_only": not platforms,
        "log_file": services.settings.outbox_log,
    }


def summarise(
    report: dict[str, Any], services: Services, *, dry_run: bool = False
) -> dict[str, Any]:
    """One object from a run's per-job report: jobs run (and failed), messages queued per job,
    delivered per platform, to the log, failed, retried, redirected to a fallback."""
    jobs_ok, jobs_failed, queued = [], {}, {}
    delivery: dict[str, Any] = {}
    for name, result in report.items():
        if not isinstance(result, dict):
            continue
        if "error" in result:
            jobs_failed[name] = result["error"]
            continue
        jobs_ok.append(name)
        if name == SENDER_JOB:
            delivery = result
        else:
            n = result.get("messages")
            if n:
                queued[name] = n
    return {
        "now": report.get("now"),
        "dry_run": dry_run,
        **delivery_target(services),
        "jobs_run": jobs_ok,
        "jobs_failed": jobs_failed,
        "queued": queued,
        "sent": dict(delivery.get("by_platform") or {}),
        "to_log": int(delivery.get("logged") or 0),
        "failed": int(delivery.get("failed") or 0),
        "retry": int(delivery.get("retry") or 0),
        "fallback": int(delivery.get("fallback") or 0),
        "skipped": int(delivery.get("skipped") or 0),
    }


def delivery_lines(summary: dict[str, Any]) -> list[str]:
    """What a person reads after a run that sends (English, like the rest of the CLI)."""
    would = "would be " if summary.get("dry_run") else ""
    out: list[str] = []
    if summary.get("dry_run"):
        out.append("dry run: nothing was saved and nothing was sent")
    sent = summary.get("sent") or {}
    parts = [f"{n} to {p}" for p, n in sorted(sent.items())]
    out.append(f"messages {would}sent: " + (", ".join(parts) if parts else "none"))
    if summary.get("to_log"):
        where = summary.get("log_file") or (
            "the application log, shown with -v; set PROFILEBOT_OUTBOX_LOG=FILE to keep them"
        )
        out.append(f"messages {would}written to the log ({where}): {summary['to_log']}")
    if summary.get("log_only"):
        out.append(
            "no chat platform is configured (set SLACK_BOT_TOKEN or WECOM_CORP_ID/WECOM_SECRET/"
            "WECOM_AGENT_ID): messages go to the log, marked 'logged', and nobody is told"
        )
    if summary.get("fallback"):
        out.append(
            f"redirected to a fallback (manager, then admin): {summary['fallback']} "
            "(see `profilebot audit` for outbox.fallback)"
        )
    if summary.get("failed"):
        out.append(f"failed: {summary['failed']} (each keeps its error in the outbox)")
    if summary.get("retry"):
        out.append(f"to retry later: {summary['retry']}")
    return out


def scheduler_lines(summary: dict[str, Any]) -> list[str]:
    """The readable summary of `scheduler --once`."""
    out = [f"scheduler run at {summary.get('now')}: jobs run: {', '.join(summary['jobs_run'])}"]
    for name, err in summary["jobs_failed"].items():
        out.append(f"job {name} FAILED: {err}")
    queued = summary.get("queued") or {}
    if queued:
        out.append("queued: " + ", ".join(f"{n} {job}" for job, n in queued.items()))
    else:
        out.append("queued: nothing new")
    return out + delivery_lines(summary)


__all__ = [
    "LOG_NAMES",
    "RehearsalMessenger",
    "delivery_lines",
    "delivery_target",
    "dry_run",
    "scheduler_lines",
    "summarise",
]
