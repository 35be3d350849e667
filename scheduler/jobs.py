"""The jobs the scheduler runs, by name, in run order: plain functions `job(services, now)` of the
service layer (handlers.jobs), which reach the store; scheduler/ itself only wires them to time
(import-linter: scheduler/ goes through handlers, never straight to store/)."""

from __future__ import annotations

from handlers.jobs import (
    JOBS,
    digests,
    escalations,
    inactivity,
    renewal_reminders,
    run_rules,
    send_outbox,
)

__all__ = [
    "JOBS",
    "digests",
    "escalations",
    "inactivity",
    "renewal_reminders",
    "run_rules",
    "send_outbox",
]
