"""Plans with their commitments fixed: the planner's repair and its cover of a shortfall.

A commitment pattern (which unit is on in which period) is made to keep the units' rules
(min up/down, carried-over state), every integer column is fixed from it and the rest is
an LP (:class:`FixedLp`): always feasible thanks to the unmet-demand slack. Where a plan
is short of supply, :meth:`FixedCommitment.cover` switches units on around the shortfall
(those an LP with the commitments there relaxed wants) and solves again.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping

import numpy as np
import numpy.typing as npt

from models.commitment import BoolGrid, UnitRules, repair_commitment, transitions
from models.fixed_lp import FixedLp
from models.highs_run import HighsRuns, Run
from models.neighbourhood import Neighbourhoods
from models.plan_columns import FloatArray, PlanColumns
from optimizer.config.plant import ConverterUnit

ROUND_UP_EPS = 1e-4  # an LP commitment above this is rounded up to on


class FixedCommitment:
    def __init__(
        self,
        runs: HighsRuns,
        cols: PlanColumns,
        fixed_lp: FixedLp,
        units: Mapping[str, ConverterUnit],
        neighbourhoods: Neighbourhoods,
    ) -> None:
        self.runs = runs
        self.cols = cols
        self.fixed_lp = fixed_lp
        self.units = dict(units)
        self.nb = neighbourhoods

    def solve(
        self, start: FloatArray, want: BoolGrid, rules: list[UnitRules], deadline: float, gap: float
    ) -> Run:
        """The on/off pattern ``want`` made rule-keeping, every integer column fixed, the
        rest an LP (:class:`FixedLp`). If that LP is infeasible (e.g. segments out of ramp
        reach, an MV step now out of its move limits), fix only on/off and start-ups: a
        small MIP."""
        cols = self.cols
        self.nb.restore()
        on = repair_commitment(want, rules)
        su, sd = transitions(on, rules)
        x = start.copy()
        x[cols.on] = on
        x[cols.su] = su
        x[cols.sd] = sd
        x[cols.chmode] = np.round(np.clip(x[cols.chmode], 0.0, 1.0))
        for u, segs in cols.segments.items():
            i = cols.units.index(u)
            x[segs] = self._segments(u, x[segs], on[i], x[cols.ld[i]])
        # every integer column fixed (MV steps as in the start), the rest an LP
        run0 = self.runs.hm.getRunTime()
        limit = deadline - time.perf_counter()
        lp = self.fixed_lp.solve(np.round(x[self.fixed_lp.int_cols]), time_limit_s=limit)
        r = Run(
            termination="optimal" if lp.optimal else lp.status,
            x=lp.col_value if lp.optimal else None,
            objective=lp.objective,
            bound=None,
            highs_seconds=self.runs.hm.getRunTime() - run0,
        )
        if r.x is None:
            only = np.concatenate([cols.on.ravel(), cols.su.ravel()])
            left = deadline - time.perf_counter()
            r2 = self._fixed_run(only, x[only], 0.5 * left, gap)
            r = dataclasses.replace(
                r2, bound=None, highs_seconds=r.highs_seconds + r2.highs_seconds
            )
        return r

    def cover(
        self, x: FloatArray, on: BoolGrid, rules: list[UnitRules], deadline: float, gap: float
    ) -> tuple[Run, npt.NDArray[np.bool_]]:
        """The pattern ``on`` with units switched on around the periods where plan ``x`` is
        short of supply (those an LP with the commitments there relaxed wants), fixed, the
        rest an LP; and those periods."""
        near = self.nb.near_shortfall(x)
        cover = on.copy()
        wanted, template = self._wanted_near(x, near, deadline)
        cover[:, near] |= wanted
        # the LP's loads choose a non-convex unit's segment where it starts
        return self.solve(template, cover, rules, deadline, gap), near

    def _wanted_near(
        self, x: FloatArray, near: npt.NDArray[np.bool_], deadline: float
    ) -> tuple[BoolGrid, FloatArray]:
        """Which commitments in the ``near`` periods an LP wants, every other integer
        column fixed as in ``x``: commitments there above zero (all, if the LP fails),
        and the LP's plan (``x`` if it failed)."""
        runs, cols = self.runs, self.cols
        self.nb.restore()
        ints = cols.integer
        # on/off there, and what must move with it: start-ups, a non-convex curve's segments
        parts = [cols.on[:, near], cols.su[:, near]]
        parts += [segs[:, near] for segs in cols.segments.values()]
        open_cols = np.concatenate([p.ravel() for p in parts])
        with runs.bounds_kept(ints):
            fix = np.round(x[ints])
            runs.set_bounds(ints, fix, fix)
            runs.set_bounds(open_cols, np.zeros(len(open_cols)), np.ones(len(open_cols)))
            runs.set_integrality(ints, integer=False)
            try:
                limit = 0.5 * (deadline - time.perf_counter())
                r = runs.run(time_limit_s=limit, gap=0.0, mip=False)
            finally:
                runs.set_integrality(ints, integer=True)
        if r.x is None or r.termination != "optimal":
            return np.ones((cols.on.shape[0], int(near.sum())), dtype=bool), x
        return np.asarray(r.x[cols.on[:, near]] > ROUND_UP_EPS, dtype=bool), r.x

    def _fixed_run(self, cols: np.ndarray, values: FloatArray, limit: float, gap: float) -> Run:
        runs = self.runs
        self.nb.restore()
        with runs.bounds_kept(cols):
            runs.set_bounds(cols, values, values)
            return runs.run(time_limit_s=limit, gap=gap)

    def _segments(self, u: str, seg: FloatArray, on: np.ndarray, load: FloatArray) -> FloatArray:
        """Segment binaries that agree with the pattern: kept where exactly one is on, else
        the segment that holds the planned load (clipped to the curve)."""
        curve = self.units[u].curve
        loads = np.array([p.load for p in curve])
        out: FloatArray = np.round(np.clip(seg, 0.0, 1.0)).astype(np.float64)
        for t in range(out.shape[1]):
            if not on[t]:
                out[:, t] = 0.0
            elif out[:, t].sum() != 1.0:
                ld = min(max(float(load[t]), loads[0]), loads[-1])
                k = int(np.searchsorted(loads, ld, side="right")) - 1
                out[:, t] = 0.0
                out[min(max(k, 0), out.shape[0] - 1), t] = 1.0
        return out
