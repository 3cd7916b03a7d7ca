"""Solve the persistent model as an LP with its integer columns fixed, then restore it.

Used for marginal prices (row duals of the carrier balances once on/off, charge mode and
MV steps are decided) and by planners that repair or polish a plan with the binaries
given. The HiGHS instance is the persistent one (:class:`models.solver.PersistentHighs`):
the integer columns are fixed at the given values (column bounds), HiGHS solves the model
as its LP relaxation (option ``solve_relaxation``), primal values and duals are copied out,
and the columns get back their bounds — the next MILP solve sees the model exactly as
before.

Only HiGHS is touched: the Pyomo variables keep their values (the MILP plan) unless the
caller loads the LP solution with :meth:`FixedLpResult.load`.

An optimal result is kept with the solver until its parameters are next pushed: the same
fixing asked for again on the unchanged model (the planner's repaired plan kept, then its
marginal prices) is answered without a HiGHS run (``FixedLpResult.reused``).
"""

from __future__ import annotations

import copy
import time
from collections.abc import Mapping, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any

import highspy
import numpy as np

from models.highs_bounds import change_col_bounds

if TYPE_CHECKING:
    from models.solver import PersistentHighs

# optimal fixed LPs kept per parameter push (a cycle's repair, its cover, the prices)
MEMO_SIZE = 4


class FixedLpResult:
    """The LP's outcome; primal values and duals are copied out of HiGHS on first use."""

    def __init__(
        self,
        *,
        status: str,
        optimal: bool,
        objective: float | None,
        solution: Any,
        seconds: float,
        run_seconds: float,
        solver: PersistentHighs,
    ) -> None:
        self.status = status  # HiGHS model status as text: "Optimal", "Infeasible", ...
        self.optimal = optimal
        self.objective = objective
        self.seconds = seconds  # the whole call: fix, solve, read, restore
        self.run_seconds = run_seconds  # HiGHS's run alone
        self.reused = False  # the same LP was solved before on the unchanged model
        self._solution = solution
        self._solver = solver

    def again(self, seconds: float) -> FixedLpResult:
        """This result handed out once more (no HiGHS run: ``run_seconds`` 0)."""
        out = copy.copy(self)  # shares the solution and the copies already read from it
        out.seconds, out.run_seconds, out.reused = seconds, 0.0, True
        return out

    @cached_property
    def col_value(self) -> np.ndarray:
        """Primal value per HiGHS column."""
        return np.asarray(self._solution.col_value, dtype=float)

    @cached_property
    def col_dual(self) -> np.ndarray:
        """Reduced cost per HiGHS column."""
        return np.asarray(self._solution.col_dual, dtype=float)

    @cached_property
    def row_dual(self) -> np.ndarray:
        """Dual per HiGHS row: d objective / d row bound."""
        return np.asarray(self._solution.row_dual, dtype=float)

    def load(self) -> None:
        """Copy the LP's primal values into the Pyomo variables (and the solver's plan
        vector, which the readout reads)."""
        self._solver.load_values(self.col_value)


