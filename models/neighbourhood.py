"""The planner's neighbourhood MIPs: the model with most on/off decisions fixed as in a plan.

A neighbourhood frees on/off where it is asked to (the first hours, a later window of the
horizon, or where a cold start's LP could not decide) and start-ups around any period
with unmet demand; every other commitment stays as in the plan it starts from. Only column
bounds change, on the persistent instance: consecutive neighbourhoods change only the
bounds that differ, and :meth:`Neighbourhoods.restore` puts the columns' own bounds back
before anything else runs.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from models.commitment import BoolGrid
from models.highs_run import MIN_RUN_S, HighsRuns, Run
from models.plan_columns import FloatArray, IntArray, PlanColumns

UNMET_EPS = 1e-6


def free_head_steps(steps: int) -> int:
    """Periods at the start of the horizon where the neighbourhood leaves on/off free
    (16 at 96 periods, 24 at 288: the first hours, where forecasts changed most)."""
    return min(steps, 16 if steps <= 96 else 24)


class Neighbourhoods:
    def __init__(
        self, runs: HighsRuns, cols: PlanColumns, unmet_grid: IntArray, window: int
    ) -> None:
        self.runs = runs
        self.cols = cols
        self.window = window  # periods around a shortfall where start-ups are allowed
        self.head = free_head_steps(cols.steps)
        self.later_starts = list(range(self.head, cols.steps, self.head))
        self._unmet_grid = unmet_grid
        self._on = cols.on.ravel()
        self._own = runs.bounds(self._on)  # the on/off columns' own bounds
        self._now: tuple[FloatArray, FloatArray] | None = None  # set by a search
        self._rotation = 0

    def search(
        self,
        base: FloatArray,
        is_plan: bool,
        free: BoolGrid,
        limit: float,
        gap: float,
        plan_if_below: float,
    ) -> Run:
        """On/off free where ``free`` says; start-ups allowed within ``window`` periods of
        any period with unmet demand in ``base``; every other commitment as in ``base``
        (a MIP start when ``is_plan``). The bounds stay set after the run."""
        if limit < MIN_RUN_S:
            return Run(termination="not run", x=None, objective=None, bound=None, highs_seconds=0)
        on: FloatArray = np.round(np.clip(base[self.cols.on], 0.0, 1.0)).astype(np.float64)
        lo, hi = on.copy(), on.copy()
        lo[free] = 0.0
        hi[free] = 1.0
        hi[:, self.near_shortfall(base)] = 1.0
        self._set(np.maximum(lo.ravel(), self._own[0]), hi.ravel())
        start = base if is_plan else None
        return self.runs.run(time_limit_s=limit, gap=gap, start=start, plan_if_below=plan_if_below)

    def later_window(self) -> BoolGrid:
        """The next window of the horizon after the first hours (one more each call)."""
        a = self.later_starts[self._rotation % len(self.later_starts)]
        self._rotation += 1
        free = np.zeros(self.cols.on.shape, dtype=bool)
        free[:, a : a + self.head] = True
        return free

    def near_shortfall(self, x: FloatArray) -> npt.NDArray[np.bool_]:
        """Periods within ``window`` of a period with unmet demand in plan ``x``."""
        near = np.zeros(self.cols.steps, dtype=bool)
        for t in np.flatnonzero(x[self._unmet_grid].sum(axis=0) > UNMET_EPS):
            near[max(0, t - self.window) : t + self.window + 1] = True
        return near

    def restore(self) -> None:
        """The on/off columns' own bounds back (after searches)."""
        if self._now is not None:
            self._set(*self._own)
            self._now = None

    def _set(self, lower: FloatArray, upper: FloatArray) -> None:
        """On/off bounds into HiGHS: only those that differ from what is set now
        (consecutive windows differ in a few hundred of 1,920 at 20 x 96)."""
        now_lo, now_hi = self._now if self._now is not None else self._own
        diff = np.flatnonzero((lower != now_lo) | (upper != now_hi))
        self.runs.set_bounds(self._on[diff], lower[diff], upper[diff])
        self._now = (lower, upper)
