"""Phase 7 — record: turn the cycle's image into one DecisionRecord and append it.

Recording must not fail the loop: if the log cannot be written the summary says so (and
the service reports it loudly), and the next cycle tries again.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from optimizer.config.schema import PlantConfig
from optimizer.cycle.image import CycleImage
from optimizer.cycle.plan_record import plan_record
from optimizer.decisions.record import (
    DecisionRecord,
    InputRecord,
    SetpointRecord,
    SolverRecord,
)
from optimizer.decisions.store import DecisionLog
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
    written: Mapping[str, float] = field(default_factory=dict)
    recorded: bool = True


class Recorder:
    def __init__(
        self, cfg: PlantConfig, decision_log: DecisionLog, *, config_hash: str, advisory: bool
    ) -> None:
        self.cfg = cfg
        self.log = decision_log
        self.config_hash = config_hash
        self.run_id = uuid.uuid4().hex[:12]
        self.mode = "advisory" if advisory else cfg.cycle.mode.value

    def record(
        self, img: CycleImage, *, ended: datetime, outcome: Outcome, reasons: tuple[str, ...]
    ) -> CycleSummary:
        rec = self.build(img, ended=ended, outcome=outcome, reasons=reasons)
        recorded = True
        try:
            self.log.append(rec)
        except Exception as e:  # disk full, locked file: say so, keep the loop alive
            recorded = False
            log.error("cycle %d NOT recorded in %s: %s", img.number, self.log.path, e)
        written = {s.tag: s.written for s in rec.setpoints if s.written is not None}
        solver = rec.solver
        return CycleSummary(
            number=img.number,
            started=img.started,
            ended=ended,
            outcome=outcome.value,
            reasons=reasons if recorded else (*reasons, "decision log write FAILED"),
            objective=solver.objective if solver else None,
            solve_time_s=solver.solve_time_s if solver else None,
            written=written,
            recorded=recorded,
        )

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
        unmet=dict(p.unmet),
    )


def _relaxed(r: object) -> dict[str, object]:
    to_dict = getattr(r, "to_dict", None)
    if callable(to_dict):
        return dict(to_dict())
    return {k: getattr(r, k) for k in ("cv", "tag", "limit", "rank", "by") if hasattr(r, k)}


def _setpoints(img: CycleImage) -> tuple[SetpointRecord, ...]:
    wp = img.write_plan
    if wp is None:
        return ()
    results = {o.tag: o for o in img.report.outcomes} if img.report else {}
    out: list[SetpointRecord] = []
    for d in wp.decisions:
        sent = wp.writes.get(d.tag)
        res = results.get(d.tag)
        reason = d.reason
        if d.to_write is not None and sent is None:
            reason = "; ".join(x for x in (reason, f"not written: cycle {wp.outcome.value}") if x)
        rb = res.read_back if res is not None else None
        out.append(
            SetpointRecord(
                tag=d.tag,
                current=d.current,
                proposed=d.proposed,
                clamped_to=d.clamped_to,
                written=float(sent) if sent is not None else None,
                read_back=float(rb) if isinstance(rb, int | float) else None,
                write_status=res.status if res is not None else None,
                reason=reason,
            )
        )
    return tuple(out)
