"""Wire the jobs to time with APScheduler 3, or run every due job once (`scheduler --once`).

Each job is held by the scheduler object itself (an in-memory job store), bound to the Services it
was started with: no module-level state, so two schedulers in one process (or tests) never share
one. Every job runs at its interval from start (after downtime: one
run an interval after the restart, not one per missed slot; `scheduler --once` runs all at once). APScheduler 3 does not coordinate several processes
— each instance may fire the same job — which is why exactly-once lives in the database (outbox
keys and claims), not in the scheduler: a job fired twice sends nothing new.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

from handlers.services import Services
from scheduler import jobs

log = logging.getLogger(__name__)

# job name -> seconds between runs
INTERVALS = {
    "rules": 3600,
    "renewals": 3600,
    "inactivity": 3600,
    "escalations": 900,
    "digests": 600,
    "outbox": 30,
}
MISFIRE_GRACE_SECONDS = 6 * 3600


def run_once(services: Services, now: dt.datetime | None = None) -> dict[str, Any]:
    """Run every job once, in order; one failing job never stops the others."""
    now = now or services.now()
    report: dict[str, Any] = {"now": now.isoformat(timespec="seconds")}
    for name, job in jobs.JOBS.items():
        try:
            report[name] = job(services, now)
        except Exception as exc:
            log.exception("job %s failed", name)
            report[name] = {"error": repr(exc)}
    return report


def run_job(services: Services, name: str) -> None:
    """APScheduler entry point: one job, now, with the services the scheduler was built with."""
    now = services.now()
    try:
        result = jobs.JOBS[name](services, now)
        log.info("job %s: %s", name, result)
    except Exception:
        log.exception("job %s failed", name)


def build(services: Services, *, background: bool = True):  # noqa: ANN201
    """A configured APScheduler (background for `serve`, blocking for `scheduler`)."""
    cls = BackgroundScheduler if background else BlockingScheduler
    sched = cls(
        jobstores={"default": MemoryJobStore()},
        executors={"default": ThreadPoolExecutor(2)},
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": MISFIRE_GRACE_SECONDS,
        },
        timezone="UTC",
    )
    for name, seconds in INTERVALS.items():
        sched.add_job(
            run_job,
            "interval",
            args=[services, name],
            seconds=seconds,
            id=f"profilebot:{name}",
            name=name,
            replace_existing=True,
        )
    return sched


def start(services: Services, *, background: bool = True):  # noqa: ANN201
    """Start the scheduler; returns it (call .shutdown() to stop a background one)."""
    sched = build(services, background=background)
    sched.start()
    return sched
