"""Phase 7 — record: the intent before the write, then one DecisionRecord per cycle.

No write without a record (safety rule 16): ``intent`` records what the cycle is about to
write before it is sent; if that fails the runner writes nothing and the cycle holds.
The finished cycle is then appended with its outcome. Recording never fails the loop and
never blocks the event loop (``decisions.writer``): if the log cannot be written the
summary says so, and the next cycle tries again. Pruning (``log.retention_days``) and WAL
checkpoints run in the background on the log's own thread, between cycles' records.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from optimizer.config.schema import PlantConfig
from optimizer.cycle.image import CycleImage, Phase
from optimizer.cycle.plan_record import limits_record, plan_record
from optimizer.decisions.record import (
    DecisionRecord,
    InputRecord,
    SetpointRecord,
    SolverRecord,
)
from optimizer.decisions.space import LogSpace, log_space
from optimizer.decisions.store import DecisionLog, Intent
from optimizer.decisions.writer import LogUnavailable, LogWriter
from optimizer.outcomes import Outcome

log = logging.getLogger("plantloop.record")


@dataclass(frozen=True, kw_only=True)
class CycleSummary:
    """What the status line and the service need from a finished cycle."""

    number: int
    started: datetime
    ended: datetime
    outcome: str
    reasons: tuple[str, ...]
    objective: float | None
    solve_time_s: float | None
    written: Mapping[str, float] = field(default_factory=dict)  # sent and acknowledged Good
    # what the interlocks would write (after limits), also when nothing is: advisory, shed
    proposed: Mapping[str, float] = field(default_factory=dict)
    recorded: bool = True
    space: LogSpace | None = None  # decision log size and free disk space after this cycle


MAINTENANCE_EVERY_S = 3600.0  # prune + WAL checkpoint at most this often
LOW_SPACE_BYTES = 1024**3  # below this much free disk, every cycle's reasons say so


class Recorder:
    def __init__(
        self,
        cfg: PlantConfig,
        decision_log: DecisionLog,
        *,
        config_hash: str,
        advisory: bool,
        maintenance_every_s: float = MAINTENANCE_EVERY_S,
    ) -> None:
        self.cfg = cfg
        self.log = decision_log
        self.writer = LogWriter(decision_log)
        self.config_hash = config_hash
        self.run_id = uuid.uuid4().hex[:12]
        self.mode = "advisory" if advisory else cfg.cycle.mode.value
        self.last_cycle = decision_log.last_cycle()  # cycle numbers continue across restarts
        self.maintenance_every_s = maintenance_every_s
        self._last_maintenance = time.monotonic()
        self._maintenance: asyncio.Task[None] | None = None
        self._limits: dict[str, Any] | None = limits_record(cfg)  # until one record has them

    async def intent(self, img: CycleImage, at: datetime) -> str | None:
        """Record what the cycle is about to write. None when recorded; else why not
        (then nothing may be written)."""
        wp = img.write_plan
        assert wp is not None
        it = Intent(
            run_id=self.run_id,
            cycle=img.number,
            at=at,
            config_hash=self.config_hash,
            mode=self.mode,
            outcome=wp.outcome.value,
            writes=wp.writes,
            sequence=wp.sequence,
            watchdog=wp.watchdog,
        )
        try:
            await self.writer.call(lambda db: db.append_intent(it))
        except LogUnavailable as e:
            log.error("cycle %d: intent NOT recorded, nothing written: %s", img.number, str(e))
            return f"decision log: the intent could not be recorded ({e})"
        return None

    async def record(
        self, img: CycleImage, *, ended: datetime, outcome: Outcome, reasons: tuple[str, ...]
    ) -> CycleSummary:
        rec = self.build(img, ended=ended, outcome=outcome, reasons=reasons)
        recorded = True
        try:
            await self.writer.call(lambda db: db.append(rec))
            self._limits = None
        except LogUnavailable as e:  # disk full, locked file: say so, keep the loop alive
            recorded = False
            log.error("cycle %d NOT recorded: %s", img.number, str(e))  # text: see runner.py
            reasons = (f"decision log write FAILED: {e}", *reasons)
        space = log_space(self.log.path)
        if space.free_bytes < LOW_SPACE_BYTES:
            reasons = (f"decision log disk low: {space.describe()}", *reasons)
        self._maybe_maintain()
        written = {s.tag: s.written for s in rec.setpoints if s.written is not None}
        proposed = {s.tag: s.clamped_to for s in rec.setpoints if s.clamped_to is not None}
        solver = rec.solver
        return CycleSummary(
            number=img.number,
            started=img.started,
            ended=ended,
            outcome=outcome.value,
            reasons=reasons,
            objective=solver.objective if solver else None,
            solve_time_s=solver.solve_time_s if solver else None,
            written=written,
            proposed=proposed,
            recorded=recorded,
            space=space,
        )

    def _maybe_maintain(self) -> None:
        if self._maintenance is not None and not self._maintenance.done():
            return
        if time.monotonic() - self._last_maintenance < self.maintenance_every_s:
            return
        self._last_maintenance = time.monotonic()
        self._maintenance = asyncio.get_running_loop().create_task(self.maintain())

    async def maintain(self) -> None:
        """Prune past the retention in small batches (each its own call, so a cycle's
        records slip in between), then checkpoint the WAL. Failures are reported, retried
        at the next interval."""
        days = self.cfg.log.retention_days
        try:
            while days is not None:
                res = await self.writer.call(lambda db: db.prune(days, batch=500))
                if res.records:
                    log.info("decision log: pruned %d records (> %d days)", res.records, days)
                if res.done:
                    break
            await self.writer.call(lambda db: db.checkpoint_wal())
        except LogUnavailable as e:
            log.error("decision log maintenance failed (retried later): %s", str(e))

    async def aclose(self) -> None:
        """Wait for background maintenance, finish queued log calls, close the file."""
        if self._maintenance is not None:
            await asyncio.gather(self._maintenance, return_exceptions=True)
        await asyncio.to_thread(self.writer.close)

    def build(
        self, img: CycleImage, *, ended: datetime, outcome: Outcome, reasons: tuple[str, ...]
    ) -> DecisionRecord:
        return DecisionRecord(
            run_id=self.run_id,
            cycle=img.number,
            started=img.started,
            ended=ended,
            outcome=outcome.value,
            reasons=reasons,
            config_hash=self.config_hash,
            mode=self.mode,
            faults=tuple(f"{f.phase.value}: {f.message}" for f in img.faults),
            inputs=_inputs(img),
            solver=_solver(img),
            setpoints=_setpoints(img),
            watchdog=img.write_plan.watchdog if img.write_plan else None,
            sequence=img.write_plan.sequence if img.write_plan else None,
            phase_seconds=dict(img.phase_seconds),
            plan=self._plan(img),
            limits=self._limits,
        )

    def _plan(self, img: CycleImage) -> dict[str, Any] | None:
        """The plan block is for people; a bug in it must not cost the cycle its record."""
        try:
            return plan_record(self.cfg, img.plan, img.inputs)
        except Exception:
            log.exception("cycle %d: plan not recorded", img.number)
            return None


def _inputs(img: CycleImage) -> tuple[InputRecord, ...]:
    if img.snapshot is None:
        return ()
    v = img.validated
    out: list[InputRecord] = []
    for tag, r in img.snapshot.readings.items():
        issue = v.issue_of(tag) if v is not None else None
        out.append(
            InputRecord(
                tag=tag,
                value=r.value,
                quality=r.quality.value,
                status=r.status,
                source_ts=r.source_ts,
                used=v.values.get(tag) if v is not None else None,
                issue=issue.message if issue else "",
                substituted=v is not None and tag in v.substituted,
            )
        )
    return tuple(out)


def _solver(img: CycleImage) -> SolverRecord | None:
    p = img.plan
    if p is None:
        return None
    return SolverRecord(
        status=str(p.status.value),
        termination=p.termination,
        attempt=p.attempt,
        has_safe_plan=p.has_safe_plan,
        message=p.message,
        objective=p.objective,
        bound=p.bound,
        gap=p.gap,
        solve_time_s=p.solve_time_s,
        wall_time_s=p.wall_time_s,
        terms=dict(p.terms),
        tiers={str(k): v for k, v in p.tiers.items()},
        relaxed=tuple(_relaxed(r) for r in p.relaxed),
        why=tuple(p.why),
        cv_predictions=dict(p.cv_predictions),
        mv_moves=dict(p.mv_moves),
        unmet=dict(p.unmet),
        planner=p.report.to_dict(p.gap) if p.report is not None else {},
    )


def _relaxed(r: object) -> dict[str, object]:
    to_dict = getattr(r, "to_dict", None)
    if callable(to_dict):
        return dict(to_dict())
    return {k: getattr(r, k) for k in ("cv", "tag", "limit", "rank", "by") if hasattr(r, k)}


def _setpoints(img: CycleImage) -> tuple[SetpointRecord, ...]:
    """``sent``: the value went out in the write request; ``written``: sent and the
    server acknowledged it Good. Values of an abandoned, refused or unrecorded batch are
    neither; the read-back is recorded as read, whatever it shows."""
    wp = img.write_plan
    if wp is None:
        return ()
    results = {o.tag: o for o in img.report.outcomes} if img.report else {}
    out: list[SetpointRecord] = []
    for d in wp.decisions:
        planned = wp.writes.get(d.tag)
        res = results.get(d.tag)
        reason = d.reason
        if d.to_write is not None and planned is None:
            reason = _join(reason, f"not written: cycle {wp.outcome.value}")
        elif planned is not None and res is None:
            reason = _join(
                reason,
                # a write that timed out, or whose statuses or read-back came back short,
                # may still have reached the controller: unknown, not "not written"
                "not confirmed: the write phase failed; the value may have reached the controller"
                if img.failed(Phase.WRITE)
                else "not written: the batch was not sent",
            )
        elif res is not None and not res.ok:
            reason = _join(reason, f"not written: the server answered {res.status}")
        rb = res.read_back if res is not None else None
        out.append(
            SetpointRecord(
                tag=d.tag,
                current=d.current,
                proposed=d.proposed,
                clamped_to=d.clamped_to,
                sent=float(res.requested) if res is not None else None,
                written=float(res.requested) if res is not None and res.ok else None,
                read_back=float(rb) if isinstance(rb, int | float) else None,
                write_status=res.status if res is not None else None,
                reason=reason,
            )
        )
    return tuple(out)


def _join(*parts: str) -> str:
    return "; ".join(p for p in parts if p)
