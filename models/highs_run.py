"""Direct runs of the persistent HiGHS instance, for the planner's several runs a cycle.

The Params are handed over once (``PersistentHighs``'s bulk update); after that each run
is a plain ``Highs.run()`` with its own time limit and, optionally, a start plan. Column
bounds and integrality are changed and restored here, on the same instance, so the model
is never rebuilt. Every run reads its result into one numpy vector in column order.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import highspy
import numpy as np
import numpy.typing as npt

from models.highs_bounds import change_col_bounds, change_integrality
from models.plan_columns import FloatArray, IntArray
from models.solver import PersistentHighs

_STATUS = {
    highspy.HighsModelStatus.kOptimal: "optimal",
    highspy.HighsModelStatus.kTimeLimit: "time_limit",
    highspy.HighsModelStatus.kIterationLimit: "iteration_limit",
    highspy.HighsModelStatus.kInfeasible: "infeasible",
    highspy.HighsModelStatus.kUnboundedOrInfeasible: "infeasible",
    highspy.HighsModelStatus.kUnbounded: "unbounded",
    highspy.HighsModelStatus.kInterrupt: "time_limit",  # our deadline callback stopped it
}
MIN_RUN_S = 0.005  # an optional step with less time left is not started
STRETCH_MIN_S = 0.25  # MIP runs with shorter limits do not change ``stretch``
_FLOOR_S = 1e-6  # HiGHS needs a positive limit


@dataclass(frozen=True, kw_only=True)
class Run:
    termination: str
    x: FloatArray | None  # the run's plan, None when it has none
    objective: float | None
    bound: float | None  # HiGHS's dual bound (MIP) or the LP optimum; None if unknown
    highs_seconds: float


class HighsRuns:
    def __init__(self, solver: PersistentHighs, threads: int) -> None:
        hm = solver.opt._solver_model
        assert hm is not None
        self.solver = solver
        self.hm: highspy.Highs = hm
        self.threads = threads
        # HiGHS's MIP time limit is not checked in the root's cut rounds (measured at
        # 20 x 96: a 1.4 s limit ended at 2.9-4.5 s); its interrupt callbacks are asked
        # there: the MIP one a few times a run, the simplex one every few iterations (each
        # call takes the GIL: cheap while the event loop waits for I/O, as it mostly does)
        self._deadline = math.inf
        self.stretch = 1.0  # how far MIP runs overran their limits lately (1.0: not)
        self._col_index = np.zeros(0, dtype=np.int32)  # 0..n-1, for a whole-plan MIP start
        # active only during these runs: in any other run on the instance (Pyomo's solve,
        # the fixed LPs) they were Python calls for nothing (~1,400 in a 20 x 96 fixed LP)
        self._callbacks = (hm.cbMipInterrupt, hm.cbSimplexInterrupt)
        for event in self._callbacks:
            event.subscribe(self._stop_at_deadline)
            hm.stopCallback(event.callback_type)

    def _stop_at_deadline(self, event: Any) -> None:
        # always set: HiGHS keeps the flag, so a True left from the last run must be undone
        event.interrupt(time.perf_counter() > self._deadline)

    def push_parameters(self) -> None:
        """This cycle's Param values into HiGHS (the same bulk path as a Pyomo solve)."""
        self.solver._update_parameters()

    def run(
        self,
        *,
        time_limit_s: float,
        gap: float,
        start: FloatArray | None = None,
        mip: bool = True,
        plan_if_below: float = math.inf,
    ) -> Run:
        """One run. Its plan is read only if its objective is below ``plan_if_below`` (a
        plan no better than the best one held cannot win: reading 11 k values back costs
        ~0.4 ms at 20 x 96); otherwise ``x`` is None and ``objective`` says what it found."""
        hm = self.hm
        # a MIP that ran past its limits before is given a limit shorter by as much
        limit = max(_FLOOR_S, time_limit_s / (self.stretch if mip else 1.0))
        # an LP's time limit is compared with the instance's run time since it was created
        # (measured, HiGHS 1.16: an LP given 0.5 s stopped at once after 3 s of earlier runs);
        # a MIP's with its own run
        hm.setOptionValue("time_limit", limit if mip else self.lp_time_limit(limit))
        hm.setOptionValue("mip_rel_gap", gap)
        hm.setOptionValue("threads", self.threads)
        if start is not None:  # every column given: HiGHS checks it as a MIP start
            hm.setSolution(len(start), self._all_cols(len(start)), start)
        t0 = hm.getRunTime()
        t_wall = time.perf_counter()
        self._deadline = t_wall + limit
        # not in an LP: HiGHS keeps an LP's limit itself (measured at 50 x 288: 0.5 s and
        # 1 s limits ended at 0.53 and 1.03 s), and the simplex callback, asked every few
        # iterations, made the cold start's LP at 20 x 96 take 0.13-0.21 s instead of 0.095
        watched = self._callbacks if mip else ()
        for event in watched:
            hm.startCallback(event.callback_type)
        try:
            hm.run()
        except Exception as e:  # a HiGHS failure is a status, never an exception upward
            return Run(
                termination=f"error: {type(e).__name__}: {e}",
                x=None,
                objective=None,
                bound=None,
                highs_seconds=0.0,
            )
        finally:
            self._deadline = math.inf  # Pyomo's own solves on this instance are not limited
            for event in watched:
                hm.stopCallback(event.callback_type)
        seconds = hm.getRunTime() - t0
        # (from runs given some time: a short window's fixed start-up cost is no overrun)
        if mip and limit > STRETCH_MIN_S:
            ratio = (time.perf_counter() - t_wall) / limit
            # up at once on an overrun, down slowly once runs end in time again
            self.stretch = max(1.0, ratio if ratio > self.stretch else 0.9 * self.stretch)
        status = hm.getModelStatus()
        term = _STATUS.get(status, hm.modelStatusToString(status))
        info = hm.getInfo()
        has = info.primal_solution_status == 2  # kSolutionStatusFeasible
        obj = float(info.objective_function_value) if has else None
        fetch = obj is not None and obj < plan_if_below
        x = np.asarray(hm.getSolution().col_value, dtype=np.float64) if fetch else None
        if mip:
            b = float(info.mip_dual_bound)
            bound = b if np.isfinite(b) and abs(b) < 1e19 else None
        else:
            bound = obj if term == "optimal" else None
        return Run(termination=term, x=x, objective=obj, bound=bound, highs_seconds=seconds)

    def _all_cols(self, n: int) -> npt.NDArray[np.int32]:
        if len(self._col_index) != n:
            self._col_index = np.arange(n, dtype=np.int32)
        return self._col_index

    def lp_time_limit(self, seconds: float) -> float:
        """The ``time_limit`` option that gives an LP solve ``seconds`` from now."""
        return float(self.hm.getRunTime()) + seconds

    def bounds(self, cols: IntArray) -> tuple[FloatArray, FloatArray]:
        _, _, _, lower, upper, _ = self.hm.getCols(len(cols), cols.astype(np.int32))
        return np.asarray(lower, dtype=np.float64), np.asarray(upper, dtype=np.float64)

    def set_bounds(self, cols: IntArray, lower: FloatArray, upper: FloatArray) -> None:
        change_col_bounds(self.hm, cols, lower, upper)

    @contextmanager
    def bounds_kept(self, cols: IntArray) -> Iterator[None]:
        """The columns' bounds as they are now, put back when the block ends (however)."""
        lower, upper = self.bounds(cols)
        try:
            yield
        finally:
            self.set_bounds(cols, lower, upper)

    def set_integrality(self, cols: IntArray, integer: bool) -> None:
        if len(cols):
            kind = highspy.HighsVarType.kInteger if integer else highspy.HighsVarType.kContinuous
            kinds = np.full(len(cols), kind, dtype=np.uint8)  # not a list of enums: 0.4 ms
            change_integrality(self.hm, cols, kinds)

    def load(self, x: FloatArray) -> None:
        """A plan into the Pyomo variables (what the result is extracted from)."""
        self.solver.load_values(x)


def elapsed(t0: float) -> float:
    return time.perf_counter() - t0


BoolArray = npt.NDArray[np.bool_]
