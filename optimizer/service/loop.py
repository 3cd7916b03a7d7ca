"""``LoopService``: connect, build, schedule cycles, stop cleanly on a signal or a count."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from models.plant_model import PlantModel
from optimizer.config.schema import PlantConfig
from optimizer.cycle.clock import Clock, SystemClock
from optimizer.cycle.record import CycleSummary, Recorder
from optimizer.cycle.runner import CycleParts, CycleRunner
from optimizer.cycle.solve import SolveWorker
from optimizer.decisions.store import DecisionLog
from optimizer.errors import ConnectError
from optimizer.interlocks import Interlocks
from optimizer.plantio.types import ConnectionState, PlantIO
from optimizer.service.runstate import RunState
from optimizer.service.schedule import JOB_ID, start_scheduler
from optimizer.service.status import StatusPrinter
from optimizer.validation import InputValidator

log = logging.getLogger("plantloop.service")


@dataclass(kw_only=True)
class RunStats:
    cycles: int = 0
    skipped: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    summaries: list[CycleSummary] = field(default_factory=list)


class LoopService:
    """One plant area's loop. ``await service.run()`` returns when stopped; never raises
    for plant or solver trouble (those are cycle outcomes)."""

    def __init__(
        self,
        cfg: PlantConfig,
        *,
        config_hash: str,
        io: PlantIO,
        log_path: str,
        printer: StatusPrinter,
        cycles: int | None = None,
        advisory: bool = False,
        clock: Clock | None = None,
        on_cycle: Callable[[CycleSummary], None] | None = None,
        plan_clock: Clock | None = None,
        connect_wait_s: float | None = 0.0,
    ) -> None:
        self.cfg = cfg
        self.config_hash = config_hash
        self.io = io
        self.log_path = log_path
        self.printer = printer
        self.max_cycles = cycles
        self.advisory = advisory or cfg.cycle.mode.value == "advisory"
        self.clock = clock or SystemClock()
        self.on_cycle = on_cycle
        self.plan_clock = plan_clock
        self.connect_wait_s = connect_wait_s  # None: wait for the server until stopped
        self.on_note: Callable[[str], None] | None = None  # start-up lines, also to a console
        self.state = RunState.STOPPED
        self.stats = RunStats()
        self._stop = asyncio.Event()
        self._current: asyncio.Task[None] | None = None
        self._runner: CycleRunner | None = None
        self._skipped: list[str] = []  # runs the scheduler skipped, not yet recorded
        self._background: set[asyncio.Future[None]] = set()
        self._scheduler: AsyncIOScheduler | None = None

    def next_run(self) -> datetime | None:
        """When the scheduler starts the next cycle (None before start and after stop)."""
        job = self._scheduler.get_job(JOB_ID) if self._scheduler is not None else None
        return job.next_run_time if job is not None else None

    def request_stop(self, why: str = "stop requested") -> None:
        if self.state is RunState.STOPPING or self._stop.is_set():
            return
        self.printer.note(f"stopping: {why}")
        if self._runner is not None:
            self._runner.stop_requested = True
        self._stop.set()

    async def run(self) -> RunStats:
        self.state = RunState.STARTING
        self.printer.plan(self.cfg, log_path=self.log_path, advisory=self.advisory)
        self.io.add_state_listener(self._on_connection)
        with self.printer.step("building the model, connecting"):
            model = await self._build_and_connect()
        try:
            log_file = DecisionLog(self.log_path)
        except BaseException:  # a refused log (older schema, unwritable): close cleanly
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.io.close(), timeout=5)
            raise
        recorder = Recorder(
            self.cfg, log_file, config_hash=self.config_hash, advisory=self.advisory
        )
        solver = SolveWorker(
            model, time_limit_s=self.cfg.cycle.solver_time_limit_s, mip_gap=self.cfg.cycle.mip_gap
        )
        self._runner = CycleRunner(
            CycleParts(
                cfg=self.cfg,
                io=self.io,
                solver=solver,
                validator=InputValidator(self.cfg),
                interlocks=Interlocks(self.cfg),
                recorder=recorder,
                clock=self.clock,
                advisory=self.advisory,
                plan_clock=self.plan_clock,
            )
        )
        loop = asyncio.get_running_loop()
        installed = self._install_signals(loop)
        scheduler = start_scheduler(
            self.cfg.cycle, self.cfg.plant.timezone, self._tick, self._on_skip
        )
        self._scheduler = scheduler
        self.state = RunState.RUNNING
        try:
            await self._stop.wait()
        finally:
            self.state = RunState.STOPPING
            # no new runs, then let the running cycle finish, then shut the scheduler down:
            # its executor cancels the jobs still running at shutdown, which would cut a
            # cycle off between its write and its record
            scheduler.pause()
            await self._finish_current_cycle()
            scheduler.shutdown(wait=False)
            self._scheduler = None
            for sig in installed:
                loop.remove_signal_handler(sig)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.io.close(), timeout=5)
            solver.close()
            await recorder.aclose()
            self.state = RunState.STOPPED
        return self.stats

    async def _build_and_connect(self) -> PlantModel:
        """Build the model in a worker thread while the session opens (the two take about
        as long as each other on a large plant; neither needs the other)."""
        build = asyncio.ensure_future(asyncio.to_thread(PlantModel, self.cfg))
        try:
            await self._connect()
        except BaseException:
            build.add_done_callback(_ignore_result)  # the connect error is the one to report
            raise
        try:
            return await build
        except BaseException:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.io.close(), timeout=5)
            raise

    async def _connect(self) -> None:
        """Connect; while the server is not reachable, retry with backoff (1, 2, 4 … 30 s)
        for up to ``connect_wait_s`` (None: until stopped), saying so each time. Security
        and address-space errors are configuration problems and are raised at once."""
        delay, waited = 1.0, 0.0
        while True:
            try:
                await self.io.connect()
                return
            except ConnectError as e:
                limit = self.connect_wait_s
                if self._stop.is_set() or (limit is not None and waited >= limit):
                    raise
                wait = delay if limit is None else min(delay, limit - waited)
                line = f"server not reachable ({e}); retrying in {wait:g} s"
                self.printer.note(line)
                if self.on_note is not None:
                    self.on_note(line)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), timeout=wait)
                if self._stop.is_set():
                    raise
                waited += wait
                delay = min(delay * 2, 30.0)

    async def _tick(self) -> None:
        if self._stop.is_set() or self._runner is None:
            return
        self._current = asyncio.current_task()
        try:
            summary = await self._runner.run_once()
        except Exception:  # run_once never raises; this is the scheduler's last guard
            log.exception("cycle runner failed unexpectedly")
            return
        finally:
            self._current = None
        await self._record_skipped()  # runs skipped while this cycle ran, after its record
        self.stats.cycles += 1
        self.stats.outcomes[summary.outcome] = self.stats.outcomes.get(summary.outcome, 0) + 1
        self.stats.summaries.append(summary)
        if len(self.stats.summaries) > 1000:
            del self.stats.summaries[:-1000]
        self.printer.cycle(summary)
        if self.on_cycle is not None:
            self.on_cycle(summary)
        if self.max_cycles is not None and self.stats.cycles >= self.max_cycles:
            self.request_stop(f"{self.max_cycles} cycles done")

    async def _finish_current_cycle(self) -> None:
        task = self._current
        if task is None or task.done():
            return
        budget = self.cfg.cycle.solver_time_limit_s + 4 * self.cfg.connection.request_timeout_s
        self.printer.note("waiting for the current cycle to finish (no writes after a stop)")
        try:
            await asyncio.wait_for(asyncio.shield(task), timeout=budget)
        except (TimeoutError, asyncio.CancelledError):
            log.warning("current cycle did not finish within %.0f s; abandoned", budget)

    def _on_skip(self, why: str) -> None:
        """The scheduler skipped a run: said on the console in our words, and recorded in
        the decision log as a skipped cycle once the running cycle has been recorded."""
        self.stats.skipped += 1
        self.printer.note(why)
        self._skipped.append(why)
        if self._current is None:
            task = asyncio.ensure_future(self._record_skipped())
            self._background.add(task)
            task.add_done_callback(self._background.discard)

    async def _record_skipped(self) -> None:
        while self._skipped and self._runner is not None:
            why = self._skipped.pop(0)
            summary = await self._runner.record_skipped(why)
            if not summary.recorded:
                log.error("skipped run NOT recorded: %s", "; ".join(summary.reasons))

    def _on_connection(self, state: ConnectionState, detail: str) -> None:
        self.printer.connection(state, detail)

    def _install_signals(self, loop: asyncio.AbstractEventLoop) -> list[int]:
        installed: list[int] = []
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, self.request_stop, f"signal {sig.name}")
                installed.append(sig)
            except (NotImplementedError, RuntimeError, ValueError):
                pass  # not the main thread (tests) or not supported
        return installed


def _ignore_result(task: asyncio.Future[PlantModel]) -> None:
    if not task.cancelled():
        task.exception()  # retrieved, so asyncio does not warn about it at exit
