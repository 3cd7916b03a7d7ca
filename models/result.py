"""The solve result: solver-agnostic status, objective breakdown, schedule, decisions."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd


class SolveStatus(StrEnum):
    OK = "ok"  # optimal within the gap
    WARNING = "warning"  # a feasible plan, but not proven optimal (time limit) or relaxed
    ERROR = "error"  # no usable plan


@dataclass(frozen=True, kw_only=True)
class RelaxedLimit:
    cv: str
    tag: str
    limit: str  # low / high / target
    rank: int
    by: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, kw_only=True)
class PlanVector:
    """The plan as HiGHS's column vector: what the next cycle's planner starts from."""

    model: str  # the model instance it belongs to (another model cannot use it)
    start: datetime  # start of its period 0
    x: npt.NDArray[np.float64] = field(repr=False, compare=False)


@dataclass(frozen=True, kw_only=True)
class SolveReport:
    """How the plan was found (the planner's honest status)."""

    start: str  # "warm: ..." or "cold: why"
    candidate: str  # which candidate won: repaired / neighbourhood / full MIP / ...
    candidates: Mapping[str, float | None]  # each candidate tried (last tier): objective
    first_plan_s: float | None  # since the solve began, first plan of the full model
    chosen_plan_s: float | None  # since the solve began, the plan kept
    time_limit_s: float
    overran_s: float  # wall time beyond the time limit (0.0: within it)
    notes: tuple[str, ...] = ()  # e.g. a step not started, and why

    @property
    def cold(self) -> bool:
        return self.start.startswith("cold")

    def to_dict(self, gap: float | None) -> dict[str, Any]:
        return {
            "start": self.start,
            "candidate": self.candidate,
            "candidates": {k: _f(v) for k, v in self.candidates.items()},
            "first_plan_s": _f(self.first_plan_s),
            "chosen_plan_s": _f(self.chosen_plan_s),
            "gap": "unknown" if gap is None else _f(gap),
            "time_limit_s": self.time_limit_s,
            "overran_s": self.overran_s,
            "overran": self.overran_s > 0.0,
            "notes": list(self.notes),
        }


@dataclass(frozen=True, kw_only=True)
class PlanResult:
    status: SolveStatus
    termination: str
    has_safe_plan: bool
    message: str
    attempt: str
    objective: float | None
    bound: float | None
    gap: float | None
    terms: Mapping[str, float] = field(default_factory=dict)
    tiers: Mapping[int, float] = field(default_factory=dict)
    schedule: pd.DataFrame = field(default_factory=pd.DataFrame)
    setpoints: Mapping[str, float] = field(default_factory=dict)
    cv_predictions: Mapping[str, float] = field(default_factory=dict)
    mv_moves: Mapping[str, float] = field(default_factory=dict)
    relaxed: Sequence[RelaxedLimit] = ()
    unmet: Mapping[str, float] = field(default_factory=dict)
    why: Sequence[str] = ()
    # carrier -> marginal price per period (currency per carrier-unit·h), from the balance
    # duals of the LP with the binaries fixed; empty if that LP did not solve
    marginal_prices: Mapping[str, Sequence[float]] = field(default_factory=dict)
    solve_time_s: float = 0.0
    wall_time_s: float = 0.0
    report: SolveReport | None = None
    columns: PlanVector | None = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        sched = self.schedule.reset_index(names="period")
        sched["period"] = sched["period"].astype(str)
        return {
            "status": self.status.value,
            "termination": self.termination,
            "has_safe_plan": self.has_safe_plan,
            "message": self.message,
            "attempt": self.attempt,
            "objective": _f(self.objective),
            "bound": _f(self.bound),
            "gap": _f(self.gap),
            "terms": {k: _f(v) for k, v in self.terms.items()},
            "tiers": {str(k): _f(v) for k, v in self.tiers.items()},
            "setpoints": {k: _f(v) for k, v in self.setpoints.items()},
            "cv_predictions": {k: _f(v) for k, v in self.cv_predictions.items()},
            "mv_moves": {k: _f(v) for k, v in self.mv_moves.items()},
            "relaxed": [r.to_dict() for r in self.relaxed],
            "unmet": {k: _f(v) for k, v in self.unmet.items()},
            "why": list(self.why),
            "marginal_prices": {c: [_f(x) for x in ps] for c, ps in self.marginal_prices.items()},
            "solve_time_s": self.solve_time_s,
            "wall_time_s": self.wall_time_s,
            "planner": self.report.to_dict(self.gap) if self.report else None,
            "schedule": sched.to_dict(orient="records"),
        }


def _f(v: float | None) -> float | None:
    return None if v is None or not math.isfinite(v) else float(v)
