"""Run one cycle through its phases; always end with a recorded outcome.

The runner owns no safety logic: validation and interlocks decide, the runner sequences
phases, times them, turns exceptions into phase faults and hands the image to the recorder.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from models.result import PlanResult
from optimizer.config.schema import PlantConfig
from optimizer.cycle.clock import Clock
from optimizer.cycle.image import CycleImage, Phase
from optimizer.cycle.read import read_snapshot
from optimizer.cycle.record import CycleSummary, Recorder
from optimizer.cycle.solve import SolveWorker
from optimizer.cycle.update import build_inputs
from optimizer.cycle.write import write_batch
from optimizer.errors import BasisChanged, PlantloopError
from optimizer.interlocks import Interlocks
from optimizer.outcomes import Outcome
from optimizer.plantio.types import PlantIO
from optimizer.validation import InputValidator

log = logging.getLogger("plantloop.cycle")
T = TypeVar("T")


@dataclass(frozen=True, kw_only=True)
class CycleParts:
    """Everything a cycle works with; built once by the service (or a test)."""

    cfg: PlantConfig
    io: PlantIO
    solver: SolveWorker
    validator: InputValidator
    interlocks: Interlocks
    recorder: Recorder
    clock: Clock
    advisory: bool = False
    plan_clock: Clock | None = None  # the plant's time for the horizon (a simulator's)


class CycleRunner:
    def __init__(self, parts: CycleParts) -> None:
        self.parts = parts
        self.number = parts.recorder.last_cycle  # continues the log's numbering
        self._previous_plan: PlanResult | None = None
        self.stop_requested = False
        self.last_phase_seconds: dict[str, float] = {}

    async def run_once(self) -> CycleSummary:
        """One full cycle. Never raises: every failure is a fault in the recorded outcome."""
        p = self.parts
        self.number += 1
        img = CycleImage(number=self.number, started=p.clock.now())
        try:
            await self._phases(img)
        except Exception as e:  # a bug in a phase wrapper: still record the cycle
            log.exception("cycle %d: unexpected failure", img.number)
            img.fault(Phase.RECORD, f"unexpected {type(e).__name__}: {e}")
        return await self._record(img)

    async def record_skipped(self, why: str) -> CycleSummary:
        """A scheduled run that did not happen (the previous cycle overran its period):
        recorded with its own cycle number so the log shows the gap; nothing read or
        written. Call it between cycles, never while one runs (numbers stay in order)."""
        p = self.parts
        self.number += 1
        img = CycleImage(number=self.number, started=p.clock.now())
        return await p.recorder.record(
            img, ended=img.started, outcome=Outcome.SKIPPED, reasons=(why,)
        )

    async def _phases(self, img: CycleImage) -> None:
        p = self.parts
        io_deadline = p.cfg.connection.request_timeout_s * 2

        img.snapshot = await self._guard(img, Phase.READ, lambda: read_snapshot(p.io, io_deadline))
        now = p.clock.now()
        if img.snapshot is not None:
            snapshot = img.snapshot
            img.validated = self._guard_sync(
                img, Phase.VALIDATE, lambda: p.validator.validate(snapshot, now)
            )
        if img.validated is not None:
            validated = img.validated
            img.inputs = self._guard_sync(
                img,
                Phase.UPDATE,
                lambda: build_inputs(
                    p.cfg, validated, (p.plan_clock or p.clock).now(), self._previous_plan
                ),
            )
        if img.inputs is not None:
            inputs = img.inputs
            img.plan = await self._guard(
                img, Phase.SOLVE, lambda: p.solver.update_and_solve(inputs)
            )
            img.phase_seconds["update"] = p.solver.last_update_s
            if img.plan is not None and img.plan.has_safe_plan:
                self._previous_plan = img.plan

        img.write_plan = self._guard_sync(
            img,
            Phase.INTERLOCK,
            lambda: p.interlocks.decide(
                validated=img.validated,
                plan=img.plan,
                eu_ranges=p.io.eu_ranges,
                advisory=p.advisory,
                cycle=img.number,
            ),
        )
        img.stop_requested = self.stop_requested  # no write once a stop has been asked for
        if (
            img.write_plan is not None
            and img.write_plan.writes
            and img.snapshot is not None
            and not img.stop_requested
        ):
            writes, epoch = img.write_plan.writes, img.snapshot.epoch
            # no write without a record (rule 16): the intent first, or nothing is sent
            t0 = time.perf_counter()
            img.unrecorded = await p.recorder.intent(img, p.clock.now())
            img.phase_seconds["intent"] = time.perf_counter() - t0
            if img.unrecorded is not None:
                return
            img.report = await self._guard(
                img, Phase.WRITE, lambda: write_batch(p.io, writes, io_deadline, epoch=epoch)
            )

    async def _guard(
        self, img: CycleImage, phase: Phase, step: Callable[[], Awaitable[T]]
    ) -> T | None:
        t0 = time.perf_counter()
        try:
            return await step()
        except Exception as e:
            self._fault(img, phase, e)
        finally:
            img.phase_seconds[phase.value] = time.perf_counter() - t0
        return None

    def _guard_sync(self, img: CycleImage, phase: Phase, step: Callable[[], T]) -> T | None:
        t0 = time.perf_counter()
        try:
            return step()
        except Exception as e:
            self._fault(img, phase, e)
        finally:
            img.phase_seconds[phase.value] = time.perf_counter() - t0
        return None

    @staticmethod
    def _fault(img: CycleImage, phase: Phase, e: Exception) -> None:
        """The one place a phase's exception becomes a fault on the image: our own errors
        carry an operator-readable message; anything else is a bug, logged with its trace."""
        if isinstance(e, BasisChanged):  # nothing was sent: the cycle holds (rule 13)
            img.basis_changed = str(e)
        if isinstance(e, PlantloopError):
            img.fault(phase, str(e))
            # the message as text, never the exception: a handler that keeps records (a
            # log buffer, a queue, pytest's capture) would keep its traceback, and with it
            # this cycle's frames and whole image (~30 KB a faulted cycle, for ever)
            log.warning("cycle %d: %s failed: %s", img.number, phase.value, str(e))
        else:
            img.fault(phase, f"unexpected {type(e).__name__}: {e}")
            log.exception("cycle %d: %s failed", img.number, phase.value)

    def _outcome(self, img: CycleImage) -> tuple[Outcome, tuple[str, ...]]:
        wp = img.write_plan
        if wp is None:  # the interlock phase itself failed: nothing was written
            return Outcome.ERROR, tuple(f"{f.phase.value}: {f.message}" for f in img.faults)
        faults = tuple(f"{f.phase.value} failed: {f.message}" for f in img.faults)
        if img.stop_requested and wp.writes:
            return Outcome.ABANDONED, (*wp.reasons, "stop requested: nothing written")
        if img.basis_changed is not None:
            return Outcome.HELD_BAD_DATA, (
                *wp.reasons,
                f"held, nothing written: {img.basis_changed}",
            )
        if img.unrecorded is not None:
            return Outcome.HELD_NO_RECORD, (*wp.reasons, f"held, nothing written: {img.unrecorded}")
        write_error = next((f.message for f in img.faults if f.phase is Phase.WRITE), None)
        outcome, reasons = self.parts.interlocks.finish(wp, img.report, write_error)
        return outcome, tuple(dict.fromkeys((*faults, *reasons)))

    async def _record(self, img: CycleImage) -> CycleSummary:
        self.last_phase_seconds = dict(img.phase_seconds)
        try:
            outcome, reasons = self._outcome(img)
        except Exception as e:
            log.exception("cycle %d: outcome failed", img.number)
            outcome, reasons = Outcome.ERROR, (f"unexpected {type(e).__name__}: {e}",)
        return await self.parts.recorder.record(
            img, ended=self.parts.clock.now(), outcome=outcome, reasons=reasons
        )
