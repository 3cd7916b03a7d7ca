"""The operators' record of one cycle: frozen, keyword-only, turns into a JSON-safe dict."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


@dataclass(frozen=True, kw_only=True)
class InputRecord:
    tag: str
    value: float | bool | tuple[float, ...] | None  # as read
    quality: str | None  # good / uncertain / bad; None when not read
    status: str | None
    source_ts: datetime | None
    used: float | bool | tuple[float, ...] | None  # what the cycle used (None: dropped)
    issue: str = ""  # why the reading was not used as-is
    substituted: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "tag": self.tag,
            "value": json_value(self.value),
            "quality": self.quality,
            "status": self.status,
            "source_ts": self.source_ts.astimezone(UTC).isoformat() if self.source_ts else None,
            "used": json_value(self.used),
            "issue": self.issue,
            "substituted": self.substituted,
        }


@dataclass(frozen=True, kw_only=True)
class SetpointRecord:
    tag: str
    current: float | None
    proposed: float | None
    clamped_to: float | None
    written: float | None  # sent and acknowledged Good (None: not written this cycle)
    read_back: float | None  # read after the write, recorded whatever it shows
    write_status: str | None  # OPC UA status of the write, e.g. Good, BadOutOfRange
    reason: str = ""  # why written differs from proposed
    sent: float | None = None  # value sent to the plant (acknowledged or not)

    def to_dict(self) -> dict[str, Any]:
        return {k: json_value(getattr(self, k)) for k in self.__dataclass_fields__}


@dataclass(frozen=True, kw_only=True)
class SolverRecord:
    status: str  # ok / warning / error
    termination: str
    attempt: str
    has_safe_plan: bool
    message: str
    objective: float | None
    bound: float | None
    gap: float | None
    solve_time_s: float | None
    wall_time_s: float | None
    terms: Mapping[str, float] = field(default_factory=dict)
    tiers: Mapping[str, float] = field(default_factory=dict)
    relaxed: tuple[Mapping[str, Any], ...] = ()
    why: tuple[str, ...] = ()
    cv_predictions: Mapping[str, float] = field(default_factory=dict)
    mv_moves: Mapping[str, float] = field(default_factory=dict)
    unmet: Mapping[str, float] = field(default_factory=dict)
    # how the plan was found: warm/cold start, winning candidate, time to first and chosen
    # plan, gap ("unknown" without a bound), time-limit overrun (PlanResult's SolveReport)
    planner: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        d = {k: getattr(self, k) for k in self.__dataclass_fields__}
        for k in ("terms", "tiers", "cv_predictions", "mv_moves", "unmet"):
            d[k] = {str(a): json_value(b) for a, b in d[k].items()}
        d["relaxed"] = [dict(r) for r in self.relaxed]
        d["why"] = list(self.why)
        d["planner"] = dict(self.planner)
        for k in ("objective", "bound", "gap", "solve_time_s", "wall_time_s"):
            d[k] = json_value(d[k])
        return d


@dataclass(frozen=True, kw_only=True)
class DecisionRecord:
    run_id: str
    cycle: int
    started: datetime
    ended: datetime
    outcome: str
    reasons: tuple[str, ...]
    config_hash: str
    mode: str  # closed_loop / advisory
    faults: tuple[str, ...] = ()  # "phase: message" for each failed phase
    inputs: tuple[InputRecord, ...] = ()
    solver: SolverRecord | None = None
    setpoints: tuple[SetpointRecord, ...] = ()
    watchdog: int | None = None
    sequence: int | None = None  # cycle number sent with the setpoints (interlocks.sequence_tag)
    phase_seconds: Mapping[str, float] = field(default_factory=dict)
    plan: Mapping[str, Any] | None = None  # the horizon plan per carrier (cycle/plan_record)
    # the limits the run's cycles are judged against; in the first record of each run only
    limits: Mapping[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "cycle": self.cycle,
            "started": self.started.isoformat(),
            "ended": self.ended.isoformat(),
            "outcome": self.outcome,
            "reasons": list(self.reasons),
            "config_hash": self.config_hash,
            "mode": self.mode,
            "faults": list(self.faults),
            "inputs": [i.to_dict() for i in self.inputs],
            "solver": self.solver.to_dict() if self.solver else None,
            "setpoints": [s.to_dict() for s in self.setpoints],
            "watchdog": self.watchdog,
            "sequence": self.sequence,
            "phase_seconds": dict(self.phase_seconds),
            "plan": dict(self.plan) if self.plan is not None else None,
            "limits": dict(self.limits) if self.limits is not None else None,
        }


def json_value(v: Any) -> Any:
    """JSON has no NaN/inf: they are recorded as strings so nothing is lost or invalid."""
    if isinstance(v, float) and not math.isfinite(v):
        return str(v)
    if isinstance(v, tuple):
        return [json_value(x) for x in v]
    return v