class FixedLp:
    """The integer columns of a persistent HiGHS model, fixable for one LP solve."""

    def __init__(self, solver: PersistentHighs) -> None:
        self.solver = solver
        opt = solver.opt
        self._vars = {id(var): col for var, col in solver.columns}
        ints = sorted(col for var, col in solver.columns if var.is_integer())
        self.int_cols = np.array(ints, dtype=np.int32)
        self._int_vars = {col: var for var, col in solver.columns if var.is_integer()}
        self._row_of = opt._pyomo_con_to_solver_con_map
        self._basis: Any = None  # the last optimal LP basis (HiGHS drops it on a MIP run)
        # the integer columns' own bounds, read now, while nothing has them fixed (a planner
        # fixes and restores bounds around its runs)
        self._bounds: tuple[np.ndarray, np.ndarray] | None = None
        hm = opt._solver_model
        if hm is not None and len(self.int_cols):
            self._bounds = hm.getCols(len(self.int_cols), self.int_cols)[3:5]

    def column(self, var: Any) -> int:
        """HiGHS column of a Pyomo variable (KeyError if it is not in the model)."""
        return self._vars[id(var)]

    def row(self, con: Any) -> int:
        """HiGHS row of a Pyomo constraint (KeyError if it is not in the model)."""
        return int(self._row_of[con])

    def current_values(self) -> np.ndarray:
        """The integer columns' values in the last plan loaded, rounded (the MILP plan);
        from the Pyomo variables if no plan was loaded through the solver."""
        last = self.solver.col_values
        if last is not None:
            return np.round(np.asarray(last, dtype=float)[self.int_cols])
        return np.array(
            [round(float(self._int_vars[c].value or 0.0)) for c in self.int_cols], dtype=float
        )

    def solve(
        self,
        values: Sequence[float] | np.ndarray | None = None,
        *,
        overrides: Mapping[int, float] | None = None,
        time_limit_s: float = 10.0,
    ) -> FixedLpResult:
        """Fix the integer columns at ``values`` (in the order of :attr:`int_cols`; default
        :meth:`current_values`), with ``overrides`` (HiGHS column -> value) on top, solve the
        LP, read primal and duals, and restore the bounds."""
        t0 = time.perf_counter()
        hm = self.solver.opt._solver_model
        if hm is None:
            raise RuntimeError("fixed LP: the model has not been handed to HiGHS")
        fix = np.array(self.current_values() if values is None else values, dtype=float)
        if len(fix) != len(self.int_cols):
            raise ValueError(f"fixed LP: {len(fix)} values for {len(self.int_cols)} columns")
        if overrides:
            pos = {int(c): i for i, c in enumerate(self.int_cols)}
            for c, v in overrides.items():
                fix[pos[int(c)]] = v
        key = (fix + 0.0).tobytes()  # + 0.0: -0.0 and 0.0 are the same fixing
        known = self.solver.fixed_lps.get(key)
        if known is not None:  # solved already on the model as HiGHS holds it now
            return known.again(time.perf_counter() - t0)
        n = len(self.int_cols)
        if n:
            if self._bounds is None:
                self._bounds = hm.getCols(n, self.int_cols)[3:5]
            lower, upper = self._bounds
            change_col_bounds(hm, self.int_cols, fix, fix)
        # the integer columns, all fixed, solved as HiGHS's LP relaxation: the same LP as with
        # their integrality changed to continuous and back (same duals and basis, checked
        # bitwise), without rewriting the integrality of every integer column twice a call
        # (0.2-0.4 ms at 20 x 96)
        hm.setOptionValue("solve_relaxation", True)
        try:
            # HiGHS checks an LP's time_limit against its run clock, which adds up over the
            # instance's runs (measured: "Time limit reached" after 30 ms once the cycles had
            # run 10 s): the limit is set from where that clock stands now
            hm.setOptionValue("time_limit", float(hm.getRunTime()) + max(time_limit_s, 1e-3))
            # the last fixed LP's basis as a warm start, unless HiGHS still holds a valid one
            # (after an LP; a MIP run drops it): handing a basis over costs ~1.4 ms at 20 x 96
            if self._basis is not None and not hm.getBasis().valid:
                hm.setBasis(self._basis)
            run0 = time.perf_counter()
            hm.run()
            run_s = time.perf_counter() - run0
            status = hm.getModelStatus()
            optimal = status == highspy.HighsModelStatus.kOptimal
            objective = float(hm.getInfo().objective_function_value) if optimal else None
            solution = hm.getSolution()
            # a basis to start the next LP from (also one cut short by the time limit: a
            # cold LP costs ~10-50x a warm one); an infeasible LP's basis is not kept
            if optimal or status == highspy.HighsModelStatus.kTimeLimit:
                basis = hm.getBasis()
                if basis.valid:
                    self._basis = basis
        finally:
            hm.setOptionValue("solve_relaxation", False)
            if n:
                change_col_bounds(hm, self.int_cols, lower, upper)
        result = FixedLpResult(
            status=hm.modelStatusToString(status),
            optimal=optimal,
            objective=objective,
            solution=solution,
            seconds=time.perf_counter() - t0,
            run_seconds=run_s,
            solver=self.solver,
        )
        if optimal:
            memo = self.solver.fixed_lps
            if len(memo) >= MEMO_SIZE:
                del memo[next(iter(memo))]  # the oldest
            memo[key] = result
        return result
