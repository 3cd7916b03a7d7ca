"""APScheduler 3.x wiring: one job, never stacked, overruns reported instead of queued."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from apscheduler.events import EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from optimizer.config.control import CycleConfig

log = logging.getLogger("plantloop.schedule")
JOB_ID = "plantloop-cycle"


def make_trigger(cycle: CycleConfig, timezone: str) -> BaseTrigger:
    if cycle.cron is not None:
        return CronTrigger.from_crontab(cycle.cron, timezone=timezone)
    assert cycle.period_s is not None  # guaranteed by CycleConfig validation
    return IntervalTrigger(seconds=cycle.period_s, timezone=timezone)


def start_scheduler(
    cycle: CycleConfig,
    timezone: str,
    job: Callable[[], Awaitable[None]],
    on_skip: Callable[[str], None],
) -> AsyncIOScheduler:
    """Start the scheduler on the running event loop with the first cycle due now.

    ``max_instances=1`` and ``coalesce=True``: a cycle that overruns its period makes the
    scheduler skip the next run (reported through ``on_skip``), never stack a second one.
    """
    scheduler = AsyncIOScheduler(timezone=timezone)
    # APScheduler also logs each skip in its own words ("maximum number of running
    # instances reached"); the console shows library lines only with --debug
    # (cli._common.setup_logging), the listener below reports it in ours (and it is recorded)

    def _listener(event: JobExecutionEvent) -> None:
        if event.code == EVENT_JOB_MAX_INSTANCES:
            on_skip("previous cycle still running (overran its period); this run skipped")
        elif event.code == EVENT_JOB_MISSED:
            on_skip("run missed its start by more than misfire_grace_s; skipped")

    scheduler.add_listener(_listener, EVENT_JOB_MAX_INSTANCES | EVENT_JOB_MISSED)
    scheduler.add_job(
        job,
        trigger=make_trigger(cycle, timezone),
        id=JOB_ID,
        name="plantloop cycle",
        max_instances=1,
        coalesce=True,
        misfire_grace_time=max(1, round(cycle.misfire_grace_s)),
        next_run_time=datetime.now(UTC),
    )
    scheduler.start()
    return scheduler
