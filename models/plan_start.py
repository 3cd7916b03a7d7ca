"""Where this cycle's planner starts: the previous plan's columns moved to this horizon,
or nothing (a cold start) and why."""

from __future__ import annotations

import math
from datetime import datetime

from models.plan_columns import FloatArray
from models.planner import Planner
from models.result import PlanResult


def plan_start(
    planner: Planner,
    model: str,
    start: datetime,
    step_minutes: float,
    previous: PlanResult | None,
) -> tuple[FloatArray | None, str]:
    """The start vector for ``model``'s horizon beginning at ``start``, and a note saying
    which start it is ("warm: ..." or "cold: why")."""
    vec = previous.columns if previous is not None else None
    if vec is None:
        return None, "cold: no previous plan"
    if vec.model != model:
        return None, "cold: previous plan is from another model (restart or new config)"
    # a cycle period shorter than a step moves the horizon by less than one period: the
    # plan's period t is still period t (k = 0) until a whole step has passed
    k = math.floor((start - vec.start).total_seconds() / (60.0 * step_minutes) + 1e-9)
    if not 0 <= k < planner.cols.steps:
        return None, f"cold: previous plan is {k} steps away from this horizon"
    if not planner.options.shift:
        k = 0  # the old warm start, kept for comparison
    return planner.cols.shift(
        vec.x, k
    ), f"warm: previous plan shifted {k} step{'s' if k != 1 else ''}"
